"""The second factor: time-based one-time codes (RFC 6238) and single-use recovery codes.

Codes are what authenticator apps support (RFC 6238 §4, Google Authenticator's key URI format):
HMAC-SHA-1, 30-second time steps, 6 digits, a 160-bit base32 secret. The step before and the step
after the current one are accepted for clock skew (§5.2: at most one step of drift is
recommended). A code is accepted once: the step it belongs to must be later than the last step
accepted for the account (§5.2: "the verifier MUST NOT accept the second attempt of the same OTP"),
which the store enforces with one conditional ``UPDATE``. Recovery codes are random, shown once and
stored only as SHA-256; each stands in for a code once (NIST SP 800-63B §5.1.2 look-up secrets).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass

import pyotp
import segno

from idp.store import digest
from idp.store.accounts import Account, AccountStore

__all__ = [
    "DIGITS",
    "RECOVERY_CODES",
    "SKEW_STEPS",
    "STEP_SECONDS",
    "Enrolment",
    "Proof",
    "code_at",
    "enrolment",
    "matching_step",
    "new_recovery_codes",
    "new_secret",
    "normalise_code",
    "normalise_recovery_code",
    "proof_of",
    "qr_svg",
    "recovery_digest",
    "spend",
    "step_account",
    "step_token",
]

STEP_SECONDS = 30
DIGITS = 6
#: Steps accepted either side of the current one (RFC 6238 §5.2).
SKEW_STEPS = 1
RECOVERY_CODES = 10
#: Recovery code alphabet: lower-case letters and digits without look-alikes (0/o, 1/l/i).
_RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"
_RECOVERY_GROUPS = 3
_RECOVERY_GROUP = 4
_CODE = re.compile(r"[0-9]{6}", re.ASCII)
_RECOVERY = re.compile(f"[{_RECOVERY_ALPHABET}]{{{_RECOVERY_GROUPS * _RECOVERY_GROUP}}}", re.ASCII)
_SEPARATORS = re.compile(r"[\s-]+")


def new_secret() -> str:
    """A new shared secret: 160 random bits in base32 (RFC 4226 §4 R6 recommends 160)."""
    return pyotp.random_base32(32)


def _totp(secret: str) -> pyotp.TOTP:
    return pyotp.TOTP(secret, digits=DIGITS, interval=STEP_SECONDS)


def normalise_code(code: str) -> str | None:
    """The six digits of a typed code (spaces and hyphens ignored), or None when it is not one."""
    compact = _SEPARATORS.sub("", code)
    return compact if _CODE.fullmatch(compact) else None


def normalise_recovery_code(code: str) -> str | None:
    """A typed recovery code in its stored form (lower case, no separators), or None."""
    compact = _SEPARATORS.sub("", code).lower()
    return compact if _RECOVERY.fullmatch(compact) else None


def matching_step(secret: str, code: str, now: int) -> int | None:
    """The latest time step within the skew window whose code is ``code`` (six digits), or None.

    Every step of the window is compared (in constant time), so the time taken does not say which
    step matched."""
    current = now // STEP_SECONDS
    totp = _totp(secret)
    found: int | None = None
    for step in range(current - SKEW_STEPS, current + SKEW_STEPS + 1):
        if hmac.compare_digest(totp.generate_otp(step).encode(), code.encode()):
            found = step
    return found


def code_at(secret: str, now: int) -> str:
    """The code for the time step containing ``now`` (what the citizen's app shows)."""
    return _totp(secret).generate_otp(now // STEP_SECONDS)


def new_recovery_codes(count: int = RECOVERY_CODES) -> list[str]:
    """``count`` recovery codes as shown to the citizen (``xxxx-xxxx-xxxx``, about 59 bits each)."""
    codes: list[str] = []
    while len(codes) < count:
        raw = "".join(secrets.choice(_RECOVERY_ALPHABET) for _ in range(_RECOVERY_GROUPS * _RECOVERY_GROUP))
        shown = "-".join(raw[i : i + _RECOVERY_GROUP] for i in range(0, len(raw), _RECOVERY_GROUP))
        if shown not in codes:
            codes.append(shown)
    return codes


def recovery_digest(code: str) -> str:
    """The stored form of a recovery code (normalised, then SHA-256)."""
    normalised = normalise_recovery_code(code)
    if normalised is None:
        raise ValueError("not a recovery code")
    return digest(normalised)


@dataclass(frozen=True)
class Enrolment:
    """What the set-up page shows for a secret being enrolled."""

    secret: str
    #: The secret in groups of four, for typing into an app by hand.
    grouped: str
    #: The ``otpauth://`` key URI the QR code holds.
    uri: str
    #: The QR code as inline SVG markup (no image request, nothing for the CSP to allow).
    svg: str


def enrolment(secret: str, username: str, issuer_name: str, title: str) -> Enrolment:
    """The QR code and the text form of ``secret`` for the account ``username``."""
    uri = _totp(secret).provisioning_uri(name=username, issuer_name=issuer_name)
    return Enrolment(
        secret=secret,
        grouped=" ".join(secret[i : i + 4] for i in range(0, len(secret), 4)),
        uri=uri,
        svg=qr_svg(uri, title),
    )


def qr_svg(text: str, title: str) -> str:
    """``text`` as a QR code in inline SVG (dark on white, so it shows on a dark page too)."""
    svg: str = segno.make(text, error="m", micro=False).svg_inline(
        scale=4, light="#fff", dark="#0b0c0c", title=title, svgclass="idp-qr"
    )
    return svg.replace("<svg ", '<svg role="img" focusable="false" ', 1)


# -- proofs -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Proof:
    """A typed code that matches the account's second factor, not yet spent: a TOTP code of time
    step ``step``, or the recovery code whose digest is ``recovery_hash``."""

    step: int | None = None
    recovery_hash: str | None = None


def proof_of(secret: str, typed: str, now: int) -> Proof | None:
    """What ``typed`` proves against ``secret`` at ``now`` (None: not a current code nor a recovery code).

    A recovery code is only checked against the store when it is spent (its digest is the proof)."""
    code = normalise_code(typed)
    if code is not None:
        step = matching_step(secret, code, now)
        return Proof(step=step) if step is not None else None
    recovery = normalise_recovery_code(typed)
    return Proof(recovery_hash=digest(recovery)) if recovery is not None else None


def spend(accounts: AccountStore, account: Account, typed: str, now: int) -> str | None:
    """Spend ``typed`` as the account's second factor: None when accepted, else why not (``wrong``:
    not a current code nor an unused recovery code; ``reused``: a code of a step already accepted;
    ``recovery_used``). A TOTP step or a recovery code is spent by one conditional ``UPDATE``."""
    proof = proof_of(account.totp_secret, typed, now) if account.totp_secret is not None else None
    if proof is None:
        return "wrong"
    if proof.step is not None:
        return None if accounts.use_totp_step(account.id, proof.step) else "reused"
    assert proof.recovery_hash is not None
    if accounts.use_recovery_code(account.id, proof.recovery_hash):
        return None
    return "recovery_used" if accounts.recovery_code_used(account.id, proof.recovery_hash) else "wrong"


# -- the second step of a sign-in -------------------------------------------------------------------


def _step_mac(salt: bytes, browser_id: str, purpose: str, account_id: str, issued_at: int) -> str:
    key = hmac.new(salt, b"ukid-idp/second-step/v1", hashlib.sha256).digest()
    message = f"{browser_id}\x00{purpose}\x00{account_id}\x00{issued_at}".encode()
    mac = hmac.new(key, message, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac).rstrip(b"=").decode()


def step_token(salt: bytes, browser_id: str, purpose: str, account_id: str, issued_at: int) -> str:
    """The cookie value saying that ``account_id`` gave the right password at ``issued_at`` in this
    browser for ``purpose`` (an interaction, or the account area's sign-in): the second step may follow."""
    return f"{account_id}.{issued_at}.{_step_mac(salt, browser_id, purpose, account_id, issued_at)}"


def step_account(
    salt: bytes, browser_id: str | None, purpose: str, token: str | None, *, now: int, lifetime: int
) -> str | None:
    """The account of a :func:`step_token` made for this browser and ``purpose`` less than ``lifetime``
    seconds ago, or None."""
    if browser_id is None or token is None or len(token) > 200:
        return None
    parts = token.split(".")
    if len(parts) != 3 or not parts[1].isascii() or not parts[1].isdigit():
        return None
    account_id, issued, mac = parts[0], int(parts[1]), parts[2]
    expected = _step_mac(salt, browser_id, purpose, account_id, issued)
    if not hmac.compare_digest(expected.encode(), mac.encode()) or not now - lifetime < issued <= now:
        return None
    return account_id
