"""Browser tests: Debian's Chromium (``/usr/bin/chromium``) driven by Playwright, never a downloaded
browser. Without Chromium or Playwright the tests skip with the reason; with ``UKID_REQUIRE_BROWSER``
set (as ``.ci/run`` does) that skip is a failure. A screenshot of every step is saved under
``UKID_BROWSER_ARTIFACTS`` (default ``build/browser/``), one folder per test."""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.stack import Stack
from ukid.up import Federation, Ports

__all__ = ["CHROMIUM", "LAUNCH_ARGS", "Steps", "browser", "steps", "up"]

CHROMIUM = Path(os.environ.get("UKID_CHROMIUM", "/usr/bin/chromium"))
LAUNCH_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
]
REQUIRE_ENV = "UKID_REQUIRE_BROWSER"
ARTIFACTS = Path(os.environ.get("UKID_BROWSER_ARTIFACTS", "build/browser"))


def _unavailable(reason: str) -> None:
    if os.environ.get(REQUIRE_ENV):
        pytest.fail(f"{reason}; {REQUIRE_ENV} is set, so skipping is a failure")
    pytest.skip(reason)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """One headless Chromium per module (Playwright's sync API keeps an event loop running in the main
    thread while it is active: it must stop before other tests run)."""
    try:
        from playwright.sync_api import sync_playwright  # noqa: PLC0415
    except ImportError:
        _unavailable("browser tests need Playwright for Python (pip install -e '.[dev]')")
    if not CHROMIUM.exists():
        _unavailable(f"browser tests need Chromium at {CHROMIUM} (apt install chromium)")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=LAUNCH_ARGS)
        try:
            yield launched
        finally:
            launched.close()


class Steps:
    """Numbered screenshots of one test's pages."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.count = 0

    def shot(self, page: Any, name: str) -> None:
        """Save the whole page as ``NN-name.png``."""
        self.count += 1
        page.screenshot(path=str(self.folder / f"{self.count:02d}-{name}.png"), full_page=True)


@pytest.fixture
def steps(request: pytest.FixtureRequest) -> Steps:
    """Where this test's screenshots go (emptied first)."""
    folder = ARTIFACTS / re.sub(r"[^\w.-]+", "_", request.node.name)
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    return Steps(folder)


@pytest.fixture(scope="module")
def up(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """The federation as ``ukid up`` runs it (five processes, onboarded, marks published), on free
    ports, with its own data: the personas' consents here are not the other tests'."""
    with Federation(tmp_path_factory.mktemp("up"), Ports.free()) as federation:
        yield Stack(
            ta=federation.url("anchor"),
            health=federation.url("health"),
            idp=federation.url("idp"),
            council=federation.url("council"),
            gp=federation.url("gp"),
            offset=[0.0],
            apps={},
        )
