"""Where a citizen is in GPG 45 terms and what would take them further, derived from the profiles.

Nothing here knows a level per persona or per step: each step contributes the scores its evidence
would be recorded with (``idp.core.proofing.evidence``), and the level reached is whatever
:func:`schemas.gpg45.evaluate` gives for the citizen's scores with that step added (GPG 45
§Identity profiles). For the next level up, the profile the citizen is nearest to is described:
the pieces of evidence and the scores still missing.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from itertools import combinations, permutations

from schemas.gpg45 import PROFILES, EvidenceScore, Gpg45Scores, LevelOfConfidence, Profile, evaluate

__all__ = ["Gap", "Outlook", "StepOutcome", "nearest_gaps", "outlook", "with_step"]

_OTHER_SCORES = ("activity_history", "identity_fraud", "verification")


@dataclass(frozen=True)
class StepOutcome:
    """What one step (or several together) would give the citizen."""

    steps: tuple[str, ...]
    level: LevelOfConfidence | None
    #: True when this is higher than the level the citizen has now.
    raises: bool


@dataclass(frozen=True)
class Gap:
    """Something a profile needs that the citizen does not have: a piece of evidence (``strength``,
    ``validity``) or a score (``score`` named, ``needed``, ``have``)."""

    kind: str  # "evidence" or the name of a score
    needed: int
    have: int = 0
    validity: int = 0


@dataclass(frozen=True)
class Outlook:
    """The citizen's position: the outcome of each step not yet done, the best pairs of steps, and
    what the nearest profile of the next level still needs."""

    level: LevelOfConfidence | None
    steps: tuple[StepOutcome, ...]
    pairs: tuple[StepOutcome, ...]
    next_level: LevelOfConfidence | None
    next_profile: str | None
    gaps: tuple[Gap, ...]


def with_step(scores: Gpg45Scores, contribution: Mapping[str, int]) -> Gpg45Scores:
    """``scores`` with one more piece of evidence (when the step gives a strength) and each other
    score raised to the step's (GPG 45: the best check of each kind counts)."""
    pieces = list(scores.evidence)
    if "strength" in contribution:
        pieces.append(
            EvidenceScore(strength=contribution["strength"], validity=contribution.get("validity", 0))
        )
    others = {name: max(getattr(scores, name), contribution.get(name, 0)) for name in _OTHER_SCORES}
    return Gpg45Scores(evidence=pieces, **others)


def _rank(level: LevelOfConfidence | None) -> int:
    return -1 if level is None else level.rank


def _missing_pieces(
    required: Sequence[tuple[int, int]], pieces: Sequence[tuple[int, int]]
) -> list[tuple[int, int]]:
    """The required (strength, validity) pieces left unmatched by the best assignment of ``pieces``."""
    best = list(required)
    slots = list(range(len(required)))
    for count in range(min(len(required), len(pieces)), 0, -1):
        for chosen in combinations(slots, count):
            for used in permutations(range(len(pieces)), count):
                if all(
                    pieces[p][0] >= required[s][0] and pieces[p][1] >= required[s][1]
                    for s, p in zip(chosen, used, strict=True)
                ):
                    return [required[s] for s in slots if s not in chosen]
    return best


def _gaps(profile: Profile, scores: Gpg45Scores) -> list[Gap]:
    pieces = [(p.strength, p.validity) for p in scores.evidence]
    gaps = [Gap("evidence", s, 0, v) for s, v in _missing_pieces(profile.evidence, pieces)]
    for name in _OTHER_SCORES:
        needed, have = getattr(profile, name), getattr(scores, name)
        if have < needed:
            gaps.append(Gap(name, needed, have))
    return gaps


def nearest_gaps(scores: Gpg45Scores, level: LevelOfConfidence) -> tuple[str, tuple[Gap, ...]]:
    """The profile of ``level`` needing the fewest additions (then the smallest score increases),
    and what it still needs."""

    def cost(item: tuple[Profile, list[Gap]]) -> tuple[int, int]:
        gaps = item[1]
        return len(gaps), sum(g.needed - g.have + g.validity for g in gaps)

    candidates = [(p, _gaps(p, scores)) for p in PROFILES if p.level == level]
    best, gaps = min(candidates, key=cost)
    return best.name, tuple(gaps)


def outlook(scores: Gpg45Scores, available: Mapping[str, Mapping[str, int]]) -> Outlook:
    """The outlook for a citizen with ``scores`` given the steps still ``available`` (each step's
    name and the scores it would record)."""
    now = evaluate(scores).level
    steps = []
    for name, contribution in available.items():
        level = evaluate(with_step(scores, contribution)).level
        steps.append(StepOutcome((name,), level, _rank(level) > _rank(now)))
    pairs = []
    for (first, one), (second, two) in combinations(available.items(), 2):
        level = evaluate(with_step(with_step(scores, one), two)).level
        alone = max(_rank(evaluate(with_step(scores, c)).level) for c in (one, two))
        if _rank(level) > max(alone, _rank(now)):
            pairs.append(StepOutcome((first, second), level, True))
    next_level = _next(now)
    profile_name, gaps = nearest_gaps(scores, next_level) if next_level is not None else (None, ())
    return Outlook(now, tuple(steps), tuple(pairs), next_level, profile_name, gaps)


def _next(level: LevelOfConfidence | None) -> LevelOfConfidence | None:
    order = sorted(LevelOfConfidence, key=lambda lv: lv.rank)
    if level is None:
        return order[0]
    higher = [lv for lv in order if lv.rank > level.rank]
    return higher[0] if higher else None


def profiles_of(scores: Gpg45Scores) -> Iterable[str]:
    """The GPG 45 profiles ``scores`` meet."""
    return evaluate(scores).profiles
