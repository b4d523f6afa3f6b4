"""The GP practice's first schema: registrations and repeat prescription orders.

Revision ID: gp_0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "gp_0001"
down_revision = None
branch_labels = None
depends_on = None

HASH = 64
REFERENCE = 16


def upgrade() -> None:
    op.create_table(
        "gp_registrations",
        sa.Column("reference", sa.String(REFERENCE), primary_key=True),
        sa.Column("account", sa.String(HASH), nullable=False),
        sa.Column("subject", sa.Text, nullable=False),
        sa.Column("issuer", sa.Text, nullable=False),
        sa.Column("given_name", sa.Text, nullable=False),
        sa.Column("family_name", sa.Text, nullable=False),
        sa.Column("birthdate", sa.String(10), nullable=False),
        sa.Column("nhs_number", sa.String(10), nullable=True),
        sa.Column("address", sa.Text, nullable=False),
        sa.Column("address_verified", sa.Boolean, nullable=False),
        sa.Column("phone", sa.String(16), nullable=True),
        sa.Column("level", sa.String(16), nullable=False),
        sa.Column("evidence", sa.Text, nullable=False),
        sa.Column("created_at", sa.BigInteger, nullable=False),
        sa.UniqueConstraint("account", name="uq_gp_registrations_account"),
    )
    op.create_table(
        "gp_prescription_orders",
        sa.Column("reference", sa.String(REFERENCE), primary_key=True),
        sa.Column("account", sa.String(HASH), nullable=False),
        sa.Column("subject", sa.Text, nullable=False),
        sa.Column("issuer", sa.Text, nullable=False),
        sa.Column("nhs_number", sa.String(10), nullable=False),
        sa.Column("medicines", sa.JSON, nullable=False),
        sa.Column("created_at", sa.BigInteger, nullable=False),
    )
    op.create_index("ix_gp_prescription_orders_account", "gp_prescription_orders", ["account"])


def downgrade() -> None:
    op.drop_table("gp_prescription_orders")
    op.drop_table("gp_registrations")
