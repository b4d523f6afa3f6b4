"""Metadata policy: validation, merging and application (OpenID Federation 1.0 §6.1).

Pure functions over JSON-like values; nothing here does I/O. Section numbers are those of
OpenID Federation 1.0: §6.1.2 structure, §6.1.3 operators, §6.1.3.1.1-§6.1.3.1.7 the standard
operators (``value``, ``add``, ``default``, ``one_of``, ``subset_of``, ``superset_of``, ``essential``),
§6.1.3.1.8 notes on operators, §6.1.3.2 additional operators and ``metadata_policy_crit``,
§6.1.4.1 resolution (merging), §6.1.4.2 application, §6.1.5 the worked example.

A malformed or self-contradictory policy raises :class:`InvalidPolicy` (``check`` is
``Check.METADATA_POLICY``, or ``Check.METADATA_POLICY_CRIT`` for an unsupported critical operator);
metadata that a valid policy rejects raises :class:`InvalidMetadata` (``Check.METADATA``). Either
way the trust chain is invalid (§6.1.4).

Interpretations of the specification (where its text leaves a choice):

* ``value: null`` removes the parameter, so it combines only with ``essential: false``: ``add``,
  ``subset_of`` and ``superset_of`` compare against the *values* of ``value`` and null has none,
  ``one_of`` needs the value among its members, and ``default`` is excluded by the text (§6.1.3.1.1).
  With ``add``, ``subset_of`` or ``superset_of``, ``value`` must be an array (or, for ``scope``, a
  space-separated string).
* ``one_of: []`` is rejected on its own: no value could ever satisfy it, and a merge that produces
  it is a policy error (§6.1.3.1.4).
* Arrays in operator values hold strings, numbers or objects (§6.1.3.1.2, mandatory and optional
  types); booleans, nulls and nested arrays are a policy error.
* ``value`` and ``default`` merge only when exactly equal as JSON (arrays in the same order);
  array operators compare elements as JSON (``true`` is not ``1``; objects ignore key order).
* Unknown (additional) operators not listed in ``metadata_policy_crit`` are ignored and are
  dropped from merged policies (§6.1.3.2): this module cannot merge what it does not understand.
* A metadata parameter whose value is ``null`` is treated as absent, since no operator may output
  ``null`` (§6.1.3).
* ``scope`` is handled as an array of its space-separated values and written back as a string
  (§6.1.3.1.8).

Disagreements:

* The brief for this module said ``subset_of`` removes the parameter when the intersection is
  empty. Since draft 42 the specification keeps it as an empty array ``[]`` (§6.1.3.1.5); this
  module follows the specification.
* ``/work/shared/STANDARDS.md`` calls contradicting policies ``invalid_policy``; the specification
  has no such wire code (it is a "policy error" that invalidates the chain, reported by a resolve
  endpoint as ``invalid_trust_chain``). :class:`InvalidPolicy` keeps the distinction in code only.
  Its merge rules and application order agree with the specification.
"""

from __future__ import annotations

import copy
from collections.abc import Collection, Iterable, Sequence
from itertools import combinations
from typing import Any, Final, TypeAlias

from federation.errors import Check, InvalidMetadata, InvalidPolicy

__all__ = [
    "STANDARD_OPERATORS",
    "MetadataPolicy",
    "Policy",
    "apply_metadata_policy",
    "apply_policy",
    "check_policy",
    "merge_chain",
    "merge_policies",
]

#: One entity type's policy: metadata parameter name -> {operator name: operator value}.
Policy: TypeAlias = dict[str, dict[str, Any]]
#: A ``metadata_policy`` claim: entity type identifier -> :data:`Policy`.
MetadataPolicy: TypeAlias = dict[str, Policy]

#: The standard operators in their order of application (§6.1.3.1).
STANDARD_OPERATORS: Final[tuple[str, ...]] = (
    "value",
    "add",
    "default",
    "one_of",
    "subset_of",
    "superset_of",
    "essential",
)

_ARRAY_OPERATORS: Final = ("add", "one_of", "subset_of", "superset_of")
#: Pairs that may never appear together (§6.1.3.1.4: one_of combines only with value, default, essential).
_FORBIDDEN_PAIRS: Final = frozenset({("add", "one_of"), ("one_of", "subset_of"), ("one_of", "superset_of")})
_SCOPE: Final = "scope"
_ABSENT: Final = object()


# --- JSON helpers -----------------------------------------------------------------------------


def _key(value: Any) -> Any:
    """A hashable key with JSON equality: booleans differ from numbers, object key order is ignored."""
    if value is None:
        return ("null",)
    if isinstance(value, bool):
        return ("bool", value)
    if isinstance(value, int | float):
        return ("number", value)
    if isinstance(value, str):
        return ("string", value)
    if isinstance(value, list):
        return ("array", tuple(_key(item) for item in value))
    if isinstance(value, dict):
        return ("object", frozenset((str(k), _key(v)) for k, v in value.items()))
    return ("other", repr(value))


def _json_equal(a: Any, b: Any) -> bool:
    return bool(_key(a) == _key(b))


def _unique(values: Iterable[Any]) -> list[Any]:
    """Values in first-seen order without JSON duplicates (deep copies)."""
    seen: set[Any] = set()
    out: list[Any] = []
    for item in values:
        k = _key(item)
        if k not in seen:
            seen.add(k)
            out.append(copy.deepcopy(item))
    return out


def _missing(values: Iterable[Any], allowed: Iterable[Any]) -> list[Any]:
    """The members of ``values`` that are not in ``allowed`` (JSON equality)."""
    allowed_keys = {_key(a) for a in allowed}
    return [v for v in _unique(values) if _key(v) not in allowed_keys]


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    if isinstance(value, dict):
        return "object"
    return type(value).__name__


def _show(value: Any) -> str:
    """Python-like rendering with JSON literals: ``'a'``, ``['a', 'b']``, ``null``, ``true``."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return "[" + ", ".join(_show(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k!r}: {_show(v)}" for k, v in value.items()) + "}"
    return repr(value)


def _described(value: Any) -> str:
    return f"{_json_type(value)} {_show(value)}"


# --- check_policy (§6.1.2, §6.1.3) ------------------------------------------------------------


def check_policy(policy: Policy, *, crit: Collection[str] = ()) -> None:
    """Validate one entity type's policy on its own (§6.1.2, §6.1.3.1, §6.1.3.2, §6.1.4.1).

    Checks the structure, each standard operator's value type, and that every pair of operators
    in a parameter's policy may be combined (the "Combination with other operators" rules of
    §6.1.3.1.1-§6.1.3.1.7). Unknown operators are ignored unless named in ``crit`` (the collected
    ``metadata_policy_crit`` values), which raises with ``Check.METADATA_POLICY_CRIT``.
    """
    _check_policy(policy, crit, "metadata policy")


def _check_policy(policy: Any, crit: Collection[str], label: str) -> None:
    if not isinstance(policy, dict):
        raise InvalidPolicy(
            f"{label} must be a JSON object of metadata parameter policies, got {_described(policy)}",
            check=Check.METADATA_POLICY,
        )
    for name, operators in policy.items():
        where = f"{label} for parameter {name!r}"
        if not isinstance(operators, dict):
            raise InvalidPolicy(
                f"{where} must be a JSON object of operators, got {_described(operators)}",
                check=Check.METADATA_POLICY,
            )
        for op in operators:
            if op not in STANDARD_OPERATORS and op in crit:
                raise InvalidPolicy(
                    f"{where} uses the critical operator {op!r} (listed in metadata_policy_crit), "
                    "which is not supported",
                    check=Check.METADATA_POLICY_CRIT,
                )
        for op in STANDARD_OPERATORS:
            if op in operators:
                _check_operator_value(where, op, operators[op])
        present = [op for op in STANDARD_OPERATORS if op in operators]
        for first, second in combinations(present, 2):
            _check_pair(where, name, first, second, operators)


def _check_operator_value(where: str, op: str, value: Any) -> None:
    def fail(expected: str) -> InvalidPolicy:
        return InvalidPolicy(
            f"{where}: operator {op!r} must be {expected}, got {_described(value)}",
            check=Check.METADATA_POLICY,
        )

    if op == "essential":
        if not isinstance(value, bool):
            raise fail("a boolean (true or false)")
    elif op == "default":
        if value is None:
            raise fail("a string, number, boolean, array or object (not null)")
    elif op in _ARRAY_OPERATORS:
        expected = "a JSON array of strings, numbers or objects"
        if not isinstance(value, list):
            raise fail(expected)
        for index, item in enumerate(value):
            if isinstance(item, bool) or not isinstance(item, str | int | float | dict):
                raise InvalidPolicy(
                    f"{where}: operator {op!r} must be {expected}, but element {index} is {_described(item)}",
                    check=Check.METADATA_POLICY,
                )
        if op == "one_of" and not value:
            raise InvalidPolicy(
                f"{where}: operator 'one_of' must not be an empty array (no value could satisfy it)",
                check=Check.METADATA_POLICY,
            )
    # ``value`` accepts any JSON value, null included (§6.1.3.1.1).


def _value_as_array(name: str, value: Any) -> list[Any] | None:
    """``value`` as an array for comparison with array operators, or None if it is not one."""
    if isinstance(value, list):
        return value
    if name == _SCOPE and isinstance(value, str):
        return value.split()
    return None


def _check_pair(where: str, name: str, first: str, second: str, operators: dict[str, Any]) -> None:
    """Apply the §6.1.3.1 combination rule for one pair (``first`` precedes ``second`` in order)."""
    prefix = f"{where}: operators {first!r} and {second!r} cannot be combined"
    if (first, second) in _FORBIDDEN_PAIRS:
        raise InvalidPolicy(prefix, check=Check.METADATA_POLICY)
    reason = _pair_conflict(name, first, second, operators)
    if reason is not None:
        raise InvalidPolicy(f"{prefix} here: {reason}", check=Check.METADATA_POLICY)


def _pair_conflict(name: str, first: str, second: str, ops: dict[str, Any]) -> str | None:
    """Why a conditional combination fails, or None when it is allowed."""
    if first == "value":
        value = ops["value"]
        if second == "essential":
            if value is None and ops["essential"] is True:
                return "'value' is null (the parameter is removed) but 'essential' is true"
            return None
        if value is None and second != "one_of":
            return "'value' is null, which removes the parameter"
        if second == "default":
            return None
        if second == "one_of":
            if any(_json_equal(value, member) for member in ops["one_of"]):
                return None
            return f"'value' {_show(value)} is not one of {_show(ops['one_of'])}"
        values = _value_as_array(name, value)
        if values is None:
            return f"'value' {_show(value)} is not an array"
        if second == "add":
            missing = _missing(ops["add"], values)
            if missing:
                return (
                    f"'add' {_show(ops['add'])} is not a subset of 'value' {_show(value)} "
                    f"({_show(missing)} not allowed)"
                )
        elif second == "subset_of":
            missing = _missing(values, ops["subset_of"])
            if missing:
                return (
                    f"'value' {_show(value)} is not a subset of 'subset_of' {_show(ops['subset_of'])} "
                    f"({_show(missing)} not allowed)"
                )
        elif second == "superset_of":
            missing = _missing(ops["superset_of"], values)
            if missing:
                return (
                    f"'value' {_show(value)} is not a superset of 'superset_of' {_show(ops['superset_of'])} "
                    f"({_show(missing)} missing)"
                )
        return None
    if (first, second) == ("add", "subset_of"):
        missing = _missing(ops["add"], ops["subset_of"])
        if missing:
            return (
                f"'add' {_show(ops['add'])} is not a subset of 'subset_of' {_show(ops['subset_of'])} "
                f"({_show(missing)} not allowed)"
            )
    if (first, second) == ("subset_of", "superset_of"):
        missing = _missing(ops["superset_of"], ops["subset_of"])
        if missing:
            return (
                f"'subset_of' {_show(ops['subset_of'])} is not a superset of 'superset_of' "
                f"{_show(ops['superset_of'])} ({_show(missing)} missing)"
            )
    return None


# --- merging (§6.1.4.1) -----------------------------------------------------------------------


def _standard_only(policy: Policy) -> Policy:
    """A deep copy keeping only the standard operators (unknown, non-critical ones are ignored)."""
    return {
        name: {op: copy.deepcopy(operators[op]) for op in STANDARD_OPERATORS if op in operators}
        for name, operators in policy.items()
    }


def merge_policies(superior: Policy, subordinate: Policy, *, crit: Collection[str] = ()) -> Policy:
    """Merge a subordinate's policy into its superior's, for one entity type (§6.1.4.1).

    Both inputs are validated with :func:`check_policy` first. Per operator (§6.1.3.1.1-§6.1.3.1.7):
    ``value`` and ``default`` must be equal; ``add`` and ``superset_of`` take the union; ``one_of``
    the intersection (empty is an error); ``subset_of`` the intersection (empty allowed);
    ``essential`` the logical OR. Arrays keep the superior's order first. The merged policy is
    checked again for forbidden combinations. The inputs are not modified.
    """
    _check_policy(superior, crit, "superior metadata policy")
    _check_policy(subordinate, crit, "subordinate metadata policy")
    merged = _standard_only(superior)
    for name, sub_ops in _standard_only(subordinate).items():
        if name not in merged:
            merged[name] = sub_ops
            continue
        current = merged[name]
        for op, sub_value in sub_ops.items():
            if op in current:
                current[op] = _merge_operator(name, op, current[op], sub_value)
            else:
                current[op] = sub_value
        merged[name] = {op: current[op] for op in STANDARD_OPERATORS if op in current}
    _check_policy(merged, crit, "merged metadata policy")
    return merged


def _merge_operator(name: str, op: str, sup: Any, sub: Any) -> Any:
    where = f"cannot merge metadata policies for parameter {name!r}"
    if op in ("value", "default"):
        if not _json_equal(sup, sub):
            raise InvalidPolicy(
                f"{where}: operator {op!r} differs: superior {_show(sup)}, subordinate {_show(sub)}",
                check=Check.METADATA_POLICY,
            )
        return sup
    if op in ("add", "superset_of"):
        return _unique([*sup, *sub])
    if op in ("one_of", "subset_of"):
        sub_keys = {_key(v) for v in sub}
        both = [v for v in _unique(sup) if _key(v) in sub_keys]
        if op == "one_of" and not both:
            raise InvalidPolicy(
                f"{where}: operator 'one_of' has no value in common: superior {_show(sup)}, "
                f"subordinate {_show(sub)}",
                check=Check.METADATA_POLICY,
            )
        return both
    return bool(sup) or bool(sub)  # essential


def merge_chain(policies: Sequence[MetadataPolicy], *, crit: Collection[str] = ()) -> MetadataPolicy:
    """Resolve the metadata policy of a trust chain (§6.1.4.1).

    ``policies`` are the ``metadata_policy`` claims from the trust anchor's subordinate statement
    DOWN to the leaf's immediate superior; ``crit`` is the union of their ``metadata_policy_crit``.
    Entity types are merged with :func:`merge_policies`; types only one side has are copied.
    Errors name the entity type; ``detail`` gives the position in ``policies`` (0 = trust anchor).
    """
    resolved: MetadataPolicy = {}
    for position, metadata_policy in enumerate(policies):
        if not isinstance(metadata_policy, dict):
            raise InvalidPolicy(
                "metadata_policy must be a JSON object of entity type policies, "
                f"got {_described(metadata_policy)}",
                check=Check.METADATA_POLICY,
                detail=f"metadata_policy at chain position {position} (0 = trust anchor)",
            )
        for entity_type, policy in metadata_policy.items():
            try:
                if entity_type in resolved:
                    resolved[entity_type] = merge_policies(resolved[entity_type], policy, crit=crit)
                else:
                    _check_policy(policy, crit, "metadata policy")
                    resolved[entity_type] = _standard_only(policy)
            except InvalidPolicy as exc:
                raise InvalidPolicy(
                    f"entity type {entity_type!r}: {exc.description}",
                    check=exc.check,
                    detail=f"metadata_policy at chain position {position} (0 = trust anchor)",
                ) from exc
    return resolved


# --- application (§6.1.4.2) ------------------------------------------------------------------


def _invalid(message: str) -> InvalidMetadata:
    return InvalidMetadata(message, check=Check.METADATA)


def _as_array(name: str, current: Any, op: str) -> list[Any]:
    """The current parameter value as an array for an array operator (``scope`` is split, §6.1.3.1.8)."""
    if isinstance(current, list):
        return current
    if name == _SCOPE and isinstance(current, str):
        return current.split()
    raise _invalid(
        f"metadata parameter {name!r} must be a JSON array for operator {op!r}, got {_described(current)}"
    )


def _apply_parameter(name: str, current: Any, ops: dict[str, Any]) -> Any:
    """Apply one parameter's operators in the order of §6.1.3.1; returns the value or ``_ABSENT``."""
    if "value" in ops:
        current = _ABSENT if ops["value"] is None else copy.deepcopy(ops["value"])
    if "add" in ops:
        if current is _ABSENT:
            current = _unique(ops["add"])
        else:
            current = _unique([*_as_array(name, current, "add"), *ops["add"]])
    if "default" in ops and current is _ABSENT:
        current = copy.deepcopy(ops["default"])
    if "one_of" in ops and current is not _ABSENT:
        if current is None or isinstance(current, bool | list):
            raise _invalid(
                f"metadata parameter {name!r} must be a single string, number or object for operator "
                f"'one_of', got {_described(current)}"
            )
        if not any(_json_equal(current, member) for member in ops["one_of"]):
            raise _invalid(
                f"metadata parameter {name!r} value {_show(current)} is not one of {_show(ops['one_of'])}"
            )
    if "subset_of" in ops and current is not _ABSENT:
        allowed = {_key(v) for v in ops["subset_of"]}
        current = [v for v in _unique(_as_array(name, current, "subset_of")) if _key(v) in allowed]
    if "superset_of" in ops and current is not _ABSENT:
        values = _as_array(name, current, "superset_of")
        missing = _missing(ops["superset_of"], values)
        if missing:
            raise _invalid(
                f"metadata parameter {name!r} values {_show(values)} do not include {_show(missing)}, "
                f"required by superset_of {_show(ops['superset_of'])}"
            )
    if ops.get("essential") is True and current is _ABSENT:
        raise _invalid(f"metadata parameter {name!r} is essential but absent after applying the policy")
    if name == _SCOPE and isinstance(current, list) and all(isinstance(v, str) for v in current):
        current = " ".join(current)
    return current


def apply_policy(metadata: dict[str, Any], policy: Policy) -> dict[str, Any]:
    """Apply a resolved policy to one entity type's metadata and return NEW metadata (§6.1.4.2).

    The policy is validated with :func:`check_policy` first. Operators run in the order of
    §6.1.3.1: ``value`` (null removes), ``add``, ``default``, ``one_of``, ``subset_of`` (an empty
    intersection leaves ``[]``), ``superset_of``, ``essential``. Unknown operators are ignored.
    A violation raises :class:`InvalidMetadata` with ``Check.METADATA``.
    """
    if not isinstance(metadata, dict):
        raise _invalid(f"entity type metadata must be a JSON object, got {_described(metadata)}")
    check_policy(policy)
    result = copy.deepcopy(metadata)
    for name, ops in policy.items():
        current = result.get(name, _ABSENT)
        new = _apply_parameter(name, _ABSENT if current is None else current, ops)
        if new is _ABSENT:
            result.pop(name, None)
        else:
            result[name] = new
    return result


def apply_metadata_policy(
    metadata: dict[str, dict[str, Any]], policy: MetadataPolicy
) -> dict[str, dict[str, Any]]:
    """Apply a resolved ``metadata_policy`` to an entity's ``metadata`` (§6.1.4.2).

    Each entity type present in ``metadata`` gets :func:`apply_policy` with its policy; types with
    no policy are copied unchanged and policies for absent types are ignored. Errors name the
    entity type. Returns new metadata; the inputs are not modified.
    """
    resolved: dict[str, dict[str, Any]] = {}
    for entity_type, type_metadata in metadata.items():
        if entity_type not in policy:
            resolved[entity_type] = copy.deepcopy(type_metadata)
            continue
        try:
            resolved[entity_type] = apply_policy(type_metadata, policy[entity_type])
        except InvalidMetadata as exc:
            raise InvalidMetadata(f"entity type {entity_type!r}: {exc.description}", check=exc.check) from exc
        except InvalidPolicy as exc:
            raise InvalidPolicy(f"entity type {entity_type!r}: {exc.description}", check=exc.check) from exc
    return resolved
