"""Placeholder: the proofing store is being built (issue 6)."""

from __future__ import annotations

from idp.store import StoreBase

__all__ = ["ProofingStore"]


class ProofingStore(StoreBase):
    """The proofing store."""
