"""Database engines, Alembic migrations and the start-up schema check, for every service.

A service refuses to run on a database that is not migrated, or that a newer release migrated,
with a message saying what to do (``ukid <service> migrate``, or upgrade the software).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, MetaData, create_engine, event, make_url
from sqlalchemy.pool import NullPool

__all__ = ["Migrations", "SchemaError", "create_store_engine", "describe_url", "run_migrations"]


class SchemaError(RuntimeError):
    """The database schema is missing, behind, or ahead of this software."""


def describe_url(url: str) -> str:
    """The URL with any password hidden, for messages."""
    return make_url(url).render_as_string(hide_password=True)


def create_store_engine(url: str, *, pool: bool = True) -> Engine:
    """An engine for ``url``: SQLite in WAL mode with foreign keys on, or PostgreSQL via psycopg."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": 10, "check_same_thread": False})

        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_connection: Any, _record: Any) -> None:
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.close()

        return engine
    if parsed.get_backend_name() != "postgresql":
        raise SchemaError(
            f"unsupported database {describe_url(url)}: use sqlite:/// or postgresql+psycopg://"
        )
    if parsed.drivername == "postgresql":
        parsed = parsed.set(drivername="postgresql+psycopg")
    if pool:
        return create_engine(parsed, pool_size=10, max_overflow=10, pool_pre_ping=True)
    return create_engine(parsed, poolclass=NullPool)


@dataclass(frozen=True)
class Migrations:
    """One service's Alembic migrations.

    ``command`` is the CLI command that migrates (named in messages); ``version_table`` is where
    Alembic records the revision, distinct per service so services may share a database.
    """

    directory: Path
    command: str
    version_table: str = "alembic_version"

    def _config(self) -> Config:
        config = Config()
        config.set_main_option("script_location", str(self.directory))
        config.attributes["version_table"] = self.version_table
        return config

    def head_revision(self) -> str:
        """The newest migration this software knows."""
        head = ScriptDirectory.from_config(self._config()).get_current_head()
        if head is None:
            raise SchemaError("no migrations found")
        return head

    def current_revision(self, engine: Engine) -> str | None:
        """The revision the database is at, or None when it was never migrated."""
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"version_table": self.version_table})
            return context.get_current_revision()

    def migrate(self, engine: Engine, revision: str = "head") -> str:
        """Upgrade the database to ``revision`` (default: the newest) and return it."""
        config = self._config()
        with engine.begin() as connection:
            config.attributes["connection"] = connection
            command.upgrade(config, revision)
        return self.current_revision(engine) or ""

    def check_schema(self, engine: Engine) -> None:
        """Raise :class:`SchemaError` unless the database is at this software's newest revision."""
        where = describe_url(engine.url.render_as_string(hide_password=False))
        current = self.current_revision(engine)
        head = self.head_revision()
        if current == head:
            return
        if current is None:
            raise SchemaError(f"the database {where} is not migrated: run `{self.command}` first")
        known = {script.revision for script in ScriptDirectory.from_config(self._config()).walk_revisions()}
        if current not in known:
            raise SchemaError(
                f"the database {where} is at schema revision {current}, newer than this software "
                f"(newest known: {head}): upgrade ukid-interop"
            )
        raise SchemaError(
            f"the database {where} is at schema revision {current}, behind {head}: run `{self.command}`"
        )


def run_migrations(metadata: MetaData) -> None:
    """The body of every service's Alembic ``env.py``: run on the connection :meth:`Migrations.migrate`
    handed over, recording the revision in that service's version table."""
    from alembic import context  # noqa: PLC0415 (only inside an Alembic run)

    attributes = context.config.attributes
    context.configure(
        connection=attributes["connection"],
        target_metadata=metadata,
        render_as_batch=True,
        version_table=attributes.get("version_table", "alembic_version"),
    )
    with context.begin_transaction():
        context.run_migrations()
