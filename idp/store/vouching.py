"""Placeholder: the vouching store is being built (issue 6)."""

from __future__ import annotations

from idp.store import StoreBase

__all__ = ["VoucherStore"]


class VoucherStore(StoreBase):
    """The vouching store."""
