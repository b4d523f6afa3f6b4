"""The ``claims`` request parameter, with ``verified_claims`` request elements.

Sources: OpenID Connect Core 1.0 §5.5 (the ``claims`` parameter: ``userinfo`` and ``id_token``
members, each naming claims with ``null`` or ``{essential, value, values}``) and OpenID Connect
for Identity Assurance 1.0 §6 "Requesting Verified Claims": §6.1 claims inside
``verified_claims`` (with ``purpose``), §6.2 verification data (``evidence`` entries are filters
with a required ``type``), §6.3.1 ``value``/``values``, §6.3.2 ``max_age``, §6.4 several
``verified_claims`` elements; the working group's request schema (``verified_claims_request.json``)
for what each member may hold.

The models mirror ``schemas.verified_claims`` member for member; a member present in a request
(``null`` included) is requested (see ``schemas._request_base``). Claim names are checked
against this federation's closed vocabulary (``schemas.claims.Claims``): an unknown name is an
error, where IDA §6.5.1 would have an OP leave it out.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated, Any, ClassVar, Literal

from pydantic import (
    ConfigDict,
    Discriminator,
    Field,
    GetJsonSchemaHandler,
    Tag,
    field_validator,
    model_validator,
)
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema

from schemas._base import Opt, opt_field, spec_field
from schemas._request_base import (
    ClaimLeaf,
    ClaimMember,
    ClaimSelection,
    DateTimeLeaf,
    DateTimeMember,
    Leaf,
    LeafMember,
    RequestModel,
    known_claim,
    request_error,
)
from schemas.evidence import EVIDENCE_TYPES

__all__ = [
    "OTHER_REQUESTABLE_CLAIMS",
    "AssuranceDetailRequest",
    "AssuranceProcessRequest",
    "AttestationRequest",
    "CheckDetailRequest",
    "ClaimLeaf",
    "ClaimSetRequest",
    "ClaimsRequest",
    "DateTimeLeaf",
    "DocumentDetailsRequest",
    "DocumentEvidenceRequest",
    "ElectronicRecordEvidenceRequest",
    "ElectronicSignatureEvidenceRequest",
    "EvidenceMetadataRequest",
    "EvidenceRefRequest",
    "EvidenceRequest",
    "EvidenceTypeLeaf",
    "IssuerRequest",
    "Leaf",
    "RecordRequest",
    "RecordSourceRequest",
    "RequestModel",
    "VerificationRequest",
    "VerifiedClaimsRequest",
    "VouchEvidenceRequest",
    "VoucherRequest",
    "essential_claims",
    "requested_claim_names",
]

CORE = "OpenID Connect Core 1.0 §5.5"
CORE_LEAF = "OpenID Connect Core 1.0 §5.5.1"
IDA_CLAIMS = "OpenID Connect for Identity Assurance 1.0 §6.1"
IDA_VERIFICATION = "OpenID Connect for Identity Assurance 1.0 §6.2"
IDA_VALUES = "OpenID Connect for Identity Assurance 1.0 §6.3.1"
IDA_MAX_AGE = "OpenID Connect for Identity Assurance 1.0 §6.3.2"
IDA_SETS = "OpenID Connect for Identity Assurance 1.0 §6.4"

OTHER_REQUESTABLE_CLAIMS: dict[str, str] = {
    "acr": "OpenID Connect Core 1.0 §5.5.1.1",
    "amr": "OpenID Connect Core 1.0 §2",
    "auth_time": "OpenID Connect Core 1.0 §2",
    "txn": "OpenID Connect for Identity Assurance 1.0 §4.2",
}
"""Claims outside ``Claims`` that a ``userinfo``/``id_token`` request may name (not inside
``verified_claims``)."""


class CheckDetailRequest(RequestModel):
    """A filter over ``check_details``; several are ORed (IDA §6.2)."""

    check_method: LeafMember = spec_field("The check method, e.g. value `pvp`.", IDA_VALUES)
    organization: Opt[LeafMember] = opt_field("Who performed the check.", IDA_VERIFICATION)
    check_id: Opt[LeafMember] = opt_field("Identifier of the check.", IDA_VERIFICATION)
    time: Opt[DateTimeMember] = opt_field("When the check was performed.", IDA_MAX_AGE)


CheckDetailsRequest = Annotated[list[CheckDetailRequest], Field(min_length=1)]


class _PlaceRequest(RequestModel):
    """Members of a place (issuer, record source) to release."""

    name: Opt[LeafMember] = opt_field("Name.", IDA_VERIFICATION)
    formatted: Opt[LeafMember] = opt_field("Full address.", IDA_VERIFICATION)
    street_address: Opt[LeafMember] = opt_field("Street address.", IDA_VERIFICATION)
    locality: Opt[LeafMember] = opt_field("City or town.", IDA_VERIFICATION)
    region: Opt[LeafMember] = opt_field("Region.", IDA_VERIFICATION)
    postal_code: Opt[LeafMember] = opt_field("Postcode.", IDA_VERIFICATION)
    country: Opt[LeafMember] = opt_field("Country.", IDA_VERIFICATION)
    country_code: Opt[LeafMember] = opt_field("ISO 3166-1 country code.", IDA_VERIFICATION)
    jurisdiction: Opt[LeafMember] = opt_field("Jurisdiction.", IDA_VERIFICATION)


class IssuerRequest(_PlaceRequest):
    """Members of a document's ``issuer`` to release."""


class RecordSourceRequest(_PlaceRequest):
    """Members of an electronic record's ``source`` to release."""


class DocumentDetailsRequest(RequestModel):
    """Members of ``document_details`` to release; ``type`` is always released (it is required)."""

    type: Opt[LeafMember] = opt_field("Document type, e.g. values `[passport, driving_permit]`.", IDA_VALUES)
    document_number: Opt[LeafMember] = opt_field("Number of the document.", IDA_VERIFICATION)
    personal_number: Opt[LeafMember] = opt_field("Personal number on the document.", IDA_VERIFICATION)
    serial_number: Opt[LeafMember] = opt_field("Serial number of the document.", IDA_VERIFICATION)
    date_of_issuance: Opt[DateTimeMember] = opt_field("When the document was issued.", IDA_MAX_AGE)
    date_of_expiry: Opt[DateTimeMember] = opt_field("When the document expires.", IDA_MAX_AGE)
    issuer: Opt[IssuerRequest] = opt_field("Members of the issuer to release.", IDA_VERIFICATION)


class RecordRequest(RequestModel):
    """Members of an electronic ``record`` to release; ``type`` is always released."""

    type: Opt[LeafMember] = opt_field("Record type.", IDA_VALUES)
    personal_number: Opt[LeafMember] = opt_field("Identifier of the person in the record.", IDA_VERIFICATION)
    created_at: Opt[DateTimeMember] = opt_field("When the record was created.", IDA_MAX_AGE)
    date_of_expiry: Opt[DateTimeMember] = opt_field("When the record expires.", IDA_MAX_AGE)
    source: Opt[RecordSourceRequest] = opt_field(
        "Members of the record's source to release.", IDA_VERIFICATION
    )


class VoucherRequest(RequestModel):
    """Members of a ``voucher`` to release."""

    name: Opt[LeafMember] = opt_field("Name of the voucher.", IDA_VERIFICATION)
    birthdate: Opt[DateTimeMember] = opt_field("Date of birth of the voucher.", IDA_MAX_AGE)
    formatted: Opt[LeafMember] = opt_field("Full address of the voucher.", IDA_VERIFICATION)
    street_address: Opt[LeafMember] = opt_field("Street address of the voucher.", IDA_VERIFICATION)
    locality: Opt[LeafMember] = opt_field("City or town of the voucher.", IDA_VERIFICATION)
    region: Opt[LeafMember] = opt_field("Region of the voucher.", IDA_VERIFICATION)
    postal_code: Opt[LeafMember] = opt_field("Postcode of the voucher.", IDA_VERIFICATION)
    country: Opt[LeafMember] = opt_field("Country of the voucher.", IDA_VERIFICATION)
    country_code: Opt[LeafMember] = opt_field("Country code of the voucher.", IDA_VERIFICATION)
    occupation: Opt[LeafMember] = opt_field("Occupation of the voucher.", IDA_VERIFICATION)
    organization: Opt[LeafMember] = opt_field("Organisation of the voucher.", IDA_VERIFICATION)


class AttestationRequest(RequestModel):
    """Members of a vouch's ``attestation`` to release; ``type`` is always released."""

    type: Opt[LeafMember] = opt_field("Kind of attestation.", IDA_VALUES)
    reference_number: Opt[LeafMember] = opt_field("Reference of the attestation.", IDA_VERIFICATION)
    personal_number: Opt[LeafMember] = opt_field("Identifier of the person vouched for.", IDA_VERIFICATION)
    date_of_issuance: Opt[DateTimeMember] = opt_field("When the attestation was given.", IDA_MAX_AGE)
    date_of_expiry: Opt[DateTimeMember] = opt_field("When the attestation expires.", IDA_MAX_AGE)
    voucher: Opt[VoucherRequest] = opt_field("Members of the voucher to release.", IDA_VERIFICATION)


class EvidenceTypeLeaf(RequestModel):
    """``evidence[].type``: a ``value`` naming the evidence type (``values`` is not allowed, IDA §6.2)."""

    essential: Opt[bool] = opt_field("True if the element is essential.", CORE_LEAF)
    value: Literal["document", "electronic_record", "vouch", "electronic_signature"] = spec_field(
        "The evidence type this entry filters for.", IDA_VERIFICATION
    )

    def has_constraint(self) -> bool:
        return True


class _EvidenceRequest(RequestModel):
    """A filter over held evidence and the template of what to release from each match (IDA §6.2)."""

    evidence_type: ClassVar[str]
    nullable_members = frozenset({"derived_claims"})

    type: EvidenceTypeLeaf = spec_field('The evidence type, as `{"value": type}`.', IDA_VERIFICATION)
    derived_claims: ClaimSelection | None = opt_field(
        "Claims read from the evidence to release: `null` for all of them, or the claims by name.",
        IDA_VERIFICATION,
    )
    attachments: Opt[LeafMember] = opt_field("Release the evidence's attachments.", IDA_VERIFICATION)

    @classmethod
    def __get_pydantic_json_schema__(
        cls, core_schema: CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        """Pin ``type.value`` to this class's evidence type, so the published ``oneOf`` tells the
        entries apart as the validator's discriminator does."""
        reference = handler(core_schema)
        schema = handler.resolve_ref_schema(reference)
        schema["properties"]["type"]["properties"] = {
            "value": {
                "const": cls.evidence_type,
                "description": f"The evidence type: {cls.evidence_type}.",
                "x-source": IDA_VERIFICATION,
            }
        }
        schema["properties"]["type"]["required"] = ["value"]
        return reference

    @model_validator(mode="after")
    def _type_matches(self) -> _EvidenceRequest:
        if self.type.value != self.evidence_type:
            raise request_error("evidence_type", "type must be {expected}", expected=repr(self.evidence_type))
        return self


class DocumentEvidenceRequest(_EvidenceRequest):
    """Evidence of type ``document`` to release."""

    evidence_type = "document"
    check_details: Opt[CheckDetailsRequest] = opt_field("Checks to release (filters, ORed).", IDA_VALUES)
    document_details: Opt[DocumentDetailsRequest] = opt_field("Document members to release.", IDA_VALUES)


class ElectronicRecordEvidenceRequest(_EvidenceRequest):
    """Evidence of type ``electronic_record`` to release."""

    evidence_type = "electronic_record"
    check_details: Opt[CheckDetailsRequest] = opt_field("Checks to release (filters, ORed).", IDA_VALUES)
    record: Opt[RecordRequest] = opt_field("Record members to release.", IDA_VALUES)


class VouchEvidenceRequest(_EvidenceRequest):
    """Evidence of type ``vouch`` to release."""

    evidence_type = "vouch"
    check_details: Opt[CheckDetailsRequest] = opt_field("Checks to release (filters, ORed).", IDA_VALUES)
    attestation: Opt[AttestationRequest] = opt_field("Attestation members to release.", IDA_VALUES)


class ElectronicSignatureEvidenceRequest(_EvidenceRequest):
    """Evidence of type ``electronic_signature`` to release (its three required members always are)."""

    evidence_type = "electronic_signature"
    signature_type: Opt[LeafMember] = opt_field("Kind of signature.", IDA_VERIFICATION)
    issuer: Opt[LeafMember] = opt_field("Issuer of the signing certificate.", IDA_VERIFICATION)
    serial_number: Opt[LeafMember] = opt_field("Serial number of the certificate.", IDA_VERIFICATION)
    created_at: Opt[DateTimeMember] = opt_field("When the signature was created.", IDA_MAX_AGE)


def _requested_evidence_type(entry: Any) -> str | None:
    kind = entry.get("type") if isinstance(entry, dict) else getattr(entry, "type", None)
    if isinstance(kind, EvidenceTypeLeaf):
        return kind.value
    if isinstance(kind, dict) and "values" not in kind and kind.get("value") in EVIDENCE_TYPES:
        return str(kind["value"])
    return None


EvidenceRequest = Annotated[
    Annotated[DocumentEvidenceRequest, Tag("document")]
    | Annotated[ElectronicRecordEvidenceRequest, Tag("electronic_record")]
    | Annotated[VouchEvidenceRequest, Tag("vouch")]
    | Annotated[ElectronicSignatureEvidenceRequest, Tag("electronic_signature")],
    Discriminator(
        _requested_evidence_type,
        custom_error_type="evidence_type",
        custom_error_message='each evidence entry needs type {"value": ...} naming one of '
        + ", ".join(EVIDENCE_TYPES)
        + " (values is not allowed for the evidence type)",
    ),
]


class EvidenceMetadataRequest(RequestModel):
    """``evidence_ref[].evidence_metadata`` in a request."""

    evidence_classification: Opt[LeafMember] = opt_field("Classification of the evidence.", IDA_VERIFICATION)


class EvidenceRefRequest(RequestModel):
    """``assurance_details[].evidence_ref[]`` in a request."""

    check_id: LeafMember = spec_field("The referenced check.", IDA_VERIFICATION)
    evidence_metadata: Opt[EvidenceMetadataRequest] = opt_field("Metadata of the evidence.", IDA_VERIFICATION)


class AssuranceDetailRequest(RequestModel):
    """``assurance_details[]`` in a request: when requested all held details are released, and
    constraints inside have no filtering effect (IDA §6.2)."""

    assurance_type: Opt[LeafMember] = opt_field("What was assessed.", IDA_VERIFICATION)
    assurance_classification: Opt[LeafMember] = opt_field("The result.", IDA_VERIFICATION)
    evidence_ref: Opt[Annotated[list[EvidenceRefRequest], Field(min_length=1)]] = opt_field(
        "The checks the assessment is based on.", IDA_VERIFICATION
    )

    def has_constraint(self) -> bool:
        return False


class AssuranceProcessRequest(RequestModel):
    """Members of ``assurance_process`` to release."""

    policy: Opt[LeafMember] = opt_field("The policy, e.g. value `gpg45`.", IDA_VALUES)
    procedure: Opt[LeafMember] = opt_field("The procedure, e.g. values `[m1a, m1b]`.", IDA_VALUES)
    assurance_details: Opt[Annotated[list[AssuranceDetailRequest], Field(min_length=1)]] = opt_field(
        "Release the assurance details, all of them.", IDA_VERIFICATION
    )


class VerificationRequest(RequestModel):
    """The ``verification`` members to release and the constraints they must meet (IDA §6.2, §6.3)."""

    trust_framework: LeafMember = spec_field(
        "Required: `null` for any trust framework, or value/values (`uk_tfida` matches `uk_diatf`).",
        IDA_VALUES,
    )
    assurance_level: Opt[LeafMember] = opt_field("The assurance level, e.g. value `medium`.", IDA_VALUES)
    assurance_process: Opt[AssuranceProcessRequest] = opt_field("The assurance process.", IDA_VERIFICATION)
    time: Opt[DateTimeMember] = opt_field("When the verification took place.", IDA_MAX_AGE)
    verification_process: Opt[LeafMember] = opt_field("Reference to the process.", IDA_VERIFICATION)
    evidence: Opt[Annotated[list[EvidenceRequest], Field(min_length=1)]] = opt_field(
        "Evidence filters, ORed: each held evidence matching one is released, shaped by it.",
        IDA_VERIFICATION,
    )

    @model_validator(mode="before")
    @classmethod
    def _trust_framework_requested(cls, data: Any) -> Any:
        if isinstance(data, dict) and "trust_framework" not in data:
            raise request_error(
                "trust_framework_missing",
                "trust_framework is required: null for any trust framework, or value/values to constrain it",
            )
        return data


class VerifiedClaimsRequest(RequestModel):
    """One ``verified_claims`` request element (IDA §6)."""

    nullable_members = frozenset({"claims"})

    verification: VerificationRequest = spec_field("Verification data requested.", IDA_VERIFICATION)
    claims: ClaimSelection = spec_field("The verified claims requested, by name.", IDA_CLAIMS)

    @field_validator("claims", mode="before")
    @classmethod
    def _claims_not_null(cls, value: object) -> object:
        if value is None:
            raise request_error("claims_empty", "claims must name at least one claim")
        return value


def _object_or_array(value: Any) -> str | None:
    if isinstance(value, list | tuple):
        return "array"
    if isinstance(value, dict | VerifiedClaimsRequest):
        return "object"
    return None


VerifiedClaimsRequestMember = Annotated[
    Annotated[VerifiedClaimsRequest, Tag("object")]
    | Annotated[list[VerifiedClaimsRequest], Field(min_length=1), Tag("array")],
    Discriminator(
        _object_or_array,
        custom_error_type="verified_claims_type",
        custom_error_message="verified_claims must be an object or a non-empty array of objects",
    ),
]


class ClaimSetRequest(RequestModel):
    """The ``userinfo`` or ``id_token`` member: claims by name and ``verified_claims`` (Core §5.5)."""

    model_config = ConfigDict(extra="allow")
    __pydantic_extra__: dict[str, ClaimMember] = Field(init=False)

    verified_claims: Opt[VerifiedClaimsRequestMember] = opt_field(
        "One verified_claims request element, or several processed independently.", IDA_SETS
    )

    @model_validator(mode="before")
    @classmethod
    def _known_claims(cls, data: Any) -> Any:
        if isinstance(data, dict):
            for name in data:
                if name != "verified_claims" and name not in OTHER_REQUESTABLE_CLAIMS:
                    known_claim(name)
        return data

    def other_claims(self) -> dict[str, ClaimLeaf]:
        """The claims requested outside ``verified_claims``, by name."""
        return dict(self.model_extra or {})

    def verified_elements(self) -> tuple[VerifiedClaimsRequest, ...]:
        """The ``verified_claims`` request elements, whether one or several were sent."""
        if self.verified_claims is None:
            return ()
        if isinstance(self.verified_claims, VerifiedClaimsRequest):
            return (self.verified_claims,)
        return tuple(self.verified_claims)


class ClaimsRequest(RequestModel):
    """The ``claims`` request parameter (OpenID Connect Core §5.5).

    Other top-level members are ignored, as Core §5.5 requires; ``ignored_members`` names them.
    """

    model_config = ConfigDict(extra="allow")

    userinfo: Opt[ClaimSetRequest] = opt_field("Claims to return from the UserInfo endpoint.", CORE)
    id_token: Opt[ClaimSetRequest] = opt_field("Claims to return in the ID token.", CORE)

    def ignored_members(self) -> frozenset[str]:
        """Top-level members other than ``userinfo`` and ``id_token``."""
        return frozenset(self.model_extra or {})

    def to_json_dict(self) -> dict[str, Any]:
        """The request as JSON, without the ignored members."""
        return self.model_dump(mode="json", exclude_unset=True, exclude=set(self.ignored_members()))


AnyRequest = ClaimsRequest | ClaimSetRequest | VerifiedClaimsRequest | Sequence[VerifiedClaimsRequest]


def _claim_leaves(request: AnyRequest) -> list[tuple[str, ClaimLeaf]]:
    if isinstance(request, ClaimsRequest):
        return [leaf for part in (request.userinfo, request.id_token) if part for leaf in _claim_leaves(part)]
    if isinstance(request, ClaimSetRequest):
        return list(request.other_claims().items()) + _claim_leaves(request.verified_elements())
    if isinstance(request, VerifiedClaimsRequest):
        return list(request.claims.items())
    return [leaf for element in request for leaf in _claim_leaves(element)]


def requested_claim_names(request: AnyRequest) -> frozenset[str]:
    """Every claim name the request asks for, inside or outside ``verified_claims``."""
    return frozenset(name for name, _ in _claim_leaves(request))


def essential_claims(request: AnyRequest) -> frozenset[str]:
    """The claim names requested with ``essential: true`` (Core §5.5.1)."""
    return frozenset(name for name, leaf in _claim_leaves(request) if leaf.essential)
