"""Vouchers, their sign-in sessions, the vouch codes they issue and their redemption.

Vouchers (a hostel key worker, a prison resettlement officer, a GP practice manager) are registered
people with their own sign-in, separate from citizens. Session handles and vouch codes are stored only
as their SHA-256 (:func:`idp.store.digest`). A vouch code is used once: one conditional ``UPDATE``
marks it used, in the transaction that records the ``vouch`` evidence, so a race cannot use it twice.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, bindparam, func, insert, select, update

from idp.store import Clock, Compiled, StoreBase, digest, failed_sign_in
from idp.store.interactions import new_handle
from idp.tables import evidence, proofing_attempts, vouch_codes, voucher_sessions, vouchers

__all__ = ["ATTEMPT_KIND", "IssuedCode", "Voucher", "VoucherStore"]

#: The ``proofing_attempts.kind`` of a vouch code redemption.
ATTEMPT_KIND = "vouch"


@dataclass(frozen=True)
class Voucher:
    """A registered voucher."""

    id: str
    username: str
    password_hash: str
    name: str
    occupation: str
    organization: str
    #: Vouch codes this voucher may issue in any 24 hours.
    daily_limit: int
    failed_logins: int
    locked_until: int | None
    created_at: int


@dataclass(frozen=True)
class IssuedCode:
    """A vouch code as stored: the person it was issued for, never the code itself."""

    code_hash: str
    voucher_id: str
    given_name: str
    family_name: str
    birthdate: str
    relationship: str
    created_at: int
    expires_at: int
    used_at: int | None
    used_by: str | None


_VOUCHER_COLUMNS = tuple(c.label(f"v_{c.name}") for c in vouchers.c)
_VOUCHER_BY_USERNAME = select(*_VOUCHER_COLUMNS).where(
    func.lower(vouchers.c.username) == bindparam("username")
)
_LIVE_SESSION = (
    select(*_VOUCHER_COLUMNS)
    .join(voucher_sessions, voucher_sessions.c.voucher_id == vouchers.c.id)
    .where(
        voucher_sessions.c.id_hash == bindparam("id_hash"),
        voucher_sessions.c.ended_at.is_(None),
        voucher_sessions.c.expires_at > bindparam("now"),
    )
)
_END_SESSION = (
    update(voucher_sessions)
    .where(
        voucher_sessions.c.id_hash == bindparam("id_hash"),
        voucher_sessions.c.ended_at.is_(None),
        voucher_sessions.c.expires_at > bindparam("now"),
    )
    .values(ended_at=bindparam("now"))
)
_CODE = select(vouch_codes).where(vouch_codes.c.code_hash == bindparam("code_hash"))
#: Single use: only one caller can change a code that is unused and unexpired.
_USE_CODE = (
    update(vouch_codes)
    .where(
        vouch_codes.c.code_hash == bindparam("code_hash"),
        vouch_codes.c.used_at.is_(None),
        vouch_codes.c.expires_at > bindparam("now"),
    )
    .values(used_at=bindparam("now"), used_by=bindparam("account_id"))
)
_FAILED_ATTEMPTS = select(func.count()).where(
    proofing_attempts.c.account_id == bindparam("account_id"),
    proofing_attempts.c.kind == bindparam("kind"),
    proofing_attempts.c.succeeded == bindparam("succeeded"),
    proofing_attempts.c.at > bindparam("since"),
)
_ADD_ATTEMPT = insert(proofing_attempts).values(
    account_id=bindparam("account_id"),
    kind=bindparam("kind"),
    succeeded=bindparam("succeeded"),
    at=bindparam("at"),
)
_ADD_EVIDENCE = insert(evidence).values({c.name: bindparam(c.name) for c in evidence.c})


def _voucher(row: Mapping[str, Any]) -> Voucher:
    return Voucher(**{name[2:]: value for name, value in row.items()})


def _code(row: Mapping[str, Any]) -> IssuedCode:
    return IssuedCode(**dict(row))


class VoucherStore(StoreBase):
    """Vouchers, voucher sessions, vouch codes, and the redemption attempts of citizens."""

    def __init__(self, engine: Engine, clock: Clock = time.time) -> None:
        super().__init__(engine, clock)
        self._by_username = Compiled(_VOUCHER_BY_USERNAME, engine)
        self._live_session = Compiled(_LIVE_SESSION, engine)
        self._record_failure = Compiled(failed_sign_in(vouchers), engine)
        self._end_session = Compiled(_END_SESSION, engine)
        self._code = Compiled(_CODE, engine)
        self._use_code = Compiled(_USE_CODE, engine)
        self._failed_attempts = Compiled(_FAILED_ATTEMPTS, engine, columns=("count",))
        self._add_attempt = Compiled(_ADD_ATTEMPT, engine)
        self._add_evidence = Compiled(_ADD_EVIDENCE, engine, json_params=("evidence", "scores"))

    # -- vouchers ----------------------------------------------------------------------------------

    def create_voucher(  # noqa: PLR0917 - the signature the seed and tests use
        self,
        username: str,
        password_hash: str,
        name: str,
        occupation: str,
        organization: str,
        daily_limit: int,
    ) -> Voucher:
        """A new voucher (the dev seed and tests); ``ValueError`` when the username is taken."""
        if self.by_username(username) is not None:
            raise ValueError(f"voucher username {username!r} is taken")
        if daily_limit < 1:
            raise ValueError("a voucher's daily limit is at least 1")
        voucher_id = str(uuid.uuid4())
        with self.transaction() as connection:
            connection.execute(
                insert(vouchers).values(
                    id=voucher_id,
                    username=username,
                    password_hash=password_hash,
                    name=name,
                    occupation=occupation,
                    organization=organization,
                    daily_limit=daily_limit,
                    failed_logins=0,
                    created_at=self.now(),
                )
            )
        found = self.by_username(username)
        assert found is not None
        return found

    def by_username(self, username: str) -> Voucher | None:
        """The voucher signing in as ``username`` (case-insensitive), if any."""
        with self.reading() as connection:
            row = self._by_username.first(connection, {"username": username.lower()})
        return _voucher(row) if row is not None else None

    def record_failure(self, voucher_id: str, *, max_failures: int, lockout: int) -> None:
        """Count a failed sign-in (:func:`idp.store.failed_sign_in`, the rule citizens have): the
        ``max_failures``-th locks the voucher for ``lockout`` seconds, and a lock always ends."""
        now = self.now()
        values = {"id": voucher_id, "now": now, "limit": max_failures, "locked_until": now + lockout}
        with self.transaction() as connection:
            self._record_failure.rowcount(connection, values)

    def reset_failures(self, voucher_id: str) -> None:
        """Forget failed sign-ins after a successful one."""
        with self.transaction() as connection:
            connection.execute(
                update(vouchers).where(vouchers.c.id == voucher_id).values(failed_logins=0, locked_until=None)
            )

    def set_password_hash(self, voucher_id: str, password_hash: str) -> None:
        """Replace the stored hash (after a rehash with new parameters)."""
        with self.transaction() as connection:
            connection.execute(
                update(vouchers).where(vouchers.c.id == voucher_id).values(password_hash=password_hash)
            )

    # -- sessions ----------------------------------------------------------------------------------

    def start_session(self, voucher_id: str, lifetime: int, *, previous: str | None = None) -> str:
        """A new voucher session (its cookie value); the browser's ``previous`` one ends with it."""
        session_id = new_handle()
        now = self.now()
        with self.transaction() as connection:
            connection.execute(
                insert(voucher_sessions).values(
                    id_hash=digest(session_id),
                    voucher_id=voucher_id,
                    created_at=now,
                    expires_at=now + lifetime,
                )
            )
            if previous is not None:
                self._end_session.rowcount(connection, {"id_hash": digest(previous), "now": now})
        return session_id

    def live_session(self, session_id: str) -> Voucher | None:
        """The voucher of the live session ``session_id`` (not ended, not expired), if any."""
        with self.reading() as connection:
            row = self._live_session.first(connection, {"id_hash": digest(session_id), "now": self.now()})
        return _voucher(row) if row is not None else None

    def end_session(self, session_id: str) -> bool:
        """End the session (sign-out); False when it was not live."""
        with self.transaction() as connection:
            return (
                self._end_session.rowcount(connection, {"id_hash": digest(session_id), "now": self.now()})
                == 1
            )

    # -- vouch codes -------------------------------------------------------------------------------

    def issue_code(
        self,
        voucher_id: str,
        code: str,
        *,
        given_name: str,
        family_name: str,
        birthdate: str,
        relationship: str,
        lifetime: int,
        window: int,
    ) -> IssuedCode | None:
        """Store ``code`` (its digest) for the named person; None, writing nothing, when the voucher
        has issued their daily limit of codes in the last ``window`` seconds. The voucher's row is
        locked meanwhile (PostgreSQL), so concurrent issues cannot both take the last one."""
        now = self.now()
        with self.transaction() as connection:
            limit = connection.execute(
                select(vouchers.c.daily_limit).where(vouchers.c.id == voucher_id).with_for_update()
            ).scalar_one()
            issued = connection.execute(
                select(func.count()).where(
                    vouch_codes.c.voucher_id == voucher_id, vouch_codes.c.created_at > now - window
                )
            ).scalar_one()
            if issued >= limit:
                return None
            stored = IssuedCode(
                code_hash=digest(code),
                voucher_id=voucher_id,
                given_name=given_name,
                family_name=family_name,
                birthdate=birthdate,
                relationship=relationship,
                created_at=now,
                expires_at=now + lifetime,
                used_at=None,
                used_by=None,
            )
            connection.execute(insert(vouch_codes).values(**stored.__dict__))
        return stored

    def issued_in(self, voucher_id: str, window: int) -> int:
        """How many codes the voucher issued in the last ``window`` seconds."""
        with self.reading() as connection:
            return int(
                connection.execute(
                    select(func.count()).where(
                        vouch_codes.c.voucher_id == voucher_id,
                        vouch_codes.c.created_at > self.now() - window,
                    )
                ).scalar_one()
            )

    def codes_of(self, voucher_id: str, *, limit: int = 100) -> list[IssuedCode]:
        """The codes the voucher issued, newest first."""
        with self.reading() as connection:
            rows = connection.execute(
                select(vouch_codes)
                .where(vouch_codes.c.voucher_id == voucher_id)
                .order_by(vouch_codes.c.created_at.desc(), vouch_codes.c.code_hash)
                .limit(limit)
            ).mappings()
            return [_code(dict(row)) for row in rows]

    def code(self, code: str) -> IssuedCode | None:
        """The stored code ``code`` (used or expired included), if any."""
        with self.reading() as connection:
            row = self._code.first(connection, {"code_hash": digest(code)})
        return _code(row) if row is not None else None

    def voucher(self, voucher_id: str) -> Voucher | None:
        """The voucher ``voucher_id``, if any."""
        with self.reading() as connection:
            row = connection.execute(select(*_VOUCHER_COLUMNS).where(vouchers.c.id == voucher_id)).mappings()
            found = row.first()
        return _voucher(dict(found)) if found is not None else None

    # -- redemption --------------------------------------------------------------------------------

    def failed_redemptions(self, account_id: str, window: int) -> int:
        """The citizen's refused redemptions in the last ``window`` seconds."""
        with self.reading() as connection:
            row = self._failed_attempts.first(
                connection,
                {
                    "account_id": account_id,
                    "kind": ATTEMPT_KIND,
                    "succeeded": 0,
                    "since": self.now() - window,
                },
            )
        return int(row["count"]) if row is not None else 0

    def record_refusal(self, account_id: str) -> None:
        """Count a refused redemption (a wrong, expired, used or someone else's code)."""
        with self.transaction() as connection:
            self._add_attempt.rowcount(
                connection, {"account_id": account_id, "kind": ATTEMPT_KIND, "succeeded": 0, "at": self.now()}
            )

    def redeem(
        self,
        code: str,
        account_id: str,
        *,
        evidence_id: str,
        evidence_object: dict[str, Any],
        scores: dict[str, int],
    ) -> bool:
        """Use ``code`` for the citizen and record its ``vouch`` evidence and the successful attempt,
        in one transaction; False, writing nothing, when another redemption won the code (or it
        expired meanwhile)."""
        now = self.now()
        with self.transaction() as connection:
            if (
                self._use_code.rowcount(
                    connection, {"code_hash": digest(code), "now": now, "account_id": account_id}
                )
                != 1
            ):
                return False
            self._add_evidence.rowcount(
                connection,
                {
                    "id": evidence_id,
                    "account_id": account_id,
                    "type": "vouch",
                    "evidence": evidence_object,
                    "scores": scores,
                    "verified_at": now,
                },
            )
            self._add_attempt.rowcount(
                connection, {"account_id": account_id, "kind": ATTEMPT_KIND, "succeeded": 1, "at": now}
            )
        return True
