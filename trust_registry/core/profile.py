"""This federation's profile: the metadata policy the registry puts in every subordinate statement,
the trust mark types it knows, and the checks a new member's metadata must pass.

Sources: OpenID Federation 1.0 §6.1 (metadata policy operators), RFC 7636 §4.2 (PKCE ``S256``),
RFC 7523 / OIDC Core §9 (``private_key_jwt``), OAuth 2.0 Security BCP (RFC 9700) §2.1 (code flow,
exact redirect URIs over https), and the ukid-interop federation profile (``schemas/records.py``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import urlsplit

from federation.errors import Check, InvalidMetadata
from schemas.records import (
    CertifiedIdspTrustMark,
    CouncilTrustMark,
    NhsOrganisationTrustMark,
    TrustMarkClaims,
    TrustMarkKind,
    trust_mark_type,
)

__all__ = [
    "TRUST_MARK_MODELS",
    "check_member_metadata",
    "contains_nul",
    "kind_of",
    "profile_policy",
    "resolve_type",
]

#: The claims model of each of this federation's trust mark types.
TRUST_MARK_MODELS: dict[TrustMarkKind, type[TrustMarkClaims]] = {
    TrustMarkKind.CERTIFIED_IDENTITY_SERVICE_PROVIDER: CertifiedIdspTrustMark,
    TrustMarkKind.COUNCIL: CouncilTrustMark,
    TrustMarkKind.NHS_ORGANISATION: NhsOrganisationTrustMark,
}


def resolve_type(anchor: str, name: str) -> str:
    """A trust mark type from a kind name (``council``) or a full type URL."""
    try:
        return trust_mark_type(anchor, TrustMarkKind(name))
    except ValueError:
        return name


def kind_of(anchor: str, type_url: str) -> TrustMarkKind | None:
    """The federation kind of a trust mark type URL under ``anchor``, or None."""
    for kind in TrustMarkKind:
        if trust_mark_type(anchor, kind) == type_url:
            return kind
    return None


def profile_policy(algorithms: Sequence[str]) -> dict[str, dict[str, dict[str, Any]]]:
    """The federation profile's ``metadata_policy`` for OpenID providers and relying parties (§6.1).

    Relying parties: authorization code flow only, ``private_key_jwt`` client authentication,
    signing algorithms from the allow-list. Providers: PKCE ``S256`` only, code flow, the same
    algorithms, ``private_key_jwt``. ``none`` is never an allowed algorithm.
    """
    algs = [a for a in algorithms if a != "none"]
    return {
        "openid_relying_party": {
            "token_endpoint_auth_method": {"one_of": ["private_key_jwt"], "default": "private_key_jwt"},
            "response_types": {"subset_of": ["code"], "default": ["code"]},
            "grant_types": {"subset_of": ["authorization_code", "refresh_token"]},
            "id_token_signed_response_alg": {"one_of": algs},
            "request_object_signing_alg": {"one_of": algs},
            "token_endpoint_auth_signing_alg": {"one_of": algs},
            "userinfo_signed_response_alg": {"one_of": algs},
        },
        "openid_provider": {
            "code_challenge_methods_supported": {"subset_of": ["S256"], "essential": True},
            "response_types_supported": {"subset_of": ["code"], "essential": True},
            "grant_types_supported": {"subset_of": ["authorization_code", "refresh_token"]},
            "token_endpoint_auth_methods_supported": {"subset_of": ["private_key_jwt"]},
            "id_token_signing_alg_values_supported": {"subset_of": algs, "essential": True},
            "request_object_signing_alg_values_supported": {"subset_of": algs},
            "token_endpoint_auth_signing_alg_values_supported": {"subset_of": algs},
        },
    }


def check_member_metadata(metadata: Mapping[str, Mapping[str, Any]], *, allow_http: bool) -> None:
    """Checks the metadata policy operators cannot express (RFC 9700 §2.1, §4.1.1).

    Relying parties need at least one redirect URI, each absolute, without a fragment, and
    https unless this is a development federation (plain http only to a loopback host, RFC 8252 §7.3).
    """
    rp = metadata.get("openid_relying_party")
    if rp is None:
        return
    uris = rp.get("redirect_uris")
    if not isinstance(uris, list) or not uris or not all(isinstance(u, str) for u in uris):
        raise InvalidMetadata(
            "openid_relying_party: redirect_uris must be a non-empty array of URLs", check=Check.METADATA
        )
    for uri in uris:
        try:
            parts = urlsplit(uri)
        except ValueError:  # e.g. an unclosed IPv6 literal
            parts = urlsplit("")
        if parts.fragment or not parts.hostname:
            raise InvalidMetadata(
                f"openid_relying_party: redirect URI {uri!r} must be absolute, with no fragment",
                check=Check.METADATA,
            )
        loopback = parts.hostname in ("127.0.0.1", "localhost", "::1")
        if parts.scheme != "https" and not (allow_http and parts.scheme == "http" and loopback):
            raise InvalidMetadata(
                f"openid_relying_party: redirect URI {uri!r} must use https"
                + ("" if allow_http else " (plain http only in a development federation, on loopback)"),
                check=Check.METADATA,
            )


def contains_nul(value: Any) -> bool:
    """True when a string or member name anywhere in ``value`` holds U+0000 (PostgreSQL text cannot)."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str) and "\x00" in item:
            return True
        if isinstance(item, dict):
            stack.extend(item)
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return False
