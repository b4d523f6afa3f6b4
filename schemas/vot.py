"""Vectors of Trust (RFC 8485): vectors, the ``vtr`` request, the ``vot`` result and trustmarks.

A vector is a set of components, each a category letter and a value (``Cl.Cm.P2``). An RP asks
for one of several vectors (``vtr``, ORed); within a vector every component is required (ANDed).
The IdP returns the one vector it achieved (``vot``) and the URL of its trustmark (``vtm``), the
document listing which values it may assert. Level strings mean nothing on their own: a relying
party checks the pair (``vtm``, ``vot``) against the trustmarks it trusts, never a bare string.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from pydantic import ConfigDict, Field, model_validator

from schemas._base import SchemaModel, spec_field

__all__ = [
    "NHS_LOGIN_IDENTITY_LEVELS",
    "ONE_LOGIN_CREDENTIAL_LEVELS",
    "ONE_LOGIN_IDENTITY_PROFILES",
    "Trustmark",
    "UntrustedVotError",
    "Vector",
    "VectorError",
    "gov_uk_one_login_trustmark",
    "nhs_login_trustmark",
    "parse_vtr",
    "trusted_pair",
    "vot_matching",
    "vot_satisfies_vtr",
]

RFC8485_TRUSTMARK = "RFC 8485 §5"

_COMPONENT = re.compile(r"[A-Z][A-Za-z0-9]", re.ASCII)
_CATEGORY = re.compile(r"[A-Z]", re.ASCII)
_URL = r"^https?://\S+$"
_FIRST_CATEGORIES = ("P", "C")


class VectorError(ValueError):
    """A vector, or a ``vtr``, that does not follow RFC 8485 §3.1 / §6.1; the message says why."""


class UntrustedVotError(ValueError):
    """A (``vtm``, ``vot``) pair the relying party must not accept (RFC 8485 §5); says why."""


def _check_category(letter: str) -> str:
    if not _CATEGORY.fullmatch(letter):
        raise VectorError(f"{letter!r} is not a category: a category is one uppercase letter A-Z")
    return letter


def _sort_key(component: str) -> tuple[int, str, str]:
    category = component[0]
    rank = _FIRST_CATEGORIES.index(category) if category in _FIRST_CATEGORIES else len(_FIRST_CATEGORIES)
    return rank, category, component[1]


@dataclass(frozen=True, slots=True)
class Vector:
    """A vector of trust (RFC 8485 §3.1): a non-empty set of components such as ``Cl``, ``P2``.

    The components are a set: their order in the text carries no meaning, and a category may
    have several values (``Cl.Cm``). Build one with :meth:`parse`.
    """

    components: frozenset[str]

    def __post_init__(self) -> None:
        if not self.components:
            raise VectorError("empty vector: a vector has at least one component")
        for component in sorted(self.components, key=repr):
            if not isinstance(component, str) or not _COMPONENT.fullmatch(component):
                raise VectorError(
                    f"bad component {component!r}: a component is an uppercase letter A-Z "
                    "(the category) followed by one letter or digit (the value)"
                )

    @classmethod
    def parse(cls, text: str) -> Vector:
        """Parse the wire form, components separated by ``.`` (RFC 8485 §3.1).

        Raises :class:`VectorError` for an empty vector, an empty component (``Cl..Cm``), a
        component that is not a category letter and a value character, or a repeated component.
        """
        if not isinstance(text, str):
            raise VectorError(f"a vector is a string, not {_json_type(text)}")
        if text == "":
            raise VectorError("empty vector: a vector has at least one component")
        seen: set[str] = set()
        for component in text.split("."):
            if component == "":
                raise VectorError(f"empty component in vector {text!r}: components are separated by one '.'")
            if not _COMPONENT.fullmatch(component):
                raise VectorError(
                    f"bad component {component!r} in vector {text!r}: a component is an uppercase "
                    "letter A-Z (the category) followed by one letter or digit (the value)"
                )
            if component in seen:
                raise VectorError(f"duplicate component {component!r} in vector {text!r}")
            seen.add(component)
        return cls(frozenset(seen))

    def render(self) -> str:
        """The canonical wire form.

        RFC 8485 gives components no order, so this choice is ours: identity proofing (``P``)
        first, then credential usage (``C``), then the other categories in alphabetical order;
        within a category the values sort in ASCII order (digits, then A-Z, then a-z). For
        example ``Cm.P2.Cl`` renders as ``P2.Cl.Cm``.
        """
        return ".".join(sorted(self.components, key=_sort_key))

    def __str__(self) -> str:
        return self.render()

    @property
    def categories(self) -> tuple[str, ...]:
        """The category letters present, in canonical order."""
        return tuple(dict.fromkeys(component[0] for component in self.render().split(".")))

    def category(self, letter: str) -> frozenset[str]:
        """The components of category ``letter`` (empty if none); ``VectorError`` for a bad letter."""
        _check_category(letter)
        return frozenset(component for component in self.components if component[0] == letter)

    def satisfies(self, requested: Vector) -> bool:
        """True if every component of ``requested`` is in this vector (RFC 8485 §3.1: ANDed)."""
        return requested.components <= self.components


def _json_type(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, Mapping):
        return "an object"
    if isinstance(value, Sequence):
        return "an array"
    return type(value).__name__


def parse_vtr(value: str | Sequence[object]) -> tuple[Vector, ...]:
    """Parse a ``vtr`` request (RFC 8485 §6.1): a JSON array of vector strings, ORed.

    ``value`` is the JSON text (as in an authorization request parameter) or the already
    decoded array (as in a request object). Raises :class:`VectorError` for JSON that does
    not parse, a value that is not an array, an empty array, an item that is not a string,
    or an item that is not a vector.
    """
    decoded: object = value
    if isinstance(value, str):
        try:
            decoded = json.loads(value)
        except json.JSONDecodeError:
            raise VectorError("vtr is not valid JSON: it must be a JSON array of vector strings") from None
    if isinstance(decoded, str) or not isinstance(decoded, Sequence):
        raise VectorError(f"vtr must be a JSON array of vector strings, not {_json_type(decoded)}")
    if len(decoded) == 0:
        raise VectorError("vtr is an empty array: it must request at least one vector")
    vectors: list[Vector] = []
    for index, item in enumerate(decoded):
        if not isinstance(item, str):
            raise VectorError(f"vtr[{index}] must be a string, not {_json_type(item)}")
        try:
            vectors.append(Vector.parse(item))
        except VectorError as error:
            raise VectorError(f"vtr[{index}]: {error}") from None
    return tuple(vectors)


def vot_matching(vot: Vector, vtr: Sequence[Vector]) -> Vector | None:
    """The first requested vector (in ``vtr`` order) that ``vot`` satisfies, or ``None``.

    RFC 8485 §3.1 / §6.1: the vectors of a ``vtr`` are alternatives (ORed); every component of
    a vector is required (ANDed), and the ``vot`` may carry more components than requested.
    """
    for requested in vtr:
        if vot.satisfies(requested):
            return requested
    return None


def vot_satisfies_vtr(vot: Vector, vtr: Sequence[Vector]) -> bool:
    """True if ``vot`` has every component of at least one vector of ``vtr`` (RFC 8485 §6)."""
    return vot_matching(vot, vtr) is not None


class Trustmark(SchemaModel):
    """A trustmark document (RFC 8485 §5), fetched from the ``vtm`` URL.

    Besides ``idp`` and ``trustmark_provider`` it has one member per category, keyed by the
    category letter, listing the values the IdP may assert. A listed value is itself a vector
    of that category's components: GOV.UK One Login lists ``"Cl.Cm"`` as one ``C`` value.

    Matching rule (ours; RFC 8485 leaves it to the trustmark's definition): for each category
    present in a ``vot``, the vot's components of that category must equal one listed value as
    a whole (``Cl.Cm`` listed, so ``Cl.Cm`` is allowed but ``Cm`` alone is not); except that when
    every listed value of the category is a single component (NHS login's ``Cp``, ``Cd``...),
    the list is read component by component and each of the vot's components must be listed
    (``Cp.Cd`` is allowed). A category absent from the trustmark cannot be asserted.
    """

    model_config = ConfigDict(
        extra="allow",
        json_schema_extra={
            "patternProperties": {"^[A-Z]$": {"type": "array", "items": {"type": "string"}, "minItems": 1}},
            "additionalProperties": False,
        },
    )
    __pydantic_extra__: dict[str, list[str]] = Field(init=False)

    idp: str = spec_field(
        "Issuer URL of the identity provider this trustmark is about.", RFC8485_TRUSTMARK, pattern=_URL
    )
    trustmark_provider: str = spec_field(
        "URL of the party that issued this trustmark.", RFC8485_TRUSTMARK, pattern=_URL
    )

    @model_validator(mode="after")
    def _check_categories(self) -> Trustmark:
        for key, values in self.__pydantic_extra__.items():
            if not _CATEGORY.fullmatch(key):
                raise ValueError(f"member {key!r} is not a category: a category is one uppercase letter A-Z")
            if not values:
                raise ValueError(f"category {key!r} lists no values")
            seen: set[frozenset[str]] = set()
            for text in values:
                try:
                    vector = Vector.parse(text)
                except VectorError as error:
                    raise ValueError(f"category {key!r}: {error}") from None
                stray = sorted(component for component in vector.components if component[0] != key)
                if stray:
                    raise ValueError(
                        f"category {key!r} lists {text!r}, "
                        f"whose component {stray[0]!r} is not of category {key}"
                    )
                if vector.components in seen:
                    raise ValueError(f"category {key!r} lists {vector.render()!r} twice")
                seen.add(vector.components)
        return self

    def values(self, letter: str) -> tuple[Vector, ...]:
        """The listed values of category ``letter``, parsed (empty if the category is absent)."""
        _check_category(letter)
        return tuple(Vector.parse(text) for text in self.__pydantic_extra__.get(letter, ()))

    def refusal(self, vot: Vector) -> str | None:
        """Why this trustmark does not allow ``vot``, or ``None`` if it does (rule in class doc)."""
        for letter in vot.categories:
            listed = self.values(letter)
            part = vot.category(letter)
            if not listed:
                return f"the trustmark lists no {letter} values"
            if all(len(value.components) == 1 for value in listed):
                singles = {component for value in listed for component in value.components}
                missing = sorted(part - singles)
                if missing:
                    return f"{missing[0]!r} is not a listed {letter} value"
            elif not any(value.components == part for value in listed):
                return f"{Vector(part).render()!r} is not a listed {letter} value"
        return None

    def allows(self, vot: Vector) -> bool:
        """True if every category group of ``vot`` is asserted by a listed value (RFC 8485 §5)."""
        return self.refusal(vot) is None


def trusted_pair(
    vtm: str, vot: Vector, trusted: Mapping[str, Trustmark], *, issuer: str | None = None
) -> Trustmark:
    """Check a (``vtm``, ``vot``) pair from an ID token; return the trustmark or raise.

    RFC 8485 §5: the ``vtm`` must be a trustmark URL the relying party trusts (``trusted`` maps
    URL to trustmark), its ``idp`` must be the token's ``issuer`` when given, and it must allow
    the ``vot``. Raises :class:`UntrustedVotError` with the reason otherwise.
    """
    trustmark = trusted.get(vtm)
    if trustmark is None:
        raise UntrustedVotError(f"vtm {vtm!r} is not a trustmark this relying party trusts")
    if issuer is not None and trustmark.idp != issuer:
        raise UntrustedVotError(f"trustmark {vtm!r} is for IdP {trustmark.idp!r}, not issuer {issuer!r}")
    reason = trustmark.refusal(vot)
    if reason is not None:
        raise UntrustedVotError(f"trustmark {vtm!r} does not allow vot {vot.render()!r}: {reason}")
    return trustmark


def _trustmark(idp: str, trustmark_provider: str, categories: Mapping[str, list[str]]) -> Trustmark:
    document: dict[str, Any] = {"idp": idp, "trustmark_provider": trustmark_provider, **categories}
    return Trustmark.model_validate(document)


def gov_uk_one_login_trustmark(idp: str, trustmark_provider: str) -> Trustmark:
    """GOV.UK One Login's trustmark values: ``C`` = ``Cl``, ``Cl.Cm``; ``P`` = ``P0`` to ``P3``."""
    return _trustmark(idp, trustmark_provider, {"C": ["Cl", "Cl.Cm"], "P": ["P0", "P1", "P2", "P3"]})


def nhs_login_trustmark(idp: str, trustmark_provider: str) -> Trustmark:
    """NHS login's trustmark values: ``P`` = ``P0``, ``P5``, ``P9``; ``C`` = ``Cp``, ``Cd``, ``Ck``, ``Cm``.

    The ``C`` values are single components that a vot combines, e.g. ``P9.Cp.Cd``.
    """
    return _trustmark(idp, trustmark_provider, {"P": ["P0", "P5", "P9"], "C": ["Cp", "Cd", "Ck", "Cm"]})


ONE_LOGIN_IDENTITY_PROFILES: Mapping[str, tuple[str, ...]] = MappingProxyType(
    {"P0": (), "P1": ("L1A",), "P2": ("M1A", "M1B", "M2B", "M1C"), "P3": ("H1A",)}
)
"""GOV.UK One Login identity levels and the GPG 45 profiles each stands for (P0: none proved)."""

ONE_LOGIN_CREDENTIAL_LEVELS: Mapping[str, str] = MappingProxyType(
    {"Cl": "low: password", "Cl.Cm": "medium: password and a one-time code"}
)
"""GOV.UK One Login credential (``C``) values and the GPG 44 level each stands for."""

NHS_LOGIN_IDENTITY_LEVELS: Mapping[str, str] = MappingProxyType(
    {
        "P0": "no identity proved",
        "P5": "identity checked by knowledge-based verification only",
        "P9": "identity checked with a physical or biometric comparison against photo ID",
    }
)
"""NHS login identity (``P``) levels and what each means."""
