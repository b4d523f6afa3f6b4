"""The document check pages (sandbox): a UK passport (ICAO 9303 MRZ check digits) or a DVLA driving
licence number cross-checked with the name and date of birth, expiry, the simulated biometric
comparison (``bvr``), the evidence recorded (OIDC for Identity Assurance 1.0 §5.1.1) and its GPG 45
scores, the rate limit, CSRF and the account area's sign-in."""

from __future__ import annotations

from datetime import date, timedelta

import httpx
import pytest

from idp.core.identity import identity_of
from idp.core.proofing.journey import day_of
from idp.store.accounts import Account
from schemas.gpg45 import LevelOfConfidence
from tests.idp.idpkit import IdpKit, unchanged
from tests.idp.proofingkit import (
    ALEX,
    CSRF_MESSAGE,
    counted_failure,
    error_messages,
    hidden,
    licence_form,
    new_citizen,
    passport_form,
    post_form,
    signed_in,
    text_of,
)
from tests.idp.tokenkit import later, module_kit

kit = module_kit()

PASSPORT = "/account/proofing/document/passport"
LICENCE = "/account/proofing/document/driving-licence"
FACE = "/account/proofing/document/face"
NUMBER = "123456782"


def expiry(kit: IdpKit, years: int = 5) -> date:
    return date(day_of(kit.now()).year + years, 6, 30)


def issued(kit: IdpKit) -> date:
    return date(day_of(kit.now()).year - 2, 1, 15)


def citizen(kit: IdpKit) -> Account:
    account = new_citizen(kit, ALEX)
    signed_in(kit, account)
    return account


def refused_form(kit: IdpKit, path: str, data: dict[str, str]) -> list[tuple[str, str]]:
    """POST a form that is refused without counting: nothing changes; the error summary's items."""
    page = kit.client.get(path)
    with unchanged(kit):
        response = kit.client.post(path, data={"csrf_token": hidden(page)["csrf_token"], **data})
    assert response.status_code == 400, response.text
    return error_messages(response)


def test_icao_9303_passport_mrz_bad_check_digit_refused_and_nothing_changes(kit: IdpKit) -> None:
    citizen(kit)
    good = passport_form(ALEX, NUMBER, expiry(kit))["mrz"]
    for index, part in ((9, "the passport number"), (19, "the date of birth"), (27, "the expiry date")):
        wrong = good[:index] + str((int(good[index]) + 1) % 10) + good[index + 1 :]
        assert refused_form(kit, PASSPORT, passport_form(ALEX, NUMBER, expiry(kit), mrz=wrong)) == [
            (
                "mrz",
                f"The code at the bottom of your passport does not add up: check {part} and the digit after it",
            )
        ]
    composite = good[:43] + str((int(good[43]) + 1) % 10)
    assert refused_form(kit, PASSPORT, passport_form(ALEX, NUMBER, expiry(kit), mrz=composite)) == [
        ("mrz", "The code at the bottom of your passport does not add up: check its last character")
    ]


def test_passport_number_format_and_mismatch_refused(kit: IdpKit) -> None:
    citizen(kit)
    assert refused_form(
        kit, PASSPORT, passport_form(ALEX, NUMBER, expiry(kit), passport_number="12345678")
    ) == [("passport_number", "Your passport number should be 9 digits")]
    other = passport_form(ALEX, "987654321", expiry(kit))["mrz"]
    assert refused_form(kit, PASSPORT, passport_form(ALEX, NUMBER, expiry(kit), mrz=other)) == [
        ("passport_number", "The passport number does not match the code at the bottom of your passport")
    ]
    assert refused_form(kit, PASSPORT, {"given_names": "Alex"}) == [
        ("family_name", "Enter your surname"),
        ("birth_day", "Enter your date of birth"),
        ("expiry_day", "Enter the expiry date"),
        ("passport_number", "Enter your passport number"),
        ("mrz", "Enter the second line of the code at the bottom of your passport"),
    ]


def test_expired_passport_and_driving_licence_refused(kit: IdpKit) -> None:
    citizen(kit)
    past = day_of(kit.now()) - timedelta(days=1)
    written = f"{past.day} {past.strftime('%B %Y')}"
    assert refused_form(kit, PASSPORT, passport_form(ALEX, NUMBER, past)) == [
        ("expiry_day", f"Your passport expired on {written}: use a passport that has not expired")
    ]
    assert refused_form(kit, LICENCE, licence_form(ALEX, issued(kit), past)) == [
        (
            "expiry_day",
            f"Your driving licence expired on {written}: use a driving licence that has not expired",
        )
    ]


def test_dvla_licence_number_inconsistent_with_name_or_birth_date_refused(kit: IdpKit) -> None:
    citizen(kit)
    for number, message in (
        ("CARTR905170A99AB", "The driving licence number does not match your surname"),
        ("CARTE905180A99AB", "The driving licence number does not match your date of birth"),
        ("CARTE905170B99AB", "The driving licence number does not match your initials"),
        (
            "CARTE905170A9",
            "Your driving licence number should be 16 letters and numbers, like MORGA753116SM9IJ",
        ),
    ):
        form = licence_form(ALEX, issued(kit), expiry(kit), number=number)
        assert refused_form(kit, LICENCE, form) == [("licence_number", message)]


def test_csrf_token_missing_or_wrong_refused(kit: IdpKit) -> None:
    citizen(kit)
    for path, data in (
        (PASSPORT, passport_form(ALEX, NUMBER, expiry(kit))),
        (LICENCE, licence_form(ALEX, issued(kit), expiry(kit))),
        (FACE, {"held": "x.y", "comparison": "compare"}),
        ("/account/proofing/kbv", {"q1": "Northgate Bank"}),
    ):
        for token in (None, "not-the-token"):
            sent = dict(data) if token is None else {**data, "csrf_token": token}
            with unchanged(kit):
                response = kit.client.post(path, data=sent)
            assert response.status_code == 400, (path, response.text)
            assert text_of(response, "problem") == CSRF_MESSAGE


def test_csrf_token_of_another_account_refused(kit: IdpKit) -> None:
    first = new_citizen(kit, ALEX)
    signed_in(kit, first)
    token = hidden(kit.client.get(PASSPORT))["csrf_token"]
    browser = kit.client.cookies.get("ukid_idp_browser")
    signed_in(kit, new_citizen(kit, ALEX))
    kit.client.cookies.set("ukid_idp_browser", browser or "", domain="idp.example", path="/")
    with unchanged(kit):
        response = kit.client.post(
            PASSPORT, data={**passport_form(ALEX, NUMBER, expiry(kit)), "csrf_token": token}
        )
    assert text_of(response, "problem") == CSRF_MESSAGE


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_account_area_not_signed_in_sent_to_sign_in(kit: IdpKit, method: str) -> None:
    kit.client.cookies.clear()
    for path in (
        "/account/proofing",
        "/account/proofing/document",
        PASSPORT,
        LICENCE,
        FACE,
        "/account/proofing/kbv",
    ):
        if method == "GET" and path == FACE:
            continue
        if method == "POST" and path in ("/account/proofing", "/account/proofing/document"):
            continue
        with unchanged(kit):
            response = kit.client.request(
                method, path, data={"x": "y"} if method == "POST" else None, follow_redirects=False
            )
        assert response.status_code == 303, (path, response.text)
        assert response.headers["location"] == "/signin?next=" + path.replace("/", "%2F")


def face_page(kit: IdpKit, path: str, data: dict[str, str]) -> httpx.Response:
    response = post_form(kit, path, data)
    assert response.status_code == 200, response.text
    assert "Compare your face with the photo on your" in response.text
    return response


def test_passport_with_biometric_comparison_records_document_evidence(kit: IdpKit) -> None:
    account = citizen(kit)
    page = face_page(kit, PASSPORT, passport_form(ALEX, NUMBER, expiry(kit)))
    assert text_of(page, "checked") == "Your passport details are correct."
    response = kit.client.post(FACE, data={**hidden(page), "comparison": "compare"}, follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/account/proofing?done=document-passport"
    (record,) = kit.services.accounts.evidence_of(account.id)
    assert record.type == "document"
    assert record.scores == {"strength": 4, "validity": 2, "identity_fraud": 1, "verification": 3}
    assert [c["check_method"] for c in record.evidence["check_details"]] == ["vri", "bvr"]
    assert record.evidence["document_details"] == {
        "type": "passport",
        "document_number": NUMBER,
        "date_of_expiry": expiry(kit).isoformat(),
        "issuer": {"name": "HM Passport Office", "country": "United Kingdom", "country_code": "GBR"},
    }
    assert record.evidence["derived_claims"] == {
        "given_name": "Alex",
        "family_name": "Carter",
        "birthdate": "1990-05-17",
        "nationalities": ["GBR"],
    }
    identity = identity_of(kit.services.accounts, account, kit.now())
    assert identity.level == LevelOfConfidence.MEDIUM
    assert "M1A" in identity.profiles
    done = kit.client.get(response.headers["location"])
    assert text_of(done, "done") == "Your passport has been checked and added to your evidence."
    assert text_of(done, "level") == "You have proved your identity to medium confidence."
    # a second passport is refused (it would count the same evidence twice), nothing changes
    again = refused_form(kit, PASSPORT, passport_form(ALEX, NUMBER, expiry(kit)))
    assert again == [("passport_number", "You have already proved your identity with a passport")]


def test_driving_licence_without_face_comparison_has_no_verification_score(kit: IdpKit) -> None:
    account = citizen(kit)
    page = face_page(kit, LICENCE, licence_form(ALEX, issued(kit), expiry(kit)))
    response = kit.client.post(FACE, data={**hidden(page), "comparison": "skip"}, follow_redirects=False)
    assert response.headers["location"] == "/account/proofing?done=document-driving_permit"
    (record,) = kit.services.accounts.evidence_of(account.id)
    assert record.scores == {"strength": 3, "validity": 2, "identity_fraud": 1}
    assert [c["check_method"] for c in record.evidence["check_details"]] == ["vri"]
    assert record.evidence["document_details"]["type"] == "driving_permit"
    assert record.evidence["document_details"]["document_number"] == "CARTE905170A99AB"
    assert record.evidence["document_details"]["date_of_issuance"] == issued(kit).isoformat()
    assert identity_of(kit.services.accounts, account, kit.now()).level is None


def test_held_document_tampered_or_expired_refused(kit: IdpKit) -> None:
    citizen(kit)
    page = face_page(kit, PASSPORT, passport_form(ALEX, NUMBER, expiry(kit)))
    fields = hidden(page)
    message = "Your document details have expired or could not be read: enter them again"
    with unchanged(kit):
        tampered = kit.client.post(
            FACE, data={**fields, "held": fields["held"][::-1], "comparison": "compare"}
        )
    assert text_of(tampered, "refusal") == message
    with later(kit, 901), unchanged(kit):
        expired = kit.client.post(FACE, data={**fields, "comparison": "compare"})
    assert text_of(expired, "refusal") == message


def test_document_details_not_matching_the_account_counted_then_rate_limited(kit: IdpKit) -> None:
    account = citizen(kit)
    other = {**ALEX, "birthdate": "1991-05-17"}
    form = passport_form(other, NUMBER, expiry(kit))
    tries = [
        "You can try 2 more times in the next 24 hours.",
        "You can try once more in the next 24 hours.",
        "You cannot try this step again for 24 hours.",
    ]
    for left in tries:
        with counted_failure(kit, account, "document"):
            response = post_form(kit, PASSPORT, form)
        assert error_messages(response) == [
            ("passport_number", "The name or date of birth on this document does not match your account")
        ]
        assert text_of(response, "tries") == left
    eases = kit.services.proofing.rate_limit(account.id, "document").eases_at
    assert eases is not None
    good = passport_form(ALEX, NUMBER, expiry(kit))
    with unchanged(kit):
        response = post_form(kit, PASSPORT, good)
    assert response.status_code == 429
    assert text_of(response, "refusal").startswith(
        "You cannot try this step again yet: there have been 3 unsuccessful attempts in the last 24 hours. "
        "You can try again after "
    )
    with later(kit, 86400):
        assert post_form(kit, PASSPORT, good).status_code == 200  # the window has passed


def test_gpg45_identity_fraud_document_reported_cancelled_counted(kit: IdpKit) -> None:
    account = citizen(kit)
    with counted_failure(kit, account, "document"):
        response = post_form(kit, PASSPORT, passport_form(ALEX, "925665416", expiry(kit)))
    assert error_messages(response) == [
        ("passport_number", "This document has been reported lost, stolen or cancelled, so it cannot be used")
    ]
    assert text_of(response, "tries") == "You can try 2 more times in the next 24 hours."


def test_rfc6749_3_1_unreadable_form_refused_and_nothing_changes(kit: IdpKit) -> None:
    citizen(kit)
    token = hidden(kit.client.get(PASSPORT))["csrf_token"]
    body = f"csrf_token={token}&passport_number=1&passport_number=2"
    with unchanged(kit):
        response = kit.client.post(
            PASSPORT, content=body, headers={"Content-Type": "application/x-www-form-urlencoded"}
        )
    assert response.status_code == 400
    assert (
        text_of(response, "problem")
        == "The form could not be read: passport_number is included more than once."
    )
