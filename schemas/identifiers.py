"""UK identifiers used as claims: NHS number, National Insurance number, UPRN, GSS and ODS codes.

Each is validated at the edge, so that a typing error in a payload is caught with a plain
reason instead of travelling through the federation.
"""

from __future__ import annotations

import re
from operator import mul
from typing import Annotated

from pydantic import AfterValidator, Field

__all__ = [
    "GssCode",
    "NationalInsuranceNumber",
    "NhsNumber",
    "OdsCode",
    "Uprn",
    "check_uk_postcode",
    "is_valid_nhs_number",
    "is_valid_nino",
    "nhs_check_digit",
]

_NHS_NUMBER = re.compile(r"^[0-9]{10}$")
_NHS_WEIGHTS = (10, 9, 8, 7, 6, 5, 4, 3, 2)


def nhs_check_digit(first_nine: str) -> int | None:
    """The modulus 11 check digit of an NHS number (NHS Data Dictionary, "NHS Number").

    Each of the first nine digits is weighted 10 down to 2; the check digit is 11 minus the
    remainder of the sum divided by 11, with 11 becoming 0. A result of 10 means no NHS number
    can have these first nine digits, and ``None`` is returned.
    """
    total: int = sum(map(mul, map(int, first_nine), _NHS_WEIGHTS))
    check = 11 - total % 11
    if check == 11:
        return 0
    if check == 10:
        return None
    return check


def is_valid_nhs_number(value: str) -> bool:
    """True for ten digits whose last digit is the modulus 11 check digit of the first nine."""
    if not _NHS_NUMBER.fullmatch(value):
        return False
    return nhs_check_digit(value[:9]) == int(value[9])


def _nhs_number(value: str) -> str:
    if not _NHS_NUMBER.fullmatch(value):
        raise ValueError("an NHS number is exactly 10 digits, with no spaces")
    if nhs_check_digit(value[:9]) != int(value[9]):
        raise ValueError("not a valid NHS number: the check digit (modulus 11) does not match")
    return value


# HMRC National Insurance Manual NIM39110: two prefix letters, six digits, suffix A-D.
_NINO = re.compile(r"^(?P<prefix>[A-Z]{2})[0-9]{6}[A-D]$")
_NINO_BAD_FIRST = set("DFIQUV")
_NINO_BAD_SECOND = set("DFIOQUV")
_NINO_BAD_PREFIXES = {"BG", "GB", "KN", "NK", "NT", "TN", "ZZ"}


def _nino_problem(value: str) -> str | None:
    match = _NINO.fullmatch(value)
    if match is None:
        return (
            "a National Insurance number is two letters, six digits and a letter A to D, "
            "in capitals with no spaces (for example AB123456C)"
        )
    prefix = match["prefix"]
    if prefix[0] in _NINO_BAD_FIRST:
        return f"a National Insurance number cannot start with {prefix[0]}"
    if prefix[1] in _NINO_BAD_SECOND:
        return f"the second letter of a National Insurance number cannot be {prefix[1]}"
    if prefix in _NINO_BAD_PREFIXES:
        return f"{prefix} is not an allocated National Insurance number prefix"
    return None


def is_valid_nino(value: str) -> bool:
    """True for a National Insurance number in the format HMRC allocates."""
    return _nino_problem(value) is None


def _nino(value: str) -> str:
    problem = _nino_problem(value)
    if problem is not None:
        raise ValueError(problem)
    return value


_POSTCODE = re.compile(r"^(GIR 0AA|[A-Z]{1,2}[0-9][A-Z0-9]? [0-9][A-Z]{2})$")


def check_uk_postcode(value: str) -> str:
    """Return ``value`` if it is a well-formed UK postcode, else raise ``ValueError``."""
    if not _POSTCODE.fullmatch(value):
        raise ValueError(
            "a UK postcode is in capitals with one space before the last three characters "
            "(for example SW1A 2AA)"
        )
    return value


NhsNumber = Annotated[
    str,
    AfterValidator(_nhs_number),
    Field(
        description="NHS number: 10 digits, the last a modulus 11 check digit.",
        examples=["9434765919"],
        pattern=r"^[0-9]{10}$",
    ),
]

NationalInsuranceNumber = Annotated[
    str,
    AfterValidator(_nino),
    Field(
        description="National Insurance number, e.g. AB123456C (HMRC NIM39110 format).",
        examples=["AB123456C"],
        pattern=r"^[A-CEGHJ-PR-TW-Z][A-CEGHJ-NPR-TW-Z][0-9]{6}[A-D]$",
    ),
]

Uprn = Annotated[
    str,
    Field(
        description="Unique Property Reference Number (OS AddressBase): 1 to 12 digits.",
        pattern=r"^[0-9]{1,12}$",
        examples=["100023336956"],
    ),
]

GssCode = Annotated[
    str,
    Field(
        description=(
            "ONS Government Statistical Service code of a local authority area: a letter "
            "(E England, W Wales, S Scotland, N Northern Ireland) and 8 digits."
        ),
        pattern=r"^[ENSW][0-9]{8}$",
        examples=["E07000178"],
    ),
]

OdsCode = Annotated[
    str,
    Field(
        description="NHS Organisation Data Service code, e.g. a GP practice code such as A81001.",
        pattern=r"^[A-Z0-9]{3,10}$",
        examples=["A81001"],
    ),
]
