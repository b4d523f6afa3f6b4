"""The result of a login, as the service uses it: who, which claims, which level, proven how, by which
identity provider through which trust chain, and the policy decision with its reasons.

Results are kept in the service's session as JSON (:meth:`LoginResult.to_json`); everything in them
was checked when the login completed and is not re-evaluated when read back.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from schemas.gpg45 import LevelOfConfidence

__all__ = ["Decision", "Evidence", "Failure", "LoginResult", "ProviderInfo", "StepUp"]

#: Failure codes the service adds to those of ``schemas.policy.FailureCode``.
CREDENTIAL_TOO_WEAK = "credential_too_weak"


@dataclass(frozen=True)
class ProviderInfo:
    """The identity provider that answered, and why the service trusts it."""

    issuer: str
    name: str
    #: ``federation`` (resolved through a trust chain) or ``static`` (configured by hand).
    kind: str
    #: Entity IDs from the provider up to the trust anchor (empty for a static provider).
    trust_chain: tuple[str, ...] = ()
    trust_anchor: str | None = None
    #: The DIATF certificate of the certification trust mark (federation providers).
    certificate_id: str | None = None
    certified_levels: tuple[str, ...] = ()


@dataclass(frozen=True)
class Evidence:
    """One piece of evidence, in words: its type, what it was, and the check methods used."""

    type: str
    what: str
    check_methods: tuple[str, ...]


@dataclass(frozen=True)
class Failure:
    """One reason the evidence was not accepted: a code and words a citizen can read."""

    code: str
    message: str


@dataclass(frozen=True)
class StepUp:
    """A new request that could get the service what it needs (RFC 8485 §6.1: a higher vector)."""

    vtr: tuple[str, ...]
    reason: str


@dataclass(frozen=True)
class Decision:
    """The service's assurance policy applied to what was received."""

    accepted: bool
    level: LevelOfConfidence | None
    profiles: tuple[str, ...]
    failures: tuple[Failure, ...]
    step_up: StepUp | None = None

    @property
    def reasons(self) -> tuple[str, ...]:
        """The failure messages, in order."""
        return tuple(f.message for f in self.failures)


@dataclass(frozen=True)
class LoginResult:
    """A completed login at one service (``service`` is the policy's name)."""

    service: str
    subject: str
    provider: ProviderInfo
    decision: Decision
    #: The claims received: the verified ones of the element decided on, then any other claim.
    claims: Mapping[str, Any]
    #: Names of the claims that came inside ``verified_claims``.
    verified: tuple[str, ...]
    evidence: tuple[Evidence, ...]
    vot: str | None
    vtm: str | None
    trust_framework: str | None
    verified_at: str | None
    auth_time: int | None
    received_at: int
    #: The ``verified_claims`` element decided on, as received (for audit), or None.
    verified_claims: Mapping[str, Any] | None = field(default=None, repr=False)

    @property
    def accepted(self) -> bool:
        """True when the service's policy accepted the evidence."""
        return self.decision.accepted

    def claim(self, name: str) -> Any:
        """A received claim, or None."""
        return self.claims.get(name)

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict (for the session store)."""
        data = asdict(self)
        data["decision"]["level"] = self.decision.level.value if self.decision.level else None
        return data

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> LoginResult:
        """The result :meth:`to_json` wrote."""
        decision = data["decision"]
        step_up = decision.get("step_up")
        return cls(
            service=data["service"],
            subject=data["subject"],
            provider=ProviderInfo(
                **{
                    **data["provider"],
                    "trust_chain": tuple(data["provider"]["trust_chain"]),
                    "certified_levels": tuple(data["provider"]["certified_levels"]),
                }
            ),
            decision=Decision(
                accepted=decision["accepted"],
                level=LevelOfConfidence(decision["level"]) if decision["level"] else None,
                profiles=tuple(decision["profiles"]),
                failures=tuple(Failure(**f) for f in decision["failures"]),
                step_up=StepUp(tuple(step_up["vtr"]), step_up["reason"]) if step_up else None,
            ),
            claims=dict(data["claims"]),
            verified=tuple(data["verified"]),
            evidence=tuple(
                Evidence(e["type"], e["what"], tuple(e["check_methods"])) for e in data["evidence"]
            ),
            vot=data["vot"],
            vtm=data["vtm"],
            trust_framework=data["trust_framework"],
            verified_at=data["verified_at"],
            auth_time=data["auth_time"],
            received_at=data["received_at"],
            verified_claims=data.get("verified_claims"),
        )


def describe_evidence(evidence: Sequence[Mapping[str, Any]]) -> tuple[Evidence, ...]:
    """The evidence of a ``verified_claims`` element in words (IDA §5.1.1)."""
    found: list[Evidence] = []
    for item in evidence:
        kind = str(item.get("type", "unknown"))
        methods = tuple(
            str(c.get("check_method"))
            for c in item.get("check_details") or ()
            if isinstance(c, Mapping) and c.get("check_method")
        )
        if kind == "document":
            details = item.get("document_details") or {}
            what = str(details.get("type", "document")).replace("_", " ")
        elif kind == "electronic_record":
            record = item.get("record") or {}
            what = str(record.get("type", "record")).replace("_", " ")
        elif kind == "vouch":
            voucher = (item.get("attestation") or {}).get("voucher") or {}
            who = ", ".join(str(voucher[k]) for k in ("occupation", "organization") if voucher.get(k))
            what = f"vouch by {who}" if who else "vouch"
        else:
            what = kind.replace("_", " ")
        found.append(Evidence(kind, what, methods))
    return tuple(found)
