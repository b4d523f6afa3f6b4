"""A login result in plain words, for the pages that use an identity: what was received, the level of
confidence and GPG 45 profile, which identity provider through which trust chain, how the identity was
proven (OIDC for Identity Assurance §5.1.1 evidence, with the eKYC & IDA check methods), and the
service's decision with its reasons."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from relying_party.core.policy import ServicePolicy
from relying_party.core.result import LoginResult
from schemas.evidence import CHECK_METHOD_DESCRIPTIONS, CheckMethod
from schemas.gpg45 import LevelOfConfidence

__all__ = ["IdentityView", "Row", "address_lines", "describe", "level_words", "long_date"]

_LABELS = {
    "given_name": "First name",
    "family_name": "Last name",
    "middle_name": "Middle name",
    "birthdate": "Date of birth",
    "address": "Address",
    "email": "Email address",
    "phone_number": "Phone number",
    "nhs_number": "NHS number",
}
_ADDRESS_PARTS = ("street_address", "locality", "region", "postal_code", "country")
_TYPES = {"document": "Document", "electronic_record": "Electronic record", "vouch": "Vouch"}


@dataclass(frozen=True)
class Row:
    """One line of a summary list: a key, the value's lines, and a stable ``name`` for tests and CSS."""

    name: str
    key: str
    lines: tuple[str, ...]


@dataclass(frozen=True)
class IdentityView:
    """Everything the pages say about a login result."""

    claims: tuple[Row, ...]
    level: str
    needed: str
    profiles: str
    provider: tuple[Row, ...]
    chain: tuple[str, ...]
    federated: bool
    evidence: tuple[Row, ...]
    accepted: bool
    reasons: tuple[str, ...]


def level_words(level: LevelOfConfidence | str | None) -> str:
    """``medium`` -> ``medium``, ``very_high`` -> ``very high``; None -> ``not proven``."""
    if level is None:
        return "not proven"
    return str(getattr(level, "value", level)).replace("_", " ")


def long_date(value: object) -> str:
    """An ISO 8601 date as GOV.UK writes dates (``2 November 1985``), else the value as text."""
    try:
        day = date.fromisoformat(str(value))
    except ValueError:
        return str(value)
    return f"{day.day} {day:%B %Y}"


def address_lines(address: object) -> tuple[str, ...]:
    """An address claim (OpenID Connect Core §5.1.1) as lines; its ``formatted`` member when there
    are no parts. The UPRN is not part of the postal address and is left out."""
    if not isinstance(address, Mapping):
        return (str(address),) if address else ()
    lines: list[str] = []
    for part in _ADDRESS_PARTS:
        value = address.get(part)
        if isinstance(value, str) and value.strip():
            lines.extend(line.strip() for line in value.splitlines() if line.strip())
    if not lines and isinstance(address.get("formatted"), str):
        lines = [line.strip() for line in address["formatted"].splitlines() if line.strip()]
    return tuple(lines)


def _claim(name: str, value: Any) -> Row:
    key = _LABELS.get(name, name.replace("_", " ").capitalize())
    if name == "address":
        return Row(name, key, address_lines(value))
    if name == "birthdate":
        return Row(name, key, (long_date(value),))
    if isinstance(value, bool):
        return Row(name, key, ("Yes" if value else "No",))
    if isinstance(value, Mapping):
        return Row(name, key, tuple(f"{k.replace('_', ' ')}: {v}" for k, v in value.items()))
    return Row(name, key, (str(value),))


def _methods(codes: tuple[str, ...]) -> tuple[str, ...]:
    found = []
    for code in codes:
        try:
            found.append(CHECK_METHOD_DESCRIPTIONS[CheckMethod(code)])
        except ValueError:
            found.append(code)
    return tuple(found)


def describe(result: LoginResult, policy: ServicePolicy) -> IdentityView:
    """``result`` in plain words (module documentation)."""
    provider = result.provider
    about = [
        Row("provider-name", "Name", (provider.name,)),
        Row("provider-issuer", "Issuer", (provider.issuer,)),
    ]
    if provider.certificate_id:
        about.append(Row("provider-certificate", "Certificate", (provider.certificate_id,)))
    if provider.certified_levels:
        about.append(
            Row(
                "provider-levels",
                "Certified for",
                (", ".join(level_words(v) for v in provider.certified_levels),),
            )
        )
    evidence = [
        Row(
            f"evidence-{index}",
            f"{_TYPES.get(item.type, item.type.replace('_', ' ').capitalize())}: {item.what}",
            _methods(item.check_methods) or ("no check described",),
        )
        for index, item in enumerate(result.evidence, start=1)
    ]
    if result.verified_at:
        evidence.append(Row("verified-at", "Checked on", (long_date(result.verified_at[:10]),)))
    chain = provider.trust_chain
    return IdentityView(
        claims=tuple(_claim(name, value) for name, value in result.claims.items() if value is not None),
        level=level_words(result.decision.level),
        needed=level_words(policy.minimum_level),
        profiles=", ".join(result.decision.profiles),
        provider=tuple(about),
        chain=chain,
        federated=provider.kind == "federation" and bool(chain),
        evidence=tuple(evidence),
        accepted=result.accepted,
        reasons=result.decision.reasons,
    )
