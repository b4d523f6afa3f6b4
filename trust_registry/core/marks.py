"""Trust marks this registry issues, their status, listings and delegations (OpenID Federation 1.0
§7, §8.4-§8.6), with this federation's trust mark types and their claims (``schemas/records.py``).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any

from pydantic import ValidationError

from federation.errors import Check, FederationError, InvalidJwt, InvalidRequest, NotFound
from federation.jose import JwtType, decode_unverified, verify_jwt
from federation.statements import key_set
from federation.trust_marks import TrustMarkStatus, issue_delegation, sign_status_response
from trust_registry.core.members import ACTIVE
from trust_registry.core.profile import TRUST_MARK_MODELS, kind_of, resolve_type
from trust_registry.core.registry import Registry
from trust_registry.store import StoredTrustMark

__all__ = [
    "install_delegation",
    "issue_mark",
    "issue_owner_delegation",
    "revoke_mark",
    "trust_mark",
    "trust_mark_status",
    "trust_marked_entities",
]

_FIELD_LIMIT = 2048


def digest(token: str) -> str:
    """How a trust mark is found again: the SHA-256 of its compact serialisation."""
    return hashlib.sha256(token.encode()).hexdigest()


def known_type(registry: Registry, name: str) -> str:
    """The full type URL of a trust mark type this registry issues, or InvalidRequest."""
    type_url = resolve_type(registry.config.type_base, name)
    if type_url not in registry.config.issued_types:
        issued = ", ".join(registry.config.issued_types) or "none"
        raise InvalidRequest(
            f"unknown trust mark type {name[:200]!r}: this registry issues {issued}",
            check=Check.TRUST_MARK_TYPE,
        )
    return type_url


def _delegation_for(registry: Registry, type_url: str, now: int) -> str | None:
    config = registry.config
    if config.is_anchor and type_url in config.owned_types:
        return issue_delegation(
            registry.keys, owner=config.entity_id, issuer=config.entity_id, trust_mark_type=type_url, iat=now
        )
    return registry.store.delegation(type_url)


def issue_mark(
    registry: Registry,
    actor: str,
    *,
    trust_mark_type: str,
    sub: str,
    claims: Mapping[str, Any],
    lifetime: int | None = None,
) -> StoredTrustMark:
    """Issue a trust mark of a known type to an active member; its claims are checked by the schema."""
    type_url = known_type(registry, trust_mark_type)
    member = registry.store.member(sub)
    if member is None or member.status != ACTIVE:
        raise InvalidRequest(f"{sub[:200]} is not an active subordinate of this registry", check=Check.SUB)
    now = registry.now()
    reserved = {"iss", "sub", "trust_mark_type", "iat", "exp", "delegation"} & set(claims)
    if reserved:
        raise InvalidRequest(
            f"claims must not set {', '.join(sorted(reserved))}: the registry sets them", check=Check.CLAIMS
        )
    full: dict[str, Any] = {
        "iss": registry.config.entity_id,
        "sub": sub,
        "trust_mark_type": type_url,
        "iat": now,
    }
    life = registry.config.trust_mark_lifetime if lifetime is None else lifetime
    if life > 0:
        full["exp"] = now + life
    delegation = _delegation_for(registry, type_url, now)
    if delegation is not None:
        full["delegation"] = delegation
    full.update(claims)
    kind = kind_of(registry.config.type_base, type_url)
    if kind is not None:
        try:
            parsed = TRUST_MARK_MODELS[kind].model_validate(full)
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first["loc"]) or "claims"
            raise InvalidRequest(f"trust mark claims: {where}: {first['msg']}", check=Check.CLAIMS) from None
        full = parsed.model_dump(mode="json", exclude_none=True)
        certification = full.get("certification")
        if isinstance(certification, dict) and certification.get("status") != "active":
            raise InvalidRequest("the certification is not active", check=Check.CLAIMS)
    token = registry.keys.sign(full, JwtType.TRUST_MARK)
    exp = full.get("exp")
    record: dict[str, Any] = {
        "digest": digest(token),
        "trust_mark_type": type_url,
        "sub": sub,
        "jwt": token,
        "iat": now,
        "exp": exp,
    }
    with registry.store.write(actor, now) as writer:
        mark_id = writer.add_trust_mark(record)
        stored = StoredTrustMark(
            id=mark_id,
            digest=str(record["digest"]),
            trust_mark_type=type_url,
            sub=sub,
            jwt=token,
            iat=now,
            exp=exp if isinstance(exp, int) else None,
            revoked_at=None,
            revocation_reason=None,
        )
        writer.audit("issue_trust_mark", sub, None, stored.audit_view())
    registry.changed()
    return stored


def revoke_mark(registry: Registry, actor: str, mark_id: int, reason: str) -> StoredTrustMark:
    """Revoke a trust mark this registry issued (its status becomes ``revoked``, §8.4.2)."""
    before = registry.store.trust_mark_by_id(mark_id)
    if before is None:
        raise NotFound(f"no trust mark {mark_id} was issued by this registry", check=Check.TRUST_MARK_TYPE)
    if before.revoked_at is not None:
        raise InvalidRequest(f"trust mark {mark_id} is already revoked", check=Check.STATUS)
    now = registry.now()
    with registry.store.write(actor, now) as writer:
        writer.revoke_trust_mark(mark_id, reason)
        after = StoredTrustMark(**{**before.audit_view(), "revoked_at": now, "revocation_reason": reason})
        writer.audit("revoke_trust_mark", before.sub, before.audit_view(), after.audit_view())
    registry.changed()
    return after


def _status_of(registry: Registry, token: str) -> TrustMarkStatus:
    stored = registry.store.trust_mark_by_digest(digest(token))
    now = registry.now()
    if stored is None:
        # A mark we never issued is unknown (404); one whose claims match a mark we issued but
        # whose bytes differ was tampered with: "invalid" (§8.4.2).
        try:
            _header, claims = decode_unverified(token)
        except InvalidJwt as exc:
            raise InvalidRequest(f"trust_mark: {exc.description}", check=exc.check) from exc
        if claims.get("iss") == registry.config.entity_id and _matches_issued(registry, claims):
            return TrustMarkStatus.INVALID
        raise NotFound("this registry did not issue that trust mark", check=Check.STATUS)
    try:
        verify_jwt(token, _all_keys(registry), JwtType.TRUST_MARK)
    except InvalidJwt:
        return TrustMarkStatus.INVALID
    if stored.revoked_at is not None:
        return TrustMarkStatus.REVOKED
    if stored.exp is not None and stored.exp <= now:
        return TrustMarkStatus.EXPIRED
    return TrustMarkStatus.ACTIVE


def _all_keys(registry: Registry) -> Any:
    """Every key this registry signed with and has not revoked (a mark outlives a key rotation)."""
    keys = [k.public_jwk() for k in registry.keys.managed_keys() if k.revoked_at is None]
    return key_set({"keys": keys})


def _matches_issued(registry: Registry, claims: Mapping[str, Any]) -> bool:
    sub, type_url, iat = claims.get("sub"), claims.get("trust_mark_type"), claims.get("iat")
    if not isinstance(sub, str) or not isinstance(type_url, str) or "\x00" in sub + type_url:
        return False
    return any(m.iat == iat for m in registry.store.trust_marks(sub=sub, trust_mark_type=type_url))


def trust_mark_status(registry: Registry, token: str) -> str:
    """The signed status of a trust mark (§8.4.2): active, expired, revoked or invalid; 404 if unknown."""
    status = _status_of(registry, token)
    return sign_status_response(
        registry.keys, issuer=registry.config.entity_id, trust_mark=token, status=status, iat=registry.now()
    )


def trust_marked_entities(registry: Registry, trust_mark_type: str, sub: str | None) -> list[str]:
    """Entities holding a valid trust mark of the type issued here (§8.5); sorted, each once."""
    type_url = resolve_type(registry.config.type_base, trust_mark_type)
    marks = registry.store.valid_trust_marks(now=registry.now(), trust_mark_type=type_url, sub=sub)
    return sorted({m.sub for m in marks})


def trust_mark(registry: Registry, trust_mark_type: str, sub: str) -> str:
    """The newest valid trust mark of the type held by ``sub`` (§8.6), or NotFound."""
    type_url = resolve_type(registry.config.type_base, trust_mark_type)
    marks = registry.store.valid_trust_marks(now=registry.now(), trust_mark_type=type_url, sub=sub)
    if not marks:
        raise NotFound(
            f"{sub} holds no valid trust mark of type {type_url} from this registry", check=Check.SUB
        )
    return marks[0].jwt


def issue_owner_delegation(
    registry: Registry, actor: str, *, issuer: str, trust_mark_type: str, lifetime: int | None
) -> str:
    """As owner of a trust mark type (anchor), delegate issuing it to ``issuer`` (§7.2.1)."""
    config = registry.config
    type_url = resolve_type(config.type_base, trust_mark_type)
    if not config.is_anchor or type_url not in config.owned_types:
        owned = ", ".join(config.owned_types) or "none"
        raise InvalidRequest(
            f"this registry does not own trust mark type {trust_mark_type[:200]!r} (owned: {owned})",
            check=Check.TRUST_MARK_TYPE,
        )
    if issuer not in config.trust_mark_issuers.get(type_url, [issuer]):
        raise InvalidRequest(
            f"{issuer} is not in trust_mark_issuers for {type_url}", check=Check.TRUST_MARK_ISSUER
        )
    now = registry.now()
    token = issue_delegation(
        registry.keys,
        owner=config.entity_id,
        issuer=issuer,
        trust_mark_type=type_url,
        iat=now,
        lifetime=lifetime,
    )
    with registry.store.write(actor, now) as writer:
        writer.audit("issue_delegation", issuer, None, {"trust_mark_type": type_url, "delegation": token})
    return token


def install_delegation(registry: Registry, actor: str, token: str, owner_jwks: Mapping[str, Any]) -> str:
    """Keep a delegation from the owner of a type this registry issues; returns the type (§7.2.1)."""
    try:
        verified = verify_jwt(token, key_set(owner_jwks), JwtType.TRUST_MARK_DELEGATION)
    except FederationError as exc:
        raise InvalidRequest(f"delegation: {exc.description}", check=exc.check) from exc
    claims = verified.claims
    type_url = claims.get("trust_mark_type")
    if claims.get("sub") != registry.config.entity_id:
        raise InvalidRequest(
            f"the delegation is for {claims.get('sub')!r}, not this registry", check=Check.SUB
        )
    if not isinstance(type_url, str) or type_url not in registry.config.issued_types:
        raise InvalidRequest(f"this registry does not issue {type_url!r}", check=Check.TRUST_MARK_TYPE)
    now = registry.now()
    exp = claims.get("exp")
    if isinstance(exp, int) and exp <= now:
        raise InvalidRequest("the delegation has expired", check=Check.EXP)
    with registry.store.write(actor, now) as writer:
        writer.put_delegation(type_url, token, str(claims.get("iss")), exp if isinstance(exp, int) else None)
        writer.audit("install_delegation", type_url, None, {"owner": claims.get("iss"), "delegation": token})
    return type_url
