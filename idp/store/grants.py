"""Grants with their codes and tokens (stored hashed), client assertion replay guard, releases."""

from __future__ import annotations

from idp.store import StoreBase

__all__ = ["GrantStore"]


class GrantStore(StoreBase):
    """Grants with their codes and tokens (stored hashed), client assertion replay guard, releases."""
