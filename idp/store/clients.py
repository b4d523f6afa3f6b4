"""Explicitly registered federation clients and the trust marks this provider holds."""

from __future__ import annotations

from idp.store import StoreBase

__all__ = ["RegistrationStore"]


class RegistrationStore(StoreBase):
    """Explicitly registered federation clients and the trust marks this provider holds."""
