"""The registry's migrations (:class:`federation.service.database.Migrations`) and engine helpers.

The registry refuses to run on a database that is not migrated, or that a newer release migrated,
with a message saying what to do (``ukid registry migrate``, or upgrade the software).
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine

from federation.service.database import Migrations, SchemaError, create_store_engine, describe_url

__all__ = [
    "MIGRATIONS",
    "SchemaError",
    "check_schema",
    "create_store_engine",
    "current_revision",
    "describe_url",
    "head_revision",
    "migrate",
]

MIGRATIONS = Migrations(Path(__file__).parent / "migrations", "ukid registry migrate")


def head_revision() -> str:
    """The newest migration this software knows."""
    return MIGRATIONS.head_revision()


def current_revision(engine: Engine) -> str | None:
    """The revision the database is at, or None when it was never migrated."""
    return MIGRATIONS.current_revision(engine)


def migrate(engine: Engine, revision: str = "head") -> str:
    """Upgrade the database to ``revision`` (default: the newest) and return it."""
    return MIGRATIONS.migrate(engine, revision)


def check_schema(engine: Engine) -> None:
    """Raise :class:`SchemaError` unless the database is at this software's newest revision."""
    MIGRATIONS.check_schema(engine)
