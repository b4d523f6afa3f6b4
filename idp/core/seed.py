"""Development accounts: three citizens proven to low, medium and high confidence (GPG 45).

Seeded on start in ``dev`` (``seed_accounts``), never elsewhere: the password is published here.
Each persona holds realistic UK claims and evidence objects in the OpenID Connect for Identity
Assurance format with their GPG 45 scores, so the flows can be tried at each level:

- ``low@example.test``: a bank account record checked against the bank's data and by knowledge-
  based questions: strength 2, validity 2, fraud 1, verification 1, profile L1A (One Login P1).
- ``medium@example.test``: a driving licence (image checked remotely, DVLA record check, knowledge-
  based verification: strength 3, validity 2, verification 2) and a credit reference file
  (activity history 1, identity fraud 2): profile M1B (P2). No photo comparison: NHS login P5.
- ``high@example.test``: a passport whose chip was read (strength 4, validity 3) with a remote
  biometric face comparison (verification 3) and a fraud check (1): profile H1A (P3); and an
  NHS Personal Demographics Service trace giving the NHS number (no GPG 45 score).

The level is never stored: the provider evaluates these scores (``idp.core.identity``). The
proofing issue replaces these three with its fuller personas.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy.exc import IntegrityError

from idp.core.passwords import PasswordHasher
from idp.store.accounts import AccountStore

__all__ = ["DEV_PASSWORD", "PERSONAS", "Persona", "seed_development_accounts"]

#: The password of every development account (published: ``dev`` only).
DEV_PASSWORD = "ukid-dev-password"


@dataclass(frozen=True)
class Persona:
    """A development account: claims and evidence (kind, IDA evidence object, GPG 45 scores)."""

    username: str
    claims: Mapping[str, Any]
    evidence: tuple[tuple[str, Mapping[str, Any], Mapping[str, int]], ...]
    #: The level of confidence the evidence should evaluate to (documentation and tests only).
    expected_level: str


def _check(check_id: str, method: str, organization: str, time: str) -> dict[str, str]:
    return {"check_method": method, "organization": organization, "check_id": check_id, "time": time}


LOW = Persona(
    username="low@example.test",
    claims={
        "given_name": "Rhys",
        "family_name": "Morgan",
        "birthdate": "1992-07-14",
        "email": "low@example.test",
        "email_verified": True,
        "address": {
            "street_address": "14 Heol y Bont",
            "locality": "Cardiff",
            "postal_code": "CF10 1EP",
            "country_code": "GB",
            "uprn": "10002500123",
        },
    },
    evidence=(
        (
            "electronic_record",
            {
                "type": "electronic_record",
                "check_details": [
                    _check("bank-data-l1", "data", "Example Bank plc", "2026-01-12T10:15:00Z"),
                    _check("bank-kbv-l1", "kbv", "ukid-sample-idp", "2026-01-12T10:18:00Z"),
                ],
                "record": {
                    "type": "bank_account",
                    "source": {"name": "Example Bank plc", "country_code": "GB"},
                },
                "derived_claims": {"given_name": "Rhys", "family_name": "Morgan", "birthdate": "1992-07-14"},
            },
            {"strength": 2, "validity": 2, "identity_fraud": 1, "verification": 1},
        ),
    ),
    expected_level="low",
)

MEDIUM = Persona(
    username="medium@example.test",
    claims={
        "given_name": "Priya",
        "family_name": "Shah",
        "birthdate": "1985-11-02",
        "email": "medium@example.test",
        "email_verified": True,
        "phone_number": "+447700900123",
        "address": {
            "street_address": "7 Park Square East",
            "locality": "Leeds",
            "postal_code": "LS1 2NE",
            "country_code": "GB",
            "uprn": "72012345",
        },
    },
    evidence=(
        (
            "document",
            {
                "type": "document",
                "check_details": [
                    _check("dl-image-m1", "vpiruv", "ukid-sample-idp", "2026-01-20T09:02:00Z"),
                    _check("dl-dvla-m1", "data", "DVLA", "2026-01-20T09:03:00Z"),
                    _check("dl-kbv-m1", "kbv", "ukid-sample-idp", "2026-01-20T09:06:00Z"),
                ],
                "document_details": {
                    "type": "driving_permit",
                    "document_number": "SHAH9811025P99AB",
                    "date_of_issuance": "2019-04-08",
                    "date_of_expiry": "2029-04-07",
                    "issuer": {"name": "DVLA", "country": "United Kingdom", "country_code": "GB"},
                },
                "derived_claims": {"given_name": "Priya", "family_name": "Shah", "birthdate": "1985-11-02"},
            },
            {"strength": 3, "validity": 2, "verification": 2},
        ),
        (
            "electronic_record",
            {
                "type": "electronic_record",
                "check_details": [
                    _check("cra-m1", "data", "Example Credit Reference Agency Ltd", "2026-01-20T09:04:00Z")
                ],
                "record": {
                    "type": "credit_reference_file",
                    "source": {"name": "Example Credit Reference Agency Ltd", "country_code": "GB"},
                },
            },
            {"activity_history": 1, "identity_fraud": 2},
        ),
    ),
    expected_level="medium",
)

HIGH = Persona(
    username="high@example.test",
    claims={
        "given_name": "Olivia",
        "family_name": "Bennett",
        "birthdate": "1979-02-23",
        "email": "high@example.test",
        "email_verified": True,
        "nhs_number": "9434765919",
        "address": {
            "street_address": "22 Portland Street",
            "locality": "Manchester",
            "postal_code": "M1 3LA",
            "country_code": "GB",
            "uprn": "77123456",
        },
    },
    evidence=(
        (
            "document",
            {
                "type": "document",
                "check_details": [
                    _check("pp-chip-h1", "vcrypt", "ukid-sample-idp", "2026-02-03T14:27:00Z"),
                    _check("pp-face-h1", "bvr", "ukid-sample-idp", "2026-02-03T14:29:00Z"),
                ],
                "document_details": {
                    "type": "passport",
                    "document_number": "533401372",
                    "date_of_issuance": "2021-09-20",
                    "date_of_expiry": "2031-09-20",
                    "issuer": {
                        "name": "HM Passport Office",
                        "country": "United Kingdom",
                        "country_code": "GBR",
                    },
                },
                "derived_claims": {
                    "given_name": "Olivia",
                    "family_name": "Bennett",
                    "birthdate": "1979-02-23",
                    "nationalities": ["GBR"],
                },
            },
            {"strength": 4, "validity": 3, "identity_fraud": 1, "verification": 3},
        ),
        (
            "electronic_record",
            {
                "type": "electronic_record",
                "check_details": [_check("pds-h1", "data", "NHS England", "2026-02-03T14:31:00Z")],
                "record": {
                    "type": "personal_demographics_service",
                    "source": {"name": "NHS England", "country_code": "GB"},
                },
                "derived_claims": {"nhs_number": "9434765919"},
            },
            {},
        ),
    ),
    expected_level="high",
)

PERSONAS: tuple[Persona, ...] = (LOW, MEDIUM, HIGH)


def seed_development_accounts(accounts: AccountStore, passwords: PasswordHasher) -> list[str]:
    """Create each persona that is missing, with its evidence; returns the usernames created.

    Idempotent: a persona whose username exists is left alone (also when another worker created
    it at the same moment).
    """
    created: list[str] = []
    for persona in PERSONAS:
        if accounts.by_username(persona.username) is not None:
            continue
        try:
            account = accounts.create(persona.username, passwords.hash(DEV_PASSWORD), dict(persona.claims))
        except (ValueError, IntegrityError):
            continue  # created meanwhile
        for kind, evidence_object, scores in persona.evidence:
            accounts.add_evidence(account.id, kind, dict(evidence_object), dict(scores))
        created.append(persona.username)
    return created
