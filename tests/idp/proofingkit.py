"""Helpers for the proofing journey tests: a signed-in browser (a session started in the store), the
forms of the proofing pages, valid passport MRZs and driving licence numbers, and a snapshot
assertion for counted failures (nothing changes but one failed attempt)."""

from __future__ import annotations

import html
import re
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import date
from typing import Any

import httpx
from sqlalchemy import create_engine, func, select

from idp.core.proofing.documents import check_digit, licence_prefix
from idp.endpoints._pages import BROWSER_COOKIE, SESSION_COOKIE
from idp.store.accounts import Account
from idp.store.interactions import new_handle
from idp.tables import proofing_attempts
from tests.idp.idpkit import IdpKit

__all__ = [
    "ALEX",
    "CSRF_MESSAGE",
    "counted_failure",
    "error_messages",
    "hidden",
    "licence_form",
    "licence_number",
    "mrz_line_2",
    "new_citizen",
    "passport_form",
    "post_form",
    "signed_in",
    "text_of",
]

#: A citizen with a sandbox credit file (``idp.core.proofing.sandbox``).
ALEX = {"given_name": "Alex", "family_name": "Carter", "birthdate": "1990-05-17"}
CSRF_MESSAGE = (
    "The form could not be accepted: it was not sent from this page in this browser, or it has expired. "
    "Go back to the service you were using and start again."
)
_HIDDEN = re.compile(r'<input type="hidden" name="([a-z_]+)" value="([^"]*)">')
_ERRORS = re.compile(r'<ul class="govuk-list govuk-error-summary__list" id="errors">(.*?)</ul>', re.S)
_ITEM = re.compile(r'<li><a href="#([a-z0-9_]+)">(.*?)</a></li>', re.S)


def new_citizen(kit: IdpKit, claims: Mapping[str, Any] | None = None) -> Account:
    """A new account with a unique username."""
    return kit.account(f"proofing-{uuid.uuid4().hex[:12]}@example.test", dict(claims or {}))


def signed_in(kit: IdpKit, account: Account) -> None:
    """Sign ``account`` in, in the kit's browser (a fresh cookie jar): a session started in the store
    as the sign-in page would start it, and a browser cookie."""
    kit.client.cookies.clear()
    session_id, _ = kit.services.interactions.start_session(
        account.id, auth_time=kit.now(), amr=["pwd"], credential="Cl", lifetime=86400 * 3
    )
    kit.client.cookies.set(SESSION_COOKIE, session_id, domain="idp.example", path="/")
    kit.client.cookies.set(BROWSER_COOKIE, new_handle(), domain="idp.example", path="/")


def hidden(response: httpx.Response) -> dict[str, str]:
    """The hidden fields of the page's form."""
    return {name: html.unescape(value) for name, value in _HIDDEN.findall(response.text)}


def error_messages(response: httpx.Response) -> list[tuple[str, str]]:
    """The error summary's items: (the field linked to, the message)."""
    found = _ERRORS.search(response.text)
    if found is None:
        return []
    return [(anchor, html.unescape(text)) for anchor, text in _ITEM.findall(found.group(1))]


def text_of(response: httpx.Response, element_id: str) -> str:
    """The text of the element with ``id`` (a single-line element), unescaped."""
    found = re.search(rf'id="{element_id}"[^>]*>(.*?)</', response.text, re.S)
    assert found is not None, (element_id, response.text)
    return html.unescape(" ".join(found.group(1).split()))


def mrz_line_2(
    number: str,
    birthdate: date,
    expiry: date,
    *,
    sex: str = "F",
    nationality: str = "GBR",
    personal: str = "",
) -> str:
    """Line 2 of a TD3 MRZ with correct check digits (ICAO 9303 Part 4 §4.2.2)."""

    def yymmdd(day: date) -> str:
        return day.strftime("%y%m%d")

    document = number.ljust(9, "<")
    line = document + str(check_digit(document))
    line += nationality + yymmdd(birthdate) + str(check_digit(yymmdd(birthdate))) + sex
    line += yymmdd(expiry) + str(check_digit(yymmdd(expiry)))
    optional = personal.ljust(14, "<")
    line += optional + ("<" if not personal else str(check_digit(optional)))
    composite = line[0:10] + line[13:20] + line[21:43]
    return line + str(check_digit(composite))


def licence_number(family_name: str, given_names: str, birthdate: date, *, female: bool = False) -> str:
    """A DVLA driver number for the person (check letters ``AB``)."""
    surname, dates, initials = licence_prefix(family_name, given_names, birthdate)
    return surname + dates[1 if female else 0] + initials + "9AB"


def _date_fields(prefix: str, day: date) -> dict[str, str]:
    return {f"{prefix}_day": str(day.day), f"{prefix}_month": str(day.month), f"{prefix}_year": str(day.year)}


def passport_form(
    claims: Mapping[str, str], number: str, expiry: date, *, mrz: str | None = None, **changes: str
) -> dict[str, str]:
    """The passport form for the person in ``claims`` (a valid MRZ unless ``mrz`` is given)."""
    born = date.fromisoformat(claims["birthdate"])
    form = {
        "given_names": claims["given_name"],
        "family_name": claims["family_name"],
        **_date_fields("birth", born),
        "passport_number": number,
        **_date_fields("expiry", expiry),
        "mrz": mrz if mrz is not None else mrz_line_2(number, born, expiry),
    }
    form.update(changes)
    return form


def licence_form(
    claims: Mapping[str, str], issued: date, expiry: date, *, number: str | None = None, **changes: str
) -> dict[str, str]:
    """The driving licence form for the person in ``claims`` (a matching number unless given)."""
    born = date.fromisoformat(claims["birthdate"])
    form = {
        "given_names": claims["given_name"],
        "family_name": claims["family_name"],
        **_date_fields("birth", born),
        "licence_number": number or licence_number(claims["family_name"], claims["given_name"], born),
        **_date_fields("issued", issued),
        **_date_fields("expiry", expiry),
    }
    form.update(changes)
    return form


def post_form(
    kit: IdpKit, path: str, data: Mapping[str, str], *, token_from: str | None = None
) -> httpx.Response:
    """POST ``data`` to ``path`` with the CSRF token of the page at ``token_from`` (default: ``path``)."""
    page = kit.client.get(token_from or path)
    assert page.status_code == 200, page.text
    response: httpx.Response = kit.client.post(
        path, data={"csrf_token": hidden(page)["csrf_token"], **data}, follow_redirects=False
    )
    return response


def _failures(kit: IdpKit, account: Account, kind: str) -> int:
    engine = create_engine(kit.database_url)
    try:
        with engine.connect() as connection:
            statement = select(func.count()).where(
                proofing_attempts.c.account_id == account.id,
                proofing_attempts.c.kind == kind,
                proofing_attempts.c.succeeded == 0,
            )
            return int(connection.execute(statement).scalar_one())
    finally:
        engine.dispose()


@contextmanager
def counted_failure(kit: IdpKit, account: Account, kind: str) -> Iterator[None]:
    """Assert that the block changed nothing but one more failed attempt at ``kind`` by ``account``."""
    before = {name: rows for name, rows in kit.snapshot().items() if name != "proofing_attempts"}
    failures = _failures(kit, account, kind)
    yield
    after = {name: rows for name, rows in kit.snapshot().items() if name != "proofing_attempts"}
    assert after == before
    assert _failures(kit, account, kind) == failures + 1
