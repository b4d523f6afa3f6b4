"""The registry's first schema: members, trust marks, delegations, signed documents, audit log.

The audit log is append-only in the database itself: triggers refuse UPDATE and DELETE.

Revision ID: 0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

ENTITY_ID = 2048
_REFUSAL = "audit log entries cannot be changed or deleted"


def upgrade() -> None:
    op.create_table(
        "members",
        sa.Column("entity_id", sa.String(ENTITY_ID), primary_key=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("organization_name", sa.String(512)),
        sa.Column("is_intermediate", sa.Boolean, nullable=False),
        sa.Column("jwks", sa.JSON, nullable=False),
        sa.Column("configuration_metadata", sa.JSON, nullable=False),
        sa.Column("metadata", sa.JSON),
        sa.Column("metadata_policy", sa.JSON),
        sa.Column("metadata_policy_crit", sa.JSON),
        sa.Column("constraints", sa.JSON),
        sa.Column("statement", sa.Text, nullable=False),
        sa.Column("statement_iat", sa.BigInteger, nullable=False),
        sa.Column("statement_exp", sa.BigInteger, nullable=False),
        sa.Column("created_at", sa.BigInteger, nullable=False),
        sa.Column("updated_at", sa.BigInteger, nullable=False),
    )
    op.create_table(
        "member_entity_types",
        sa.Column(
            "entity_id",
            sa.String(ENTITY_ID),
            sa.ForeignKey("members.entity_id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("entity_type", sa.String(128), primary_key=True),
    )
    op.create_index("ix_member_entity_types_entity_type", "member_entity_types", ["entity_type"])
    op.create_table(
        "trust_marks",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("digest", sa.String(64), nullable=False, unique=True),
        sa.Column("trust_mark_type", sa.String(ENTITY_ID), nullable=False),
        sa.Column("sub", sa.String(ENTITY_ID), nullable=False),
        sa.Column("jwt", sa.Text, nullable=False),
        sa.Column("iat", sa.BigInteger, nullable=False),
        sa.Column("exp", sa.BigInteger),
        sa.Column("revoked_at", sa.BigInteger),
        sa.Column("revocation_reason", sa.String(512)),
    )
    op.create_index("ix_trust_marks_type_sub", "trust_marks", ["trust_mark_type", "sub"])
    op.create_index("ix_trust_marks_sub", "trust_marks", ["sub"])
    op.create_table(
        "delegations",
        sa.Column("trust_mark_type", sa.String(ENTITY_ID), primary_key=True),
        sa.Column("jwt", sa.Text, nullable=False),
        sa.Column("owner", sa.String(ENTITY_ID), nullable=False),
        sa.Column("exp", sa.BigInteger),
        sa.Column("installed_at", sa.BigInteger, nullable=False),
    )
    op.create_table(
        "documents",
        sa.Column("name", sa.String(64), primary_key=True),
        sa.Column("jwt", sa.Text, nullable=False),
        sa.Column("iat", sa.BigInteger, nullable=False),
        sa.Column("exp", sa.BigInteger, nullable=False),
        sa.Column("keys_version", sa.String(1024), nullable=False),
    )
    op.create_table(
        "audit_log",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("at", sa.BigInteger, nullable=False),
        sa.Column("actor", sa.String(256), nullable=False),
        sa.Column("action", sa.String(64), nullable=False),
        sa.Column("target", sa.String(ENTITY_ID), nullable=False),
        sa.Column("before", sa.JSON),
        sa.Column("after", sa.JSON),
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS "
            f"$$ BEGIN RAISE EXCEPTION '{_REFUSAL}'; END $$"
        )
        op.execute(
            "CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log "
            "FOR EACH ROW EXECUTE FUNCTION audit_log_append_only()"
        )
        op.execute(
            "CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log "
            "FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only()"
        )
    else:
        for event in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER audit_log_no_{event.lower()} BEFORE {event} ON audit_log "
                f"BEGIN SELECT RAISE(ABORT, '{_REFUSAL}'); END"
            )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS audit_log_no_truncate ON audit_log")
        op.execute("DROP TRIGGER IF EXISTS audit_log_append_only ON audit_log")
        op.execute("DROP FUNCTION IF EXISTS audit_log_append_only()")
    for table in ("audit_log", "documents", "delegations", "trust_marks", "member_entity_types", "members"):
        op.drop_table(table)
