"""The development personas: citizens at every level of confidence (GPG 45), from documents, from
knowledge-based questions, and from a vouch for people with neither; an unproven account; a voucher.

Seeded on start in ``dev`` (:mod:`idp.core.seed`), never elsewhere: the password and TOTP secrets are
published here and in the README. Each persona holds realistic UK claims and evidence objects in the
OpenID Connect for Identity Assurance format with their GPG 45 scores:

- ``low@example.test``: a bank account record checked against the bank's data and by knowledge-based
  questions: strength 2, validity 2, fraud 1, verification 1, profile L1A (One Login P1).
- ``medium@example.test``: a driving licence (image checked remotely, DVLA record check, knowledge-
  based verification: strength 3, validity 2, verification 2) and a credit reference file
  (activity history 1, identity fraud 2): profile M1B (P2). No photo comparison: NHS login P5.
  Two-step sign-in (TOTP).
- ``high@example.test``: a passport whose chip was read (strength 4, validity 3) with a remote
  biometric face comparison (verification 3) and a fraud check (1): profile H1A (P3); and an
  NHS Personal Demographics Service trace giving the NHS number (no GPG 45 score). Two-step sign-in.
- ``thin-file@example.test``: no documents and no credit file; a fraud prevention check (fraud 1) and
  a vouch from a hostel key worker (the seeded voucher: strength 2, validity 2, verification 1):
  profile L1A. A vouch alone meets no profile: L1A also needs the fraud score.
- ``prison-leaver@example.test``: the same, vouched for by a prison resettlement officer: L1A.
- ``unproven@example.test``: an account with no evidence (P0).

The level is never stored: the provider evaluates these scores (:mod:`idp.core.identity`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from idp.core.vouching import VOUCH_SCORES

__all__ = [
    "DEV_PASSWORD",
    "HIGH_TOTP_SECRET",
    "MEDIUM_TOTP_SECRET",
    "PERSONAS",
    "VOUCHER",
    "VOUCHER_DETAILS",
    "Persona",
    "VoucherPersona",
]

#: The password of every development account and of the voucher (published: ``dev`` only).
DEV_PASSWORD = "ukid-dev-password"
#: The TOTP secrets of the personas with two-step sign-in (base32, RFC 6238; published: ``dev`` only).
HIGH_TOTP_SECRET = "UKIDDEVHIGHPERSONATOTPSECRET2345"
MEDIUM_TOTP_SECRET = "UKIDDEVMEDIUMPERSONATOTPSECRET23"


@dataclass(frozen=True)
class VoucherPersona:
    """The development voucher: who they are and how many codes a day they may issue."""

    username: str
    name: str
    occupation: str
    organization: str
    daily_limit: int


VOUCHER = VoucherPersona("voucher@example.test", "Sam Okafor", "Hostel key worker", "Riverside Hostel", 5)
VOUCHER_DETAILS = (VOUCHER.name, VOUCHER.occupation, VOUCHER.organization)


@dataclass(frozen=True)
class Persona:
    """A development account: claims and evidence (kind, IDA evidence object, GPG 45 scores)."""

    username: str
    claims: Mapping[str, Any]
    evidence: tuple[tuple[str, Mapping[str, Any], Mapping[str, int]], ...]
    #: The level of confidence the evidence should evaluate to (documentation and tests only; None:
    #: no identity proven).
    expected_level: str | None
    #: The base32 TOTP secret of a confirmed second factor (RFC 6238), published like the password.
    totp_secret: str | None = None


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
            "street_address": "12 St Aldate's",
            "locality": "Oxford",
            "postal_code": "OX1 1BX",
            "country_code": "GB",
            "uprn": "100120834567",
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
    totp_secret=MEDIUM_TOTP_SECRET,
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
    totp_secret=HIGH_TOTP_SECRET,
)


def _fraud_check(check_id: str, time: str) -> tuple[str, dict[str, Any], dict[str, int]]:
    """A check against a fraud prevention database: GPG 45 identity fraud score 1."""
    return (
        "electronic_record",
        {
            "type": "electronic_record",
            "check_details": [_check(check_id, "data", "Example Fraud Prevention Service", time)],
            "record": {
                "type": "fraud_prevention_database",
                "source": {"name": "Example Fraud Prevention Service", "country_code": "GB"},
            },
        },
        {"identity_fraud": 1},
    )


def _vouch(
    reference: str, voucher: tuple[str, str, str], person: tuple[str, str, str], day: str, time: str
) -> tuple[str, dict[str, Any], dict[str, int]]:
    """A redeemed vouch, as :func:`idp.core.vouching.vouch_evidence` records it, with its scores."""
    name, occupation, organization = voucher
    given_name, family_name, birthdate = person
    return (
        "vouch",
        {
            "type": "vouch",
            "check_details": [
                _check(f"vouch-{reference}", "vdig", "ukid-sample-idp", time),
                _check(f"vouch-code-{reference}", "token", "ukid-sample-idp", time),
            ],
            "attestation": {
                "type": "digital_attestation",
                "reference_number": reference,
                "date_of_issuance": day,
                "voucher": {"name": name, "occupation": occupation, "organization": organization},
            },
            "derived_claims": {"given_name": given_name, "family_name": family_name, "birthdate": birthdate},
        },
        dict(VOUCH_SCORES),
    )


THIN_FILE = Persona(
    username="thin-file@example.test",
    claims={
        "given_name": "Jordan",
        "family_name": "Ellis",
        "birthdate": "1998-03-09",
        "email": "thin-file@example.test",
        "email_verified": True,
    },
    evidence=(
        _fraud_check("fraud-t1", "2026-03-02T10:00:00Z"),
        _vouch(
            "3f1c2a9e-7d4b-4c61-9a0e-5b8f2d6c1a01",
            VOUCHER_DETAILS,
            ("Jordan", "Ellis", "1998-03-09"),
            "2026-03-02",
            "2026-03-02T11:20:00Z",
        ),
    ),
    expected_level="low",
)

PRISON_LEAVER = Persona(
    username="prison-leaver@example.test",
    claims={
        "given_name": "Daniel",
        "family_name": "Price",
        "birthdate": "1987-12-01",
        "email": "prison-leaver@example.test",
        "email_verified": True,
    },
    evidence=(
        _fraud_check("fraud-p1", "2026-03-09T09:00:00Z"),
        _vouch(
            "8a2d5e70-1c3f-4b9a-8e6d-2f4a7c9b0d12",
            ("Dee Harris", "Prison resettlement officer", "HMP Exampletown"),
            ("Daniel", "Price", "1987-12-01"),
            "2026-03-06",
            "2026-03-09T09:30:00Z",
        ),
    ),
    expected_level="low",
)

UNPROVEN = Persona(
    username="unproven@example.test",
    claims={
        "given_name": "Alex",
        "family_name": "Taylor",
        "email": "unproven@example.test",
        "email_verified": False,
    },
    evidence=(),
    expected_level=None,
)

PERSONAS: tuple[Persona, ...] = (LOW, MEDIUM, HIGH, THIN_FILE, PRISON_LEAVER, UNPROVEN)
