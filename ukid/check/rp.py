"""``ukid check rp``: does a relying party refuse what it must?

The checker plays the citizen's browser against the RP's login, with the sample identity provider
in conformance mode (:mod:`idp.core.conformance`) answering. For each case it opens the login URL
in a fresh RP session, arms the case at the provider for the RP's client ID (read from the
authorization request the RP sends the browser to), signs in as the test account (the provider
session is kept between cases) and follows the RP's callback to the page it ends on. The first
login is genuine: the page it ends on (and ``--signed-in-text`` if given) is what "accepted"
looks like. A broken case passes when the RP does NOT end there, with no server error; the
provider's record of the login says how far the RP took it (a forged authorization response must
be refused before the code is redeemed; an ID token or ``verified_claims`` case counts only when
the RP fetched it).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

import httpx

from ukid.check.agent import Agent, AgentError, Credentials, forms, origin, page_text
from ukid.check.cases import Case, CaseFailed

__all__ = ["RP_CASES", "Outcome", "RpContext", "rp_cases"]

_CORE = "OpenID Connect Core 1.0"
_IDA = "OpenID Connect for Identity Assurance 1.0"


@dataclass(frozen=True)
class Outcome:
    """Where one login ended: the last page, and what the provider saw the RP do."""

    status: int
    url: str
    text: str
    events: tuple[str, ...]

    @property
    def where(self) -> str:
        return f"{self.url} (HTTP {self.status})"


@dataclass
class RpContext:
    """The RP's login URL, the conformance provider and the test account; what was learnt so far."""

    login_url: str
    idp: str
    credentials: Credentials
    timeout: float = 10.0
    signed_in_text: str | None = None
    idp_client: httpx.AsyncClient | None = None
    #: Cookies to start the provider session from (a sign-in kept from an earlier run).
    idp_cookies: httpx.Cookies | None = None
    authorization_endpoint: str = ""
    client_id: str = ""
    baseline: Outcome | None = None
    cases_offered: set[str] = field(default_factory=set)
    #: The clock of the TOTP codes (tests run the provider on an offset clock).
    clock: Callable[[], float] = time.time

    def idp_http(self) -> httpx.AsyncClient:
        """The client for the provider (its cookie jar keeps the sign-in session between cases)."""
        if self.idp_client is None:
            self.idp_client = httpx.AsyncClient(
                timeout=self.timeout, follow_redirects=False, cookies=self.idp_cookies
            )
        return self.idp_client

    async def aclose(self) -> None:
        if self.idp_client is not None:
            await self.idp_client.aclose()


def _http_failure(what: str, exc: httpx.HTTPError) -> CaseFailed:
    detail = str(exc) or type(exc).__name__
    return CaseFailed(f"{what}: {type(exc).__name__}: {detail}")


async def _json(ctx: RpContext, method: str, url: str, body: dict[str, str] | None = None) -> Any:
    try:
        response = await ctx.idp_http().request(method, url, json=body)
    except httpx.HTTPError as exc:
        raise _http_failure(url, exc) from None
    if "json" not in response.headers.get("content-type", ""):
        raise CaseFailed(f"{url}: HTTP {response.status_code}, not JSON: {page_text(response.text, 160)}")
    return response.json()


async def _conformance(ctx: RpContext) -> str:
    """The provider answers in conformance mode and offers every case this suite arms."""
    base = ctx.idp.removesuffix("/")
    discovery = await _json(ctx, "GET", f"{base}/.well-known/openid-configuration")
    endpoint = discovery.get("authorization_endpoint") if isinstance(discovery, dict) else None
    if not isinstance(endpoint, str):
        raise CaseFailed(f"{base} has no authorization_endpoint in its discovery document")
    ctx.authorization_endpoint = endpoint
    try:
        response = await ctx.idp_http().get(f"{base}/conformance")
    except httpx.HTTPError as exc:
        raise _http_failure(f"{base}/conformance", exc) from None
    if response.status_code != 200 or "json" not in response.headers.get("content-type", ""):
        raise CaseFailed(
            f"{base} is not in conformance mode (GET /conformance: HTTP {response.status_code})",
            fix="Run the sample provider with UKID_IDP_CONFORMANCE=true in dev (`ukid up` does).",
        )
    offered = {c.get("case") for c in response.json().get("cases", []) if isinstance(c, dict)}
    missing = sorted(set(RP_CASES) - offered)
    if missing:
        raise CaseFailed(f"the provider does not offer {', '.join(missing)}: update it")
    ctx.cases_offered = {str(c) for c in offered}
    return f"{base}: conformance mode, {len(offered)} cases"


async def _to_provider(ctx: RpContext, agent: Agent) -> httpx.Response:
    """From the login URL to the redirect into the provider's authorization endpoint (not followed)."""
    into_idp = origin(ctx.authorization_endpoint)

    def at_idp(location: str) -> bool:
        return origin(location) == into_idp

    page = await agent.follow(await agent.get(ctx.login_url), stop=at_idp)
    for _ in range(3):  # a "choose how to prove who you are" page: the form naming the provider
        if page.is_redirect:
            return page
        chosen = [f for f in forms(page.text) if ctx.idp.removesuffix("/") in {*f.fields.values(), f.action}]
        if not chosen:
            raise CaseFailed(
                f"the login URL did not lead to {ctx.idp}: it ended at {page.url} (HTTP {page.status_code}): "
                f"{page_text(page.text, 160)}",
                fix="Give the URL of the RP's login that offers (or goes straight to) this provider.",
            )
        page = await agent.follow(await agent.submit(page, chosen[0], {}), stop=at_idp)
    raise CaseFailed(f"the login URL never reached {ctx.idp}")


async def login(ctx: RpContext, case: str) -> Outcome:
    """One login through the RP with ``case`` armed at the provider."""
    rp_client = httpx.AsyncClient(timeout=ctx.timeout, follow_redirects=False)
    agent = Agent(rp_client, origins={ctx.idp: ctx.idp_http()}, clock=ctx.clock)
    try:
        redirect = await _to_provider(ctx, agent)
        query = dict(parse_qsl(httpx.URL(agent.location(redirect)).query.decode()))
        client_id = query.get("client_id")
        if not client_id:
            raise CaseFailed("the RP's authorization request has no client_id")
        ctx.client_id = client_id
        base = ctx.idp.removesuffix("/")
        armed = await _json(
            ctx, "POST", f"{base}/conformance/scenarios", {"client_id": client_id, "case": case}
        )
        if not isinstance(armed, dict) or "id" not in armed:
            raise CaseFailed(f"the provider did not arm {case}: {armed}")
        back = await agent.sign_in(redirect, ctx.credentials, stop=lambda loc: origin(loc) != origin(ctx.idp))
        final = await agent.follow(await agent.get(agent.location(back)))
        seen = await _json(ctx, "GET", f"{base}/conformance/scenarios/{armed['id']}")
        events = tuple(seen.get("events", ())) if isinstance(seen, dict) else ()
        return Outcome(final.status_code, str(final.url.copy_with(query=None)), final.text, events)
    except AgentError as exc:
        raise CaseFailed(str(exc)) from None
    except httpx.HTTPError as exc:
        raise _http_failure("the login", exc) from None
    finally:
        await rp_client.aclose()


def _accepted(ctx: RpContext, outcome: Outcome) -> bool:
    baseline = ctx.baseline
    if baseline is None or outcome.status >= 400 or outcome.url != baseline.url:
        return False
    return ctx.signed_in_text is None or ctx.signed_in_text in outcome.text


async def _baseline(ctx: RpContext) -> str:
    outcome = await login(ctx, "valid")
    if outcome.status >= 400:
        raise CaseFailed(
            f"the RP refused a genuine login: it ended at {outcome.where}: {page_text(outcome.text)}"
        )
    missing = [e for e in ("token", "userinfo") if e not in outcome.events]
    if missing:
        raise CaseFailed(
            f"the RP did not call the provider's {' or '.join(missing)} endpoint in a genuine login"
        )
    if ctx.signed_in_text is not None and ctx.signed_in_text not in outcome.text:
        raise CaseFailed(f"the genuine login ended at {outcome.where} without {ctx.signed_in_text!r}")
    ctx.baseline = outcome
    detail = f"signed in as {ctx.credentials.username} ({ctx.client_id}); ends at {outcome.where}"
    if ctx.signed_in_text is None and outcome.url != str(httpx.URL(ctx.login_url).copy_with(query=None)):
        detail += " (not the login URL: if that is not the signed-in page, give --signed-in-text)"
    return detail


@dataclass(frozen=True)
class _Spec:
    case: str  #: the provider's conformance case
    id: str
    title: str
    spec: str
    fix: str
    stage: str  #: the event that shows the RP received the broken part
    expect_accept: bool = False


async def _run(ctx: RpContext, spec: _Spec) -> str:
    outcome = await login(ctx, spec.case)
    if outcome.status >= 500:
        raise CaseFailed(
            f"the RP crashed (HTTP {outcome.status} at {outcome.url}) instead of refusing cleanly"
        )
    accepted = _accepted(ctx, outcome)
    if spec.expect_accept:
        if not accepted:
            raise CaseFailed(f"the RP refused it: it ended at {outcome.where}: {page_text(outcome.text)}")
        return f"accepted: ended at {outcome.where}"
    if spec.stage not in outcome.events:
        raise CaseFailed(
            f"not exercised: the RP never took the login to the provider's {spec.stage} step "
            f"(it ended at {outcome.where}: {page_text(outcome.text, 160)})"
        )
    if accepted:
        raise CaseFailed(f"the RP accepted it: it ended at {outcome.where}, like the genuine login")
    if spec.stage == "authorized" and "token" in outcome.events:
        raise CaseFailed(
            "the RP redeemed the code of a response it must reject before using it "
            f"(it ended at {outcome.where})"
        )
    return f"refused: ended at {outcome.where}: {page_text(outcome.text, 160)}"


_SPECS: tuple[_Spec, ...] = (
    _Spec(
        "key_rotation",
        "rp.key_rotation",
        "An ID token signed with a newly rotated key is accepted",
        f"{_CORE} §10.1.1",
        "On an unknown kid, fetch the provider's keys again once before refusing.",
        "token",
        expect_accept=True,
    ),
    _Spec(
        "authorization_wrong_state",
        "rp.authorization.wrong_state",
        "An authorization response with another state",
        "RFC 6749 §10.12; " + _CORE + " §3.1.2.7",
        "Bind state to the browser session; refuse any other.",
        "authorized",
    ),
    _Spec(
        "authorization_wrong_iss",
        "rp.authorization.mix_up",
        "An authorization response naming another iss",
        "RFC 9207 §2.4",
        "Compare iss with the provider the request went to, before redeeming the code.",
        "authorized",
    ),
    _Spec(
        "id_token_bad_signature",
        "rp.id_token.bad_signature",
        "An ID token with a broken signature",
        f"{_CORE} §3.1.3.7 (6); RFC 7515 §5.2",
        "Verify the ID token's signature with the provider's keys.",
        "token",
    ),
    _Spec(
        "id_token_alg_none",
        "rp.id_token.alg_none",
        "An unsigned ID token (alg none)",
        f"{_CORE} §3.1.3.7 (7); RFC 8725 §3.1",
        "Accept only the provider's signing algorithms, never none.",
        "token",
    ),
    _Spec(
        "id_token_unknown_kid",
        "rp.id_token.unknown_kid",
        "An ID token signed with a key never published",
        f"{_CORE} §10.1.1; RFC 7515 §4.1.4",
        "Refuse a token whose kid is not in the provider's keys.",
        "token",
    ),
    _Spec(
        "id_token_wrong_iss",
        "rp.id_token.wrong_iss",
        "An ID token from another issuer",
        f"{_CORE} §3.1.3.7 (2)",
        "iss must equal the provider's issuer exactly.",
        "token",
    ),
    _Spec(
        "id_token_wrong_aud",
        "rp.id_token.wrong_aud",
        "An ID token for another client",
        f"{_CORE} §3.1.3.7 (3)",
        "aud must contain your client ID (and nothing untrusted).",
        "token",
    ),
    _Spec(
        "id_token_wrong_nonce",
        "rp.id_token.wrong_nonce",
        "An ID token with another nonce",
        f"{_CORE} §3.1.3.7 (11)",
        "Compare nonce with the one stored for this login.",
        "token",
    ),
    _Spec(
        "id_token_expired",
        "rp.id_token.expired",
        "An expired ID token",
        f"{_CORE} §3.1.3.7 (9)",
        "Refuse a token whose exp has passed (allow a small clock skew).",
        "token",
    ),
    _Spec(
        "id_token_future_iat",
        "rp.id_token.future_iat",
        "An ID token issued an hour in the future",
        f"{_CORE} §3.1.3.7 (10)",
        "Refuse a token whose iat is beyond the allowed clock skew.",
        "token",
    ),
    _Spec(
        "id_token_missing_vot",
        "rp.id_token.missing_vot",
        "An ID token without vot when vtr was requested",
        "RFC 8485 §5, §6.1",
        "Require vot (and vtm) when you sent vtr.",
        "token",
    ),
    _Spec(
        "id_token_vot_outside_vtr",
        "rp.id_token.vot_outside_vtr",
        "An ID token whose vot was not requested",
        "RFC 8485 §6.1",
        "vot must be one of the vectors you requested in vtr.",
        "token",
    ),
    _Spec(
        "verified_claims_unknown_trust_framework",
        "rp.verified_claims.unknown_trust_framework",
        "verified_claims under an unknown trust framework",
        f"{_IDA} §5",
        "Accept only the trust frameworks you know (uk_diatf).",
        "userinfo",
    ),
    _Spec(
        "verified_claims_under_scored",
        "rp.verified_claims.under_scored",
        "verified_claims whose evidence scores are below the level claimed",
        f"{_IDA} §5; GPG 45",
        "Compute the level from the GPG 45 scores, not from assurance_level.",
        "userinfo",
    ),
)


def _case(spec: _Spec) -> Case[RpContext]:
    async def run(ctx: RpContext) -> str:
        return await _run(ctx, spec)

    return Case(spec.id, spec.title, spec.spec, spec.fix, run, requires=("rp.login",))


#: The provider cases the suite arms (``valid`` for the genuine login).
RP_CASES: tuple[str, ...] = ("valid", *(s.case for s in _SPECS))


def rp_cases() -> Sequence[Case[RpContext]]:
    """Every case, in order: the provider, the genuine login, then each broken answer."""
    return [
        Case(
            "idp.conformance",
            "The provider is in conformance mode",
            "ukid-interop conformance mode",
            "Start the sample provider with UKID_IDP_CONFORMANCE=true (ukid up does).",
            _conformance,
        ),
        Case(
            "rp.login",
            "A genuine login is accepted",
            f"{_CORE} §3.1",
            "Fix the RP's login first: the other cases compare with it.",
            _baseline,
            requires=("idp.conformance",),
        ),
        *(_case(spec) for spec in _SPECS),
    ]
