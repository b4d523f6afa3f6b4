"""End-to-end fixtures: the anchor's store is SQLite or PostgreSQL (``UKID_TEST_POSTGRES_URL``), and
the whole federation running on real servers (``stack``), shared by the modules that use it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.e2e.stack import Stack, federation_stack
from tests.trust_registry.conftest import database_url

__all__ = ["database_url", "stack"]


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """The federation (anchor, health intermediate, IdP, council, GP), onboarded."""
    with federation_stack(tmp_path_factory.mktemp("federation")) as running:
        yield running
