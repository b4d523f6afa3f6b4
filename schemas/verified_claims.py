"""Verified claims in the OpenID Connect for Identity Assurance 1.0 format, with the UK profile.

Source: OpenID Connect for Identity Assurance 1.0 §5 (``verified_claims``, ``verification``,
``assurance_process``, ``evidence``, ``claims``) and the working group's ``verified_claims.json``
schema. For the ``uk_diatf`` trust framework this federation adds the rules of its UK profile:
``assurance_level`` is a GPG 45 level of confidence, ``assurance_process.policy`` is ``gpg45``,
``procedure`` is a GPG 45 profile in lower case consistent with the level, and every
``evidence_ref`` names a ``check_id`` present in the evidence.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import ConfigDict, Discriminator, Field, PrivateAttr, Tag, field_validator, model_validator

from schemas._base import IsoDateTime, NonEmptyStr, Opt, SchemaModel, opt_field, spec_field
from schemas.claims import Claims
from schemas.evidence import CheckMethod, Evidence
from schemas.gpg45 import (
    PROFILES,
    Gpg45Result,
    Gpg45Scores,
    LevelOfConfidence,
    ScoreKey,
    evaluate_key,
    profile,
    score_key,
    scores_from_key,
)

__all__ = [
    "LEGACY_TRUST_FRAMEWORKS",
    "TRUST_FRAMEWORKS",
    "AssuranceDetail",
    "AssuranceProcess",
    "AssuranceScoreError",
    "EvidenceMetadata",
    "EvidenceRef",
    "Verification",
    "VerifiedClaims",
    "VerifiedClaimsPayload",
    "read_gpg45_scores",
]

IDA = "OpenID Connect for Identity Assurance 1.0 §5"
IDA_VERIFICATION = "OpenID Connect for Identity Assurance 1.0 §5.1"
IDA_ASSURANCE = "OpenID Connect for Identity Assurance 1.0 §5.1 (assurance_process)"
UK = "ukid-interop UK profile"

UK_DIATF = "uk_diatf"

TRUST_FRAMEWORKS: dict[str, str] = {
    UK_DIATF: "UK digital identity and attributes trust framework (DSIT), GPG 45 identity proofing.",
    "uk_tfida": "Former name of uk_diatf: accepted on input, always emitted as uk_diatf.",
    "eidas": "EU Regulation 910/2014 (eIDAS) levels of assurance low, substantial, high.",
    "nist_800_63A": "NIST Special Publication 800-63A identity assurance levels.",
    "de_aml": "German Anti-Money Laundering Act.",
    "jp_aml": "Japanese Act on Prevention of Transfer of Criminal Proceeds.",
    "jp_mpiupa": "Japanese Mobile Phone Improper Use Prevention Act.",
    "it_spid": "Italian public digital identity system (SPID).",
    "se_bankid": "Swedish BankID.",
}
"""Trust frameworks this schema recognises (eKYC & IDA predefined values); anything else is an error."""

LEGACY_TRUST_FRAMEWORKS: dict[str, str] = {"uk_tfida": UK_DIATF}
"""Older names, mapped to the name emitted."""

_UK_LEVELS = ", ".join(level.value for level in LevelOfConfidence)
_EIDAS_LEVELS = ("low", "substantial", "high")


class EvidenceMetadata(SchemaModel):
    """What an ``evidence_ref`` says about the evidence it points to."""

    evidence_classification: Opt[NonEmptyStr] = opt_field(
        "Classification of the evidence; in the UK profile `score_N_strength` gives the GPG 45 "
        "strength N of the evidence the check belongs to.",
        IDA_ASSURANCE,
    )


class EvidenceRef(SchemaModel):
    """A reference from an assurance detail to a check in the evidence."""

    check_id: NonEmptyStr = spec_field(
        "The `check_id` of a check in `evidence[].check_details`.", IDA_ASSURANCE
    )
    evidence_metadata: Opt[EvidenceMetadata] = opt_field(
        "Metadata about the referenced evidence.", IDA_ASSURANCE
    )


class AssuranceDetail(SchemaModel):
    """One step of the assurance process and its result.

    UK profile: ``assurance_type`` is ``evidence_validation`` (validity of a piece of evidence),
    ``activity_history``, ``counter_fraud`` (identity fraud) or ``verification``, and
    ``assurance_classification`` is the GPG 45 score as ``score_N``.
    """

    assurance_type: Opt[NonEmptyStr] = opt_field(
        "What was assessed: in the UK profile evidence_validation, activity_history, counter_fraud "
        "or verification.",
        IDA_ASSURANCE,
    )
    assurance_classification: Opt[NonEmptyStr] = opt_field(
        "The result; in the UK profile the GPG 45 score as `score_N`.", IDA_ASSURANCE
    )
    evidence_ref: Opt[Annotated[list[EvidenceRef], Field(min_length=1)]] = opt_field(
        "The checks this assessment is based on.", IDA_ASSURANCE
    )


class AssuranceProcess(SchemaModel):
    """The assurance process the verification followed."""

    policy: Opt[NonEmptyStr] = opt_field("The standard followed; `gpg45` in the UK profile.", IDA_ASSURANCE)
    procedure: Opt[NonEmptyStr] = opt_field(
        "The procedure within the policy; in the UK profile the GPG 45 profile met, in lower case "
        "(e.g. `m1c`).",
        IDA_ASSURANCE,
    )
    assurance_details: Opt[Annotated[list[AssuranceDetail], Field(min_length=1)]] = opt_field(
        "The steps of the assurance process and their results (the GPG 45 scores).", IDA_ASSURANCE
    )


class AssuranceScoreError(ValueError):
    """The GPG 45 scores in ``assurance_details`` are malformed or out of range."""


# UK profile: assurance_type -> (Gpg45Scores member, highest score GPG 45 allows)
_SCORE_TYPES = {
    "activity_history": ("activity_history", 4),
    "counter_fraud": ("identity_fraud", 3),
    "verification": ("verification", 4),
}
_SCORE_TEXT = {f"score_{n}": n for n in range(10)}
_STRENGTH_TEXT = {f"score_{n}_strength": n for n in range(10)}


def _score(text: str | None, highest: int, lowest: int = 0) -> int:
    """The score in a ``score_N`` classification, range-checked."""
    value = _SCORE_TEXT.get(text or "")
    if value is None:
        raise AssuranceScoreError(f"assurance_classification must be 'score_N', not {text!r}")
    if not lowest <= value <= highest:
        raise AssuranceScoreError(f"score {value} is out of range: GPG 45 allows {lowest} to {highest}")
    return value


def _strength(detail: AssuranceDetail) -> str | None:
    """The one ``score_N_strength`` classification among an assurance detail's evidence refs."""
    found = {
        ref.evidence_metadata.evidence_classification
        for ref in detail.evidence_ref or ()
        if ref.evidence_metadata is not None
        and ref.evidence_metadata.evidence_classification in _STRENGTH_TEXT
    }
    return found.pop() if len(found) == 1 else None


def read_gpg45_scores(process: AssuranceProcess | None) -> ScoreKey | None:
    """The GPG 45 scores carried in ``assurance_details`` (UK profile) as plain data, or ``None``.

    ``evidence_validation`` gives one piece of evidence: its validity as ``score_N`` and its
    strength in ``evidence_ref[].evidence_metadata.evidence_classification`` as ``score_N_strength``;
    ``activity_history``, ``counter_fraud`` (identity fraud) and ``verification`` give the other
    scores. Raises ``AssuranceScoreError`` with a plain reason for malformed or out-of-range scores.
    """
    if process is None or not process.assurance_details:
        return None
    evidence: list[tuple[int, int]] = []
    others: dict[str, int] = {}
    found = False
    for index, detail in enumerate(process.assurance_details):
        kind = detail.assurance_type
        part = ""
        try:
            if kind == "evidence_validation":
                part = " validity"
                validity = _score(detail.assurance_classification, 4)
                part = ""
                strength_text = _strength(detail)
                if strength_text is None:
                    raise AssuranceScoreError(
                        "give the strength of the evidence exactly once, as "
                        "evidence_ref[].evidence_metadata.evidence_classification 'score_N_strength'"
                    )
                part = " strength"
                strength = _score(f"score_{_STRENGTH_TEXT[strength_text]}", 4, lowest=1)
                evidence.append((strength, validity))
                found = True
            elif kind in _SCORE_TYPES:
                member, highest = _SCORE_TYPES[kind]
                if member in others:
                    raise AssuranceScoreError(f"more than one {kind} score")
                others[member] = _score(detail.assurance_classification, highest)
                found = True
        except AssuranceScoreError as error:
            raise AssuranceScoreError(f"assurance_details[{index}] ({kind}){part}: {error}") from None
    if not found:
        return None
    return score_key(
        evidence,
        others.get("activity_history", 0),
        others.get("identity_fraud", 0),
        others.get("verification", 0),
    )


class Verification(SchemaModel):
    """How, when and under which trust framework the claims were verified."""

    trust_framework: NonEmptyStr = spec_field(
        "The trust framework the verification followed: `uk_diatf` in this federation "
        "(`uk_tfida` is accepted as its older name and emitted as `uk_diatf`).",
        IDA_VERIFICATION,
    )
    assurance_level: Opt[NonEmptyStr] = opt_field(
        "Assurance level within the trust framework; for uk_diatf the GPG 45 level of confidence: "
        f"{_UK_LEVELS}.",
        IDA_VERIFICATION,
    )
    assurance_process: Opt[AssuranceProcess] = opt_field("The assurance process followed.", IDA_VERIFICATION)
    time: Opt[IsoDateTime] = opt_field("When the verification took place.", IDA_VERIFICATION)
    verification_process: Opt[NonEmptyStr] = opt_field(
        "Reference to the verification process, for audit.", IDA_VERIFICATION
    )
    evidence: Opt[Annotated[list[Evidence], Field(min_length=1)]] = opt_field(
        "The evidence the verification was based on.", IDA_VERIFICATION
    )

    _gpg45: ScoreKey | None = PrivateAttr(default=None)

    @property
    def gpg45(self) -> Gpg45Scores | None:
        """The GPG 45 scores of a ``uk_diatf`` verification (read once, when it was validated)."""
        key = self._gpg45
        return None if key is None else scores_from_key(key)

    def gpg45_result(self) -> Gpg45Result | None:
        """The GPG 45 profiles and level of confidence the scores meet (``None``: no scores)."""
        key = self._gpg45
        return None if key is None else evaluate_key(key)

    @field_validator("trust_framework")
    @classmethod
    def _known_framework(cls, value: str) -> str:
        if value not in TRUST_FRAMEWORKS:
            known = ", ".join(name for name in TRUST_FRAMEWORKS if name not in LEGACY_TRUST_FRAMEWORKS)
            raise ValueError(f"unknown trust framework {value!r}; known trust frameworks: {known}")
        return LEGACY_TRUST_FRAMEWORKS.get(value, value)

    @model_validator(mode="after")
    def _framework_rules(self) -> Verification:
        if self.trust_framework == UK_DIATF:
            self._check_uk_profile()
        elif self.trust_framework == "eidas" and self.assurance_level not in (None, *_EIDAS_LEVELS):
            raise ValueError(
                f"assurance_level {self.assurance_level!r} is not an eIDAS level ({', '.join(_EIDAS_LEVELS)})"
            )
        return self

    def _check_uk_profile(self) -> None:
        level: LevelOfConfidence | None = None
        if self.assurance_level is not None:
            try:
                level = _LEVELS[self.assurance_level]
            except KeyError:
                raise ValueError(
                    f"assurance_level {self.assurance_level!r} is not a GPG 45 level of confidence "
                    f"({_UK_LEVELS})"
                ) from None
        process = self.assurance_process
        if process is None:
            return
        if process.policy is not None and process.policy != "gpg45":
            raise ValueError(f"assurance_process.policy must be 'gpg45' for uk_diatf, not {process.policy!r}")
        if process.procedure is not None:
            if (
                process.procedure != process.procedure.lower()
                or process.procedure.upper() not in _PROFILE_NAMES
            ):
                raise ValueError(
                    f"assurance_process.procedure {process.procedure!r} is not a GPG 45 profile in lower "
                    "case (l1a to v3a)"
                )
            profile_level = profile(process.procedure).level
            if level is not None and profile_level != level:
                raise ValueError(
                    f"assurance_process.procedure {process.procedure!r} gives a {profile_level.label} "
                    f"level of confidence, but assurance_level is {level.value!r}"
                )
        self._gpg45 = read_gpg45_scores(process)
        missing = sorted(self.referenced_check_ids() - self.check_ids())
        if missing:
            raise ValueError(
                "assurance_details refer to check_id "
                + ", ".join(repr(check_id) for check_id in missing)
                + " but no evidence has a check with that check_id"
            )

    def check_ids(self) -> frozenset[str]:
        """Every ``check_id`` in the evidence's check details."""
        ids: set[str] = set()
        for item in self.evidence or ():
            for check in getattr(item, "check_details", None) or ():
                if check.check_id is not None:
                    ids.add(check.check_id)
        return frozenset(ids)

    def referenced_check_ids(self) -> frozenset[str]:
        """Every ``check_id`` the assurance details refer to."""
        process = self.assurance_process
        if process is None:
            return frozenset()
        return frozenset(
            ref.check_id for detail in process.assurance_details or () for ref in detail.evidence_ref or ()
        )

    def check_methods(self) -> frozenset[CheckMethod]:
        """Every ``check_method`` used on the evidence."""
        return frozenset(
            check.check_method
            for item in self.evidence or ()
            for check in getattr(item, "check_details", None) or ()
        )


_PROFILE_NAMES = frozenset(p.name for p in PROFILES)
_LEVELS = {level.value: level for level in LevelOfConfidence}


class VerifiedClaims(SchemaModel):
    """A ``verified_claims`` element: claims about the end-user and how they were verified."""

    verification: Verification = spec_field("How the claims were verified.", IDA)
    claims: Claims = spec_field("The verified claims about the end-user.", IDA)


def _object_or_array(value: Any) -> str | None:
    if isinstance(value, list | tuple):
        return "array"
    if isinstance(value, dict | VerifiedClaims):
        return "object"
    return None


class VerifiedClaimsPayload(SchemaModel):
    """A userinfo response or ID token payload carrying ``verified_claims``.

    Other members (``sub``, ``iss``, ``email`` ...) are standard OpenID Connect claims outside
    this schema and are kept as they are.
    """

    model_config = ConfigDict(extra="allow")

    verified_claims: Annotated[
        Annotated[VerifiedClaims, Tag("object")]
        | Annotated[list[VerifiedClaims], Field(min_length=1), Tag("array")],
        Discriminator(
            _object_or_array,
            custom_error_type="verified_claims_type",
            custom_error_message="verified_claims must be an object or a non-empty array of objects",
        ),
    ] = spec_field("One verified_claims element, or several (e.g. under different trust frameworks).", IDA)

    def elements(self) -> tuple[VerifiedClaims, ...]:
        """The ``verified_claims`` elements as a tuple, whether one or several were sent."""
        if isinstance(self.verified_claims, VerifiedClaims):
            return (self.verified_claims,)
        return tuple(self.verified_claims)

    def other_claims(self) -> dict[str, Any]:
        """The members outside ``verified_claims``, as sent."""
        return dict(self.model_extra or {})
