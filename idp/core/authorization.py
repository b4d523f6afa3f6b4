"""Checking an authorization request (OpenID Connect Core 1.0 §3.1.2.1-§3.1.2.2), for the
authorization endpoint and the pushed authorization request endpoint alike (RFC 9126 §2.1).

Two stages, because they fail differently (RFC 6749 §4.1.2.1): :func:`trusted_redirect_uri`
establishes the client's redirect URI, and until it has, nothing may be sent to any URI (an
error page); :func:`check_request` then checks every other parameter, and its errors can be
returned to that redirect URI. Both raise typed :mod:`idp.core.errors`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping

from pydantic import ValidationError

from idp.core.claims_policy import refused_claims
from idp.core.clients import Client
from idp.core.discovery import SCOPE_CLAIMS, SCOPES, UI_LOCALES
from idp.core.errors import (
    AccessDenied,
    InvalidRequest,
    InvalidScope,
    RequestNotSupported,
    UnauthorizedClient,
    UnsupportedResponseType,
)
from idp.core.requests import AuthorizationRequest
from schemas.requests import ClaimsRequest, requested_claim_names
from schemas.vot import VectorError, parse_vtr

__all__ = [
    "PARAMETERS",
    "PROMPTS",
    "check_claims_allowed",
    "check_request",
    "claims_request",
    "requested_claims",
    "trusted_redirect_uri",
]

#: Parameters read from an authorization request; others are ignored (RFC 6749 §3.1).
PARAMETERS = (
    "response_type",
    "client_id",
    "redirect_uri",
    "scope",
    "state",
    "nonce",
    "code_challenge",
    "code_challenge_method",
    "response_mode",
    "prompt",
    "max_age",
    "login_hint",
    "ui_locales",
    "claims",
    "vtr",
    "acr_values",
    "request",
    "request_uri",
)
#: Core §3.1.2.1 ``prompt`` values; ``select_account`` is answered by signing in again.
PROMPTS = ("none", "login", "consent", "select_account")
MAX_NONCE = 512
MAX_STATE = 2048
MAX_LOGIN_HINT = 254
MAX_MAX_AGE = 10 * 365 * 86400
MAX_ACR_VALUES = 8
#: RFC 7636 §4.2: BASE64URL(SHA256(verifier)) is 43 characters.
_CHALLENGE = re.compile(r"[A-Za-z0-9_-]{43}", re.ASCII)
_LOCALE = re.compile(r"[A-Za-z]{1,8}(-[A-Za-z0-9]{1,8})*", re.ASCII)


def trusted_redirect_uri(client: Client, redirect_uri: str | None) -> str:
    """The redirect URI, when it is exactly one the client registered (Core §3.1.2.1, RFC 6749
    §3.1.2.3 with simple string comparison, RFC 9700 §4.1.3); ``InvalidRequest`` otherwise."""
    if redirect_uri is None:
        raise InvalidRequest("redirect_uri is required (OpenID Connect Core §3.1.2.1)")
    if redirect_uri not in client.redirect_uris:
        raise InvalidRequest(
            "redirect_uri is not registered for this client (it must match a registered URI exactly)",
            detail=f"{client.client_id}: {redirect_uri[:300]!r}",
        )
    return redirect_uri


def check_request(
    params: Mapping[str, str], client: Client, redirect_uri: str, *, pushed: bool
) -> AuthorizationRequest:
    """Every parameter of an authorization request for ``client`` whose ``redirect_uri`` has been
    trusted; raises the error to return (to the redirect URI, or as JSON from the PAR endpoint).

    ``pushed``: the request arrived at the PAR endpoint (RFC 9126 §2.1), with the client
    authenticated; otherwise a client that must push its requests is refused (RFC 9126 §5).
    """
    if "request" in params:
        raise RequestNotSupported(
            "the request parameter (request objects) is not supported: push the request (RFC 9126)"
        )
    if "request_uri" in params:
        if pushed:
            raise InvalidRequest("request_uri must not be sent to the pushed authorization request endpoint")
        raise InvalidRequest(
            "request_uri is only accepted as returned by the pushed authorization request endpoint"
        )
    response_type = params.get("response_type")
    if response_type is None:
        raise InvalidRequest("response_type is required")
    if response_type != "code":
        raise UnsupportedResponseType("only response_type code is supported (authorization code flow)")
    if "authorization_code" not in client.grant_types:
        raise UnauthorizedClient("this client may not use the authorization code flow")
    if client.require_par and not pushed:
        raise InvalidRequest("pushed authorization requests are required for this client (RFC 9126 §5)")
    response_mode = params.get("response_mode")
    if response_mode is not None and response_mode != "query":
        raise InvalidRequest("only response_mode query is supported")
    scope = _scope(params.get("scope"), client)
    request = AuthorizationRequest(
        client_id=client.client_id,
        redirect_uri=redirect_uri,
        scope=scope,
        code_challenge=_code_challenge(params),
        state=_bounded(params, "state", MAX_STATE),
        nonce=_bounded(params, "nonce", MAX_NONCE),
        prompt=_prompt(params.get("prompt")),
        max_age=_max_age(params.get("max_age")),
        login_hint=_bounded(params, "login_hint", MAX_LOGIN_HINT),
        ui_locales=_ui_locales(params.get("ui_locales")),
        claims=_claims(params.get("claims")),
        vtr=_vtr(params.get("vtr")),
        acr_values=_acr_values(params.get("acr_values")),
        pushed=pushed,
    )
    check_claims_allowed(client, request)
    return request


def check_claims_allowed(client: Client, request: AuthorizationRequest) -> None:
    """``AccessDenied`` when the request asks for a claim the client may never receive (whatever the
    citizen would agree to), e.g. an NHS number for a client that is not an NHS organisation."""
    refused = refused_claims(client, requested_claims(request))
    if refused:
        name = sorted(refused)[0]
        raise AccessDenied(
            f"this client may not receive {name}: {refused[name]}",
            detail=f"{client.client_id}: refused {refused}",
        )


def claims_request(request: AuthorizationRequest) -> ClaimsRequest | None:
    """The request's ``claims`` parameter as the schema's model (checked when the request was)."""
    return ClaimsRequest.model_validate(request.claims) if request.claims is not None else None


def requested_claims(request: AuthorizationRequest) -> tuple[str, ...]:
    """Every claim name the request asks for: those of its scopes (Core §5.4) and those named in its
    ``claims`` parameter, inside ``verified_claims`` or not (Core §5.5, IDA §6), in a stable order."""
    names: dict[str, None] = {}
    for scope in request.scope:
        names.update(dict.fromkeys(SCOPE_CLAIMS.get(scope, ())))
    parsed = claims_request(request)
    if parsed is not None:
        names.update(dict.fromkeys(sorted(requested_claim_names(parsed))))
    return tuple(names)


def _bounded(params: Mapping[str, str], name: str, limit: int) -> str | None:
    value = params.get(name)
    if value is not None and len(value) > limit:
        raise InvalidRequest(f"{name} is longer than {limit} characters")
    return value


def _words(value: str) -> list[str]:
    return [word for word in value.split(" ") if word]


def _scope(value: str | None, client: Client) -> tuple[str, ...]:
    if value is None:
        raise InvalidScope("scope is required and must include openid (OpenID Connect Core §3.1.2.1)")
    scopes = tuple(dict.fromkeys(_words(value)))
    if "openid" not in scopes:
        raise InvalidScope("scope must include openid (OpenID Connect Core §3.1.2.1)")
    for scope in scopes:
        if scope not in SCOPES:
            raise InvalidScope(f"scope {scope[:64]!r} is not supported by this provider")
        if scope not in client.scopes:
            raise InvalidScope(f"scope {scope!r} is not allowed for this client")
    return scopes


def _code_challenge(params: Mapping[str, str]) -> str:
    challenge = params.get("code_challenge")
    method = params.get("code_challenge_method")
    if challenge is None:
        raise InvalidRequest("code_challenge is required (PKCE, RFC 7636)")
    if method is None:
        raise InvalidRequest("code_challenge_method is required and must be S256 (plain is not allowed)")
    if method != "S256":
        raise InvalidRequest(
            f"code_challenge_method must be S256, not {method[:32]!r} (plain is not allowed)"
        )
    if not _CHALLENGE.fullmatch(challenge):
        raise InvalidRequest("code_challenge must be 43 base64url characters (RFC 7636 §4.2, S256)")
    return challenge


def _prompt(value: str | None) -> tuple[str, ...]:
    if value is None:
        return ()
    prompts = tuple(dict.fromkeys(_words(value)))
    for prompt in prompts:
        if prompt not in PROMPTS:
            raise InvalidRequest(f"prompt {prompt[:32]!r} is not supported: use {', '.join(PROMPTS)}")
    if "none" in prompts and len(prompts) > 1:
        raise InvalidRequest(
            "prompt none cannot be combined with other values (OpenID Connect Core §3.1.2.1)"
        )
    return prompts


def _max_age(value: str | None) -> int | None:
    if value is None:
        return None
    if not value.isascii() or not value.isdigit() or int(value) > MAX_MAX_AGE:
        raise InvalidRequest("max_age must be a non-negative whole number of seconds")
    return int(value)


def _ui_locales(value: str | None) -> tuple[str, ...]:
    """The supported languages among ``ui_locales``, best first (Core §3.1.2.1: a preference, never
    an error; tags that are not language tags are passed over)."""
    if value is None:
        return ()
    chosen: dict[str, None] = {}
    for tag in _words(value)[:16]:
        language = tag.split("-", 1)[0].lower()
        if _LOCALE.fullmatch(tag) and language in UI_LOCALES:
            chosen[language] = None
    return tuple(chosen)


def _claims(value: str | None) -> dict[str, object] | None:
    if value is None:
        return None
    try:
        decoded = json.loads(value)
    except (json.JSONDecodeError, RecursionError):
        raise InvalidRequest("claims is not valid JSON (OpenID Connect Core §5.5)") from None
    if not isinstance(decoded, dict):
        raise InvalidRequest("claims must be a JSON object (OpenID Connect Core §5.5)")
    try:
        parsed = ClaimsRequest.model_validate(decoded)
    except ValidationError as exc:
        raise InvalidRequest(f"claims is malformed: {_validation_message(exc)}") from None
    return parsed.to_json_dict()


def _validation_message(exc: ValidationError) -> str:
    first = exc.errors()[0]
    where = ".".join(str(part) for part in first["loc"])
    return f"{where}: {first['msg']}" if where else str(first["msg"])


def _vtr(value: str | None) -> tuple[str, ...]:
    if value is None:
        return ()
    try:
        vectors = parse_vtr(value)
    except VectorError as exc:
        raise InvalidRequest(str(exc)) from None
    except RecursionError:
        raise InvalidRequest("vtr is nested too deeply: it must be a JSON array of vector strings") from None
    return tuple(vector.render() for vector in vectors)


def _acr_values(value: str | None) -> tuple[str, ...]:
    if value is None:
        return ()
    values = tuple(dict.fromkeys(_words(value)))
    if len(values) > MAX_ACR_VALUES or any(len(v) > 256 for v in values):
        raise InvalidRequest(f"acr_values may hold at most {MAX_ACR_VALUES} values of up to 256 characters")
    return values
