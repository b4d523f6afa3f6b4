"""The identity provider's first schema: accounts and evidence, clients, PAR requests, interactions,
sessions, consents, grants with their codes and tokens, client assertion replay guard, held trust
marks, releases.

Revision ID: 0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

CLIENT_ID = 2048
HASH = 64
UUID = 36


def upgrade() -> None:
    op.create_table(
        "accounts",
        sa.Column("id", sa.String(UUID), primary_key=True),
        sa.Column("username", sa.String(254), nullable=False, unique=True),
        sa.Column("password_hash", sa.String(255), nullable=False),
        # standard claims held for the citizen (OpenID Connect Core §5.1), verified or not
        sa.Column("claims", sa.JSON, nullable=False),
        sa.Column("failed_logins", sa.Integer, nullable=False, default=0),
        sa.Column("locked_until", sa.BigInteger),
        sa.Column("created_at", sa.BigInteger, nullable=False),
    )
    op.create_table(
        "evidence",
        sa.Column("id", sa.String(UUID), primary_key=True),
        sa.Column(
            "account_id", sa.String(UUID), sa.ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False
        ),
        # document | electronic_record | vouch (OIDC for Identity Assurance 1.0 §5.1.1)
        sa.Column("type", sa.String(32), nullable=False),
        # the evidence object as released in verified_claims (check_details, document_details ...)
        sa.Column("evidence", sa.JSON, nullable=False),
        # this evidence's GPG 45 contribution:
        # strength, validity, activity_history, identity_fraud, verification
        sa.Column("scores", sa.JSON, nullable=False),
        sa.Column("verified_at", sa.BigInteger, nullable=False),
    )
    op.create_index("ix_evidence_account", "evidence", ["account_id"])
    op.create_table(
        "registered_clients",
        # explicit registration (OpenID Federation 1.0 §12.2): the RP's entity ID
        sa.Column("client_id", sa.String(CLIENT_ID), primary_key=True),
        sa.Column("trust_anchor", sa.String(CLIENT_ID), nullable=False),
        # the openid_relying_party metadata after the chain's policy, as in the registration response
        sa.Column("metadata", sa.JSON, nullable=False),
        sa.Column("organization_name", sa.String(512)),
        sa.Column("trust_mark_types", sa.JSON, nullable=False),
        sa.Column("registered_at", sa.BigInteger, nullable=False),
        sa.Column("expires_at", sa.BigInteger, nullable=False),
    )
    op.create_table(
        "par_requests",
        sa.Column("handle_hash", sa.String(HASH), primary_key=True),
        sa.Column("client_id", sa.String(CLIENT_ID), nullable=False),
        # the validated authorization request (RFC 9126 §2.1)
        sa.Column("request", sa.JSON, nullable=False),
        sa.Column("expires_at", sa.BigInteger, nullable=False),
        sa.Column("used_at", sa.BigInteger),
    )
    op.create_table(
        "interactions",
        # one authorization request being answered in a browser: sign-in, then consent
        sa.Column("id_hash", sa.String(HASH), primary_key=True),
        sa.Column("browser_hash", sa.String(HASH), nullable=False),
        sa.Column("client_id", sa.String(CLIENT_ID), nullable=False),
        sa.Column("request", sa.JSON, nullable=False),
        sa.Column("account_id", sa.String(UUID), sa.ForeignKey("accounts.id", ondelete="CASCADE")),
        sa.Column("created_at", sa.BigInteger, nullable=False),
        sa.Column("expires_at", sa.BigInteger, nullable=False),
        sa.Column("completed_at", sa.BigInteger),
    )
    op.create_table(
        "sessions",
        sa.Column("id_hash", sa.String(HASH), primary_key=True),
        sa.Column(
            "account_id", sa.String(UUID), sa.ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("auth_time", sa.BigInteger, nullable=False),
        # authentication methods (RFC 8176 amr values) and the credential vector component (Cl, Cl.Cm)
        sa.Column("amr", sa.JSON, nullable=False),
        sa.Column("credential", sa.String(32), nullable=False),
        sa.Column("expires_at", sa.BigInteger, nullable=False),
        sa.Column("ended_at", sa.BigInteger),
    )
    op.create_table(
        "consents",
        sa.Column(
            "account_id", sa.String(UUID), sa.ForeignKey("accounts.id", ondelete="CASCADE"), primary_key=True
        ),
        sa.Column("client_id", sa.String(CLIENT_ID), primary_key=True),
        sa.Column("organization_name", sa.String(512)),
        sa.Column("scopes", sa.JSON, nullable=False),
        # claim names the citizen agreed to release to this client
        sa.Column("claims", sa.JSON, nullable=False),
        sa.Column("granted_at", sa.BigInteger, nullable=False),
        sa.Column("revoked_at", sa.BigInteger),
    )
    op.create_table(
        "grants",
        # what one authorization gave one client: the code and every token issued from it hang off it
        sa.Column("id", sa.String(UUID), primary_key=True),
        sa.Column(
            "account_id", sa.String(UUID), sa.ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("client_id", sa.String(CLIENT_ID), nullable=False),
        sa.Column("scope", sa.String(1024), nullable=False),
        # the claims request (OpenID Connect Core §5.5) and the claim names the citizen consented to
        sa.Column("claims_request", sa.JSON),
        sa.Column("consented_claims", sa.JSON, nullable=False),
        sa.Column("vot", sa.String(64)),
        sa.Column("acr", sa.String(256)),
        sa.Column("auth_time", sa.BigInteger, nullable=False),
        sa.Column("amr", sa.JSON, nullable=False),
        sa.Column("created_at", sa.BigInteger, nullable=False),
        sa.Column("revoked_at", sa.BigInteger),
    )
    op.create_index("ix_grants_account_client", "grants", ["account_id", "client_id"])
    op.create_table(
        "codes",
        sa.Column("code_hash", sa.String(HASH), primary_key=True),
        sa.Column(
            "grant_id", sa.String(UUID), sa.ForeignKey("grants.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("client_id", sa.String(CLIENT_ID), nullable=False),
        sa.Column("redirect_uri", sa.Text, nullable=False),
        sa.Column("code_challenge", sa.String(128), nullable=False),
        sa.Column("nonce", sa.String(512)),
        sa.Column("expires_at", sa.BigInteger, nullable=False),
        sa.Column("used_at", sa.BigInteger),
    )
    op.create_table(
        "tokens",
        sa.Column("token_hash", sa.String(HASH), primary_key=True),
        sa.Column(
            "grant_id", sa.String(UUID), sa.ForeignKey("grants.id", ondelete="CASCADE"), nullable=False
        ),
        # access | refresh
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("client_id", sa.String(CLIENT_ID), nullable=False),
        sa.Column("created_at", sa.BigInteger, nullable=False),
        sa.Column("expires_at", sa.BigInteger, nullable=False),
        # a refresh token is used once: rotation (OAuth 2.0 Security BCP §4.14.2)
        sa.Column("used_at", sa.BigInteger),
        sa.Column("revoked_at", sa.BigInteger),
    )
    op.create_index("ix_tokens_grant", "tokens", ["grant_id"])
    op.create_table(
        "client_assertions",
        # SHA-256 of client_id and jti: a client assertion is accepted once (RFC 7523 §3, item 7)
        sa.Column("key_hash", sa.String(HASH), primary_key=True),
        sa.Column("expires_at", sa.BigInteger, nullable=False),
    )
    op.create_table(
        "held_trust_marks",
        sa.Column("trust_mark_type", sa.String(CLIENT_ID), primary_key=True),
        sa.Column("issuer", sa.String(CLIENT_ID), nullable=False),
        sa.Column("trust_mark", sa.Text, nullable=False),
        sa.Column("expires_at", sa.BigInteger),
        sa.Column("fetched_at", sa.BigInteger, nullable=False),
    )
    op.create_table(
        "releases",
        # every release of data to a client: the citizen's record of who received what
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column(
            "account_id", sa.String(UUID), sa.ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("client_id", sa.String(CLIENT_ID), nullable=False),
        sa.Column("organization_name", sa.String(512)),
        # id_token | userinfo
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("claims", sa.JSON, nullable=False),
        sa.Column("level", sa.String(16)),
        sa.Column("released_at", sa.BigInteger, nullable=False),
    )
    op.create_index("ix_releases_account", "releases", ["account_id", "released_at"])


def downgrade() -> None:
    op.drop_table("releases")
    op.drop_table("held_trust_marks")
    op.drop_table("client_assertions")
    op.drop_table("tokens")
    op.drop_table("codes")
    op.drop_table("grants")
    op.drop_table("consents")
    op.drop_table("sessions")
    op.drop_table("interactions")
    op.drop_table("par_requests")
    op.drop_table("registered_clients")
    op.drop_table("evidence")
    op.drop_table("accounts")
