"""Evidence of an identity verification, with check details in the OpenID Foundation vocabulary.

Source: OpenID Connect for Identity Assurance 1.0 §5.1.1 (evidence element and its types
``document``, ``electronic_record``, ``vouch``, ``electronic_signature``), §5.1.2 (attachments) and
the eKYC & IDA working group's predefined values for ``check_method``.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Literal

from pydantic import Field

from schemas._base import IsoDate, IsoDateTime, LaxEnum, NonEmptyStr, Opt, SchemaModel, opt_field, spec_field
from schemas.claims import Claims

__all__ = [
    "EVIDENCE_TYPES",
    "PHYSICAL_OR_BIOMETRIC_COMPARISON",
    "AttestationDetails",
    "CheckDetail",
    "CheckMethod",
    "Digest",
    "DocumentDetails",
    "DocumentEvidence",
    "ElectronicRecordEvidence",
    "ElectronicSignatureEvidence",
    "EmbeddedAttachment",
    "Evidence",
    "ExternalAttachment",
    "Issuer",
    "RecordDetails",
    "RecordSource",
    "VouchEvidence",
    "Voucher",
]

IDA_EVIDENCE = "OpenID Connect for Identity Assurance 1.0 §5.1.1"
IDA_ATTACHMENTS = "OpenID Connect for Identity Assurance 1.0 §5.1.2"
IDA_VALUES = "eKYC & IDA predefined values (check_method)"

_BASE64 = r"^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$"
CountryCode = Annotated[str, Field(pattern=r"^[A-Z]{2}[A-Z]?$")]


class CheckMethod(StrEnum):
    """How a piece of evidence was checked (eKYC & IDA predefined values for ``check_method``)."""

    VPIP = "vpip"
    """Validation of a physical document by inspecting it in person."""
    VPIRUV = "vpiruv"
    """Validation of a physical document remotely and unattended (photo or video of it)."""
    VRI = "vri"
    """Validation of a physical document remotely, attended (an operator on a video call)."""
    VDIG = "vdig"
    """Validation of digital evidence, e.g. the data read from a document's chip."""
    VCRYPT = "vcrypt"
    """Validation of the evidence's cryptographic security features (e.g. chip signature)."""
    DATA = "data"
    """Check that the evidence's data exists in an authoritative source (record check)."""
    AUTH = "auth"
    """The person proved control of the evidence by authenticating with it (e.g. online banking)."""
    TOKEN = "token"
    """The person proved possession of a token linked to the evidence (e.g. a one-time code)."""
    KBV = "kbv"
    """Knowledge-based verification: questions only the person should be able to answer."""
    PVP = "pvp"
    """Physical comparison in person: an official compared the person with the photo."""
    PVR = "pvr"
    """Physical comparison remote: an official compared the person with the photo over video."""
    BVP = "bvp"
    """Biometric comparison in person: a machine compared the person's face with the photo."""
    BVR = "bvr"
    """Biometric comparison remote: a machine compared a live capture with the photo."""


PHYSICAL_OR_BIOMETRIC_COMPARISON: frozenset[CheckMethod] = frozenset(
    {CheckMethod.PVP, CheckMethod.PVR, CheckMethod.BVP, CheckMethod.BVR}
)
"""The check methods that compare the person with photo evidence (needed for NHS login P9)."""

CHECK_METHOD_DESCRIPTIONS: dict[CheckMethod, str] = {
    CheckMethod.VPIP: "validation of a physical document, in person",
    CheckMethod.VPIRUV: "validation of a physical document, remote and unattended",
    CheckMethod.VRI: "validation of a physical document, remote and attended",
    CheckMethod.VDIG: "validation of digital evidence",
    CheckMethod.VCRYPT: "validation of cryptographic security features",
    CheckMethod.DATA: "record check against an authoritative source",
    CheckMethod.AUTH: "authentication with the evidence",
    CheckMethod.TOKEN: "possession of a token linked to the evidence",
    CheckMethod.KBV: "knowledge-based verification",
    CheckMethod.PVP: "physical comparison with the photo, in person",
    CheckMethod.PVR: "physical comparison with the photo, remote",
    CheckMethod.BVP: "biometric comparison with the photo, in person",
    CheckMethod.BVR: "biometric comparison with the photo, remote",
}


class CheckDetail(SchemaModel):
    """One check performed on a piece of evidence."""

    check_method: Annotated[CheckMethod, LaxEnum] = spec_field(
        "How the evidence was checked, from the OpenID Foundation vocabulary "
        "(vpip, vpiruv, vri, vdig, vcrypt, data, auth, token, kbv, pvp, pvr, bvp, bvr).",
        IDA_VALUES,
    )
    organization: Opt[NonEmptyStr] = opt_field("Who performed the check.", IDA_EVIDENCE)
    check_id: Opt[NonEmptyStr] = opt_field(
        "Identifier of the check; `assurance_details` refer to it in `evidence_ref`.", IDA_EVIDENCE
    )
    time: Opt[IsoDateTime] = opt_field("When the check was performed.", IDA_EVIDENCE)


CheckDetails = Annotated[list[CheckDetail], Field(min_length=1)]


class Digest(SchemaModel):
    """Digest of an external attachment's content."""

    alg: NonEmptyStr = spec_field("Hash algorithm, e.g. sha-256.", IDA_ATTACHMENTS)
    value: Annotated[str, Field(pattern=_BASE64, min_length=1)] = spec_field(
        "Base64-encoded digest value.", IDA_ATTACHMENTS
    )


class EmbeddedAttachment(SchemaModel):
    """An attachment carried inside the payload (e.g. a scan of a document)."""

    desc: Opt[NonEmptyStr] = opt_field("Description of the attachment.", IDA_ATTACHMENTS)
    content_type: Annotated[str, Field(pattern=r"^[A-Za-z0-9!#$&^_.+-]+/[A-Za-z0-9!#$&^_.+-]+$")] = (
        spec_field("Media type of the content, e.g. image/png.", IDA_ATTACHMENTS)
    )
    content: Annotated[str, Field(pattern=_BASE64)] = spec_field("Base64-encoded content.", IDA_ATTACHMENTS)


class ExternalAttachment(SchemaModel):
    """An attachment fetched from elsewhere, pinned by its digest."""

    desc: Opt[NonEmptyStr] = opt_field("Description of the attachment.", IDA_ATTACHMENTS)
    url: NonEmptyStr = spec_field("Where to fetch the attachment.", IDA_ATTACHMENTS)
    access_token: NonEmptyStr | None = opt_field(
        "Access token for fetching it; null when none is needed.", IDA_ATTACHMENTS
    )
    exp: Opt[Annotated[int, Field(ge=0)]] = opt_field(
        "When the URL or token stops working, seconds since the Unix epoch.", IDA_ATTACHMENTS
    )
    digest: Digest = spec_field("Digest of the content.", IDA_ATTACHMENTS)


Attachments = Annotated[list[EmbeddedAttachment | ExternalAttachment], Field(min_length=1)]


class _PostalAddress(SchemaModel):
    """Address members shared by an issuer, a record source and a voucher (IDA §5.1.1)."""

    formatted: Opt[NonEmptyStr] = opt_field("Full address, formatted for display.", IDA_EVIDENCE)
    street_address: Opt[NonEmptyStr] = opt_field("Street address.", IDA_EVIDENCE)
    locality: Opt[NonEmptyStr] = opt_field("City or town.", IDA_EVIDENCE)
    region: Opt[NonEmptyStr] = opt_field("Region.", IDA_EVIDENCE)
    postal_code: Opt[NonEmptyStr] = opt_field("Postcode.", IDA_EVIDENCE)
    country: Opt[NonEmptyStr] = opt_field("Country.", IDA_EVIDENCE)
    country_code: Opt[CountryCode] = opt_field("ISO 3166-1 alpha-2 or alpha-3 country code.", IDA_EVIDENCE)


class Issuer(_PostalAddress):
    """The issuer of a document, with its address."""

    name: Opt[NonEmptyStr] = opt_field(
        "Name of the issuing authority, e.g. HM Passport Office.", IDA_EVIDENCE
    )
    jurisdiction: Opt[NonEmptyStr] = opt_field("Jurisdiction within the country, e.g. GB-GBN.", IDA_EVIDENCE)


class DocumentDetails(SchemaModel):
    """The document that was checked."""

    type: NonEmptyStr = spec_field(
        "Document type, e.g. passport, driving_permit, idcard, residence_permit, utility_statement.",
        IDA_EVIDENCE,
    )
    document_number: Opt[NonEmptyStr] = opt_field("Number of the document.", IDA_EVIDENCE)
    personal_number: Opt[NonEmptyStr] = opt_field("Personal number on the document.", IDA_EVIDENCE)
    serial_number: Opt[NonEmptyStr] = opt_field("Serial number of the document.", IDA_EVIDENCE)
    date_of_issuance: Opt[IsoDate] = opt_field("When the document was issued.", IDA_EVIDENCE)
    date_of_expiry: Opt[IsoDate] = opt_field("When the document expires.", IDA_EVIDENCE)
    issuer: Opt[Issuer] = opt_field("Who issued the document.", IDA_EVIDENCE)


class DocumentEvidence(SchemaModel):
    """Evidence type ``document``: an identity document such as a passport or driving licence."""

    type: Literal["document"] = spec_field("Evidence type.", IDA_EVIDENCE)
    check_details: Opt[CheckDetails] = opt_field("The checks performed on the document.", IDA_EVIDENCE)
    document_details: Opt[DocumentDetails] = opt_field("The document.", IDA_EVIDENCE)
    derived_claims: Opt[Claims] = opt_field("Claims read from the document.", IDA_EVIDENCE)
    attachments: Opt[Attachments] = opt_field("Attachments, e.g. scans.", IDA_ATTACHMENTS)


class RecordSource(_PostalAddress):
    """The organisation holding an electronic record, with its address."""

    name: Opt[NonEmptyStr] = opt_field("Name of the source, e.g. DVLA or a council.", IDA_EVIDENCE)
    jurisdiction: Opt[NonEmptyStr] = opt_field("Jurisdiction of the source.", IDA_EVIDENCE)


class RecordDetails(SchemaModel):
    """The electronic record that was checked."""

    type: NonEmptyStr = spec_field(
        "Record type, e.g. council_tax_register, electoral_register, bank_account, mno.", IDA_EVIDENCE
    )
    personal_number: Opt[NonEmptyStr] = opt_field("Identifier of the person in the record.", IDA_EVIDENCE)
    created_at: Opt[IsoDateTime] = opt_field("When the record was created.", IDA_EVIDENCE)
    date_of_expiry: Opt[IsoDate] = opt_field("When the record expires.", IDA_EVIDENCE)
    source: Opt[RecordSource] = opt_field("Who holds the record.", IDA_EVIDENCE)


class ElectronicRecordEvidence(SchemaModel):
    """Evidence type ``electronic_record``: a record such as a council tax or bank account record."""

    type: Literal["electronic_record"] = spec_field("Evidence type.", IDA_EVIDENCE)
    check_details: Opt[CheckDetails] = opt_field("The checks performed on the record.", IDA_EVIDENCE)
    record: Opt[RecordDetails] = opt_field("The record.", IDA_EVIDENCE)
    derived_claims: Opt[Claims] = opt_field("Claims read from the record.", IDA_EVIDENCE)
    attachments: Opt[Attachments] = opt_field("Attachments.", IDA_ATTACHMENTS)


class Voucher(_PostalAddress):
    """The person who vouched, a known professional such as a prison resettlement officer, with
    their address."""

    name: Opt[NonEmptyStr] = opt_field("Name of the voucher.", IDA_EVIDENCE)
    birthdate: Opt[IsoDate] = opt_field("Date of birth of the voucher.", IDA_EVIDENCE)
    occupation: Opt[NonEmptyStr] = opt_field("Occupation, e.g. resettlement officer.", IDA_EVIDENCE)
    organization: Opt[NonEmptyStr] = opt_field("Organisation, e.g. HMP Dartmoor.", IDA_EVIDENCE)


class AttestationDetails(SchemaModel):
    """The attestation a voucher gave."""

    type: Literal["written_attestation", "digital_attestation"] = spec_field(
        "Kind of attestation: written_attestation or digital_attestation.", IDA_EVIDENCE
    )
    reference_number: Opt[NonEmptyStr] = opt_field("Reference of the attestation.", IDA_EVIDENCE)
    personal_number: Opt[NonEmptyStr] = opt_field("Identifier of the person vouched for.", IDA_EVIDENCE)
    date_of_issuance: Opt[IsoDate] = opt_field("When the attestation was given.", IDA_EVIDENCE)
    date_of_expiry: Opt[IsoDate] = opt_field("When the attestation expires.", IDA_EVIDENCE)
    voucher: Opt[Voucher] = opt_field("Who vouched.", IDA_EVIDENCE)


class VouchEvidence(SchemaModel):
    """Evidence type ``vouch``: a known professional attests to who the person is.

    This is how people without documents or a credit history (a prison leaver, a person
    without a fixed address) prove their identity.
    """

    type: Literal["vouch"] = spec_field("Evidence type.", IDA_EVIDENCE)
    check_details: Opt[CheckDetails] = opt_field("The checks performed on the vouch.", IDA_EVIDENCE)
    attestation: Opt[AttestationDetails] = opt_field("The attestation.", IDA_EVIDENCE)
    derived_claims: Opt[Claims] = opt_field("Claims the voucher attested.", IDA_EVIDENCE)
    attachments: Opt[Attachments] = opt_field("Attachments, e.g. a scan of a signed form.", IDA_ATTACHMENTS)


class ElectronicSignatureEvidence(SchemaModel):
    """Evidence type ``electronic_signature``: a qualified or advanced electronic signature."""

    type: Literal["electronic_signature"] = spec_field("Evidence type.", IDA_EVIDENCE)
    signature_type: NonEmptyStr = spec_field("Kind of signature, e.g. qes_eidas.", IDA_EVIDENCE)
    issuer: NonEmptyStr = spec_field("Issuer of the signing certificate.", IDA_EVIDENCE)
    serial_number: NonEmptyStr = spec_field("Serial number of the signing certificate.", IDA_EVIDENCE)
    created_at: Opt[IsoDateTime] = opt_field("When the signature was created.", IDA_EVIDENCE)
    derived_claims: Opt[Claims] = opt_field("Claims taken from the certificate.", IDA_EVIDENCE)
    attachments: Opt[Attachments] = opt_field("Attachments.", IDA_ATTACHMENTS)


EVIDENCE_TYPES = ("document", "electronic_record", "vouch", "electronic_signature")


Evidence = Annotated[
    DocumentEvidence | ElectronicRecordEvidence | VouchEvidence | ElectronicSignatureEvidence,
    Field(discriminator="type"),
]
"""One piece of evidence, told apart by its ``type``."""
