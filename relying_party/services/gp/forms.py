"""The practice's own forms: their CSRF tokens and the validation of every answer.

A form's CSRF token is an HMAC of the browser's session handle (the relying-party library's session
cookie) and the form's name under a key made when the service starts, so a token is good only for
that browser and form while the service runs (OWASP CSRF Prevention Cheat Sheet, "signed double
submit cookie"). Error messages follow the NHS.UK design system's wording.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

__all__ = [
    "ADDRESS_MISSING",
    "ADDRESS_TOO_LONG",
    "FIXED_ADDRESS_MISSING",
    "MAX_ADDRESS",
    "MEDICINES",
    "MEDICINE_MISSING",
    "MEDICINE_UNKNOWN",
    "PHONE_INVALID",
    "Medicine",
    "RegistrationAnswers",
    "read_medicines",
    "read_registration",
    "uk_phone",
]

PHONE_INVALID = "Enter a UK phone number, like 07700 900 982 or 01632 960 001"
FIXED_ADDRESS_MISSING = "Select yes if you have a fixed address"
ADDRESS_MISSING = "Enter your address"
ADDRESS_TOO_LONG = "Your address must be 300 characters or fewer"
MEDICINE_MISSING = "Select at least one medicine"
MEDICINE_UNKNOWN = "Select only medicines from your list of repeat medicines"
MAX_ADDRESS = 300

_PHONE_SEPARATORS = re.compile(r"[\s().-]")
#: A UK national significant number (9 or 10 digits, never starting with 0).
_NATIONAL = re.compile(r"[1-9][0-9]{8,9}", re.ASCII)


@dataclass(frozen=True)
class Medicine:
    """One of the patient's repeat medicines."""

    key: str
    name: str
    dose: str


#: The development list of repeat medicines every patient of the sample practice has.
MEDICINES = (
    Medicine("amlodipine-5mg", "Amlodipine 5mg tablets", "Take one tablet a day"),
    Medicine("salbutamol-100mcg", "Salbutamol 100mcg inhaler", "Take 2 puffs when needed"),
    Medicine("sertraline-50mg", "Sertraline 50mg tablets", "Take one tablet each morning"),
)


def uk_phone(raw: str) -> str | None:
    """A UK phone number (``07700 900982``, ``+44 (0)20 7946 0000``) in E.164 form, or None when it
    is not one."""
    if len(raw) > 30:
        return None
    digits = _PHONE_SEPARATORS.sub("", raw)
    for prefix in ("+440", "+44", "00440", "0044", "0"):
        if digits.startswith(prefix):
            national = digits[len(prefix) :]
            return f"+44{national}" if _NATIONAL.fullmatch(national) else None
    return None


@dataclass(frozen=True)
class RegistrationAnswers:
    """What the patient told the practice: a contact number and, without a verified address, their
    address or that they have none."""

    phone: str | None
    #: The address typed by the patient, "" when they have no fixed address, None when the verified
    #: address is used.
    address: str | None


def read_registration(
    phone: str, fixed_address: str, address: str, *, needs_address: bool
) -> tuple[RegistrationAnswers | None, dict[str, str]]:
    """The answers of the registration form, or the errors by field (in page order)."""
    errors: dict[str, str] = {}
    number: str | None = None
    if phone.strip():
        number = uk_phone(phone.strip())
        if number is None:
            errors["phone"] = PHONE_INVALID
    typed: str | None = None
    if needs_address:
        if fixed_address == "no":
            typed = ""
        elif fixed_address != "yes":
            errors["fixed-address"] = FIXED_ADDRESS_MISSING
        else:
            typed = ", ".join(" ".join(line.split()) for line in address.splitlines() if line.strip())
            if not typed:
                errors["address"] = ADDRESS_MISSING
            elif len(typed) > MAX_ADDRESS:
                errors["address"] = ADDRESS_TOO_LONG
    if errors:
        return None, errors
    return RegistrationAnswers(number, typed), {}


def read_medicines(chosen: Sequence[str]) -> tuple[tuple[Medicine, ...], dict[str, str]]:
    """The medicines ticked, or the error."""
    known = {m.key: m for m in MEDICINES}
    if not chosen:
        return (), {"medicines": MEDICINE_MISSING}
    if any(key not in known for key in chosen):
        return (), {"medicines": MEDICINE_UNKNOWN}
    picked = dict.fromkeys(chosen)
    return tuple(m for m in MEDICINES if m.key in picked), {}
