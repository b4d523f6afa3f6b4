"""Redeeming a vouch code (issue 6, bad input): a code is accepted only when it exists, is unexpired
and unused, and was issued for this citizen's name and date of birth; each refusal is counted and,
past the limit, every redemption is refused without looking at the code. Single use is enforced by
one conditional UPDATE."""

from __future__ import annotations

import pytest

from idp.core.vouching import MAX_FAILED_REDEMPTIONS, new_code, normalise_code, vouch_evidence
from idp.endpoints._pages import SESSION_COOKIE
from idp.store.accounts import Account
from tests.idp.idpkit import IdpKit, unchanged
from tests.idp.vouchingkit import (
    THIN_FILE,
    THIN_FILE_FORM,
    form_of,
    fraud_checked_citizen,
    issue,
    issued_code,
    redeem,
    redeem_error,
    refusal_counted,
    sign_in_citizen,
    sign_in_voucher,
    voucher,
)
from tests.trust_registry.htmlpage import page

WRONG = "This vouch code is not right. Check it and try again, or ask the person who vouched for you."
EXPIRED = "This vouch code has expired: codes last 7 days. Ask the person who vouched for you for a new one."
USED = "This vouch code has already been used. Each code can be used only once."
OTHER_PERSON = (
    "This vouch code was issued for someone else: the name and date of birth it was issued for do not "
    "match your account. Ask the person who vouched for you to check the details they entered."
)
TOO_MANY = "You have entered too many vouch codes that were not accepted. Try again in 24 hours."


def _issued(kit: IdpKit, person: dict[str, str] | None = None) -> str:
    sign_in_voucher(kit, voucher(kit).username)
    return issued_code(issue(kit, person or THIN_FILE_FORM))


def _citizen(kit: IdpKit, claims: dict[str, str] | None = None) -> Account:
    account = fraud_checked_citizen(kit, claims or THIN_FILE)
    sign_in_citizen(kit, account)
    return account


def _vouches(kit: IdpKit, account: Account) -> int:
    return sum(1 for r in kit.services.accounts.evidence_of(account.id) if r.type == "vouch")


@pytest.mark.parametrize("typed", ["ABCD-EFGH-JKMN", "ABCD-EFGH", "0000-1111-OOOO", "not a code at all"])
def test_gpg45_vouch_code_wrong(kit: IdpKit, typed: str) -> None:
    _issued(kit)
    citizen = _citizen(kit)
    with refusal_counted(kit, citizen):
        response = redeem(kit, typed)
    assert redeem_error(response) == WRONG
    assert page(response, 400).one(id="code").attrs["value"] == typed


def test_gpg45_vouch_code_expired(kit: IdpKit) -> None:
    code = _issued(kit)
    kit.advance(7 * 86400)
    citizen = _citizen(kit)
    with refusal_counted(kit, citizen):
        response = redeem(kit, code)
    assert redeem_error(response) == EXPIRED


def test_gpg45_vouch_code_single_use(kit: IdpKit) -> None:
    code = _issued(kit)
    citizen = _citizen(kit)
    assert page(redeem(kit, code), 200).one(id="vouch-level").attrs["data-level"] == "low"
    with refusal_counted(kit, citizen):
        response = redeem(kit, code)
    assert redeem_error(response) == USED
    # another citizen of the same name and date of birth cannot use it either
    twin = _citizen(kit)
    with refusal_counted(kit, twin):
        response = redeem(kit, code)
    assert redeem_error(response) == USED
    assert (_vouches(kit, citizen), _vouches(kit, twin)) == (1, 0)


@pytest.mark.parametrize(
    "claims",
    [
        {**THIN_FILE, "given_name": "Dilys"},
        {**THIN_FILE, "family_name": "Pryce"},
        {**THIN_FILE, "birthdate": "1990-03-28"},
        {"given_name": "Dylan", "family_name": "Price"},  # no date of birth held
    ],
    ids=["given_name", "family_name", "birthdate", "no_birthdate"],
)
def test_gpg45_vouch_code_issued_for_a_different_name(kit: IdpKit, claims: dict[str, str]) -> None:
    code = _issued(kit)
    citizen = _citizen(kit, claims)
    with refusal_counted(kit, citizen):
        response = redeem(kit, code)
    assert redeem_error(response) == OTHER_PERSON
    stored = kit.services.vouchers.code(normalise_code(code) or "")
    assert stored is not None and (stored.used_at, stored.used_by) == (None, None)


def test_gpg45_vouch_name_compared_case_insensitively_after_trimming(kit: IdpKit) -> None:
    code = _issued(kit, {**THIN_FILE_FORM, "given_name": "  dylan ", "family_name": "PRICE  "})
    citizen = _citizen(kit)
    assert page(redeem(kit, code), 200).one(id="vouch-level").attrs["data-level"] == "low"
    assert _vouches(kit, citizen) == 1


def test_gpg45_vouch_redemption_rate_limited(kit: IdpKit) -> None:
    code = _issued(kit)
    citizen = _citizen(kit)
    for _ in range(MAX_FAILED_REDEMPTIONS):
        assert redeem_error(redeem(kit, new_code())) == WRONG
    with unchanged(kit):  # refused without looking at the code: even the right one, and not counted
        response = redeem(kit, code)
    assert redeem_error(response, 429) == TOO_MANY
    kit.advance(86400)  # the refusals are more than 24 hours old (and the session has ended)
    sign_in_citizen(kit, citizen)
    assert page(redeem(kit, code), 200).one(id="vouch-level").attrs["data-level"] == "low"


def test_gpg45_vouch_code_missing_not_counted(kit: IdpKit) -> None:
    _citizen(kit)
    with unchanged(kit):
        response = redeem(kit, "   ")
    assert redeem_error(response) == "Enter your vouch code"


def test_gpg45_vouch_redeem_needs_the_citizen_signed_in(kit: IdpKit) -> None:
    code = _issued(kit)
    response = kit.client.get("/account/proofing/vouch", follow_redirects=False)
    assert response.headers["location"] == "/signin?next=%2Faccount%2Fproofing%2Fvouch"
    citizen = _citizen(kit)
    fields = form_of(kit.client.get("/account/proofing/vouch"), "vouch-redeem-form")
    kit.client.cookies.delete(SESSION_COOKIE)  # signed out since the page was shown
    with unchanged(kit):
        response = kit.client.post(
            "/account/proofing/vouch", data={**fields, "code": code}, follow_redirects=False
        )
    assert response.headers["location"] == "/signin?next=%2Faccount%2Fproofing%2Fvouch"
    assert _vouches(kit, citizen) == 0


def test_gpg45_vouch_code_used_once_under_a_race(kit: IdpKit) -> None:
    """Two redemptions of one code racing: one conditional UPDATE, so only one records evidence."""
    code = _issued(kit)
    symbols = normalise_code(code)
    assert symbols is not None
    first, second = _citizen(kit), _citizen(kit)
    store = kit.services.vouchers
    stored = store.code(symbols)
    assert stored is not None
    found = store.voucher(stored.voucher_id)
    assert found is not None
    evidence = vouch_evidence("e-1", stored, found, checked_by="test", now=kit.now())
    outcomes = [
        store.redeem(
            symbols, account.id, evidence_id=f"e-{n}", evidence_object=evidence, scores={"strength": 2}
        )
        for n, account in enumerate((first, second))
    ]
    assert outcomes == [True, False]
    assert (_vouches(kit, first), _vouches(kit, second)) == (1, 0)
