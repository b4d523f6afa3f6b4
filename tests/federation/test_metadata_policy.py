"""Metadata policy validation and application (OpenID Federation 1.0 §6.1.3, §6.1.4.2).

Merging, chains and the §6.1.5 worked example are in ``test_metadata_policy_merge.py``.
"""

from __future__ import annotations

import copy
from itertools import combinations
from typing import Any

import pytest

from federation.errors import Check, InvalidMetadata, InvalidPolicy
from federation.metadata_policy import (
    STANDARD_OPERATORS,
    MetadataPolicy,
    Policy,
    apply_metadata_policy,
    apply_policy,
    check_policy,
)

P = "metadata policy for parameter 'p'"


def _policy_error(
    policy: Policy, message: str, *, check: Check = Check.METADATA_POLICY, crit: Any = ()
) -> None:
    with pytest.raises(InvalidPolicy) as info:
        check_policy(policy, crit=crit)
    assert type(info.value) is InvalidPolicy
    assert info.value.check == check
    assert info.value.description == message


def _metadata_error(metadata: dict[str, Any], policy: Policy, message: str) -> None:
    with pytest.raises(InvalidMetadata) as info:
        apply_policy(metadata, policy)
    assert type(info.value) is InvalidMetadata
    assert info.value.check == Check.METADATA
    assert info.value.description == message


def test_6_1_3_1_standard_operators_in_order_of_application() -> None:
    assert STANDARD_OPERATORS == (
        "value",
        "add",
        "default",
        "one_of",
        "subset_of",
        "superset_of",
        "essential",
    )


# --- §6.1.3.1: operator value types ----------------------------------------------------------

ARRAY_EXPECTED = "a JSON array of strings, numbers or objects"


@pytest.mark.parametrize(
    ("operators", "message"),
    [
        ({"add": "a"}, f"{P}: operator 'add' must be {ARRAY_EXPECTED}, got string 'a'"),
        ({"one_of": "a"}, f"{P}: operator 'one_of' must be {ARRAY_EXPECTED}, got string 'a'"),
        (
            {"subset_of": {"a": 1}},
            f"{P}: operator 'subset_of' must be {ARRAY_EXPECTED}, got object {{'a': 1}}",
        ),
        ({"superset_of": None}, f"{P}: operator 'superset_of' must be {ARRAY_EXPECTED}, got null null"),
        (
            {"add": ["a", True]},
            f"{P}: operator 'add' must be {ARRAY_EXPECTED}, but element 1 is boolean true",
        ),
        (
            {"subset_of": [None]},
            f"{P}: operator 'subset_of' must be {ARRAY_EXPECTED}, but element 0 is null null",
        ),
        (
            {"superset_of": [["a"]]},
            f"{P}: operator 'superset_of' must be {ARRAY_EXPECTED}, but element 0 is array ['a']",
        ),
        ({"one_of": []}, f"{P}: operator 'one_of' must not be an empty array (no value could satisfy it)"),
        (
            {"essential": "yes"},
            f"{P}: operator 'essential' must be a boolean (true or false), got string 'yes'",
        ),
        ({"essential": 1}, f"{P}: operator 'essential' must be a boolean (true or false), got number 1"),
        (
            {"default": None},
            f"{P}: operator 'default' must be a string, number, boolean, array or object (not null), got null null",
        ),
    ],
)
def test_6_1_3_1_operator_value_type_is_checked(operators: dict[str, Any], message: str) -> None:
    _policy_error({"p": operators}, message)


@pytest.mark.parametrize(
    "operators",
    [
        {"value": None},
        {"value": "a"},
        {"value": 1.5},
        {"value": False},
        {"value": ["a"]},
        {"value": {"k": "v"}},
        {"add": ["a", 1, {"k": "v"}]},
        {"add": []},
        {"default": False},
        {"default": ["a"]},
        {"one_of": ["a"]},
        {"subset_of": []},
        {"superset_of": []},
        {"essential": False},
    ],
)
def test_6_1_3_1_operator_value_types_accepted(operators: dict[str, Any]) -> None:
    check_policy({"p": operators})


@pytest.mark.parametrize(
    ("policy", "message"),
    [
        ({"p": "value"}, f"{P} must be a JSON object of operators, got string 'value'"),
        ({"p": ["value"]}, f"{P} must be a JSON object of operators, got array ['value']"),
    ],
)
def test_6_1_2_structure_is_checked(policy: Any, message: str) -> None:
    _policy_error(policy, message)


def test_6_1_2_policy_must_be_an_object() -> None:
    _policy_error(
        ["p"],  # type: ignore[arg-type]
        "metadata policy must be a JSON object of metadata parameter policies, got array ['p']",
    )


# --- §6.1.3.1: combinations of two operators in one parameter policy (all 21 pairs) ----------

# (first, second, an allowed policy or None if never allowed, a forbidden policy or None, its reason)
PAIRS: list[tuple[str, str, dict[str, Any] | None, dict[str, Any] | None, str]] = [
    ("value", "add", {"value": ["a", "b"], "add": ["a"]}, {"value": ["a"], "add": ["a", "b"]},
     "'add' ['a', 'b'] is not a subset of 'value' ['a'] (['b'] not allowed)"),
    ("value", "default", {"value": "a", "default": "b"}, {"value": None, "default": "b"},
     "'value' is null, which removes the parameter"),
    ("value", "one_of", {"value": "a", "one_of": ["a", "b"]}, {"value": "c", "one_of": ["a", "b"]},
     "'value' 'c' is not one of ['a', 'b']"),
    ("value", "subset_of", {"value": ["a"], "subset_of": ["a", "b"]}, {"value": ["a", "c"], "subset_of": ["a", "b"]},
     "'value' ['a', 'c'] is not a subset of 'subset_of' ['a', 'b'] (['c'] not allowed)"),
    ("value", "superset_of", {"value": ["a", "b"], "superset_of": ["a"]}, {"value": ["b"], "superset_of": ["a"]},
     "'value' ['b'] is not a superset of 'superset_of' ['a'] (['a'] missing)"),
    ("value", "essential", {"value": None, "essential": False}, {"value": None, "essential": True},
     "'value' is null (the parameter is removed) but 'essential' is true"),
    ("add", "default", {"add": ["a"], "default": ["b"]}, None, ""),
    ("add", "one_of", None, {"add": ["a"], "one_of": ["a"]}, ""),
    ("add", "subset_of", {"add": ["a"], "subset_of": ["a", "b"]}, {"add": ["c"], "subset_of": ["a", "b"]},
     "'add' ['c'] is not a subset of 'subset_of' ['a', 'b'] (['c'] not allowed)"),
    ("add", "superset_of", {"add": ["a"], "superset_of": ["b"]}, None, ""),
    ("add", "essential", {"add": ["a"], "essential": True}, None, ""),
    ("default", "one_of", {"default": "c", "one_of": ["a"]}, None, ""),
    ("default", "subset_of", {"default": ["c"], "subset_of": ["a"]}, None, ""),
    ("default", "superset_of", {"default": ["c"], "superset_of": ["a"]}, None, ""),
    ("default", "essential", {"default": "a", "essential": True}, None, ""),
    ("one_of", "subset_of", None, {"one_of": ["a"], "subset_of": ["a"]}, ""),
    ("one_of", "superset_of", None, {"one_of": ["a"], "superset_of": ["a"]}, ""),
    ("one_of", "essential", {"one_of": ["a"], "essential": False}, None, ""),
    ("subset_of", "superset_of", {"subset_of": ["a", "b"], "superset_of": ["a"]},
     {"subset_of": ["a"], "superset_of": ["a", "b"]},
     "'subset_of' ['a'] is not a superset of 'superset_of' ['a', 'b'] (['b'] missing)"),
    ("subset_of", "essential", {"subset_of": [], "essential": True}, None, ""),
    ("superset_of", "essential", {"superset_of": ["a"], "essential": True}, None, ""),
]  # fmt: skip


def test_6_1_3_1_pair_table_covers_all_21_pairs() -> None:
    assert [(a, b) for a, b, *_ in PAIRS] == list(combinations(STANDARD_OPERATORS, 2))
    assert len(PAIRS) == 21


@pytest.mark.parametrize(("first", "second", "allowed", "forbidden", "reason"), PAIRS)
def test_6_1_3_1_operator_pair_combination(
    first: str, second: str, allowed: dict[str, Any] | None, forbidden: dict[str, Any] | None, reason: str
) -> None:
    if allowed is not None:
        check_policy({"p": allowed})
        check_policy({"p": dict(reversed(allowed.items()))})  # member order does not matter
    if forbidden is not None:
        expected = f"{P}: operators {first!r} and {second!r} cannot be combined"
        _policy_error({"p": forbidden}, f"{expected} here: {reason}" if reason else expected)


@pytest.mark.parametrize(
    ("operators", "reason"),
    [
        ({"value": "a", "add": ["a"]}, "'value' 'a' is not an array"),
        ({"value": None, "add": []}, "'value' is null, which removes the parameter"),
        ({"value": None, "subset_of": ["a"]}, "'value' is null, which removes the parameter"),
        ({"value": None, "superset_of": []}, "'value' is null, which removes the parameter"),
        ({"value": None, "one_of": ["a"]}, "'value' null is not one of ['a']"),
        ({"value": True, "one_of": [1]}, "'value' true is not one of [1]"),
    ],
)
def test_6_1_3_1_1_value_combination_edge_cases(operators: dict[str, Any], reason: str) -> None:
    first, second = (op for op in STANDARD_OPERATORS if op in operators)
    _policy_error(
        {"p": operators}, f"{P}: operators {first!r} and {second!r} cannot be combined here: {reason}"
    )


def test_6_1_3_1_8_scope_value_string_is_an_array_of_scopes() -> None:
    check_policy({"scope": {"value": "openid email", "subset_of": ["openid", "email", "profile"]}})
    _policy_error(
        {"scope": {"value": "openid phone", "subset_of": ["openid", "email"]}},
        "metadata policy for parameter 'scope': operators 'value' and 'subset_of' cannot be combined here: "
        "'value' 'openid phone' is not a subset of 'subset_of' ['openid', 'email'] (['phone'] not allowed)",
    )


# --- §6.1.3.2: additional operators and metadata_policy_crit ---------------------------------


def test_6_1_3_2_unknown_operator_is_ignored() -> None:
    check_policy({"p": {"regexp": "^a", "one_of": ["a"]}})
    assert apply_policy({"p": "a"}, {"p": {"regexp": "^b"}}) == {"p": "a"}


def test_6_1_3_2_unknown_operator_in_crit_fails() -> None:
    _policy_error(
        {"p": {"regexp": "^a"}},
        f"{P} uses the critical operator 'regexp' (listed in metadata_policy_crit), which is not supported",
        check=Check.METADATA_POLICY_CRIT,
        crit=["regexp"],
    )


def test_6_1_3_2_standard_operator_in_crit_is_understood() -> None:
    check_policy({"p": {"one_of": ["a"]}}, crit=["one_of", "other"])


# --- §6.1.3.1.1-§6.1.3.1.7: each operator applied alone ---------------------------------------

APPLY_OK: list[tuple[str, dict[str, Any], dict[str, Any], dict[str, Any]]] = [
    ("value sets", {"value": "a"}, {}, {"p": "a"}),
    ("value overrides", {"value": ["a"]}, {"p": ["b", "c"]}, {"p": ["a"]}),
    ("value null removes", {"value": None}, {"p": "b"}, {}),
    ("value null absent", {"value": None}, {}, {}),
    ("add initialises", {"add": ["a", "b"]}, {}, {"p": ["a", "b"]}),
    ("add appends new", {"add": ["b", "c"]}, {"p": ["a", "b"]}, {"p": ["a", "b", "c"]}),
    ("add objects", {"add": [{"k": 1}]}, {"p": [{"k": 1}]}, {"p": [{"k": 1}]}),
    ("default sets", {"default": "a"}, {}, {"p": "a"}),
    ("default no effect", {"default": "a"}, {"p": "b"}, {"p": "b"}),
    ("one_of member", {"one_of": ["a", "b"]}, {"p": "b"}, {"p": "b"}),
    ("one_of absent", {"one_of": ["a"]}, {}, {}),
    ("one_of number", {"one_of": [1, 2]}, {"p": 2}, {"p": 2}),
    ("subset_of intersects", {"subset_of": ["a", "b", "c"]}, {"p": ["c", "e", "a"]}, {"p": ["c", "a"]}),
    ("subset_of empty result", {"subset_of": ["a"]}, {"p": ["d"]}, {"p": []}),
    ("subset_of absent", {"subset_of": ["a"]}, {}, {}),
    ("superset_of equal", {"superset_of": ["a", "b"]}, {"p": ["b", "a"]}, {"p": ["b", "a"]}),
    ("superset_of more", {"superset_of": ["a"]}, {"p": ["a", "b"]}, {"p": ["a", "b"]}),
    ("superset_of absent", {"superset_of": ["a"]}, {}, {}),
    ("essential present", {"essential": True}, {"p": "a"}, {"p": "a"}),
    ("essential false absent", {"essential": False}, {}, {}),
]


@pytest.mark.parametrize(
    ("case", "operators", "metadata", "expected"), APPLY_OK, ids=[c[0] for c in APPLY_OK]
)
def test_6_1_4_2_operator_applied_alone(
    case: str, operators: dict[str, Any], metadata: dict[str, Any], expected: dict[str, Any]
) -> None:
    assert apply_policy({**metadata, "other": 1}, {"p": operators}) == {**expected, "other": 1}


APPLY_FAIL: list[tuple[str, dict[str, Any], dict[str, Any], str]] = [
    ("add to scalar", {"add": ["a"]}, {"p": "b"}, "metadata parameter 'p' must be a JSON array for operator 'add', got string 'b'"),
    ("one_of not member", {"one_of": ["private_key_jwt"]}, {"p": "client_secret_basic"},
     "metadata parameter 'p' value 'client_secret_basic' is not one of ['private_key_jwt']"),
    ("one_of bool is not 1", {"one_of": [1]}, {"p": True},
     "metadata parameter 'p' must be a single string, number or object for operator 'one_of', got boolean true"),
    ("one_of on array", {"one_of": ["a"]}, {"p": ["a"]},
     "metadata parameter 'p' must be a single string, number or object for operator 'one_of', got array ['a']"),
    ("subset_of scalar", {"subset_of": ["a"]}, {"p": "a"},
     "metadata parameter 'p' must be a JSON array for operator 'subset_of', got string 'a'"),
    ("superset_of missing", {"superset_of": ["a", "b"]}, {"p": ["b", "c"]},
     "metadata parameter 'p' values ['b', 'c'] do not include ['a'], required by superset_of ['a', 'b']"),
    ("superset_of scalar", {"superset_of": ["a"]}, {"p": 3},
     "metadata parameter 'p' must be a JSON array for operator 'superset_of', got number 3"),
    ("essential absent", {"essential": True}, {}, "metadata parameter 'p' is essential but absent after applying the policy"),
    ("essential null", {"essential": True}, {"p": None}, "metadata parameter 'p' is essential but absent after applying the policy"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("case", "operators", "metadata", "message"), APPLY_FAIL, ids=[c[0] for c in APPLY_FAIL]
)
def test_6_1_4_2_operator_rejects_metadata(
    case: str, operators: dict[str, Any], metadata: dict[str, Any], message: str
) -> None:
    _metadata_error(metadata, {"p": operators}, message)


# --- §6.1.3.1.8: the essential / subset_of table -----------------------------------------------


@pytest.mark.parametrize(
    ("essential", "metadata", "expected"),
    [
        (True, {"p": ["a", "e"]}, {"p": ["a"]}),
        (False, {"p": ["a", "e"]}, {"p": ["a"]}),
        (True, {"p": ["d", "e"]}, {"p": []}),
        (False, {"p": ["d", "e"]}, {"p": []}),
        (True, {}, None),
        (False, {}, {}),
    ],
)
def test_6_1_3_1_8_essential_and_subset_of_table(
    essential: bool, metadata: dict[str, Any], expected: dict[str, Any] | None
) -> None:
    policy: Policy = {"p": {"essential": essential, "subset_of": ["a", "b", "c"]}}
    if expected is None:
        _metadata_error(
            metadata, policy, "metadata parameter 'p' is essential but absent after applying the policy"
        )
    else:
        assert apply_policy(metadata, policy) == expected


def test_6_1_3_1_8_scope_is_processed_as_an_array_and_written_as_a_string() -> None:
    policy: Policy = {"scope": {"subset_of": ["openid", "email", "profile"], "superset_of": ["openid"]}}
    assert apply_policy({"scope": "openid phone email"}, policy) == {"scope": "openid email"}
    assert apply_policy({}, {"scope": {"default": ["openid", "email"]}}) == {"scope": "openid email"}
    assert apply_policy({"scope": "openid"}, {"scope": {"add": ["email"]}}) == {"scope": "openid email"}
    _metadata_error(
        {"scope": "email"},
        policy,
        "metadata parameter 'scope' values ['email'] do not include ['openid'], required by superset_of ['openid']",
    )


# --- §6.1.3.1: order of application -----------------------------------------------------------


@pytest.mark.parametrize(
    ("operators", "metadata", "expected"),
    [
        ({"value": ["a"], "add": ["a"]}, {"p": ["x"]}, {"p": ["a"]}),
        ({"value": ["a", "b"], "add": ["b"]}, {}, {"p": ["a", "b"]}),
        ({"add": ["a"], "default": ["d"]}, {}, {"p": ["a"]}),
        ({"default": "a", "one_of": ["a", "b"]}, {}, {"p": "a"}),
        ({"value": "a", "one_of": ["a"], "essential": True}, {}, {"p": "a"}),
        ({"default": ["a", "x"], "subset_of": ["a", "b"]}, {}, {"p": ["a"]}),
        ({"add": ["a"], "subset_of": ["a", "b"]}, {"p": ["b", "c"]}, {"p": ["b", "a"]}),
        ({"add": ["a"], "superset_of": ["a"]}, {"p": ["b"]}, {"p": ["b", "a"]}),
        ({"subset_of": ["a", "b"], "superset_of": ["a"]}, {"p": ["a", "c"]}, {"p": ["a"]}),
        ({"value": None, "essential": False}, {"p": "x"}, {}),
    ],
)
def test_6_1_3_1_operators_apply_in_order(
    operators: dict[str, Any], metadata: dict[str, Any], expected: dict[str, Any]
) -> None:
    assert apply_policy(metadata, {"p": operators}) == expected


def test_6_1_3_1_default_then_one_of_checks_the_default() -> None:
    _metadata_error(
        {},
        {"p": {"default": "c", "one_of": ["a", "b"]}},
        "metadata parameter 'p' value 'c' is not one of ['a', 'b']",
    )


def test_6_1_3_1_subset_of_then_superset_of_checks_the_intersection() -> None:
    _metadata_error(
        {"p": ["a", "c"]},
        {"p": {"subset_of": ["b", "c"], "superset_of": ["b"]}},
        "metadata parameter 'p' values ['c'] do not include ['b'], required by superset_of ['b']",
    )


def test_6_1_4_2_invalid_policy_is_rejected_before_application() -> None:
    with pytest.raises(InvalidPolicy) as info:
        apply_policy({"p": "a"}, {"p": {"add": ["a"], "one_of": ["a"]}})
    assert info.value.check == Check.METADATA_POLICY
    assert info.value.description == f"{P}: operators 'add' and 'one_of' cannot be combined"


def test_6_1_4_2_metadata_must_be_an_object() -> None:
    _metadata_error([], {}, "entity type metadata must be a JSON object, got array []")  # type: ignore[arg-type]


# --- apply_metadata_policy: per entity type ---------------------------------------------------


def test_6_1_4_2_apply_metadata_policy_per_entity_type() -> None:
    metadata = {"openid_relying_party": {"p": "a"}, "federation_entity": {"p": "z"}}
    policy: MetadataPolicy = {
        "openid_relying_party": {"p": {"value": "b"}},
        "openid_provider": {"q": {"essential": True}},
    }
    assert apply_metadata_policy(metadata, policy) == {
        "openid_relying_party": {"p": "b"},
        "federation_entity": {"p": "z"},
    }


def test_6_1_4_2_apply_metadata_policy_error_names_the_entity_type() -> None:
    metadata = {"openid_relying_party": {"token_endpoint_auth_method": "client_secret_basic"}}
    policy = {"openid_relying_party": {"token_endpoint_auth_method": {"one_of": ["private_key_jwt"]}}}
    with pytest.raises(InvalidMetadata) as info:
        apply_metadata_policy(metadata, policy)
    assert info.value.check == Check.METADATA
    assert info.value.description == (
        "entity type 'openid_relying_party': metadata parameter 'token_endpoint_auth_method' "
        "value 'client_secret_basic' is not one of ['private_key_jwt']"
    )


def test_6_1_4_2_apply_metadata_policy_invalid_policy_names_the_entity_type() -> None:
    with pytest.raises(InvalidPolicy) as info:
        apply_metadata_policy({"openid_provider": {}}, {"openid_provider": {"p": {"essential": "no"}}})
    assert info.value.check == Check.METADATA_POLICY
    assert info.value.description == (
        "entity type 'openid_provider': metadata policy for parameter 'p': "
        "operator 'essential' must be a boolean (true or false), got string 'no'"
    )


def test_6_1_4_2_application_does_not_mutate_inputs() -> None:
    metadata = {"openid_relying_party": {"contacts": ["a"], "grant_types": ["x", "y"], "gone": 1}}
    policy: MetadataPolicy = {
        "openid_relying_party": {
            "contacts": {"add": ["b"]},
            "grant_types": {"subset_of": ["x"]},
            "gone": {"value": None},
            "new": {"default": ["d"]},
        }
    }
    metadata_before, policy_before = copy.deepcopy(metadata), copy.deepcopy(policy)
    resolved = apply_metadata_policy(metadata, policy)
    assert resolved == {"openid_relying_party": {"contacts": ["a", "b"], "grant_types": ["x"], "new": ["d"]}}
    assert metadata == metadata_before
    assert policy == policy_before
    resolved["openid_relying_party"]["new"].append("mutated")
    assert policy == policy_before
