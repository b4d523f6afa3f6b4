"""Start-up against an unreachable PostgreSQL (issue 8's bad input): each service exits 1 with one line
naming the problem and the fix, no traceback, and nothing written to its data directory."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ukid.cli import build_app

FIX = "check the database URL (--database-url) and that the database server is running and reachable"


def closed_port() -> int:
    """A port on 127.0.0.1 nothing listens on (bound, then released)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


@pytest.mark.parametrize(
    "command",
    [
        ["registry", "serve", "--dev"],
        ["idp", "serve", "--dev"],
        ["rp", "serve", "--service", "council", "--dev"],
    ],
    ids=["registry", "idp", "rp"],
)
def test_an_unreachable_postgresql_is_one_line_naming_the_fix(command: list[str], tmp_path: Path) -> None:
    url = f"postgresql+psycopg://postgres@127.0.0.1:{closed_port()}/test?connect_timeout=2"
    data = tmp_path / "data"
    args = [*command, "--data-dir", str(data), "--database-url", url, "--port", str(closed_port())]
    result = CliRunner().invoke(build_app(), args)
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    last = result.output.strip().splitlines()[-1]
    assert last.startswith("Error: cannot open the database: connection failed: ")
    assert "Connection refused" in last
    assert last.endswith(FIX)
    # no keys generated and no database made (the IdP's pairwise salt, a new file, may be)
    written = [p.name for p in data.rglob("*") if p.is_file()] if data.exists() else []
    assert set(written) <= {"pairwise.salt"}, written
