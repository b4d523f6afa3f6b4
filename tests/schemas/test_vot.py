"""Vectors of Trust (RFC 8485): vectors, vtr, vot matching and trustmarks."""

from __future__ import annotations

import json
from random import Random
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from schemas.gpg45 import LevelOfConfidence, profile
from schemas.vot import (
    NHS_LOGIN_IDENTITY_LEVELS,
    ONE_LOGIN_CREDENTIAL_LEVELS,
    ONE_LOGIN_IDENTITY_PROFILES,
    Trustmark,
    UntrustedVotError,
    Vector,
    VectorError,
    gov_uk_one_login_trustmark,
    nhs_login_trustmark,
    parse_vtr,
    trusted_pair,
    vot_matching,
    vot_satisfies_vtr,
)

ONE_LOGIN = "https://oidc.account.gov.uk/"
ONE_LOGIN_VTM = "https://oidc.account.gov.uk/trustmark"
NHS = "https://auth.login.nhs.uk/"
NHS_VTM = "https://auth.login.nhs.uk/trustmark/auth.login.nhs.uk"

_BAD = "a component is an uppercase letter A-Z (the category) followed by one letter or digit (the value)"

components = st.builds(
    lambda category, value: category + value,
    st.sampled_from("ABCDEFGHIJKLMNOPQRSTUVWXYZ"),
    st.sampled_from("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"),
)
vectors = st.frozensets(components, min_size=1, max_size=8).map(Vector)


def v(text: str) -> Vector:
    return Vector.parse(text)


# RFC 8485 §3.1: the vector and its wire form


def test_rfc8485_s3_1_parse_gives_the_set_of_components() -> None:
    assert v("Cl.Cm.P2").components == frozenset({"Cl", "Cm", "P2"})
    assert v("P9.Cp.Cd").category("C") == frozenset({"Cp", "Cd"})
    assert v("P9.Cp.Cd").category("M") == frozenset()


def test_rfc8485_s3_1_component_order_carries_no_meaning() -> None:
    assert v("Cm.P2.Cl") == v("Cl.Cm.P2") == v("P2.Cl.Cm")


@pytest.mark.parametrize(
    ("text", "canonical"),
    [
        ("Cl.Cm.P2", "P2.Cl.Cm"),
        ("P9.Cp.Cd", "P9.Cd.Cp"),
        ("Ab.Mc.Cz.P1", "P1.Cz.Ab.Mc"),
        ("Ca.C1.CA", "C1.CA.Ca"),
        ("M1", "M1"),
    ],
)
def test_rfc8485_s3_1_render_is_canonical_p_then_c_then_alphabetical(text: str, canonical: str) -> None:
    assert v(text).render() == canonical
    assert str(v(text)) == canonical


def test_rfc8485_s3_1_categories_in_canonical_order() -> None:
    assert v("Mc.Cl.Ab.P2.Cm").categories == ("P", "C", "A", "M")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "empty vector: a vector has at least one component"),
        ("Cl..Cm", "empty component in vector 'Cl..Cm': components are separated by one '.'"),
        ("Cl.", "empty component in vector 'Cl.': components are separated by one '.'"),
        (".P2", "empty component in vector '.P2': components are separated by one '.'"),
        ("cl", f"bad component 'cl' in vector 'cl': {_BAD}"),
        ("Cl.Cmm", f"bad component 'Cmm' in vector 'Cl.Cmm': {_BAD}"),
        ("C", f"bad component 'C' in vector 'C': {_BAD}"),
        ("Cl.C-", f"bad component 'C-' in vector 'Cl.C-': {_BAD}"),
        ("Cl Cm", f"bad component 'Cl Cm' in vector 'Cl Cm': {_BAD}"),
        ("P2\n", f"bad component 'P2\\n' in vector 'P2\\n': {_BAD}"),
        ("Cé", f"bad component 'Cé' in vector 'Cé': {_BAD}"),
        ("Cl.Cm.Cl", "duplicate component 'Cl' in vector 'Cl.Cm.Cl'"),
    ],
)
def test_rfc8485_s3_1_bad_vectors_are_refused_with_the_reason(text: str, message: str) -> None:
    with pytest.raises(VectorError) as raised:
        Vector.parse(text)
    assert str(raised.value) == message


def test_rfc8485_s3_1_a_vector_error_is_a_value_error() -> None:
    assert issubclass(VectorError, ValueError)


@pytest.mark.parametrize(
    ("components", "message"),
    [
        (frozenset(), "empty vector: a vector has at least one component"),
        (frozenset({"Cl", "c1"}), f"bad component 'c1': {_BAD}"),
    ],
)
def test_rfc8485_s3_1_a_vector_built_directly_is_checked(components: frozenset[str], message: str) -> None:
    with pytest.raises(VectorError) as raised:
        Vector(components)
    assert str(raised.value) == message


@pytest.mark.parametrize("letter", ["", "c", "CC", "1"])
def test_rfc8485_s3_1_category_letter_is_one_uppercase_letter(letter: str) -> None:
    with pytest.raises(VectorError) as raised:
        v("Cl").category(letter)
    assert str(raised.value) == f"{letter!r} is not a category: a category is one uppercase letter A-Z"


@given(vectors)
def test_rfc8485_s3_1_render_then_parse_round_trips(vector: Vector) -> None:
    assert Vector.parse(vector.render()) == vector


@given(vectors, st.randoms())
def test_rfc8485_s3_1_any_order_parses_to_the_same_vector(vector: Vector, random: Random) -> None:
    parts = sorted(vector.components)
    random.shuffle(parts)
    assert Vector.parse(".".join(parts)) == vector


# RFC 8485 §6.1: the vtr request


@pytest.mark.parametrize(
    "value",
    ['["Cl.Cm.P2", "Cl.Cm"]', ["Cl.Cm.P2", "Cl.Cm"]],
)
def test_rfc8485_s6_1_vtr_is_a_json_array_of_vectors(value: str | list[str]) -> None:
    assert parse_vtr(value) == (v("Cl.Cm.P2"), v("Cl.Cm"))


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("Cl.Cm", "vtr is not valid JSON: it must be a JSON array of vector strings"),
        ('["Cl"', "vtr is not valid JSON: it must be a JSON array of vector strings"),
        ('"Cl.Cm"', "vtr must be a JSON array of vector strings, not a string"),
        ('{"vtr": ["Cl"]}', "vtr must be a JSON array of vector strings, not an object"),
        ("null", "vtr must be a JSON array of vector strings, not null"),
        ("2", "vtr must be a JSON array of vector strings, not a number"),
        ("[]", "vtr is an empty array: it must request at least one vector"),
        ([], "vtr is an empty array: it must request at least one vector"),
        ('["Cl", 2]', "vtr[1] must be a string, not a number"),
        ('["Cl", null]', "vtr[1] must be a string, not null"),
        ('[["Cl"]]', "vtr[0] must be a string, not an array"),
        ("[true]", "vtr[0] must be a string, not a boolean"),
        ('["Cl", ""]', "vtr[1]: empty vector: a vector has at least one component"),
        ('["Cl.cm"]', f"vtr[0]: bad component 'cm' in vector 'Cl.cm': {_BAD}"),
    ],
)
def test_rfc8485_s6_1_bad_vtr_is_refused_with_the_reason(value: Any, message: str) -> None:
    with pytest.raises(VectorError) as raised:
        parse_vtr(value)
    assert str(raised.value) == message


# RFC 8485 §3.1 / §6: matching a vot against a vtr


def test_rfc8485_s3_1_components_are_anded() -> None:
    assert vot_satisfies_vtr(v("Cl.Cm.P2"), [v("Cl.Cm.P2")])
    assert not vot_satisfies_vtr(v("Cl.P2"), [v("Cl.Cm.P2")])
    assert not vot_satisfies_vtr(v("Cl.Cm.P1"), [v("Cl.Cm.P2")])


def test_rfc8485_s6_vectors_in_a_vtr_are_ored() -> None:
    vtr = parse_vtr('["Cl.Cm.P2", "Cl.Cm.P1"]')
    assert vot_satisfies_vtr(v("Cl.Cm.P1"), vtr)
    assert vot_matching(v("Cl.Cm.P1"), vtr) == v("Cl.Cm.P1")
    assert not vot_satisfies_vtr(v("Cl.P1"), vtr)
    assert vot_matching(v("Cl.P1"), vtr) is None


def test_rfc8485_s6_vot_may_carry_more_than_requested() -> None:
    assert vot_matching(v("Cl.Cm.P2"), [v("Cl")]) == v("Cl")


def test_rfc8485_s6_first_satisfied_vector_in_vtr_order_is_matched() -> None:
    assert vot_matching(v("Cl.Cm.P2"), [v("Cl.Cm.P3"), v("Cl.Cm"), v("Cl")]) == v("Cl.Cm")


def test_rfc8485_s6_empty_vtr_is_never_satisfied() -> None:
    assert not vot_satisfies_vtr(v("Cl"), [])


@given(vectors, st.lists(vectors, max_size=3))
def test_rfc8485_s6_a_vot_satisfies_a_vtr_containing_itself(vot: Vector, others: list[Vector]) -> None:
    assert vot_satisfies_vtr(vot, [*others, vot])


@given(vectors, vectors)
def test_rfc8485_s3_1_satisfied_exactly_when_requested_is_a_subset(vot: Vector, requested: Vector) -> None:
    assert vot_satisfies_vtr(vot, [requested]) == (requested.components <= vot.components)


# RFC 8485 §5: trustmarks


def _one_login() -> Trustmark:
    return gov_uk_one_login_trustmark(ONE_LOGIN, ONE_LOGIN)


def _nhs() -> Trustmark:
    return nhs_login_trustmark(NHS, NHS)


def test_rfc8485_s5_one_login_trustmark_document() -> None:
    assert _one_login().to_json_dict() == {
        "idp": ONE_LOGIN,
        "trustmark_provider": ONE_LOGIN,
        "C": ["Cl", "Cl.Cm"],
        "P": ["P0", "P1", "P2", "P3"],
    }


def test_rfc8485_s5_nhs_login_trustmark_document() -> None:
    assert _nhs().to_json_dict() == {
        "idp": NHS,
        "trustmark_provider": NHS,
        "P": ["P0", "P5", "P9"],
        "C": ["Cp", "Cd", "Ck", "Cm"],
    }


def test_rfc8485_s5_trustmark_parses_from_json() -> None:
    text = json.dumps({"idp": ONE_LOGIN, "trustmark_provider": ONE_LOGIN, "C": ["Cl", "Cl.Cm"], "P": ["P2"]})
    trustmark = Trustmark.model_validate_json(text)
    assert trustmark.values("C") == (v("Cl"), v("Cl.Cm"))
    assert trustmark.values("M") == ()


@pytest.mark.parametrize("vot", ["Cl", "Cl.Cm", "Cl.Cm.P2", "P0.Cl", "Cm.Cl.P3", "P1"])
def test_rfc8485_s5_one_login_allows_listed_combinations(vot: str) -> None:
    assert _one_login().allows(v(vot))
    assert _one_login().refusal(v(vot)) is None


@pytest.mark.parametrize(
    ("vot", "reason"),
    [
        ("Cm", "'Cm' is not a listed C value"),
        ("Cm.P2", "'Cm' is not a listed C value"),
        ("Cl.Cp.P2", "'Cl.Cp' is not a listed C value"),
        ("Cl.Cm.P9", "'P9' is not a listed P value"),
        ("Cl.Cm.A1", "the trustmark lists no A values"),
    ],
)
def test_rfc8485_s5_one_login_refuses_unlisted_values(vot: str, reason: str) -> None:
    assert not _one_login().allows(v(vot))
    assert _one_login().refusal(v(vot)) == reason


@pytest.mark.parametrize("vot", ["P9.Cp.Cd", "P5.Cp", "P0.Cp.Cd.Ck.Cm", "Cd"])
def test_rfc8485_s5_nhs_login_single_components_match_one_by_one(vot: str) -> None:
    assert _nhs().allows(v(vot))


@pytest.mark.parametrize(
    ("vot", "reason"),
    [("P9.Cp.Cl", "'Cl' is not a listed C value"), ("P2.Cp", "'P2' is not a listed P value")],
)
def test_rfc8485_s5_nhs_login_refuses_unlisted_components(vot: str, reason: str) -> None:
    assert _nhs().refusal(v(vot)) == reason


def _document(**categories: Any) -> str:
    return json.dumps({"idp": ONE_LOGIN, "trustmark_provider": ONE_LOGIN, **categories})


@pytest.mark.parametrize(
    ("document", "message"),
    [
        (_document(c=["Cl"]), "member 'c' is not a category: a category is one uppercase letter A-Z"),
        (_document(CC=["Cl"]), "member 'CC' is not a category: a category is one uppercase letter A-Z"),
        (_document(C=[]), "category 'C' lists no values"),
        (
            _document(C=["Cl", "Cl..Cm"]),
            "category 'C': empty component in vector 'Cl..Cm': components are separated by one '.'",
        ),
        (_document(C=["Cl.P2"]), "category 'C' lists 'Cl.P2', whose component 'P2' is not of category C"),
        (_document(C=["Cl.Cm", "Cm.Cl"]), "category 'C' lists 'Cl.Cm' twice"),
    ],
)
def test_rfc8485_s5_bad_trustmark_category_is_refused(document: str, message: str) -> None:
    with pytest.raises(ValidationError) as raised:
        Trustmark.model_validate_json(document)
    assert [error["msg"] for error in raised.value.errors()] == [f"Value error, {message}"]


@pytest.mark.parametrize(
    ("document", "location"),
    [
        (_document(C="Cl"), ("C",)),
        (_document(C=["Cl", 1]), ("C", 1)),
        (json.dumps({"idp": ONE_LOGIN, "C": ["Cl"]}), ("trustmark_provider",)),
        (json.dumps({"idp": "oidc.account.gov.uk", "trustmark_provider": ONE_LOGIN}), ("idp",)),
        (json.dumps({"idp": None, "trustmark_provider": ONE_LOGIN}), ("idp",)),
    ],
)
def test_rfc8485_s5_trustmark_members_are_typed(document: str, location: tuple[str | int, ...]) -> None:
    with pytest.raises(ValidationError) as raised:
        Trustmark.model_validate_json(document)
    assert [error["loc"] for error in raised.value.errors()] == [location]


def test_rfc8485_s5_trustmark_json_schema_allows_only_category_members() -> None:
    schema = Trustmark.model_json_schema()
    assert schema["additionalProperties"] is False
    assert list(schema["patternProperties"]) == ["^[A-Z]$"]
    assert schema["required"] == ["idp", "trustmark_provider"]


@given(st.sampled_from(["Cl", "Cl.Cm"]), st.sampled_from(["P0", "P1", "P2", "P3"]))
def test_rfc8485_s5_any_listed_one_login_combination_is_allowed(credential: str, identity: str) -> None:
    assert _one_login().allows(v(f"{credential}.{identity}"))


# RFC 8485 §5: the relying party checks the (vtm, vot) pair


def test_rfc8485_s5_trusted_pair_returns_the_trustmark() -> None:
    trusted = {ONE_LOGIN_VTM: _one_login(), NHS_VTM: _nhs()}
    assert trusted_pair(ONE_LOGIN_VTM, v("Cl.Cm.P2"), trusted, issuer=ONE_LOGIN) == _one_login()
    assert trusted_pair(NHS_VTM, v("P9.Cp.Cd"), trusted) == _nhs()


@pytest.mark.parametrize(
    ("vtm", "vot", "issuer", "message"),
    [
        (
            "https://evil.example/trustmark",
            "Cl.Cm.P2",
            None,
            "vtm 'https://evil.example/trustmark' is not a trustmark this relying party trusts",
        ),
        (
            ONE_LOGIN_VTM,
            "Cl.Cm.P2",
            NHS,
            f"trustmark '{ONE_LOGIN_VTM}' is for IdP '{ONE_LOGIN}', not issuer '{NHS}'",
        ),
        (
            ONE_LOGIN_VTM,
            "P9.Cp.Cd",
            None,
            f"trustmark '{ONE_LOGIN_VTM}' does not allow vot 'P9.Cd.Cp': 'P9' is not a listed P value",
        ),
        (
            NHS_VTM,
            "Cl.Cm.P2",
            None,
            f"trustmark '{NHS_VTM}' does not allow vot 'P2.Cl.Cm': 'P2' is not a listed P value",
        ),
    ],
)
def test_rfc8485_s5_pair_is_refused_with_the_reason(
    vtm: str, vot: str, issuer: str | None, message: str
) -> None:
    trusted = {ONE_LOGIN_VTM: _one_login(), NHS_VTM: _nhs()}
    with pytest.raises(UntrustedVotError) as raised:
        trusted_pair(vtm, v(vot), trusted, issuer=issuer)
    assert str(raised.value) == message


# GOV.UK One Login and NHS login level meanings (data)


def test_one_login_identity_levels_stand_for_gpg45_profiles() -> None:
    assert dict(ONE_LOGIN_IDENTITY_PROFILES) == {
        "P0": (),
        "P1": ("L1A",),
        "P2": ("M1A", "M1B", "M2B", "M1C"),
        "P3": ("H1A",),
    }
    levels = {
        level: {profile(name).level for name in names} for level, names in ONE_LOGIN_IDENTITY_PROFILES.items()
    }
    assert levels == {
        "P0": set(),
        "P1": {LevelOfConfidence.LOW},
        "P2": {LevelOfConfidence.MEDIUM},
        "P3": {LevelOfConfidence.HIGH},
    }


def test_one_login_and_nhs_level_tables_use_trustmark_values() -> None:
    assert {v(key) for key in ONE_LOGIN_IDENTITY_PROFILES} == set(_one_login().values("P"))
    assert {v(key) for key in ONE_LOGIN_CREDENTIAL_LEVELS} == set(_one_login().values("C"))
    assert {v(key) for key in NHS_LOGIN_IDENTITY_LEVELS} == set(_nhs().values("P"))
