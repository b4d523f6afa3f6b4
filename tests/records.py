"""The sample identity provider's DIATF certification record, shared by the tests that certify it
(``schemas.records.CertificationRecord``; the claims of a certified identity service provider mark)."""

from __future__ import annotations

from typing import Any

__all__ = ["certification_claims", "certification_record"]


def certification_record(sub: str, **changes: Any) -> dict[str, Any]:
    """An active record about ``sub`` for medium and high confidence, with ``changes`` applied."""
    record: dict[str, Any] = {
        "entity_id": sub,
        "organisation_name": "Sample Citizen IdP Ltd",
        "roles": ["identity_service_provider"],
        "framework": "uk_diatf",
        "framework_version": "0.4",
        "certification_body": {"name": "Example Certification Body"},
        "certificate_id": "CERT-0001",
        "valid_from": "2026-01-01",
        "valid_until": "2099-12-31",
        "status": "active",
        "levels_of_confidence": ["medium", "high"],
    }
    record.update(changes)
    return record


def certification_claims(sub: str, **changes: Any) -> dict[str, Any]:
    """The trust mark claims ``{"certification": record}``."""
    return {"certification": certification_record(sub, **changes)}
