"""Alembic environment of the council's tables: runs on the connection handed over by
:mod:`federation.service.database`, recording its revision in ``rp_council_alembic_version``."""

from __future__ import annotations

from federation.service.database import run_migrations
from relying_party.services.council.tables import metadata

run_migrations(metadata)
