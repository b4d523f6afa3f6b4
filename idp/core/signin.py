"""Signing in: the password, then the second factor when the citizen has one (OpenID Connect Core
§3.1.2.3; RFC 6238 TOTP; RFC 8176 ``amr`` values; Vectors of Trust credential components).

Used by the sign-in of an authorization (:mod:`idp.core.interaction`) and of the account area. A wrong
password, an unknown username and a locked account give the same answer. Failed passwords and codes
are counted; the :data:`MAX_FAILURES`-th locks the account for :data:`LOCKOUT_SECONDS`, after which the
count starts again, so a citizen can never be locked out for good.

Each step's outcome is counted in the provider's ``ukid_logins_total`` (:data:`OUTCOMES`): what the
citizen is never told (an unknown username, a lock) the operator sees.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from idp.core import totp
from idp.core.problems import InteractionProblem
from idp.store.accounts import Account
from idp.store.interactions import Interaction, Session

if TYPE_CHECKING:
    from idp.services import IdpServices

__all__ = [
    "LOCKOUT_SECONDS",
    "MAX_FAILURES",
    "MAX_PASSWORD",
    "MAX_USERNAME",
    "OUTCOMES",
    "PASSWORD_AMR",
    "PASSWORD_CREDENTIAL",
    "SECOND_FACTOR_AMR",
    "SECOND_FACTOR_CREDENTIAL",
    "SECOND_STEP_SECONDS",
    "CodeRefused",
    "SecondStep",
    "SignInFailed",
    "SignedIn",
    "check_password",
    "second_step",
    "sign_in",
    "start_session",
]

#: Failed sign-ins before an account is locked, and for how long (a simple lockout).
MAX_FAILURES = 5
LOCKOUT_SECONDS = 15 * 60
MAX_USERNAME = 254
MAX_PASSWORD = 1024
#: The authenticator used: a password (RFC 8176 ``pwd``), GOV.UK One Login's ``Cl`` credential.
PASSWORD_AMR = ("pwd",)
PASSWORD_CREDENTIAL = "Cl"
#: A password and a one-time code (RFC 8176 ``pwd``, ``otp``, ``mfa``): One Login's ``Cl.Cm``.
SECOND_FACTOR_AMR = ("pwd", "otp", "mfa")
SECOND_FACTOR_CREDENTIAL = "Cl.Cm"
#: How long after the password the code may be entered.
SECOND_STEP_SECONDS = 5 * 60
#: The outcomes counted: a session started; the password was right and a code must follow; an
#: unknown (or unusable) username; a wrong password; a locked account (either step); a refused code.
OUTCOMES = (
    "success",
    "code_required",
    "unknown_account",
    "bad_password",
    "locked",
    "code_wrong",
    "code_reused",
    "code_recovery_used",
)


@dataclass(frozen=True)
class SecondStep:
    """The password was right and the account has a second factor: a code must follow."""

    account: Account


@dataclass(frozen=True)
class CodeRefused:
    """The second step's code was not accepted: ``wrong`` (or expired), ``reused``, ``recovery_used``
    or ``locked``."""

    reason: str


@dataclass(frozen=True)
class SignInFailed:
    """The username and password were not accepted (which of them, or a lock, is never said)."""

    username: str


@dataclass(frozen=True)
class SignedIn:
    """A successful sign-in: the new session's cookie value, the session and the account."""

    session_id: str
    session: Session
    account: Account


def check_password(services: IdpServices, username: str, password: str) -> Account | SignInFailed:
    """The account whose ``username`` and ``password`` these are, or :class:`SignInFailed`.

    A wrong password, an unknown username and a locked account give the same answer, in about the
    same time (the password hasher runs a dummy verification for unknown names). Failures are
    counted; the :data:`MAX_FAILURES`-th locks the account for :data:`LOCKOUT_SECONDS`, after which
    the count starts again. The count is cleared here only when no second step follows (for an
    account with a second factor, a right password must not wipe out wrong codes).
    """
    username = username.strip()
    if not username or len(username) > MAX_USERNAME or len(password) > MAX_PASSWORD:
        services.metrics.login("unknown_account")
        return SignInFailed(username[:MAX_USERNAME])
    account = services.accounts.by_username(username)
    matches = services.passwords.verify(account.password_hash if account else None, password)
    if account is None or account.locked(services.now()):
        services.metrics.login("unknown_account" if account is None else "locked")
        return SignInFailed(username)
    if not matches:
        services.accounts.record_failure(account.id, limit=MAX_FAILURES, lockout=LOCKOUT_SECONDS)
        services.metrics.login("bad_password")
        return SignInFailed(username)
    if not account.second_factor and (account.failed_logins or account.locked_until is not None):
        services.accounts.reset_failures(account.id)
    if services.passwords.needs_rehash(account.password_hash):
        services.accounts.set_password_hash(account.id, services.passwords.hash(password))
    return account


def start_session(
    services: IdpServices,
    account: Account,
    *,
    second_factor: bool,
    interaction_id: str | None,
    previous_session: str | None,
) -> SignedIn:
    """A new session for ``account`` (signed in for ``interaction_id`` when given; the browser's
    ``previous_session`` is ended in the same transaction), asserting only what was used."""
    session_id, session = services.interactions.start_session(
        account.id,
        auth_time=services.now(),
        amr=list(SECOND_FACTOR_AMR if second_factor else PASSWORD_AMR),
        credential=SECOND_FACTOR_CREDENTIAL if second_factor else PASSWORD_CREDENTIAL,
        lifetime=services.config.session_lifetime,
        interaction_id=interaction_id,
        previous=previous_session,
    )
    return SignedIn(session_id, session, account)


def sign_in(
    services: IdpServices,
    interaction: Interaction | None,
    username: str,
    password: str,
    previous_session: str | None = None,
) -> SignedIn | SecondStep | SignInFailed:
    """Check a username and password for ``interaction`` (None: the account area); the new session
    when the account has only a password, :class:`SecondStep` when a code must follow."""
    checked = check_password(services, username, password)
    if isinstance(checked, SignInFailed):
        return checked
    if checked.second_factor:
        services.metrics.login("code_required")
        return SecondStep(checked)
    signed_in = start_session(
        services,
        checked,
        second_factor=False,
        interaction_id=interaction.id if interaction is not None else None,
        previous_session=previous_session,
    )
    services.metrics.login("success")
    return signed_in


def second_step(
    services: IdpServices,
    account_id: str,
    code: str,
    *,
    interaction_id: str | None,
    previous_session: str | None,
) -> SignedIn | CodeRefused:
    """The second step of a sign-in (RFC 6238): a current TOTP code, or an unused recovery code, of
    the account that gave its password; the new session (credential ``Cl.Cm``) on success.

    A code is spent by one conditional ``UPDATE`` (a step at or before the last one accepted is
    refused as reused). Every refusal but a lock counts as a failed sign-in."""
    account = services.accounts.by_id(account_id)
    now = services.now()
    if account is None or not account.second_factor or account.totp_secret is None:
        raise InteractionProblem(
            "second_step", "Two-step sign-in is no longer set up for this account: sign in again."
        )
    if account.locked(now):
        services.metrics.login("locked")
        return CodeRefused("locked")
    refusal = totp.spend(services.accounts, account, code, now)
    if refusal is not None:
        services.accounts.record_failure(account.id, limit=MAX_FAILURES, lockout=LOCKOUT_SECONDS)
        services.metrics.login(f"code_{refusal}")
        return CodeRefused(refusal)
    if account.failed_logins or account.locked_until is not None:
        services.accounts.reset_failures(account.id)
    signed_in = start_session(
        services,
        account,
        second_factor=True,
        interaction_id=interaction_id,
        previous_session=previous_session,
    )
    services.metrics.login("success")
    return signed_in
