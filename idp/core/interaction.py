"""The browser side of an authorization: sign-in, consent and the answer to the client.

OpenID Connect Core 1.0 §3.1.2.3-§3.1.2.6: after :mod:`idp.core.authorization` has checked a
request, the citizen is authenticated (a live session is reused unless ``prompt=login``,
``select_account`` or an exceeded ``max_age`` asks for a new sign-in), the requested vectors of
trust are checked against what the citizen has proven (RFC 8485 §6; Unmet Authentication
Requirements 1.0 §2) before anything is shown (none met yet: the step-up page offers to prove more,
:mod:`idp.core.step_up`, and :func:`resume` checks them again on return), consent is asked unless a
remembered consent covers every scope and claim (or ``prompt=consent`` asks again), and the
authorization code is returned with ``state`` and ``iss`` (RFC 9207 §2). ``prompt=none`` never shows
a page: it answers ``login_required``, ``consent_required`` or ``unmet_authentication_requirements``
instead (§3.1.2.6).

One authorization in a browser is an *interaction*, bound to that browser's cookie; its forms
carry a CSRF token derived from the browser cookie and the interaction (:mod:`idp.core.csrf`), and
it completes once.
"""

from __future__ import annotations

import hmac
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from sqlalchemy.exc import IntegrityError

from idp.core.authorization import requested_claims
from idp.core.clients import Client
from idp.core.csrf import check_csrf, csrf_token
from idp.core.errors import (
    AccessDenied,
    ConsentRequired,
    LoginRequired,
    OAuthError,
    UnmetAuthenticationRequirements,
)
from idp.core.grants import issue_code
from idp.core.identity import Identity, identity_of
from idp.core.problems import InteractionProblem
from idp.core.requests import AuthorizationRequest
from idp.core.signin import (
    LOCKOUT_SECONDS,
    MAX_FAILURES,
    MAX_PASSWORD,
    MAX_USERNAME,
    PASSWORD_AMR,
    PASSWORD_CREDENTIAL,
    SECOND_FACTOR_AMR,
    SECOND_FACTOR_CREDENTIAL,
    SECOND_STEP_SECONDS,
    CodeRefused,
    SecondStep,
    SignedIn,
    SignInFailed,
    check_password,
    second_step,
    sign_in,
    start_session,
)
from idp.core.step_up import Explained, explain, options
from idp.core.vectors import achieve, acr_for
from idp.store import digest
from idp.store.accounts import Account
from idp.store.interactions import Interaction, Session

if TYPE_CHECKING:
    from idp.services import IdpServices

__all__ = [
    "LOCKOUT_SECONDS",
    "MAX_FAILURES",
    "MAX_PASSWORD",
    "MAX_USERNAME",
    "PASSWORD_AMR",
    "PASSWORD_CREDENTIAL",
    "SECOND_FACTOR_AMR",
    "SECOND_FACTOR_CREDENTIAL",
    "SECOND_STEP_SECONDS",
    "CodeRefused",
    "InteractionProblem",
    "Redirect",
    "SecondStep",
    "ShowConsent",
    "ShowLogin",
    "ShowStepUp",
    "SignInFailed",
    "SignedIn",
    "authorize",
    "check_csrf",
    "check_password",
    "consent_answer",
    "consent_context",
    "csrf_token",
    "error_location",
    "leave_step_up",
    "open_interaction",
    "response_location",
    "resume",
    "second_step",
    "sign_in",
    "signed_in",
    "start_session",
]


@dataclass(frozen=True)
class Redirect:
    """Send the browser back to the client (a code or an error)."""

    location: str


@dataclass(frozen=True)
class ShowLogin:
    """Show the sign-in page of the interaction."""

    interaction_id: str


@dataclass(frozen=True)
class ShowConsent:
    """Show the consent page of the interaction."""

    interaction_id: str


@dataclass(frozen=True)
class ShowStepUp:
    """Show the step-up page of the interaction: no requested vector can be met yet (RFC 8485 §6.1)."""

    interaction_id: str
    explained: Explained


Next = Redirect | ShowLogin | ShowConsent | ShowStepUp


@dataclass(frozen=True)
class _Citizen:
    """Who is signed in, how, and what their evidence proves."""

    account: Account
    session: Session
    identity: Identity


# -- responses to the client ----------------------------------------------------------------------


def response_location(redirect_uri: str, values: Mapping[str, str | None]) -> str:
    """``redirect_uri`` with ``values`` added to its query (RFC 6749 §4.1.2: keeping its own query)."""
    parts = urlsplit(redirect_uri)
    query = parse_qsl(parts.query, keep_blank_values=True)
    query += [(name, value) for name, value in values.items() if value is not None]
    return urlunsplit(parts._replace(query=urlencode(query)))


def error_location(issuer: str, redirect_uri: str, state: str | None, exc: OAuthError) -> str:
    """An error response to the client (RFC 6749 §4.1.2.1) with ``iss`` (RFC 9207 §2)."""
    return response_location(
        redirect_uri,
        {"error": exc.error, "error_description": exc.description, "state": state, "iss": issuer},
    )


def _error(services: IdpServices, request: AuthorizationRequest, exc: OAuthError) -> Redirect:
    return Redirect(error_location(services.config.issuer, request.redirect_uri, request.state, exc))


# -- the steps ------------------------------------------------------------------------------------


def _login_needed(request: AuthorizationRequest, citizen: _Citizen, now: int) -> bool:
    """Core §3.1.2.1: ``prompt=login``/``select_account`` ask for a new sign-in, as does
    :func:`_sign_in_again`."""
    prompt = request.prompt
    return "login" in prompt or "select_account" in prompt or _sign_in_again(request, citizen, now)


def _sign_in_again(request: AuthorizationRequest, citizen: _Citizen, now: int) -> bool:
    """``max_age`` exceeded (Core §3.1.2.1), or a ``vtr`` the session's credential cannot meet but a
    sign-in with the citizen's second factor would (RFC 8485 §6.1: step up rather than refuse)."""
    session = citizen.session
    if request.max_age is not None and now - session.auth_time > request.max_age:
        return True
    return (
        bool(request.vtr)
        and citizen.account.second_factor
        and achieve(citizen.identity, session.credential, request.vtr) is None
        and achieve(citizen.identity, SECOND_FACTOR_CREDENTIAL, request.vtr) is not None
    )


def _live(services: IdpServices, session_id: str | None) -> _Citizen | None:
    found = services.interactions.live_session(session_id) if session_id else None
    if found is None:
        return None
    return _citizen(services, found[1], found[0])


def _citizen(services: IdpServices, account: Account, session: Session) -> _Citizen:
    return _Citizen(account, session, identity_of(services.accounts, account, services.now()))


async def authorize(
    services: IdpServices,
    client: Client,
    request: AuthorizationRequest,
    *,
    browser_id: str,
    session_id: str | None,
) -> Next:
    """The answer to a checked authorization request in a browser with ``session_id`` (its cookie).

    Raises the OAuth error to return to the redirect URI when ``prompt=none`` cannot be honoured
    (nothing is written then).
    """
    live = _live(services, session_id)
    if live is not None and not _login_needed(request, live, services.now()):
        return await _authenticated(
            services, client, request, live, interaction_id=None, browser_id=browser_id
        )
    if "none" in request.prompt:
        raise LoginRequired("the citizen is not signed in (prompt=none)")
    interaction_id = services.interactions.begin(
        browser_id, client.client_id, request.to_json(), services.config.interaction_lifetime, None
    )
    return ShowLogin(interaction_id)


def open_interaction(
    services: IdpServices, interaction_id: str | None, browser_id: str | None
) -> tuple[Interaction, str]:
    """The live interaction ``interaction_id`` of this browser, and the browser's ID;
    ``InteractionProblem`` otherwise."""
    found = services.interactions.interaction(interaction_id) if interaction_id else None
    if found is None or found.expires_at <= services.now():
        raise InteractionProblem(
            "expired",
            "This sign-in has expired or does not exist. "
            "Go back to the service you were using and start again.",
        )
    if browser_id is None or not hmac.compare_digest(found.browser_hash, digest(browser_id)):
        raise InteractionProblem(
            "other_browser",
            "This sign-in was started in another browser, or your browser did not keep its cookie. "
            "Go back to the service you were using and start again.",
        )
    if found.completed_at is not None:
        raise InteractionProblem(
            "completed",
            "This sign-in has already been completed. Go back to the service you were using.",
        )
    return found, browser_id


async def signed_in(
    services: IdpServices, client: Client, interaction: Interaction, outcome: SignedIn, browser_id: str
) -> Next:
    """What follows a successful sign-in: the vector check, then consent or the code."""
    citizen = _citizen(services, outcome.account, outcome.session)
    request = AuthorizationRequest.from_json(interaction.request)
    return await _authenticated(
        services, client, request, citizen, interaction_id=interaction.id, browser_id=browser_id
    )


def consent_context(
    services: IdpServices, interaction: Interaction, session_id: str | None
) -> Account | None:
    """The citizen signed in for ``interaction`` in this browser (None: they must sign in again)."""
    found = services.interactions.live_session(session_id) if session_id else None
    if found is None or interaction.account_id is None or found[1].id != interaction.account_id:
        return None
    return found[1]


async def consent_answer(
    services: IdpServices,
    client: Client,
    interaction: Interaction,
    session_id: str | None,
    *,
    agree: bool,
    declined: Collection[str] = (),
) -> Next:
    """The citizen's answer on the consent page: the code for what they agreed to (leaving out the
    ``declined`` optional claims; the consent remembered as exactly that), or ``access_denied``."""
    live = _owner(services, interaction, session_id)
    if live is None:
        return ShowLogin(interaction.id)
    request = AuthorizationRequest.from_json(interaction.request)
    if not agree:
        _complete(services, interaction.id)
        return _error(services, request, AccessDenied("the citizen did not agree to share the information"))
    try:
        vot = _vector(live, request)
    except UnmetAuthenticationRequirements as exc:  # e.g. signed in again meanwhile, with a password only
        return _unmet(services, request, live, exc, interaction.id)
    return await _issue(
        services,
        client,
        request,
        live,
        vot,
        interaction_id=interaction.id,
        remember=True,
        declined=frozenset(declined),
    )


async def _authenticated(
    services: IdpServices,
    client: Client,
    request: AuthorizationRequest,
    citizen: _Citizen,
    *,
    interaction_id: str | None,
    browser_id: str,
) -> Next:
    try:
        vot = _vector(citizen, request)
    except UnmetAuthenticationRequirements as exc:
        if "none" in request.prompt or not options(request.vtr):
            return _refuse(services, request, exc, interaction_id)
        interaction_id = interaction_id or _begin(services, client, request, citizen, browser_id)
        return _unmet(services, request, citizen, exc, interaction_id)
    try:
        names = requested_claims(request)
        consent = services.interactions.consent(citizen.account.id, client.client_id)
        needed = "consent" in request.prompt or consent is None or not consent.covers(request.scope, names)
        if needed and "none" in request.prompt:
            raise ConsentRequired("the citizen has not agreed to share this information with this client")
    except OAuthError as exc:
        return _refuse(services, request, exc, interaction_id)
    if needed:
        return ShowConsent(interaction_id or _begin(services, client, request, citizen, browser_id))
    return await _issue(
        services, client, request, citizen, vot, interaction_id=interaction_id, remember=False
    )


def _begin(
    services: IdpServices, client: Client, request: AuthorizationRequest, citizen: _Citizen, browser_id: str
) -> str:
    """An interaction for a request that needs a page although the citizen is signed in."""
    lifetime = services.config.interaction_lifetime
    return services.interactions.begin(
        browser_id, client.client_id, request.to_json(), lifetime, citizen.account.id
    )


def _refuse(
    services: IdpServices, request: AuthorizationRequest, exc: OAuthError, interaction_id: str | None
) -> Redirect:
    """The error for the client: raised when no interaction was begun (nothing is written), else the
    interaction completes with it."""
    if interaction_id is None:
        raise exc
    _complete(services, interaction_id)
    return _error(services, request, exc)


def _unmet(
    services: IdpServices,
    request: AuthorizationRequest,
    citizen: _Citizen,
    exc: UnmetAuthenticationRequirements,
    interaction_id: str,
) -> Next:
    """The step-up page, or ``unmet_authentication_requirements`` when no requested vector could ever
    be met here (Unmet Authentication Requirements 1.0 §2)."""
    if not options(request.vtr):
        return _refuse(services, request, exc, interaction_id)
    account, session = citizen.account, citizen.session
    return ShowStepUp(
        interaction_id, explain(citizen.identity, session.credential, account.second_factor, request.vtr)
    )


def _owner(services: IdpServices, interaction: Interaction, session_id: str | None) -> _Citizen | None:
    """The citizen signed in for ``interaction`` in this browser (None: they must sign in again)."""
    live = _live(services, session_id)
    if live is None or interaction.account_id is None or live.account.id != interaction.account_id:
        return None
    return live


async def resume(
    services: IdpServices, client: Client, interaction: Interaction, session_id: str | None, browser_id: str
) -> Next:
    """Back at an interaction after a step-up (RFC 8485 §6.1): the vectors are checked again. Met: the
    usual flow (consent, then the code); a second factor would meet them, or ``max_age`` is exceeded:
    the sign-in; still not met: the step-up page again. ``prompt=login`` was honoured by the sign-in
    for the interaction; another account's session means signing in again."""
    live = _owner(services, interaction, session_id)
    request = AuthorizationRequest.from_json(interaction.request)
    if live is None or _sign_in_again(request, live, services.now()):
        return ShowLogin(interaction.id)
    return await _authenticated(
        services, client, request, live, interaction_id=interaction.id, browser_id=browser_id
    )


def leave_step_up(services: IdpServices, interaction: Interaction, session_id: str | None) -> Next:
    """The step-up page's "go back": the interaction completes with
    ``unmet_authentication_requirements`` (Unmet Authentication Requirements 1.0 §2)."""
    live = _owner(services, interaction, session_id)
    if live is None:
        return ShowLogin(interaction.id)
    request = AuthorizationRequest.from_json(interaction.request)
    return _refuse(services, request, UnmetAuthenticationRequirements(_unmet_detail(live)), interaction.id)


def _unmet_detail(citizen: _Citizen) -> str:
    level = citizen.identity.level.value if citizen.identity.level is not None else "none"
    return (
        "the requested vectors need identity confidence or a credential this account has not reached "
        f"(identity confidence reached: {level}; credential: {citizen.session.credential})"
    )


def _vector(citizen: _Citizen, request: AuthorizationRequest) -> str | None:
    """The vector of trust achieved (RFC 8485 §6.1); ``UnmetAuthenticationRequirements`` when none of
    the requested vectors can be met."""
    vot = achieve(citizen.identity, citizen.session.credential, request.vtr)
    if vot is None and request.vtr:
        raise UnmetAuthenticationRequirements(_unmet_detail(citizen))
    return vot


def _completed() -> InteractionProblem:
    return InteractionProblem(
        "completed", "This sign-in has already been completed. Go back to the service you were using."
    )


def _complete(services: IdpServices, interaction_id: str) -> None:
    if not services.interactions.complete(interaction_id):
        raise _completed()


async def _issue(
    services: IdpServices,
    client: Client,
    request: AuthorizationRequest,
    citizen: _Citizen,
    vot: str | None,
    *,
    interaction_id: str | None,
    remember: bool,
    declined: frozenset[str] = frozenset(),
) -> Redirect:
    """Issue the code (and remember the consent given): the successful response (Core §3.1.2.5).

    One transaction completes the interaction, creates the grant and its code and records the
    consent; it is retried once if a concurrent first consent of the same citizen and client won."""
    names = [name for name in requested_claims(request) if name not in declined]
    for attempt in range(2):
        try:
            with services.grants.transaction() as connection:
                if interaction_id is not None and not services.interactions.complete(
                    interaction_id, connection=connection
                ):
                    raise _completed()
                code = issue_code(
                    services,
                    client=client,
                    request=request,
                    account_id=citizen.account.id,
                    auth_time=citizen.session.auth_time,
                    amr=list(citizen.session.amr),
                    consented_claims=list(names),
                    vot=vot,
                    acr=acr_for(citizen.identity) if request.acr_values else None,
                    connection=connection,
                )
                if remember:
                    services.interactions.record_consent(
                        connection,
                        citizen.account.id,
                        client.client_id,
                        organization_name=client.organization_name,
                        scopes=request.scope,
                        claims=names,
                        declined=declined,
                    )
            break
        except IntegrityError:
            if attempt:  # pragma: no cover - lost two races in a row
                raise
    services.metrics.code_issued()
    values: dict[str, str | None] = {"code": code, "state": request.state, "iss": services.config.issuer}
    if services.conformance is not None:
        values = services.conformance.authorization_response(client.client_id, request.vtr, values)
    return Redirect(response_location(request.redirect_uri, values))
