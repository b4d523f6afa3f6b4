"""Seeding for :mod:`bench.registry`: many members with real signed subordinate statements, fast.

The rows are signed once per size with the registry's own :meth:`Registry.sign_statement` (OpenID
Federation 1.0 §3.1: one statement per member, about its own entity ID) and trust marks signed as
:func:`trust_registry.core.marks.issue_mark` signs them (§7.1); members share one federation key
for speed. Each database is migrated empty (Alembic) and filled with Core bulk inserts in batches.
"""

from __future__ import annotations

import hashlib
import os
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, insert, text

from federation.jose import JwtType
from federation.keys import KeyStore
from schemas.records import TrustMarkKind, trust_mark_type
from trust_registry.core.config import RegistryConfig
from trust_registry.core.profile import TRUST_MARK_MODELS
from trust_registry.core.registry import Registry
from trust_registry.migrate import create_store_engine, migrate
from trust_registry.settings import RegistrySettings
from trust_registry.store import Member, RegistryStore
from trust_registry.tables import member_entity_types, members, trust_marks

__all__ = ["POSTGRES_ENV", "SeedRows", "SeedTiming", "database", "member_id", "seed_database", "sign_rows"]

POSTGRES_ENV = "UKID_TEST_POSTGRES_URL"
BATCH = 5_000
RP = "openid_relying_party"
OP = "openid_provider"
RESOURCE = "oauth_resource"


def member_id(index: int) -> str:
    """The entity ID of seeded member ``index``."""
    return f"https://member-{index:06d}.bench.example"


@dataclass(frozen=True)
class SeedRows:
    """Rows ready to insert, with what signing them cost."""

    members: list[dict[str, Any]]
    entity_types: list[dict[str, str]]
    trust_marks: list[dict[str, Any]]
    sign_seconds: float

    @property
    def entity_ids(self) -> list[str]:
        """The seeded members' entity IDs."""
        return [row["entity_id"] for row in self.members]


@dataclass(frozen=True)
class SeedTiming:
    """Seconds to migrate an empty database and to bulk insert the rows."""

    migrate_seconds: float
    insert_seconds: float


def _shape(index: int, entity_id: str) -> tuple[dict[str, dict[str, Any]], TrustMarkKind | None]:
    """Metadata of member ``index``: 10% providers, 5% intermediates, 5% resources, 80% relying
    parties; 10% hold a trust mark (half of them providers, so filters can be combined)."""
    slot = index % 20
    federation_entity: dict[str, Any] = {"organization_name": f"Bench member {index}"}
    metadata: dict[str, dict[str, Any]] = {"federation_entity": federation_entity}
    if slot in (0, 1):
        metadata[OP] = {"issuer": entity_id, "authorization_endpoint": f"{entity_id}/authorize"}
    elif slot == 2:
        federation_entity["federation_fetch_endpoint"] = f"{entity_id}/fetch"
    elif slot == 3:
        metadata[RESOURCE] = {"resource": entity_id}
    else:
        metadata[RP] = {"redirect_uris": [f"{entity_id}/callback"], "grant_types": ["authorization_code"]}
    mark = None
    if slot == 0:
        mark = TrustMarkKind.CERTIFIED_IDENTITY_SERVICE_PROVIDER
    elif slot == 10:
        mark = TrustMarkKind.COUNCIL
    return metadata, mark


def _mark_claims(kind: TrustMarkKind, sub: str, index: int) -> dict[str, Any]:
    if kind is TrustMarkKind.COUNCIL:
        return {"council": {"gss_code": "E07000178", "name": f"Bench Council {index}"}}
    return {
        "certification": {
            "entity_id": sub,
            "organisation_name": f"Bench member {index}",
            "roles": ["identity_service_provider"],
            "framework": "uk_diatf",
            "framework_version": "0.4",
            "certification_body": {"name": "Example Conformity Assessment Body"},
            "certificate_id": f"DIATF-BENCH-{index:06d}",
            "valid_from": "2026-01-01",
            "valid_until": "2030-12-31",
            "status": "active",
            "levels_of_confidence": ["medium"],
        }
    }


def sign_rows(settings: RegistrySettings, keys: KeyStore, size: int) -> SeedRows:
    """Sign ``size`` subordinate statements (and ~10% trust marks) as the registry of ``settings``."""
    started = time.perf_counter()
    unused_store = RegistryStore(create_engine("sqlite://"))  # signing reads nothing from the store
    registry = Registry(RegistryConfig.from_settings(settings), unused_store, keys)
    now = registry.now()
    member_jwks = KeyStore.open(None).public_jwks()
    rows: list[dict[str, Any]] = []
    types: list[dict[str, str]] = []
    marks: list[dict[str, Any]] = []
    mark_life = registry.config.trust_mark_lifetime
    for index in range(size):
        entity_id = member_id(index)
        metadata, kind = _shape(index, entity_id)
        member = Member(
            entity_id=entity_id,
            status="active",
            organization_name=f"Bench member {index}",
            is_intermediate="federation_fetch_endpoint" in metadata["federation_entity"],
            entity_types=tuple(sorted(metadata)),
            jwks=member_jwks,
            configuration_metadata=metadata,
            metadata=None,
            metadata_policy=None,
            metadata_policy_crit=None,
            constraints=None,
            statement="",
            statement_iat=now,
            statement_exp=now,
            created_at=now,
            updated_at=now,
        )
        statement, exp = registry.sign_statement(member, now)
        row = {column.name: getattr(member, column.name) for column in members.c}
        row.update(statement=statement, statement_exp=exp)
        rows.append(row)
        types.extend({"entity_id": entity_id, "entity_type": t} for t in member.entity_types)
        if kind is not None:
            type_url = trust_mark_type(registry.config.type_base, kind)
            claims: dict[str, Any] = {"iss": registry.config.entity_id, "sub": entity_id}
            claims["trust_mark_type"] = type_url
            claims |= {"iat": now, "exp": now + mark_life, **_mark_claims(kind, entity_id, index)}
            checked = (
                TRUST_MARK_MODELS[kind].model_validate(claims).model_dump(mode="json", exclude_none=True)
            )
            token = keys.sign(checked, JwtType.TRUST_MARK)
            digest = hashlib.sha256(token.encode()).hexdigest()
            marks.append(
                {"digest": digest, "trust_mark_type": type_url, "sub": entity_id, "jwt": token}
                | {"iat": now, "exp": now + mark_life, "revoked_at": None, "revocation_reason": None}
            )
    return SeedRows(rows, types, marks, time.perf_counter() - started)


def seed_database(url: str, rows: SeedRows) -> SeedTiming:
    """Migrate the empty database at ``url`` and bulk insert ``rows`` in batches of :data:`BATCH`."""
    engine = create_store_engine(url, pool=False)
    try:
        started = time.perf_counter()
        migrate(engine)
        migrated = time.perf_counter()
        for table, values in (
            (members, rows.members),
            (member_entity_types, rows.entity_types),
            (trust_marks, rows.trust_marks),
        ):
            for start in range(0, len(values), BATCH):
                with engine.begin() as connection:
                    connection.execute(insert(table), values[start : start + BATCH])
        if engine.dialect.name == "postgresql":
            with engine.begin() as connection:
                connection.execute(text("ANALYZE"))
        return SeedTiming(migrated - started, time.perf_counter() - migrated)
    finally:
        engine.dispose()


@contextmanager
def database(kind: str, directory: Path) -> Iterator[str]:
    """An empty database URL: a SQLite file in ``directory``, or a new PostgreSQL schema (dropped
    afterwards) on :data:`POSTGRES_ENV`, as ``tests/trust_registry/regkit.py`` does."""
    if kind == "sqlite":
        path = directory / f"registry-{uuid.uuid4().hex[:8]}.db"
        try:
            yield f"sqlite:///{path}"
        finally:
            for suffix in ("", "-wal", "-shm"):
                Path(f"{path}{suffix}").unlink(missing_ok=True)
        return
    base = os.environ.get(POSTGRES_ENV)
    if not base:
        raise LookupError(f"{POSTGRES_ENV} is not set")
    schema = f"bench_{uuid.uuid4().hex[:12]}"
    admin = create_engine(base)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    separator = "&" if "?" in base else "?"
    try:
        yield f"{base}{separator}options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()
