"""Knowledge-based verification on the sandbox credit file (GPG 45 §Verification and §Activity
history): the questions, wrong and missing answers, the rate limit, a citizen without a credit
file (pointed to vouching), and the ``electronic_record`` evidence recorded (OIDC for Identity
Assurance 1.0 §5.1.1)."""

from __future__ import annotations

from idp.core.proofing.journey import day_of
from idp.core.proofing.kbv import Question, questions_for
from idp.core.proofing.sandbox import credit_records
from idp.store.accounts import Account
from tests.idp.idpkit import IdpKit, unchanged
from tests.idp.proofingkit import (
    ALEX,
    counted_failure,
    error_messages,
    hidden,
    new_citizen,
    post_form,
    signed_in,
    text_of,
)
from tests.idp.tokenkit import later, module_kit

kit = module_kit()

KBV = "/account/proofing/kbv"
NO_RECORD = (
    "We could not find a credit or bank record in your name, so this step cannot help you. You can still "
    "prove your identity: someone who knows you professionally can vouch for you."
)


def questions(kit: IdpKit, account: Account) -> tuple[Question, ...]:
    records = credit_records(ALEX["given_name"], ALEX["family_name"], ALEX["birthdate"])
    return questions_for(kit.services.config.pairwise_salt, account.id, records, day_of(kit.now()))


def right(kit: IdpKit, account: Account) -> dict[str, str]:
    return {q.name: q.answer for q in questions(kit, account)}


def wrong(kit: IdpKit, account: Account) -> dict[str, str]:
    return {q.name: next(o for o in q.options if o != q.answer) for q in questions(kit, account)}


def alex(kit: IdpKit) -> Account:
    account = new_citizen(kit, ALEX)
    signed_in(kit, account)
    return account


def test_kbv_questions_shown_from_the_sandbox_credit_file(kit: IdpKit) -> None:
    account = alex(kit)
    page = kit.client.get(KBV)
    assert page.status_code == 200
    asked = questions(kit, account)
    assert len(asked) == 4
    for question in asked:
        for option in question.options:
            assert f'name="{question.name}" type="radio" value="{option}"' in page.text
    assert "Answer at least 3 of the 4 questions correctly." in page.text
    assert "Which of these organisations have you had " in page.text


def test_gpg45_kbv_wrong_answers_counted_then_rate_limited(kit: IdpKit) -> None:
    account = alex(kit)
    for left in (
        "You can try 2 more times in the next 24 hours.",
        "You can try once more in the next 24 hours.",
        "You cannot try this step again for 24 hours.",
    ):
        with counted_failure(kit, account, "kbv"):
            response = post_form(kit, KBV, wrong(kit, account))
        assert response.status_code == 400
        assert error_messages(response) == [("q1", "Some of your answers do not match the records we hold")]
        assert text_of(response, "tries") == left
    with unchanged(kit):
        response = post_form(kit, KBV, right(kit, account))
    assert response.status_code == 429
    assert text_of(response, "refusal").startswith(
        "You cannot try this step again yet: there have been 3 unsuccessful attempts in the last 24 hours."
    )
    assert kit.services.accounts.evidence_of(account.id) == []
    with later(kit, 86400):
        assert post_form(kit, KBV, right(kit, account)).status_code == 303


def test_kbv_one_wrong_answer_of_four_still_passes(kit: IdpKit) -> None:
    account = alex(kit)
    answers = right(kit, account)
    answers["q2"] = wrong(kit, account)["q2"]
    response = post_form(kit, KBV, answers)
    assert response.status_code == 303
    assert response.headers["location"] == "/account/proofing?done=kbv"


def test_kbv_unanswered_or_unknown_answer_refused_without_counting(kit: IdpKit) -> None:
    account = alex(kit)
    answers = right(kit, account)
    for sent in ({k: v for k, v in answers.items() if k != "q3"}, {**answers, "q4": "£1,000,000"}):
        page = kit.client.get(KBV)
        with unchanged(kit):
            response = kit.client.post(KBV, data={"csrf_token": hidden(page)["csrf_token"], **sent})
        assert response.status_code == 400
        field = "q3" if "q3" not in sent else "q4"
        assert error_messages(response) == [(field, "Answer every question")]


def test_kbv_records_electronic_record_evidence(kit: IdpKit) -> None:
    account = alex(kit)
    response = post_form(kit, KBV, right(kit, account))
    assert response.headers["location"] == "/account/proofing?done=kbv"
    (record,) = kit.services.accounts.evidence_of(account.id)
    assert record.type == "electronic_record"
    assert record.scores == {"activity_history": 3, "verification": 2}
    assert [c["check_method"] for c in record.evidence["check_details"]] == ["data", "kbv"]
    assert record.evidence["record"] == {
        "type": "credit_reference_file",
        "source": {"name": "Sandbox Credit Reference Agency", "country_code": "GB"},
    }
    done = kit.client.get(response.headers["location"])
    assert text_of(done, "done") == "Your answers have been checked and added to your evidence."
    with unchanged(kit):
        again = kit.client.get(KBV)
    assert text_of(again, "refusal") == "You have already answered questions about your credit record"


def test_kbv_citizen_without_credit_file_told_plainly_and_pointed_to_vouching(kit: IdpKit) -> None:
    account = new_citizen(kit, {"given_name": "Jo", "family_name": "Nobody", "birthdate": "1999-01-01"})
    signed_in(kit, account)
    with unchanged(kit):
        page = kit.client.get(KBV)
    assert page.status_code == 200
    assert text_of(page, "refusal") == NO_RECORD
    assert 'id="vouch" href="/account/proofing/vouch"' in page.text
    start = kit.client.get("/account/proofing")
    assert text_of(start, "no-credit-file") == NO_RECORD
    assert 'id="step-kbv"' not in start.text
    assert 'id="vouch" href="/account/proofing/vouch"' in start.text
