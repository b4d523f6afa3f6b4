"""Fixtures: the relying party's stores are tested on SQLite and on PostgreSQL (``UKID_TEST_POSTGRES_URL``)."""

from __future__ import annotations

from tests.trust_registry.conftest import database_url

__all__ = ["database_url"]
