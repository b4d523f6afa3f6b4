"""The relying-party library's first schema: pending logins and sessions.

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

HASH = 64


def upgrade() -> None:
    op.create_table(
        "rp_logins",
        sa.Column("state_hash", sa.String(HASH), primary_key=True),
        sa.Column("session_hash", sa.String(HASH), nullable=False),
        sa.Column("issuer", sa.Text, nullable=False),
        sa.Column("service", sa.String(64), nullable=False),
        sa.Column("nonce", sa.String(128), nullable=False),
        sa.Column("code_verifier", sa.String(128), nullable=False),
        sa.Column("vtr", sa.JSON, nullable=False),
        sa.Column("return_to", sa.Text, nullable=False),
        sa.Column("created_at", sa.BigInteger, nullable=False),
        sa.Column("expires_at", sa.BigInteger, nullable=False),
    )
    op.create_index("ix_rp_logins_expires_at", "rp_logins", ["expires_at"])
    op.create_table(
        "rp_sessions",
        sa.Column("id_hash", sa.String(HASH), primary_key=True),
        sa.Column("results", sa.JSON, nullable=False),
        sa.Column("created_at", sa.BigInteger, nullable=False),
        sa.Column("expires_at", sa.BigInteger, nullable=False),
    )
    op.create_index("ix_rp_sessions_expires_at", "rp_sessions", ["expires_at"])


def downgrade() -> None:
    op.drop_table("rp_sessions")
    op.drop_table("rp_logins")
