"""The registry's tables (SQLAlchemy Core). The Alembic migrations in ``migrations/`` create them.

Times are integer seconds since the Unix epoch, like the claims they mirror. JSON columns hold
the federation documents as received or as signed (OpenID Federation 1.0 §3).
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
)

__all__ = [
    "audit_log",
    "delegations",
    "documents",
    "member_entity_types",
    "members",
    "metadata",
    "trust_marks",
]

metadata = MetaData()

ENTITY_ID = 2048

members = Table(
    "members",
    metadata,
    Column("entity_id", String(ENTITY_ID), primary_key=True),
    # active | suspended; a suspended member's statement is not served (fetch answers not_found)
    Column("status", String(16), nullable=False),
    Column("organization_name", String(512)),
    Column("is_intermediate", Boolean, nullable=False),
    # the federation keys recorded from the member's verified entity configuration (§3, jwks)
    Column("jwks", JSON, nullable=False),
    # the member's own entity configuration metadata at onboarding or last key refresh (for pages)
    Column("configuration_metadata", JSON, nullable=False),
    # claims of the subordinate statement this registry sets (§3.1): metadata, policy, constraints
    Column("metadata", JSON),
    Column("metadata_policy", JSON),
    Column("metadata_policy_crit", JSON),
    Column("constraints", JSON),
    # the signed subordinate statement, served by the fetch endpoint until half its lifetime passed
    Column("statement", Text, nullable=False),
    Column("statement_iat", BigInteger, nullable=False),
    Column("statement_exp", BigInteger, nullable=False),
    Column("created_at", BigInteger, nullable=False),
    Column("updated_at", BigInteger, nullable=False),
    # the list endpoint reads the entity IDs of active members in order: an index-only scan (0002)
    Index("ix_members_status_entity_id", "status", "entity_id"),
)

member_entity_types = Table(
    "member_entity_types",
    metadata,
    Column(
        "entity_id",
        String(ENTITY_ID),
        ForeignKey("members.entity_id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("entity_type", String(128), primary_key=True),
    Index("ix_member_entity_types_entity_type", "entity_type"),
)

trust_marks = Table(
    "trust_marks",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    # SHA-256 of the compact JWT: how the status endpoint finds a mark it issued (§8.4)
    Column("digest", String(64), nullable=False, unique=True),
    Column("trust_mark_type", String(ENTITY_ID), nullable=False),
    Column("sub", String(ENTITY_ID), nullable=False),
    Column("jwt", Text, nullable=False),
    Column("iat", BigInteger, nullable=False),
    Column("exp", BigInteger),
    Column("revoked_at", BigInteger),
    Column("revocation_reason", String(512)),
    Index("ix_trust_marks_type_sub", "trust_mark_type", "sub"),
    Index("ix_trust_marks_sub", "sub"),
)

delegations = Table(
    "delegations",
    metadata,
    # a trust-mark-delegation+jwt this registry holds from a trust mark owner (§7.2), one per type
    Column("trust_mark_type", String(ENTITY_ID), primary_key=True),
    Column("jwt", Text, nullable=False),
    Column("owner", String(ENTITY_ID), nullable=False),
    Column("exp", BigInteger),
    Column("installed_at", BigInteger, nullable=False),
)

documents = Table(
    "documents",
    metadata,
    # this registry's own signed documents: its entity configuration (§9) and historical keys (§8.7)
    Column("name", String(64), primary_key=True),
    Column("jwt", Text, nullable=False),
    Column("iat", BigInteger, nullable=False),
    Column("exp", BigInteger, nullable=False),
    # thumbprints of the signing keys the document was built with: a key change re-signs it
    Column("keys_version", String(1024), nullable=False),
)

audit_log = Table(
    "audit_log",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("at", BigInteger, nullable=False),
    Column("actor", String(256), nullable=False),
    Column("action", String(64), nullable=False),
    Column("target", String(ENTITY_ID), nullable=False),
    Column("before", JSON),
    Column("after", JSON),
)
