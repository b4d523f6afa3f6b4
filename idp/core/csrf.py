"""Form tokens of the provider's pages (CSRF, OWASP's "synchroniser token" bound to the browser).

A token is an HMAC of the browser cookie's ID and the form's purpose (an interaction, the account
area, sign-out), keyed from the provider's pairwise salt so that every worker computes the same
token without storing it.
"""

from __future__ import annotations

import base64
import hashlib
import hmac

from idp.core.problems import InteractionProblem

__all__ = ["check_csrf", "csrf_token"]


def _csrf_key(salt: bytes) -> bytes:
    return hmac.new(salt, b"ukid-idp/csrf/v1", hashlib.sha256).digest()


def csrf_token(salt: bytes, browser_id: str, purpose: str) -> str:
    """The form token for ``purpose`` (an interaction, or sign-out) in the browser ``browser_id``."""
    mac = hmac.new(_csrf_key(salt), f"{browser_id}\x00{purpose}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac).rstrip(b"=").decode()


def check_csrf(salt: bytes, browser_id: str | None, purpose: str, token: str | None) -> None:
    """Verify a form's token; ``InteractionProblem`` (nothing changes) when it is missing or wrong."""
    if (
        browser_id is None
        or token is None
        or not hmac.compare_digest(csrf_token(salt, browser_id, purpose).encode(), token.encode())
    ):
        raise InteractionProblem(
            "csrf",
            "The form could not be accepted: it was not sent from this page in this browser, or it has "
            "expired. Go back to the service you were using and start again.",
        )
