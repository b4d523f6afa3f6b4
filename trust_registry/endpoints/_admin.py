"""Shared parts of the administration API under ``/admin``: authentication, bodies and views.

Every call needs ``Authorization: Bearer <token>`` with a token from the settings (``admin_tokens``);
a missing or wrong token is 401 ``invalid_client``. Bodies are JSON objects checked strictly.
Every change is written to the append-only audit log in the same transaction.
"""

from __future__ import annotations

import hmac
from typing import Any

from fastapi import Request
from pydantic import BaseModel, ConfigDict, Field, StrictInt

from federation.errors import Check, InvalidClient
from trust_registry.core.members import MemberOptions
from trust_registry.endpoints._http import Query, services
from trust_registry.store import AuditEntry, Member, StoredTrustMark

__all__ = ["actor", "audit_view", "mark_view", "member_view", "subordinate"]


class NewSubordinate(MemberOptions):
    """Body of ``POST /admin/subordinates``."""

    entity_id: str = Field(min_length=1, max_length=2048, description="Entity ID to onboard.")


class IssueTrustMark(BaseModel):
    """Body of ``POST /admin/trust-marks``."""

    model_config = ConfigDict(extra="forbid")

    trust_mark_type: str = Field(min_length=1, max_length=2048, description="Kind name or type URL.")
    sub: str = Field(min_length=1, max_length=2048, description="Entity ID of the member.")
    claims: dict[str, Any] = Field(default_factory=dict, description="The type's own claims.")
    lifetime: int | None = Field(default=None, ge=0, le=10 * 365 * 86400, description="Seconds; 0: no exp.")


class Revoke(BaseModel):
    """Body of ``POST /admin/trust-marks/revoke``."""

    model_config = ConfigDict(extra="forbid")

    id: StrictInt = Field(
        ge=1, le=2**31 - 1, description="Id of the trust mark, from the issue answer or list."
    )
    reason: str = Field(default="unspecified", min_length=1, max_length=512)


class NewDelegation(BaseModel):
    """Body of ``POST /admin/delegations`` (trust anchor as owner)."""

    model_config = ConfigDict(extra="forbid")

    issuer: str = Field(min_length=1, max_length=2048)
    trust_mark_type: str = Field(min_length=1, max_length=2048)
    lifetime: int | None = Field(default=None, ge=300, le=10 * 365 * 86400)


class InstallDelegation(BaseModel):
    """Body of ``PUT /admin/delegation`` (an issuer keeps the owner's delegation)."""

    model_config = ConfigDict(extra="forbid")

    delegation: str = Field(min_length=1, max_length=16384)
    owner: str = Field(min_length=1, max_length=2048, description="The trust anchor that owns the type.")


class RotateKeys(BaseModel):
    """Body of ``POST /admin/keys/rotate``."""

    model_config = ConfigDict(extra="forbid")

    overlap: int = Field(default=7 * 86400, ge=0, le=90 * 86400, description="Seconds the old key stays.")


def actor(request: Request) -> str:
    """The administrator named by the bearer token, or 401 ``invalid_client``."""
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise InvalidClient("the admin API needs Authorization: Bearer <admin token>", check=Check.FORMAT)
    presented = token.strip().encode()
    found = None
    for name, secret in services(request).settings.admin_tokens.items():
        if hmac.compare_digest(presented, secret.get_secret_value().encode()):
            found = name
    if found is None:
        raise InvalidClient("the admin token is not valid", check=Check.SIGNATURE)
    return found


def member_view(member: Member) -> dict[str, Any]:
    """A member as the admin API shows it."""
    view = member.audit_view()
    view["federation_kids"] = [k.get("kid") for k in member.jwks.get("keys", [])]
    view.pop("jwks")
    view.update(
        statement_exp=member.statement_exp, created_at=member.created_at, updated_at=member.updated_at
    )
    return view


def mark_view(mark: StoredTrustMark) -> dict[str, Any]:
    """A trust mark as the admin API shows it."""
    return {
        "id": mark.id,
        "trust_mark_type": mark.trust_mark_type,
        "sub": mark.sub,
        "iat": mark.iat,
        "exp": mark.exp,
        "revoked_at": mark.revoked_at,
        "revocation_reason": mark.revocation_reason,
        "trust_mark": mark.jwt,
    }


def audit_view(entry: AuditEntry) -> dict[str, Any]:
    """An audit entry as the admin API shows it."""
    return {
        "id": entry.id,
        "at": entry.at,
        "actor": entry.actor,
        "action": entry.action,
        "target": entry.target,
        "before": entry.before,
        "after": entry.after,
    }


def subordinate(request: Request) -> str:
    """The ``sub`` query parameter naming a member."""
    sub = Query(request, ("sub",)).entity_id("sub")
    assert sub is not None
    return sub
