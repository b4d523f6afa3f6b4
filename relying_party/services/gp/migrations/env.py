"""Alembic environment of the GP practice's tables: runs on the connection handed over by
:mod:`federation.service.database`, recording its revision in ``rp_gp_alembic_version``."""

from __future__ import annotations

from federation.service.database import run_migrations
from relying_party.services.gp.tables import metadata

run_migrations(metadata)
