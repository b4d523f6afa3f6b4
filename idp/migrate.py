"""The provider's migrations (:class:`federation.service.database.Migrations`).

The provider records its schema revision in ``idp_alembic_version``, so it can share a database
with another service of the federation.
"""

from __future__ import annotations

from pathlib import Path

from federation.service.database import Migrations

__all__ = ["MIGRATIONS"]

MIGRATIONS = Migrations(Path(__file__).parent / "migrations", "ukid idp migrate", "idp_alembic_version")
