"""A citizen's proven identity: GPG 45 scores from their evidence records, the level of confidence
from the schema's evaluator, and the ``verified_claims`` element the provider holds for them.

The held element follows the UK profile of OpenID Connect for Identity Assurance 1.0 §5
(``schemas.verified_claims``): ``trust_framework`` ``uk_diatf``, ``assurance_level`` the GPG 45
level, ``assurance_process {policy: gpg45, procedure: <profile>, assurance_details}`` with every
score encoded as :func:`schemas.verified_claims.read_gpg45_scores` reads it, ``time`` and the
evidence objects. The level is never stored: it is evaluated from the scores each time
(:func:`schemas.gpg45.evaluate`), and the built element is validated and checked to evaluate to
the same level.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import TypeAdapter, ValidationError
from sqlalchemy import Connection

from idp.core.dates import iso_time
from idp.core.discovery import CLAIMS_IN_VERIFIED_CLAIMS
from idp.store.accounts import Account, AccountStore, EvidenceRecord
from schemas.claims import Claims
from schemas.evidence import CheckMethod, Evidence
from schemas.gpg45 import EvidenceScore, Gpg45Scores, LevelOfConfidence, evaluate
from schemas.verified_claims import UK_DIATF, VerifiedClaims

__all__ = ["Identity", "identity_of", "scores_of"]

log = logging.getLogger("idp.identity")

#: Check methods that establish a piece of evidence is genuine (GPG 45 validity).
VALIDATION_METHODS = frozenset(
    {
        CheckMethod.VPIP,
        CheckMethod.VPIRUV,
        CheckMethod.VRI,
        CheckMethod.VDIG,
        CheckMethod.VCRYPT,
        CheckMethod.DATA,
    }
)
#: Check methods that show the person is the identity's owner (GPG 45 verification).
VERIFICATION_METHODS = frozenset(CheckMethod) - VALIDATION_METHODS
_SCORE_RANGES = {
    "strength": (1, 4),
    "validity": (0, 4),
    "activity_history": (0, 4),
    "identity_fraud": (0, 3),
    "verification": (0, 4),
}
_EVIDENCE = TypeAdapter(Evidence)


@dataclass(frozen=True)
class Identity:
    """What the provider can assert about a citizen's identity."""

    #: The GPG 45 level of confidence reached (None: no profile met, or no evidence).
    level: LevelOfConfidence | None
    #: The held ``verified_claims`` element (None when no level of confidence was reached).
    verified_claims: VerifiedClaims | None
    #: Every ``check_method`` used on the evidence (NHS login P9 needs a photo comparison).
    check_methods: frozenset[CheckMethod]
    #: The GPG 45 profiles met, in GPG 45 order.
    profiles: tuple[str, ...]


NO_IDENTITY = Identity(level=None, verified_claims=None, check_methods=frozenset(), profiles=())


@dataclass(frozen=True)
class _Usable:
    record: EvidenceRecord
    checks: tuple[tuple[str, CheckMethod], ...]  # (check_id, method) of checks that have an id
    methods: frozenset[CheckMethod]


def _checked(record: EvidenceRecord) -> _Usable | None:
    """The record if its evidence object and scores are well formed; None (and a log line) if not."""
    try:
        parsed = _EVIDENCE.validate_python(record.evidence)
    except ValidationError as exc:
        log.warning(
            "evidence %s of account %s is not valid IDA evidence: %s", record.id, record.account_id, exc
        )
        return None
    for name, value in record.scores.items():
        low_high = _SCORE_RANGES.get(name)
        if low_high is None or not isinstance(value, int) or not low_high[0] <= value <= low_high[1]:
            log.warning("evidence %s has a bad GPG 45 score %s=%r", record.id, name, value)
            return None
    details = getattr(parsed, "check_details", None) or ()
    checks = tuple((c.check_id, c.check_method) for c in details if c.check_id is not None)
    if "strength" in record.scores and not checks:
        log.warning("evidence %s has a strength score but no check with a check_id", record.id)
        return None
    return _Usable(record, checks, frozenset(c.check_method for c in details))


def scores_of(records: Iterable[EvidenceRecord]) -> Gpg45Scores:
    """The aggregated GPG 45 scores: one piece of evidence per record with a ``strength``; for the
    other scores the highest any record gives."""
    pieces: list[EvidenceScore] = []
    best = {"activity_history": 0, "identity_fraud": 0, "verification": 0}
    for record in records:
        if "strength" in record.scores:
            pieces.append(
                EvidenceScore(strength=record.scores["strength"], validity=record.scores.get("validity", 0))
            )
        for name, value in best.items():
            best[name] = max(value, record.scores.get(name, 0))
    return Gpg45Scores(evidence=pieces, **best)


def _refs(ids: Sequence[str]) -> list[dict[str, Any]]:
    return [{"check_id": check_id} for check_id in ids]


def _assurance_details(usable: Sequence[_Usable], scores: Gpg45Scores) -> list[dict[str, Any]]:
    """The scores as UK-profile ``assurance_details`` (see ``schemas.verified_claims``)."""
    details: list[dict[str, Any]] = []
    for item in usable:
        record = item.record
        if "strength" not in record.scores:
            continue
        ids = [i for i, method in item.checks if method in VALIDATION_METHODS] or [i for i, _ in item.checks]
        refs = _refs(ids)
        refs[0]["evidence_metadata"] = {
            "evidence_classification": f"score_{record.scores['strength']}_strength"
        }
        details.append(
            {
                "assurance_type": "evidence_validation",
                "assurance_classification": f"score_{record.scores.get('validity', 0)}",
                "evidence_ref": refs,
            }
        )
    for kind, member in (("activity_history", "activity_history"), ("counter_fraud", "identity_fraud")):
        value = getattr(scores, member)
        if value == 0:
            continue
        detail: dict[str, Any] = {"assurance_type": kind, "assurance_classification": f"score_{value}"}
        # a record that exists for this check alone (e.g. a fraud database search) is referred to
        ids = [
            i
            for item in usable
            if "strength" not in item.record.scores and item.record.scores.get(member, 0) == value
            for i, _ in item.checks
        ]
        if ids:
            detail["evidence_ref"] = _refs(ids)
        details.append(detail)
    if scores.verification:
        detail = {
            "assurance_type": "verification",
            "assurance_classification": f"score_{scores.verification}",
        }
        ids = [i for item in usable for i, method in item.checks if method in VERIFICATION_METHODS]
        if ids:
            detail["evidence_ref"] = _refs(ids)
        details.append(detail)
    return details


def _held_claims(account: Account) -> dict[str, Any]:
    """The account's claims that may appear inside ``verified_claims`` (the provider's metadata
    ``claims_in_verified_claims_supported``), validated."""
    chosen = {name: account.claims[name] for name in CLAIMS_IN_VERIFIED_CLAIMS if name in account.claims}
    return Claims.model_validate(chosen).to_json_dict()


def identity_of(
    accounts: AccountStore, account: Account, now: int, *, connection: Connection | None = None
) -> Identity:
    """The identity ``account``'s evidence proves, as of ``now``.

    Evidence recorded after ``now`` (a clock set back) does not count. A record whose evidence
    object or scores are malformed is left out and logged (it never fails a sign-in). Without a
    GPG 45 profile met there is no level and no ``verified_claims``.
    """
    records = [r for r in accounts.evidence_of(account.id, connection=connection) if r.verified_at <= now]
    usable = [u for u in map(_checked, records) if u is not None]
    if not usable:
        return NO_IDENTITY
    scores = scores_of(u.record for u in usable)
    result = evaluate(scores)
    methods = frozenset(m for u in usable for m in u.methods)
    if result.level is None:
        return Identity(level=None, verified_claims=None, check_methods=methods, profiles=result.profiles)
    procedure = next(p for p in result.profiles if p[0] == result.level.name[0]).lower()
    element = VerifiedClaims.model_validate(
        {
            "verification": {
                "trust_framework": UK_DIATF,
                "assurance_level": result.level.value,
                "assurance_process": {
                    "policy": "gpg45",
                    "procedure": procedure,
                    "assurance_details": _assurance_details(usable, scores),
                },
                "time": iso_time(max(u.record.verified_at for u in usable)),
                "evidence": [u.record.evidence for u in usable],
            },
            "claims": _held_claims(account),
        }
    )
    checked = element.verification.gpg45_result()
    if checked is None or checked.level != result.level:
        raise RuntimeError(
            f"the verified_claims built for account {account.id} evaluate to "
            f"{checked.level if checked else None}, not {result.level}: the score encoding is wrong"
        )
    return Identity(
        level=result.level, verified_claims=element, check_methods=methods, profiles=result.profiles
    )
