"""Attempts at the proofing steps (document check, knowledge-based questions, vouch codes): the rate
limits of the proofing journey and the history shown to the citizen.

A failed attempt is counted for 24 hours (a rolling window), so a limit can hold a citizen back
for a day but never lock them out for good.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from sqlalchemy import Connection, Engine, bindparam, insert, literal_column, select

from idp.store import Clock, Compiled, StoreBase
from idp.tables import proofing_attempts

__all__ = ["Attempt", "ProofingStore", "RateLimit"]

_FAILURES = (
    select(proofing_attempts.c.at)
    .where(
        proofing_attempts.c.account_id == bindparam("account_id"),
        proofing_attempts.c.kind == bindparam("kind"),
        proofing_attempts.c.succeeded == literal_column("0"),
        proofing_attempts.c.at > bindparam("since"),
    )
    .order_by(proofing_attempts.c.at)
)
_RECORD = insert(proofing_attempts).values(
    account_id=bindparam("account_id"),
    kind=bindparam("kind"),
    succeeded=bindparam("succeeded"),
    at=bindparam("at"),
)
_OF_ACCOUNT = (
    select(proofing_attempts.c.kind, proofing_attempts.c.succeeded, proofing_attempts.c.at)
    .where(proofing_attempts.c.account_id == bindparam("account_id"))
    .order_by(proofing_attempts.c.at, proofing_attempts.c.id)
)


@dataclass(frozen=True)
class Attempt:
    """One attempt at a proofing step."""

    kind: str
    succeeded: bool
    at: int


@dataclass(frozen=True)
class RateLimit:
    """Where a citizen stands against a step's limit of failed attempts."""

    failures: int
    limit: int
    #: When the oldest failure in the window stops counting (None: no failures).
    eases_at: int | None

    @property
    def exceeded(self) -> bool:
        """True when no further attempt may be made now."""
        return self.failures >= self.limit

    @property
    def remaining(self) -> int:
        """Attempts left in the window."""
        return max(0, self.limit - self.failures)


class ProofingStore(StoreBase):
    """Proofing attempts and their limits: at most ``limit`` failed attempts per step per ``window``
    seconds."""

    def __init__(
        self, engine: Engine, clock: Clock = time.time, *, limit: int = 3, window: int = 86400
    ) -> None:
        super().__init__(engine, clock)
        self.limit = limit
        self.window = window
        self._failures = Compiled(_FAILURES, engine)
        self._record = Compiled(_RECORD, engine)
        self._of_account = Compiled(_OF_ACCOUNT, engine)

    def rate_limit(self, account_id: str, kind: str, *, connection: Connection | None = None) -> RateLimit:
        """The citizen's failed attempts at step ``kind`` in the last window (one statement)."""
        with self.reading(connection) as reader:
            rows = self._failures.all(
                reader, {"account_id": account_id, "kind": kind, "since": self.now() - self.window}
            )
        eases_at = rows[0]["at"] + self.window if rows else None
        return RateLimit(failures=len(rows), limit=self.limit, eases_at=eases_at)

    def record(
        self, account_id: str, kind: str, *, succeeded: bool, connection: Connection | None = None
    ) -> None:
        """Count an attempt at step ``kind`` (in the caller's transaction when given one)."""
        values = {"account_id": account_id, "kind": kind, "succeeded": int(succeeded), "at": self.now()}
        with self.writing(connection) as writer:
            self._record.rowcount(writer, values)

    def attempts_of(self, account_id: str) -> list[Attempt]:
        """Every attempt the citizen made, oldest first (for the account page)."""
        with self.reading() as reader:
            rows = self._of_account.all(reader, {"account_id": account_id})
        return [Attempt(row["kind"], bool(row["succeeded"]), row["at"]) for row in rows]
