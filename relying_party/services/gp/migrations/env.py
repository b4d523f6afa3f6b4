"""Alembic environment of the GP practice's tables: runs on the connection handed over by
:mod:`federation.service.database`, recording its revision in ``rp_gp_alembic_version``."""

from __future__ import annotations

from alembic import context

from relying_party.services.gp.tables import metadata

connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=metadata,
    render_as_batch=True,
    version_table=context.config.attributes.get("version_table", "alembic_version"),
)
with context.begin_transaction():
    context.run_migrations()
