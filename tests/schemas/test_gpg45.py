"""GPG 45 §Identity profiles and §Scores: the profile table as data and the evaluator."""

from __future__ import annotations

from collections import Counter

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from schemas.gpg45 import PROFILES, EvidenceScore, Gpg45Scores, LevelOfConfidence, evaluate, profile


def scores_for(name: str) -> Gpg45Scores:
    """The exact minimum scores of a profile."""
    p = profile(name)
    return Gpg45Scores(
        evidence=[EvidenceScore(strength=s, validity=v) for s, v in p.evidence],
        activity_history=p.activity_history,
        identity_fraud=p.identity_fraud,
        verification=p.verification,
    )


def test_gpg45_profiles_all_32_listed_in_order() -> None:
    names = [p.name for p in PROFILES]
    assert len(names) == 32
    assert names[0] == "L1A" and names[-1] == "V3A"
    assert Counter(name[0] for name in names) == {"L": 6, "M": 8, "H": 9, "V": 9}


@pytest.mark.parametrize(
    ("name", "evidence", "activity", "fraud", "verification"),
    [
        ("L1A", ((2, 2),), 0, 1, 1),
        ("L1C", ((1, 1),), 3, 2, 2),
        ("M1B", ((3, 2),), 1, 2, 2),
        ("M1C", ((3, 3),), 0, 0, 3),
        ("M2B", ((3, 2), (2, 2)), 1, 1, 2),
        ("H1A", ((4, 3),), 0, 1, 3),
        ("H2B", ((4, 2), (3, 2)), 0, 2, 3),
        ("V1D", ((4, 4),), 0, 0, 4),
        ("V3A", ((3, 3), (2, 2), (2, 2)), 3, 3, 3),
    ],
)
def test_gpg45_profile_table_values(
    name: str, evidence: tuple[tuple[int, int], ...], activity: int, fraud: int, verification: int
) -> None:
    p = profile(name)
    assert (p.evidence, p.activity_history, p.identity_fraud, p.verification) == (
        evidence,
        activity,
        fraud,
        verification,
    )


@pytest.mark.parametrize("name", [p.name for p in PROFILES])
def test_gpg45_each_profile_met_by_its_own_minimum_scores(name: str) -> None:
    result = evaluate(scores_for(name))
    assert name in result.profiles
    assert result.level is not None and result.level.rank >= profile(name).level.rank


@pytest.mark.parametrize("name", [p.name for p in PROFILES])
def test_gpg45_each_profile_not_met_with_one_score_short(name: str) -> None:
    p = profile(name)
    base = scores_for(name)
    for member in ("activity_history", "identity_fraud", "verification"):
        if getattr(p, member) > 0:
            lowered = base.model_copy(update={member: getattr(p, member) - 1})
            assert not p.met_by(lowered), member
    first = p.evidence[0]
    weaker = [EvidenceScore(strength=first[0], validity=first[1] - 1)] if first[1] > 0 else []
    if weaker:
        others = [EvidenceScore(strength=s, validity=v) for s, v in p.evidence[1:]]
        assert not p.met_by(base.model_copy(update={"evidence": weaker + others}))


def test_gpg45_evidence_matches_in_any_order() -> None:
    m2b = profile("M2B")  # 32 + 22
    in_order = Gpg45Scores(
        evidence=[EvidenceScore(strength=2, validity=2), EvidenceScore(strength=3, validity=2)],
        activity_history=1,
        identity_fraud=1,
        verification=2,
    )
    assert m2b.met_by(in_order)
    # the stronger piece has too little validity for the 32 slot: no assignment works
    crossed = in_order.model_copy(
        update={"evidence": [EvidenceScore(strength=3, validity=1), EvidenceScore(strength=2, validity=2)]}
    )
    assert not m2b.met_by(crossed)


def test_gpg45_each_piece_of_evidence_used_once() -> None:
    one_piece = Gpg45Scores(
        evidence=[EvidenceScore(strength=4, validity=4)], activity_history=4, identity_fraud=3, verification=4
    )
    assert "M2A" not in evaluate(one_piece).profiles  # needs two pieces
    assert evaluate(one_piece).level is LevelOfConfidence.VERY_HIGH


def test_gpg45_no_evidence_gives_no_level() -> None:
    result = evaluate(Gpg45Scores(activity_history=4, identity_fraud=3, verification=4))
    assert result.profiles == ()
    assert result.level is None
    assert not result.meets(LevelOfConfidence.LOW)


def test_gpg45_level_is_highest_profile_met() -> None:
    result = evaluate(scores_for("M1C"))
    assert result.profiles == ("L1B", "M1C")
    assert result.level is LevelOfConfidence.MEDIUM
    assert result.meets(LevelOfConfidence.LOW) and not result.meets(LevelOfConfidence.HIGH)


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        ({"evidence": [{"strength": 5, "validity": 1}]}, "Input should be less than or equal to 4"),
        ({"evidence": [{"strength": 0, "validity": 1}]}, "Input should be greater than or equal to 1"),
        ({"identity_fraud": 4}, "Input should be less than or equal to 3"),
        ({"verification": -1}, "Input should be greater than or equal to 0"),
        ({"activity_history": "3"}, "Input should be a valid integer"),
    ],
)
def test_gpg45_scores_out_of_range_rejected(payload: dict[str, object], message: str) -> None:
    with pytest.raises(ValidationError) as caught:
        Gpg45Scores.model_validate(payload)
    assert [error["msg"] for error in caught.value.errors()] == [message]


def test_gpg45_unknown_profile_name() -> None:
    assert profile("m1c").name == "M1C"
    with pytest.raises(KeyError, match="'Z9Z' is not a GPG 45 profile"):
        profile("Z9Z")


evidence_scores = st.builds(EvidenceScore, strength=st.integers(1, 4), validity=st.integers(0, 4))
all_scores = st.builds(
    Gpg45Scores,
    evidence=st.lists(evidence_scores, max_size=4),
    activity_history=st.integers(0, 4),
    identity_fraud=st.integers(0, 3),
    verification=st.integers(0, 4),
)


@given(all_scores, evidence_scores)
def test_gpg45_more_evidence_never_lowers_the_profiles_met(scores: Gpg45Scores, extra: EvidenceScore) -> None:
    more = scores.model_copy(update={"evidence": [*scores.evidence, extra]})
    assert set(evaluate(scores).profiles) <= set(evaluate(more).profiles)


@given(all_scores)
def test_gpg45_evaluator_agrees_with_each_profile(scores: Gpg45Scores) -> None:
    result = evaluate(scores)
    assert result.profiles == tuple(p.name for p in PROFILES if p.met_by(scores))
