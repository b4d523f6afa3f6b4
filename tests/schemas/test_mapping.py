"""The federation's mapping policy between GPG 45, GOV.UK One Login, NHS login and eIDAS."""

from __future__ import annotations

from dataclasses import FrozenInstanceError

import pytest
from hypothesis import given
from hypothesis import strategies as st

from schemas.evidence import PHYSICAL_OR_BIOMETRIC_COMPARISON, CheckMethod
from schemas.gpg45 import LevelOfConfidence, profile
from schemas.mapping import (
    MAPPING_TABLE,
    eidas_level,
    mapping_row,
    mapping_table_markdown,
    nhs_login_level,
    one_login_level,
)
from schemas.vot import ONE_LOGIN_IDENTITY_PROFILES

L = LevelOfConfidence
NO_COMPARISON = sorted(set(CheckMethod) - PHYSICAL_OR_BIOMETRIC_COMPARISON)


@pytest.mark.parametrize(
    ("level", "expected"),
    [(None, "P0"), (L.LOW, "P1"), (L.MEDIUM, "P2"), (L.HIGH, "P3"), (L.VERY_HIGH, None)],
)
def test_gpg45_mapping_one_login_levels(level: LevelOfConfidence | None, expected: str | None) -> None:
    assert one_login_level(level) == expected


@pytest.mark.parametrize(
    ("level", "expected"),
    [(None, None), (L.LOW, "low"), (L.MEDIUM, "substantial"), (L.HIGH, "high"), (L.VERY_HIGH, "high")],
)
def test_gpg45_mapping_eidas_levels(level: LevelOfConfidence | None, expected: str | None) -> None:
    assert eidas_level(level) == expected


@pytest.mark.parametrize(
    ("level", "methods", "expected"),
    [
        (None, [], "P0"),
        (None, [CheckMethod.BVR], "P0"),
        (L.LOW, [CheckMethod.KBV], "P5"),
        (L.LOW, [CheckMethod.PVP], "P5"),
        (L.HIGH, [CheckMethod.VCRYPT, CheckMethod.BVR], "P9"),
        (L.HIGH, [CheckMethod.VDIG], "P9"),
        (L.VERY_HIGH, [CheckMethod.PVP], "P9"),
    ],
)
def test_gpg45_mapping_nhs_login_levels(
    level: LevelOfConfidence | None, methods: list[CheckMethod], expected: str
) -> None:
    assert nhs_login_level(level, methods) == expected


@pytest.mark.parametrize("method", sorted(PHYSICAL_OR_BIOMETRIC_COMPARISON))
def test_gpg45_mapping_medium_with_photo_comparison_is_nhs_p9(method: CheckMethod) -> None:
    assert nhs_login_level(L.MEDIUM, [CheckMethod.VDIG, method]) == "P9"


@pytest.mark.parametrize("methods", [[], [CheckMethod.KBV], NO_COMPARISON])
def test_gpg45_mapping_medium_without_photo_comparison_is_nhs_p5(methods: list[CheckMethod]) -> None:
    assert nhs_login_level(L.MEDIUM, methods) == "P5"


def test_gpg45_mapping_check_methods_may_be_any_iterable() -> None:
    assert nhs_login_level(L.MEDIUM, iter([CheckMethod.BVR])) == "P9"
    assert nhs_login_level(L.MEDIUM, (m for m in [CheckMethod.KBV])) == "P5"


@given(st.sets(st.sampled_from(sorted(CheckMethod))))
def test_gpg45_mapping_medium_is_p9_exactly_with_a_comparison(methods: set[CheckMethod]) -> None:
    expected = "P9" if methods & PHYSICAL_OR_BIOMETRIC_COMPARISON else "P5"
    assert nhs_login_level(L.MEDIUM, methods) == expected


def test_gpg45_mapping_table_has_one_row_per_level_in_order() -> None:
    assert [row.gpg45 for row in MAPPING_TABLE] == [None, L.LOW, L.MEDIUM, L.HIGH, L.VERY_HIGH]
    assert all(row.note for row in MAPPING_TABLE)


def test_gpg45_mapping_rows_are_frozen() -> None:
    with pytest.raises(FrozenInstanceError):
        MAPPING_TABLE[0].note = "changed"  # type: ignore[misc]


def test_gpg45_mapping_row_lookup() -> None:
    assert mapping_row(L.MEDIUM).nhs_login == "P5"
    assert mapping_row(L.MEDIUM).nhs_login_with_comparison == "P9"


def test_gpg45_mapping_agrees_with_one_login_profiles() -> None:
    """Every profile One Login lists for a P level has a GPG 45 level this policy maps to that P level."""
    for level, names in ONE_LOGIN_IDENTITY_PROFILES.items():
        for name in names:
            assert one_login_level(profile(name).level) == level


def test_gpg45_mapping_table_markdown() -> None:
    assert mapping_table_markdown() == (
        "_This federation's policy, not an official equivalence between the frameworks._\n"
        "\n"
        "| GPG 45 | One Login | NHS login | eIDAS LoA | Note |\n"
        "|---|---|---|---|---|\n"
        "| none | P0 | P0 | - | No identity proved: authentication only. |\n"
        "| low | P1 | P5 | low | NHS login has no low identity level; P5 (knowledge-based checks) is the "
        "nearest. |\n"
        "| medium | P2 | P9 if a physical or biometric comparison (`pvp`, `pvr`, `bvp`, `bvr`) was made, "
        "else P5 | substantial | For NHS login the check methods decide, not the GPG 45 level alone. |\n"
        "| high | P3 | P9 | high | One Login P3 stands for GPG 45 profile H1A. |\n"
        "| very high | - | P9 | high | One Login defines no level above P3; eIDAS high is its top level. |\n"
    )
