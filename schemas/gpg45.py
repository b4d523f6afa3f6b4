"""GPG 45 identity proofing: scores, the 32 profiles, and an evaluator.

Source: Good Practice Guide 45, "How to prove and verify someone's identity" (Cabinet Office /
GDS), sections "Scores" and "Identity profiles". A profile is a set of minimum scores: one
(strength, validity) pair per piece of evidence, matched against the person's evidence in any
order with each piece used once, and minimum activity history, identity fraud and
verification scores. The level of confidence is the highest level among the profiles met.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache
from typing import Annotated

from pydantic import Field

from schemas._base import SchemaModel, spec_field

__all__ = [
    "PROFILES",
    "EvidenceScore",
    "Gpg45Result",
    "Gpg45Scores",
    "LevelOfConfidence",
    "Profile",
    "ScoreKey",
    "evaluate",
    "evaluate_key",
    "profile",
    "score_key",
    "scores_from_key",
]

GPG45 = "GPG 45 §Scores"
GPG45_PROFILES = "GPG 45 §Identity profiles"


class LevelOfConfidence(StrEnum):
    """GPG 45 level of confidence; the values are the Identity Assurance ``assurance_level``s
    of the ``uk_diatf`` trust framework."""

    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    VERY_HIGH = "very_high"

    @property
    def rank(self) -> int:
        """0 for low up to 3 for very high, for comparisons."""
        return _RANK[self]

    @property
    def label(self) -> str:
        """The level as a person would read it, e.g. "very high"."""
        return self.value.replace("_", " ")


_RANK = {
    LevelOfConfidence.LOW: 0,
    LevelOfConfidence.MEDIUM: 1,
    LevelOfConfidence.HIGH: 2,
    LevelOfConfidence.VERY_HIGH: 3,
}
_LEVEL_BY_LETTER = {
    "L": LevelOfConfidence.LOW,
    "M": LevelOfConfidence.MEDIUM,
    "H": LevelOfConfidence.HIGH,
    "V": LevelOfConfidence.VERY_HIGH,
}

Strength = Annotated[int, Field(ge=1, le=4)]
Validity = Annotated[int, Field(ge=0, le=4)]


class EvidenceScore(SchemaModel):
    """The GPG 45 scores of one piece of evidence."""

    strength: Strength = spec_field("Strength of the evidence, 1 to 4.", GPG45)
    validity: Validity = spec_field("Validity of the evidence (how well it was checked), 0 to 4.", GPG45)


class Gpg45Scores(SchemaModel):
    """A person's GPG 45 scores: their evidence and the scores of the other four checks."""

    evidence: list[EvidenceScore] = spec_field(
        "Strength and validity of each piece of evidence.", GPG45, default_factory=list
    )
    activity_history: Annotated[int, Field(ge=0, le=4)] = spec_field(
        "Activity history score, 0 to 4: how long the identity has been used.", GPG45, default=0
    )
    identity_fraud: Annotated[int, Field(ge=0, le=3)] = spec_field(
        "Identity fraud score, 0 to 3: checks that the identity is not known to be fraudulent.",
        GPG45,
        default=0,
    )
    verification: Annotated[int, Field(ge=0, le=4)] = spec_field(
        "Verification score, 0 to 4: how well the person was shown to be the identity's owner.",
        GPG45,
        default=0,
    )


@dataclass(frozen=True, slots=True)
class Profile:
    """A GPG 45 identity profile: minimum scores that together give a level of confidence."""

    name: str
    evidence: tuple[tuple[int, int], ...]
    activity_history: int
    identity_fraud: int
    verification: int

    @property
    def level(self) -> LevelOfConfidence:
        """The level of confidence this profile gives (from its letter: L, M, H or V)."""
        return _LEVEL_BY_LETTER[self.name[0]]

    @property
    def procedure(self) -> str:
        """The profile as the ``assurance_process.procedure`` value: lower case, e.g. ``m1c``."""
        return self.name.lower()

    def met_by(self, scores: Gpg45Scores) -> bool:
        """True if ``scores`` reach every minimum of this profile."""
        key = _key(scores)
        return self._met_by_key(*key)

    def _met_by_key(
        self, pieces: tuple[tuple[int, int], ...], activity: int, fraud: int, verification: int
    ) -> bool:
        return (
            activity >= self.activity_history
            and fraud >= self.identity_fraud
            and verification >= self.verification
            and _evidence_matches(self.evidence, pieces)
        )


def _evidence_matches(required: tuple[tuple[int, int], ...], pieces: tuple[tuple[int, int], ...]) -> bool:
    """Whether each required (strength, validity) can be given its own piece of evidence.

    A bipartite matching (augmenting paths): required slots on one side, pieces on the other.
    """
    if len(pieces) < len(required):
        return False
    owner: dict[int, int] = {}  # piece index -> required slot index

    def assign(slot: int, seen: set[int]) -> bool:
        strength, validity = required[slot]
        for index, (piece_strength, piece_validity) in enumerate(pieces):
            if index in seen or piece_strength < strength or piece_validity < validity:
                continue
            seen.add(index)
            if index not in owner or assign(owner[index], seen):
                owner[index] = slot
                return True
        return False

    return all(assign(slot, set()) for slot in range(len(required)))


def _parse_profile(name: str, text: str) -> Profile:
    evidence_text, activity, fraud, verification = text.split("|")
    evidence = tuple((int(piece[0]), int(piece[1])) for piece in evidence_text.split("+"))
    return Profile(name, evidence, int(activity), int(fraud), int(verification))


# GPG 45 identity profiles: evidence as strength+validity per piece | activity | fraud | verification.
_PROFILE_TABLE = """
L1A 22|0|1|1  L1B 32|0|0|1  L1C 11|3|2|2  L2A 11+11|2|1|2  L2B 11+11|2|2|1  L3A 11+11+11|2|1|1
M1A 42|0|1|2  M1B 32|1|2|2  M1C 33|0|0|3  M1D 22|2|1|3  M2A 22+22|3|2|2  M2B 32+22|1|1|2
M2C 32+22|0|1|3  M3A 22+22+22|2|2|2
H1A 43|0|1|3  H1B 33|2|1|3  H1C 43|0|0|4  H2A 22+22|3|2|3  H2B 42+32|0|2|3  H2C 33+22|1|1|3
H2D 33+22|0|1|3  H2E 43+33|0|0|3  H3A 22+22+22|2|2|3
V1A 43|0|3|3  V1B 44|0|1|3  V1C 43|1|1|4  V1D 44|0|0|4  V2A 33+33|3|2|3  V2B 43+33|0|2|3
V2C 43+22|2|2|3  V2D 44+44|0|0|3  V3A 33+22+22|3|3|3
"""


def _load_profiles() -> tuple[Profile, ...]:
    tokens = _PROFILE_TABLE.split()
    return tuple(_parse_profile(tokens[i], tokens[i + 1]) for i in range(0, len(tokens), 2))


PROFILES: tuple[Profile, ...] = _load_profiles()
"""All 32 GPG 45 profiles, L1A to V3A, in the order GPG 45 lists them."""

_BY_NAME = {p.name: p for p in PROFILES}


def profile(name: str) -> Profile:
    """The profile called ``name`` (``M1C`` or the procedure form ``m1c``); ``KeyError`` if none."""
    try:
        return _BY_NAME[name.upper()]
    except KeyError:
        raise KeyError(f"{name!r} is not a GPG 45 profile") from None


@dataclass(frozen=True, slots=True)
class Gpg45Result:
    """What a set of scores achieves: the profiles met and the level of confidence."""

    profiles: tuple[str, ...]
    level: LevelOfConfidence | None

    def meets(self, minimum: LevelOfConfidence) -> bool:
        """True if the achieved level is at least ``minimum``."""
        return self.level is not None and self.level.rank >= minimum.rank


ScoreKey = tuple[tuple[tuple[int, int], ...], int, int, int]
"""Scores as plain data: sorted (strength, validity) pieces, activity, fraud, verification."""


def evaluate(scores: Gpg45Scores) -> Gpg45Result:
    """The GPG 45 profiles ``scores`` meet and the highest level of confidence among them."""
    return evaluate_key(_key(scores))


def score_key(
    pieces: Iterable[tuple[int, int]], activity_history: int, identity_fraud: int, verification: int
) -> ScoreKey:
    """Scores as a ``ScoreKey``; the caller has range-checked them."""
    return tuple(sorted(pieces)), activity_history, identity_fraud, verification


def scores_from_key(key: ScoreKey) -> Gpg45Scores:
    """The ``Gpg45Scores`` model for a ``ScoreKey`` (validated)."""
    pieces, activity, fraud, verification = key
    return Gpg45Scores(
        evidence=[EvidenceScore(strength=s, validity=v) for s, v in pieces],
        activity_history=activity,
        identity_fraud=fraud,
        verification=verification,
    )


def _key(scores: Gpg45Scores) -> ScoreKey:
    return score_key(
        ((piece.strength, piece.validity) for piece in scores.evidence),
        scores.activity_history,
        scores.identity_fraud,
        scores.verification,
    )


@lru_cache(maxsize=4096)
def evaluate_key(key: ScoreKey) -> Gpg45Result:
    """``evaluate`` for scores given as a ``ScoreKey`` (results are cached: keys are small)."""
    pieces, activity, fraud, verification = key
    met = tuple(p.name for p in PROFILES if p._met_by_key(pieces, activity, fraud, verification))
    best: LevelOfConfidence | None = None
    for name in met:
        level = _BY_NAME[name].level
        if best is None or level.rank > best.rank:
            best = level
    return Gpg45Result(profiles=met, level=best)
