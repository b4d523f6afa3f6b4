"""The citizen's journeys across organisations in a real browser (issue 8's browser suite), against
the sample IdP through the real registry (OpenID Federation 1.0 §12.1, automatic registration; OpenID
Connect Core §3.1): each service shows what it received, the level, the provider and its decision in
plain words; one IdP session serves every organisation, each with its own consent.

1. a citizen with a driving licence applies for a parking permit, then a Blue Badge, at the council;
2. the same citizen registers at the GP practice: no new proof, a new consent for the practice;
3. a thin-file citizen registers at the GP practice through a vouch, is refused repeat prescriptions
   with a plain explanation, and is offered a step-up;
4. the first citizen opens the IdP's account page, sees both organisations and what each received, and
   withdraws the council's consent.

Journeys 1, 2 and 4 are one citizen in one browser, in that order. The federation runs as ``ukid up``
runs it (``tests/browser/conftest.py``).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pyotp
import pytest

from idp.core.personas import DEV_PASSWORD, MEDIUM_TOTP_SECRET
from tests.browser.conftest import Steps
from tests.e2e.stack import Stack

MEDIUM = "medium@example.test"


@pytest.fixture(scope="module")
def citizen(browser: Any) -> Iterator[Any]:
    """The driving-licence citizen's browser tab, kept across journeys 1, 2 and 4."""
    context = browser.new_context()
    yield context.new_page()
    context.close()


def sign_in(page: Any, stack: Stack, steps: Steps, username: str, totp: str | None = None) -> None:
    """The IdP's sign-in page (and the security code page)."""
    page.wait_for_selector("input[name=username]")
    assert page.url.startswith(stack.idp)
    steps.shot(page, "idp-sign-in")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", DEV_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state()
    if totp is not None and page.locator("input[name=code]").count():
        steps.shot(page, "idp-security-code")
        page.fill("input[name=code]", pyotp.TOTP(totp).at(time.time() + stack.offset[0]))
        page.click("button[type=submit]")
        page.wait_for_load_state()


def consent(page: Any, steps: Steps) -> None:
    """Agree on the IdP's consent page."""
    page.wait_for_selector("button[name=decision][value=agree]")
    steps.shot(page, "idp-consent")
    page.click("button[name=decision][value=agree]")
    page.wait_for_load_state()


def choose_the_idp(page: Any, stack: Stack, steps: Steps) -> None:
    """The service's "choose how to prove who you are" page: the sample IdP."""
    page.wait_for_selector("#providers")
    steps.shot(page, "choose-provider")
    assert stack.idp in page.inner_text("#providers")
    page.click("#providers button[type=submit]")
    page.wait_for_load_state()


def at_idp(page: Any, stack: Stack) -> bool:
    return bool(page.url.startswith(stack.idp))


def test_journey_1_parking_permit_then_blue_badge_at_the_council(
    citizen: Any, up: Stack, steps: Steps
) -> None:
    page, stack = citizen, up
    page.goto(f"{stack.council}/parking-permit/apply")
    choose_the_idp(page, stack, steps)
    sign_in(page, stack, steps, MEDIUM, MEDIUM_TOTP_SECRET)
    consent(page, steps)
    page.wait_for_selector("#registration")
    steps.shot(page, "council-parking-apply")
    assert page.inner_text("#address").startswith("12 St Aldate's")
    assert page.inner_text("#level") == "medium"
    assert page.inner_text("#decision").startswith("Accepted")
    page.fill("#registration", "ab12 cde")
    page.click("#submit")
    page.wait_for_selector("#confirmation")
    steps.shot(page, "council-parking-done")
    assert page.inner_text("#registration") == "AB12 CDE"
    # the Blue Badge asks for more (name, date of birth): the IdP session serves it, no new sign-in;
    # the council's consent is asked again only for what it has not had
    page.goto(f"{stack.council}/blue-badge/apply")
    choose_the_idp(page, stack, steps)
    if at_idp(page, stack):
        assert page.locator("input[name=password]").count() == 0, "the IdP asked for a new sign-in"
        consent(page, steps)
    page.wait_for_selector("#submit")
    steps.shot(page, "council-badge-apply")
    assert page.inner_text("#decision").startswith("Accepted")
    page.check("input[name=reason][value=registered-blind]")
    page.click("#submit")
    page.wait_for_selector("#confirmation")
    steps.shot(page, "council-badge-done")


def test_journey_2_the_same_citizen_registers_at_the_gp_without_a_new_proof(
    citizen: Any, up: Stack, steps: Steps
) -> None:
    page, stack = citizen, up
    page.goto(f"{stack.gp}/register/apply")
    choose_the_idp(page, stack, steps)
    assert at_idp(page, stack)
    assert page.locator("input[name=password]").count() == 0, "the IdP asked for a new sign-in"
    consent(page, steps)  # the practice is another organisation: its own consent
    page.wait_for_selector("#phone")
    steps.shot(page, "gp-register-apply")
    page.fill("#phone", "07700 900 982")
    page.click("button[type=submit]")
    page.wait_for_selector("#confirmation")
    steps.shot(page, "gp-register-done")


def test_journey_3_a_thin_file_citizen_registers_by_vouch_and_is_offered_a_step_up(
    browser: Any, up: Stack, steps: Steps
) -> None:
    stack = up
    context = browser.new_context()
    page = context.new_page()
    page.goto(f"{stack.gp}/register/apply")
    choose_the_idp(page, stack, steps)
    sign_in(page, stack, steps, "thin-file@example.test")
    consent(page, steps)
    page.wait_for_selector("#phone")
    steps.shot(page, "gp-register-apply")
    page.fill("#phone", "07700 900 983")
    page.check("#fixed-address-2")
    page.click("button[type=submit]")
    page.wait_for_selector("#confirmation")
    steps.shot(page, "gp-register-done")
    page.goto(f"{stack.gp}/prescriptions/order")
    choose_the_idp(page, stack, steps)
    if at_idp(page, stack):
        consent(page, steps)
    page.wait_for_selector("#reasons")
    steps.shot(page, "gp-why-not")
    reasons = page.locator("#reasons li").all_inner_texts()
    assert (
        "This service needs a medium level of confidence in your identity; your identity check reached a low level."
        in reasons
    )
    assert "Your identity provider did not confirm your NHS number." in reasons
    assert page.locator("#step-up button").count() == 1
    context.close()


def test_journey_4_the_citizen_sees_both_organisations_and_withdraws_the_councils_consent(
    citizen: Any, up: Stack, steps: Steps
) -> None:
    page, stack = citizen, up
    page.goto(f"{stack.idp}/account")
    page.wait_for_selector("#consents")
    steps.shot(page, "idp-account")
    received = {row.split("\t")[0]: row for row in page.locator("#releases tbody tr").all_inner_texts()}
    assert set(received) == {"Oxford City Council", "Oak Lane Medical Practice"}
    assert "NHS number" not in received["Oxford City Council"]
    council = page.locator(f"[data-consent='{stack.council}']")
    assert council.count() == 1
    assert "address" in council.inner_text().lower()
    council.locator("button[type=submit]").click()
    page.wait_for_selector("#withdrawn")
    steps.shot(page, "idp-consent-withdrawn")
    assert page.locator(f"[data-consent='{stack.council}']").count() == 0
    assert page.locator(f"[data-consent='{stack.gp}']").count() == 1
