"""The citizen's account page: every release of data and every consent, the evidence and level of
confidence with how it was reached (GPG 45 profiles), and withdrawing a consent, which revokes the
client's access and refresh tokens (RFC 7009 §2.1 semantics) so that the next authorization asks
again (OpenID Connect Core 1.0 §3.1.2.4). A withdraw request that is not signed in, has no valid
CSRF token, or names a consent that is not the citizen's is refused and changes nothing."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from idp.store.accounts import Account
from idp.tables import consents
from tests.idp.accountkit import (
    CALLBACK,
    account_page,
    consent_forms,
    consent_page,
    exchange_code,
    signed_in,
    submit_consent,
)
from tests.idp.flows import authorization_params, citizen, follow, redirect_query, shared_kit, start
from tests.idp.idpkit import IdpKit, assert_error, unchanged
from tests.idp.tokenkit import refresh, userinfo
from tests.trust_registry.htmlpage import page

CLAIMS = {"given_name": "Ada", "family_name": "Lovelace", "email": "ada@example.org", "email_verified": True}
NOT_YOURS = (
    "This consent could not be withdrawn: it is not one of your consents, or it has already been "
    "withdrawn. Nothing has been changed."
)
BAD_CSRF = (
    "The form could not be accepted: it was not sent from your account page in this browser, or it has "
    "expired. Nothing has been changed: try again."
)
REVOKE = "/account/consents/revoke"


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def shared(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[IdpKit]:
    """One provider per database for the module; each test uses its own accounts."""
    with shared_kit(request.param, tmp_path_factory) as running:
        yield running


@pytest.fixture
def kit(shared: IdpKit) -> IdpKit:
    """The shared provider, with a browser that has no cookies."""
    shared.client.cookies.clear()
    return shared


def _check(check_id: str, method: str, organization: str) -> dict[str, str]:
    return {"check_method": method, "organization": organization, "check_id": check_id}


def _medium(kit: IdpKit) -> Account:
    """A citizen with a driving licence (3/2, verification 2) and a credit file (activity 1, fraud 2):
    GPG 45 profile M1B."""
    who = citizen(kit, CLAIMS)
    licence = {
        "type": "document",
        "check_details": [
            _check("dl-image", "vpiruv", "ukid-sample-idp"),
            _check("dl-dvla", "data", "DVLA"),
            _check("dl-kbv", "kbv", "ukid-sample-idp"),
        ],
        "document_details": {"type": "driving_permit", "document_number": "LOVEL851102AB9CD"},
    }
    credit = {
        "type": "electronic_record",
        "check_details": [_check("cra", "data", "Example Credit Reference Agency Ltd")],
        "record": {"type": "credit_reference_file"},
    }
    accounts = kit.services.accounts
    accounts.add_evidence(who.id, "document", licence, {"strength": 3, "validity": 2, "verification": 2})
    accounts.add_evidence(who.id, "electronic_record", credit, {"activity_history": 1, "identity_fraud": 2})
    return who


def _shared(kit: IdpKit, who: Account, scope: str = "openid email") -> dict[str, Any]:
    """Sign ``who`` in, agree on the consent page and exchange the code: the token response."""
    signed_in(kit, who)
    response, verifier = consent_page(kit, scope=scope)
    return exchange_code(kit, submit_consent(kit, response), verifier)


def _error(response: httpx.Response) -> str:
    return page(response, 400).one(id="account-error").text()


def _consent_rows(kit: IdpKit, account_id: str) -> list[Any]:
    with kit.services.accounts.engine.connect() as connection:
        return list(connection.execute(select(consents).where(consents.c.account_id == account_id)).all())


def test_account_page_needs_a_signed_in_citizen(kit: IdpKit) -> None:
    response = account_page(kit)
    assert response.status_code == 303
    assert response.headers["location"] == "/signin?next=%2Faccount"


def test_account_page_lists_each_release_and_consent(kit: IdpKit) -> None:
    who = citizen(kit, CLAIMS)
    body = _shared(kit, who)
    assert userinfo(kit, body["access_token"]).status_code == 200
    doc = page(account_page(kit))
    assert doc.one("h1").text() == "Your account"
    [release] = doc.one(id="releases").all("tr", data_client="https://static.example/app")
    cells = [cell.text() for cell in release.all("td")]
    assert cells[:3] == [
        "Static Services Ltd",
        "Email address, Whether your email address has been confirmed",
        "Fetched by the service (UserInfo)",
    ]
    assert cells[4] == "Not applicable"
    [card] = doc.all("div", data_consent="https://static.example/app")
    assert card.one("h3").text() == "Static Services Ltd"
    assert card.all("dd")[0].text() == "Email address, Whether your email address has been confirmed"
    assert doc.one(id="security-link").attrs["href"] == "/account/security"
    assert doc.one(id="proofing-link").attrs["href"] == "/account/proofing"


def test_gpg45_account_page_explains_the_level_from_the_profile_met(kit: IdpKit) -> None:
    signed_in(kit, _medium(kit))
    doc = page(account_page(kit))
    assert doc.one(id="level").text() == "Your identity has been checked to a medium level of confidence."
    assert doc.one(id="profile").attrs["data-profile"] == "M1B"
    assert [li.text() for li in doc.one(id="profile-needs").all("li")] == [
        "a piece of evidence of strength 3 or more and validity 2 or more",
        "activity history 1 or more",
        "identity fraud 2 or more",
        "verification 2 or more",
    ]
    assert [li.text() for li in doc.one(id="scores").all("li")] == [
        "a piece of evidence of strength 3 and validity 2",
        "Activity history: 1",
        "Identity fraud: 2",
        "Verification: 2",
    ]
    assert "M1B" in doc.one(id="profiles-met").text()
    kinds = [
        row.all("td")[0].text() for row in doc.one(id="evidence").all("tr", class_="govuk-table__row")[1:]
    ]
    assert sorted(kinds) == ["Document: Driving licence", "Electronic record: Credit reference file"]


def test_gpg45_account_page_without_evidence_says_so(kit: IdpKit) -> None:
    signed_in(kit, citizen(kit, CLAIMS))
    doc = page(account_page(kit))
    assert doc.one(id="level-none").text().startswith("You have not proven your identity yet")
    assert doc.one(id="evidence-none").text() == "You have no evidence recorded."
    assert doc.one(id="releases-none").text() == "You have not shared any information with a service yet."
    assert doc.one(id="consents-none").text() == "You have not agreed to share information with any service."


def test_rfc7009_withdrawing_a_consent_revokes_the_clients_tokens_and_asks_again(kit: IdpKit) -> None:
    who = citizen(kit, CLAIMS)
    body = _shared(kit, who)
    forms = consent_forms(account_page(kit))
    response = kit.client.post(REVOKE, data=forms["https://static.example/app"], follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/account?withdrawn=1"
    [consent] = _consent_rows(kit, who.id)
    assert consent.revoked_at == kit.now()
    assert_error(
        refresh(kit, body["refresh_token"]), 400, "invalid_grant", "the refresh token has been revoked"
    )
    info = userinfo(kit, body["access_token"])
    assert info.status_code == 401
    doc = page(kit.client.get("/account?withdrawn=1"))
    assert doc.one(id="withdrawn").text().startswith("Your consent has been withdrawn.")
    assert doc.one(id="consents-none").text() == "You have not agreed to share information with any service."
    again = start(kit, authorization_params(scope="openid email"))
    assert again.headers["location"].startswith("/consent?interaction=")
    assert page(follow(kit, again)).one("h1").text() == "Share your information"


def test_withdrawing_another_citizens_consent_is_refused_and_changes_nothing(kit: IdpKit) -> None:
    other = citizen(kit, CLAIMS)
    _shared(kit, other)
    who = citizen(kit, CLAIMS)
    _shared(kit, who)
    fields = consent_forms(account_page(kit))["https://static.example/app"]
    tampered = {**fields, "consent": f"{other.id} https://static.example/app"}
    with unchanged(kit):
        response = kit.client.post(REVOKE, data=tampered, follow_redirects=False)
    assert _error(response) == NOT_YOURS


def test_withdrawing_an_unknown_consent_is_refused_and_changes_nothing(kit: IdpKit) -> None:
    who = citizen(kit, CLAIMS)
    _shared(kit, who)
    fields = consent_forms(account_page(kit))["https://static.example/app"]
    for reference in (f"{who.id} https://nobody.example/app", "not-a-consent", ""):
        with unchanged(kit):
            response = kit.client.post(REVOKE, data={**fields, "consent": reference}, follow_redirects=False)
        assert _error(response) == NOT_YOURS


def test_withdrawing_a_consent_twice_is_refused_the_second_time(kit: IdpKit) -> None:
    who = citizen(kit, CLAIMS)
    _shared(kit, who)
    fields = consent_forms(account_page(kit))["https://static.example/app"]
    assert kit.client.post(REVOKE, data=fields, follow_redirects=False).status_code == 303
    with unchanged(kit):
        response = kit.client.post(REVOKE, data=fields, follow_redirects=False)
    assert _error(response) == NOT_YOURS


def test_csrf_withdraw_without_a_valid_token_is_refused_and_changes_nothing(kit: IdpKit) -> None:
    who = citizen(kit, CLAIMS)
    _shared(kit, who)
    fields = consent_forms(account_page(kit))["https://static.example/app"]
    for data in (
        {"consent": fields["consent"]},
        {**fields, "csrf_token": fields["csrf_token"][:-2] + "AA"},
    ):
        with unchanged(kit):
            response = kit.client.post(REVOKE, data=data, follow_redirects=False)
        assert _error(response) == BAD_CSRF


def test_csrf_withdraw_token_of_another_citizen_is_refused(kit: IdpKit) -> None:
    """The token is bound to the browser AND the account: one citizen's page cannot be replayed for
    another signed in later in the same browser."""
    first = citizen(kit, CLAIMS)
    _shared(kit, first)
    token = consent_forms(account_page(kit))["https://static.example/app"]["csrf_token"]
    browser = kit.client.cookies.get("ukid_idp_browser")
    second = citizen(kit, CLAIMS)
    _shared(kit, second)
    kit.client.cookies.set("ukid_idp_browser", browser or "", domain="idp.example", path="/")
    reference = f"{second.id} https://static.example/app"
    with unchanged(kit):
        response = kit.client.post(
            REVOKE, data={"csrf_token": token, "consent": reference}, follow_redirects=False
        )
    assert _error(response) == BAD_CSRF


def test_withdraw_without_signing_in_is_refused_and_changes_nothing(kit: IdpKit) -> None:
    who = citizen(kit, CLAIMS)
    _shared(kit, who)
    fields = consent_forms(account_page(kit))["https://static.example/app"]
    kit.client.cookies.delete("ukid_idp_session")
    with unchanged(kit):
        response = kit.client.post(REVOKE, data=fields, follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/signin?next=%2Faccount"


def test_remembered_consent_skips_the_page_until_withdrawn(kit: IdpKit) -> None:
    who = citizen(kit, CLAIMS)
    _shared(kit, who)
    assert "code" in redirect_query(start(kit, authorization_params(scope="openid email")), CALLBACK)


def test_ida_vouch_evidence_names_the_voucher(kit: IdpKit) -> None:
    who = citizen(kit, CLAIMS)
    vouch = {
        "type": "vouch",
        "check_details": [_check("vouch-1", "vri", "St Mungo's")],
        "attestation": {
            "type": "written_attestation",
            "reference_number": "V-1",
            "voucher": {"name": "Sam Jones", "occupation": "Hostel key worker", "organization": "St Mungo's"},
        },
    }
    kit.services.accounts.add_evidence(who.id, "vouch", vouch, {"strength": 1, "validity": 1})
    signed_in(kit, who)
    doc = page(account_page(kit))
    [row] = doc.one(id="evidence").all("tr", data_evidence=kit.services.accounts.evidence_of(who.id)[0].id)
    assert [cell.text() for cell in row.all("td")][:3] == [
        "Vouch: Vouched for by Sam Jones, Hostel key worker, St Mungo's",
        "Document image checked remotely",
        "strength 1, validity 1",
    ]
    assert doc.one(id="level-none").text().startswith("Your evidence does not yet meet any GPG 45")
