"""The step-up page (RFC 8485 §6.1; OpenID Connect Unmet Authentication Requirements 1.0 §2): a
signed-in citizen whose evidence or credential meets none of the requested vectors is told, in words,
what the service asked for and what they have reached, and offered to prove their identity (or set up
and use a security code) and come back to the same interaction, or to go back to the service with
``unmet_authentication_requirements``. ``prompt=none`` keeps the error at once
(``test_authorization_prompts``); the interaction keeps its expiry."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from urllib.parse import parse_qsl, urlsplit

import httpx
import pytest

from idp.core.identity import NO_IDENTITY, Identity
from idp.core.personas import LOW
from idp.core.proofing.journey import day_of
from idp.core.step_up import Option, Remedy, explain, options
from idp.store.accounts import Account
from idp.tables import grants, interactions
from schemas.gpg45 import LevelOfConfidence
from tests.idp.flows import (
    assert_problem_page,
    assert_redirect_error,
    authorization_params,
    citizen,
    decide,
    follow,
    form_fields,
    pkce,
    redirect_query,
    sign_in,
    start,
)
from tests.idp.idpkit import IdpKit, unchanged
from tests.idp.proofingkit import hidden, licence_form, signed_in
from tests.idp.securitykit import (
    CALLBACK,
    code,
    enrol,
    form_of,
    module_kit,
    next_code,
    send_code,
    setup_page,
    shown_secret,
)
from tests.idp.tokenkit import exchange, verify_id_token
from tests.trust_registry.htmlpage import Node, page

shared = module_kit()

STATE = "af0ifjsldkj"
STEP_UP_COOKIE = "ukid_idp_step_up"
LICENCE = "/account/proofing/document/driving-licence"
EXPIRED = "This sign-in has expired or does not exist. Go back to the service you were using and start again."
OTHER_BROWSER = (
    "This sign-in was started in another browser, or your browser did not keep its cookie. "
    "Go back to the service you were using and start again."
)
LEAD = "Static test app from Static Services Ltd needs a stronger check of who you are than you have done so far."
GO_BACK_HINT = (
    "If you go back, we will tell Static Services Ltd that you could not meet what it asked for this time. "
    "You can prove your identity later."
)


@pytest.fixture
def kit(shared: IdpKit) -> IdpKit:
    shared.client.cookies.clear()
    return shared


@dataclass
class StepUp:
    """An authorization that reached the step-up page."""

    page: httpx.Response
    interaction: str
    verifier: str


def low_citizen(kit: IdpKit) -> Account:
    """A new account holding the low persona's claims and evidence (GPG 45 L1A, One Login P1)."""
    account = citizen(kit, LOW.claims)
    for kind, evidence, scores in LOW.evidence:
        kit.services.accounts.add_evidence(account.id, kind, dict(evidence), dict(scores))
    return account


def to_step_up(kit: IdpKit, account: Account, vtr: list[str]) -> StepUp:
    """A relying party's step-up (``vtr``, ``prompt=login``) signed in to with a password: the page."""
    verifier, challenge = pkce()
    params = authorization_params(challenge=challenge, vtr=vtr, extra={"prompt": "login"})
    answer = sign_in(kit, follow(kit, start(kit, params)), account.username)
    assert answer.status_code == 303, answer.text
    location = urlsplit(answer.headers["location"])
    assert location.path == "/step-up", answer.headers["location"]
    shown = follow(kit, answer)
    assert shown.status_code == 200, shown.text
    return StepUp(shown, dict(parse_qsl(location.query))["interaction"], verifier)


def words(response: httpx.Response) -> dict[str, object]:
    """The step-up page's words, by element."""
    doc = page(response)
    return {
        "h1": doc.one("h1").text(),
        "lead": doc.one(id="step-up-lead").text(),
        "asked_lead": doc.one(id="asked-lead").text(),
        "asked": [item.text() for item in doc.one(id="asked").all("li")],
        "reached": [doc.one(id="reached-level").text(), doc.one(id="reached-credential").text()],
        "remedy": doc.one(id="remedy").text(),
        "buttons": [doc.one(id="prove").text(), doc.one(id="go-back").text()],
    }


def choose(kit: IdpKit, shown: httpx.Response, decision: str) -> httpx.Response:
    """Press a button of the step-up page."""
    data = {**form_fields(shown), "decision": decision}
    response: httpx.Response = kit.client.post("/step-up", data=data, follow_redirects=False)
    return response


def return_banner(response: httpx.Response) -> Node:
    """The account area's link back to the interaction left to step up."""
    return page(response).one(id="step-up-return")


def licence_with_face_comparison(kit: IdpKit) -> None:
    """Check the low persona's driving licence with the (simulated) face comparison."""
    today = day_of(kit.now())
    form = licence_form(LOW.claims, date(today.year - 2, 1, 15), date(today.year + 5, 6, 30))
    details = kit.client.get(LICENCE)
    face = kit.client.post(LICENCE, data={"csrf_token": hidden(details)["csrf_token"], **form})
    assert face.status_code == 200, face.text
    done = kit.client.post(
        "/account/proofing/document/face",
        data={**hidden(face), "comparison": "compare"},
        follow_redirects=False,
    )
    assert done.headers["location"] == "/account/proofing?done=document-driving_permit", done.text


def completed(kit: IdpKit, account: Account) -> list[bool]:
    return [row.completed_at is not None for row in kit.rows_of(interactions, account.id)]


def test_rfc8485_6_1_low_citizen_asked_for_p2_cl_sees_the_step_up_page_in_words(kit: IdpKit) -> None:
    who = low_citizen(kit)
    reached = to_step_up(kit, who, ["P2.Cl"])
    assert words(reached.page) == {
        "h1": "Prove your identity to continue",
        "lead": LEAD,
        "asked_lead": "The service needs:",
        "asked": ["your identity proved to medium confidence"],
        "reached": [
            "You have proved your identity to low confidence.",
            "You signed in with your password only.",
        ],
        "remedy": "You can prove your identity now, for example by checking your passport or driving licence. "
        "When you have finished, you can continue to Static test app.",
        "buttons": ["Prove your identity now", "Go back to Static Services Ltd"],
    }
    assert page(reached.page).one(id="back-hint").text() == GO_BACK_HINT
    assert kit.rows_of(grants, who.id) == []
    assert completed(kit, who) == [False]


def test_rfc8485_6_1_several_vectors_are_listed_as_alternatives_in_words(kit: IdpKit) -> None:
    reached = to_step_up(kit, citizen(kit), ["P2.Cl.Cm", "P1.Cl", "P9.Cp"])
    shown = words(reached.page)
    assert shown["asked_lead"] == "The service needs one of these:"
    assert shown["asked"] == [
        "your identity proved to medium confidence and a security code from your authenticator app when "
        "you sign in",
        "your identity proved to low confidence",
    ]
    assert shown["reached"] == [
        "You have not proved your identity yet.",
        "You signed in with your password only.",
    ]


def test_unmet_authentication_requirements_2_go_back_answers_the_client_with_the_error(kit: IdpKit) -> None:
    who = low_citizen(kit)
    reached = to_step_up(kit, who, ["P2.Cl"])
    answer = choose(kit, reached.page, "back")
    assert_redirect_error(
        answer,
        CALLBACK,
        "unmet_authentication_requirements",
        "the requested vectors need identity confidence or a credential this account has not reached "
        "(identity confidence reached: low; credential: Cl)",
        STATE,
    )
    assert kit.rows_of(grants, who.id) == []
    assert completed(kit, who) == [True]
    again = kit.client.get(f"/step-up?interaction={reached.interaction}")
    assert_problem_page(again, "completed")


def test_unmet_authentication_requirements_2_no_vector_this_provider_offers_is_answered_at_once(
    kit: IdpKit,
) -> None:
    who = citizen(kit)
    params = authorization_params(vtr=["P9.Cp.Cd"], extra={"prompt": "login"})
    answer = sign_in(kit, follow(kit, start(kit, params)), who.username)
    assert redirect_query(answer, CALLBACK)["error"] == "unmet_authentication_requirements"
    assert completed(kit, who) == [True]


def test_rfc8485_6_1_prove_now_then_continue_to_consent_and_a_code_with_vot_p2_cl(kit: IdpKit) -> None:
    who = low_citizen(kit)
    reached = to_step_up(kit, who, ["P2.Cl"])
    proving = choose(kit, reached.page, "prove")
    assert proving.headers["location"] == "/account/proofing"
    assert kit.client.cookies.get(STEP_UP_COOKIE) == reached.interaction
    banner = return_banner(follow(kit, proving))
    assert banner.one(id="step-up-return-title").text() == "Your sign-in to Static test app"
    assert (
        banner.one(id="step-up-return-text").text() == "When you have finished, continue to Static test app."
    )
    link = banner.one("a", id="step-up-continue")
    assert (link.attrs["href"], link.text()) == (
        f"/step-up?interaction={reached.interaction}",
        "Continue to Static test app",
    )
    # not proven yet: the same page again
    assert words(kit.client.get(link.attrs["href"])) == words(reached.page)
    licence_with_face_comparison(kit)
    assert page(kit.client.get("/account/proofing")).one(id="level").attrs["data-level"] == "medium"
    resumed = kit.client.get(link.attrs["href"], follow_redirects=False)
    assert resumed.headers["location"] == f"/consent?interaction={reached.interaction}"
    query = redirect_query(decide(kit, follow(kit, resumed)), CALLBACK)
    assert set(query) == {"code", "state", "iss"}
    tokens = exchange(kit, query["code"], verifier=reached.verifier, redirect_uri=CALLBACK)
    assert tokens.status_code == 200, tokens.text
    assert verify_id_token(kit, tokens.json()["id_token"])["vot"] == "P2.Cl"
    assert completed(kit, who) == [True]
    # the interaction is over: no link back any more
    assert 'id="step-up-return"' not in kit.client.get("/account/proofing").text


def test_rfc8485_cm_for_a_password_only_citizen_sets_up_the_security_code_and_signs_in_with_it(
    kit: IdpKit,
) -> None:
    who = citizen(kit)
    reached = to_step_up(kit, who, ["Cl.Cm"])
    assert words(reached.page) == {
        "h1": "Use a security code to continue",
        "lead": LEAD,
        "asked_lead": "The service needs:",
        "asked": ["a security code from your authenticator app when you sign in"],
        "reached": ["You have not proved your identity yet.", "You signed in with your password only."],
        "remedy": "You can set up two-step sign-in now: you need an authenticator app on your phone. Then sign in "
        "again with your security code to continue to Static test app.",
        "buttons": ["Set up two-step sign-in now", "Go back to Static Services Ltd"],
    }
    assert choose(kit, reached.page, "prove").headers["location"] == "/account/security"
    setup = setup_page(kit)
    secret = shown_secret(setup)
    confirmed = kit.client.post(
        "/account/security/confirm",
        data={**form_of(setup, "/account/security/confirm"), "code": code(kit, secret)},
    )
    assert confirmed.status_code == 200, confirmed.text
    link = return_banner(kit.client.get("/account/security?done=on")).one("a", id="step-up-continue")
    resumed = kit.client.get(link.attrs["href"], follow_redirects=False)
    assert resumed.headers["location"] == f"/login?interaction={reached.interaction}"
    answer = sign_in(kit, follow(kit, resumed), who.username)
    assert answer.headers["location"] == f"/login/totp?interaction={reached.interaction}"
    consent = send_code(kit, follow(kit, answer), next_code(kit, secret))
    query = redirect_query(decide(kit, follow(kit, consent)), CALLBACK)
    tokens = exchange(kit, query["code"], verifier=reached.verifier, redirect_uri=CALLBACK)
    claims = verify_id_token(kit, tokens.json()["id_token"])
    assert (claims["vot"], claims["amr"]) == ("Cl.Cm", ["pwd", "otp", "mfa"])


def test_rfc8485_6_1_a_live_password_only_session_proves_then_signs_in_with_its_code_for_p2_cl_cm(
    kit: IdpKit,
) -> None:
    enrolled = enrol(kit, low_citizen(kit))  # the browser keeps its password-only session
    verifier, challenge = pkce()
    answer = start(kit, authorization_params(challenge=challenge, vtr=["P2.Cl.Cm"]))
    location = urlsplit(answer.headers["location"])
    assert location.path == "/step-up", answer.headers["location"]
    interaction = dict(parse_qsl(location.query))["interaction"]
    shown = follow(kit, answer)
    assert words(shown)["reached"] == [
        "You have proved your identity to low confidence.",
        "You signed in with your password only.",
    ]
    assert choose(kit, shown, "prove").headers["location"] == "/account/proofing"
    licence_with_face_comparison(kit)
    resumed = kit.client.get(f"/step-up?interaction={interaction}", follow_redirects=False)
    assert resumed.headers["location"] == f"/login?interaction={interaction}"
    step = sign_in(kit, follow(kit, resumed), enrolled.account.username)
    consent = send_code(kit, follow(kit, step), next_code(kit, enrolled.secret))
    query = redirect_query(decide(kit, follow(kit, consent)), CALLBACK)
    tokens = exchange(kit, query["code"], verifier=verifier, redirect_uri=CALLBACK)
    assert verify_id_token(kit, tokens.json()["id_token"])["vot"] == "P2.Cl.Cm"


def test_continue_link_of_another_browser_is_refused(kit: IdpKit) -> None:
    who = low_citizen(kit)
    reached = to_step_up(kit, who, ["P2.Cl"])
    signed_in(kit, who)  # the same citizen, in another browser
    with unchanged(kit):
        refused = kit.client.get(f"/step-up?interaction={reached.interaction}")
    assert assert_problem_page(refused, "other_browser").one(id="problem").text() == OTHER_BROWSER
    kit.client.cookies.set(STEP_UP_COOKIE, reached.interaction, domain="idp.example", path="/")
    assert 'id="step-up-return"' not in kit.client.get("/account/proofing").text


def test_continue_link_for_another_account_in_the_browser_asks_to_sign_in(kit: IdpKit) -> None:
    reached = to_step_up(kit, low_citizen(kit), ["P2.Cl"])
    other = citizen(kit)
    session_id, _ = kit.services.interactions.start_session(
        other.id, auth_time=kit.now(), amr=["pwd"], credential="Cl", lifetime=3600
    )
    kit.client.cookies.delete("ukid_idp_session")
    kit.client.cookies.set("ukid_idp_session", session_id, domain="idp.example", path="/")
    kit.client.cookies.set(STEP_UP_COOKIE, reached.interaction, domain="idp.example", path="/")
    assert 'id="step-up-return"' not in kit.client.get("/account/proofing").text
    resumed = kit.client.get(f"/step-up?interaction={reached.interaction}", follow_redirects=False)
    assert resumed.headers["location"] == f"/login?interaction={reached.interaction}"


def test_continue_link_of_an_expired_interaction_shows_expired_with_a_way_back(kit: IdpKit) -> None:
    who = low_citizen(kit)
    reached = to_step_up(kit, who, ["P2.Cl"])
    assert choose(kit, reached.page, "prove").status_code == 303
    kit.advance(kit.services.config.interaction_lifetime + 1)
    link = return_banner(kit.client.get("/account/proofing")).one("a", id="step-up-continue")
    with unchanged(kit):
        shown = kit.client.get(link.attrs["href"])
        pressed = choose(kit, reached.page, "back")
    for response in (shown, pressed):
        doc = assert_problem_page(response, "expired")
        assert doc.one(id="problem").text() == EXPIRED
        back = doc.one("a", id="back")
        assert (back.attrs["href"], back.text()) == (
            "https://static.example/",
            "Go back to Static Services Ltd",
        )


def test_step_up_form_needs_its_csrf_token_and_a_known_decision(kit: IdpKit) -> None:
    reached = to_step_up(kit, low_citizen(kit), ["P2.Cl"])
    with unchanged(kit):
        forged = kit.client.post(
            "/step-up", data={"interaction": reached.interaction, "decision": "back", "csrf_token": "x" * 43}
        )
        unknown = choose(kit, reached.page, "skip")
    assert_problem_page(forged, "csrf")
    doc = assert_problem_page(unknown, "form")
    assert (
        doc.one(id="problem").text()
        == "The form could not be read: choose to continue or to go back to the service."
    )


def test_rfc8485_6_1_options_keep_only_vectors_this_provider_can_assert() -> None:
    assert options(["P2.Cl.Cm", "P9.Cp", "Cl.P2.Cm", "P3.Cl"]) == (
        Option(LevelOfConfidence.MEDIUM, True),
        Option(LevelOfConfidence.HIGH, False),
    )
    assert options(["P9.Cp"]) == ()


@pytest.mark.parametrize(
    ("identity", "credential", "second_factor", "vtr", "remedy"),
    [
        (NO_IDENTITY, "Cl", False, ["P1.Cl"], Remedy.PROOFING),
        (NO_IDENTITY, "Cl", False, ["Cl.Cm"], Remedy.SECURITY),
        (NO_IDENTITY, "Cl", True, ["Cl.Cm"], Remedy.SIGN_IN),
        (NO_IDENTITY, "Cl", True, ["P1.Cl.Cm"], Remedy.PROOFING),
    ],
)
def test_rfc8485_6_1_the_remedy_is_the_missing_part(
    identity: Identity, credential: str, second_factor: bool, vtr: list[str], remedy: Remedy
) -> None:
    assert explain(identity, credential, second_factor, vtr).remedy is remedy
