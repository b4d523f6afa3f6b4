"""Realistic UK verified_claims payloads shared by the schema tests."""

from __future__ import annotations

import copy
from typing import Any


def passport_m1a(**changes: Any) -> dict[str, Any]:
    """A uk_diatf medium verification: a passport (strength 4, validity 2), a biometric check,
    identity fraud 1 and verification 2 -- GPG 45 profile M1A."""
    payload: dict[str, Any] = {
        "verified_claims": {
            "verification": {
                "trust_framework": "uk_diatf",
                "assurance_level": "medium",
                "assurance_process": {
                    "policy": "gpg45",
                    "procedure": "m1a",
                    "assurance_details": [
                        {
                            "assurance_type": "evidence_validation",
                            "assurance_classification": "score_2",
                            "evidence_ref": [
                                {
                                    "check_id": "pp-1",
                                    "evidence_metadata": {"evidence_classification": "score_4_strength"},
                                }
                            ],
                        },
                        {
                            "assurance_type": "counter_fraud",
                            "assurance_classification": "score_1",
                            "evidence_ref": [{"check_id": "fr-1"}],
                        },
                        {
                            "assurance_type": "verification",
                            "assurance_classification": "score_2",
                            "evidence_ref": [{"check_id": "bio-1"}],
                        },
                    ],
                },
                "time": "2026-10-01T10:15:00Z",
                "verification_process": "ukid-demo-0001",
                "evidence": [
                    {
                        "type": "document",
                        "check_details": [
                            {
                                "check_method": "vcrypt",
                                "organization": "ukid-sample-idp",
                                "check_id": "pp-1",
                                "time": "2026-10-01T10:10:00Z",
                            },
                            {
                                "check_method": "bvr",
                                "organization": "ukid-sample-idp",
                                "check_id": "bio-1",
                                "time": "2026-10-01T10:12:00Z",
                            },
                        ],
                        "document_details": {
                            "type": "passport",
                            "document_number": "123456789",
                            "date_of_issuance": "2021-05-04",
                            "date_of_expiry": "2031-05-04",
                            "issuer": {"name": "HM Passport Office", "country_code": "GBR"},
                        },
                    },
                    {
                        "type": "electronic_record",
                        "check_details": [
                            {"check_method": "data", "organization": "fraud-check", "check_id": "fr-1"}
                        ],
                        "record": {"type": "fraud_register", "source": {"name": "National fraud database"}},
                    },
                ],
            },
            "claims": {
                "given_name": "Amira",
                "family_name": "Okafor",
                "birthdate": "1988-07-14",
                "address": {
                    "street_address": "10 Church Lane",
                    "locality": "Oxford",
                    "postal_code": "OX1 1AA",
                    "country_code": "GB",
                    "uprn": "100120000001",
                },
                "nhs_number": "9434765919",
            },
        }
    }
    verification = payload["verified_claims"]["verification"]
    for path, value in changes.items():
        target: Any = verification
        *parents, last = path.split("__")
        for part in parents:
            target = target[int(part)] if isinstance(target, list) else target[part]
        if value is _DELETE:
            del target[last]
        elif isinstance(target, list):
            target[int(last)] = value
        else:
            target[last] = value
    return copy.deepcopy(payload)


_DELETE = object()
DELETE: Any = _DELETE
"""Pass as a change to remove a member, e.g. ``passport_m1a(time=DELETE)``."""
