"""Vectors of Trust the provider asserts (RFC 8485 §3.1, §6.1) in GOV.UK One Login's values, and
``acr`` values for the level of confidence."""

from __future__ import annotations

import pytest

from idp.core.discovery import ACR_VALUES
from idp.core.identity import Identity
from idp.core.vectors import achieve, acr_for, identity_component
from schemas.gpg45 import LevelOfConfidence
from schemas.vot import VectorError


def identity(level: LevelOfConfidence | None) -> Identity:
    return Identity(level=level, verified_claims=None, check_methods=frozenset(), profiles=())


NONE, LOW, MEDIUM, HIGH, VERY_HIGH = (
    identity(None),
    identity(LevelOfConfidence.LOW),
    identity(LevelOfConfidence.MEDIUM),
    identity(LevelOfConfidence.HIGH),
    identity(LevelOfConfidence.VERY_HIGH),
)


@pytest.mark.parametrize(
    ("level", "expected"),
    [
        (None, "P0"),
        (LevelOfConfidence.LOW, "P1"),
        (LevelOfConfidence.MEDIUM, "P2"),
        (LevelOfConfidence.HIGH, "P3"),
    ],
)
def test_mapping_gpg45_levels_to_one_login_identity_values(
    level: LevelOfConfidence | None, expected: str
) -> None:
    assert identity_component(level) == expected


def test_mapping_very_high_is_capped_at_p3() -> None:
    assert identity_component(LevelOfConfidence.VERY_HIGH) == "P3"
    assert achieve(VERY_HIGH, "Cl", ["Cl.P3"]) == "P3.Cl"


def test_rfc8485_without_vtr_the_vot_is_what_was_achieved() -> None:
    assert achieve(NONE, "Cl", []) == "Cl"
    assert achieve(MEDIUM, "Cl", []) == "P2.Cl"
    assert achieve(HIGH, "Cl.Cm", ()) == "P3.Cl.Cm"


def test_rfc8485_section_6_1_first_satisfied_vector_in_request_order() -> None:
    assert achieve(MEDIUM, "Cl", ["Cl.Cm.P2", "Cl.P2", "Cl.P1"]) == "P2.Cl"
    assert achieve(MEDIUM, "Cl.Cm", ["Cl.Cm.P2", "Cl.P2"]) == "P2.Cl.Cm"


def test_rfc8485_vot_never_claims_more_than_was_asked() -> None:
    assert achieve(HIGH, "Cl.Cm", ["Cl.P1"]) == "P1.Cl"
    assert achieve(HIGH, "Cl.Cm", ["Cl"]) == "Cl"
    assert achieve(LOW, "Cl", ["Cl.P0"]) == "P0.Cl"


def test_rfc8485_unmet_vectors_give_none() -> None:
    assert achieve(LOW, "Cl", ["Cl.P2"]) is None
    assert achieve(HIGH, "Cl", ["Cl.Cm"]) is None
    assert achieve(NONE, "Cl.Cm", ["P1.Cl.Cm", "Cl.Cm.P2"]) is None
    assert achieve(HIGH, "Cl.Cm", ["Cl.Cm.P9"]) is None  # not a value of this trustmark


def test_rfc8485_section_3_1_malformed_vectors_raise() -> None:
    with pytest.raises(VectorError):
        achieve(LOW, "Cl", ["Cl..P1"])
    with pytest.raises(VectorError):
        achieve(LOW, "cl", [])


def test_acr_values_name_the_level_reached() -> None:
    values = [acr_for(i) for i in (NONE, LOW, MEDIUM, HIGH, VERY_HIGH)]
    assert values == list(ACR_VALUES)
