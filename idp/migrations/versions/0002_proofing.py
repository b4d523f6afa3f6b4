"""Strong sign-in and identity proofing: TOTP on accounts, recovery codes, proofing attempts,
vouchers with their sessions, and vouch codes.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

HASH = 64
UUID = 36


def upgrade() -> None:
    with op.batch_alter_table("accounts") as batch:
        batch.add_column(sa.Column("totp_secret", sa.String(64)))
        batch.add_column(sa.Column("totp_confirmed_at", sa.BigInteger))
        batch.add_column(sa.Column("totp_last_step", sa.BigInteger))
    op.create_table(
        "recovery_codes",
        sa.Column(
            "account_id", sa.String(UUID), sa.ForeignKey("accounts.id", ondelete="CASCADE"), primary_key=True
        ),
        sa.Column("code_hash", sa.String(HASH), primary_key=True),
        sa.Column("created_at", sa.BigInteger, nullable=False),
        sa.Column("used_at", sa.BigInteger),
    )
    op.create_table(
        "proofing_attempts",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column(
            "account_id", sa.String(UUID), sa.ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("succeeded", sa.Integer, nullable=False),
        sa.Column("at", sa.BigInteger, nullable=False),
    )
    op.create_index("ix_proofing_attempts_account", "proofing_attempts", ["account_id", "kind", "at"])
    op.create_table(
        "vouchers",
        sa.Column("id", sa.String(UUID), primary_key=True),
        sa.Column("username", sa.String(254), nullable=False, unique=True),
        sa.Column("password_hash", sa.String(255), nullable=False),
        sa.Column("name", sa.String(256), nullable=False),
        sa.Column("occupation", sa.String(256), nullable=False),
        sa.Column("organization", sa.String(512), nullable=False),
        sa.Column("daily_limit", sa.Integer, nullable=False),
        sa.Column("failed_logins", sa.Integer, nullable=False, default=0),
        sa.Column("locked_until", sa.BigInteger),
        sa.Column("created_at", sa.BigInteger, nullable=False),
    )
    op.create_table(
        "voucher_sessions",
        sa.Column("id_hash", sa.String(HASH), primary_key=True),
        sa.Column(
            "voucher_id", sa.String(UUID), sa.ForeignKey("vouchers.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("created_at", sa.BigInteger, nullable=False),
        sa.Column("expires_at", sa.BigInteger, nullable=False),
        sa.Column("ended_at", sa.BigInteger),
    )
    op.create_table(
        "vouch_codes",
        sa.Column("code_hash", sa.String(HASH), primary_key=True),
        sa.Column(
            "voucher_id", sa.String(UUID), sa.ForeignKey("vouchers.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("given_name", sa.String(256), nullable=False),
        sa.Column("family_name", sa.String(256), nullable=False),
        sa.Column("birthdate", sa.String(10), nullable=False),
        sa.Column("relationship", sa.String(512), nullable=False),
        sa.Column("created_at", sa.BigInteger, nullable=False),
        sa.Column("expires_at", sa.BigInteger, nullable=False),
        sa.Column("used_at", sa.BigInteger),
        sa.Column("used_by", sa.String(UUID), sa.ForeignKey("accounts.id", ondelete="SET NULL")),
    )
    op.create_index("ix_vouch_codes_voucher", "vouch_codes", ["voucher_id", "created_at"])


def downgrade() -> None:
    op.drop_table("vouch_codes")
    op.drop_table("voucher_sessions")
    op.drop_table("vouchers")
    op.drop_table("proofing_attempts")
    op.drop_table("recovery_codes")
    with op.batch_alter_table("accounts") as batch:
        batch.drop_column("totp_last_step")
        batch.drop_column("totp_confirmed_at")
        batch.drop_column("totp_secret")
