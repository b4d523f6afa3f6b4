"""Vouching: a registered voucher attests to who a person is, for people without documents or a
credit history (someone leaving prison, someone without a fixed address).

A signed-in voucher (their own sign-in, :func:`voucher_sign_in`) issues a one-time vouch code for a
named person (:func:`issue`); the person, signed in to their account, redeems it (:func:`redeem`)
and it becomes ``vouch`` evidence (OpenID Connect for Identity Assurance 1.0 §5.1.1: ``attestation``
with the ``voucher``'s name, occupation and organisation) with its GPG 45 scores. Codes are random,
human-typeable, stored only as SHA-256, expire after :data:`CODE_LIFETIME`, are used once, and are
limited per voucher (``daily_limit`` in 24 hours) and, for refused redemptions, per citizen.
"""

from __future__ import annotations

import secrets
import unicodedata
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

from idp.core.dates import iso_date, iso_time
from idp.core.identity import Identity, identity_of
from idp.core.signin import LOCKOUT_SECONDS, MAX_FAILURES, MAX_PASSWORD, MAX_USERNAME
from idp.store.accounts import Account
from idp.store.vouching import IssuedCode, Voucher

if TYPE_CHECKING:
    from idp.services import IdpServices

__all__ = [
    "CODE_ALPHABET",
    "CODE_LENGTH",
    "CODE_LIFETIME",
    "ISSUE_WINDOW",
    "MAX_FAILED_REDEMPTIONS",
    "REDEMPTION_WINDOW",
    "VOUCHER_SESSION_LIFETIME",
    "VOUCH_SCORES",
    "Redeemed",
    "Refused",
    "VouchFor",
    "VoucherSignedIn",
    "check_vouch_form",
    "issue",
    "new_code",
    "normalise_code",
    "redeem",
    "same_person",
    "vouch_evidence",
    "voucher_sign_in",
]

#: Letters and digits that cannot be mistaken for one another (no 0/O, 1/I/L, U/V): 30 symbols.
CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTVWXYZ"
#: 12 symbols, about 59 bits: shown in groups of four (``ABCD-EFGH-JKMN``).
CODE_LENGTH = 12
CODE_GROUP = 4
#: A vouch code lasts seven days.
CODE_LIFETIME = 7 * 86400
#: A voucher may issue ``daily_limit`` codes in any such window.
ISSUE_WINDOW = 86400
#: Refused redemptions a citizen may make in :data:`REDEMPTION_WINDOW` before being refused outright.
MAX_FAILED_REDEMPTIONS = 5
REDEMPTION_WINDOW = 86400
#: A voucher's session lasts a working day.
VOUCHER_SESSION_LIFETIME = 8 * 3600
MAX_NAME = 256
MAX_RELATIONSHIP = 512

#: The GPG 45 contribution of one redeemed vouch (GPG 45 "How to prove and verify someone's identity"):
#:
#: - strength 2 (§Scores, strength of evidence): the attestation comes from a known professional,
#:   registered with the provider under their own name, occupation and organisation, who knows the
#:   person; a vouch is not an issued identity document with security features, so not 3 or 4;
#: - validity 2 (§Scores, validity): the provider confirmed the vouch with its source: the voucher
#:   issued it while signed in with their own account, for this name and date of birth, and the code
#:   is unexpired and used once; there is no physical or cryptographic feature to check, so not 3;
#: - verification 1 (§Scores, verification): the person showed they hold the one-time code the
#:   voucher gave them (``token``), and the voucher knows them; no photo comparison is made (so no
#:   ``pvp``, which would make it NHS login P9-eligible), so not 2 or more;
#: - no activity history and no identity fraud score: a vouch checks neither.
#:
#: A vouch alone (22|0|0|1) meets no profile: L1A (§Identity profiles: 22|0|1|1) also needs an
#: identity fraud score of 1, a check of the identity against a fraud data source. A thin-file
#: citizen with that check (e.g. a fraud prevention database search, ``identity_fraud`` 1) reaches
#: low confidence, profile L1A, with the vouch.
VOUCH_SCORES: dict[str, int] = {"strength": 2, "validity": 2, "verification": 1}


# -- codes ----------------------------------------------------------------------------------------


def new_code() -> str:
    """A random vouch code, grouped for reading: ``ABCD-EFGH-JKMN``."""
    symbols = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
    return "-".join(symbols[i : i + CODE_GROUP] for i in range(0, CODE_LENGTH, CODE_GROUP))


def normalise_code(text: str) -> str | None:
    """The code as stored (upper case, no spaces or hyphens); None when it cannot be a code."""
    symbols = "".join(text.split()).replace("-", "").upper()
    if len(symbols) != CODE_LENGTH or any(c not in CODE_ALPHABET for c in symbols):
        return None
    return symbols


def _name_key(value: str) -> str:
    """A name compared case-insensitively after trimming (NFC, inner spaces collapsed)."""
    return " ".join(unicodedata.normalize("NFC", value).split()).casefold()


def same_person(code: IssuedCode, claims: dict[str, Any]) -> bool:
    """True when the code was issued for the name and date of birth the account holds."""
    held = (claims.get("given_name"), claims.get("family_name"), claims.get("birthdate"))
    if not all(isinstance(value, str) for value in held):
        return False
    given, family, birthdate = (str(value) for value in held)
    return (
        _name_key(given) == _name_key(code.given_name)
        and _name_key(family) == _name_key(code.family_name)
        and birthdate.strip() == code.birthdate
    )


# -- the voucher's sign-in ------------------------------------------------------------------------


@dataclass(frozen=True)
class VoucherSignedIn:
    """A successful voucher sign-in: the new session's cookie value and the voucher."""

    session_id: str
    voucher: Voucher


def voucher_sign_in(
    services: IdpServices, username: str, password: str, previous_session: str | None = None
) -> VoucherSignedIn | None:
    """Check a voucher's username and password; None when refused (which of them, or a lock, is never
    said). As for citizens: failures are counted, and after :data:`MAX_FAILURES` the voucher is locked
    for :data:`LOCKOUT_SECONDS`, the count restarting once the lock has expired. An unknown username
    costs a dummy verification, so timing does not reveal whether a voucher exists."""
    now = services.now()
    username = username.strip()
    if not username or len(username) > MAX_USERNAME or len(password) > MAX_PASSWORD:
        return None
    store = services.vouchers
    voucher = store.by_username(username)
    matches = services.passwords.verify(voucher.password_hash if voucher else None, password)
    if voucher is None or (voucher.locked_until is not None and voucher.locked_until > now):
        return None
    if not matches:
        store.record_failure(voucher.id, max_failures=MAX_FAILURES, lockout=LOCKOUT_SECONDS)
        return None
    if voucher.failed_logins or voucher.locked_until is not None:
        store.reset_failures(voucher.id)
    if services.passwords.needs_rehash(voucher.password_hash):
        store.set_password_hash(voucher.id, services.passwords.hash(password))
    session_id = store.start_session(voucher.id, VOUCHER_SESSION_LIFETIME, previous=previous_session)
    return VoucherSignedIn(session_id, voucher)


# -- issuing --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class VouchFor:
    """The person a code is issued for, as the voucher entered them (checked)."""

    given_name: str
    family_name: str
    #: ISO 8601 date (``YYYY-MM-DD``).
    birthdate: str
    relationship: str


def _birthdate(day: str, month: str, year: str, today: date) -> tuple[str | None, str | None]:
    """The ISO date, or the word key of what is wrong with it."""
    if not (day.strip() and month.strip() and year.strip()):
        return None, "vouch_error_birthdate_missing"
    try:
        value = date(int(year), int(month), int(day))
    except ValueError:
        return None, "vouch_error_birthdate_invalid"
    if value > today:
        return None, "vouch_error_birthdate_future"
    if value.year < 1900:
        return None, "vouch_error_birthdate_invalid"
    return value.isoformat(), None


def check_vouch_form(form: Mapping[str, str], today: date) -> VouchFor | dict[str, str]:
    """The person to vouch for from the form's ``given_name``, ``family_name``, ``birth_day``,
    ``birth_month``, ``birth_year`` and ``relationship``, or the errors by field (name -> word key)."""
    errors: dict[str, str] = {}
    given, family, known = (
        form.get(name, "").strip() for name in ("given_name", "family_name", "relationship")
    )
    if not given:
        errors["given_name"] = "vouch_error_given_name"
    elif len(given) > MAX_NAME:
        errors["given_name"] = "vouch_error_given_name_long"
    if not family:
        errors["family_name"] = "vouch_error_family_name"
    elif len(family) > MAX_NAME:
        errors["family_name"] = "vouch_error_family_name_long"
    birthdate, problem = _birthdate(
        form.get("birth_day", ""), form.get("birth_month", ""), form.get("birth_year", ""), today
    )
    if problem is not None:
        errors["birth_day"] = problem
    if not known:
        errors["relationship"] = "vouch_error_relationship"
    elif len(known) > MAX_RELATIONSHIP:
        errors["relationship"] = "vouch_error_relationship_long"
    if errors or birthdate is None:
        return errors
    return VouchFor(given, family, birthdate, known)


def issue(services: IdpServices, voucher: Voucher, person: VouchFor) -> tuple[str, IssuedCode] | None:
    """A new code for ``person`` (shown once, stored as SHA-256) and its stored record; None, writing
    nothing, when the voucher has issued their ``daily_limit`` codes in the last 24 hours."""
    code = new_code()
    stored = services.vouchers.issue_code(
        voucher.id,
        normalise_code(code) or code,
        given_name=person.given_name,
        family_name=person.family_name,
        birthdate=person.birthdate,
        relationship=person.relationship,
        lifetime=CODE_LIFETIME,
        window=ISSUE_WINDOW,
    )
    return (code, stored) if stored is not None else None


# -- redeeming ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Redeemed:
    """A redeemed vouch: the evidence recorded and the identity the citizen now has."""

    evidence_id: str
    voucher: Voucher
    identity: Identity


@dataclass(frozen=True)
class Refused:
    """A refused redemption: the word key of the reason and whether it was counted."""

    reason: str
    counted: bool


def vouch_evidence(
    evidence_id: str, code: IssuedCode, voucher: Voucher, *, checked_by: str, now: int
) -> dict[str, Any]:
    """The ``vouch`` evidence object (OpenID Connect for Identity Assurance 1.0 §5.1.1).

    ``check_details``: ``vdig`` (validation of digital evidence: the attestation was made in the
    provider by a signed-in registered voucher) and ``token`` (the person held the one-time code
    linked to it). ``attestation``: a ``digital_attestation`` with its reference, the day it was
    given and the ``voucher``. ``derived_claims``: the name and date of birth the voucher attested.
    How the voucher knows the person stays in the provider (``vouch_codes.relationship``): it is
    not released to relying parties.
    """
    time = iso_time(now)
    return {
        "type": "vouch",
        "check_details": [
            {
                "check_method": "vdig",
                "organization": checked_by,
                "check_id": f"vouch-{evidence_id}",
                "time": time,
            },
            {
                "check_method": "token",
                "organization": checked_by,
                "check_id": f"vouch-code-{evidence_id}",
                "time": time,
            },
        ],
        "attestation": {
            "type": "digital_attestation",
            "reference_number": evidence_id,
            "date_of_issuance": iso_date(code.created_at),
            "voucher": {
                "name": voucher.name,
                "occupation": voucher.occupation,
                "organization": voucher.organization,
            },
        },
        "derived_claims": {
            "given_name": code.given_name,
            "family_name": code.family_name,
            "birthdate": code.birthdate,
        },
    }


def _refused(services: IdpServices, account: Account, reason: str) -> Refused:
    services.vouchers.record_refusal(account.id)
    return Refused(reason, counted=True)


def redeem(services: IdpServices, account: Account, text: str) -> Redeemed | Refused:
    """Redeem the code ``text`` for the citizen ``account``.

    Accepted only when it is a code issued, unexpired and unused, for this citizen's given name,
    family name and date of birth (``account.claims``). Each refusal is counted (``proofing_attempts``,
    kind ``vouch``); after :data:`MAX_FAILED_REDEMPTIONS` in :data:`REDEMPTION_WINDOW` every
    redemption is refused without looking at the code. A missing code is not counted.
    """
    if not text.strip():
        return Refused("vouch_error_code_missing", counted=False)
    store = services.vouchers
    if store.failed_redemptions(account.id, REDEMPTION_WINDOW) >= MAX_FAILED_REDEMPTIONS:
        return Refused("vouch_error_too_many", counted=False)
    now = services.now()
    symbols = normalise_code(text)
    code = store.code(symbols) if symbols is not None else None
    if symbols is None or code is None:
        return _refused(services, account, "vouch_error_code_wrong")
    if code.used_at is not None:
        return _refused(services, account, "vouch_error_code_used")
    if code.expires_at <= now:
        return _refused(services, account, "vouch_error_code_expired")
    if not same_person(code, account.claims):
        return _refused(services, account, "vouch_error_code_other_person")
    voucher = store.voucher(code.voucher_id)
    if voucher is None:  # pragma: no cover - a code's voucher is deleted with it (ON DELETE CASCADE)
        return _refused(services, account, "vouch_error_code_wrong")
    evidence_id = str(uuid.uuid4())
    evidence_object = vouch_evidence(
        evidence_id, code, voucher, checked_by=services.config.organization_name, now=now
    )
    if not store.redeem(
        symbols,
        account.id,
        evidence_id=evidence_id,
        evidence_object=evidence_object,
        scores=dict(VOUCH_SCORES),
    ):
        return _refused(services, account, "vouch_error_code_used")  # another redemption won the race
    return Redeemed(evidence_id, voucher, identity_of(services.accounts, account, services.now()))
