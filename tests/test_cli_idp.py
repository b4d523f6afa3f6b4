"""``ukid idp serve | migrate | rotate-keys``: settings errors name the option, a port in use and a
database that is not migrated are one line each, migrations apply and check, keys rotate with overlap.
``serve --dev`` runs as a real process and answers discovery."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
from typer.testing import CliRunner

from federation.keys import KeyStore
from idp.core import totp
from idp.core.personas import HIGH_TOTP_SECRET
from ukid.cli import build_app

REPO = Path(__file__).resolve().parents[1]


def _invoke(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(build_app(), list(args), env={"UKID_IDP_ENVIRONMENT": None})
    assert "Traceback" not in result.output
    return result.exit_code, result.output


def test_migrate_applies_then_check_passes(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'idp.db'}"
    code, output = _invoke("idp", "migrate", "--database-url", url, "--check")
    assert code == 1
    assert "is not migrated: run `ukid idp migrate` first" in output
    code, output = _invoke("idp", "migrate", "--database-url", url)
    assert (code, output) == (0, f"{url}: migrated to schema revision 0002\n")
    code, output = _invoke("idp", "migrate", "--database-url", url, "--check")
    assert (code, output) == (0, f"{url}: at schema revision 0002, the newest\n")


def test_serve_refuses_plain_http_issuer_outside_dev(tmp_path: Path) -> None:
    code, output = _invoke("idp", "serve", "--issuer", "http://idp.example", "--data-dir", str(tmp_path))
    assert code == 2
    assert "the issuer and entity IDs must be https URLs outside `dev`" in output


def test_serve_reports_a_port_in_use(tmp_path: Path) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        code, output = _invoke("idp", "serve", "--dev", "--port", str(port), "--data-dir", str(tmp_path))
    assert code == 1
    assert output.strip().endswith(f"Error: port {port} on 127.0.0.1 is already in use")


def test_serve_refuses_an_unmigrated_database_outside_dev(tmp_path: Path) -> None:
    keys = tmp_path / "keys"
    KeyStore.open(keys / "federation")
    KeyStore.open(keys / "ES256")
    url = f"sqlite:///{tmp_path / 'idp.db'}"
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = str(probe.getsockname()[1])
    result = CliRunner().invoke(
        build_app(),
        ["idp", "serve", "--issuer", "https://idp.example", "--database-url", url, "--port", port],
        env={
            "UKID_IDP_KEYS_DIR": str(keys),
            "UKID_IDP_ID_TOKEN_ALGORITHMS": '["ES256"]',
            "UKID_IDP_PAIRWISE_SALT": "x" * 40,
        },
    )
    assert result.exit_code == 1, result.output
    assert result.output.strip().endswith(
        f"Error: the database {url} is not migrated: run `ukid idp migrate` first"
    )


def test_rotate_keys_keeps_the_previous_key_published(tmp_path: Path) -> None:
    first = KeyStore.open(tmp_path / "ES256").signing_key().kid
    code, output = _invoke("idp", "rotate-keys", str(tmp_path), "--overlap-days", "1")
    assert code == 0, output
    rotated = KeyStore(tmp_path / "ES256")
    assert rotated.signing_key().kid != first
    assert first in {k["kid"] for k in rotated.public_jwks()["keys"]}
    assert "restart the identity provider" in output


def test_rfc6238_totp_code_of_a_persona_is_the_current_code() -> None:
    code, output = _invoke("idp", "totp-code", "high@example.test")
    assert code == 0, output
    now = time.time()
    expected = {totp.code_at(HIGH_TOTP_SECRET, int(now) + delta) for delta in (-30, 0)}
    assert output.strip() in expected


def test_totp_code_refuses_what_is_neither_a_persona_nor_a_secret() -> None:
    code, output = _invoke("idp", "totp-code", "nobody@example.test")
    assert code == 1
    assert "'nobody@example.test' is neither a persona with two-step sign-in" in output


def test_serve_dev_runs_and_answers_discovery(tmp_path: Path) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {k: v for k, v in os.environ.items() if not k.upper().startswith("UKID_IDP")}
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "ukid",
            "idp",
            "serve",
            "--dev",
            "--port",
            str(port),
            "--data-dir",
            str(tmp_path),
        ],
        cwd=REPO,
        env={**env, "PYTHONPATH": str(REPO)},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            assert process.poll() is None, process.stdout.read() if process.stdout else ""
            try:
                response = httpx.get(f"http://127.0.0.1:{port}/.well-known/openid-configuration", timeout=1)
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline, "the provider did not start"
                time.sleep(0.1)
        assert response.json()["issuer"] == f"http://127.0.0.1:{port}"
    finally:
        process.send_signal(signal.SIGINT)
        output, _ = process.communicate(timeout=15)
    assert "Traceback" not in output
    assert f"ukid identity provider: http://127.0.0.1:{port} (environment dev)" in output
