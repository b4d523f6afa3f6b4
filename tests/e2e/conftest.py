"""End-to-end fixtures: the anchor's store is SQLite or PostgreSQL (``UKID_TEST_POSTGRES_URL``); the
running federation (``stack``) comes from ``tests/conftest.py``."""

from __future__ import annotations

from tests.trust_registry.conftest import database_url

__all__ = ["database_url"]
