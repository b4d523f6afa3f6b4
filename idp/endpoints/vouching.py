"""The vouching pages: the voucher's own sign-in and the page where they issue vouch codes, and the
citizen's page where a code is redeemed (GPG 45 vouching; OpenID Connect for Identity Assurance 1.0
§5.1.1 ``vouch`` evidence; the rules are in :mod:`idp.core.vouching`).

Vouchers have their own session cookie (:data:`VOUCHER_COOKIE`: HttpOnly, SameSite=Lax, Secure outside
``dev``, a random handle whose digest the store keeps), separate from citizens'. Every form carries a
CSRF token bound to the browser cookie and the form's purpose; a form without the right token is
refused with an error page and changes nothing.
"""

from __future__ import annotations

import os
from datetime import UTC, date, datetime
from typing import Any

import anyio
import anyio.to_thread
from fastapi import Request
from fastapi.responses import Response

from idp.core import interaction as flow
from idp.core import vouching as vouch
from idp.core.dates import long_date
from idp.core.errors import InvalidRequest
from idp.core.identity import Identity, identity_of
from idp.core.interaction import InteractionProblem
from idp.endpoints._citizen import current_citizen, sign_in_first
from idp.endpoints._http import Params, Routes, read_form, services
from idp.endpoints._pages import BROWSER_COOKIE, Pages, browser_cookie, cookie_value, locale_of, see_other
from idp.endpoints._text import text_for
from idp.endpoints.login import form_problem
from idp.store.accounts import Account
from idp.store.vouching import IssuedCode, Voucher
from schemas.gpg45 import LevelOfConfidence

__all__ = ["REDEEM_PURPOSE", "VOUCHER_COOKIE", "router"]

VOUCHER_COOKIE = "ukid_idp_voucher"
SIGNIN_PURPOSE = "voucher:signin"
ISSUE_PURPOSE = "voucher:issue"
SIGNOUT_PURPOSE = "voucher:signout"
REDEEM_PURPOSE = "vouch:redeem"
SIGNIN_FIELDS = ("csrf_token", "username", "password")
ISSUE_FIELDS = (
    "csrf_token",
    "given_name",
    "family_name",
    "birth_day",
    "birth_month",
    "birth_year",
    "relationship",
)
REDEEM_FIELDS = ("csrf_token", "code")


def _locale(request: Request) -> str:
    """The page language from ``Accept-Language`` (its tags in order, weights ignored)."""
    header = request.headers.get("accept-language", "")
    return locale_of([part.split(";", 1)[0].strip() for part in header.split(",") if part.strip()])


def _status(code: IssuedCode, now: int) -> tuple[str, dict[str, str]]:
    if code.used_at is not None:
        return "vouch_status_used", {"used": long_date(code.used_at)}
    if code.expires_at <= now:
        return "vouch_status_expired", {"expires": long_date(code.expires_at)}
    return "vouch_status_waiting", {"expires": long_date(code.expires_at)}


def _level_words(identity: Identity, locale: str) -> dict[str, str]:
    """The level reached and what would take the citizen further, in plain words."""
    t = text_for(locale)
    level = identity.level
    if level is None:
        return {"level": t["vouch_level_none"], "next": t["vouch_next_none"]}
    profile = next(p for p in identity.profiles if p[0] == level.name[0])
    reached = t["vouch_level_reached"].format(level=level.label, profile=profile)
    if level is LevelOfConfidence.LOW:
        return {"level": reached, "next": t["vouch_next_low"]}
    return {"level": reached, "next": t["vouch_next_more"].format(level=level.label)}


class _HashingSlots:
    """At most as many password verifications at once as there are CPUs (argon2 holds its memory in
    its thread); created on first use, inside the event loop."""

    def __init__(self) -> None:
        self._limiter: anyio.CapacityLimiter | None = None

    def limiter(self) -> anyio.CapacityLimiter:
        if self._limiter is None:
            self._limiter = anyio.CapacityLimiter(max(2, os.cpu_count() or 2))
        return self._limiter


def _current_voucher(request: Request) -> tuple[str, Voucher] | None:
    """The voucher session of this browser (its cookie value) and the voucher, if live."""
    session_id = cookie_value(request, VOUCHER_COOKIE)
    voucher = services(request).vouchers.live_session(session_id) if session_id else None
    return (session_id, voucher) if session_id is not None and voucher is not None else None


async def _read(request: Request, fields: tuple[str, ...], purpose: str) -> Params:
    """The form, its CSRF token checked (``InteractionProblem`` otherwise: nothing is written)."""
    try:
        form = await read_form(request, allowed=fields)
    except InvalidRequest as exc:
        raise form_problem(exc) from None
    flow.check_csrf(
        services(request).config.pairwise_salt,
        cookie_value(request, BROWSER_COOKIE),
        purpose,
        form.get("csrf_token"),
    )
    return form


def _signin_page(
    pages: Pages,
    request: Request,
    *,
    status: int = 200,
    username: str = "",
    failed: bool = False,
    needed: bool = False,
) -> Response:
    found = services(request)
    browser_id, new_browser = browser_cookie(request)
    response = pages.render(
        "vouching_signin.html",
        locale=_locale(request),
        status=status,
        csrf_token=flow.csrf_token(found.config.pairwise_salt, browser_id, SIGNIN_PURPOSE),
        username=username,
        failed=failed,
        needed=needed,
    )
    return pages.keep_browser(response, browser_id, new_browser)


def _issued(issued: tuple[str, IssuedCode] | None) -> dict[str, str] | None:
    if issued is None:
        return None
    code, stored = issued
    return {
        "code": code,
        "given_name": stored.given_name,
        "family_name": stored.family_name,
        "birthdate": long_date(date.fromisoformat(stored.birthdate)),
        "expires": long_date(stored.expires_at),
    }


def _voucher_page(
    pages: Pages,
    request: Request,
    voucher: Voucher,
    *,
    status: int = 200,
    form: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    issued: tuple[str, IssuedCode] | None = None,
    limit_reached: bool = False,
) -> Response:
    found = services(request)
    now = found.now()
    browser_id, new_browser = browser_cookie(request)
    salt = found.config.pairwise_salt
    codes = [
        {
            "person": f"{code.given_name} {code.family_name}",
            "birthdate": long_date(date.fromisoformat(code.birthdate)),
            "issued": long_date(code.created_at),
            "status": _status(code, now),
        }
        for code in found.vouchers.codes_of(voucher.id)
    ]
    remaining = max(0, voucher.daily_limit - found.vouchers.issued_in(voucher.id, vouch.ISSUE_WINDOW))
    response = pages.render(
        "vouching_voucher.html",
        locale=_locale(request),
        status=status,
        voucher=voucher,
        csrf_token=flow.csrf_token(salt, browser_id, ISSUE_PURPOSE),
        signout_token=flow.csrf_token(salt, browser_id, SIGNOUT_PURPOSE),
        form=form or {},
        errors=errors or {},
        issued=_issued(issued),
        limit_reached=limit_reached,
        remaining=remaining,
        codes=codes,
    )
    return pages.keep_browser(response, browser_id, new_browser)


def _redeem_page(
    pages: Pages,
    request: Request,
    account: Account,
    *,
    status: int = 200,
    error: str | None = None,
    code: str = "",
) -> Response:
    found = services(request)
    browser_id, new_browser = browser_cookie(request)
    identity = identity_of(found.accounts, account, found.now())
    response = pages.render(
        "vouching_redeem.html",
        locale=_locale(request),
        status=status,
        csrf_token=flow.csrf_token(found.config.pairwise_salt, browser_id, REDEEM_PURPOSE),
        error=error,
        code=code,
        level=identity.level.label if identity.level is not None else None,
    )
    return pages.keep_browser(response, browser_id, new_browser)


def _voucher_routes(routes: Routes, pages: Pages) -> None:
    """The voucher's sign-in, sign-out, page and code issuing."""
    hashing = _HashingSlots()
    base = pages.base

    @routes.get("/voucher/signin", summary="The voucher's sign-in page")
    async def voucher_signin_page(request: Request) -> Response:
        if _current_voucher(request) is not None:
            return see_other(f"{base}/voucher")
        return _signin_page(pages, request)

    @routes.post("/voucher/signin", summary="The voucher's sign-in")
    async def voucher_signin(request: Request) -> Response:
        found = services(request)
        try:
            form = await _read(request, SIGNIN_FIELDS, SIGNIN_PURPOSE)
        except InteractionProblem as exc:
            return pages.problem(exc, locale=_locale(request))
        username = form.get("username") or ""
        arguments = (found, username, form.get("password") or "", cookie_value(request, VOUCHER_COOKIE))
        if found.passwords.expensive:
            # argon2 takes a hundred milliseconds of CPU and 64 MiB: off the event loop, a few at a time
            outcome = await anyio.to_thread.run_sync(
                vouch.voucher_sign_in, *arguments, limiter=hashing.limiter()
            )
        else:
            outcome = vouch.voucher_sign_in(*arguments)
        if outcome is None:
            return _signin_page(pages, request, username=username.strip()[:254], failed=True)
        response = see_other(f"{base}/voucher")
        pages.cookies.set(response, VOUCHER_COOKIE, outcome.session_id, vouch.VOUCHER_SESSION_LIFETIME)
        return response

    @routes.post("/voucher/signout", summary="The voucher's sign-out")
    async def voucher_signout(request: Request) -> Response:
        try:
            await _read(request, ("csrf_token",), SIGNOUT_PURPOSE)
        except InteractionProblem as exc:
            return pages.problem(exc, locale=_locale(request))
        session_id = cookie_value(request, VOUCHER_COOKIE)
        if session_id is not None:
            services(request).vouchers.end_session(session_id)
        response = see_other(f"{base}/voucher/signin")
        pages.cookies.clear(response, VOUCHER_COOKIE)
        return response

    @routes.get("/voucher", summary="The voucher's page: issue a vouch code, the codes issued")
    async def voucher_home(request: Request) -> Response:
        signed_in = _current_voucher(request)
        if signed_in is None:
            return see_other(f"{base}/voucher/signin")
        return _voucher_page(pages, request, signed_in[1])

    @routes.post("/voucher/codes", summary="Issue a one-time vouch code for a named person")
    async def voucher_issue(request: Request) -> Response:
        found = services(request)
        try:
            form = await _read(request, ISSUE_FIELDS, ISSUE_PURPOSE)
        except InteractionProblem as exc:
            return pages.problem(exc, locale=_locale(request))
        signed_in = _current_voucher(request)
        if signed_in is None:
            return _signin_page(pages, request, status=401, needed=True)
        voucher = signed_in[1]
        values = {name: form.get(name) or "" for name in ISSUE_FIELDS if name != "csrf_token"}
        checked = vouch.check_vouch_form(values, datetime.fromtimestamp(found.now(), UTC).date())
        if isinstance(checked, dict):
            return _voucher_page(pages, request, voucher, status=400, form=values, errors=checked)
        issued = vouch.issue(found, voucher, checked)
        if issued is None:
            return _voucher_page(pages, request, voucher, status=429, form=values, limit_reached=True)
        return _voucher_page(pages, request, voucher, issued=issued)


def _citizen_routes(routes: Routes, pages: Pages) -> None:
    """The citizen's redemption of a vouch code."""

    @routes.get("/account/proofing/vouch", summary="Redeem a vouch code (the citizen's account)")
    async def redeem_form(request: Request) -> Response:
        citizen = current_citizen(request)
        if citizen is None:
            return sign_in_first(pages, request)
        return _redeem_page(pages, request, citizen[1])

    @routes.post("/account/proofing/vouch", summary="Redeem a vouch code: vouch evidence (IDA §5.1.1)")
    async def redeem(request: Request) -> Response:
        found = services(request)
        locale = _locale(request)
        try:
            form = await _read(request, REDEEM_FIELDS, REDEEM_PURPOSE)
        except InteractionProblem as exc:
            return pages.problem(exc, locale=locale)
        citizen = current_citizen(request)
        if citizen is None:
            return sign_in_first(pages, request)
        account = citizen[1]
        typed = form.get("code") or ""
        outcome = vouch.redeem(found, account, typed)
        if isinstance(outcome, vouch.Refused):
            status = 429 if outcome.reason == "vouch_error_too_many" else 400
            return _redeem_page(
                pages, request, account, status=status, error=outcome.reason, code=typed.strip()[:32]
            )
        context: dict[str, Any] = _level_words(outcome.identity, locale)
        level = outcome.identity.level
        return pages.render(
            "vouching_redeemed.html",
            locale=locale,
            voucher=outcome.voucher,
            level_reached=level.value if level is not None else "none",
            **context,
        )


def router(pages: Pages) -> Routes:
    """``/voucher/signin``, ``/voucher``, ``/voucher/codes``, ``/voucher/signout`` and
    ``/account/proofing/vouch``."""
    routes = Routes()
    _voucher_routes(routes, pages)
    _citizen_routes(routes, pages)
    return routes
