"""The sandbox's fictional data: what a credit reference agency and the document issuers would hold.

Every name, lender and number here is made up. The credit records stand in for a credit reference
agency's file (the source of knowledge-based questions, GPG 45 §Verification, and of the
activity history, GPG 45 §Activity history); the list of cancelled documents stands in for HM
Passport Office's and DVLA's lost, stolen and revoked document checks (GPG 45 §Identity fraud).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

__all__ = [
    "CANCELLED_DOCUMENTS",
    "CREDIT_AGENCY",
    "LENDERS",
    "PAYMENT_BANDS",
    "CreditRecord",
    "credit_records",
    "person_key",
]

#: Who "holds" the sandbox's credit records (named in the evidence's ``record.source``).
CREDIT_AGENCY = "Sandbox Credit Reference Agency"

#: Monthly payment bands, lowest first (the answers to "how much do you pay each month").
PAYMENT_BANDS = ("Under £50", "£50 to £149", "£150 to £299", "£300 to £599", "£600 or more")

#: Every lender the sandbox knows: the true ones and the plausible wrong options.
LENDERS = (
    "Northgate Bank",
    "Severn Building Society",
    "Pennine Credit Union",
    "Thistle Card Services",
    "Harbour Loans Ltd",
    "Brunel Mortgages",
    "Kestrel Motor Finance",
    "Avon Valley Bank",
    "Mercia Home Loans",
    "Solway Savings and Loans",
)


@dataclass(frozen=True)
class CreditRecord:
    """One account in a person's credit file."""

    lender: str
    #: ``current_account``, ``credit_card``, ``loan``, ``mortgage`` or ``car_finance``.
    product: str
    opened: int
    #: Index into :data:`PAYMENT_BANDS`.
    payment_band: int


def person_key(given_name: str, family_name: str, birthdate: str) -> tuple[str, str, str]:
    """How the sandbox looks a person up: first given name and family name (case and spacing
    ignored) and the date of birth."""
    first = given_name.split(maxsplit=1)[0].casefold() if given_name.split() else ""
    return first, " ".join(family_name.split()).casefold(), birthdate


_FILES: dict[tuple[str, str, str], tuple[CreditRecord, ...]] = {
    person_key("Rhys", "Morgan", "1992-07-14"): (
        CreditRecord("Avon Valley Bank", "current_account", 2011, 0),
        CreditRecord("Thistle Card Services", "credit_card", 2016, 1),
    ),
    person_key("Priya", "Shah", "1985-11-02"): (
        CreditRecord("Northgate Bank", "current_account", 2004, 0),
        CreditRecord("Brunel Mortgages", "mortgage", 2014, 4),
        CreditRecord("Kestrel Motor Finance", "car_finance", 2021, 2),
    ),
    person_key("Olivia", "Bennett", "1979-02-23"): (
        CreditRecord("Severn Building Society", "mortgage", 2009, 4),
        CreditRecord("Thistle Card Services", "credit_card", 2012, 1),
    ),
    person_key("Alex", "Carter", "1990-05-17"): (
        CreditRecord("Pennine Credit Union", "loan", 2019, 2),
        CreditRecord("Northgate Bank", "credit_card", 2013, 1),
    ),
    person_key("Sam", "Okafor", "1988-09-30"): (
        CreditRecord("Harbour Loans Ltd", "loan", 2022, 3),
        CreditRecord("Mercia Home Loans", "mortgage", 2017, 4),
    ),
    person_key("Morgan", "Ellis", "1975-01-08"): (CreditRecord("Solway Savings and Loans", "loan", 2008, 2),),
}

#: Document numbers reported lost, stolen or cancelled (the sandbox's HMPO and DVLA checks).
CANCELLED_DOCUMENTS = frozenset({"925665416", "CARTE905175A99ZZ"})


def credit_records(given_name: str, family_name: str, birthdate: str) -> tuple[CreditRecord, ...]:
    """The person's credit file, oldest account first (empty: a thin file, nothing to ask about)."""
    found = _FILES.get(person_key(given_name, family_name, birthdate), ())
    return tuple(sorted(found, key=lambda r: (r.opened, r.lender)))


def opened_years(record: CreditRecord, today: date) -> int:
    """How many whole years the account has been open."""
    return max(0, today.year - record.opened)
