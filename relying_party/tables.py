"""The relying-party library's tables: pending logins and signed-in sessions (SQLAlchemy Core).

Only digests of the ``state`` and of session handles are stored, never the values the browser holds.
"""

from __future__ import annotations

from sqlalchemy import JSON, BigInteger, Column, MetaData, String, Table, Text

__all__ = ["logins", "metadata", "sessions"]

metadata = MetaData()
HASH = 64

logins = Table(
    "rp_logins",
    metadata,
    Column("state_hash", String(HASH), primary_key=True),
    Column("session_hash", String(HASH), nullable=False),
    Column("issuer", Text, nullable=False),
    Column("service", String(64), nullable=False),
    Column("nonce", String(128), nullable=False),
    Column("code_verifier", String(128), nullable=False),
    Column("vtr", JSON, nullable=False),
    Column("return_to", Text, nullable=False),
    Column("created_at", BigInteger, nullable=False),
    Column("expires_at", BigInteger, nullable=False, index=True),
)

sessions = Table(
    "rp_sessions",
    metadata,
    Column("id_hash", String(HASH), primary_key=True),
    Column("results", JSON, nullable=False),
    Column("created_at", BigInteger, nullable=False),
    Column("expires_at", BigInteger, nullable=False, index=True),
)
