"""Fresh databases for tests: a SQLite file, or a new PostgreSQL schema (``UKID_TEST_POSTGRES_URL``).

Without ``UKID_TEST_POSTGRES_URL`` the PostgreSQL variant is skipped with the reason; with
``UKID_REQUIRE_POSTGRES`` set (as ``.ci/run`` does) that skip is a failure instead.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

__all__ = ["POSTGRES_ENV", "REQUIRE_POSTGRES_ENV", "database"]

POSTGRES_ENV = "UKID_TEST_POSTGRES_URL"
REQUIRE_POSTGRES_ENV = "UKID_REQUIRE_POSTGRES"


@contextmanager
def database(kind: str, tmp_path: Path) -> Iterator[str]:
    """A fresh, empty database URL: a SQLite file, or a new PostgreSQL schema dropped afterwards."""
    if kind == "sqlite":
        yield f"sqlite:///{tmp_path / 'registry.db'}"
        return
    base = os.environ.get(POSTGRES_ENV)
    if not base:
        message = (
            f"PostgreSQL tests need {POSTGRES_ENV} (e.g. postgresql+psycopg://postgres@127.0.0.1:5432/test)"
        )
        if os.environ.get(REQUIRE_POSTGRES_ENV):
            pytest.fail(message + f"; {REQUIRE_POSTGRES_ENV} is set, so skipping is a failure")
        pytest.skip(message)
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(base)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    separator = "&" if "?" in base else "?"
    try:
        yield f"{base}{separator}options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()
