"""The provider's metadata: OpenID Connect Discovery 1.0 §3 with Identity Assurance 1.0 §8, the
Vectors of Trust it asserts (RFC 8485) and its trustmark document.

The same dictionary is the ``openid_provider`` metadata of the entity configuration (OpenID
Federation 1.0 §5.1.3), with ``client_registration_types_supported`` and the registration endpoint.
"""

from __future__ import annotations

from typing import Any

from idp.core.config import IdpConfig
from schemas.evidence import CheckMethod
from schemas.verified_claims import UK_DIATF
from schemas.vot import gov_uk_one_login_trustmark

__all__ = [
    "ACR_VALUES",
    "CLAIMS_IN_VERIFIED_CLAIMS",
    "CLAIMS_SUPPORTED",
    "SCOPES",
    "SCOPE_CLAIMS",
    "UI_LOCALES",
    "provider_metadata",
    "trustmark_document",
]

#: OpenID Connect Core §5.4 scopes, plus offline_access (§11) for refresh tokens.
SCOPES = ("openid", "profile", "email", "address", "phone", "offline_access")
CLAIMS_SUPPORTED = (
    "sub",
    "iss",
    "auth_time",
    "acr",
    "vot",
    "vtm",
    "given_name",
    "family_name",
    "birthdate",
    "address",
    "email",
    "email_verified",
    "phone_number",
    "phone_number_verified",
    "nhs_number",
    "verified_claims",
)
#: Claims each scope stands for (OpenID Connect Core §5.4); ``openid`` gives ``sub`` only.
SCOPE_CLAIMS: dict[str, tuple[str, ...]] = {
    "profile": ("given_name", "family_name", "birthdate"),
    "email": ("email", "email_verified"),
    "address": ("address",),
    "phone": ("phone_number", "phone_number_verified"),
}
CLAIMS_IN_VERIFIED_CLAIMS = ("given_name", "family_name", "birthdate", "address", "nhs_number")
#: ``acr`` values: the GPG 45 level of confidence reached (urn of this federation's profile).
ACR_VALUES = (
    "urn:ukid:gpg45:none",
    "urn:ukid:gpg45:low",
    "urn:ukid:gpg45:medium",
    "urn:ukid:gpg45:high",
    "urn:ukid:gpg45:very_high",
)
UI_LOCALES = ("en", "cy")


def trustmark_document(config: IdpConfig) -> dict[str, Any]:
    """The ``vtm`` document (RFC 8485 §5): GOV.UK One Login's values, provided by the trust anchor."""
    provider = config.trust_anchors[0].entity_id if config.trust_anchors else config.issuer
    return gov_uk_one_login_trustmark(config.issuer, provider).model_dump(mode="json")


def provider_metadata(config: IdpConfig, *, secret_clients: bool) -> dict[str, Any]:
    """The provider's metadata; ``secret_clients`` adds the client secret methods (dev static clients)."""
    endpoints = config.endpoints
    auth_methods = ["private_key_jwt"]
    if secret_clients:
        auth_methods += ["client_secret_basic", "client_secret_post"]
    trustmark = trustmark_document(config)
    vectors = [f"{c}.{p}" if p != "P0" else c for c in trustmark["C"] for p in trustmark["P"]]
    return {
        "issuer": config.issuer,
        "authorization_endpoint": endpoints.authorization,
        "pushed_authorization_request_endpoint": endpoints.pushed_authorization_request,
        "require_pushed_authorization_requests": False,
        "token_endpoint": endpoints.token,
        "userinfo_endpoint": endpoints.userinfo,
        "jwks_uri": endpoints.jwks,
        "end_session_endpoint": endpoints.end_session,
        "revocation_endpoint": endpoints.revocation,
        "scopes_supported": list(SCOPES),
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "grant_types_supported": ["authorization_code", "refresh_token"],
        "subject_types_supported": ["pairwise"],
        "id_token_signing_alg_values_supported": list(config.id_token_algorithms),
        "token_endpoint_auth_methods_supported": auth_methods,
        "token_endpoint_auth_signing_alg_values_supported": list(config.client_assertion_algorithms),
        "revocation_endpoint_auth_methods_supported": auth_methods,
        "revocation_endpoint_auth_signing_alg_values_supported": list(config.client_assertion_algorithms),
        "code_challenge_methods_supported": ["S256"],
        "claims_parameter_supported": True,
        "request_parameter_supported": False,
        "request_uri_parameter_supported": False,
        "authorization_response_iss_parameter_supported": True,
        "prompt_values_supported": ["none", "login", "consent", "select_account"],
        "ui_locales_supported": list(UI_LOCALES),
        "claims_locales_supported": ["en"],
        "acr_values_supported": list(ACR_VALUES),
        "claims_supported": list(CLAIMS_SUPPORTED),
        # Vectors of Trust (RFC 8485), as GOV.UK One Login publishes them
        "vtr_values_supported": vectors,
        "trustmarks": endpoints.trustmark,
        # OpenID Connect for Identity Assurance 1.0 §8
        "verified_claims_supported": True,
        "trust_frameworks_supported": [UK_DIATF],
        "evidence_supported": ["document", "electronic_record", "vouch"],
        "documents_supported": ["passport", "driving_permit", "idcard"],
        "documents_check_methods_supported": [m.value for m in CheckMethod],
        "electronic_records_supported": [
            "bank_account",
            "utility_account",
            "council_tax",
            "mortgage_account",
        ],
        "claims_in_verified_claims_supported": list(CLAIMS_IN_VERIFIED_CLAIMS),
    }
