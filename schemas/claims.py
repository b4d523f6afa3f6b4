"""End-user claims: the OpenID Connect standard claims, the Identity Assurance additions and the
UK claims of this federation (NHS number, National Insurance number, UPRN, derived claims).

Sources: OpenID Connect Core 1.0 §5.1 (standard claims) and §5.1.1 (address); OpenID Connect
for Identity Assurance 1.0 §4 (additional claims about end-users) and the OpenID Foundation's
``claims_schema.json``; this federation's profile for the UK claims.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from pydantic import Field, ValidationInfo, field_validator, model_validator

from schemas._base import IsoDate, NonEmptyStr, Opt, SchemaModel, opt_field
from schemas.identifiers import (
    GssCode,
    NationalInsuranceNumber,
    NhsNumber,
    OdsCode,
    Uprn,
    check_uk_postcode,
)

__all__ = ["Address", "Claims", "PlaceOfBirth", "age_on", "is_age_over"]

OIDC = "OpenID Connect Core 1.0 §5.1"
OIDC_ADDRESS = "OpenID Connect Core 1.0 §5.1.1"
IDA = "OpenID Connect for Identity Assurance 1.0 §4"
UK = "ukid-interop UK profile"

CountryCode = Annotated[str, Field(pattern=r"^[A-Z]{2}[A-Z]?$")]
E164 = Annotated[str, Field(pattern=r"^[+]?[0-9]{5,15}$")]
PhoneNumber = Annotated[str, Field(pattern=r"^[+]?[0-9]{5,15}(;ext[0-9]{0,9})?$")]
Email = Annotated[str, Field(pattern=r"^[^@\s]+@[^@.\s]+(\.[^@\s]+)+$")]
Locale = Annotated[str, Field(pattern=r"^[a-zA-Z]{2}([-_][A-Z]{2}[a-zA-Z]?)?$")]

_UK_COUNTRY_CODES = frozenset({"GB", "GBR"})


class Address(SchemaModel):
    """A postal address (OpenID Connect Core §5.1.1), with the UPRN where the address is in the UK."""

    formatted: Opt[NonEmptyStr] = opt_field("Full mailing address, formatted for display.", OIDC_ADDRESS)
    street_address: Opt[NonEmptyStr] = opt_field(
        "Street address: house number, street name, flat; may span lines separated by newlines.",
        OIDC_ADDRESS,
    )
    locality: Opt[NonEmptyStr] = opt_field("City or town.", OIDC_ADDRESS)
    region: Opt[NonEmptyStr] = opt_field("State, province, county or region.", OIDC_ADDRESS)
    country_code: Opt[CountryCode] = opt_field(
        "ISO 3166-1 alpha-2 or alpha-3 country code, e.g. GB or GBR.", IDA
    )
    postal_code: Opt[NonEmptyStr] = opt_field(
        "Postcode. Must be a well-formed UK postcode when `country_code` is GB or GBR.", OIDC_ADDRESS
    )
    country: Opt[NonEmptyStr] = opt_field("Country name.", OIDC_ADDRESS)
    uprn: Opt[Uprn] = opt_field(
        "Unique Property Reference Number of the address (OS AddressBase), where known. "
        "Councils use it to tell whether the address is in their area.",
        UK,
    )

    @field_validator("postal_code")
    @classmethod
    def _uk_postcode(cls, value: str, info: ValidationInfo) -> str:
        if info.data.get("country_code") in _UK_COUNTRY_CODES:
            check_uk_postcode(value)
        return value

    @model_validator(mode="after")
    def _not_empty(self) -> Address:
        if not self.model_fields_set:
            raise ValueError("an address needs at least one member")
        return self


class PlaceOfBirth(SchemaModel):
    """Where the end-user was born (Identity Assurance §4)."""

    country: Opt[CountryCode] = opt_field("ISO 3166-1 alpha-2 or alpha-3 country code.", IDA)
    region: Opt[NonEmptyStr] = opt_field("State, province, county or region.", IDA)
    locality: Opt[NonEmptyStr] = opt_field("City or town.", IDA)

    @model_validator(mode="after")
    def _not_empty(self) -> PlaceOfBirth:
        if self.country is None and self.region is None and self.locality is None:
            raise ValueError("place_of_birth needs at least one of country, region, locality")
        return self


class Claims(SchemaModel):
    """Claims about the end-user: standard, Identity Assurance and UK claims.

    Inside ``verified_claims`` these are the claims the verification vouches for; inside an
    evidence element (``derived_claims``) they are the claims read from that piece of evidence.
    Unknown claim names are rejected so that a misspelt claim is an error, not a silent gap.
    """

    # OpenID Connect Core §5.1
    sub: Opt[NonEmptyStr] = opt_field("Subject identifier at the issuer.", OIDC)
    name: Opt[NonEmptyStr] = opt_field("Full name in displayable form.", OIDC)
    given_name: Opt[NonEmptyStr] = opt_field("Given name(s) or first name(s).", OIDC)
    family_name: Opt[NonEmptyStr] = opt_field("Surname(s) or last name(s).", OIDC)
    middle_name: Opt[NonEmptyStr] = opt_field("Middle name(s).", OIDC)
    nickname: Opt[NonEmptyStr] = opt_field("Casual name.", OIDC)
    preferred_username: Opt[NonEmptyStr] = opt_field(
        "Shorthand name the end-user wishes to be known by.", OIDC
    )
    profile: Opt[NonEmptyStr] = opt_field("URL of the end-user's profile page.", OIDC)
    picture: Opt[NonEmptyStr] = opt_field("URL of the end-user's profile picture.", OIDC)
    website: Opt[NonEmptyStr] = opt_field("URL of the end-user's web page or blog.", OIDC)
    email: Opt[Email] = opt_field("Email address.", OIDC)
    email_verified: Opt[bool] = opt_field("True if the email address was verified.", OIDC)
    gender: Opt[NonEmptyStr] = opt_field("Gender.", OIDC)
    birthdate: Opt[IsoDate] = opt_field("Date of birth, YYYY-MM-DD.", OIDC)
    zoneinfo: Opt[NonEmptyStr] = opt_field("Time zone, e.g. Europe/London.", OIDC)
    locale: Opt[Locale] = opt_field("Locale, BCP 47 language tag, e.g. en-GB or cy-GB.", OIDC)
    phone_number: Opt[PhoneNumber] = opt_field("Telephone number, E.164 format, e.g. +447700900123.", OIDC)
    phone_number_verified: Opt[bool] = opt_field("True if the phone number was verified.", OIDC)
    address: Opt[Address] = opt_field("Postal address.", OIDC)
    updated_at: Opt[Annotated[int, Field(ge=0)]] = opt_field(
        "Time the information was last updated, seconds since the Unix epoch.", OIDC
    )
    # OpenID Connect for Identity Assurance §4
    place_of_birth: Opt[PlaceOfBirth] = opt_field("Place of birth.", IDA)
    nationalities: Opt[Annotated[list[CountryCode], Field(min_length=1)]] = opt_field(
        "Nationalities, as ISO 3166-1 alpha-2 or alpha-3 country codes.", IDA
    )
    birth_family_name: Opt[NonEmptyStr] = opt_field("Family name(s) at birth.", IDA)
    birth_given_name: Opt[NonEmptyStr] = opt_field("Given name(s) at birth.", IDA)
    birth_middle_name: Opt[NonEmptyStr] = opt_field("Middle name(s) at birth.", IDA)
    salutation: Opt[NonEmptyStr] = opt_field("Salutation, e.g. Mr, Ms, Mx.", IDA)
    title: Opt[NonEmptyStr] = opt_field("Title, e.g. Dr.", IDA)
    msisdn: Opt[E164] = opt_field("Mobile phone number (MSISDN), E.164 digits.", IDA)
    also_known_as: Opt[NonEmptyStr] = opt_field("Stage name, religious name or other name used.", IDA)
    # UK claims of this federation
    nhs_number: Opt[NhsNumber] = opt_field(
        "NHS number (10 digits, modulus 11 check digit), as NHS login releases it.", UK
    )
    national_insurance_number: Opt[NationalInsuranceNumber] = opt_field(
        "National Insurance number, e.g. AB123456C.", UK
    )
    gp_ods_code: Opt[OdsCode] = opt_field("ODS code of the GP practice the person is registered with.", UK)
    identity_proofing_level: Opt[Literal["P0", "P5", "P9"]] = opt_field(
        "NHS login identity proofing level (P0, P5 or P9) this federation maps the verification to.", UK
    )
    age_over_16: Opt[bool] = opt_field(
        "Derived claim for minimal disclosure: true if the person is 16 or over, without the birthdate.",
        UK,
    )
    age_over_18: Opt[bool] = opt_field(
        "Derived claim for minimal disclosure: true if the person is 18 or over, without the birthdate.",
        UK,
    )
    age_over_21: Opt[bool] = opt_field(
        "Derived claim for minimal disclosure: true if the person is 21 or over, without the birthdate.",
        UK,
    )
    resident_in_local_authority: Opt[GssCode] = opt_field(
        "Derived claim for minimal disclosure: GSS code of the local authority in whose area the "
        "verified address lies, without the address itself.",
        UK,
    )

    def names(self) -> frozenset[str]:
        """The names of the claims that have a value (members are absent or non-null, never null)."""
        return frozenset(self.model_fields_set)


def age_on(birthdate: date, today: date) -> int:
    """Age in whole years on ``today`` (a birthday on 29 February counts from 1 March)."""
    years = today.year - birthdate.year
    if (today.month, today.day) < (birthdate.month, birthdate.day):
        years -= 1
    return years


def is_age_over(birthdate: date, years: int, today: date) -> bool:
    """True if the person born on ``birthdate`` is ``years`` old or more on ``today``."""
    return age_on(birthdate, today) >= years
