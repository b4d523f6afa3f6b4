"""The README's "add it to your own FastAPI app" example, run as written: a council's own service
joins the federation (OpenID Federation 1.0 §12.1, automatic registration) and logs a citizen in
through the real registry and IdP."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import httpx
import pytest
from fastapi import FastAPI

from federation.jose import decode_unverified
from tests.e2e.journeys import authorize
from tests.e2e.servers import base_url, reserve, running
from tests.e2e.stack import Stack, admin

MARK = {"council": {"gss_code": "E09000099", "name": "Anytown Borough Council"}}
README = Path(__file__).resolve().parents[2] / "README.md"


def example() -> ModuleType:
    """The Python block after the README's ``<!-- own-app example -->`` marker, as a module."""
    found = re.search(r"<!-- own-app example -->\n```python\n(.*?)```", README.read_text(), re.S)
    assert found, "the README has lost its own-app example"
    module = ModuleType("own_app_example")
    exec(compile(found.group(1), "README.md (own-app example)", "exec"), module.__dict__)
    return module


@pytest.fixture
def own_app(stack: Stack, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """The example app on a real port, configured by the environment and onboarded at the anchor."""
    sock = reserve()
    url = base_url(sock)
    for name, value in {
        "UKID_RP_ENVIRONMENT": "dev",
        "UKID_RP_ENTITY_ID": url,
        "UKID_RP_ORGANIZATION_NAME": "Anytown Borough Council",
        "UKID_RP_DATA_DIR": str(tmp_path),
        "UKID_RP_GENERATE_KEYS": "true",
        "UKID_RP_AUTHORITY_HINTS": f'["{stack.ta}"]',
        "UKID_RP_TRUST_ANCHORS": f'[{{"entity_id": "{stack.ta}"}}]',
    }.items():
        monkeypatch.setenv(name, value)
    app: FastAPI = example().create_app()
    with running(app, sock, health_path="/.well-known/openid-federation"):
        admin("POST", f"{stack.ta}/admin/subordinates", {"entity_id": url})
        admin(
            "POST",
            f"{stack.ta}/admin/trust-marks",
            {"trust_mark_type": "council", "sub": url, "claims": MARK},
        )
        wait_for_trust_mark(url)
        yield url


def wait_for_trust_mark(url: str) -> None:
    """Until the app publishes its council trust mark (held marks are fetched again within seconds
    while a wanted one is missing), which the IdP requires of relying parties."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        claims = decode_unverified(httpx.get(f"{url}/.well-known/openid-federation", timeout=10).text)[1]
        if claims.get("trust_marks"):
            return
        time.sleep(0.5)
    raise AssertionError(f"{url} did not publish its trust mark within 30 s")


def test_12_1_the_readme_example_logs_a_citizen_in_through_the_federation(stack: Stack, own_app: str) -> None:
    with httpx.Client(timeout=30) as browser:
        first = browser.get(f"{own_app}/garden-waste")
        assert first.status_code == 303
        assert first.headers["location"] == "/auth/choose?service=garden-waste&return_to=/garden-waste"
        choose = browser.get(f"{own_app}{first.headers['location']}")
        assert "Continue with Sample Citizen Identity Provider" in choose.text
        assert "form-action 'self' " + stack.idp in choose.headers["content-security-policy"]
        callback = authorize(
            stack, browser, own_app, "garden-waste", "low@example.test", return_to="/garden-waste"
        )
        done = browser.get(callback)
        assert done.status_code == 303 and done.headers["location"] == "/garden-waste", done.text[:500]
        page = browser.get(f"{own_app}/garden-waste")
    assert page.status_code == 200
    assert page.text == "<p id='collection'>We will collect from CF10 1EP.</p>"


def test_plain_pages_show_a_failed_login_politely(own_app: str) -> None:
    page = httpx.get(f"{own_app}/auth/callback", params={"state": "forged", "code": "x"}, timeout=30)
    assert page.status_code == 400
    assert (
        '<p id="problem" data-code="invalid_state">This sign-in link is not one this service started'
        in page.text
    )
    assert page.headers["content-security-policy"].startswith("default-src 'self'")


def test_rfc8485_6_1_plain_pages_explain_a_refusal_with_a_step_up(stack: Stack, own_app: str) -> None:
    with httpx.Client(timeout=30) as browser:
        callback = authorize(
            stack, browser, own_app, "garden-waste", "unproven@example.test", return_to="/garden-waste"
        )
        done = browser.get(callback)
        assert done.headers["location"] == "/auth/why-not?service=garden-waste"
        page = browser.get(f"{own_app}/auth/why-not?service=garden-waste")
    assert page.status_code == 200
    assert "<h1>We could not accept your proof of identity</h1>" in page.text
    assert '<ul id="reasons">' in page.text
    assert '<input type="hidden" name="step_up" value="yes">' in page.text
    assert f'<input type="hidden" name="issuer" value="{stack.idp}">' in page.text
    assert f"form-action 'self' {stack.idp};" in page.headers["content-security-policy"]
