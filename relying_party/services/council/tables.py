"""The council's own tables (SQLAlchemy Core), beside the relying-party library's: the applications.

Each application records who applied as the identity provider knows them (``subject`` at ``issuer``,
OpenID Connect Core §2: the pair is the stable identifier) and the level of confidence accepted, with
only what the service needs: the parking permit never stores a name or a date of birth.
"""

from __future__ import annotations

from sqlalchemy import JSON, BigInteger, Column, MetaData, String, Table, Text

__all__ = ["blue_badges", "metadata", "parking_permits"]

metadata = MetaData()

parking_permits = Table(
    "council_parking_permits",
    metadata,
    Column("reference", String(16), primary_key=True),
    Column("subject", String(255), nullable=False),
    Column("issuer", Text, nullable=False),
    Column("level", String(16), nullable=False),
    Column("uprn", String(12), nullable=False),
    Column("zone", String(200), nullable=False),
    Column("vehicle_registration", String(8), nullable=False),
    Column("created_at", BigInteger, nullable=False),
)

blue_badges = Table(
    "council_blue_badges",
    metadata,
    Column("reference", String(16), primary_key=True),
    Column("subject", String(255), nullable=False),
    Column("issuer", Text, nullable=False),
    Column("level", String(16), nullable=False),
    Column("given_name", Text, nullable=False),
    Column("family_name", Text, nullable=False),
    Column("birthdate", String(10), nullable=False),
    Column("address", JSON, nullable=False),
    Column("reason", String(32), nullable=False),
    Column("created_at", BigInteger, nullable=False),
)
