"""Helpers for the strong sign-in tests: enrolment through the security pages, the account area's
sign-in, the authorization's sign-in with its code step, and reading forms by their action.

The kit's clock drives the codes (RFC 6238 time steps of 30 s); a code of a step already accepted
is refused, so tests move the clock on a step (:func:`next_code`) before using another code.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import quote, urlsplit

import httpx
import pytest

from idp.core import totp
from idp.store.accounts import Account
from tests.idp.flows import (
    authorization_params,
    citizen,
    decide,
    follow,
    form_fields,
    pkce,
    redirect_query,
    shared_kit,
    sign_in,
    start,
)
from tests.idp.idpkit import PASSWORD, IdpKit
from tests.trust_registry.htmlpage import Node, page

CALLBACK = "https://static.example/callback"
WRONG_PASSWORD = "Enter a correct username and password"
CODE_WRONG = (
    "The code is not correct or has expired: enter the code your authenticator app shows now, "
    "or a recovery code"
)
CODE_REUSED = "That code has already been used: wait for your authenticator app to show a new code"
RECOVERY_USED = (
    "That recovery code has already been used: enter the code your authenticator app shows, "
    "or another recovery code"
)
CODE_LOCKED = "There have been too many wrong attempts: wait 15 minutes, then sign in again"
CODE_MISSING = "Enter the code your authenticator app shows, or a recovery code"
CONFIRM_WRONG = "The code is not correct or has expired: enter the code your authenticator app shows now"


def module_kit() -> object:
    """A module-scoped provider on SQLite and PostgreSQL, with a cookie-less browser per test."""

    @pytest.fixture(scope="module", params=["sqlite", "postgresql"])
    def shared(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[IdpKit]:
        with shared_kit(request.param, tmp_path_factory) as running:
            yield running

    return shared


def code(kit: IdpKit, secret: str, steps: int = 0) -> str:
    """The code an app shows ``steps`` time steps from the kit's now."""
    return totp.code_at(secret, kit.now() + steps * totp.STEP_SECONDS)


def next_code(kit: IdpKit, secret: str) -> str:
    """Move the clock to the next time step and return its code (a fresh, unused one)."""
    kit.advance(totp.STEP_SECONDS)
    return code(kit, secret)


def form_of(response: httpx.Response, action: str) -> dict[str, str]:
    """The hidden fields of the page's form posting to ``action``."""
    doc = page(response)
    [form] = [f for f in doc.all("form") if f.attrs["action"] == action]
    return {i.attrs["name"]: i.attrs["value"] for i in form.all("input", type="hidden")}


def error_text(response: httpx.Response) -> str:
    """The error summary's message (which must agree with the field's)."""
    doc = page(response)
    summary = doc.one(id="code-error").text()
    assert doc.one(id="code-error-message").text() == f"Error: {summary}"
    return summary


def session_count(kit: IdpKit) -> int:
    """How many sessions the store holds."""
    return len(kit.snapshot()["sessions"])


def account_area_sign_in(
    kit: IdpKit, username: str, password: str = PASSWORD, target: str = "/account/security"
) -> httpx.Response:
    """``GET /signin?next=`` then its form: the answer to the password."""
    form = kit.client.get(f"/signin?next={quote(target, safe='')}")
    assert form.status_code == 200, form.text
    data = {**form_of(form, "/signin"), "username": username, "password": password}
    response: httpx.Response = kit.client.post("/signin", data=data, follow_redirects=False)
    return response


def account_area_code(kit: IdpKit, after_password: httpx.Response, typed: str) -> httpx.Response:
    """Follow the password's answer to ``/signin/totp`` and send ``typed``."""
    assert after_password.status_code == 303, after_password.text
    assert urlsplit(after_password.headers["location"]).path == "/signin/totp"
    form = follow(kit, after_password)
    assert form.status_code == 200, form.text
    data = {**form_of(form, "/signin/totp"), "code": typed}
    response: httpx.Response = kit.client.post("/signin/totp", data=data, follow_redirects=False)
    return response


@dataclass
class Enrolled:
    """A citizen with a confirmed second factor."""

    account: Account
    secret: str
    recovery: list[str]


def setup_page(kit: IdpKit) -> httpx.Response:
    """Press "Set up two-step sign-in" on the security page (signed in already); the set-up page."""
    overview = kit.client.get("/account/security")
    assert overview.status_code == 200, overview.text
    answer = kit.client.post(
        "/account/security/setup", data=form_of(overview, "/account/security/setup"), follow_redirects=False
    )
    assert answer.status_code == 303, answer.text
    shown = follow(kit, answer)
    assert page(shown).one("h1").text() == "Set up two-step sign-in"
    return shown


def shown_secret(setup: httpx.Response) -> str:
    """The key shown for typing in by hand, without its spaces."""
    return page(setup).one(id="secret").text().replace(" ", "")


def enrol(kit: IdpKit, account: Account | None = None) -> Enrolled:
    """A citizen (new unless given) who signs in to the account area and sets up two-step sign-in
    through the pages; the browser is then signed in (with a password only) and the cookies kept."""
    who = account or citizen(kit)
    kit.client.cookies.clear()
    assert account_area_sign_in(kit, who.username).status_code == 303
    setup = setup_page(kit)
    secret = shown_secret(setup)
    confirmed = kit.client.post(
        "/account/security/confirm",
        data={**form_of(setup, "/account/security/confirm"), "code": code(kit, secret)},
        follow_redirects=False,
    )
    assert confirmed.status_code == 200, confirmed.text
    recovery = [node.text() for node in page(confirmed).one(id="recovery-codes").all("code")]
    found = kit.services.accounts.by_id(who.id)
    assert found is not None
    assert found.second_factor
    return Enrolled(found, secret, recovery)


@dataclass
class LoginStep:
    """An authorization that reached the code page."""

    code_page: httpx.Response
    verifier: str


def to_code_page(kit: IdpKit, username: str, *, vtr: list[str] | None = None, **extra: str) -> LoginStep:
    """A fresh browser: authorize, sign in with the password, land on ``/login/totp``."""
    kit.client.cookies.clear()
    verifier, challenge = pkce()
    login = follow(kit, start(kit, authorization_params(challenge=challenge, vtr=vtr, extra=extra)))
    answer = sign_in(kit, login, username)
    assert answer.status_code == 303, answer.text
    assert urlsplit(answer.headers["location"]).path == "/login/totp", answer.headers["location"]
    shown = follow(kit, answer)
    assert shown.status_code == 200, shown.text
    assert page(shown).one("h1").text() == "Enter your security code"
    return LoginStep(shown, verifier)


def authorize(kit: IdpKit, *, vtr: list[str] | None = None) -> tuple[httpx.Response, str]:
    """The authorization request's answer (a 303 to a page of the provider) and its PKCE verifier."""
    verifier, challenge = pkce()
    return start(kit, authorization_params(challenge=challenge, vtr=vtr)), verifier


def send_code(kit: IdpKit, code_page: httpx.Response, typed: str) -> httpx.Response:
    """Submit the code form of ``code_page``."""
    data = {**form_fields(code_page), "code": typed}
    response: httpx.Response = kit.client.post("/login/totp", data=data, follow_redirects=False)
    return response


def code_after_consent(kit: IdpKit, answer: httpx.Response) -> str:
    """From the code step's redirect: consent, then the authorization code for the client."""
    assert answer.status_code == 303, answer.text
    assert urlsplit(answer.headers["location"]).path == "/consent", answer.headers["location"]
    query = redirect_query(decide(kit, follow(kit, answer)), CALLBACK)
    return query["code"]


def heading(response: httpx.Response) -> Node:
    """The page's ``h1``."""
    return page(response).one("h1")
