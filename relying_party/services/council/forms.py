"""The council's own questions: the vehicle registration and the Blue Badge eligibility route.

Vehicle registrations follow the DVLA formats (INF104 "Vehicle registration numbers and number
plates"): current ``AB12 CDE`` (2001 on), prefix ``A123 BCD`` (1983 to 2001), suffix ``ABC 123D``
(1963 to 1983) and dateless (``ABC 123``, ``1234 AB``, Northern Ireland ``ABZ 1234``). They are kept
in upper case without spaces and shown with the space where the plate has it.

Every form carries the library's CSRF token (:meth:`relying_party.web.RelyingPartyWeb.form_token`).
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass

__all__ = [
    "BLUE_BADGE_REASONS",
    "REASON_MISSING_ERROR",
    "REGISTRATION_FORMAT_ERROR",
    "REGISTRATION_MISSING_ERROR",
    "Reason",
    "format_registration",
    "new_reference",
    "parse_registration",
]

REGISTRATION_MISSING_ERROR = "Enter your vehicle registration"
REGISTRATION_FORMAT_ERROR = "Enter a vehicle registration in the right format, like AB12 CDE"
REASON_MISSING_ERROR = "Select why you are applying for a Blue Badge"

#: (pattern, where the space goes) for each DVLA format, tried in order on the normalised value.
_FORMATS: tuple[tuple[re.Pattern[str], int | None], ...] = (
    (re.compile(r"[A-Z]{2}[0-9]{2}[A-Z]{3}"), 4),  # current: AB12 CDE
    (re.compile(r"[A-Z][0-9]{1,3}[A-Z]{3}"), -3),  # prefix: A123 BCD
    (re.compile(r"[A-Z]{3}[0-9]{1,3}[A-Z]"), 3),  # suffix: ABC 123D
    (re.compile(r"[A-Z]{1,3}[0-9]{1,4}"), None),  # dateless: ABC 123, ABZ 1234
    (re.compile(r"[0-9]{1,4}[A-Z]{1,3}"), None),  # dateless: 1234 AB
)
_DATELESS_SPLIT = re.compile(r"(?<=[A-Z])(?=[0-9])|(?<=[0-9])(?=[A-Z])")
_REFERENCE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O or 1/I to misread
_MAX_INPUT = 20


@dataclass(frozen=True)
class Reason:
    """One route to Blue Badge eligibility (Disabled Persons (Badges for Motor Vehicles) Regulations)."""

    value: str
    label: str


BLUE_BADGE_REASONS: tuple[Reason, ...] = (
    Reason("dla-higher-mobility", "I get the higher rate mobility component of DLA"),
    Reason("pip-moving-around", "I get PIP (8+ points moving around)"),
    Reason("registered-blind", "I am registered blind"),
    Reason("walking-condition", "Other: I have a condition that affects my walking"),
)


def parse_registration(value: str) -> str | None:
    """The registration in upper case without spaces, or None when it is not in a DVLA format."""
    if len(value) > _MAX_INPUT:
        return None
    normalised = "".join(value.split()).upper()
    if not normalised.isascii() or not any(p.fullmatch(normalised) for p, _ in _FORMATS):
        return None
    return normalised


def format_registration(stored: str) -> str:
    """A stored (normalised) registration as it is written on the plate, e.g. ``AB12 CDE``."""
    for pattern, space in _FORMATS:
        if pattern.fullmatch(stored):
            if space is None:
                return " ".join(_DATELESS_SPLIT.split(stored))
            return f"{stored[:space]} {stored[space:]}"
    return stored


def new_reference(prefix: str) -> str:
    """An application reference such as ``PP-7KQ2M9XD``: 8 characters, 40 random bits."""
    return f"{prefix}-{''.join(secrets.choice(_REFERENCE_ALPHABET) for _ in range(8))}"
