"""The council's applications, on SQLite or PostgreSQL: saved once the citizen has answered, read back
only by the same person (the same ``subject`` at the same ``issuer``) for the confirmation page."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, Table, insert, select
from sqlalchemy.exc import IntegrityError

from relying_party.services.council.forms import new_reference
from relying_party.services.council.tables import blue_badges, parking_permits

__all__ = ["Applications", "BlueBadgeApplication", "ParkingPermitApplication"]

_ATTEMPTS = 3


@dataclass(frozen=True)
class ParkingPermitApplication:
    """A resident parking permit application."""

    reference: str
    subject: str
    issuer: str
    level: str
    uprn: str
    zone: str
    vehicle_registration: str
    created_at: int


@dataclass(frozen=True)
class BlueBadgeApplication:
    """A Blue Badge application."""

    reference: str
    subject: str
    issuer: str
    level: str
    given_name: str
    family_name: str
    birthdate: str
    address: Mapping[str, Any]
    reason: str
    created_at: int


class Applications:
    """Saves and finds applications."""

    def __init__(self, engine: Engine, *, clock: Callable[[], float] = time.time) -> None:
        self.engine = engine
        self.clock = clock

    def _save(self, table: Table, prefix: str, values: dict[str, Any]) -> tuple[str, int]:
        """Insert under a new reference; a reference drawn twice (40 bits) is drawn again."""
        now = int(self.clock())
        for _ in range(_ATTEMPTS - 1):
            try:
                return self._insert(table, prefix, values, now), now
            except IntegrityError:
                continue
        return self._insert(table, prefix, values, now), now

    def _insert(self, table: Table, prefix: str, values: dict[str, Any], now: int) -> str:
        reference = new_reference(prefix)
        with self.engine.begin() as connection:
            connection.execute(insert(table).values(reference=reference, created_at=now, **values))
        return reference

    def save_parking_permit(
        self, *, subject: str, issuer: str, level: str, uprn: str, zone: str, vehicle_registration: str
    ) -> ParkingPermitApplication:
        """Record a parking permit application; its reference is ``PP-`` and 8 characters."""
        values = {
            "subject": subject,
            "issuer": issuer,
            "level": level,
            "uprn": uprn,
            "zone": zone,
            "vehicle_registration": vehicle_registration,
        }
        reference, now = self._save(parking_permits, "PP", values)
        return ParkingPermitApplication(reference=reference, created_at=now, **values)

    def save_blue_badge(
        self,
        *,
        subject: str,
        issuer: str,
        level: str,
        given_name: str,
        family_name: str,
        birthdate: str,
        address: Mapping[str, Any],
        reason: str,
    ) -> BlueBadgeApplication:
        """Record a Blue Badge application; its reference is ``BB-`` and 8 characters."""
        values: dict[str, Any] = {
            "subject": subject,
            "issuer": issuer,
            "level": level,
            "given_name": given_name,
            "family_name": family_name,
            "birthdate": birthdate,
            "address": dict(address),
            "reason": reason,
        }
        reference, now = self._save(blue_badges, "BB", values)
        return BlueBadgeApplication(reference=reference, created_at=now, **values)

    def parking_permit(self, reference: str, *, subject: str, issuer: str) -> ParkingPermitApplication | None:
        """The application ``reference`` when it is this person's, else None."""
        row = self._find(parking_permits, reference, subject, issuer)
        return ParkingPermitApplication(**row) if row is not None else None

    def blue_badge(self, reference: str, *, subject: str, issuer: str) -> BlueBadgeApplication | None:
        """The application ``reference`` when it is this person's, else None."""
        row = self._find(blue_badges, reference, subject, issuer)
        return BlueBadgeApplication(**row) if row is not None else None

    def _find(self, table: Table, reference: str, subject: str, issuer: str) -> dict[str, Any] | None:
        if len(reference) > 16:
            return None
        with self.engine.connect() as connection:
            row = connection.execute(
                select(table).where(
                    table.c.reference == reference, table.c.subject == subject, table.c.issuer == issuer
                )
            ).first()
        return dict(row._mapping) if row is not None else None

    def count(self) -> dict[str, int]:
        """How many applications of each kind (tests and readiness)."""
        with self.engine.connect() as connection:
            return {
                "parking-permit": len(connection.execute(select(parking_permits.c.reference)).all()),
                "blue-badge": len(connection.execute(select(blue_badges.c.reference)).all()),
            }
