"""An index on members (status, entity_id): the list endpoint's scan of active members in order.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_members_status_entity_id", "members", ["status", "entity_id"])


def downgrade() -> None:
    op.drop_index("ix_members_status_entity_id", table_name="members")
