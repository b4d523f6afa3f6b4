"""Typed federation errors: one class per wire ``error`` code (OpenID Federation 1.0 §8.9).

Every error carries a public ``description`` (sent as ``error_description``), the ``check`` that
failed (a :class:`Check`, so callers and tests can tell exactly what was wrong without parsing
prose), and an optional private ``detail`` that may be logged but is never sent.
"""

from __future__ import annotations

import copy
from enum import StrEnum
from typing import ClassVar, Self

__all__ = [
    "Check",
    "FederationError",
    "FetchError",
    "InvalidClient",
    "InvalidIssuer",
    "InvalidJwt",
    "InvalidMetadata",
    "InvalidPolicy",
    "InvalidRequest",
    "InvalidSubject",
    "InvalidTrustAnchor",
    "InvalidTrustChain",
    "InvalidTrustMark",
    "NotFound",
    "ServerError",
    "TemporarilyUnavailable",
    "UnsupportedParameter",
]


class Check(StrEnum):
    """The individual check that rejected an input; stable names for reports and tests."""

    FORMAT = "format"
    TYP = "typ"
    ALG = "alg"
    KID = "kid"
    SIGNATURE = "signature"
    JWS_CRIT = "jws_crit"
    CLAIMS = "claims"
    IAT = "iat"
    EXP = "exp"
    ISS = "iss"
    SUB = "sub"
    CRIT = "crit"
    JWKS = "jwks"
    AUTHORITY_HINTS = "authority_hints"
    FETCH_ENDPOINT = "fetch_endpoint"
    LOOP = "loop"
    DEPTH = "depth"
    TRUST_ANCHOR = "trust_anchor"
    MAX_PATH_LENGTH = "max_path_length"
    NAMING_CONSTRAINTS = "naming_constraints"
    ALLOWED_ENTITY_TYPES = "allowed_entity_types"
    METADATA_POLICY = "metadata_policy"
    METADATA_POLICY_CRIT = "metadata_policy_crit"
    METADATA = "metadata"
    TRUST_MARK_TYPE = "trust_mark_type"
    TRUST_MARK_ISSUER = "trust_mark_issuer"
    DELEGATION = "delegation"
    STATUS = "status"
    # HTTP fetching (federation.http)
    URL = "url"
    TIMEOUT = "timeout"
    TOO_LARGE = "too_large"
    REDIRECT = "redirect"
    CONTENT_TYPE = "content_type"
    HTTP_STATUS = "http_status"
    CONNECTION = "connection"


class FederationError(Exception):
    """Base of every federation error; ``error`` and ``status_code`` are the wire form."""

    error: ClassVar[str] = "server_error"
    status_code: ClassVar[int] = 500

    def __init__(self, description: str, *, check: Check | None = None, detail: str | None = None) -> None:
        super().__init__(description)
        self.description = description
        self.check = check
        self.detail = detail

    def in_context(self, context: str) -> Self:
        """The same error (class, check, detail, extra attributes), its description prefixed with
        where it happened, e.g. ``"entity configuration of https://x: ..."``."""
        new = copy.copy(self)
        new.description = f"{context}: {self.description}"
        new.args = (new.description,)
        return new

    def to_dict(self) -> dict[str, str]:
        """The JSON error body: ``{"error", "error_description"}`` (never the private detail)."""
        return {"error": self.error, "error_description": self.description}

    def __repr__(self) -> str:
        name = type(self).__name__
        return f"{name}(error={self.error!r}, check={self.check}, description={self.description!r})"


class InvalidRequest(FederationError):
    """``invalid_request`` (400): malformed or missing parameters."""

    error = "invalid_request"
    status_code = 400


class InvalidClient(FederationError):
    """``invalid_client`` (401): client authentication failed."""

    error = "invalid_client"
    status_code = 401


class InvalidIssuer(FederationError):
    """``invalid_issuer`` (404): the endpoint is not served for this issuer."""

    error = "invalid_issuer"
    status_code = 404


class InvalidSubject(FederationError):
    """``invalid_subject`` (404): the subject is unknown or not acceptable."""

    error = "invalid_subject"
    status_code = 404


class InvalidTrustAnchor(FederationError):
    """``invalid_trust_anchor`` (404): the trust anchor is not one this party knows."""

    error = "invalid_trust_anchor"
    status_code = 404


class InvalidTrustChain(FederationError):
    """``invalid_trust_chain`` (400): no valid trust chain could be built or a chain failed a check."""

    error = "invalid_trust_chain"
    status_code = 400

    def __init__(
        self,
        description: str,
        *,
        check: Check | None = None,
        detail: str | None = None,
        path_errors: tuple[tuple[tuple[str, ...], FederationError], ...] = (),
    ) -> None:
        super().__init__(description, check=check, detail=detail)
        #: For a failed resolution: each path tried (entity IDs from the leaf up) and why it failed.
        self.path_errors = path_errors


class InvalidMetadata(FederationError):
    """``invalid_metadata`` (400): metadata that the metadata policy rejects (§6.1.4)."""

    error = "invalid_metadata"
    status_code = 400


class InvalidPolicy(FederationError):
    """``invalid_policy``: metadata policies that contradict each other or are malformed (§6.1.3).

    The specification has no wire code of this name; a resolve endpoint reports it as
    ``invalid_trust_chain``. It is its own class so that callers can tell the two apart.
    """

    error = "invalid_policy"
    status_code = 400


class NotFound(FederationError):
    """``not_found`` (404): the requested entity or trust mark is not known."""

    error = "not_found"
    status_code = 404


class UnsupportedParameter(FederationError):
    """``unsupported_parameter`` (400): a request parameter this endpoint does not support."""

    error = "unsupported_parameter"
    status_code = 400


class ServerError(FederationError):
    """``server_error`` (500): an unexpected condition on the server."""

    error = "server_error"
    status_code = 500


class TemporarilyUnavailable(FederationError):
    """``temporarily_unavailable`` (503): the server cannot answer now."""

    error = "temporarily_unavailable"
    status_code = 503


class InvalidJwt(InvalidRequest):
    """A JWT failed a JOSE check (format, ``typ``, ``alg``, ``kid``, signature, times, claims)."""


class InvalidTrustMark(InvalidRequest):
    """A trust mark failed verification (§7.3): wrong ``typ``, expired, revoked, issuer not allowed..."""


class FetchError(InvalidRequest):
    """Fetching a federation document failed (URL, timeout, size, redirect, content type, status)."""

    def __init__(
        self,
        description: str,
        *,
        check: Check | None = None,
        detail: str | None = None,
        url: str = "",
        remote_error: str | None = None,
    ) -> None:
        super().__init__(description, check=check, detail=detail)
        self.url = url
        #: The ``error`` code in the remote's JSON error body, when it sent one.
        self.remote_error = remote_error
