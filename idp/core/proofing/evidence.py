"""The evidence each proofing step records, in the OpenID Connect for Identity Assurance 1.0
format (§5.1.1: ``document`` and ``electronic_record`` evidence with ``check_details``), and the
GPG 45 scores it is worth (GPG 45 §Scores), each justified below.

The level of confidence is never recorded: ``idp.core.identity`` evaluates these scores.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import date
from typing import Any

from idp.core.dates import iso_time
from idp.core.proofing.documents import CheckedDocument
from idp.core.proofing.sandbox import CREDIT_AGENCY, CreditRecord

__all__ = [
    "ISSUERS",
    "activity_history_score",
    "document_evidence",
    "document_scores",
    "kbv_evidence",
    "kbv_scores",
]

#: Who issues each document (the evidence's ``document_details.issuer``).
ISSUERS: Mapping[str, dict[str, str]] = {
    "passport": {"name": "HM Passport Office", "country": "United Kingdom", "country_code": "GBR"},
    "driving_permit": {"name": "DVLA", "country": "United Kingdom", "country_code": "GB"},
}


def document_scores(kind: str, *, biometric: bool) -> dict[str, int]:
    """The GPG 45 scores of a document checked by the sandbox.

    - Strength (GPG 45 §Strength): a UK passport is an ICAO 9303 biometric passport issued after
      checking the holder's identity: strength 4. A UK photocard driving licence is issued after
      identity checks but has no cryptographic chip: strength 3.
    - Validity (GPG 45 §Validity): the document is checked remotely (``vri``): its data are checked
      for consistency (the MRZ check digits, or the driver number against the name and date of
      birth) and its expiry, but the chip's cryptographic features are not read (that would be
      ``vcrypt`` and validity 3, as for a passport read by an app): validity 2.
    - Identity fraud (GPG 45 §Identity fraud): the number is checked against the issuers' lost,
      stolen and cancelled documents (the sandbox's list): score 1.
    - Verification (GPG 45 §Verification): a remote biometric comparison (``bvr``) of the citizen's
      face with the photo on evidence of strength 3 or more: score 3; without it the document
      alone does not show that the citizen is its owner: no verification score.
    """
    scores = {"strength": 4 if kind == "passport" else 3, "validity": 2, "identity_fraud": 1}
    if biometric:
        scores["verification"] = 3
    return scores


def activity_history_score(records: tuple[CreditRecord, ...], today: date) -> int:
    """GPG 45 §Activity history: how long the credit file shows the identity in use (the oldest
    account open): under a year 1, a year or more 2, three years or more 3. Score 4 (activity
    across several independent sources) is never given from one credit file. The thresholds are
    this project's reading of GPG 45."""
    if not records:
        return 0
    years = today.year - min(r.opened for r in records)
    return 3 if years >= 3 else 2 if years >= 1 else 1


def kbv_scores(records: tuple[CreditRecord, ...], today: date) -> dict[str, int]:
    """The GPG 45 scores of knowledge-based verification passed on the credit file.

    - Activity history: :func:`activity_history_score`.
    - Verification (GPG 45 §Verification, knowledge-based verification): several multiple-choice
      questions about a record the citizen would know (lenders, dates, payment amounts), most of
      them answered correctly: score 2. Knowledge-based questions cannot show more than that
      (score 3 and 4 need a physical or biometric comparison).

    No strength or validity: the credit file is the source of the questions, not a piece of
    evidence the citizen presented.
    """
    return {"activity_history": activity_history_score(records, today), "verification": 2}


def _check(method: str, organization: str, now: int, prefix: str) -> dict[str, str]:
    return {
        "check_method": method,
        "organization": organization,
        "check_id": f"{prefix}-{uuid.uuid4().hex[:16]}",
        "time": iso_time(now),
    }


def document_evidence(
    document: CheckedDocument, *, biometric: bool, organization: str, now: int
) -> dict[str, Any]:
    """The ``document`` evidence object (OIDC for Identity Assurance 1.0 §5.1.1.1): ``vri`` for the
    remote check of the document, ``bvr`` for the sandbox's biometric comparison."""
    prefix = "pp" if document.kind == "passport" else "dl"
    checks = [_check("vri", organization, now, prefix)]
    if biometric:
        checks.append(_check("bvr", organization, now, prefix + "-face"))
    details: dict[str, Any] = {"type": document.kind, "document_number": document.number}
    if document.issued is not None:
        details["date_of_issuance"] = document.issued.isoformat()
    details["date_of_expiry"] = document.expiry.isoformat()
    details["issuer"] = dict(ISSUERS[document.kind])
    claims: dict[str, Any] = {
        "given_name": document.given_names,
        "family_name": document.family_name,
        "birthdate": document.birthdate.isoformat(),
    }
    if document.nationality is not None:
        claims["nationalities"] = [document.nationality]
    return {
        "type": "document",
        "check_details": checks,
        "document_details": details,
        "derived_claims": claims,
    }


def kbv_evidence(organization: str, now: int) -> dict[str, Any]:
    """The ``electronic_record`` evidence object (OIDC for Identity Assurance 1.0 §5.1.1.2): the
    credit file found by name and date of birth (``data``) and the questions answered (``kbv``)."""
    return {
        "type": "electronic_record",
        "check_details": [
            _check("data", CREDIT_AGENCY, now, "cra"),
            _check("kbv", organization, now, "kbv"),
        ],
        "record": {
            "type": "credit_reference_file",
            "source": {"name": CREDIT_AGENCY, "country_code": "GB"},
        },
    }
