"""Explicitly registered federation clients and the trust marks this provider holds.

An explicit registration (OpenID Federation 1.0 §12.2) replaces any earlier one of the same RP
(§12.2.2: an existing registration MUST be invalidated) and is valid until ``expires_at``, never
past the trust chain it was made with (§12.3). Held trust marks (§7) are kept one per type, as
last fetched from their issuer, so every worker publishes the same ones (this store is the provider's
:class:`federation.held_marks.MarkStore`; :class:`HeldMark` is re-exported from there).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Table, delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from federation.held_marks import HeldMark
from idp.store import StoreBase
from idp.tables import held_trust_marks, registered_clients

__all__ = ["HeldMark", "Registration", "RegistrationStore"]


@dataclass(frozen=True)
class Registration:
    """An explicit registration: the RP's metadata after its chain's policy, as registered."""

    client_id: str
    trust_anchor: str
    metadata: dict[str, Any]
    organization_name: str | None
    trust_mark_types: tuple[str, ...]
    registered_at: int
    expires_at: int


def _upsert(connection: Connection, table: Table, key: dict[str, Any], values: dict[str, Any]) -> None:
    """Update the row with ``key`` or insert it (a concurrent insert of the same key turns into an update)."""
    where = [table.c[name] == value for name, value in key.items()]
    if connection.execute(update(table).where(*where).values(**values)).rowcount:
        return
    try:
        with connection.begin_nested():
            connection.execute(insert(table).values(**key, **values))
    except IntegrityError:
        connection.execute(update(table).where(*where).values(**values))


class RegistrationStore(StoreBase):
    """Explicitly registered federation clients and the trust marks this provider holds."""

    def register(
        self,
        client_id: str,
        *,
        trust_anchor: str,
        metadata: dict[str, Any],
        organization_name: str | None,
        trust_mark_types: tuple[str, ...],
        expires_at: int,
    ) -> Registration:
        """Record (or replace) the registration of ``client_id``."""
        values = {
            "trust_anchor": trust_anchor,
            "metadata": metadata,
            "organization_name": organization_name,
            "trust_mark_types": sorted(trust_mark_types),
            "registered_at": self.now(),
            "expires_at": expires_at,
        }
        with self.engine.begin() as connection:
            _upsert(connection, registered_clients, {"client_id": client_id}, values)
        found = self.registration(client_id)
        assert found is not None
        return found

    def registration(self, client_id: str) -> Registration | None:
        """The registration of ``client_id`` (expired or not), if any."""
        with self.reading() as connection:
            row = connection.execute(
                select(registered_clients).where(registered_clients.c.client_id == client_id)
            ).first()
        if row is None:
            return None
        return Registration(
            client_id=row.client_id,
            trust_anchor=row.trust_anchor,
            metadata=dict(row.metadata),
            organization_name=row.organization_name,
            trust_mark_types=tuple(row.trust_mark_types),
            registered_at=row.registered_at,
            expires_at=row.expires_at,
        )

    def remove_expired(self) -> int:
        """Forget registrations that have expired; how many there were."""
        with self.engine.begin() as connection:
            result = connection.execute(
                delete(registered_clients).where(registered_clients.c.expires_at <= self.now())
            )
        return int(result.rowcount or 0)

    def held_marks(self) -> list[HeldMark]:
        """Every trust mark held, by type."""
        with self.reading() as connection:
            rows = connection.execute(
                select(held_trust_marks).order_by(held_trust_marks.c.trust_mark_type)
            ).all()
        return [
            HeldMark(
                trust_mark_type=row.trust_mark_type,
                issuer=row.issuer,
                trust_mark=row.trust_mark,
                expires_at=row.expires_at,
                fetched_at=row.fetched_at,
            )
            for row in rows
        ]

    def hold_mark(
        self, trust_mark_type: str, *, issuer: str, trust_mark: str, expires_at: int | None
    ) -> None:
        """Keep ``trust_mark`` as the one held of its type (replacing an older one)."""
        values = {
            "issuer": issuer,
            "trust_mark": trust_mark,
            "expires_at": expires_at,
            "fetched_at": self.now(),
        }
        with self.engine.begin() as connection:
            _upsert(connection, held_trust_marks, {"trust_mark_type": trust_mark_type}, values)

    def drop_mark(self, trust_mark_type: str) -> None:
        """Stop holding the trust mark of ``trust_mark_type`` (e.g. it was revoked)."""
        with self.engine.begin() as connection:
            connection.execute(
                delete(held_trust_marks).where(held_trust_marks.c.trust_mark_type == trust_mark_type)
            )
