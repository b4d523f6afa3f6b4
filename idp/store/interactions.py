"""Pushed authorization requests, browser interactions (sign-in and consent), sessions and consents."""

from __future__ import annotations

from idp.store import StoreBase

__all__ = ["InteractionStore"]


class InteractionStore(StoreBase):
    """Pushed authorization requests, browser interactions (sign-in and consent), sessions and consents."""
