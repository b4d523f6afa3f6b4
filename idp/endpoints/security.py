"""Two-step sign-in in the account area (``/account/security``): set up with an authenticator app,
confirm, see the recovery codes once, turn it off.

RFC 6238 with what authenticator apps support (:mod:`idp.core.totp`). Setting up holds a new
secret, shown as a QR code (inline SVG: nothing for the CSP to allow) and as text; only a secret
confirmed with a current code counts (``totp_confirmed_at``), and the confirmation creates ten
recovery codes, shown on that page only and stored as SHA-256. Setting up needs a sign-in in the
last 15 minutes (so that a borrowed session cannot take over the account); turning two-step
sign-in off needs a current code or a recovery code, and a wrong one counts as a failed sign-in.
Every form carries a CSRF token bound to the browser cookie and the account. The overview links back
to an authorization the citizen left to set up two-step sign-in (``idp.endpoints.step_up``).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from fastapi import Request
from fastapi.responses import Response
from markupsafe import Markup

from idp.core import interaction as flow
from idp.core import totp
from idp.core.errors import InvalidRequest
from idp.core.interaction import InteractionProblem
from idp.endpoints._citizen import current_citizen
from idp.endpoints._http import Params, Routes, read_form, services
from idp.endpoints._pages import BROWSER_COOKIE, Pages, browser_cookie, cookie_value, see_other
from idp.endpoints._text import text_for
from idp.endpoints.login import form_problem
from idp.endpoints.step_up import ReturnLink, return_link
from idp.services import IdpServices
from idp.store.accounts import Account
from idp.store.interactions import Session

__all__ = ["RECENT_SIGN_IN_SECONDS", "router"]

#: Setting up two-step sign-in needs a sign-in this recent.
RECENT_SIGN_IN_SECONDS = 15 * 60
FIELDS = ("csrf_token", "code")
#: The outcome shown after a redirect back to the page (``?done=``).
_DONE = {"on": "sec_turned_on", "off": "sec_removed"}
_REMOVE_ERRORS = {
    "wrong": "sec_code_wrong",
    "reused": "sec_code_reused",
    "recovery_used": "sec_code_recovery_used",
    "locked": "sec_code_locked",
    "missing": "sec_code_missing",
}
LOCALE = "en"


def _purpose(account: Account) -> str:
    return f"security:{account.id}"


def _stale(found: IdpServices, session: Session) -> bool:
    return found.now() - session.auth_time > RECENT_SIGN_IN_SECONDS


class _Handlers:
    """The security pages' handlers."""

    def __init__(self, pages: Pages) -> None:
        self.pages = pages

    @property
    def here(self) -> str:
        return f"{self.pages.base}/account/security"

    def _sign_in_again(self) -> Response:
        return see_other(f"{self.pages.base}/signin?next={quote(self.here, safe='')}")

    def _render(
        self,
        found: IdpServices,
        citizen: tuple[Session, Account],
        browser_id: str,
        *,
        error: str | None = None,
        done: str | None = None,
        step_up_return: ReturnLink | None = None,
    ) -> Response:
        session, account = citizen
        common: dict[str, Any] = {
            "csrf_token": flow.csrf_token(found.config.pairwise_salt, browser_id, _purpose(account)),
            "logout_token": flow.csrf_token(found.config.pairwise_salt, browser_id, "logout"),
            "username": account.username,
        }
        if account.totp_secret is not None and not account.second_factor and not _stale(found, session):
            words = text_for(LOCALE)
            enrolment = totp.enrolment(
                account.totp_secret, account.username, found.config.organization_name, words["sec_qr_title"]
            )
            return self.pages.render(
                "security_setup.html",
                locale=LOCALE,
                qr=Markup(enrolment.svg),  # segno's SVG of our own key URI: no user text in it
                secret=enrolment.grouped,
                error_key="sec_confirm_wrong" if error == "wrong" else None,
                **common,
            )
        return self.pages.render(
            "security_overview.html",
            locale=LOCALE,
            state="on" if account.second_factor else "off",
            stale=_stale(found, session),
            recovery_left=found.accounts.recovery_codes_left(account.id) if account.second_factor else 0,
            sign_in_again=f"{self.pages.base}/signin?next={quote(self.here, safe='')}",
            error_key=_REMOVE_ERRORS[error] if error is not None else None,
            done_key=_DONE.get(done or ""),
            step_up_return=step_up_return,
            **common,
        )

    async def page(self, request: Request) -> Response:
        """``GET /account/security``."""
        found = services(request)
        try:
            params = Params(request.query_params.multi_items(), allowed=("done",))
        except InvalidRequest as exc:
            return self.pages.problem(form_problem(exc))
        citizen = current_citizen(request)
        if citizen is None:
            return self._sign_in_again()
        browser_id, new_browser = browser_cookie(request)
        back = await return_link(self.pages, request)
        response = self._render(found, citizen, browser_id, done=params.get("done"), step_up_return=back)
        return self.pages.keep_browser(response, browser_id, new_browser)

    async def _form(
        self, request: Request
    ) -> tuple[IdpServices, tuple[Session, Account], str, Params] | Response:
        """The signed-in citizen, the browser and the form of a POST whose CSRF token is right; else
        the response (an error page, or the sign-in)."""
        found = services(request)
        try:
            form = await read_form(request, allowed=FIELDS)
        except InvalidRequest as exc:
            return self.pages.problem(form_problem(exc))
        citizen = current_citizen(request)
        if citizen is None:
            return self._sign_in_again()
        browser_id = cookie_value(request, BROWSER_COOKIE)
        try:
            flow.check_csrf(
                found.config.pairwise_salt, browser_id, _purpose(citizen[1]), form.get("csrf_token")
            )
        except InteractionProblem as exc:
            return self.pages.problem(exc)
        assert browser_id is not None  # checked with the CSRF token
        return found, citizen, browser_id, form

    def _stale_problem(self) -> Response:
        return self.pages.problem(
            InteractionProblem(
                "stale",
                "To change two-step sign-in, sign in again first: your sign-in was more than 15 minutes ago.",
            )
        )

    async def setup(self, request: Request) -> Response:
        """``POST /account/security/setup``: hold a new secret to confirm."""
        checked = await self._form(request)
        if isinstance(checked, Response):
            return checked
        found, (session, account), _browser, _form = checked
        if account.second_factor:
            return see_other(self.here)
        if _stale(found, session):
            return self._stale_problem()
        found.accounts.begin_totp(account.id, totp.new_secret())
        return see_other(self.here)

    async def confirm(self, request: Request) -> Response:
        """``POST /account/security/confirm``: a current code turns the held secret on; the recovery
        codes are shown once."""
        checked = await self._form(request)
        if isinstance(checked, Response):
            return checked
        found, citizen, browser_id, form = checked
        session, account = citizen
        if account.totp_secret is None or account.second_factor:
            return see_other(self.here)
        if _stale(found, session):
            return self._stale_problem()
        code = totp.normalise_code(form.get("code") or "")
        step = totp.matching_step(account.totp_secret, code, found.now()) if code is not None else None
        if step is None:
            return self._render(found, citizen, browser_id, error="wrong")
        codes = totp.new_recovery_codes()
        if not found.accounts.confirm_totp(
            account.id, account.totp_secret, step, [totp.recovery_digest(c) for c in codes]
        ):
            return see_other(self.here)
        return self.pages.render(
            "security_recovery.html", locale=LOCALE, codes=codes, username=account.username
        )

    async def remove(self, request: Request) -> Response:
        """``POST /account/security/remove``: a current code or a recovery code turns it off."""
        checked = await self._form(request)
        if isinstance(checked, Response):
            return checked
        found, citizen, browser_id, form = checked
        account = citizen[1]
        if not account.second_factor or account.totp_secret is None:
            return see_other(self.here)
        typed = form.get("code")
        if typed is None:
            return self._render(found, citizen, browser_id, error="missing")
        now = found.now()
        if account.locked(now):
            return self._render(found, citizen, browser_id, error="locked")
        proof = totp.proof_of(account.totp_secret, typed, now)
        if proof is not None and found.accounts.remove_totp(
            account.id, step=proof.step, code_hash=proof.recovery_hash
        ):
            return see_other(f"{self.here}?done=off")
        if proof is None:
            refusal = "wrong"
        elif proof.step is not None:
            refusal = "reused"
        else:
            assert proof.recovery_hash is not None
            used = found.accounts.recovery_code_used(account.id, proof.recovery_hash)
            refusal = "recovery_used" if used else "wrong"
        found.accounts.record_failure(account.id, limit=flow.MAX_FAILURES, lockout=flow.LOCKOUT_SECONDS)
        return self._render(found, citizen, browser_id, error=refusal)


def router(pages: Pages) -> Routes:
    """``GET /account/security`` and its forms."""
    routes = Routes()
    handlers = _Handlers(pages)
    routes.get("/account/security", summary="Two-step sign-in (RFC 6238)")(handlers.page)
    routes.post("/account/security/setup")(handlers.setup)
    routes.post("/account/security/confirm")(handlers.confirm)
    routes.post("/account/security/remove")(handlers.remove)
    return routes
