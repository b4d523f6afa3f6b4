"""The citizen signed in to the account area (the session cookie), for the pages outside an
authorization: the account page, two-step sign-in set-up and the proofing journey."""

from __future__ import annotations

from urllib.parse import quote

from fastapi import Request
from fastapi.responses import Response

from idp.endpoints._http import services
from idp.endpoints._pages import SESSION_COOKIE, Pages, cookie_value, see_other
from idp.store.accounts import Account
from idp.store.interactions import Session

__all__ = ["current_citizen", "sign_in_first"]


def current_citizen(request: Request) -> tuple[Session, Account] | None:
    """The live session of this browser and its account, if any."""
    session_id = cookie_value(request, SESSION_COOKIE)
    return services(request).interactions.live_session(session_id) if session_id else None


def sign_in_first(pages: Pages, request: Request) -> Response:
    """Send the browser to the account area's sign-in, coming back to this page afterwards."""
    here = request.url.path
    if request.url.query:
        here += "?" + request.url.query
    return see_other(f"{pages.base}/signin?next={quote(here, safe='')}")
