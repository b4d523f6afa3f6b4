"""The document check (sandbox): a UK passport or a UK photocard driving licence.

- Passport: the 9-digit number and line 2 of the machine readable zone (MRZ) of the photo page, a
  TD3 document (ICAO Doc 9303 Part 4 §4.2.2): document number, nationality, date of birth, sex,
  date of expiry, optional data, each checked by its check digit (ICAO 9303 Part 3 §4.9: weights
  7-3-1, ``<`` is 0, A-Z are 10-35), and the composite check digit over them.
- Driving licence: the DVLA 16-character driver number (5 characters of the surname padded with
  ``9``, decade digit, month of birth (+50 for women), day, year digit, 2 initials padded with
  ``9``, a digit, 2 check letters), cross-checked against the name and date of birth entered.

An expired document is refused. Every problem is a :class:`DocumentProblem` naming the form field,
in words the citizen can act on; nothing is recorded for them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from idp.core.dates import long_date

__all__ = [
    "CheckedDocument",
    "DocumentProblem",
    "LicenceEntry",
    "PassportEntry",
    "check_digit",
    "check_licence",
    "check_passport",
    "licence_prefix",
]

_WEIGHTS = (7, 3, 1)
_MRZ = re.compile(r"[0-9A-Z<]{44}")
_PASSPORT_NUMBER = re.compile(r"[0-9]{9}")
_LICENCE = re.compile(r"[A-Z9]{5}[0-9]{6}[A-Z9]{2}[0-9][A-Z]{2}")


class DocumentProblem(Exception):
    """A document that cannot be accepted: the form field, and what to do about it (``words``: a key
    of the page words, filled with ``params``)."""

    def __init__(self, field: str, words: str, **params: str) -> None:
        super().__init__(words)
        self.field = field
        self.words = words
        self.params = params


@dataclass(frozen=True)
class PassportEntry:
    """What the citizen typed from their passport's photo page."""

    given_names: str
    family_name: str
    birthdate: date
    number: str
    expiry: date
    mrz_line_2: str


@dataclass(frozen=True)
class LicenceEntry:
    """What the citizen typed from their photocard driving licence."""

    given_names: str
    family_name: str
    birthdate: date
    number: str
    issued: date
    expiry: date


@dataclass(frozen=True)
class CheckedDocument:
    """A document whose format, check digits and dates passed."""

    #: ``passport`` or ``driving_permit`` (OIDC for Identity Assurance document types).
    kind: str
    number: str
    given_names: str
    family_name: str
    birthdate: date
    expiry: date
    issued: date | None
    #: Three-letter nationality from the MRZ (passports only).
    nationality: str | None = None


def check_digit(text: str) -> int:
    """The ICAO 9303 check digit of ``text`` (Part 3 §4.9): characters valued 0-9, A-Z 10-35, ``<``
    0, weighted 7, 3, 1 repeating, summed modulo 10."""
    total = 0
    for index, char in enumerate(text):
        if char.isdigit():
            value = int(char)
        elif "A" <= char <= "Z":
            value = ord(char) - ord("A") + 10
        elif char == "<":
            value = 0
        else:
            raise ValueError(f"{char!r} is not an MRZ character")
        total += value * _WEIGHTS[index % 3]
    return total % 10


def _mrz_date(text: str, *, past: bool, today: date) -> date | None:
    """A ``YYMMDD`` MRZ date; the century is chosen so that a birth date is not in the future."""
    try:
        year, month, day = int(text[0:2]), int(text[2:4]), int(text[4:6])
    except ValueError:
        return None
    century = 2000 if not past or 2000 + year <= today.year else 1900
    try:
        found = date(century + year, month, day)
    except ValueError:
        return None
    if past and found > today:
        found = found.replace(year=found.year - 100)
    return found


def _not_expired(expiry: date, today: date, kind: str) -> None:
    if expiry < today:
        raise DocumentProblem("expiry", f"doc_{kind}_expired", date=long_date(expiry))


def _clean(text: str) -> str:
    return re.sub(r"\s+", "", text).upper()


def check_passport(entry: PassportEntry, today: date) -> CheckedDocument:
    """Check a UK passport's number and MRZ line 2 (ICAO 9303 Part 4 §4.2.2) and its expiry."""
    number = _clean(entry.number)
    if not _PASSPORT_NUMBER.fullmatch(number):
        raise DocumentProblem("passport_number", "doc_passport_number_format")
    mrz = _clean(entry.mrz_line_2)
    if not _MRZ.fullmatch(mrz):
        raise DocumentProblem("mrz", "doc_mrz_format")
    for part, start, end in (("number", 0, 9), ("birthdate", 13, 19), ("expiry", 21, 27)):
        if mrz[end] != str(check_digit(mrz[start:end])):
            raise DocumentProblem("mrz", f"doc_mrz_check_{part}")
    personal = mrz[28:42]
    blank = personal == "<" * 14 and mrz[42] == "<"  # an empty optional field may have a filler check digit
    if not blank and mrz[42] != str(check_digit(personal)):
        raise DocumentProblem("mrz", "doc_mrz_check_personal")
    composite = mrz[0:10] + mrz[13:20] + mrz[21:43]
    if mrz[43] != str(check_digit(composite)):
        raise DocumentProblem("mrz", "doc_mrz_check_composite")
    if mrz[0:9].rstrip("<") != number:
        raise DocumentProblem("passport_number", "doc_mrz_number_mismatch")
    if mrz[10:13] != "GBR":
        raise DocumentProblem("mrz", "doc_mrz_not_uk")
    if _mrz_date(mrz[13:19], past=True, today=today) != entry.birthdate:
        raise DocumentProblem("birthdate", "doc_mrz_birthdate_mismatch")
    if _mrz_date(mrz[21:27], past=False, today=today) != entry.expiry:
        raise DocumentProblem("expiry", "doc_mrz_expiry_mismatch")
    _not_expired(entry.expiry, today, "passport")
    return CheckedDocument(
        kind="passport",
        number=number,
        given_names=" ".join(entry.given_names.split()),
        family_name=" ".join(entry.family_name.split()),
        birthdate=entry.birthdate,
        expiry=entry.expiry,
        issued=None,
        nationality="GBR",
    )


def _letters(name: str) -> str:
    return "".join(char for char in name.upper() if "A" <= char <= "Z")


def licence_prefix(family_name: str, given_names: str, birthdate: date) -> tuple[str, tuple[str, str], str]:
    """The parts of a driver number a name and date of birth fix (DVLA): the surname part (5
    characters, ``MAC`` written ``MC``, padded with ``9``), the two date parts (for men and for
    women: month + 50), and the initials (2 characters padded with ``9``)."""
    surname = _letters(family_name)
    if surname.startswith("MAC"):
        surname = "MC" + surname[3:]
    surname = (surname[:5]).ljust(5, "9")
    year = f"{birthdate.year:04d}"
    dates = tuple(
        f"{year[2]}{birthdate.month + offset:02d}{birthdate.day:02d}{year[3]}" for offset in (0, 50)
    )
    initials = "".join(_letters(name)[:1] for name in given_names.split())[:2].ljust(2, "9")
    return surname, (dates[0], dates[1]), initials


def check_licence(entry: LicenceEntry, today: date) -> CheckedDocument:
    """Check a DVLA driver number against the name and date of birth entered, and the dates."""
    number = _clean(entry.number)
    if not _LICENCE.fullmatch(number):
        raise DocumentProblem("licence_number", "doc_licence_format")
    surname, dates, initials = licence_prefix(entry.family_name, entry.given_names, entry.birthdate)
    if number[0:5] != surname:
        raise DocumentProblem("licence_number", "doc_licence_surname")
    if number[5:11] not in dates:
        raise DocumentProblem("licence_number", "doc_licence_birthdate")
    if number[11:13] != initials:
        raise DocumentProblem("licence_number", "doc_licence_initials")
    if entry.issued > today:
        raise DocumentProblem("issued", "doc_issued_future")
    if entry.expiry <= entry.issued:
        raise DocumentProblem("expiry", "doc_expiry_before_issue")
    _not_expired(entry.expiry, today, "licence")
    return CheckedDocument(
        kind="driving_permit",
        number=number,
        given_names=" ".join(entry.given_names.split()),
        family_name=" ".join(entry.family_name.split()),
        birthdate=entry.birthdate,
        expiry=entry.expiry,
        issued=entry.issued,
    )
