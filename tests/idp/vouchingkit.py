"""Helpers for the vouching tests: a registered voucher, a citizen signed in to the account area, the
voucher's and the citizen's forms driven as a browser would, and a snapshot check for refusals that
are counted (one ``proofing_attempts`` row, nothing else)."""

from __future__ import annotations

import html
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import httpx

from idp.core.interaction import PASSWORD_AMR, PASSWORD_CREDENTIAL
from idp.endpoints._pages import SESSION_COOKIE
from idp.store.accounts import Account
from idp.store.vouching import Voucher
from tests.idp.idpkit import PASSWORD, IdpKit
from tests.trust_registry.htmlpage import Node, page

__all__ = [
    "THIN_FILE",
    "form_of",
    "fraud_checked_citizen",
    "issue",
    "redeem",
    "refusal_counted",
    "sign_in_citizen",
    "sign_in_voucher",
    "voucher",
]

#: A thin-file citizen: no documents, no credit file (the claims the account holds).
THIN_FILE: dict[str, Any] = {"given_name": "Dylan", "family_name": "Price", "birthdate": "1990-03-27"}
#: The person as a voucher enters them (the form's fields).
THIN_FILE_FORM = {
    "given_name": "Dylan",
    "family_name": "Price",
    "birth_day": "27",
    "birth_month": "3",
    "birth_year": "1990",
    "relationship": "I have been his key worker at Riverside Hostel since March 2024.",
}


def voucher(kit: IdpKit, *, daily_limit: int = 3, username: str | None = None) -> Voucher:
    """A registered hostel key worker (password :data:`PASSWORD`)."""
    found = kit.services
    return found.vouchers.create_voucher(
        username or f"voucher-{uuid.uuid4().hex[:8]}@riverside.example",
        found.passwords.hash(PASSWORD),
        "Sam Okafor",
        "Hostel key worker",
        "Riverside Hostel",
        daily_limit,
    )


def fraud_checked_citizen(kit: IdpKit, claims: Mapping[str, Any] = THIN_FILE) -> Account:
    """A thin-file citizen whose only evidence is an identity fraud check (GPG 45 identity fraud 1)."""
    account = kit.account(f"thin-{uuid.uuid4().hex[:8]}@example.org", dict(claims))
    kit.services.accounts.add_evidence(
        account.id,
        "electronic_record",
        {
            "type": "electronic_record",
            "check_details": [
                {
                    "check_method": "data",
                    "organization": "Example Fraud Prevention Service",
                    "check_id": f"fraud-{account.id}",
                    "time": "2026-01-05T10:00:00Z",
                }
            ],
            "record": {
                "type": "fraud_prevention_database",
                "source": {"name": "Example Fraud Prevention Service", "country_code": "GB"},
            },
        },
        {"identity_fraud": 1},
    )
    return account


def sign_in_citizen(kit: IdpKit, account: Account) -> None:
    """Give the browser a live account-area session for ``account`` (as ``/signin`` would)."""
    session_id, _ = kit.services.interactions.start_session(
        account.id,
        auth_time=kit.now(),
        amr=list(PASSWORD_AMR),
        credential=PASSWORD_CREDENTIAL,
        lifetime=kit.services.config.session_lifetime,
    )
    kit.client.cookies.set(SESSION_COOKIE, session_id)


def form_of(response: httpx.Response, form_id: str) -> dict[str, str]:
    """The hidden fields of the form ``form_id`` on the page."""
    doc = page(response, response.status_code)
    form: Node = doc.one("form", id=form_id)
    return {
        node.attrs["name"]: html.unescape(node.attrs.get("value", ""))
        for node in form.all("input", type="hidden")
    }


def sign_in_voucher(kit: IdpKit, username: str, password: str = PASSWORD) -> httpx.Response:
    """The voucher's sign-in page, then its form."""
    signin_page = kit.client.get("/voucher/signin", follow_redirects=False)
    assert signin_page.status_code == 200, signin_page.text
    data = {**form_of(signin_page, "vouch-signin-form"), "username": username, "password": password}
    response: httpx.Response = kit.client.post("/voucher/signin", data=data, follow_redirects=False)
    return response


def issue(kit: IdpKit, person: Mapping[str, str] = THIN_FILE_FORM) -> httpx.Response:
    """The signed-in voucher's page, then the issue form for ``person``."""
    home = kit.client.get("/voucher", follow_redirects=False)
    assert home.status_code == 200, home.text
    data = {**form_of(home, "vouch-issue-form"), **person}
    response: httpx.Response = kit.client.post("/voucher/codes", data=data, follow_redirects=False)
    return response


def issued_code(response: httpx.Response) -> str:
    """The code shown once on the voucher's page after issuing."""
    return page(response, 200).one(id="vouch-code").text()


def redeem(kit: IdpKit, code: str) -> httpx.Response:
    """The citizen's vouch page, then its form with ``code``."""
    form_page = kit.client.get("/account/proofing/vouch", follow_redirects=False)
    assert form_page.status_code == 200, form_page.text
    data = {**form_of(form_page, "vouch-redeem-form"), "code": code}
    response: httpx.Response = kit.client.post("/account/proofing/vouch", data=data, follow_redirects=False)
    return response


def redeem_error(response: httpx.Response, status: int = 400) -> str:
    """The refusal shown on the citizen's vouch page."""
    return page(response, status).one(id="vouch-redeem-error").text()


@contextmanager
def refusal_counted(kit: IdpKit, account: Account) -> Iterator[None]:
    """Assert that the block changed nothing but one refused ``vouch`` attempt of ``account``."""
    before = kit.snapshot()
    yield
    after = kit.snapshot()
    assert {k: v for k, v in after.items() if k != "proofing_attempts"} == {
        k: v for k, v in before.items() if k != "proofing_attempts"
    }
    added = [row for row in after["proofing_attempts"] if row not in before["proofing_attempts"]]
    assert len(added) == 1, added
    assert added[0][1:] == (repr(account.id), repr("vouch"), repr(0), repr(kit.now())), added
    assert len(after["proofing_attempts"]) == len(before["proofing_attempts"]) + 1
