"""The practice's records: registrations (one per patient and identity provider) and repeat
prescription orders, each with a reference the patient can quote (``REG-XXXXXXXX``,
``RX-XXXXXXXX``: eight characters without the look-alikes 0/O and 1/I)."""

from __future__ import annotations

import hashlib
import secrets
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from sqlalchemy import Engine, insert, select
from sqlalchemy.exc import IntegrityError

from relying_party.services.gp.tables import orders, registrations

__all__ = ["Order", "Records", "Registration", "account_of", "new_reference"]

_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"


def new_reference(kind: str) -> str:
    """``{kind}-`` and eight random characters."""
    return f"{kind}-" + "".join(secrets.choice(_ALPHABET) for _ in range(8))


def account_of(issuer: str, subject: str) -> str:
    """The patient's key: ``sub`` is unique within its issuer only (OpenID Connect Core §2)."""
    return hashlib.sha256(f"{issuer}\x00{subject}".encode()).hexdigest()


@dataclass(frozen=True)
class Registration:
    """A patient registered with the practice."""

    reference: str
    subject: str
    issuer: str
    given_name: str
    family_name: str
    birthdate: str
    nhs_number: str | None
    address: str
    address_verified: bool
    phone: str | None
    level: str
    evidence: str
    created_at: int


@dataclass(frozen=True)
class Order:
    """A repeat prescription order."""

    reference: str
    subject: str
    issuer: str
    nhs_number: str
    medicines: tuple[str, ...]
    created_at: int


class Records:
    """Registrations and orders in the service's database."""

    def __init__(self, engine: Engine, *, clock: Callable[[], float] = time.time) -> None:
        self.engine = engine
        self.clock = clock

    def registration(self, issuer: str, subject: str) -> Registration | None:
        """The patient's registration, if any."""
        query = select(registrations).where(registrations.c.account == account_of(issuer, subject))
        with self.engine.connect() as connection:
            row = connection.execute(query).mappings().first()
        if row is None:
            return None
        return Registration(**{k: v for k, v in row.items() if k != "account"})

    def register(
        self,
        *,
        subject: str,
        issuer: str,
        given_name: str,
        family_name: str,
        birthdate: str,
        nhs_number: str | None,
        address: str,
        address_verified: bool,
        phone: str | None,
        level: str,
        evidence: str,
    ) -> tuple[Registration, bool]:
        """Register the patient; returns the registration and whether it is new (a patient already
        registered keeps the first registration)."""
        found = Registration(
            new_reference("REG"),
            subject,
            issuer,
            given_name,
            family_name,
            birthdate,
            nhs_number,
            address,
            address_verified,
            phone,
            level,
            evidence,
            int(self.clock()),
        )
        values = {**found.__dict__, "account": account_of(issuer, subject)}
        try:
            with self.engine.begin() as connection:
                connection.execute(insert(registrations).values(values))
        except IntegrityError:
            existing = self.registration(issuer, subject)
            if existing is None:
                raise
            return existing, False
        return found, True

    def order(self, *, subject: str, issuer: str, nhs_number: str, medicines: Sequence[str]) -> Order:
        """Record a repeat prescription order."""
        found = Order(new_reference("RX"), subject, issuer, nhs_number, tuple(medicines), int(self.clock()))
        values = {**found.__dict__, "medicines": list(medicines), "account": account_of(issuer, subject)}
        with self.engine.begin() as connection:
            connection.execute(insert(orders).values(values))
        return found

    def order_of(self, reference: str, issuer: str, subject: str) -> Order | None:
        """The patient's order ``reference`` (None when it is not theirs)."""
        query = select(orders).where(
            orders.c.reference == reference, orders.c.account == account_of(issuer, subject)
        )
        with self.engine.connect() as connection:
            row = connection.execute(query).mappings().first()
        if row is None:
            return None
        return Order(
            row["reference"],
            row["subject"],
            row["issuer"],
            row["nhs_number"],
            tuple(row["medicines"]),
            row["created_at"],
        )
