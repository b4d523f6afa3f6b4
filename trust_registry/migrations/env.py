"""Alembic environment: runs on the connection handed over by :mod:`trust_registry.migrate`."""

from __future__ import annotations

from alembic import context

from trust_registry.tables import metadata

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
