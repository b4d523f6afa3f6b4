"""The whole proofing journey in the browser: an unproven citizen checks a passport with the
(simulated) biometric comparison and answers knowledge-based questions; the level is the one the
GPG 45 evaluator gives for the recorded scores; the start page explains where the citizen is and
what would take them further; the released ``verified_claims`` validate against the project's
schema and the OpenID Foundation's (OIDC for Identity Assurance 1.0 §5)."""

from __future__ import annotations

from datetime import date
from typing import Any

from idp.core.identity import identity_of, scores_of
from idp.core.proofing.journey import day_of
from idp.core.proofing.kbv import questions_for
from idp.core.proofing.sandbox import credit_records
from idp.store.accounts import Account
from schemas.check import check_payload
from schemas.gpg45 import LevelOfConfidence, evaluate
from schemas.verified_claims import VerifiedClaims
from tests.idp.idpkit import IdpKit
from tests.idp.proofingkit import (
    ALEX,
    hidden,
    licence_form,
    new_citizen,
    passport_form,
    post_form,
    signed_in,
    text_of,
)
from tests.idp.tokenkit import module_kit, tokens, userinfo
from tests.schemas.oidf import oidf_errors
from tests.trust_registry.htmlpage import page as parse

kit = module_kit()

FULL = {
    "userinfo": {
        "verified_claims": {
            "verification": {
                "trust_framework": None,
                "assurance_level": None,
                "assurance_process": {"policy": None, "procedure": None},
                "time": None,
                "evidence": [
                    {
                        "type": {"value": "document"},
                        "check_details": [{"check_method": None}],
                        "document_details": {"type": None, "document_number": None, "date_of_expiry": None},
                    },
                    {
                        "type": {"value": "electronic_record"},
                        "check_details": [{"check_method": None}],
                        "record": {"type": None, "source": {"name": None}},
                    },
                ],
            },
            "claims": {"given_name": None, "family_name": None, "birthdate": None},
        }
    }
}


def expiry(kit: IdpKit) -> date:
    return date(day_of(kit.now()).year + 6, 2, 28)


def document(kit: IdpKit, path: str, form: dict[str, str], comparison: str = "compare") -> None:
    page = post_form(kit, path, form)
    assert page.status_code == 200, page.text
    done = kit.client.post("/account/proofing/document/face", data={**hidden(page), "comparison": comparison})
    assert done.status_code == 200, done.text  # followed to the start page


def answer_questions(kit: IdpKit, account: Account) -> None:
    records = credit_records(ALEX["given_name"], ALEX["family_name"], ALEX["birthdate"])
    asked = questions_for(kit.services.config.pairwise_salt, account.id, records, day_of(kit.now()))
    response = post_form(kit, "/account/proofing/kbv", {q.name: q.answer for q in asked})
    assert response.status_code == 303, response.text


def level_shown(kit: IdpKit) -> tuple[str, str]:
    page = kit.client.get("/account/proofing")
    return text_of(page, "level"), page.text


def evaluated(kit: IdpKit, account: Account) -> LevelOfConfidence | None:
    """The level the GPG 45 evaluator gives for the recorded scores."""
    return evaluate(scores_of(kit.services.accounts.evidence_of(account.id))).level


def test_gpg45_unproven_citizen_start_page_explains_each_step(kit: IdpKit) -> None:
    account = new_citizen(kit, ALEX)
    signed_in(kit, account)
    level, page = level_shown(kit)
    assert level == "You have not proved your identity yet."
    assert 'id="step-passport"' in page
    doc = parse(kit.client.get("/account/proofing"))
    outcomes = {
        step: doc.one(id=f"step-{step}").one("div", class_="govuk-summary-card__content").text()
        for step in ("passport", "driving_permit", "kbv")
    }
    assert outcomes == {
        "passport": "This would take you to medium confidence.",
        "driving_permit": "This would take you to low confidence.",
        "kbv": "This would add to your evidence, but would not change your level on its own.",
    }
    assert 'href="/account/proofing/vouch"' in page
    next_step = kit.client.get("/account/proofing")
    assert text_of(next_step, "next") == "To reach low confidence (GPG 45 profile L1B) you still need:"
    assert (
        "Doing “Check your UK photocard driving licence, with a face comparison” and “Answer questions about "
        "your credit record” would together take you to medium confidence." in next_step.text
    )


def test_gpg45_passport_biometric_and_kbv_reach_the_evaluated_level(kit: IdpKit) -> None:
    account = new_citizen(kit, ALEX)
    signed_in(kit, account)
    document(kit, "/account/proofing/document/passport", passport_form(ALEX, "123456782", expiry(kit)))
    after_passport = identity_of(kit.services.accounts, account, kit.now())
    assert after_passport.level == evaluated(kit, account) == LevelOfConfidence.MEDIUM
    answer_questions(kit, account)
    identity = identity_of(kit.services.accounts, account, kit.now())
    assert identity.level == evaluated(kit, account) == LevelOfConfidence.MEDIUM
    assert identity.profiles == ("L1A", "L1B", "M1A", "M1D")
    level, page = level_shown(kit)
    assert level == "You have proved your identity to medium confidence."
    assert "Your checks meet these GPG 45 identity profiles: L1A, L1B, M1A, M1D." in page
    assert text_of(kit.client.get("/account/proofing"), "next") == (
        "To reach high confidence (GPG 45 profile H1B) you still need:"
    )

    body = userinfo(kit, tokens(kit, account, claims=FULL)["access_token"]).json()
    element: dict[str, Any] = body["verified_claims"]
    assert element["claims"] == {"given_name": "Alex", "family_name": "Carter", "birthdate": "1990-05-17"}
    verification = element["verification"]
    assert verification["trust_framework"] == "uk_diatf"
    assert verification["assurance_level"] == "medium"
    assert verification["assurance_process"]["policy"] == "gpg45"
    assert verification["assurance_process"]["procedure"] == "m1a"
    # both recorded in the same second: the evidence comes in no particular order
    methods = {e["type"]: [c["check_method"] for c in e["check_details"]] for e in verification["evidence"]}
    assert methods == {"document": ["vri", "bvr"], "electronic_record": ["data", "kbv"]}
    assert check_payload(body, "verified-claims").problems == ()
    assert oidf_errors(body) == []
    VerifiedClaims.model_validate(element)
    held = identity.verified_claims  # the whole element, scores included, as held before release
    assert held is not None
    whole = {"sub": body["sub"], "verified_claims": held.to_json_dict()}
    assert check_payload(whole, "verified-claims").problems == ()
    assert oidf_errors(whole) == []
    read = held.verification.gpg45_result()
    assert read is not None and read.level == LevelOfConfidence.MEDIUM


def test_gpg45_driving_licence_then_kbv_raises_low_to_medium(kit: IdpKit) -> None:
    account = new_citizen(kit, ALEX)
    signed_in(kit, account)
    issued = date(day_of(kit.now()).year - 1, 3, 1)
    document(kit, "/account/proofing/document/driving-licence", licence_form(ALEX, issued, expiry(kit)))
    assert identity_of(kit.services.accounts, account, kit.now()).level == evaluated(kit, account)
    assert evaluated(kit, account) == LevelOfConfidence.LOW
    level, page = level_shown(kit)
    assert level == "You have proved your identity to low confidence."
    assert 'id="step-kbv"' in page
    answer_questions(kit, account)
    identity = identity_of(kit.services.accounts, account, kit.now())
    assert identity.level == evaluated(kit, account) == LevelOfConfidence.MEDIUM
    assert "M1D" in identity.profiles
