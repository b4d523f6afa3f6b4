"""Fixtures shared across test folders: the whole federation running on real servers (``stack``),
started once per session for the end-to-end and browser tests that ask for it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.e2e.stack import Stack, federation_stack


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """The federation (anchor, health intermediate, IdP, council, GP) on 127.0.0.1 ports, onboarded."""
    with federation_stack(tmp_path_factory.mktemp("federation")) as running:
        yield running
