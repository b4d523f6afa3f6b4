"""The published schemas: one entry per kind of payload, in detection order.

Each entry names a JSON Schema file (``schemas/json/<name>.schema.json``), the pydantic model
that is its source of truth, a one-line title, and a predicate that recognises a payload of
that kind so that ``ukid schemas check`` can work out which schema to apply.

Detection order: :func:`detect` tries the entries from first to last and the first predicate
that accepts the object wins. Put an entry whose shape is more specific before one whose
predicate would also accept it (for example, a payload that carries ``verified_claims`` next to
other members must be recognised as ``verified-claims`` before any looser predicate runs). To
publish a new kind of payload, add one :class:`CatalogEntry` to ``CATALOG``; the JSON Schema
export, the checker, ``schemas/SPEC.md`` and the tests pick it up from there.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel

from schemas.gpg45 import Gpg45Scores
from schemas.policy import AssurancePolicy
from schemas.records import (
    CertificationRecord,
    CertifiedIdspTrustMark,
    CouncilTrustMark,
    NhsOrganisationTrustMark,
)
from schemas.requests import ClaimsRequest
from schemas.verified_claims import VerifiedClaimsPayload
from schemas.vot import Trustmark

__all__ = ["CATALOG", "CatalogEntry", "UnknownSchemaError", "detect", "entry", "schema_names"]


@dataclass(frozen=True, slots=True)
class CatalogEntry:
    """One published schema."""

    name: str
    """File stem of the JSON Schema and the name given to ``--schema``, e.g. ``verified-claims``."""
    model: type[BaseModel]
    """The pydantic model the schema is generated from and payloads are validated with."""
    title: str
    """One line saying what the payload is."""
    detect: Callable[[Mapping[str, Any]], bool]
    """True if a JSON object looks like a payload of this kind."""

    @property
    def file_name(self) -> str:
        """The JSON Schema file name, ``<name>.schema.json``."""
        return f"{self.name}.schema.json"


class UnknownSchemaError(LookupError):
    """No published schema has the given name."""


def _is_verified_claims(obj: Mapping[str, Any]) -> bool:
    """the object has a `verified_claims` member."""
    return "verified_claims" in obj


_GPG45_OTHER_SCORES = ("activity_history", "identity_fraud", "verification")


def _is_gpg45_scores(obj: Mapping[str, Any]) -> bool:
    """the object has an `evidence` array and any of `activity_history`, `identity_fraud`,
    `verification`, and no `verified_claims`."""
    return (
        isinstance(obj.get("evidence"), list)
        and any(key in obj for key in _GPG45_OTHER_SCORES)
        and "verified_claims" not in obj
    )


def _is_claims_request(obj: Mapping[str, Any]) -> bool:
    """the object has a `userinfo` or `id_token` member that is an object."""
    return isinstance(obj.get("userinfo"), dict) or isinstance(obj.get("id_token"), dict)


def _has_all(*members: str) -> Callable[[Mapping[str, Any]], bool]:
    def predicate(obj: Mapping[str, Any]) -> bool:
        return all(member in obj for member in members)

    predicate.__doc__ = "the object has the members " + ", ".join(f"`{m}`" for m in members) + "."
    return predicate


CATALOG: tuple[CatalogEntry, ...] = (
    CatalogEntry(
        name="verified-claims",
        model=VerifiedClaimsPayload,
        title="Userinfo or ID token payload carrying verified_claims (OpenID Connect for Identity Assurance)",
        detect=_is_verified_claims,
    ),
    CatalogEntry(
        name="claims-request",
        model=ClaimsRequest,
        title="The claims request parameter with verified_claims requests (OpenID Connect Core §5.5, IDA §6)",
        detect=_is_claims_request,
    ),
    CatalogEntry(
        name="gpg45-scores",
        model=Gpg45Scores,
        title="A person's GPG 45 identity proofing scores",
        detect=_is_gpg45_scores,
    ),
    CatalogEntry(
        name="assurance-policy",
        model=AssurancePolicy,
        title="A relying-party service's assurance policy: what it needs before it accepts an identity",
        detect=_has_all("service", "minimum_level"),
    ),
    CatalogEntry(
        name="vtm-trustmark",
        model=Trustmark,
        title="Vectors of Trust trustmark document (vtm, RFC 8485 §5): the values an IdP may assert",
        detect=_has_all("idp", "trustmark_provider"),
    ),
    CatalogEntry(
        name="trust-mark-certified-idsp",
        model=CertifiedIdspTrustMark,
        title="Trust mark claims: a certified identity service provider and its certification",
        detect=_has_all("trust_mark_type", "certification"),
    ),
    CatalogEntry(
        name="trust-mark-council",
        model=CouncilTrustMark,
        title="Trust mark claims: a council of the federation",
        detect=_has_all("trust_mark_type", "council"),
    ),
    CatalogEntry(
        name="trust-mark-nhs-organisation",
        model=NhsOrganisationTrustMark,
        title="Trust mark claims: an NHS organisation of the federation",
        detect=_has_all("trust_mark_type", "nhs_organisation"),
    ),
    CatalogEntry(
        name="certification-record",
        model=CertificationRecord,
        title="Certification record of an identity service provider under the UK DIATF",
        detect=_has_all("certificate_id", "certification_body"),
    ),
)
"""The published schemas, in detection order (see the module documentation)."""


def schema_names() -> tuple[str, ...]:
    """The names of the published schemas, in catalog order."""
    return tuple(item.name for item in CATALOG)


def entry(name: str) -> CatalogEntry:
    """The catalog entry called ``name``; :class:`UnknownSchemaError` if there is none."""
    for item in CATALOG:
        if item.name == name:
            return item
    raise UnknownSchemaError(f"unknown schema {name!r}; known schemas: {', '.join(schema_names())}")


def detect(obj: object) -> CatalogEntry | None:
    """The first catalog entry whose predicate accepts ``obj``, or ``None`` (also for non-objects)."""
    if not isinstance(obj, dict):
        return None
    for item in CATALOG:
        if item.detect(obj):
            return item
    return None
