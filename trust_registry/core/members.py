"""Onboarding and administration of subordinates; every change is audited in its own transaction.

Onboarding (OpenID Federation 1.0 §3.1, §9): the registry fetches the entity's self-signed entity
configuration with the hardened fetcher, verifies it, requires this registry among its
``authority_hints``, checks its metadata against the federation profile, records its federation
keys and signs a subordinate statement about it.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field

from federation.errors import Check, FederationError, InvalidRequest, NotFound
from federation.http import ENTITY_STATEMENT_MEDIA_TYPE, FederationFetcher, entity_configuration_url
from federation.metadata_policy import apply_metadata_policy
from federation.statements import Constraints, EntityStatement, is_entity_id, verify_entity_configuration
from trust_registry.core.profile import check_member_metadata, contains_nul
from trust_registry.core.registry import Registry
from trust_registry.store import Member

__all__ = [
    "MemberOptions",
    "add_subordinate",
    "check_entity_id",
    "existing",
    "refresh_keys",
    "remove_subordinate",
    "rotate_keys",
    "set_status",
    "update_subordinate",
]

ACTIVE = "active"
SUSPENDED = "suspended"


class MemberOptions(BaseModel):
    """What the registry says about a subordinate in its statement (§3.1, §5.2, §6)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    metadata: dict[str, dict[str, Any]] | None = Field(
        default=None, description="Metadata that overrides the subordinate's own (§3.1, `metadata`)."
    )
    metadata_policy: dict[str, dict[str, dict[str, Any]]] | None = Field(
        default=None, description="Policy merged with the federation profile's (§6.1)."
    )
    metadata_policy_crit: list[str] | None = Field(
        default=None, min_length=1, description="Policy operators that must be understood (§6.1.3.2)."
    )
    constraints: Constraints | None = Field(default=None, description="Trust chain constraints (§6.2).")


def check_entity_id(registry: Registry, entity_id: str) -> str:
    """An entity ID is an http(s) URL with a host and no query or fragment; https outside dev (§1.2)."""
    if len(entity_id) > 2048 or not is_entity_id(entity_id) or urlsplit(entity_id).username:
        raise InvalidRequest(f"{entity_id[:200]!r} is not an entity ID (an https URL)", check=Check.SUB)
    if urlsplit(entity_id).scheme != "https" and not registry.config.development:
        raise InvalidRequest(f"entity ID {entity_id} must use https", check=Check.SUB)
    return entity_id


async def fetch_configuration(
    registry: Registry, fetcher: FederationFetcher, entity_id: str
) -> EntityStatement:
    """Fetch and verify ``entity_id``'s self-signed entity configuration naming this registry above it."""
    try:
        token = await fetcher.get_jwt(
            entity_configuration_url(entity_id), media_type=ENTITY_STATEMENT_MEDIA_TYPE
        )
        statement = verify_entity_configuration(
            token, entity_id=entity_id, trusted_keys=None, now=registry.now()
        )
    except FederationError as exc:
        raise InvalidRequest(
            f"entity configuration of {entity_id}: {exc.description}", check=exc.check, detail=exc.detail
        ) from exc
    if registry.config.entity_id not in (statement.authority_hints or []):
        raise InvalidRequest(
            f"entity configuration of {entity_id} does not name {registry.config.entity_id} in its "
            "authority_hints",
            check=Check.AUTHORITY_HINTS,
        )
    return statement


def _check_metadata(registry: Registry, statement: EntityStatement, options: MemberOptions) -> None:
    """The member's metadata, after the override and the profile's policy, must be acceptable (§6.1.4.2)."""
    metadata = {t: dict(m) for t, m in (statement.metadata or {}).items()}
    name = metadata.get("federation_entity", {}).get("organization_name")
    if contains_nul(statement.to_claims()):
        raise InvalidRequest(  # PostgreSQL text cannot hold U+0000
            f"entity configuration of {statement.sub} contains NUL characters (\\u0000)", check=Check.FORMAT
        )
    if any(len(t) > 128 for t in metadata) or (isinstance(name, str) and len(name) > 512):
        raise InvalidRequest(  # the store's column sizes (tables.py)
            f"metadata of {statement.sub}: entity type names are limited to 128 characters and "
            "organization_name to 512",
            check=Check.METADATA,
        )
    for entity_type, override in (options.metadata or {}).items():
        if entity_type in metadata:
            metadata[entity_type].update(override)
    try:
        policy = registry.effective_policy(
            list(metadata), options.metadata_policy, options.metadata_policy_crit or ()
        )
        resolved = apply_metadata_policy(metadata, policy)
        check_member_metadata(resolved, allow_http=registry.config.development)
    except FederationError as exc:
        raise InvalidRequest(
            f"metadata of {statement.sub} does not meet the federation profile: {exc.description}",
            check=exc.check,
        ) from exc


def _member(statement: EntityStatement, options: MemberOptions, now: int, created: int) -> Member:
    federation_entity = (statement.metadata or {}).get("federation_entity", {})
    name = federation_entity.get("organization_name")
    return Member(
        entity_id=statement.sub,
        status=ACTIVE,
        organization_name=name if isinstance(name, str) else None,
        is_intermediate="federation_fetch_endpoint" in federation_entity,
        entity_types=tuple(sorted(statement.metadata or {})),
        jwks=statement.jwks.model_dump(exclude_none=True) if statement.jwks else {"keys": []},
        configuration_metadata=dict(statement.metadata or {}),
        metadata=options.metadata,
        metadata_policy=options.metadata_policy,
        metadata_policy_crit=options.metadata_policy_crit,
        constraints=options.constraints.model_dump(exclude_none=True) if options.constraints else None,
        statement="",
        statement_iat=now,
        statement_exp=now,
        created_at=created,
        updated_at=now,
    )


def _signed(registry: Registry, member: Member, now: int) -> Member:
    jwt, exp = registry.sign_statement(member, now)
    return dataclasses.replace(member, statement=jwt, statement_iat=now, statement_exp=exp)


def existing(registry: Registry, entity_id: str) -> Member:
    member = registry.store.member(entity_id)
    if member is None:
        raise NotFound(f"{entity_id} is not a subordinate of {registry.config.entity_id}", check=Check.SUB)
    return member


async def add_subordinate(
    registry: Registry, fetcher: FederationFetcher, actor: str, entity_id: str, options: MemberOptions
) -> Member:
    """Onboard ``entity_id`` as an immediate subordinate."""
    check_entity_id(registry, entity_id)
    if entity_id == registry.config.entity_id:
        raise InvalidRequest("a registry cannot be its own subordinate", check=Check.SUB)
    if registry.store.member(entity_id) is not None:
        raise InvalidRequest(f"{entity_id} is already a subordinate", check=Check.SUB)
    statement = await fetch_configuration(registry, fetcher, entity_id)
    _check_metadata(registry, statement, options)
    now = registry.now()
    member = _signed(registry, _member(statement, options, now, now), now)
    with registry.store.write(actor, now) as writer:
        if registry.store.member(entity_id, writer.connection) is not None:
            raise InvalidRequest(f"{entity_id} is already a subordinate", check=Check.SUB)
        writer.put_member(member, new=True)
        writer.audit("add_subordinate", entity_id, None, member.audit_view())
    registry.changed()
    return member


async def update_subordinate(
    registry: Registry, fetcher: FederationFetcher, actor: str, entity_id: str, options: MemberOptions
) -> Member:
    """Replace what the registry says about a subordinate (metadata, policy, constraints)."""
    before = existing(registry, entity_id)
    statement = await fetch_configuration(registry, fetcher, entity_id)
    _check_metadata(registry, statement, options)
    now = registry.now()
    after = dataclasses.replace(
        before,
        metadata=options.metadata,
        metadata_policy=options.metadata_policy,
        metadata_policy_crit=options.metadata_policy_crit,
        constraints=options.constraints.model_dump(exclude_none=True) if options.constraints else None,
        updated_at=now,
    )
    return _save(registry, actor, "update_subordinate", before, _signed(registry, after, now), now=now)


async def refresh_keys(registry: Registry, fetcher: FederationFetcher, actor: str, entity_id: str) -> Member:
    """Record a subordinate's current federation keys and metadata from its entity configuration."""
    before = existing(registry, entity_id)
    statement = await fetch_configuration(registry, fetcher, entity_id)
    options = MemberOptions(
        metadata=before.metadata,
        metadata_policy=before.metadata_policy,
        metadata_policy_crit=before.metadata_policy_crit,
        constraints=Constraints.model_validate(before.constraints) if before.constraints else None,
    )
    _check_metadata(registry, statement, options)
    now = registry.now()
    fresh = _member(statement, options, now, before.created_at)
    after = dataclasses.replace(fresh, status=before.status)
    return _save(registry, actor, "refresh_keys", before, _signed(registry, after, now), now=now)


def set_status(registry: Registry, actor: str, entity_id: str, status: str) -> Member:
    """Suspend (the fetch endpoint stops serving its statement) or reinstate a subordinate."""
    before = existing(registry, entity_id)
    if before.status == status:
        raise InvalidRequest(f"{entity_id} is already {status}", check=Check.SUB)
    now = registry.now()
    after = dataclasses.replace(before, status=status, updated_at=now)
    if status == ACTIVE:
        after = _signed(registry, after, now)
    action = "suspend_subordinate" if status == SUSPENDED else "reinstate_subordinate"
    return _save(registry, actor, action, before, after, now=now)


def remove_subordinate(registry: Registry, actor: str, entity_id: str) -> Member:
    """Remove a subordinate and revoke the trust marks this registry issued to it."""
    before = existing(registry, entity_id)
    now = registry.now()
    marks = registry.store.valid_trust_marks_of(entity_id, now)
    with registry.store.write(actor, now) as writer:
        for mark in marks:
            writer.revoke_trust_mark(mark.id, "subordinate removed")
            writer.audit("revoke_trust_mark", entity_id, mark.audit_view(), {"reason": "subordinate removed"})
        writer.delete_member(entity_id)
        writer.audit("remove_subordinate", entity_id, before.audit_view(), None)
    registry.changed()
    return before


def _save(registry: Registry, actor: str, action: str, before: Member, after: Member, *, now: int) -> Member:
    with registry.store.write(actor, now) as writer:
        writer.put_member(after, new=False)
        writer.audit(action, after.entity_id, before.audit_view(), after.audit_view())
    registry.changed()
    return after


def options_from(body: Mapping[str, Any]) -> MemberOptions:
    """Member options from a request body (validated; unknown members refused)."""
    return MemberOptions.model_validate(body)


def rotate_keys(registry: Registry, actor: str, overlap: int) -> list[str]:
    """Rotate this registry's signing key and sign every member's statement again (§8.7; the old key
    stays published for ``overlap`` seconds so statements signed with it still verify)."""
    before = [k.kid for k in registry.keys.managed_keys() if k.usable(registry.now())]
    key = registry.keys.rotate(overlap=overlap)
    now = registry.now()
    for chunk_start in range(0, registry.store.member_count(), 1000):
        batch = registry.store.members(offset=chunk_start, limit=1000)
        with registry.store.write(actor, now) as writer:
            for member in batch:
                writer.put_statement(member.entity_id, *registry.sign_statement(member, now), now)
    after = [k.kid for k in registry.keys.managed_keys() if k.usable(registry.now())]
    with registry.store.write(actor, now) as writer:
        writer.audit(
            "rotate_keys", registry.config.entity_id, {"kids": before}, {"kids": after, "active": key.kid}
        )
    registry.changed()
    return after
