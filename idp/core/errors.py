"""Typed OAuth 2.0 / OpenID Connect errors: one class per wire ``error`` code.

Each carries a public ``description`` (sent as ``error_description``) and an optional private
``detail`` that is logged, never sent. The endpoints render them as JSON (RFC 6749 §5.2), as a
redirect to the client with ``state`` and ``iss`` (RFC 6749 §4.1.2.1, RFC 9207), as a
``WWW-Authenticate`` challenge (RFC 6750 §3) or as an error page when the redirect URI is not
trusted (RFC 6749 §4.1.2.1: never redirect to an unverified URI).
"""

from __future__ import annotations

from typing import ClassVar

__all__ = [
    "AccessDenied",
    "ConsentRequired",
    "InsufficientScope",
    "InteractionRequired",
    "InvalidClient",
    "InvalidGrant",
    "InvalidRequest",
    "InvalidRequestUri",
    "InvalidScope",
    "InvalidToken",
    "LoginRequired",
    "OAuthError",
    "RequestNotSupported",
    "ServerError",
    "TemporarilyUnavailable",
    "UnauthorizedClient",
    "UnmetAuthenticationRequirements",
    "UnsupportedGrantType",
    "UnsupportedResponseType",
    "UnsupportedTokenType",
]


class OAuthError(Exception):
    """Base of every OAuth error; ``error`` and ``status_code`` are the wire form."""

    error: ClassVar[str] = "server_error"
    status_code: ClassVar[int] = 500

    def __init__(self, description: str, *, detail: str | None = None) -> None:
        super().__init__(description)
        self.description = description
        self.detail = detail

    def to_dict(self) -> dict[str, str]:
        """The JSON error body: ``{"error", "error_description"}`` (never the private detail)."""
        return {"error": self.error, "error_description": self.description}

    def __repr__(self) -> str:
        return f"{type(self).__name__}(error={self.error!r}, description={self.description!r})"


class InvalidRequest(OAuthError):
    """RFC 6749 §4.1.2.1, §5.2: a parameter is missing, repeated, malformed or unsupported."""

    error = "invalid_request"
    status_code = 400


class InvalidClient(OAuthError):
    """RFC 6749 §5.2: client authentication failed (unknown client, bad assertion or secret)."""

    error = "invalid_client"
    status_code = 401


class InvalidGrant(OAuthError):
    """RFC 6749 §5.2: the code or refresh token is invalid, expired, used, or not this client's."""

    error = "invalid_grant"
    status_code = 400


class UnauthorizedClient(OAuthError):
    """RFC 6749 §4.1.2.1, §5.2: this client may not use this grant or request."""

    error = "unauthorized_client"
    status_code = 400


class UnsupportedGrantType(OAuthError):
    """RFC 6749 §5.2: only ``authorization_code`` and ``refresh_token`` are supported."""

    error = "unsupported_grant_type"
    status_code = 400


class UnsupportedResponseType(OAuthError):
    """RFC 6749 §4.1.2.1: only ``code`` is supported (authorization code flow)."""

    error = "unsupported_response_type"
    status_code = 400


class UnsupportedTokenType(OAuthError):
    """RFC 7009 §2.2.1: the revocation endpoint does not revoke this kind of token."""

    error = "unsupported_token_type"
    status_code = 400


class InvalidScope(OAuthError):
    """RFC 6749 §4.1.2.1: the scope is invalid, unknown or malformed (``openid`` is required)."""

    error = "invalid_scope"
    status_code = 400


class AccessDenied(OAuthError):
    """RFC 6749 §4.1.2.1: the citizen or the provider's policy refused the request (a redirect from
    the authorization endpoint; 400 when a JSON endpoint such as PAR answers it, RFC 9126 §2.3)."""

    error = "access_denied"
    status_code = 400


class LoginRequired(OAuthError):
    """OpenID Connect Core §3.1.2.6: ``prompt=none`` but nobody is signed in."""

    error = "login_required"
    status_code = 400


class ConsentRequired(OAuthError):
    """OpenID Connect Core §3.1.2.6: ``prompt=none`` but consent is needed."""

    error = "consent_required"
    status_code = 400


class InteractionRequired(OAuthError):
    """OpenID Connect Core §3.1.2.6: ``prompt=none`` but the citizen must interact."""

    error = "interaction_required"
    status_code = 400


class RequestNotSupported(OAuthError):
    """OpenID Connect Core §3.1.2.6: the ``request`` parameter (request objects) is not supported."""

    error = "request_not_supported"
    status_code = 400


class InvalidRequestUri(OAuthError):
    """RFC 9126 §2.2 / Core §3.1.2.6: the ``request_uri`` is unknown, expired, used or not this client's."""

    error = "invalid_request_uri"
    status_code = 400


class UnmetAuthenticationRequirements(OAuthError):
    """OpenID Connect Core Unmet Authentication Requirements 1.0 §2: no requested vector (``vtr``)
    can be met by this citizen's sign-in and identity proof."""

    error = "unmet_authentication_requirements"
    status_code = 400


class InvalidToken(OAuthError):
    """RFC 6750 §3.1: the access token is missing, expired, revoked or malformed."""

    error = "invalid_token"
    status_code = 401


class InsufficientScope(OAuthError):
    """RFC 6750 §3.1: the access token does not carry the ``openid`` scope."""

    error = "insufficient_scope"
    status_code = 403


class ServerError(OAuthError):
    """RFC 6749 §4.1.2.1: an unexpected condition; details are logged, never sent."""

    error = "server_error"
    status_code = 500


class TemporarilyUnavailable(OAuthError):
    """RFC 6749 §4.1.2.1: the provider (or a federation party it needs) is briefly unavailable."""

    error = "temporarily_unavailable"
    status_code = 503
