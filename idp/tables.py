"""The identity provider's tables (SQLAlchemy Core). The Alembic migrations in ``migrations/`` create them.

Times are integer seconds since the Unix epoch. Codes, tokens, session and interaction handles and
PAR ``request_uri`` values are stored only as their SHA-256 (hex): a copy of the database gives no
usable credential. Client IDs of federation relying parties are entity IDs (URLs, up to 2048).
"""

from __future__ import annotations

from sqlalchemy import JSON, BigInteger, Column, ForeignKey, Index, Integer, MetaData, String, Table, Text

__all__ = [
    "accounts",
    "client_assertions",
    "codes",
    "consents",
    "evidence",
    "grants",
    "held_trust_marks",
    "interactions",
    "metadata",
    "par_requests",
    "proofing_attempts",
    "recovery_codes",
    "registered_clients",
    "releases",
    "sessions",
    "tokens",
    "vouch_codes",
    "voucher_sessions",
    "vouchers",
]

metadata = MetaData()

CLIENT_ID = 2048
HASH = 64
UUID = 36

accounts = Table(
    "accounts",
    metadata,
    Column("id", String(UUID), primary_key=True),
    Column("username", String(254), nullable=False, unique=True),
    Column("password_hash", String(255), nullable=False),
    # standard claims held for the citizen (OpenID Connect Core §5.1), verified or not
    Column("claims", JSON, nullable=False),
    Column("failed_logins", Integer, nullable=False, default=0),
    Column("locked_until", BigInteger),
    Column("created_at", BigInteger, nullable=False),
    # TOTP second factor (RFC 6238): the base32 secret, when enrolment was confirmed, and the last
    # time step accepted (a code is never accepted twice)
    Column("totp_secret", String(64)),
    Column("totp_confirmed_at", BigInteger),
    Column("totp_last_step", BigInteger),
)

recovery_codes = Table(
    "recovery_codes",
    metadata,
    # one-time codes that stand in for the TOTP code (stored as SHA-256)
    Column("account_id", String(UUID), ForeignKey("accounts.id", ondelete="CASCADE"), primary_key=True),
    Column("code_hash", String(HASH), primary_key=True),
    Column("created_at", BigInteger, nullable=False),
    Column("used_at", BigInteger),
)

proofing_attempts = Table(
    "proofing_attempts",
    metadata,
    # every attempt at a proofing step (document | kbv | vouch), for rate limits and the account page
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("account_id", String(UUID), ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("succeeded", Integer, nullable=False),
    Column("at", BigInteger, nullable=False),
    Index("ix_proofing_attempts_account", "account_id", "kind", "at"),
)

vouchers = Table(
    "vouchers",
    metadata,
    # people registered to vouch (hostel key worker, prison resettlement officer, GP practice manager)
    Column("id", String(UUID), primary_key=True),
    Column("username", String(254), nullable=False, unique=True),
    Column("password_hash", String(255), nullable=False),
    Column("name", String(256), nullable=False),
    Column("occupation", String(256), nullable=False),
    Column("organization", String(512), nullable=False),
    # vouch codes this voucher may issue per day
    Column("daily_limit", Integer, nullable=False),
    Column("failed_logins", Integer, nullable=False, default=0),
    Column("locked_until", BigInteger),
    Column("created_at", BigInteger, nullable=False),
)

voucher_sessions = Table(
    "voucher_sessions",
    metadata,
    Column("id_hash", String(HASH), primary_key=True),
    Column("voucher_id", String(UUID), ForeignKey("vouchers.id", ondelete="CASCADE"), nullable=False),
    Column("created_at", BigInteger, nullable=False),
    Column("expires_at", BigInteger, nullable=False),
    Column("ended_at", BigInteger),
)

vouch_codes = Table(
    "vouch_codes",
    metadata,
    # a one-time code a voucher issued for a named person (stored as SHA-256)
    Column("code_hash", String(HASH), primary_key=True),
    Column("voucher_id", String(UUID), ForeignKey("vouchers.id", ondelete="CASCADE"), nullable=False),
    Column("given_name", String(256), nullable=False),
    Column("family_name", String(256), nullable=False),
    Column("birthdate", String(10), nullable=False),
    # how the voucher knows the person, in their words (kept here for the voucher; never released)
    Column("relationship", String(512), nullable=False),
    Column("created_at", BigInteger, nullable=False),
    Column("expires_at", BigInteger, nullable=False),
    Column("used_at", BigInteger),
    Column("used_by", String(UUID), ForeignKey("accounts.id", ondelete="SET NULL")),
    Index("ix_vouch_codes_voucher", "voucher_id", "created_at"),
)

evidence = Table(
    "evidence",
    metadata,
    Column("id", String(UUID), primary_key=True),
    Column("account_id", String(UUID), ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False),
    # document | electronic_record | vouch (OIDC for Identity Assurance 1.0 §5.1.1)
    Column("type", String(32), nullable=False),
    # the evidence object as released in verified_claims (check_details, document_details ...)
    Column("evidence", JSON, nullable=False),
    # this evidence's GPG 45 contribution:
    # strength, validity, activity_history, identity_fraud, verification
    Column("scores", JSON, nullable=False),
    Column("verified_at", BigInteger, nullable=False),
    Index("ix_evidence_account", "account_id"),
)

registered_clients = Table(
    "registered_clients",
    metadata,
    # explicit registration (OpenID Federation 1.0 §12.2): the RP's entity ID
    Column("client_id", String(CLIENT_ID), primary_key=True),
    Column("trust_anchor", String(CLIENT_ID), nullable=False),
    # the openid_relying_party metadata after the chain's policy, as in the registration response
    Column("metadata", JSON, nullable=False),
    Column("organization_name", String(512)),
    Column("trust_mark_types", JSON, nullable=False),
    Column("registered_at", BigInteger, nullable=False),
    Column("expires_at", BigInteger, nullable=False),
)

par_requests = Table(
    "par_requests",
    metadata,
    Column("handle_hash", String(HASH), primary_key=True),
    Column("client_id", String(CLIENT_ID), nullable=False),
    # the validated authorization request (RFC 9126 §2.1)
    Column("request", JSON, nullable=False),
    Column("expires_at", BigInteger, nullable=False),
    Column("used_at", BigInteger),
)

interactions = Table(
    "interactions",
    metadata,
    # one authorization request being answered in a browser: sign-in, then consent
    Column("id_hash", String(HASH), primary_key=True),
    Column("browser_hash", String(HASH), nullable=False),
    Column("client_id", String(CLIENT_ID), nullable=False),
    Column("request", JSON, nullable=False),
    Column("account_id", String(UUID), ForeignKey("accounts.id", ondelete="CASCADE")),
    Column("created_at", BigInteger, nullable=False),
    Column("expires_at", BigInteger, nullable=False),
    Column("completed_at", BigInteger),
)

sessions = Table(
    "sessions",
    metadata,
    Column("id_hash", String(HASH), primary_key=True),
    Column("account_id", String(UUID), ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False),
    Column("auth_time", BigInteger, nullable=False),
    # authentication methods (RFC 8176 amr values) and the credential vector component (Cl, Cl.Cm)
    Column("amr", JSON, nullable=False),
    Column("credential", String(32), nullable=False),
    Column("expires_at", BigInteger, nullable=False),
    Column("ended_at", BigInteger),
)

consents = Table(
    "consents",
    metadata,
    Column("account_id", String(UUID), ForeignKey("accounts.id", ondelete="CASCADE"), primary_key=True),
    Column("client_id", String(CLIENT_ID), primary_key=True),
    Column("organization_name", String(512)),
    Column("scopes", JSON, nullable=False),
    # claim names the citizen agreed to release to this client
    Column("claims", JSON, nullable=False),
    Column("granted_at", BigInteger, nullable=False),
    Column("revoked_at", BigInteger),
)

grants = Table(
    "grants",
    metadata,
    # what one authorization gave one client: the code and every token issued from it hang off it
    Column("id", String(UUID), primary_key=True),
    Column("account_id", String(UUID), ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False),
    Column("client_id", String(CLIENT_ID), nullable=False),
    Column("scope", String(1024), nullable=False),
    # the claims request (OpenID Connect Core §5.5) and the claim names the citizen consented to
    Column("claims_request", JSON),
    Column("consented_claims", JSON, nullable=False),
    Column("vot", String(64)),
    Column("acr", String(256)),
    Column("auth_time", BigInteger, nullable=False),
    Column("amr", JSON, nullable=False),
    Column("created_at", BigInteger, nullable=False),
    Column("revoked_at", BigInteger),
    Index("ix_grants_account_client", "account_id", "client_id"),
)

codes = Table(
    "codes",
    metadata,
    Column("code_hash", String(HASH), primary_key=True),
    Column("grant_id", String(UUID), ForeignKey("grants.id", ondelete="CASCADE"), nullable=False),
    Column("client_id", String(CLIENT_ID), nullable=False),
    Column("redirect_uri", Text, nullable=False),
    Column("code_challenge", String(128), nullable=False),
    Column("nonce", String(512)),
    Column("expires_at", BigInteger, nullable=False),
    Column("used_at", BigInteger),
)

tokens = Table(
    "tokens",
    metadata,
    Column("token_hash", String(HASH), primary_key=True),
    Column("grant_id", String(UUID), ForeignKey("grants.id", ondelete="CASCADE"), nullable=False),
    # access | refresh
    Column("kind", String(16), nullable=False),
    Column("client_id", String(CLIENT_ID), nullable=False),
    Column("created_at", BigInteger, nullable=False),
    Column("expires_at", BigInteger, nullable=False),
    # a refresh token is used once: rotation (OAuth 2.0 Security BCP §4.14.2)
    Column("used_at", BigInteger),
    Column("revoked_at", BigInteger),
    Index("ix_tokens_grant", "grant_id"),
)

client_assertions = Table(
    "client_assertions",
    metadata,
    # SHA-256 of client_id and jti: a client assertion is accepted once (RFC 7523 §3, item 7)
    Column("key_hash", String(HASH), primary_key=True),
    Column("expires_at", BigInteger, nullable=False),
)

held_trust_marks = Table(
    "held_trust_marks",
    metadata,
    Column("trust_mark_type", String(CLIENT_ID), primary_key=True),
    Column("issuer", String(CLIENT_ID), nullable=False),
    Column("trust_mark", Text, nullable=False),
    Column("expires_at", BigInteger),
    Column("fetched_at", BigInteger, nullable=False),
)

releases = Table(
    "releases",
    metadata,
    # every release of data to a client: the citizen's record of who received what
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("account_id", String(UUID), ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False),
    Column("client_id", String(CLIENT_ID), nullable=False),
    Column("organization_name", String(512)),
    # id_token | userinfo
    Column("channel", String(16), nullable=False),
    Column("claims", JSON, nullable=False),
    Column("level", String(16)),
    Column("released_at", BigInteger, nullable=False),
    Index("ix_releases_account", "account_id", "released_at"),
)
