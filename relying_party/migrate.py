"""The relying-party library's migrations (:class:`federation.service.database.Migrations`), recorded
in ``rp_alembic_version`` so they can share a database with the service's own tables."""

from __future__ import annotations

from pathlib import Path

from federation.service.database import Migrations

__all__ = ["MIGRATIONS"]

MIGRATIONS = Migrations(
    Path(__file__).parent / "migrations", "ukid rp migrate --service council|gp", "rp_alembic_version"
)
