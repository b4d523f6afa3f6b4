"""Alembic environment: runs on the connection handed over by :mod:`federation.service.database`."""

from __future__ import annotations

from federation.service.database import run_migrations
from idp.tables import metadata

run_migrations(metadata)
