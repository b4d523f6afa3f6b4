"""What was received, read with the assurance schema and judged by the service's policy.

- ``verified_claims`` (OIDC for Identity Assurance §5) come from UserInfo (and the ID token, if it
  carries any), as one object or an array; each element is validated with ``schemas.VerifiedClaims``.
  An element under a trust framework the schema does not know is not an error of the provider's but
  a reason for refusal the citizen can read (``untrusted_framework``); any other schema violation is
  a :class:`LoginError` (``invalid_verified_claims``) naming the member and the reason.
- The decision is ``schemas.policy.evaluate_policy`` (level computed from the GPG 45 scores, never
  from ``assurance_level`` alone), plus the credential the service needs (``Cm`` in the ``vot``).
- The result keeps only the claims the service asks for (``ServicePolicy.claims``), verified or not,
  in its ``claims`` and in the element kept for audit (UK GDPR Art. 5(1)(c), data minimisation).
- A refusal a higher proof could fix carries a :class:`StepUp`: the needed vector for a level too
  low, no scores, a check too old or a credential too weak; the next identity value above the one
  reached for a missing check method (e.g. the photo comparison of an NHS P9-equivalent service).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from pydantic import ValidationError

from relying_party.core.errors import LoginError, Refusal
from relying_party.core.policy import ServicePolicy, identity_vector
from relying_party.core.providers import Provider
from relying_party.core.result import (
    CREDENTIAL_TOO_WEAK,
    Decision,
    Failure,
    LoginResult,
    StepUp,
    describe_evidence,
)
from schemas.gpg45 import LevelOfConfidence
from schemas.policy import FailureCode, PolicyDecision, evaluate_policy
from schemas.verified_claims import TRUST_FRAMEWORKS, VerifiedClaims
from schemas.vot import Vector

__all__ = ["evaluate", "parse_verified_claims"]

_NOT_CLAIMS = frozenset(
    {
        "sub",
        "verified_claims",
        "iss",
        "aud",
        "exp",
        "iat",
        "nonce",
        "at_hash",
        "azp",
        "auth_time",
        "amr",
        "acr",
        "vot",
        "vtm",
        "sid",
        "jti",
        "nbf",
    }
)
_RAISE_LEVEL = {
    FailureCode.LEVEL_TOO_LOW,
    FailureCode.NO_SCORES,
    FailureCode.TOO_OLD,
    FailureCode.NO_VERIFICATION_TIME,
}
_HIGHER = {FailureCode.MISSING_CHECK_METHOD, FailureCode.PROCEDURE_NOT_MET}
_ORDER = (LevelOfConfidence.LOW, LevelOfConfidence.MEDIUM, LevelOfConfidence.HIGH)


def _elements(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, list) else [value]


def _parse(
    sources: Sequence[Mapping[str, Any]],
) -> tuple[list[tuple[dict[str, Any], VerifiedClaims]], list[str]]:
    """:func:`parse_verified_claims`, each valid element with the JSON object it was read from."""
    parsed: list[tuple[dict[str, Any], VerifiedClaims]] = []
    unknown: list[str] = []
    for source in sources:
        for index, element in enumerate(_elements(source.get("verified_claims"))):
            verification = element.get("verification") if isinstance(element, dict) else None
            framework = verification.get("trust_framework") if isinstance(verification, dict) else None
            if isinstance(framework, str) and framework not in TRUST_FRAMEWORKS:
                unknown.append(framework[:64])
                continue
            try:
                parsed.append((element, VerifiedClaims.model_validate(element)))
            except ValidationError as exc:
                first = exc.errors()[0]
                where = ".".join(str(p) for p in first["loc"]) or "(element)"
                raise LoginError(
                    Refusal.INVALID_VERIFIED_CLAIMS,
                    f"The identity provider sent verified_claims this service cannot read: element {index}: "
                    f"{where}: {first['msg']}",
                    check="verified_claims",
                ) from exc
    return parsed, unknown


def parse_verified_claims(sources: Sequence[Mapping[str, Any]]) -> tuple[list[VerifiedClaims], list[str]]:
    """The valid ``verified_claims`` elements of ``sources`` (UserInfo, then the ID token) and the trust
    frameworks of elements refused for their unknown framework; :class:`LoginError` for any other
    schema violation."""
    parsed, unknown = _parse(sources)
    return [element for _, element in parsed], unknown


def _step_up(policy: ServicePolicy, decision: PolicyDecision, failures: Sequence[Failure]) -> StepUp | None:
    codes = {f.code for f in failures}
    if codes & {c.value for c in _RAISE_LEVEL}:
        return StepUp(tuple(policy.vtr()), f"prove your identity to a {policy.minimum_level.label} level")
    if CREDENTIAL_TOO_WEAK in codes and not codes & {c.value for c in _HIGHER}:
        return StepUp(tuple(policy.vtr()), "sign in again with a security code as well as your password")
    if codes & {c.value for c in _HIGHER}:
        reached = decision.level or policy.minimum_level
        above = [lv for lv in _ORDER if lv.rank > max(reached.rank, policy.minimum_level.rank)]
        target = above[0] if above else LevelOfConfidence.HIGH
        vector = Vector(frozenset({identity_vector(target), *policy.credential.split(".")})).render()
        return StepUp(
            (vector,), f"prove your identity to a {target.label} level, with the checks this service needs"
        )
    return None


def _failures(
    decision: PolicyDecision, parsed: Sequence[VerifiedClaims], unknown: Sequence[str]
) -> list[Failure]:
    if not parsed and unknown:
        return [
            Failure(
                FailureCode.UNTRUSTED_FRAMEWORK.value,
                f"Your identity was checked under a scheme this service does not accept ({unknown[0]}).",
            )
        ]
    return [Failure(f.code.value, f.message) for f in decision.failures]


def evaluate(
    policy: ServicePolicy,
    provider: Provider,
    id_claims: Mapping[str, Any],
    userinfo: Mapping[str, Any],
    *,
    now: float,
) -> LoginResult:
    """The login result: the requested claims received, the policy's decision and, when refused, a
    step-up. The policy is evaluated on whole elements; the element kept for audit is the one decided
    on as received (its ``verification`` shared with ``userinfo``, not copied), with the requested
    claims only."""
    pairs, unknown = _parse([userinfo, id_claims])
    parsed = [element for _, element in pairs]
    decision = evaluate_policy(policy.assurance, parsed, datetime.fromtimestamp(now, UTC))
    failures = _failures(decision, parsed, unknown)
    vot_text = id_claims.get("vot")
    if "Cm" in policy.credential.split(".") and not (
        isinstance(vot_text, str) and "Cm" in vot_text.split(".")
    ):
        failures.append(
            Failure(
                CREDENTIAL_TOO_WEAK,
                "This service needs you to sign in with a security code as well as your password.",
            )
        )
    requested = policy.claims
    element = decision.verified_claims
    audit: dict[str, Any] | None = None
    claims: dict[str, Any] = {}
    if element is not None:
        received = next(raw for raw, parsed_element in pairs if parsed_element is element)
        claims = element.claims.model_dump(mode="json", exclude_none=True, include=set(requested))
        received_claims = received["claims"]
        audit = {
            "verification": received["verification"],
            "claims": {name: received_claims[name] for name in claims},
        }
    verified = tuple(claims)
    for name in requested:
        if name not in claims and name not in _NOT_CLAIMS and name in userinfo:
            claims[name] = userinfo[name]
    verification = element.verification if element is not None else None
    step_up = _step_up(policy, decision, failures) if failures else None
    auth_time = id_claims.get("auth_time")
    vtm = id_claims.get("vtm")
    return LoginResult(
        service=policy.name,
        subject=str(id_claims["sub"]),
        provider=provider.info,
        decision=Decision(
            accepted=not failures,
            level=decision.level,
            profiles=decision.profiles,
            failures=tuple(failures),
            step_up=step_up,
        ),
        claims=claims,
        verified=verified,
        evidence=describe_evidence(audit["verification"].get("evidence") or [] if audit else []),
        vot=vot_text if isinstance(vot_text, str) else None,
        vtm=vtm if isinstance(vtm, str) else None,
        trust_framework=verification.trust_framework if verification else None,
        verified_at=verification.time.isoformat() if verification and verification.time else None,
        auth_time=auth_time if isinstance(auth_time, int) else None,
        received_at=int(now),
        verified_claims=audit,
    )
