"""The council's first schema: parking permit and Blue Badge applications.

Revision ID: council_0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "council_0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "council_parking_permits",
        sa.Column("reference", sa.String(16), primary_key=True),
        sa.Column("subject", sa.String(255), nullable=False),
        sa.Column("issuer", sa.Text, nullable=False),
        sa.Column("level", sa.String(16), nullable=False),
        sa.Column("uprn", sa.String(12), nullable=False),
        sa.Column("zone", sa.String(200), nullable=False),
        sa.Column("vehicle_registration", sa.String(8), nullable=False),
        sa.Column("created_at", sa.BigInteger, nullable=False),
    )
    op.create_table(
        "council_blue_badges",
        sa.Column("reference", sa.String(16), primary_key=True),
        sa.Column("subject", sa.String(255), nullable=False),
        sa.Column("issuer", sa.Text, nullable=False),
        sa.Column("level", sa.String(16), nullable=False),
        sa.Column("given_name", sa.Text, nullable=False),
        sa.Column("family_name", sa.Text, nullable=False),
        sa.Column("birthdate", sa.String(10), nullable=False),
        sa.Column("address", sa.JSON, nullable=False),
        sa.Column("reason", sa.String(32), nullable=False),
        sa.Column("created_at", sa.BigInteger, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("council_blue_badges")
    op.drop_table("council_parking_permits")
