"""Federation records: DIATF certification records and the payloads of this federation's trust marks.

Sources: OpenID Federation 1.0 §7 (trust marks: the JWT claims ``iss``, ``sub``,
``trust_mark_type``, ``iat``, ``exp``, ``logo_uri``, ``ref``, ``delegation``) and the ukid-interop
federation profile, which defines three trust mark types (certified identity service provider,
council, NHS organisation), their identifiers and the extra claim each carries.

Other claims in a trust mark: OpenID Federation 1.0 §7 lets a trust mark carry claims beyond the
ones it names. :class:`TrustMarkClaims`, the generic shape used for any trust mark type, therefore
keeps unknown claims (as JSON values). The three types defined here are this profile's own and
their claim sets are complete, so their models reject unknown claims: a misspelt claim in one of
our trust marks is an error, not something silently ignored.
"""

from __future__ import annotations

import re
from datetime import date
from enum import StrEnum
from typing import Annotated, ClassVar, Literal, TypeVar

from pydantic import ConfigDict, Field, JsonValue, field_validator, model_validator

from schemas._base import IsoDate, LaxEnum, NonEmptyStr, Opt, SchemaModel, opt_field, spec_field
from schemas.gpg45 import LevelOfConfidence, profile
from schemas.identifiers import GssCode, OdsCode

__all__ = [
    "CertificationBody",
    "CertificationRecord",
    "CertificationStatus",
    "CertifiedIdspTrustMark",
    "CouncilDetails",
    "CouncilTrustMark",
    "DiatfRole",
    "Gpg44Level",
    "NhsOrganisationDetails",
    "NhsOrganisationTrustMark",
    "TrustMarkClaims",
    "TrustMarkKind",
    "trust_mark_type",
]

OIDF_TRUST_MARK = "OpenID Federation 1.0 §7"
PROFILE = "ukid-interop federation profile"

Url = Annotated[str, Field(pattern=r"^https?://\S+$")]
"""An absolute http(s) URL; entity IDs are https in production (plain http: local development)."""
_T = TypeVar("_T")
_JWT = r"^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$"


class TrustMarkKind(StrEnum):
    """The trust mark types this federation defines (the last path segment of the type URL)."""

    CERTIFIED_IDENTITY_SERVICE_PROVIDER = "certified_identity_service_provider"
    COUNCIL = "council"
    NHS_ORGANISATION = "nhs_organisation"


def trust_mark_type(base_url: str, kind: TrustMarkKind) -> str:
    """The trust mark type identifier: ``{base_url}/trust-mark-types/{kind}``.

    In this federation a type is a URL under the trust anchor's entity ID (``base_url``).
    """
    return f"{base_url.rstrip('/')}/trust-mark-types/{kind.value}"


class CertificationStatus(StrEnum):
    """State of a DIATF certificate."""

    ACTIVE = "active"
    SUSPENDED = "suspended"
    WITHDRAWN = "withdrawn"
    EXPIRED = "expired"


class DiatfRole(StrEnum):
    """Roles a service can be certified for under the UK digital identity and attributes trust framework."""

    IDENTITY_SERVICE_PROVIDER = "identity_service_provider"
    ATTRIBUTE_SERVICE_PROVIDER = "attribute_service_provider"
    ORCHESTRATION_SERVICE_PROVIDER = "orchestration_service_provider"
    HOLDER_SERVICE_PROVIDER = "holder_service_provider"
    COMPONENT_SERVICE_PROVIDER = "component_service_provider"


class Gpg44Level(StrEnum):
    """GPG 44 level of protection of an authenticator."""

    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"


def _unique(values: list[_T], what: str) -> list[_T]:
    seen: set[_T] = set()
    for value in values:
        if value in seen:
            raise ValueError(f"{what} {str(value)!r} is listed twice")
        seen.add(value)
    return values


class CertificationBody(SchemaModel):
    """The conformity assessment body that certified the service."""

    name: NonEmptyStr = spec_field("Name of the certification body.", PROFILE)
    ukas_accreditation_number: Opt[NonEmptyStr] = opt_field(
        "The body's UKAS accreditation number, where it has one.", PROFILE
    )


class CertificationRecord(SchemaModel):
    """A service's certification under the UK DIATF, as the trust registry records it."""

    entity_id: Url = spec_field("Entity ID of the certified service in the federation.", PROFILE)
    organisation_name: NonEmptyStr = spec_field("Name of the organisation that runs the service.", PROFILE)
    roles: Annotated[list[Annotated[DiatfRole, LaxEnum]], Field(min_length=1)] = spec_field(
        "The DIATF roles the service is certified for; at least one, each once.", PROFILE
    )
    framework: Literal["uk_diatf"] = spec_field(
        "The trust framework of the certification: uk_diatf.", PROFILE
    )
    framework_version: Annotated[str, Field(pattern=r"^[0-9]+\.[0-9]+$")] = spec_field(
        "Version of the trust framework certified against, e.g. 0.4 or 1.0.", PROFILE
    )
    certification_body: CertificationBody = spec_field("Who certified the service.", PROFILE)
    certificate_id: NonEmptyStr = spec_field("Identifier of the certificate.", PROFILE)
    valid_from: IsoDate = spec_field("First day the certificate is valid.", PROFILE)
    valid_until: IsoDate = spec_field("Last day the certificate is valid; after valid_from.", PROFILE)
    status: Annotated[CertificationStatus, LaxEnum] = spec_field(
        "State of the certificate: active, suspended, withdrawn or expired.", PROFILE
    )
    levels_of_confidence: Annotated[list[Annotated[LevelOfConfidence, LaxEnum]], Field(min_length=1)] = (
        spec_field(
            "GPG 45 levels of confidence the service is certified to prove; at least one, each once.", PROFILE
        )
    )
    profiles: Opt[Annotated[list[str], Field(min_length=1)]] = opt_field(
        "GPG 45 profiles the service is certified to use, in upper case (e.g. M1C); each must give "
        "one of the certified levels of confidence.",
        PROFILE,
    )
    authentication_levels: Opt[Annotated[list[Annotated[Gpg44Level, LaxEnum]], Field(min_length=1)]] = (
        opt_field("GPG 44 authenticator levels (low, medium, high) the service is certified for.", PROFILE)
    )

    @field_validator("roles")
    @classmethod
    def _roles_unique(cls, roles: list[DiatfRole]) -> list[DiatfRole]:
        return _unique(roles, "role")

    @field_validator("levels_of_confidence")
    @classmethod
    def _levels_unique(cls, levels: list[LevelOfConfidence]) -> list[LevelOfConfidence]:
        return _unique(levels, "level of confidence")

    @field_validator("authentication_levels")
    @classmethod
    def _authentication_levels_unique(cls, levels: list[Gpg44Level]) -> list[Gpg44Level]:
        return _unique(levels, "authentication level")

    @field_validator("profiles")
    @classmethod
    def _profiles_exist(cls, names: list[str]) -> list[str]:
        for name in names:
            if name != name.upper():
                raise ValueError(f"profile {name!r} must be in upper case, e.g. {name.upper()!r}")
            try:
                profile(name)
            except KeyError:
                raise ValueError(f"{name!r} is not a GPG 45 profile") from None
        return _unique(names, "profile")

    @model_validator(mode="after")
    def _check_consistency(self) -> CertificationRecord:
        if self.valid_until <= self.valid_from:
            raise ValueError(
                f"valid_until ({self.valid_until.isoformat()}) must be after "
                f"valid_from ({self.valid_from.isoformat()})"
            )
        for name in self.profiles or ():
            level = profile(name).level
            if level not in self.levels_of_confidence:
                raise ValueError(
                    f"profile {name} gives level of confidence {level.value}, "
                    "which is not in levels_of_confidence"
                )
        return self

    def is_valid_on(self, day: date) -> bool:
        """True if the certificate is active and ``day`` is within valid_from..valid_until (inclusive)."""
        return self.status is CertificationStatus.ACTIVE and self.valid_from <= day <= self.valid_until

    def covers(self, level: LevelOfConfidence) -> bool:
        """True if the service is certified to prove ``level``.

        Certification is per level: a service certified for high only is not certified to
        issue medium results, so this is membership, not a comparison of ranks.
        """
        return level in self.levels_of_confidence


class TrustMarkClaims(SchemaModel):
    """The claims of a trust mark JWT (OpenID Federation 1.0 §7.1), for any trust mark type.

    Claims beyond the named ones are kept (the specification allows them); the subclasses for
    this federation's own types reject them (see the module documentation).
    """

    model_config = ConfigDict(extra="allow")
    __pydantic_extra__: dict[str, JsonValue] = Field(init=False)

    kind: ClassVar[TrustMarkKind | None] = None
    """The federation type a subclass carries; its ``trust_mark_type`` must end in this kind."""

    iss: Url = spec_field("Entity ID of the trust mark issuer.", OIDF_TRUST_MARK)
    sub: Url = spec_field("Entity ID of the entity the trust mark is about.", OIDF_TRUST_MARK)
    trust_mark_type: NonEmptyStr = spec_field(
        "Identifier of the trust mark type; in this federation a URL "
        "`{trust anchor}/trust-mark-types/{kind}`.",
        OIDF_TRUST_MARK,
    )
    iat: Annotated[int, Field(ge=0)] = spec_field(
        "When the trust mark was issued, seconds since the Unix epoch.", OIDF_TRUST_MARK
    )
    exp: Opt[Annotated[int, Field(ge=0)]] = opt_field(
        "When the trust mark expires, seconds since the Unix epoch; after iat. Absent: no expiry.",
        OIDF_TRUST_MARK,
    )
    logo_uri: Opt[Url] = opt_field("URL of a logo for the trust mark.", OIDF_TRUST_MARK)
    ref: Opt[Url] = opt_field(
        "URL of a page about the trust mark or the entity's rights to it.", OIDF_TRUST_MARK
    )
    delegation: Opt[Annotated[str, Field(pattern=_JWT)]] = opt_field(
        "A trust-mark-delegation+jwt from the trust mark owner, when the issuer is not the owner.",
        OIDF_TRUST_MARK,
    )

    @model_validator(mode="after")
    def _check_claims(self) -> TrustMarkClaims:
        if self.exp is not None and self.exp <= self.iat:
            raise ValueError(f"exp ({self.exp}) must be after iat ({self.iat})")
        kind = type(self).kind
        if kind is not None and not re.fullmatch(
            rf"https?://\S+/trust-mark-types/{kind.value}", self.trust_mark_type
        ):
            raise ValueError(
                f"trust_mark_type {self.trust_mark_type!r} is not a {kind.value} type: "
                f"expected {{trust anchor}}/trust-mark-types/{kind.value}"
            )
        return self


class CertifiedIdspTrustMark(TrustMarkClaims):
    """Trust mark: the entity is a DIATF-certified identity service provider."""

    model_config = ConfigDict(extra="forbid")
    kind: ClassVar[TrustMarkKind | None] = TrustMarkKind.CERTIFIED_IDENTITY_SERVICE_PROVIDER

    certification: CertificationRecord = spec_field(
        "The certification the trust mark attests; its entity_id is the trust mark's sub.", PROFILE
    )

    @model_validator(mode="after")
    def _certification_is_about_sub(self) -> CertifiedIdspTrustMark:
        if self.certification.entity_id != self.sub:
            raise ValueError(
                f"certification.entity_id {self.certification.entity_id!r} is not the sub {self.sub!r}"
            )
        return self


class CouncilDetails(SchemaModel):
    """The local authority a council trust mark is about."""

    gss_code: GssCode = spec_field("ONS GSS code of the council's area, e.g. E07000178.", PROFILE)
    name: NonEmptyStr = spec_field("Name of the council.", PROFILE)


class CouncilTrustMark(TrustMarkClaims):
    """Trust mark: the entity is run by a UK local authority."""

    model_config = ConfigDict(extra="forbid")
    kind: ClassVar[TrustMarkKind | None] = TrustMarkKind.COUNCIL

    council: CouncilDetails = spec_field("The council.", PROFILE)


class NhsOrganisationDetails(SchemaModel):
    """The NHS organisation an NHS organisation trust mark is about."""

    ods_code: OdsCode = spec_field("NHS ODS code of the organisation, e.g. A81001.", PROFILE)
    name: NonEmptyStr = spec_field("Name of the organisation.", PROFILE)
    organisation_type: Literal["gp_practice", "nhs_trust", "integrated_care_board", "other"] = spec_field(
        "Kind of organisation: gp_practice, nhs_trust, integrated_care_board or other.", PROFILE
    )


class NhsOrganisationTrustMark(TrustMarkClaims):
    """Trust mark: the entity is run by an NHS organisation."""

    model_config = ConfigDict(extra="forbid")
    kind: ClassVar[TrustMarkKind | None] = TrustMarkKind.NHS_ORGANISATION

    nhs_organisation: NhsOrganisationDetails = spec_field("The NHS organisation.", PROFILE)
