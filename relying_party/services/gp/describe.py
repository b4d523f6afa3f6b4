"""A login result in plain words for the practice's pages: what was received, how sure the practice
can be (GPG 45 level of confidence and profile), which identity provider through which trust chain
(OpenID Federation 1.0 §10), how the identity was proven (OIDC for Identity Assurance §5.1.1
evidence) and the practice's decision."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from relying_party.core.policy import ServicePolicy
from relying_party.core.result import LoginResult
from schemas.evidence import CHECK_METHOD_DESCRIPTIONS, CheckMethod

__all__ = [
    "Identity",
    "address_words",
    "claim_label",
    "date_words",
    "describe",
    "evidence_summary",
    "nhs_number_words",
]

_LABELS = {
    "given_name": "First name",
    "family_name": "Last name",
    "birthdate": "Date of birth",
    "address": "Address",
    "nhs_number": "NHS number",
    "age_over_18": "Aged 18 or over",
}
_ADDRESS_PARTS = ("street_address", "locality", "region", "postal_code", "country")


def nhs_number_words(value: object) -> str:
    """An NHS number as the NHS writes it: ``943 476 5919``."""
    text = str(value)
    return f"{text[:3]} {text[3:6]} {text[6:]}" if len(text) == 10 and text.isdigit() else text


def date_words(value: object) -> str:
    """``1979-02-23`` as ``23 February 1979``."""
    try:
        day = date.fromisoformat(str(value))
    except ValueError:
        return str(value)
    return f"{day.day} {day:%B %Y}"


def address_words(value: object) -> str:
    """An address claim (OpenID Connect Core §5.1.1) on one line."""
    if not isinstance(value, Mapping):
        return str(value)
    if value.get("formatted"):
        return ", ".join(line.strip() for line in str(value["formatted"]).splitlines() if line.strip())
    lines = [str(value[part]).replace("\n", ", ") for part in _ADDRESS_PARTS if value.get(part)]
    return ", ".join(lines)


def claim_label(name: str) -> str:
    """A claim's name as a person would read it (``birthdate``: "Date of birth")."""
    return _LABELS.get(name, name.replace("_", " ").capitalize())


def _claim_words(name: str, value: Any) -> str:
    if name == "birthdate":
        return date_words(value)
    if name == "address":
        return address_words(value)
    if name == "nhs_number":
        return nhs_number_words(value)
    if isinstance(value, bool):
        return "Yes" if value else "No"
    return str(value)


def _method_words(method: str) -> str:
    try:
        return CHECK_METHOD_DESCRIPTIONS[CheckMethod(method)]
    except ValueError:
        return method


def evidence_summary(result: LoginResult) -> str:
    """How the identity was proven, on one line (e.g. ``vouch by Hostel key worker, St Mungo's``)."""
    return "; ".join(e.what for e in result.evidence) or "no evidence described"


@dataclass(frozen=True)
class Claim:
    """One claim received: its label, its value in words, and whether the provider checked it."""

    label: str
    value: str
    verified: bool


@dataclass(frozen=True)
class Identity:
    """Everything a page says about a login result."""

    claims: tuple[Claim, ...]
    level: str
    profiles: str
    provider: str
    issuer: str
    federation: bool
    chain: tuple[str, ...]
    anchor: str | None
    certificate: str | None
    certified_levels: str
    evidence: tuple[str, ...]
    checked_on: str | None
    accepted: bool
    reasons: tuple[str, ...]
    service: str


def describe(result: LoginResult, policy: ServicePolicy) -> Identity:
    """``result`` in words, for ``policy``'s service."""
    claims = tuple(
        Claim(
            _LABELS.get(name, name.replace("_", " ").capitalize()),
            _claim_words(name, value),
            name in result.verified,
        )
        for name, value in result.claims.items()
        if value is not None
    )
    level = result.decision.level
    provider = result.provider
    evidence = tuple(
        e.what
        + (f" (checked by {', '.join(_method_words(m) for m in e.check_methods)})" if e.check_methods else "")
        for e in result.evidence
    )
    return Identity(
        claims=claims,
        level=level.label.capitalize() if level else "No level of confidence",
        profiles=", ".join(p.upper() for p in result.decision.profiles),
        provider=provider.name,
        issuer=provider.issuer,
        federation=provider.kind == "federation",
        chain=provider.trust_chain,
        anchor=provider.trust_anchor,
        certificate=provider.certificate_id,
        certified_levels=", ".join(provider.certified_levels),
        evidence=evidence,
        checked_on=date_words(result.verified_at[:10]) if result.verified_at else None,
        accepted=result.accepted,
        reasons=result.decision.reasons,
        service=policy.title,
    )
