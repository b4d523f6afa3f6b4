"""``ukid up`` as a real process (issue 8): five services on free ports, onboarded with their trust marks
(OpenID Federation 1.0 §7: each entity configuration carries its mark, and the council lists the
identity provider as certified), the table of services and personas printed; a second start adds no
member or mark; SIGTERM and SIGINT stop every child; a damaged data directory is named with its fix
and left as it is, and ``--reset`` starts from scratch. No output ever holds a traceback.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

from federation.jose import decode_unverified
from ukid._up_services import SERVICES, Ports, entity_ids

REPO = Path(__file__).resolve().parents[2]
TOKEN = {"Authorization": "Bearer dev-admin-token"}
READY = "Press Ctrl-C to stop."
PROC = Path("/proc")

pytestmark = pytest.mark.skipif(not PROC.is_dir(), reason="finds the children of `ukid up` in /proc (Linux)")


@dataclass
class Up:
    """A running ``ukid up`` and what it printed."""

    process: subprocess.Popen[str]
    lines: list[str] = field(default_factory=list)
    ready: threading.Event = field(default_factory=threading.Event)

    def read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.append(line.rstrip("\n"))
            if READY in line:
                self.ready.set()
        self.ready.set()

    @property
    def output(self) -> str:
        return "\n".join(self.lines)

    def children(self) -> list[int]:
        path = PROC / str(self.process.pid) / "task" / str(self.process.pid) / "children"
        return [int(pid) for pid in path.read_text().split()]

    def stop(self, signum: signal.Signals) -> tuple[int, str]:
        """Send ``signum``; the exit status and the output once every child is gone."""
        children = self.children()
        assert len(children) == len(SERVICES)
        self.process.send_signal(signum)
        status = self.process.wait(30)
        for pid in children:  # each child exited and was reaped by `ukid up`
            assert not (PROC / str(pid)).exists(), f"child {pid} outlived `ukid up`"
        return status, self.output


def command(data_dir: Path, ports: Ports, *extra: str) -> list[str]:
    options = [f"--{s.key}-port={ports.of(s.key)}" for s in SERVICES]
    return [sys.executable, "-m", "ukid", "up", "--data-dir", str(data_dir), *options, *extra]


def environment() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(REPO)}


def start(data_dir: Path, ports: Ports, *extra: str) -> Up:
    process = subprocess.Popen(
        command(data_dir, ports, *extra),
        cwd=REPO,
        env=environment(),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    up = Up(process)
    threading.Thread(target=up.read, daemon=True).start()
    if not up.ready.wait(90) or process.poll() is not None:
        process.terminate()
        process.wait(30)
        pytest.fail(f"`ukid up` did not become ready:\n{up.output}")
    assert "Traceback" not in up.output
    return up


def run(data_dir: Path, ports: Ports, *extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        command(data_dir, ports, *extra),
        cwd=REPO,
        env=environment(),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def admin(registry: str, path: str) -> list[dict[str, object]]:
    response = httpx.get(f"{registry}/admin{path}", headers=TOKEN, timeout=10)
    assert response.status_code == 200, response.text
    found: list[dict[str, object]] = response.json()
    return found


def members_and_marks(
    ids: dict[str, str],
) -> tuple[list[str], list[str], list[tuple[str, str]], list[tuple[str, str]]]:
    anchor, health = ids["anchor"], ids["health"]
    return (
        sorted(str(m["entity_id"]) for m in admin(anchor, "/subordinates")),
        sorted(str(m["entity_id"]) for m in admin(health, "/subordinates")),
        sorted((str(m["sub"]), str(m["trust_mark_type"])) for m in admin(anchor, "/trust-marks")),
        sorted((str(m["sub"]), str(m["trust_mark_type"])) for m in admin(health, "/trust-marks")),
    )


def published_marks(entity_id: str) -> list[str]:
    response = httpx.get(f"{entity_id}/.well-known/openid-federation", timeout=10)
    assert response.status_code == 200
    return [m["trust_mark_type"] for m in decode_unverified(response.text)[1].get("trust_marks", [])]


@pytest.fixture(scope="module")
def place(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Ports]:
    """The data directory and ports the tests of this module share, in order."""
    return tmp_path_factory.mktemp("up") / "data", Ports.free()


def test_issue8_first_start_onboards_waits_for_the_marks_prints_the_table_and_sigterm_stops_it(
    place: tuple[Path, Ports],
) -> None:
    data_dir, ports = place
    ids = entity_ids(ports)
    anchor = ids["anchor"]
    up = start(data_dir, ports)
    try:
        assert [
            line for line in up.lines if line.startswith("  onboarded") or line.startswith("  issued")
        ] == [
            f"  onboarded {ids['idp']} below {anchor}",
            f"  issued the certified_identity_service_provider trust mark to {ids['idp']}",
            f"  onboarded {ids['council']} below {anchor}",
            f"  issued the council trust mark to {ids['council']}",
            f"  onboarded {ids['health']} below {anchor}",
            f"  onboarded {ids['gp']} below {ids['health']}",
            f"  issued the nhs_organisation trust mark to {ids['gp']}",
        ]
        for service in SERVICES:
            url = ids[service.key]
            row = next(line for line in up.lines if line.startswith(f"  {service.title}  "))
            assert row.split() == [*service.title.split(), *service.role.split(), url + service.page, url]
            assert httpx.get(f"{url}/readyz", timeout=10).status_code == 200
        for username in ("low@", "medium@", "high@", "thin-file@", "prison-leaver@", "unproven@", "voucher@"):
            assert any(line.startswith(f"  {username}example.test ") for line in up.lines), username
        high = next(line for line in up.lines if line.startswith("  high@example.test "))
        assert high.split()[:3] == ["high@example.test", "high", "(H1A)"]
        assert "password + code from `ukid idp totp-code high@example.test`" in up.output
        assert published_marks(ids["idp"]) == [
            f"{anchor}/trust-mark-types/certified_identity_service_provider"
        ]
        assert published_marks(ids["council"]) == [f"{anchor}/trust-mark-types/council"]
        assert published_marks(ids["gp"]) == [f"{anchor}/trust-mark-types/nhs_organisation"]
        choose = httpx.get(f"{ids['council']}/auth/choose", params={"service": "blue-badge"}, timeout=30)
        assert choose.status_code == 200
        assert "Sample Citizen Identity Provider" in choose.text
        assert oct(data_dir.stat().st_mode & 0o777) == "0o700"
        assert sorted(p.name for p in (data_dir / "logs").iterdir()) == sorted(
            f"{s.key}.log" for s in SERVICES
        )
    finally:
        status, output = up.stop(signal.SIGTERM)
    assert status == 0
    assert output.splitlines()[-2:] == ["Stopping the federation ...", "Stopped."]


def test_issue8_a_second_start_adds_nothing_and_sigint_stops_every_child(place: tuple[Path, Ports]) -> None:
    data_dir, ports = place
    ids = entity_ids(ports)
    up = start(data_dir, ports)
    try:
        assert [line for line in up.lines if line.startswith(("  onboarded", "  issued", "  recorded"))] == []
        anchor = ids["anchor"]
        assert members_and_marks(ids) == (
            sorted([ids["health"], ids["idp"], ids["council"]]),
            [ids["gp"]],
            sorted(
                [
                    (ids["idp"], f"{anchor}/trust-mark-types/certified_identity_service_provider"),
                    (ids["council"], f"{anchor}/trust-mark-types/council"),
                ]
            ),
            [(ids["gp"], f"{anchor}/trust-mark-types/nhs_organisation")],
        )
        assert published_marks(ids["council"]) == [f"{anchor}/trust-mark-types/council"]
    finally:
        status, _output = up.stop(signal.SIGINT)
    assert status == 0
    for service in SERVICES:  # every port is free again (no listener; closed connections may linger)
        with socket.socket() as sock:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind(("127.0.0.1", ports.of(service.key)))


def test_issue8_a_damaged_data_directory_is_named_and_left_and_reset_starts_afresh(
    place: tuple[Path, Ports],
) -> None:
    data_dir, ports = place
    key = next((data_dir / "trust-anchor" / "keys").iterdir())
    original = key.read_bytes()
    key.write_text("not a key")
    done = run(data_dir, ports)  # found by the anchor itself: named with the line it logged
    assert done.returncode == 1
    assert done.stderr == (
        f"Error: the trust anchor exited (status 1): federation keys: {key}: not a key file written by this key "
        f"store (Expecting value: line 1 column 1 (char 0)) (log: {data_dir / 'logs' / 'anchor.log'})\n"
    )
    assert "Traceback" not in done.stdout + done.stderr
    key.write_bytes(original)
    database = data_dir / "identity-provider" / "idp.db"
    database.write_bytes(b"not a database")
    done = run(data_dir, ports)
    assert done.returncode == 1
    assert done.stderr == (
        f"Error: the identity provider's database {database} is not a SQLite database: restore it, or run "
        f"`ukid up --reset` to start from scratch (deletes the federation's data in {data_dir})\n"
    )
    assert database.read_bytes() == b"not a database"
    (data_dir / "mine.txt").write_text("kept")
    up = start(data_dir, ports, "--reset")
    try:
        deleted = [line.removeprefix("  deleted ") for line in up.lines if line.startswith("  deleted ")]
        assert f"{data_dir / 'identity-provider'}" in deleted
        assert f"{data_dir / 'ukid-up.json'}" in deleted
        assert sum(line.startswith("  onboarded ") for line in up.lines) == 4
        assert (data_dir / "mine.txt").read_text() == "kept"
    finally:
        status, _output = up.stop(signal.SIGINT)
    assert status == 0
