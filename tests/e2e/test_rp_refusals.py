"""End to end over real HTTP, the relying party's refusals (OpenID Connect Core §3.1.2.7 and §3.1.3,
RFC 9207, RFC 6749 §4.1.2.1 and §10.12, OpenID Federation 1.0 §10): each bad answer from the real
IdP, or a tampered redirect back from it, ends on a polite page naming the problem (status 400) with
nothing kept, or on the "why not" page with a step-up when the evidence is not enough.

The forged ID tokens (bad signature, ``alg: none``, wrong ``iss``/``aud``/``nonce``, expired, issued in
the future, ``vot`` outside ``vtr``) cannot come from the sample IdP: their refusals are tested against
the library in ``tests/relying_party/test_id_token.py`` and ``test_login_flow.py``.
"""

from __future__ import annotations

import logging
import re
from urllib.parse import parse_qsl, urlencode, urlsplit

import httpx
import pytest

from idp.core.personas import DEV_PASSWORD, MEDIUM_TOTP_SECRET
from tests.e2e.journeys import authorize, follow, login, result_of
from tests.e2e.stack import Stack
from tests.interop.forms import submit
from tests.relying_party.services.councilkit import text_of


def problem(page: httpx.Response) -> tuple[str, str]:
    """The refusal code and the words of a failed-login page."""
    assert page.status_code == 400, page.text[:500]
    assert "Traceback" not in page.text
    found = re.search(r'id="problem" data-code="([^"]*)"', page.text)
    assert found, page.text[:500]
    return found.group(1), text_of(page.text, "problem")


def tampered(callback: str, **changes: str) -> str:
    """``callback`` with its query parameters changed."""
    parts = urlsplit(callback)
    query = dict(parse_qsl(parts.query))
    query.update(changes)
    return f"{parts.scheme}://{parts.netloc}{parts.path}?{urlencode(query)}"


def sessions(stack: Stack, name: str) -> int:
    """The sessions a service holds (a refused login must not add one)."""
    count: int = stack.apps[name].state.services.store.count_sessions()
    return count


@pytest.mark.parametrize(
    "issuer",
    ["http://127.0.0.1:9/", "health"],
    ids=["unknown-entity", "federation-member-not-a-provider"],
)
def test_10_a_provider_outside_the_federation_is_refused_at_the_start(stack: Stack, issuer: str) -> None:
    issuer = stack.health if issuer == "health" else issuer
    with httpx.Client(timeout=30) as browser:
        page = browser.post(
            f"{stack.council}/auth/start",
            data={"service": "parking-permit", "issuer": issuer, "return_to": "/"},
        )
    code, words = problem(page)
    assert code == "untrusted_provider"
    assert words.startswith(f"{issuer} is not a trusted identity provider: ")


def test_rfc9207_2_4_a_response_claiming_another_issuer_is_a_mix_up(stack: Stack) -> None:
    with httpx.Client(timeout=30) as browser:
        callback = authorize(stack, browser, stack.council, "parking-permit", "low@example.test")
        before = sessions(stack, "council")
        page = browser.get(tampered(callback, iss=stack.ta))
        assert problem(page) == (
            "issuer_mismatch",
            f"The response says it comes from {stack.ta!r}, but this login was sent to {stack.idp} "
            "(a mix-up attack, RFC 9207).",
        )
        assert sessions(stack, "council") == before
        # the genuine response was spent with the tampered one: a response is used once
        assert problem(browser.get(callback))[0] == "invalid_state"


def test_rfc6749_10_12_a_response_with_another_state_is_refused(stack: Stack) -> None:
    with httpx.Client(timeout=30) as browser:
        callback = authorize(stack, browser, stack.council, "parking-permit", "low@example.test")
        page = browser.get(tampered(callback, state="forged-state"))
        assert problem(page) == (
            "invalid_state",
            "This sign-in link is not one this service started, or it has already been used. Start again.",
        )


def test_rfc6749_10_12_a_response_opened_in_another_browser_is_refused(stack: Stack) -> None:
    """Login CSRF: an attacker's own authorization response, planted in the victim's browser."""
    with httpx.Client(timeout=30) as attacker:
        callback = authorize(stack, attacker, stack.council, "parking-permit", "low@example.test")
    with httpx.Client(timeout=30) as victim:
        page = victim.get(callback)
    assert problem(page) == (
        "invalid_state",
        "This sign-in was started in a different browser or session. Start again from the service.",
    )


def test_rfc6749_4_1_2_1_a_citizen_who_declines_consent_gets_a_polite_page_and_it_is_logged(
    stack: Stack, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="relying_party"), httpx.Client(timeout=30) as browser:
        callback = authorize(
            stack,
            browser,
            stack.gp,
            "register",
            "medium@example.test",
            totp=MEDIUM_TOTP_SECRET,
            consent="cancel",
        )
        assert dict(parse_qsl(urlsplit(callback).query))["error"] == "access_denied"
        page = browser.get(callback)
    assert problem(page) == (
        "provider_error",
        "You chose not to share your information, so the service could not sign you in.",
    )
    logged = [r.getMessage() for r in caplog.records if r.name == "relying_party.login"]
    assert any(m.startswith(f"provider {stack.idp} answered access_denied: ") for m in logged), logged


def test_ida_5_a_citizen_with_no_evidence_gets_the_why_not_page_with_a_step_up(stack: Stack) -> None:
    with httpx.Client(timeout=30) as browser:
        done = login(stack, browser, stack.council, "parking-permit", "unproven@example.test")
        assert done.headers["location"] == "/auth/why-not?service=parking-permit", done.text[:500]
        result = result_of(stack, "council", browser, "parking-permit")
        page = browser.get(f"{stack.council}/auth/why-not?service=parking-permit")
    assert not result.accepted
    assert result.claims == {}
    assert [f.code for f in result.decision.failures] == ["no_scores"]
    assert result.decision.step_up is not None and result.decision.step_up.vtr == ("P1.Cl",)
    assert page.status_code == 200
    assert text_of(page.text, "decision") == "Not accepted for this service"
    assert '<input type="hidden" name="step_up" value="yes">' in page.text


def test_rfc8485_6_1_a_step_up_not_met_yet_offers_proofing_and_going_back_is_explained_politely(
    stack: Stack,
) -> None:
    with httpx.Client(timeout=30) as browser:
        done = login(stack, browser, stack.council, "blue-badge", "low@example.test")
        assert done.headers["location"] == "/auth/why-not?service=blue-badge"
        step_up = browser.post(
            f"{stack.council}/auth/start",
            data={"service": "blue-badge", "issuer": stack.idp, "return_to": "/", "step_up": "yes"},
        )
        assert step_up.headers["location"].startswith(f"{stack.idp}/authorize?")
        offer = follow(browser, step_up, stack.council)
        if 'name="password"' in offer.text:
            signed_in = submit(browser, offer, {"username": "low@example.test", "password": DEV_PASSWORD})
            offer = follow(browser, signed_in, stack.council)
        assert offer.status_code == 200 and urlsplit(str(offer.url)).path == "/step-up", offer.text[:800]
        assert text_of(offer.text, "asked") == "your identity proved to medium confidence"
        back = submit(browser, offer, {}, button="back")
        assert back.is_redirect and back.headers["location"].startswith(stack.council)
        callback = back.headers["location"]
        assert dict(parse_qsl(urlsplit(callback).query))["error"] == "unmet_authentication_requirements"
        page = browser.get(callback)
    assert problem(page) == (
        "provider_error",
        "Your identity provider could not confirm your identity to the level this service needs.",
    )
