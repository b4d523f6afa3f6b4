"""Metadata policy merging and trust chain resolution (OpenID Federation 1.0 §6.1.4.1, §6.1.5)."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from federation.errors import Check, InvalidMetadata, InvalidPolicy
from federation.metadata_policy import (
    STANDARD_OPERATORS,
    MetadataPolicy,
    Policy,
    apply_metadata_policy,
    apply_policy,
    check_policy,
    merge_chain,
    merge_policies,
)

CANNOT = "cannot merge metadata policies for parameter 'p'"
MERGED = "merged metadata policy for parameter 'p'"


def _merge_error(
    superior: Policy,
    subordinate: Policy,
    message: str,
    *,
    check: Check = Check.METADATA_POLICY,
    crit: Any = (),
) -> None:
    with pytest.raises(InvalidPolicy) as info:
        merge_policies(superior, subordinate, crit=crit)
    assert type(info.value) is InvalidPolicy
    assert info.value.check == check
    assert info.value.description == message


# --- §6.1.3.1.1-§6.1.3.1.7: operator value merge, compatible ----------------------------------

MERGE_OK: list[tuple[str, dict[str, Any], dict[str, Any], dict[str, Any]]] = [
    ("value equal", {"value": "a"}, {"value": "a"}, {"value": "a"}),
    ("value null equal", {"value": None}, {"value": None}, {"value": None}),
    (
        "value object key order",
        {"value": {"x": 1, "y": 2}},
        {"value": {"y": 2, "x": 1}},
        {"value": {"x": 1, "y": 2}},
    ),
    ("add union", {"add": ["a", "b"]}, {"add": ["c", "a"]}, {"add": ["a", "b", "c"]}),
    ("default equal", {"default": ["a", "b"]}, {"default": ["a", "b"]}, {"default": ["a", "b"]}),
    ("one_of intersection", {"one_of": ["a", "b", "c"]}, {"one_of": ["c", "b", "d"]}, {"one_of": ["b", "c"]}),
    (
        "subset_of intersection",
        {"subset_of": ["a", "b", "c"]},
        {"subset_of": ["c", "a"]},
        {"subset_of": ["a", "c"]},
    ),
    ("subset_of empty allowed", {"subset_of": ["a"]}, {"subset_of": ["b"]}, {"subset_of": []}),
    ("superset_of union", {"superset_of": ["a"]}, {"superset_of": ["b", "a"]}, {"superset_of": ["a", "b"]}),
    ("essential false+true", {"essential": False}, {"essential": True}, {"essential": True}),
    ("essential true+false", {"essential": True}, {"essential": False}, {"essential": True}),
    ("essential false+false", {"essential": False}, {"essential": False}, {"essential": False}),
    ("operator copied", {"one_of": ["a"]}, {"essential": True}, {"one_of": ["a"], "essential": True}),
    ("numbers", {"one_of": [1, 2]}, {"one_of": [2.0, 3]}, {"one_of": [2]}),
]


@pytest.mark.parametrize(
    ("case", "superior", "subordinate", "expected"), MERGE_OK, ids=[c[0] for c in MERGE_OK]
)
def test_6_1_4_1_operator_merge_compatible(
    case: str, superior: dict[str, Any], subordinate: dict[str, Any], expected: dict[str, Any]
) -> None:
    assert merge_policies({"p": superior}, {"p": subordinate}) == {"p": expected}


# --- §6.1.3.1.1-§6.1.3.1.7: operator value merge, conflicting ---------------------------------

MERGE_FAIL: list[tuple[str, dict[str, Any], dict[str, Any], str]] = [
    ("value differs", {"value": "a"}, {"value": "b"}, f"{CANNOT}: operator 'value' differs: superior 'a', subordinate 'b'"),
    ("value null vs string", {"value": None}, {"value": "a"}, f"{CANNOT}: operator 'value' differs: superior null, subordinate 'a'"),
    ("value array order", {"value": ["a", "b"]}, {"value": ["b", "a"]},
     f"{CANNOT}: operator 'value' differs: superior ['a', 'b'], subordinate ['b', 'a']"),
    ("value true vs 1", {"value": True}, {"value": 1}, f"{CANNOT}: operator 'value' differs: superior true, subordinate 1"),
    ("add breaks subset_of", {"add": ["a"], "subset_of": ["a", "b"]}, {"add": ["c"]},
     f"{MERGED}: operators 'add' and 'subset_of' cannot be combined here: "
     "'add' ['a', 'c'] is not a subset of 'subset_of' ['a', 'b'] (['c'] not allowed)"),
    ("default differs", {"default": "a"}, {"default": "b"}, f"{CANNOT}: operator 'default' differs: superior 'a', subordinate 'b'"),
    ("one_of empty", {"one_of": ["a", "b"]}, {"one_of": ["c"]},
     f"{CANNOT}: operator 'one_of' has no value in common: superior ['a', 'b'], subordinate ['c']"),
    ("subset_of breaks superset_of", {"subset_of": ["a", "b"], "superset_of": ["a"]}, {"subset_of": ["b"]},
     f"{MERGED}: operators 'subset_of' and 'superset_of' cannot be combined here: "
     "'subset_of' ['b'] is not a superset of 'superset_of' ['a'] (['a'] missing)"),
    ("superset_of breaks subset_of", {"subset_of": ["a", "b"]}, {"superset_of": ["c"]},
     f"{MERGED}: operators 'subset_of' and 'superset_of' cannot be combined here: "
     "'subset_of' ['a', 'b'] is not a superset of 'superset_of' ['c'] (['c'] missing)"),
    ("essential breaks value null", {"value": None}, {"essential": True},
     f"{MERGED}: operators 'value' and 'essential' cannot be combined here: "
     "'value' is null (the parameter is removed) but 'essential' is true"),
    ("value not in subordinate one_of", {"value": "a"}, {"one_of": ["b"]},
     f"{MERGED}: operators 'value' and 'one_of' cannot be combined here: 'value' 'a' is not one of ['b']"),
    ("forbidden pair across levels", {"one_of": ["a"]}, {"subset_of": ["a"]},
     f"{MERGED}: operators 'one_of' and 'subset_of' cannot be combined"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("case", "superior", "subordinate", "message"), MERGE_FAIL, ids=[c[0] for c in MERGE_FAIL]
)
def test_6_1_4_1_operator_merge_conflicting(
    case: str, superior: dict[str, Any], subordinate: dict[str, Any], message: str
) -> None:
    _merge_error({"p": superior}, {"p": subordinate}, message)


def test_6_1_4_1_inputs_are_validated_before_merging() -> None:
    _merge_error(
        {"p": {"essential": "yes"}},
        {},
        "superior metadata policy for parameter 'p': operator 'essential' must be a boolean (true or false), "
        "got string 'yes'",
    )
    _merge_error(
        {},
        {"p": {"add": ["a"], "one_of": ["a"]}},
        "subordinate metadata policy for parameter 'p': operators 'add' and 'one_of' cannot be combined",
    )


def test_6_1_4_1_parameters_only_on_one_side_are_copied_superior_first() -> None:
    merged = merge_policies(
        {"a": {"value": 1}, "p": {"add": ["x"]}}, {"p": {"add": ["y"]}, "b": {"default": 2}}
    )
    assert merged == {"a": {"value": 1}, "p": {"add": ["x", "y"]}, "b": {"default": 2}}
    assert list(merged) == ["a", "p", "b"]


def test_6_1_3_2_unknown_operators_are_ignored_and_dropped_when_merging() -> None:
    merged = merge_policies({"p": {"regexp": "^a", "one_of": ["a"]}}, {"p": {"regexp": "^b"}, "q": {"x": 1}})
    assert merged == {"p": {"one_of": ["a"]}, "q": {}}


def test_6_1_3_2_critical_unknown_operator_fails_the_merge() -> None:
    _merge_error(
        {"p": {"one_of": ["a"]}},
        {"p": {"regexp": "^a"}},
        "subordinate metadata policy for parameter 'p' uses the critical operator 'regexp' "
        "(listed in metadata_policy_crit), which is not supported",
        check=Check.METADATA_POLICY_CRIT,
        crit=["regexp"],
    )


def test_6_1_4_1_merge_does_not_mutate_inputs() -> None:
    superior: Policy = {"p": {"add": ["a"], "subset_of": ["a", "b"]}, "q": {"value": ["v"]}}
    subordinate: Policy = {"p": {"add": ["b"], "essential": True}, "r": {"default": ["d"]}}
    before = copy.deepcopy((superior, subordinate))
    merged = merge_policies(superior, subordinate)
    assert merged == {
        "p": {"add": ["a", "b"], "subset_of": ["a", "b"], "essential": True},
        "q": {"value": ["v"]},
        "r": {"default": ["d"]},
    }
    merged["q"]["value"].append("mutated")
    merged["r"]["default"].append("mutated")
    merged["p"]["add"].append("mutated")
    assert (superior, subordinate) == before


# --- merge_chain (§6.1.4.1) -------------------------------------------------------------------


def test_6_1_4_1_merge_chain_of_nothing_is_empty() -> None:
    assert merge_chain([]) == {}


def test_6_1_4_1_merge_chain_merges_per_entity_type_from_the_anchor_down() -> None:
    anchor: MetadataPolicy = {
        "openid_relying_party": {"p": {"one_of": ["a", "b", "c"]}},
        "openid_provider": {"q": {"essential": True}},
    }
    intermediate: MetadataPolicy = {
        "openid_relying_party": {"p": {"one_of": ["c", "b"]}, "r": {"x-custom": 1}}
    }
    lower: MetadataPolicy = {
        "openid_relying_party": {"p": {"default": "b"}},
        "federation_entity": {"s": {"add": ["z"]}},
    }
    assert merge_chain([anchor, intermediate, lower]) == {
        "openid_relying_party": {"p": {"one_of": ["b", "c"], "default": "b"}, "r": {}},
        "openid_provider": {"q": {"essential": True}},
        "federation_entity": {"s": {"add": ["z"]}},
    }


def test_6_1_4_1_merge_chain_error_names_entity_type_and_position() -> None:
    anchor: MetadataPolicy = {"openid_relying_party": {"p": {"value": "a"}}}
    intermediate: MetadataPolicy = {"openid_relying_party": {"p": {"value": "b"}}}
    with pytest.raises(InvalidPolicy) as info:
        merge_chain([anchor, {}, intermediate])
    assert info.value.check == Check.METADATA_POLICY
    assert info.value.description == (
        f"entity type 'openid_relying_party': {CANNOT}: operator 'value' differs: superior 'a', subordinate 'b'"
    )
    assert info.value.detail == "metadata_policy at chain position 2 (0 = trust anchor)"


def test_6_1_4_1_merge_chain_validates_a_single_policy() -> None:
    with pytest.raises(InvalidPolicy) as info:
        merge_chain([{"openid_provider": {"p": {"regexp": "x"}}}], crit={"regexp"})
    assert info.value.check == Check.METADATA_POLICY_CRIT
    assert info.value.description == (
        "entity type 'openid_provider': metadata policy for parameter 'p' uses the critical operator 'regexp' "
        "(listed in metadata_policy_crit), which is not supported"
    )
    with pytest.raises(InvalidPolicy) as info:
        merge_chain([["not", "an", "object"]])  # type: ignore[list-item]
    assert info.value.description == (
        "metadata_policy must be a JSON object of entity type policies, got array ['not', 'an', 'object']"
    )


# --- §6.1.5: the specification's worked example -----------------------------------------------

TA_POLICY: MetadataPolicy = {
    "openid_relying_party": {
        "grant_types": {
            "default": ["authorization_code"],
            "subset_of": ["authorization_code", "refresh_token"],
            "superset_of": ["authorization_code"],
        },
        "token_endpoint_auth_method": {
            "one_of": ["private_key_jwt", "self_signed_tls_client_auth"],
            "essential": True,
        },
        "token_endpoint_auth_signing_alg": {"one_of": ["PS256", "ES256"]},
        "subject_type": {"value": "pairwise"},
        "contacts": {"add": ["helpdesk@federation.example.org"]},
    }
}
INTERMEDIATE_POLICY: MetadataPolicy = {
    "openid_relying_party": {
        "grant_types": {"subset_of": ["authorization_code"]},
        "token_endpoint_auth_method": {"one_of": ["self_signed_tls_client_auth"]},
        "contacts": {"add": ["helpdesk@org.example.org"]},
    }
}
INTERMEDIATE_METADATA = {
    "sector_identifier_uri": "https://org.example.org/sector-ids.json",
    "policy_uri": "https://org.example.org/policy.html",
}
LEAF_METADATA = {
    "redirect_uris": ["https://rp.example.org/callback"],
    "response_types": ["code"],
    "token_endpoint_auth_method": "self_signed_tls_client_auth",
    "contacts": ["rp_admins@rp.example.org"],
}


def test_6_1_5_example_merged_policy() -> None:
    assert merge_chain([TA_POLICY, INTERMEDIATE_POLICY]) == {
        "openid_relying_party": {
            "grant_types": {
                "default": ["authorization_code"],
                "superset_of": ["authorization_code"],
                "subset_of": ["authorization_code"],
            },
            "token_endpoint_auth_method": {"one_of": ["self_signed_tls_client_auth"], "essential": True},
            "token_endpoint_auth_signing_alg": {"one_of": ["PS256", "ES256"]},
            "subject_type": {"value": "pairwise"},
            "contacts": {"add": ["helpdesk@federation.example.org", "helpdesk@org.example.org"]},
        }
    }


def test_6_1_5_example_resolved_metadata() -> None:
    merged = merge_chain([TA_POLICY, INTERMEDIATE_POLICY])
    # §6.1.4.2: the immediate superior's ``metadata`` claim is applied first (by the caller).
    metadata = {"openid_relying_party": {**LEAF_METADATA, **INTERMEDIATE_METADATA}}
    assert apply_metadata_policy(metadata, merged) == {
        "openid_relying_party": {
            "redirect_uris": ["https://rp.example.org/callback"],
            "grant_types": ["authorization_code"],
            "response_types": ["code"],
            "token_endpoint_auth_method": "self_signed_tls_client_auth",
            "subject_type": "pairwise",
            "sector_identifier_uri": "https://org.example.org/sector-ids.json",
            "policy_uri": "https://org.example.org/policy.html",
            "contacts": [
                "rp_admins@rp.example.org",
                "helpdesk@federation.example.org",
                "helpdesk@org.example.org",
            ],
        }
    }


def test_6_1_5_example_rejects_leaf_with_other_auth_method() -> None:
    merged = merge_chain([TA_POLICY, INTERMEDIATE_POLICY])
    metadata = {"openid_relying_party": {**LEAF_METADATA, "token_endpoint_auth_method": "private_key_jwt"}}
    with pytest.raises(InvalidMetadata) as info:
        apply_metadata_policy(metadata, merged)
    assert info.value.check == Check.METADATA
    assert info.value.description == (
        "entity type 'openid_relying_party': metadata parameter 'token_endpoint_auth_method' "
        "value 'private_key_jwt' is not one of ['self_signed_tls_client_auth']"
    )


def test_6_1_5_example_inputs_are_not_mutated() -> None:
    before = copy.deepcopy((TA_POLICY, INTERMEDIATE_POLICY, LEAF_METADATA))
    apply_metadata_policy(
        {"openid_relying_party": LEAF_METADATA}, merge_chain([TA_POLICY, INTERMEDIATE_POLICY])
    )
    assert before == (TA_POLICY, INTERMEDIATE_POLICY, LEAF_METADATA)


# --- properties -------------------------------------------------------------------------------

ELEMENT = st.sampled_from(["a", "b", "c", "d"])
ARRAY = st.lists(ELEMENT, unique=True, max_size=4)
OPERATOR_VALUES: dict[str, st.SearchStrategy[Any]] = {
    "value": st.one_of(st.none(), ELEMENT, ARRAY),
    "add": ARRAY,
    "default": st.one_of(ELEMENT, ARRAY),
    "one_of": ARRAY.filter(bool),
    "subset_of": ARRAY,
    "superset_of": ARRAY,
    "essential": st.booleans(),
}


@st.composite
def _parameter_policies(draw: st.DrawFn) -> dict[str, Any]:
    """A valid parameter policy: operators drawn in random order, each kept only if still valid."""
    operators: dict[str, Any] = {}
    for op in draw(st.permutations(STANDARD_OPERATORS)):
        if draw(st.booleans()):
            candidate = {**operators, op: draw(OPERATOR_VALUES[op])}
            try:
                check_policy({"p": candidate})
            except InvalidPolicy:
                continue
            operators = candidate
    return operators


POLICIES = st.dictionaries(st.sampled_from(["p", "q", "r"]), _parameter_policies(), max_size=3)


@given(POLICIES)
def test_property_merging_with_an_empty_policy_is_identity(policy: Policy) -> None:
    assert merge_policies(policy, {}) == policy
    assert merge_policies({}, policy) == policy


@given(POLICIES)
def test_property_merging_a_policy_with_itself_is_identity(policy: Policy) -> None:
    assert merge_policies(policy, policy) == policy


@given(ARRAY, ARRAY)
def test_property_subset_of_merge_is_commutative_as_a_set(a: list[str], b: list[str]) -> None:
    ab = merge_policies({"p": {"subset_of": a}}, {"p": {"subset_of": b}})["p"]["subset_of"]
    ba = merge_policies({"p": {"subset_of": b}}, {"p": {"subset_of": a}})["p"]["subset_of"]
    assert set(ab) == set(ba) == set(a) & set(b)
    assert ab == [x for x in a if x in b]  # superior's order


@given(ARRAY, ARRAY)
def test_property_add_and_superset_of_merge_is_union_superior_first(a: list[str], b: list[str]) -> None:
    for op in ("add", "superset_of"):
        merged = merge_policies({"p": {op: a}}, {"p": {op: b}})["p"][op]
        assert merged == a + [x for x in b if x not in a]


@given(
    POLICIES, st.dictionaries(st.sampled_from(["p", "q", "r", "s"]), st.one_of(ELEMENT, ARRAY), max_size=4)
)
def test_property_applying_a_policy_twice_changes_nothing(policy: Policy, metadata: dict[str, Any]) -> None:
    try:
        once = apply_policy(metadata, policy)
    except InvalidMetadata:
        assume(False)
        raise
    assert apply_policy(once, policy) == once
