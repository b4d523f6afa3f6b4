"""The identity provider benchmark (``bench/idp.py``) still runs: a tiny run drives complete logins
(OpenID Connect Core §3.1: authorize, sign in, consent, token with PKCE, ID token checked, userinfo)
and rotating refresh chains (RFC 6749 §6) against a real uvicorn worker, and prints every figure,
so that the bench does not rot."""

from __future__ import annotations

import os
import re

import pytest

from bench import idp, idp_signin
from bench._idp_flow import page_forms, step_label
from bench._idp_server import cpu_seconds

FIGURES = r"([\d,]+)/s\s+p50\s+([\d.]+) ms\s+p95\s+([\d.]+) ms\s+CPU\s+([\d.]+) (ms/flow|µs/req)"


def _figures(output: str, operation: str) -> tuple[float, float, float, float]:
    match = re.search(rf"^  sqlite\s+{re.escape(operation)}\s+{FIGURES}", output, re.MULTILINE)
    assert match is not None, f"no figures for {operation!r} in:\n{output}"
    rate, p50, p95, cpu = (float(match.group(i).replace(",", "")) for i in range(1, 5))
    return rate, p50, p95, cpu


def test_core_section_3_1_logins_refresh_and_discovery_are_measured_with_server_cpu(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert idp.main(["--tiny", "--no-node"]) == 0
    output = capsys.readouterr().out

    rate, p50, p95, cpu = _figures(output, "complete login (7 requests)")
    assert rate > 0 and 0 < p50 <= p95 and cpu > 0
    for step in ("GET /authorize", "POST /login", "POST /consent", "POST /token", "GET /userinfo"):
        assert re.search(rf"^  sqlite\s+{re.escape(step)}\s+p50 .* ms/flow", output, re.MULTILINE), step
    for operation in (
        "refresh grant, client_secret_basic",
        "refresh grant, private_key_jwt",
        "discovery",
        "JWKS",
    ):
        rate, p50, p95, _cpu = _figures(output, operation)
        assert rate > 0 and 0 < p50 <= p95, operation
    assert re.search(r"server CPU per complete login [\d.]+ ms <= 3 ms: (met|NOT met)", output)
    assert re.search(r"refresh grant, client_secret_basic [\d,]+/s >= 2,000/s: (met|NOT met)", output)
    assert re.search(r"standard m=65536,t=3,p=4\s+median\s+[\d.]+ ms wall", output)
    assert "fast     m=64,t=1,p=1" in output


def test_the_flow_driver_reads_the_hidden_fields_and_the_approving_button() -> None:
    page = """<form method="post" action="/consent" novalidate>
      <input type="hidden" name="interaction" value="abc&amp;1">
      <input type="hidden" name="csrf_token" value='tok'>
      <button type="submit" name="decision" value="agree">Yes</button>
      <button type="submit" name="decision" value="cancel">No</button></form>"""
    (form,) = page_forms(page)
    assert (form.action, form.method) == ("/consent", "post")
    assert form.fields == {"interaction": "abc&1", "csrf_token": "tok"}
    assert form.buttons == [("decision", "agree"), ("decision", "cancel")]
    assert step_label("GET", "/interaction/Zx8kq2LmN0pQrS7tUv?x=1") == "GET /interaction/:id"
    assert cpu_seconds(os.getpid()) > 0


def test_rfc9106_standard_cost_sign_ins_per_second_are_measured(capsys: pytest.CaptureFixture[str]) -> None:
    assert idp_signin.main(["--tiny"]) == 0
    output = capsys.readouterr().out
    assert re.search(r"one argon2id standard verification \(m=65536, t=3, p=4\): [\d.]+ ms wall", output)
    match = re.search(
        r"sign-ins with argon2id standard\s+([\d.]+)/s\s+p50\s+([\d.]+) ms\s+p95\s+([\d.]+) ms\s+"
        r"server CPU\s+([\d.]+) ms/sign-in",
        output,
    )
    assert match is not None, output
    rate, p50, p95, cpu = (float(match.group(i)) for i in range(1, 5))
    # the real cost is tens of milliseconds of CPU per sign-in: the fast setting was not used
    assert rate > 0 and 0 < p50 <= p95 and cpu > 20
