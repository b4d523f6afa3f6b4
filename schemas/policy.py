"""Assurance policy of a relying party, and its evaluation against verified claims.

A council or GP service does not compare bare level strings: it states what it needs (the
minimum GPG 45 level of confidence, the trust frameworks it accepts, check methods it requires,
the claims it needs and how recent the check must be) and evaluates the evidence it receives.
The level of confidence is always computed from the GPG 45 scores in the verification
(``Verification.gpg45``, read once when the verification is validated), never taken from
``assurance_level`` alone.

Sources: OpenID Connect for Identity Assurance 1.0 §5 (verification), GPG 45 (profiles and
levels of confidence), and this federation's UK profile.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Annotated

from pydantic import Field, field_validator

from schemas._base import LaxEnum, NonEmptyStr, Opt, SchemaModel, opt_field, spec_field
from schemas.claims import Claims
from schemas.evidence import CHECK_METHOD_DESCRIPTIONS, CheckMethod
from schemas.gpg45 import LevelOfConfidence, profile
from schemas.verified_claims import (
    LEGACY_TRUST_FRAMEWORKS,
    TRUST_FRAMEWORKS,
    VerifiedClaims,
    VerifiedClaimsPayload,
)

__all__ = [
    "AssurancePolicy",
    "CheckMethodRequirement",
    "FailureCode",
    "PolicyDecision",
    "PolicyFailure",
    "evaluate_policy",
]

POLICY = "ukid-interop assurance policy"


class CheckMethodRequirement(SchemaModel):
    """At least one of these check methods must appear in the verification's evidence."""

    any_of: Annotated[list[Annotated[CheckMethod, LaxEnum]], Field(min_length=1)] = spec_field(
        "Check methods, any one of which satisfies the requirement.", POLICY
    )
    description: NonEmptyStr = spec_field(
        "What the requirement means, in words a citizen can read, e.g. "
        "'a check that you look like the photo on your ID'.",
        POLICY,
    )


class AssurancePolicy(SchemaModel):
    """What a relying-party service needs before it accepts a person's verified identity."""

    service: NonEmptyStr = spec_field("Name of the service, e.g. 'Register with a GP practice'.", POLICY)
    minimum_level: Annotated[LevelOfConfidence, LaxEnum] = spec_field(
        "Lowest GPG 45 level of confidence accepted: low, medium, high or very_high.", POLICY
    )
    accepted_trust_frameworks: Annotated[list[NonEmptyStr], Field(min_length=1)] = spec_field(
        "Trust frameworks accepted (uk_tfida is read as uk_diatf).",
        POLICY,
        default_factory=lambda: ["uk_diatf"],
    )
    required_check_methods: list[CheckMethodRequirement] = spec_field(
        "Check methods that must have been used, e.g. a physical or biometric comparison "
        "(pvp, pvr, bvp, bvr) for an NHS login P9-equivalent service.",
        POLICY,
        default_factory=list,
    )
    required_claims: list[NonEmptyStr] = spec_field(
        "Claims that must be present in the verified claims, e.g. given_name, birthdate.",
        POLICY,
        default_factory=list,
    )
    max_verification_age_days: Opt[Annotated[int, Field(ge=1)]] = opt_field(
        "How old the verification may be, in days; no limit when absent.", POLICY
    )

    @field_validator("accepted_trust_frameworks")
    @classmethod
    def _known_frameworks(cls, value: list[str]) -> list[str]:
        unknown = [name for name in value if name not in TRUST_FRAMEWORKS]
        if unknown:
            raise ValueError(f"unknown trust framework {unknown[0]!r}")
        return sorted({LEGACY_TRUST_FRAMEWORKS.get(name, name) for name in value})

    @field_validator("required_claims")
    @classmethod
    def _known_claims(cls, value: list[str]) -> list[str]:
        unknown = [name for name in value if name not in Claims.model_fields]
        if unknown:
            raise ValueError(f"unknown claim {unknown[0]!r}")
        return value


class FailureCode(StrEnum):
    """Why a verification does not meet a policy."""

    UNTRUSTED_FRAMEWORK = "untrusted_framework"
    NO_SCORES = "no_scores"
    INVALID_SCORES = "invalid_scores"
    LEVEL_TOO_LOW = "level_too_low"
    PROCEDURE_NOT_MET = "procedure_not_met"
    MISSING_CHECK_METHOD = "missing_check_method"
    MISSING_CLAIMS = "missing_claims"
    NO_VERIFICATION_TIME = "no_verification_time"
    TOO_OLD = "too_old"


@dataclass(frozen=True, slots=True)
class PolicyFailure:
    """One reason a verification was not accepted: a code, and words a citizen can read."""

    code: FailureCode
    message: str


@dataclass(frozen=True, slots=True)
class PolicyDecision:
    """The outcome of evaluating verified claims against a policy, with every reason it failed."""

    accepted: bool
    level: LevelOfConfidence | None
    profiles: tuple[str, ...]
    failures: tuple[PolicyFailure, ...]
    verified_claims: VerifiedClaims | None
    """The element the decision is about (the accepted one, or the closest to passing)."""

    @property
    def reasons(self) -> tuple[str, ...]:
        """The failure messages, in order."""
        return tuple(failure.message for failure in self.failures)


def evaluate_policy(
    policy: AssurancePolicy,
    verified: VerifiedClaims | Sequence[VerifiedClaims] | VerifiedClaimsPayload,
    now: datetime,
) -> PolicyDecision:
    """Evaluate each ``verified_claims`` element against ``policy``.

    The first element that meets every requirement is accepted; otherwise the decision reports
    the element with the fewest failures and every one of its reasons.
    """
    if isinstance(verified, VerifiedClaimsPayload):
        elements: Sequence[VerifiedClaims] = verified.elements()
    elif isinstance(verified, VerifiedClaims):
        elements = (verified,)
    else:
        elements = verified
    if not elements:
        failure = PolicyFailure(
            FailureCode.NO_SCORES, "Your identity provider did not send any verified details."
        )
        return PolicyDecision(False, None, (), (failure,), None)
    best: PolicyDecision | None = None
    for element in elements:
        decision = _evaluate_one(policy, element, now)
        if decision.accepted:
            return decision
        if best is None or len(decision.failures) < len(best.failures):
            best = decision
    assert best is not None
    return best


def _evaluate_one(policy: AssurancePolicy, element: VerifiedClaims, now: datetime) -> PolicyDecision:
    verification = element.verification
    failures: list[PolicyFailure] = []
    if verification.trust_framework not in policy.accepted_trust_frameworks:
        failures.append(
            PolicyFailure(
                FailureCode.UNTRUSTED_FRAMEWORK,
                f"Your identity was checked under a scheme this service does not accept "
                f"({verification.trust_framework}).",
            )
        )
    level, profiles = _level(policy, element, failures)
    methods = verification.check_methods()
    for requirement in policy.required_check_methods:
        if methods.isdisjoint(requirement.any_of):
            options = " or ".join(CHECK_METHOD_DESCRIPTIONS[method] for method in requirement.any_of)
            failures.append(
                PolicyFailure(
                    FailureCode.MISSING_CHECK_METHOD,
                    f"This service needs {requirement.description}, and your identity check did not "
                    f"include one ({options}).",
                )
            )
    present = element.claims.names()
    missing = [name for name in policy.required_claims if name not in present]
    if missing:
        failures.append(
            PolicyFailure(
                FailureCode.MISSING_CLAIMS,
                "Your identity provider did not confirm your " + _words(missing) + ".",
            )
        )
    _check_age(policy, verification.time, now, failures)
    return PolicyDecision(not failures, level, profiles, tuple(failures), element)


def _level(
    policy: AssurancePolicy, element: VerifiedClaims, failures: list[PolicyFailure]
) -> tuple[LevelOfConfidence | None, tuple[str, ...]]:
    """Compute the level of confidence from the GPG 45 scores, recording any failure."""
    verification = element.verification
    result = verification.gpg45_result()
    if result is None:
        failures.append(
            PolicyFailure(
                FailureCode.NO_SCORES,
                "Your identity provider did not say how well your identity was checked "
                "(no GPG 45 scores were sent), so this service cannot accept it.",
            )
        )
        return None, ()
    procedure = verification.assurance_process.procedure if verification.assurance_process else None
    if procedure is not None and profile(procedure).name not in result.profiles:
        failures.append(
            PolicyFailure(
                FailureCode.PROCEDURE_NOT_MET,
                f"Your identity provider said your identity was checked to profile {procedure.upper()}, "
                "but the check results it sent do not support that"
                + (f" (they support {', '.join(result.profiles)})." if result.profiles else "."),
            )
        )
    if not result.meets(policy.minimum_level):
        reached = f"a {result.level.label}" if result.level else "no"
        failures.append(
            PolicyFailure(
                FailureCode.LEVEL_TOO_LOW,
                f"This service needs a {policy.minimum_level.label} level of confidence in your "
                f"identity; your identity check reached {reached} level.",
            )
        )
    return result.level, result.profiles


def _check_age(
    policy: AssurancePolicy, time: datetime | None, now: datetime, failures: list[PolicyFailure]
) -> None:
    if policy.max_verification_age_days is None:
        return
    if time is None:
        failures.append(
            PolicyFailure(
                FailureCode.NO_VERIFICATION_TIME,
                "Your identity provider did not say when your identity was checked, and this "
                "service needs a recent check.",
            )
        )
        return
    limit = timedelta(days=policy.max_verification_age_days)
    if now - time > limit:
        failures.append(
            PolicyFailure(
                FailureCode.TOO_OLD,
                f"Your identity was last checked on {time.day} {time:%B %Y}; this service needs a check "
                f"from the last {policy.max_verification_age_days} days.",
            )
        )


#: Plain words for the claims a policy may need (OpenID Connect Core §5.1, IDA §5.1, the UK profile).
_CLAIM_WORDS = {
    "given_name": "first name",
    "family_name": "last name",
    "birthdate": "date of birth",
    "place_of_birth": "place of birth",
    "nhs_number": "NHS number",
    "phone_number": "phone number",
}


def _words(names: Sequence[str]) -> str:
    words = [_CLAIM_WORDS.get(name, name.replace("_", " ")) for name in names]
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]
