"""The provider's store (SQLAlchemy Core on SQLite or PostgreSQL), one narrow class per concern."""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

from sqlalchemy import (
    BigInteger,
    Connection,
    Engine,
    Integer,
    Table,
    Update,
    and_,
    bindparam,
    case,
    cast,
    literal_column,
    or_,
    update,
)
from sqlalchemy.sql import ClauseElement

__all__ = ["Clock", "Compiled", "StoreBase", "decode_json", "digest", "failed_sign_in"]

Clock = Callable[[], float]


def digest(secret: str) -> str:
    """SHA-256 (hex) of a code, token or handle: only digests are stored."""
    return hashlib.sha256(secret.encode()).hexdigest()


class StoreBase:
    """An engine and a clock, shared by the store classes."""

    def __init__(self, engine: Engine, clock: Clock = time.time) -> None:
        self.engine = engine
        self.clock = clock
        #: Single-statement reads need no transaction: on PostgreSQL, no BEGIN and ROLLBACK round trips
        #: (on SQLite, where neither costs a round trip, switching the isolation level would cost more).
        self.reader = (
            engine
            if engine.dialect.name == "sqlite"
            else engine.execution_options(isolation_level="AUTOCOMMIT")
        )

    def now(self) -> int:
        """The store's clock, in whole seconds."""
        return int(self.clock())

    @contextmanager
    def transaction(self) -> Iterator[Connection]:
        """One transaction: committed when the block ends, rolled back if it raises."""
        with self.engine.begin() as connection:
            yield connection

    @contextmanager
    def writing(self, connection: Connection | None = None) -> Iterator[Connection]:
        """``connection`` when the caller has one (its transaction), else a transaction of our own."""
        if connection is not None:
            yield connection
            return
        with self.engine.begin() as own:
            yield own

    @contextmanager
    def reading(self, connection: Connection | None = None) -> Iterator[Connection]:
        """``connection`` when the caller has one (its transaction), else an autocommit connection of our
        own (for ONE statement: several reads that must agree need a transaction)."""
        if connection is not None:
            yield connection
            return
        with self.reader.connect() as own:
            yield own


def failed_sign_in(table: Table) -> Update:
    """Count a failed sign-in of the row ``id`` of ``table`` (citizens' accounts, vouchers) in ONE
    statement, with parameters ``id``, ``now``, ``limit`` and ``locked_until``: the ``limit``-th
    failure locks the row until ``locked_until``; a failure while locked is not counted (the lock is
    not extended), and the first failure after a lock has expired counts from zero again, so a lock
    always ends. (SET expressions see the row as it was.)"""
    expired = and_(table.c.locked_until.is_not(None), table.c.locked_until <= bindparam("now"))
    failures = case((expired, literal_column("1")), else_=table.c.failed_logins + literal_column("1"))
    return (
        update(table)
        .where(
            table.c.id == bindparam("id"),
            or_(table.c.locked_until.is_(None), table.c.locked_until <= bindparam("now")),
        )
        .values(
            failed_logins=failures,
            locked_until=case(
                (bindparam("limit", type_=Integer) <= failures, cast(bindparam("locked_until"), BigInteger)),
                else_=None,
            ),
        )
    )


def decode_json(value: Any) -> Any:
    """A JSON column as read by the DBAPI: text on SQLite, decoded already on PostgreSQL (psycopg)."""
    return json.loads(value) if isinstance(value, str) else value


class Compiled:
    """A statement compiled once for the engine's dialect and run on the DBAPI cursor.

    The hot paths' statements: SQLAlchemy's per-execution work (building the statement, its cache
    key, parameter and result processing, the result object) costs 20-50 µs a statement, the DBAPI
    call a few. Parameters named in ``json_params`` are encoded here (``json.dumps``, as SQLAlchemy's
    ``JSON`` type would); result columns in ``json_columns`` are decoded with :func:`decode_json`.
    Statements run inside the SQLAlchemy transaction of the connection given.
    """

    def __init__(
        self,
        statement: ClauseElement,
        engine: Engine,
        columns: Sequence[str] | None = None,
        *,
        json_params: Collection[str] = (),
        json_columns: Collection[str] = (),
    ) -> None:
        compiled = statement.compile(dialect=engine.dialect)
        self.sql = compiled.string
        positions = getattr(compiled, "positiontup", None)  # positional paramstyles (SQLite's qmark)
        self.order: tuple[str, ...] | None = tuple(positions) if positions else None
        if columns is None:
            selected = getattr(statement, "selected_columns", None)
            columns = [c.name for c in selected] if selected is not None else []
        self.columns = tuple(columns)
        self.json_params = frozenset(json_params)
        self.json_columns = frozenset(json_columns)

    def _params(self, values: Mapping[str, Any]) -> Any:
        if self.json_params:
            values = {
                k: json.dumps(v) if k in self.json_params and v is not None else v for k, v in values.items()
            }
        return tuple(values[name] for name in self.order) if self.order is not None else dict(values)

    def _row(self, row: Sequence[Any]) -> dict[str, Any]:
        found = dict(zip(self.columns, row, strict=True))
        for name in self.json_columns:
            found[name] = decode_json(found[name])
        return found

    @staticmethod
    def _cursor(connection: Connection) -> Any:
        return connection.connection.dbapi_connection.cursor()  # type: ignore[union-attr]

    def first(self, connection: Connection, values: Mapping[str, Any]) -> dict[str, Any] | None:
        """The first row, by column name."""
        cursor = self._cursor(connection)
        try:
            cursor.execute(self.sql, self._params(values))
            row = cursor.fetchone()
        finally:
            cursor.close()
        return None if row is None else self._row(row)

    def all(self, connection: Connection, values: Mapping[str, Any]) -> list[dict[str, Any]]:
        """Every row, by column name."""
        cursor = self._cursor(connection)
        try:
            cursor.execute(self.sql, self._params(values))
            rows = cursor.fetchall()
        finally:
            cursor.close()
        return [self._row(row) for row in rows]

    def rowcount(self, connection: Connection, values: Mapping[str, Any]) -> int:
        """Run it; how many rows it changed."""
        cursor = self._cursor(connection)
        try:
            cursor.execute(self.sql, self._params(values))
            return int(cursor.rowcount)
        finally:
            cursor.close()

    def many(self, connection: Connection, rows: Sequence[Mapping[str, Any]]) -> None:
        """Run it once per row (``executemany``)."""
        cursor = self._cursor(connection)
        try:
            cursor.executemany(self.sql, [self._params(row) for row in rows])
        finally:
            cursor.close()
