"""A checked document held between the document page and the face comparison page.

Nothing is stored until the journey's last step: the checked details travel in the form as a
signed, short-lived value (HMAC-SHA256 with a key derived from the provider's secret salt), bound
to the citizen's account. A value altered, expired or made for another account is refused.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from datetime import date

from idp.core.proofing.documents import CheckedDocument

__all__ = ["HELD_LIFETIME", "HeldProblem", "hold", "release"]

#: How long the citizen has to finish the face comparison, in seconds.
HELD_LIFETIME = 900


class HeldProblem(Exception):
    """The held document cannot be used: enter the details again."""


def _key(salt: bytes) -> bytes:
    return hashlib.sha256(b"ukid-idp proofing held document\x00" + salt).digest()


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def hold(salt: bytes, account_id: str, document: CheckedDocument, now: int) -> str:
    """The signed value carrying ``document`` for ``account_id`` until ``now + HELD_LIFETIME``."""
    payload = {
        "a": account_id,
        "x": now + HELD_LIFETIME,
        "k": document.kind,
        "n": document.number,
        "g": document.given_names,
        "f": document.family_name,
        "b": document.birthdate.isoformat(),
        "e": document.expiry.isoformat(),
        "i": document.issued.isoformat() if document.issued else None,
        "c": document.nationality,
    }
    body = _b64(json.dumps(payload, separators=(",", ":"), sort_keys=True).encode())
    return body + "." + _b64(hmac.new(_key(salt), body.encode(), hashlib.sha256).digest())


def release(salt: bytes, account_id: str, value: str | None, now: int) -> CheckedDocument:
    """The document in a value made by :func:`hold`; ``HeldProblem`` when it is not one for this
    account, or has expired."""
    if not value or value.count(".") != 1:
        raise HeldProblem("missing")
    body, signature = value.split(".")
    expected = _b64(hmac.new(_key(salt), body.encode(), hashlib.sha256).digest())
    if not hmac.compare_digest(expected.encode(), signature.encode()):
        raise HeldProblem("signature")
    payload = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    if payload["a"] != account_id:
        raise HeldProblem("account")
    if payload["x"] < now:
        raise HeldProblem("expired")
    return CheckedDocument(
        kind=payload["k"],
        number=payload["n"],
        given_names=payload["g"],
        family_name=payload["f"],
        birthdate=date.fromisoformat(payload["b"]),
        expiry=date.fromisoformat(payload["e"]),
        issued=date.fromisoformat(payload["i"]) if payload["i"] else None,
        nationality=payload["c"],
    )
