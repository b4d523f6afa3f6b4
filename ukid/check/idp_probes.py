"""``ukid check idp``: negative probes a safe provider must refuse, each with the exact error.

- authorization requests: without PKCE and with ``code_challenge_method=plain`` (RFC 7636 §4.4.1,
  RFC 9700 §2.1.1: ``invalid_request`` back to the client), with a redirect URI that is not
  registered (RFC 6749 §4.1.2.1, RFC 9700 §4.1.3: an error page, never a redirect there);
- token requests: an authorization code used twice (RFC 6749 §4.1.2, §10.5: ``invalid_grant``), a
  wrong ``code_verifier`` (RFC 7636 §4.6: ``invalid_grant``), a client assertion for another
  audience or with a ``jti`` already used (RFC 7523 §3: ``invalid_client``).

Logins are few: the authorization probes need none when the provider refuses them up front (with
``--username`` the Agent's provider session continues a request that is not refused, to show what
it led to); the code probes reuse the main login's code, and the wrong verifier needs one more
authorization, which the provider session completes without credentials (in interactive mode the
user opens a second URL).
"""

from __future__ import annotations

import secrets

import httpx

from relying_party.core.oauth import pkce_pair
from ukid.check.agent import AgentError, page_text
from ukid.check.cases import Case, CaseFailed, CaseSkipped
from ukid.check.client import (
    Answer,
    Authorization,
    LoginState,
    error_page_text,
    query_params,
    redirected_to,
    unreachable,
)
from ukid.check.idp import IdpContext
from ukid.check.idp_login import authorize, claims_request, endpoint, state_of

__all__ = ["UNREGISTERED", "probe_cases"]

#: A redirect URI no provider has registered for the checker (RFC 6761 ``.invalid``).
UNREGISTERED = "https://unregistered.ukid-check.invalid/callback"
_NOT_A_CODE = "ukid-check-probe-not-an-authorization-code"


def _redirect_params(page_location: str) -> dict[str, str]:
    query = page_location.split("?", 1)[1] if "?" in page_location else ""
    return query_params(query.split("#", 1)[0])


async def _outcome(state: LoginState, auth: Authorization, stops: tuple[str, ...]) -> tuple[str, str]:
    """Where the request ``auth`` ends without a browser: ``("redirect", location)`` to one of
    ``stops``, ``("page", description)`` for a page that is not the provider's sign-in, or
    ``("signin", description)`` when the provider went on to its sign-in or consent pages (the
    Agent then continues with the credentials, when given, to see where it leads)."""
    agent = state.user_agent()

    def stop(location: str) -> bool:
        return any(redirected_to(location, uri) for uri in stops)

    try:
        page = await agent.follow(await agent.get(auth.url), stop=stop)
    except AgentError as exc:
        raise CaseFailed(str(exc)) from None
    except httpx.HTTPError as exc:
        raise CaseFailed(unreachable(auth.url, exc)) from None
    if page.is_redirect:
        return "redirect", agent.location(page)
    where = f"HTTP {page.status_code} at {page.url.copy_with(query=None)}"
    if page.status_code >= 400 or "<form" not in page.text.lower():
        return "page", f"{where}: {error_page_text(page.text, 200)}"
    if state.config.interactive or state.config.credentials is None:
        return "signin", f"it showed a page with a form ({where}: {page_text(page.text, 120)})"
    try:
        page = await agent.sign_in(page, state.config.credentials, stop=stop)
    except AgentError as exc:
        return "signin", f"it went on to sign-in and consent ({exc})"
    except httpx.HTTPError as exc:
        raise CaseFailed(unreachable(str(page.url), exc)) from None
    return "redirect", agent.location(page)


async def _refused_with(ctx: IdpContext, auth: Authorization, error: str, what: str) -> str:
    """The request ``auth`` must come back to the client with ``error`` (RFC 6749 §4.1.2.1)."""
    state = state_of(ctx)
    kind, found = await _outcome(state, auth, (auth.redirect_uri,))
    if kind == "signin":
        raise CaseFailed(f"{what} was not refused: {found}")
    if kind == "page":
        raise CaseFailed(
            f"{what} was answered with a page ({found}), not error={error} at the redirect URI "
            "(RFC 6749 §4.1.2.1: only a bad client_id or redirect_uri is shown as a page)"
        )
    params = _redirect_params(found)
    if "code" in params and "error" not in params:
        raise CaseFailed(f"{what} was accepted: the provider issued an authorization code")
    if params.get("error") != error:
        raise CaseFailed(f"{what} was refused with error {params.get('error')!r}, not {error}")
    if params.get("state") != auth.state:
        raise CaseFailed(f"the error response's state is {params.get('state')!r}, not the one sent")
    description = params.get("error_description", "")[:160]
    return f"refused: error={error}" + (f" ({description})" if description else "")


async def _no_pkce(ctx: IdpContext) -> str:
    state = state_of(ctx)
    await state.open()
    auth = state.authorization(
        endpoint(ctx, "authorization_endpoint"), vtr=(), claims=claims_request(ctx), method=None
    )
    return await _refused_with(ctx, auth, "invalid_request", "a request without code_challenge")


async def _plain(ctx: IdpContext) -> str:
    state = state_of(ctx)
    await state.open()
    auth = state.authorization(
        endpoint(ctx, "authorization_endpoint"), vtr=(), claims=claims_request(ctx), method="plain"
    )
    return await _refused_with(ctx, auth, "invalid_request", "a request with code_challenge_method=plain")


async def _redirect_uri(ctx: IdpContext) -> str:
    state = state_of(ctx)
    await state.open()
    auth = state.authorization(
        endpoint(ctx, "authorization_endpoint"), vtr=(), claims=claims_request(ctx), redirect_uri=UNREGISTERED
    )
    kind, found = await _outcome(state, auth, (UNREGISTERED, state.config.redirect_uri))
    if kind == "redirect" and redirected_to(found, UNREGISTERED):
        raise CaseFailed(f"the provider redirected to the unregistered redirect URI: {found[:200]}")
    if kind == "redirect":
        raise CaseFailed(
            f"the provider redirected to the registered redirect URI, not an error page: {found[:160]}"
        )
    if kind == "signin":
        raise CaseFailed(f"a request with an unregistered redirect_uri was not refused: {found}")
    if not found.startswith("HTTP 4"):
        raise CaseFailed(f"expected an error page (HTTP 4xx), got {found}")
    return f"error page, no redirect: {found}"


async def _token_refused(
    state: LoginState, ctx: IdpContext, form: dict[str, str], error: str, *, assertion: str | None = None
) -> Answer:
    answer, _sent = await state.token_request(endpoint(ctx, "token_endpoint"), form, assertion=assertion)
    if answer.status == 200 and answer.body is not None and answer.error is None:
        raise CaseFailed(f"the provider issued tokens ({answer.describe()})")
    if answer.error != error:
        raise CaseFailed(f"answered {answer.describe()}, not error {error} (RFC 6749 §5.2)")
    if answer.status not in (400, 401):
        raise CaseFailed(f"{answer.describe()}: the status must be 400 (or 401 for invalid_client)")
    return answer


def _code_form(
    auth: Authorization, *, code: str | None = None, verifier: str | None = None
) -> dict[str, str]:
    return {
        "grant_type": "authorization_code",
        "code": code or auth.response.get("code", _NOT_A_CODE),
        "redirect_uri": auth.redirect_uri,
        "code_verifier": verifier or auth.verifier,
    }


async def _code_reuse(ctx: IdpContext) -> str:
    state = state_of(ctx)
    assert state.main is not None
    answer = await _token_refused(state, ctx, _code_form(state.main), "invalid_grant")
    url = ctx.discovery.get("userinfo_endpoint")
    revoked = ""
    if isinstance(url, str) and "access_token" in state.tokens:
        after = await state.send(
            "the UserInfo endpoint",
            "GET",
            url,
            headers={"Authorization": f"Bearer {state.tokens['access_token']}"},
        )
        revoked = (
            "; the access token issued with it is revoked"
            if after.status == 401
            else f"; the access token issued with it still works (HTTP {after.status}: RFC 6749 §4.1.2 says "
            "it SHOULD be revoked)"
        )
    return f"second use refused: {answer.describe()}{revoked}"


async def _code_verifier(ctx: IdpContext) -> str:
    state = state_of(ctx)
    await state.open()
    auth = state.authorization(endpoint(ctx, "authorization_endpoint"), vtr=(), claims=None)
    params = await authorize(
        ctx,
        auth,
        purpose="A second authorization (for the wrong code_verifier probe): open this URL too.",
    )
    if "code" not in params:
        raise CaseFailed(f"the second authorization did not return a code: {params.get('error', params)!r}")
    wrong, _challenge = pkce_pair()
    answer = await _token_refused(state, ctx, _code_form(auth, verifier=wrong), "invalid_grant")
    return f"wrong code_verifier refused: {answer.describe()}"


def _needs_key(state: LoginState) -> None:
    if state.config.key is None:
        raise CaseSkipped("the client authenticates with --client-secret: no client assertion to probe")


async def _audience(ctx: IdpContext) -> str:
    state = state_of(ctx)
    _needs_key(state)
    wrong = state.assertion_for("https://wrong-audience.ukid-check.invalid/token")
    verifier, _ = pkce_pair()
    form = {
        "grant_type": "authorization_code",
        "code": _NOT_A_CODE,
        "redirect_uri": state.config.redirect_uri,
        "code_verifier": verifier,
    }
    answer = await _token_refused(state, ctx, form, "invalid_client", assertion=wrong)
    return f"assertion for another audience refused: {answer.describe()}"


async def _replay(ctx: IdpContext) -> str:
    state = state_of(ctx)
    _needs_key(state)
    if state.assertion is None:
        raise CaseFailed("the main token request sent no client assertion")
    verifier, _ = pkce_pair()
    form = {
        "grant_type": "authorization_code",
        "code": _NOT_A_CODE + secrets.token_hex(4),
        "redirect_uri": state.config.redirect_uri,
        "code_verifier": verifier,
    }
    answer = await _token_refused(state, ctx, form, "invalid_client", assertion=state.assertion)
    return f"replayed assertion (same jti) refused: {answer.describe()}"


def probe_cases() -> list[Case[IdpContext]]:
    """The probes in run order (after :func:`ukid.check.idp_login.login_cases`)."""
    authz = ("discovery.fetch",)
    return [
        Case(
            "probe.pkce_required",
            "An authorization request without PKCE is refused (invalid_request)",
            "RFC 7636 §4.4.1; RFC 9700 §2.1.1",
            "Require code_challenge with code_challenge_method S256 on every authorization request.",
            _no_pkce,
            authz,
        ),
        Case(
            "probe.pkce_plain",
            "code_challenge_method=plain is refused (invalid_request)",
            "RFC 7636 §4.2, §4.4.1; RFC 9700 §2.1.1",
            "Accept code_challenge_method S256 only; answer plain with invalid_request.",
            _plain,
            authz,
        ),
        Case(
            "probe.redirect_uri",
            "An unregistered redirect URI gets an error page, never a redirect",
            "RFC 6749 §3.1.2.3, §4.1.2.1; RFC 9700 §4.1.3",
            "Compare redirect_uri exactly with the registered URIs; on a mismatch show an error page.",
            _redirect_uri,
            authz,
        ),
        Case(
            "probe.code_reuse",
            "An authorization code used twice is refused (invalid_grant)",
            "RFC 6749 §4.1.2, §10.5",
            "Make codes single-use; refuse a second use with invalid_grant and revoke its tokens.",
            _code_reuse,
            ("login.token",),
        ),
        Case(
            "probe.code_verifier",
            "A wrong code_verifier is refused (invalid_grant)",
            "RFC 7636 §4.6",
            "Compare BASE64URL(SHA256(code_verifier)) with the code_challenge; refuse with invalid_grant.",
            _code_verifier,
            ("login.authorization",),
        ),
        Case(
            "probe.assertion_audience",
            "A client assertion for another audience is refused (invalid_client)",
            "RFC 7523 §3 (item 3); OpenID Connect Core 1.0 §9",
            "Accept client assertions only when aud is your issuer or token endpoint.",
            _audience,
            ("discovery.fetch",),
        ),
        Case(
            "probe.assertion_replay",
            "A client assertion whose jti was used is refused (invalid_client)",
            "RFC 7523 §3 (item 7); OpenID Connect Core 1.0 §9",
            "Remember each client assertion's jti until it expires and refuse it a second time.",
            _replay,
            ("login.token",),
        ),
    ]
