"""Placeholder: the vouching pages are being built (issue 6)."""

from __future__ import annotations

from idp.endpoints._http import Routes
from idp.endpoints._pages import Pages

__all__ = ["router"]


def router(pages: Pages) -> Routes:
    """The vouching routes."""
    del pages
    return Routes()
