"""Why a login was refused: one typed error per kind of refusal, each with a stable ``code`` (for
logs, tests and the conformance checks), a public ``description`` shown on the service's error page,
and a private ``detail`` that is logged, never shown.

A policy decision that does not accept the evidence is not an error: it is a result
(:class:`relying_party.core.result.LoginResult` with ``decision.accepted`` false), shown on the
"why not" page with a step-up.
"""

from __future__ import annotations

from enum import StrEnum

__all__ = ["LoginError", "Refusal"]


class Refusal(StrEnum):
    """What a login was refused for."""

    #: The provider is not in the federation, its chain is broken or expired, it lacks the
    #: certification trust mark, or the mark does not cover the level the service needs.
    UNTRUSTED_PROVIDER = "untrusted_provider"
    #: The authorization response's ``state`` is unknown, used, expired or from another browser (CSRF).
    INVALID_STATE = "invalid_state"
    #: The authorization response's ``iss`` is not the provider the login was sent to (RFC 9207 mix-up).
    ISSUER_MISMATCH = "issuer_mismatch"
    #: The provider answered with an error (RFC 6749 §4.1.2.1), e.g. the citizen declined.
    PROVIDER_ERROR = "provider_error"
    #: The code exchange or the UserInfo request failed.
    TOKEN_REQUEST_FAILED = "token_request_failed"
    #: The ID token failed a check of OpenID Connect Core §3.1.3.7 or RFC 8485.
    INVALID_ID_TOKEN = "invalid_id_token"
    #: The UserInfo response is not for the ID token's subject or not readable (Core §5.3.2).
    INVALID_USERINFO = "invalid_userinfo"
    #: ``verified_claims`` that do not follow the assurance schema.
    INVALID_VERIFIED_CLAIMS = "invalid_verified_claims"
    #: A login request that cannot be made (unknown service, bad return path).
    INVALID_REQUEST = "invalid_request"


class LoginError(Exception):
    """A refused login: ``refusal`` says what kind, ``check`` which check (e.g. ``nonce``)."""

    def __init__(self, refusal: Refusal, description: str, *, check: str = "", detail: str = "") -> None:
        super().__init__(description)
        self.refusal = refusal
        self.description = description
        self.check = check or refusal.value
        self.detail = detail

    @property
    def code(self) -> str:
        """The refusal's stable code."""
        return self.refusal.value

    def __repr__(self) -> str:
        return f"LoginError({self.refusal.value}, {self.check}, {self.description!r})"
