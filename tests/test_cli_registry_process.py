"""``ukid registry`` as real processes (OpenID Federation 1.0 §3.1, §7, §8.4): ``ukid registry serve
--dev`` on a free loopback port, a prospective member served by the loopback server, and the admin
commands run as ``python -m ukid``; then the errors ``serve`` prints for a port in use and an
unmigrated database. No output ever holds a traceback.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from federation.jose import decode_unverified
from tests.federation.fedkit import TestFederation
from tests.federation.http_server import serve
from tests.test_cli_registry import CLAIMS, LONG_TOKEN, free_port, iso
from tests.trust_registry.regkit import ANCHOR, council_metadata

REPO = Path(__file__).resolve().parents[1]


def _environment() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.upper().startswith("UKID_REGISTRY")}
    return {**env, "PYTHONPATH": str(REPO)}


def ukid(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        [sys.executable, "-m", "ukid", *args],
        check=False,
        cwd=REPO,
        env={**_environment(), **(env or {})},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert "Traceback" not in done.stdout + done.stderr, done.stderr
    return done


def _wait_until_healthy(url: str, process: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        assert process.poll() is None, "the registry exited during start-up"
        try:
            if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    pytest.fail(f"the registry at {url} did not become healthy")


@pytest.fixture
def dev_registry(tmp_path: Path) -> Iterator[str]:
    """``ukid registry serve --dev`` on a free loopback port; its output is checked when it stops."""
    port = free_port()
    out, err = (tmp_path / "serve.out").open("w"), (tmp_path / "serve.err").open("w")
    process = subprocess.Popen(
        [sys.executable, "-m", "ukid", "registry", "serve", "--dev", "--port", str(port),
         "--data-dir", str(tmp_path / "registry")],
        cwd=REPO, env=_environment(), stdout=out, stderr=err, text=True,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_healthy(url, process)
        yield url
    finally:
        process.terminate()
        code = process.wait(timeout=15)
        out.close()
        err.close()
    banner = (tmp_path / "serve.out").read_text().splitlines()
    assert banner[:6] == [
        f"ukid trust registry: trust anchor {url} (environment dev)",
        f"  listening on {url} (routes under /)",
        f"  database:    sqlite:///{tmp_path / 'registry' / 'registry.db'}",
        f"  keys:        {tmp_path / 'registry' / 'keys'}",
        "  admin token names: admin",
        "  the development admin token is dev-admin-token (development only)",
    ]
    log = (tmp_path / "serve.err").read_text()
    assert "Traceback" not in log
    # uvicorn shuts down gracefully, then exits by the signal it was sent
    assert (code, [json.loads(line)["message"] for line in log.splitlines()[-2:]]) == (
        -signal.SIGTERM,
        ["Application shutdown complete.", f"Finished server process [{process.pid}]"],
    )


def test_end_to_end_dev_registry_onboards_issues_revokes_and_audits(
    dev_registry: str, tmp_path: Path
) -> None:
    registry = dev_registry
    env = {"UKID_REGISTRY_URL": registry, "UKID_REGISTRY_ADMIN_TOKEN": "dev-admin-token"}
    (tmp_path / "claims.json").write_text(json.dumps(CLAIMS))
    with serve({}) as server:
        fed = TestFederation()
        council = f"{server.base_url}/council"
        fed.add(council, metadata=council_metadata(council)).authority_hints = [registry]
        server.fallback = fed.loopback_handler(server.base_url)
        added = ukid("registry", "add-subordinate", council, env=env)
        assert added.returncode == 0, added.stderr
        assert added.stdout.splitlines()[:5] == [
            f"added subordinate {council}",
            "  organisation:      Example Borough Council",
            "  entity types:      federation_entity, openid_relying_party",
            f"  federation kids:   {fed.entities[council].keys.public_jwks()['keys'][0]['kid']}",
            "  status:            active",
        ]
    council_type = f"{registry}/trust-mark-types/council"
    issued = ukid(
        "registry", "issue-trust-mark", "--type", "council", "--sub", council,
        "--claims", str(tmp_path / "claims.json"), env=env,
    )  # fmt: skip
    assert issued.returncode == 0, issued.stderr
    lines = issued.stdout.splitlines()
    assert lines[:3] == ["issued trust mark 1", f"  type:    {council_type}", f"  sub:     {council}"]
    mark = lines[-1]
    assert decode_unverified(mark)[1]["council"] == CLAIMS["council"]
    fetched = httpx.get(f"{registry}/fetch", params={"sub": council})
    assert (fetched.status_code, fetched.headers["content-type"]) == (200, "application/entity-statement+jwt")
    assert decode_unverified(fetched.text)[1]["sub"] == council
    assert httpx.get(f"{registry}/list").json() == [council]
    marked = httpx.get(f"{registry}/trust-mark-list", params={"trust_mark_type": council_type})
    assert marked.json() == [council]

    revoked = ukid("registry", "revoke-trust-mark", "1", "--reason", "test", env=env)
    assert revoked.stdout.splitlines()[0] == "revoked trust mark 1", revoked.stderr
    status = httpx.post(f"{registry}/trust-mark-status", data={"trust_mark": mark})
    assert decode_unverified(status.text)[1]["status"] == "revoked"
    assert httpx.get(f"{registry}/trust-mark-list", params={"trust_mark_type": council_type}).json() == []

    audit = ukid("registry", "audit", env=env)
    rows = [re.split(r"\s{2,}", line) for line in audit.stdout.splitlines()]
    assert [row[:1] + row[2:5] for row in rows] == [
        ["ID", "ACTOR", "ACTION", "TARGET"],
        ["1", "admin", "add_subordinate", council],
        ["2", "admin", "issue_trust_mark", council],
        ["3", "admin", "revoke_trust_mark", council],
    ]
    stored = httpx.get(f"{registry}/admin/trust-marks", headers={"Authorization": "Bearer dev-admin-token"})
    revoked_at = stored.json()[0]["revoked_at"]
    assert rows[1][5:] == ["created"]
    assert rows[3][5:] == [f"revocation_reason: null -> test, revoked_at: null -> {revoked_at}"]
    assert rows[3][1] == iso(revoked_at)

    port = registry.rsplit(":", 1)[1]
    in_use = ukid("registry", "serve", "--dev", "--port", port, "--data-dir", str(tmp_path / "other"))
    assert (in_use.returncode, in_use.stdout, in_use.stderr) == (
        1, "", f"Error: port {port} on 127.0.0.1 is already in use\n"
    )  # fmt: skip
    production = {
        "UKID_REGISTRY_ENTITY_ID": ANCHOR,
        "UKID_REGISTRY_ADMIN_TOKENS": json.dumps({"ops": LONG_TOKEN}),
    }
    unmigrated = ukid(
        "registry", "serve", "--port", str(free_port()), "--data-dir", str(tmp_path / "p"), env=production
    )
    url = f"sqlite:///{tmp_path / 'p' / 'registry.db'}"
    assert (unmigrated.returncode, unmigrated.stderr) == (
        1, f"Error: the database {url} is not migrated: run `ukid registry migrate` first\n"
    )  # fmt: skip
