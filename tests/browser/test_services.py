"""Both relying-party services in a real browser against the sample IdP through the real registry
(OpenID Federation 1.0 §12.1, automatic registration; OpenID Connect Core §3.1): the citizen chooses
the provider, signs in, consents, and the service shows what it received, the level, the provider
and its decision in plain words."""

from __future__ import annotations

import time
from typing import Any

import pyotp

from idp.core.personas import DEV_PASSWORD, MEDIUM_TOTP_SECRET
from tests.browser.conftest import Steps
from tests.e2e.stack import Stack


def sign_in_at_idp(page: Any, stack: Stack, steps: Steps, username: str, totp: str | None = None) -> None:
    """The IdP's sign-in (and security code) pages, then its consent page, agreeing."""
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
    if page.locator("button[name=decision][value=agree]").count():
        steps.shot(page, "idp-consent")
        page.click("button[name=decision][value=agree]")
        page.wait_for_load_state()


def choose_the_idp(page: Any, stack: Stack, steps: Steps) -> None:
    page.wait_for_selector("#providers")
    steps.shot(page, "choose-provider")
    assert stack.idp in page.inner_text("#providers")
    page.click("#providers button[type=submit]")
    page.wait_for_load_state()


def test_12_1_council_parking_permit_and_blue_badge_in_a_browser(
    browser: Any, stack: Stack, steps: Steps
) -> None:
    context = browser.new_context()
    page = context.new_page()
    page.goto(f"{stack.council}/parking-permit/apply")
    choose_the_idp(page, stack, steps)
    sign_in_at_idp(page, stack, steps, "medium@example.test", MEDIUM_TOTP_SECRET)
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
    # the Blue Badge needs more (name and date of birth): the same IdP session, no new sign-in
    page.goto(f"{stack.council}/blue-badge/apply")
    choose_the_idp(page, stack, steps)
    if page.url.startswith(stack.idp):
        assert page.locator("input[name=password]").count() == 0, "the IdP asked for a new sign-in"
        sign_in_at_idp_consent_only(page, steps)
    page.wait_for_selector("#submit")
    steps.shot(page, "council-badge-apply")
    assert page.inner_text("#decision").startswith("Accepted")
    page.check("input[name=reason][value=registered-blind]")
    page.click("#submit")
    page.wait_for_selector("#confirmation")
    steps.shot(page, "council-badge-done")
    context.close()


def sign_in_at_idp_consent_only(page: Any, steps: Steps) -> None:
    page.wait_for_selector("button[name=decision][value=agree]")
    steps.shot(page, "idp-consent")
    page.click("button[name=decision][value=agree]")
    page.wait_for_load_state()


def test_12_1_gp_registers_a_vouched_citizen_and_explains_the_prescription_refusal_in_a_browser(
    browser: Any, stack: Stack, steps: Steps
) -> None:
    context = browser.new_context()
    page = context.new_page()
    page.goto(f"{stack.gp}/register/apply")
    choose_the_idp(page, stack, steps)
    sign_in_at_idp(page, stack, steps, "thin-file@example.test")
    page.wait_for_selector("#phone")
    steps.shot(page, "gp-register-apply")
    page.fill("#phone", "07700 900 982")
    page.check("#fixed-address-2")
    page.click("button[type=submit]")
    page.wait_for_selector("#confirmation")
    steps.shot(page, "gp-register-done")
    page.goto(f"{stack.gp}/prescriptions/order")
    choose_the_idp(page, stack, steps)
    if page.url.startswith(stack.idp):
        sign_in_at_idp_consent_only(page, steps)
    page.wait_for_selector("#reasons")
    steps.shot(page, "gp-why-not")
    assert page.locator("#step-up").count() == 1
    context.close()
