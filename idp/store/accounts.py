"""Accounts, their second factor (TOTP, recovery codes) and their evidence records (GPG 45 scores
per piece of evidence).

Single use is enforced by the database: a TOTP time step is accepted by one conditional ``UPDATE``
that only succeeds when the step is later than the last one accepted (RFC 6238 §5.2), and a
recovery code is spent by one conditional ``UPDATE`` of its unused row, so two concurrent uses of
the same code cannot both win. Failed sign-ins are counted in one statement too (no lost updates).
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    Connection,
    Engine,
    bindparam,
    delete,
    func,
    insert,
    or_,
    select,
    update,
)

from idp.store import Clock, Compiled, StoreBase, decode_json, failed_sign_in
from idp.tables import accounts, evidence, recovery_codes

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
    #: The TOTP secret (base32), confirmed or still being set up (RFC 6238).
    totp_secret: str | None = None
    #: When the citizen confirmed the secret with a code: only a confirmed secret is a second factor.
    totp_confirmed_at: int | None = None
    #: The last TOTP time step accepted (a code for it, or an earlier one, is refused).
    totp_last_step: int | None = None

    @property
    def second_factor(self) -> bool:
        """True when the account has a confirmed TOTP second factor."""
        return self.totp_secret is not None and self.totp_confirmed_at is not None

    def locked(self, now: int) -> bool:
        """True while a lock from failed sign-ins lasts."""
        return self.locked_until is not None and self.locked_until > now


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
_USE_STEP = (
    update(accounts)
    .where(
        accounts.c.id == bindparam("account_id"),
        accounts.c.totp_confirmed_at.is_not(None),
        or_(accounts.c.totp_last_step.is_(None), accounts.c.totp_last_step < bindparam("step")),
    )
    .values(totp_last_step=bindparam("step"))
)
_USE_RECOVERY = (
    update(recovery_codes)
    .where(
        recovery_codes.c.account_id == bindparam("account_id"),
        recovery_codes.c.code_hash == bindparam("code_hash"),
        recovery_codes.c.used_at.is_(None),
    )
    .values(used_at=bindparam("now"))
)
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
        totp_secret=row["a_totp_secret"],
        totp_confirmed_at=row["a_totp_confirmed_at"],
        totp_last_step=row["a_totp_last_step"],
    )


class AccountStore(StoreBase):
    """Accounts and evidence."""

    def __init__(self, engine: Engine, clock: Clock = time.time) -> None:
        super().__init__(engine, clock)
        self._by_id = Compiled(_BY_ID, engine)
        self._by_username = Compiled(_BY_USERNAME, engine)
        self._evidence = Compiled(_EVIDENCE, engine, json_columns=("evidence", "scores"))
        self._record_failure = Compiled(failed_sign_in(accounts), engine)
        self._use_step = Compiled(_USE_STEP, engine)
        self._use_recovery = Compiled(_USE_RECOVERY, engine)

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

    def record_failure(self, account_id: str, *, limit: int, lockout: int) -> None:
        """Count a failed sign-in (:func:`idp.store.failed_sign_in`): the ``limit``-th locks the
        account for ``lockout`` seconds, and a lock always ends."""
        now = self.now()
        values = {"id": account_id, "now": now, "limit": limit, "locked_until": now + lockout}
        with self.engine.begin() as connection:
            self._record_failure.rowcount(connection, values)

    def reset_failures(self, account_id: str) -> None:
        """Forget failed sign-ins after a successful one."""
        with self.engine.begin() as connection:
            connection.execute(
                update(accounts).where(accounts.c.id == account_id).values(failed_logins=0, locked_until=None)
            )

    # -- the second factor (RFC 6238) --------------------------------------------------------------

    def begin_totp(self, account_id: str, secret: str) -> bool:
        """Hold a new, unconfirmed TOTP secret (replacing an unconfirmed one); False when the account
        already has a confirmed second factor."""
        with self.engine.begin() as connection:
            changed = connection.execute(
                update(accounts)
                .where(accounts.c.id == account_id, accounts.c.totp_confirmed_at.is_(None))
                .values(totp_secret=secret, totp_last_step=None)
            ).rowcount
        return bool(changed == 1)

    def confirm_totp(self, account_id: str, secret: str, step: int, code_hashes: list[str]) -> bool:
        """Confirm the unconfirmed ``secret`` with a code of ``step`` and replace the recovery codes
        with ``code_hashes``, in one transaction; False (nothing changes) when ``secret`` is no longer
        the one being set up or a second factor is already confirmed."""
        now = self.now()
        with self.engine.begin() as connection:
            changed = connection.execute(
                update(accounts)
                .where(
                    accounts.c.id == account_id,
                    accounts.c.totp_secret == secret,
                    accounts.c.totp_confirmed_at.is_(None),
                )
                .values(totp_confirmed_at=now, totp_last_step=step)
            ).rowcount
            if changed != 1:
                return False
            connection.execute(delete(recovery_codes).where(recovery_codes.c.account_id == account_id))
            if code_hashes:
                connection.execute(
                    insert(recovery_codes),
                    [{"account_id": account_id, "code_hash": h, "created_at": now} for h in code_hashes],
                )
        return True

    def use_totp_step(self, account_id: str, step: int, *, connection: Connection | None = None) -> bool:
        """Accept a code of time ``step``: one conditional ``UPDATE`` that only succeeds when ``step`` is
        later than the last step accepted (RFC 6238 §5.2: a code is never accepted twice)."""
        with self.writing(connection) as writer:
            return self._use_step.rowcount(writer, {"account_id": account_id, "step": step}) == 1

    def use_recovery_code(
        self, account_id: str, code_hash: str, *, connection: Connection | None = None
    ) -> bool:
        """Spend an unused recovery code (one conditional ``UPDATE``); False when unknown or used."""
        values = {"account_id": account_id, "code_hash": code_hash, "now": self.now()}
        with self.writing(connection) as writer:
            return self._use_recovery.rowcount(writer, values) == 1

    def recovery_code_used(self, account_id: str, code_hash: str) -> bool:
        """True when ``code_hash`` is one of the account's recovery codes, already used."""
        with self.reading() as connection:
            used = connection.execute(
                select(recovery_codes.c.used_at).where(
                    recovery_codes.c.account_id == account_id, recovery_codes.c.code_hash == code_hash
                )
            ).scalar_one_or_none()
        return used is not None

    def recovery_codes_left(self, account_id: str) -> int:
        """How many unused recovery codes the account has."""
        with self.reading() as connection:
            found = connection.execute(
                select(func.count())
                .select_from(recovery_codes)
                .where(recovery_codes.c.account_id == account_id, recovery_codes.c.used_at.is_(None))
            ).scalar_one()
        return int(found)

    def remove_totp(self, account_id: str, *, step: int | None = None, code_hash: str | None = None) -> bool:
        """Remove the second factor and its recovery codes, proven by a fresh code of time ``step`` or
        an unused recovery code, in one transaction; False (nothing changes) when the proof was
        already used (or the account has no second factor)."""
        with self.engine.begin() as connection:
            if step is not None:
                proven = self.use_totp_step(account_id, step, connection=connection)
            else:
                proven = code_hash is not None and self.use_recovery_code(
                    account_id, code_hash, connection=connection
                )
            if not proven:
                return False
            connection.execute(
                update(accounts)
                .where(accounts.c.id == account_id)
                .values(totp_secret=None, totp_confirmed_at=None, totp_last_step=None)
            )
            connection.execute(delete(recovery_codes).where(recovery_codes.c.account_id == account_id))
        return True

    def add_evidence(
        self,
        account_id: str,
        kind: str,
        evidence_object: dict[str, Any],
        scores: dict[str, int],
        *,
        connection: Connection | None = None,
    ) -> EvidenceRecord:
        """Record a piece of evidence checked now (in the caller's transaction when given one)."""
        record = EvidenceRecord(
            id=str(uuid.uuid4()),
            account_id=account_id,
            type=kind,
            evidence=evidence_object,
            scores=scores,
            verified_at=self.now(),
        )
        with self.writing(connection) as writer:
            writer.execute(
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
