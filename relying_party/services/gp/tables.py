"""The GP practice's own tables (SQLAlchemy Core): patient registrations and repeat prescription
orders, beside the relying-party library's tables.

A patient is known by ``account``: the SHA-256 of the identity provider's issuer and the subject
(OpenID Connect Core §2: ``sub`` is unique only within one issuer), so one person registers once per
identity provider.
"""

from __future__ import annotations

from sqlalchemy import JSON, BigInteger, Boolean, Column, MetaData, String, Table, Text, UniqueConstraint

__all__ = ["metadata", "orders", "registrations"]

metadata = MetaData()
HASH = 64
REFERENCE = 16

registrations = Table(
    "gp_registrations",
    metadata,
    Column("reference", String(REFERENCE), primary_key=True),
    Column("account", String(HASH), nullable=False),
    Column("subject", Text, nullable=False),
    Column("issuer", Text, nullable=False),
    Column("given_name", Text, nullable=False),
    Column("family_name", Text, nullable=False),
    Column("birthdate", String(10), nullable=False),
    Column("nhs_number", String(10), nullable=True),
    #: The address as one line, or "no fixed address".
    Column("address", Text, nullable=False),
    #: True when the address came verified from the identity provider.
    Column("address_verified", Boolean, nullable=False),
    #: A contact number in E.164 form (+44...), or None.
    Column("phone", String(16), nullable=True),
    Column("level", String(16), nullable=False),
    #: How the identity was proven, in words (e.g. "vouch by Hostel key worker, ...").
    Column("evidence", Text, nullable=False),
    Column("created_at", BigInteger, nullable=False),
    UniqueConstraint("account", name="uq_gp_registrations_account"),
)

orders = Table(
    "gp_prescription_orders",
    metadata,
    Column("reference", String(REFERENCE), primary_key=True),
    Column("account", String(HASH), nullable=False, index=True),
    Column("subject", Text, nullable=False),
    Column("issuer", Text, nullable=False),
    Column("nhs_number", String(10), nullable=False),
    #: The names of the medicines ordered.
    Column("medicines", JSON, nullable=False),
    Column("created_at", BigInteger, nullable=False),
)
