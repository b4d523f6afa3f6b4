"""Accounts and their evidence records (GPG 45 scores per piece of evidence)."""

from __future__ import annotations

import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Engine, bindparam, func, insert, select, update

from idp.store import Clock, Compiled, StoreBase, decode_json
from idp.tables import accounts, evidence

__all__ = ["ACCOUNT_COLUMNS", "Account", "AccountStore", "EvidenceRecord", "account_from"]


@dataclass(frozen=True)
class Account:
    """A citizen's account."""

    id: str
    username: str
    password_hash: str
    #: Standard claims held for the citizen (OpenID Connect Core §5.1).
    claims: dict[str, Any]
    failed_logins: int
    locked_until: int | None
    created_at: int


@dataclass(frozen=True)
class EvidenceRecord:
    """One piece of evidence: the IDA evidence object and its GPG 45 contribution."""

    id: str
    account_id: str
    type: str
    #: The evidence object as released in ``verified_claims`` (OIDC for Identity Assurance §5.1.1).
    evidence: dict[str, Any]
    #: ``strength`` and ``validity`` (a piece of evidence), ``activity_history``, ``identity_fraud``,
    #: ``verification``: each optional.
    scores: dict[str, int]
    verified_at: int


#: The account columns, labelled ``a_<name>`` so that they can be joined with other tables.
ACCOUNT_COLUMNS = tuple(c.label(f"a_{c.name}") for c in accounts.c)
_BY_ID = select(*ACCOUNT_COLUMNS).where(accounts.c.id == bindparam("account_id"))
_BY_USERNAME = select(*ACCOUNT_COLUMNS).where(func.lower(accounts.c.username) == bindparam("username"))
_EVIDENCE = (
    select(evidence)
    .where(evidence.c.account_id == bindparam("account_id"))
    .order_by(evidence.c.verified_at, evidence.c.id)
)


def account_from(row: Mapping[str, Any]) -> Account:
    """The account in a row of :data:`ACCOUNT_COLUMNS` (read by :class:`idp.store.Compiled`)."""
    return Account(
        id=row["a_id"],
        username=row["a_username"],
        password_hash=row["a_password_hash"],
        claims=dict(decode_json(row["a_claims"])),
        failed_logins=row["a_failed_logins"],
        locked_until=row["a_locked_until"],
        created_at=row["a_created_at"],
    )


class AccountStore(StoreBase):
    """Accounts and evidence."""

    def __init__(self, engine: Engine, clock: Clock = time.time) -> None:
        super().__init__(engine, clock)
        self._by_id = Compiled(_BY_ID, engine)
        self._by_username = Compiled(_BY_USERNAME, engine)
        self._evidence = Compiled(_EVIDENCE, engine, json_columns=("evidence", "scores"))

    def create(self, username: str, password_hash: str, claims: dict[str, Any]) -> Account:
        """A new account; ``ValueError`` when the username is taken."""
        if self.by_username(username) is not None:
            raise ValueError(f"username {username!r} is taken")
        account_id = str(uuid.uuid4())
        with self.engine.begin() as connection:
            connection.execute(
                insert(accounts).values(
                    id=account_id,
                    username=username,
                    password_hash=password_hash,
                    claims=claims,
                    failed_logins=0,
                    created_at=self.now(),
                )
            )
        found = self.by_id(account_id)
        assert found is not None
        return found

    def by_username(self, username: str) -> Account | None:
        """The account signed in as ``username`` (case-insensitive), if any."""
        with self.reading() as connection:
            row = self._by_username.first(connection, {"username": username.lower()})
        return account_from(row) if row is not None else None

    def by_id(self, account_id: str, *, connection: Connection | None = None) -> Account | None:
        """The account ``account_id``, if any (in the caller's transaction when given one)."""
        with self.reading(connection) as reader:
            row = self._by_id.first(reader, {"account_id": account_id})
        return account_from(row) if row is not None else None

    def count(self) -> int:
        """How many accounts there are."""
        with self.reading() as connection:
            return int(connection.execute(select(func.count()).select_from(accounts)).scalar_one())

    def set_password_hash(self, account_id: str, password_hash: str) -> None:
        """Replace the stored hash (after a rehash with new parameters)."""
        with self.engine.begin() as connection:
            connection.execute(
                update(accounts).where(accounts.c.id == account_id).values(password_hash=password_hash)
            )

    def record_failure(self, account_id: str, *, locked_until: int | None) -> None:
        """Count a failed sign-in, and lock the account until ``locked_until`` when given."""
        with self.engine.begin() as connection:
            connection.execute(
                update(accounts)
                .where(accounts.c.id == account_id)
                .values(failed_logins=accounts.c.failed_logins + 1, locked_until=locked_until)
            )

    def reset_failures(self, account_id: str) -> None:
        """Forget failed sign-ins after a successful one."""
        with self.engine.begin() as connection:
            connection.execute(
                update(accounts).where(accounts.c.id == account_id).values(failed_logins=0, locked_until=None)
            )

    def add_evidence(
        self, account_id: str, kind: str, evidence_object: dict[str, Any], scores: dict[str, int]
    ) -> EvidenceRecord:
        """Record a piece of evidence checked now."""
        record = EvidenceRecord(
            id=str(uuid.uuid4()),
            account_id=account_id,
            type=kind,
            evidence=evidence_object,
            scores=scores,
            verified_at=self.now(),
        )
        with self.engine.begin() as connection:
            connection.execute(
                insert(evidence).values(
                    id=record.id,
                    account_id=account_id,
                    type=kind,
                    evidence=evidence_object,
                    scores=scores,
                    verified_at=record.verified_at,
                )
            )
        return record

    def evidence_of(self, account_id: str, *, connection: Connection | None = None) -> list[EvidenceRecord]:
        """The account's evidence, oldest first (in the caller's transaction when given one)."""
        with self.reading(connection) as reader:
            rows = self._evidence.all(reader, {"account_id": account_id})
        return [
            EvidenceRecord(
                id=row["id"],
                account_id=row["account_id"],
                type=row["type"],
                evidence=dict(row["evidence"]),
                scores=dict(row["scores"]),
                verified_at=row["verified_at"],
            )
            for row in rows
        ]
