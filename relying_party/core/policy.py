"""What one service of a relying party asks for, and what it accepts.

A :class:`ServicePolicy` joins the service's assurance policy (``schemas.policy.AssurancePolicy``:
minimum GPG 45 level, trust frameworks, check methods, claims, age of the check) with what the login
request must say to get it:

- ``vtr`` (RFC 8485 §6.1): the GOV.UK One Login vector for the minimum level (``P1`` low, ``P2``
  medium, ``P3`` high and very high: ``schemas.mapping.one_login_level``) with the service's
  credential (``Cl`` password, ``Cl.Cm`` with a one-time code), e.g. ``["P2.Cl.Cm"]``;
- the ``claims`` parameter (OpenID Connect Core §5.5, OIDC for Identity Assurance §6): a
  ``verified_claims`` request at the UserInfo endpoint for the accepted trust frameworks and exactly
  the claims the service needs, each essential when the policy requires it and with its purpose.

Nothing else is asked for: a service that does not need a name or a date of birth never requests
them (data minimisation, UK GDPR Art. 5(1)(c)).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from schemas.claims import Claims
from schemas.gpg45 import LevelOfConfidence
from schemas.mapping import one_login_level
from schemas.policy import AssurancePolicy
from schemas.vot import Vector

__all__ = ["CREDENTIALS", "ServicePolicy", "claim_purposes", "identity_vector", "policies_by_name"]

#: Credential components a service may require (GOV.UK One Login, RFC 8485 §3 ``C`` category).
CREDENTIALS = ("Cl", "Cl.Cm")
_NAME = re.compile(r"[a-z0-9][a-z0-9-]{0,62}")


def identity_vector(level: LevelOfConfidence) -> str:
    """The One Login identity value for a minimum level; very high has none and asks for ``P3``."""
    return one_login_level(level) or "P3"


@dataclass(frozen=True)
class ServicePolicy:
    """One service's needs: its name (a URL-safe slug), its title, its assurance policy, the verified
    claims it asks for with the purpose of each, and the credential it needs."""

    name: str
    title: str
    assurance: AssurancePolicy
    claims: Mapping[str, str]
    credential: str = "Cl"

    def __post_init__(self) -> None:
        if not _NAME.fullmatch(self.name):
            raise ValueError(f"service name {self.name!r} must be a lower-case slug (a-z, 0-9, -)")
        if self.credential not in CREDENTIALS:
            raise ValueError(f"credential {self.credential!r} must be one of {', '.join(CREDENTIALS)}")
        unknown = [name for name in self.claims if name not in Claims.model_fields]
        if unknown:
            raise ValueError(f"{self.name}: {unknown[0]!r} is not a claim of the assurance schema")
        missing = [name for name in self.assurance.required_claims if name not in self.claims]
        if missing:
            raise ValueError(
                f"{self.name}: the policy requires {missing[0]!r}, which the service does not request"
            )
        for name, purpose in self.claims.items():
            if not 3 <= len(purpose) <= 300:
                raise ValueError(
                    f"{self.name}: the purpose of {name!r} must be 3 to 300 characters (IDA §6.2)"
                )

    @property
    def minimum_level(self) -> LevelOfConfidence:
        """The lowest GPG 45 level of confidence the service accepts."""
        return self.assurance.minimum_level

    def vtr(self) -> list[str]:
        """The vector this service needs (RFC 8485 §6.1), canonically rendered: the step-up request."""
        components = {identity_vector(self.minimum_level), *self.credential.split(".")}
        return [Vector(frozenset(components)).render()]

    def request_vtr(self) -> list[str]:
        """The ``vtr`` of a first login: the needed vector, then the lower identity values, with the
        needed credential and then (when it is ``Cl.Cm``) with a password alone. A provider answers with
        the first one the citizen meets (RFC 8485 §6.1: ORed, in order), so the service can explain a
        refusal and offer a step-up (:meth:`vtr`) instead of the provider answering an error."""
        needed = identity_vector(self.minimum_level)
        order = ("P3", "P2", "P1")
        levels = order[order.index(needed) :] if needed in order else (needed,)
        credentials = [self.credential] if self.credential == "Cl" else [self.credential, "Cl"]
        vectors = [
            Vector(frozenset({level, *credential.split(".")})).render()
            for credential in credentials
            for level in levels
        ]
        # last: no identity proven at all (P0), so an unproven citizen gets an explanation too
        return [*vectors, *credentials]

    def claims_request(self) -> dict[str, Any]:
        """The ``claims`` request parameter: ``verified_claims`` at the UserInfo endpoint (IDA §6).

        An OP releases only the ``verification`` members requested (IDA §6.1), so the request names
        what the policy is evaluated on: the assurance process with its GPG 45 scores and the
        evidence references, the time of the check, and each kind of evidence with its checks."""
        required = set(self.assurance.required_claims)
        claims = {
            name: {"essential": True, "purpose": purpose} if name in required else {"purpose": purpose}
            for name, purpose in self.claims.items()
        }
        frameworks = list(self.assurance.accepted_trust_frameworks)
        framework = {"value": frameworks[0]} if len(frameworks) == 1 else {"values": frameworks}
        checks = [{"check_method": None, "organization": None, "check_id": None, "time": None}]
        verification = {
            "trust_framework": framework,
            "assurance_level": None,
            "assurance_process": {
                "policy": None,
                "procedure": None,
                "assurance_details": [
                    {
                        "assurance_type": None,
                        "assurance_classification": None,
                        "evidence_ref": [
                            {"check_id": None, "evidence_metadata": {"evidence_classification": None}}
                        ],
                    }
                ],
            },
            "time": None,
            "evidence": [
                {"type": {"value": "document"}, "check_details": checks, "document_details": {"type": None}},
                {"type": {"value": "electronic_record"}, "check_details": checks, "record": {"type": None}},
                {
                    "type": {"value": "vouch"},
                    "check_details": checks,
                    "attestation": {"type": None, "voucher": {"occupation": None, "organization": None}},
                },
            ],
        }
        return {"userinfo": {"verified_claims": {"verification": verification, "claims": claims}}}


def claim_purposes(policies: Iterable[ServicePolicy]) -> dict[str, str]:
    """The ``claim_purposes`` metadata of the relying party (this federation's extension): each claim
    any service asks for, with the distinct purposes joined (at most 500 characters)."""
    found: dict[str, list[str]] = {}
    for policy in policies:
        for name, purpose in policy.claims.items():
            purposes = found.setdefault(name, [])
            if purpose not in purposes:
                purposes.append(purpose)
    return {name: "; ".join(texts)[:500] for name, texts in found.items()}


def policies_by_name(policies: Iterable[ServicePolicy]) -> Mapping[str, ServicePolicy]:
    """The policies keyed by name; ``ValueError`` for a name used twice."""
    found: dict[str, ServicePolicy] = {}
    for policy in policies:
        if policy.name in found:
            raise ValueError(f"two services are named {policy.name!r}")
        found[policy.name] = policy
    return found
