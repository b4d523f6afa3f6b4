"""``ukid check idp``: a complete login as a test account, checked step by step.

The checker is a client of the provider (``--client-id``, ``--client-key`` or ``--client-secret``,
``--redirect-uri``). It sends a code flow request with PKCE ``S256``, ``state``, ``nonce``, scope
``openid``, a ``vtr`` (RFC 8485 §4) and a ``claims`` request for ``verified_claims`` at UserInfo
(Identity Assurance 1.0 §6). The test account signs in through :class:`ukid.check.agent.Agent`
(``--username``/``--password``/``--totp-secret``), or in a browser (``--interactive``: the
redirect is received on a loopback server, RFC 8252 §7.3). The cases check the authorization
response (RFC 6749 §4.1.2, RFC 9207), the token response (RFC 6749 §5.1), the ID token (OpenID
Connect Core §3.1.3.7), its ``vot``/``vtm`` (RFC 8485 §5), UserInfo (Core §5.3.2) and the
``verified_claims`` against :mod:`schemas`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from itertools import product
from typing import Any

import httpx
from joserfc.jwk import KeySet
from pydantic import ValidationError

from relying_party.core.errors import LoginError
from relying_party.core.id_token import Expected, check_vot, validate_id_token
from schemas.verified_claims import VerifiedClaims
from schemas.vot import Trustmark, Vector, VectorError
from ukid.check import idp_metadata as rules
from ukid.check.agent import AgentError
from ukid.check.cases import Case, CaseFailed, CaseGroup, CaseSkipped
from ukid.check.client import (
    Authorization,
    LoginState,
    await_redirect,
    error_page_text,
    query_params,
    redirected_to,
    unreachable,
)
from ukid.check.idp import IdpContext

__all__ = ["CLAIMS", "NO_CLIENT", "authorize", "endpoint", "login_cases", "state_of", "trustmark_vectors"]

_CORE = "OpenID Connect Core 1.0"
#: Claims asked for inside ``verified_claims`` at UserInfo (Identity Assurance 1.0 §6).
CLAIMS = ("given_name", "family_name", "birthdate")
_PURPOSE = "ukid conformance check of this provider"
_LEEWAY = 120


def state_of(ctx: IdpContext) -> LoginState:
    """The login state; a SKIP when no client options were given."""
    if ctx.login is None:
        raise CaseSkipped("no --client-id given")
    return ctx.login


def endpoint(ctx: IdpContext, name: str) -> str:
    """An endpoint URL from the discovery document; :class:`CaseFailed` when it is not a URL."""
    value = ctx.discovery.get(name)
    if not isinstance(value, str) or not value.startswith(("https://", "http://")):
        raise CaseFailed(f"discovery {name} is {value!r}, not a URL")
    return value


def claims_request(ctx: IdpContext) -> dict[str, Any]:
    """``verified_claims`` at UserInfo for the advertised trust frameworks (IA 1.0 §6)."""
    frameworks = rules.strings(ctx.discovery.get("trust_frameworks_supported"))
    framework: dict[str, Any] | None = None
    if len(frameworks) == 1:
        framework = {"value": frameworks[0]}
    elif frameworks:
        framework = {"values": frameworks}
    claims = {name: {"purpose": _PURPOSE} for name in CLAIMS}
    verification = {"trust_framework": framework, "assurance_level": None, "time": None}
    return {"userinfo": {"verified_claims": {"verification": verification, "claims": claims}}}


def trustmark_vectors(trustmark: Trustmark) -> tuple[str, ...]:
    """Every vector the trustmark lists (its ``C`` values with each ``P`` value), strongest first."""
    credentials = trustmark.values("C")
    identities = trustmark.values("P")
    vectors: dict[str, Vector] = {}
    for credential, identity in product(credentials, identities or (None,)):
        parts = credential.components | (
            identity.components if identity is not None and identity.render() != "P0" else frozenset()
        )
        vector = Vector(parts)
        vectors[vector.render()] = vector
    ordered = sorted(vectors, key=lambda text: (len(vectors[text].components), text), reverse=True)
    return tuple(ordered)


async def _trustmark(ctx: IdpContext, state: LoginState) -> Trustmark | None:
    url = ctx.discovery.get("trustmarks")
    if not isinstance(url, str):
        return None
    state.trustmark_url = url
    try:
        return Trustmark.model_validate(await ctx.fetcher.get_json(url))
    except ValidationError:
        return None


def _described(params: dict[str, str]) -> str:
    description = params.get("error_description", "")[:200]
    return params.get("error", "")[:64] + (f": {description}" if description else "")


async def authorize(ctx: IdpContext, auth: Authorization, *, purpose: str) -> dict[str, str]:
    """Run ``auth`` to the redirect URI: the Agent signs in with the credentials (reusing its
    session), or the user opens the URL (``--interactive``). Returns the redirect's parameters."""
    state = state_of(ctx)
    config = state.config
    if config.interactive:
        if purpose:
            config.say(purpose)
        query = await await_redirect(auth.redirect_uri, auth.url, config.say, config.login_timeout)
    else:
        agent = state.user_agent()
        try:
            page = await agent.follow(
                await agent.get(auth.url), stop=lambda location: redirected_to(location, auth.redirect_uri)
            )
            if not page.is_redirect and page.status_code >= 400:
                raise CaseFailed(
                    f"the provider refused the request with HTTP {page.status_code} at "
                    f"{page.url.copy_with(query=None)}: {error_page_text(page.text)}",
                    fix="Check that --redirect-uri is registered for --client-id at the provider.",
                )
            page = await agent.sign_in(
                page, config.credentials, stop=lambda location: redirected_to(location, auth.redirect_uri)
            )
        except AgentError as exc:
            raise CaseFailed(
                str(exc), fix="Check --username, --password and --totp-secret, or sign in with --interactive."
            ) from None
        except httpx.HTTPError as exc:
            raise CaseFailed(unreachable(auth.url, exc)) from None
        location = agent.location(page)
        query = location.split("?", 1)[1] if "?" in location else ""
    auth.response = query_params(query.split("#", 1)[0])
    return auth.response


async def _authorization(ctx: IdpContext) -> str:
    state = state_of(ctx)
    await state.open()
    url = endpoint(ctx, "authorization_endpoint")
    vtr = state.config.vtr
    if vtr is None:
        trustmark = await _trustmark(ctx, state)
        vtr = trustmark_vectors(trustmark) if trustmark is not None else ()
    auth = state.authorization(url, vtr=vtr, claims=claims_request(ctx))
    state.main = auth
    params = await authorize(ctx, auth, purpose="")
    if "error" in params:
        raise CaseFailed(f"the provider answered error {_described(params)}")
    if params.get("state") != auth.state:
        raise CaseFailed(f"state is {params.get('state')!r}, not the one sent (RFC 6749 §4.1.2)")
    if params.get("iss") != ctx.issuer:
        raise CaseFailed(
            f"iss is {params.get('iss')!r}, not the issuer {ctx.issuer!r} (RFC 9207 §2)",
            fix="Add iss=ISSUER to every authorization response (RFC 9207).",
        )
    if not params.get("code"):
        raise CaseFailed("the redirect has no code")
    asked = f"vtr {list(vtr)}" if vtr else "no vtr (the provider lists no trustmark)"
    return f"code, state and iss returned to {auth.redirect_uri}; asked for {asked}"


async def _token(ctx: IdpContext) -> str:
    state = state_of(ctx)
    auth = state.main
    assert auth is not None
    form = {
        "grant_type": "authorization_code",
        "code": auth.response["code"],
        "redirect_uri": auth.redirect_uri,
        "code_verifier": auth.verifier,
    }
    answer, sent = await state.token_request(endpoint(ctx, "token_endpoint"), form)
    state.assertion = sent
    if answer.status != 200 or answer.body is None:
        raise CaseFailed(f"the token request was refused: {answer.describe()}")
    body = answer.body
    problems = []
    if str(body.get("token_type", "")).lower() != "bearer":
        problems.append(f"token_type is {body.get('token_type')!r}, not Bearer")
    for name in ("access_token", "id_token"):
        if not isinstance(body.get(name), str) or not body[name]:
            problems.append(f"no {name}")
    if "no-store" not in answer.headers.get("cache-control", "").lower():
        problems.append("no Cache-Control: no-store (RFC 6749 §5.1)")
    if problems:
        raise CaseFailed("token response: " + "; ".join(problems))
    state.tokens = body
    how = "private_key_jwt" if sent is not None else "client_secret_basic"
    return f"Bearer access_token and id_token (client authenticated with {how})"


def _keys(ctx: IdpContext) -> KeySet:
    try:
        return KeySet.import_key_set({"keys": ctx.keys})
    except Exception as exc:  # a malformed key is the provider's problem, reported
        raise CaseFailed(f"the provider's JWK set cannot be used: {type(exc).__name__}: {exc}") from None


async def _id_token(ctx: IdpContext) -> str:
    state = state_of(ctx)
    auth = state.main
    assert auth is not None
    token = str(state.tokens["id_token"])
    algorithms = tuple(
        a for a in rules.strings(ctx.discovery.get("id_token_signing_alg_values_supported")) if a != "none"
    )
    expected = Expected(
        issuer=ctx.issuer,
        client_id=state.config.client_id,
        nonce=auth.nonce,
        algorithms=algorithms or ("ES256",),
        access_token=str(state.tokens["access_token"]),
        leeway=_LEEWAY,
    )
    try:
        claims = validate_id_token(token, _keys(ctx), expected, now=state.config.clock())
    except LoginError as exc:
        raise CaseFailed(
            f"{exc.check}: {exc.description.removeprefix('the ID token was refused: ')}"
        ) from None
    if not claims["iat"] <= claims["exp"] or claims["exp"] - claims["iat"] > 86400:
        raise CaseFailed(f"exp {claims['exp']} is not within a day after iat {claims['iat']}")
    state.id_claims = claims
    at_hash = "at_hash matches" if "at_hash" in claims else "no at_hash (optional in the code flow)"
    return f"signature, iss, aud, exp/iat, nonce verified; {at_hash}; sub {str(claims['sub'])[:40]}"


async def _vot(ctx: IdpContext) -> str:
    state = state_of(ctx)
    auth = state.main
    assert auth is not None
    if not auth.vtr:
        raise CaseSkipped("no vtr was sent (the provider lists no trustmark)")
    claims = state.id_claims
    vtm = claims.get("vtm")
    if state.trustmark_url is None:
        url = ctx.discovery.get("trustmarks")
        state.trustmark_url = url if isinstance(url, str) else None
    if vtm != state.trustmark_url:
        raise CaseFailed(f"vtm is {vtm!r}, not the provider's trustmarks URL {state.trustmark_url!r}")
    try:
        trustmark = Trustmark.model_validate(await ctx.fetcher.get_json(str(vtm)))
    except ValidationError as exc:
        raise CaseFailed(f"{vtm}: not a trustmark document: {exc.errors()[0]['msg']}") from None
    try:
        vot = check_vot(claims, auth.vtr, issuer=ctx.issuer, trustmark=trustmark)
    except LoginError as exc:
        raise CaseFailed(exc.description.removeprefix("the ID token was refused: ")) from None
    except VectorError as exc:
        raise CaseFailed(f"vot {claims.get('vot')!r}: {exc}") from None
    shown = vot.render() if vot is not None else "none"
    return f"vot {shown} is within the requested vtr; vtm {vtm}"


async def _userinfo(ctx: IdpContext) -> str:
    state = state_of(ctx)
    url = ctx.discovery.get("userinfo_endpoint")
    if not isinstance(url, str):
        raise CaseFailed(
            "the discovery document has no userinfo_endpoint (verified_claims were asked for there)"
        )
    token = str(state.tokens["access_token"])
    answer = await state.send(
        "the UserInfo endpoint",
        "GET",
        url,
        headers={"Authorization": f"Bearer {token}", "Accept": "application/json"},
    )
    if answer.status != 200 or answer.body is None:
        raise CaseFailed(f"UserInfo answered {answer.describe()}")
    sub = answer.body.get("sub")
    if sub != state.id_claims.get("sub"):
        raise CaseFailed(f"UserInfo sub {sub!r} is not the ID token's sub (Core §5.3.2: MUST be the same)")
    state.userinfo = answer.body
    return f"HTTP 200 JSON with the ID token's sub and {len(answer.body) - 1} other claim(s)"


def _elements(value: Any) -> list[Any]:
    return [] if value is None else list(value) if isinstance(value, list) else [value]


def _vot_level(claims: dict[str, Any]) -> str | None:
    try:
        vot = Vector.parse(str(claims.get("vot")))
    except VectorError:
        return None
    levels = sorted(c for c in vot.components if c.startswith("P") and c != "P0")
    return levels[-1] if levels else None


async def _verified_claims(ctx: IdpContext) -> str:
    state = state_of(ctx)
    found = [("UserInfo", e) for e in _elements(state.userinfo.get("verified_claims"))]
    found += [("ID token", e) for e in _elements(state.id_claims.get("verified_claims"))]
    if not found:
        level = _vot_level(state.id_claims)
        if level is not None:
            raise CaseFailed(
                f"the vot says the identity is proven ({level}) but UserInfo has no verified_claims, "
                "which the claims request asked for (IA 1.0 §6)"
            )
        raise CaseSkipped("the test account has no proven identity: no verified_claims to check")
    frameworks: list[str] = []
    for index, (where, element) in enumerate(found):
        try:
            parsed = VerifiedClaims.model_validate(element)
        except ValidationError as exc:
            first = exc.errors()[0]
            at = ".".join(str(p) for p in first["loc"]) or "(element)"
            raise CaseFailed(f"{where} verified_claims element {index}: {at}: {first['msg']}") from None
        frameworks.append(str(parsed.verification.trust_framework))
    extra = sorted(
        {
            name
            for _, element in found
            if isinstance(element, dict) and isinstance(element.get("claims"), dict)
            for name in element["claims"]
            if name not in CLAIMS
        }
    )
    if extra:
        raise CaseFailed(f"verified_claims carry claims that were not requested: {', '.join(extra)}")
    shown = ", ".join(frameworks)
    return f"{len(found)} element(s) valid against the assurance schema (trust framework {shown})"


def _skip_all(reason: str) -> Case[IdpContext]:
    async def skip(_ctx: IdpContext) -> str:
        raise CaseSkipped(reason)

    return Case(
        "login",
        "A complete login as a test account, and negative probes",
        f"{_CORE} §3.1; RFC 7636; RFC 9207; RFC 8485; Identity Assurance 1.0",
        "Pass --client-id, --client-key (or --client-secret), --redirect-uri and --username/--password "
        "(or --interactive).",
        skip,
    )


NO_CLIENT = (
    "no --client-id given: the login and probe cases did not run (give --client-id, --client-key or "
    "--client-secret, --redirect-uri, and --username/--password or --interactive)"
)


def login_cases(*, enabled: bool) -> list[Case[IdpContext] | CaseGroup[IdpContext]]:
    """The login cases in run order; one SKIP naming the options when ``enabled`` is false."""
    if not enabled:
        return [_skip_all(NO_CLIENT)]
    run: Sequence[tuple[str, str, str, str, Callable[[IdpContext], Awaitable[str]], tuple[str, ...]]] = (
        (
            "login.authorization",
            "Authorization response: code, state echoed, iss is the issuer",
            "RFC 6749 §4.1.2; RFC 7636 §4.3; RFC 9207 §2",
            "Return code, the request's state and iss to the redirect URI.",
            _authorization,
            ("discovery.fetch",),
        ),
        (
            "login.token",
            "Token response: Bearer access_token and id_token, not cached",
            f"RFC 6749 §4.1.3, §5.1; {_CORE} §3.1.3.3",
            "Answer with token_type Bearer, access_token, id_token and Cache-Control: no-store.",
            _token,
            ("login.authorization",),
        ),
        (
            "login.id_token",
            "ID token: signature (published keys), alg, iss, aud, exp/iat, nonce, at_hash, sub",
            f"{_CORE} §3.1.3.7, §3.1.3.6",
            "Sign ID tokens with a key in jwks_uri; set iss, aud=client_id, the request's nonce, exp, iat.",
            _id_token,
            ("login.token", "jwks.fetch"),
        ),
        (
            "login.vot",
            "vot is within the requested vtr; vtm is the provider's trustmark",
            "RFC 8485 §4, §5",
            "Assert in vot a vector the client requested, and vtm = your trustmarks URL.",
            _vot,
            ("login.id_token",),
        ),
        (
            "login.userinfo",
            "UserInfo answers with the ID token's sub",
            f"{_CORE} §5.3.2",
            "Serve UserInfo for the access token, with the same sub as the ID token.",
            _userinfo,
            ("login.id_token",),
        ),
        (
            "login.verified_claims",
            "verified_claims are valid against the assurance schema",
            "Identity Assurance 1.0 §5, §6; schemas.VerifiedClaims",
            "Release verified_claims as the assurance schema defines them (schemas/SPEC.md).",
            _verified_claims,
            ("login.userinfo",),
        ),
    )
    return [Case(cid, title, spec, fix, call, requires) for cid, title, spec, fix, call, requires in run]
