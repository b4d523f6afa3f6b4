"""A browser request of the provider that cannot go on and has no client to go back to."""

from __future__ import annotations

__all__ = ["InteractionProblem"]


class InteractionProblem(Exception):
    """A browser request that cannot go on and has no client to go back to: an error page."""

    def __init__(self, reason: str, message: str, *, status: int = 400) -> None:
        super().__init__(message)
        #: ``csrf``, ``expired``, ``completed``, ``other_browser``, ``form``, ``logout``.
        self.reason = reason
        self.message = message
        self.status = status
