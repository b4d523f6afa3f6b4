"""Fixtures: every provider test runs on SQLite and on PostgreSQL (``UKID_TEST_POSTGRES_URL``)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.dbkit import database
from tests.idp.idpkit import IdpKit, idp_kit


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database of each kind."""
    with database(request.param, tmp_path) as url:
        yield url


@pytest.fixture
def kit(database_url: str, tmp_path: Path) -> Iterator[IdpKit]:
    """A provider on a fresh database."""
    with idp_kit(database_url, tmp_path) as running:
        yield running
