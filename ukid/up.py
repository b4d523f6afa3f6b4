"""``ukid up``: the whole federation on one command, on embedded defaults.

Starts the trust anchor, the health intermediate, the sample identity provider, the council and the
GP practice (each its own process, :class:`ukid._up_stack.Federation`) on fixed localhost ports,
with SQLite files and development keys under the data directory; onboards every member and issues
its trust marks on first start (later starts add only what is missing); waits until every service is
healthy and publishes its marks; prints the services and the test personas; runs until Ctrl-C or
SIGTERM, which stop every service. Problems (a port in use, a damaged data directory) are one line
naming the fix; exit status 1.

The same federation from Python (benchmarks, browser tests): ``with Federation(data_dir, Ports(...),
env={...}) as federation: federation.url("council")``; see :mod:`ukid._up_stack`.
"""

from __future__ import annotations

import signal
import time
from pathlib import Path
from types import FrameType
from typing import Annotated

import typer

from ukid._up_data import UpError
from ukid._up_services import SERVICES, Ports
from ukid._up_stack import Federation

__all__ = ["Federation", "Ports", "UpError", "persona_rows", "service_rows", "table", "up"]

#: What each development persona proves, for the table (``idp.core.personas`` holds the evidence).
_EVIDENCE = {
    "high@example.test": ("high (H1A)", "passport chip and face match; NHS number"),
    "medium@example.test": ("medium (M1B)", "driving licence and credit file"),
    "low@example.test": ("low (L1A)", "bank record, knowledge-based questions"),
    "thin-file@example.test": ("low (L1A)", "vouched for by a hostel key worker"),
    "prison-leaver@example.test": ("low (L1A)", "vouched for by a prison resettlement officer"),
    "unproven@example.test": ("none (P0)", "no evidence"),
}


class _Stopped(Exception):
    """SIGINT or SIGTERM arrived."""


def table(rows: list[tuple[str, ...]]) -> list[str]:
    """``rows`` (the first is the heading) as aligned columns."""
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return [
        "  " + "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip() for row in rows
    ]


def service_rows(federation: Federation) -> list[tuple[str, ...]]:
    """Each service's name, role, page URL and entity ID."""
    rows: list[tuple[str, ...]] = [("SERVICE", "ROLE", "URL", "ENTITY ID")]
    for service in SERVICES:
        entity_id = federation.url(service.key)
        rows.append((service.title, service.role, entity_id + service.page, entity_id))
    return rows


def persona_rows(idp: str) -> list[tuple[str, ...]]:
    """The development personas: username, level of confidence, evidence and how to sign in."""
    from idp.core.personas import PERSONAS, VOUCHER  # noqa: PLC0415

    rows: list[tuple[str, ...]] = [("USERNAME", "LEVEL (GPG 45)", "EVIDENCE", "SIGN IN WITH")]
    for persona in PERSONAS:
        level, evidence = _EVIDENCE.get(persona.username, (persona.expected_level or "none", ""))
        how = "password"
        if persona.totp_secret is not None:
            how = f"password + code from `ukid idp totp-code {persona.username}`"
        rows.append((persona.username, level, evidence, how))
    rows.append(
        (
            VOUCHER.username,
            "",
            f"a voucher: {VOUCHER.name}, {VOUCHER.occupation}",
            f"password at {idp}/voucher/signin",
        )
    )
    return rows


def _report(federation: Federation, data_dir: Path) -> None:
    from idp.core.personas import DEV_PASSWORD  # noqa: PLC0415

    healthy, ready = federation.healthy_after or 0.0, federation.ready_after or 0.0
    typer.echo("")
    typer.echo(f"The federation is up: healthy in {healthy:.1f} s, trust marks published in {ready:.1f} s.")
    typer.echo("")
    for line in table(service_rows(federation)):
        typer.echo(line)
    typer.echo("")
    typer.echo(
        f"Test personas at the identity provider (password for each: {DEV_PASSWORD}); start at the council "
        f"({federation.url('council')}) or the GP practice ({federation.url('gp')}):"
    )
    for line in table(persona_rows(federation.url("idp"))):
        typer.echo(line)
    typer.echo("")
    for line in check_commands(federation, data_dir):
        typer.echo(line)
    typer.echo("")
    typer.echo(f"Data in {data_dir}; logs in {federation.data.logs}/<service>.log. Press Ctrl-C to stop.")


def check_commands(federation: Federation, data_dir: Path) -> list[str]:
    """How to run ``ukid check`` against these services (README "Test your council's login")."""
    from idp.core.personas import DEV_PASSWORD, LOW  # noqa: PLC0415
    from ukid._up_check_client import CHECK_CLIENT_ID, CHECK_DIRECTORY, CHECK_REDIRECT_URI, KEY_FILE  # noqa: PLC0415

    anchor, idp, council = federation.url("anchor"), federation.url("idp"), federation.url("council")
    key = data_dir / CHECK_DIRECTORY / KEY_FILE
    return [
        "Conformance checks against these services (the IdP runs in conformance mode):",
        f"  ukid check entity {council} --trust-anchor {anchor} --dev",
        f"  ukid check idp {idp} --trust-anchor {anchor} --dev --client-id {CHECK_CLIENT_ID} "
        f"--client-key {key} --redirect-uri {CHECK_REDIRECT_URI} "
        f"--username {LOW.username} --password {DEV_PASSWORD}",
        f"  ukid check rp {council}/parking-permit/apply --idp {idp}",
    ]


def _stop_on(signum: int, _frame: FrameType | None) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # one stop at a time: a second Ctrl-C waits for it
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    raise _Stopped(signum)


def up(
    *,
    data_dir: Annotated[
        Path,
        typer.Option("--data-dir", help="Directory of the services' databases, keys and logs."),
    ] = Path(".ukid"),
    reset: Annotated[
        bool,
        typer.Option("--reset", help="Delete what an earlier `ukid up` left in the data directory first."),
    ] = False,
    anchor_port: Annotated[int, typer.Option("--anchor-port", min=1, max=65535, help="Trust anchor.")] = 8000,
    health_port: Annotated[
        int, typer.Option("--health-port", min=1, max=65535, help="Health intermediate.")
    ] = 8100,
    idp_port: Annotated[int, typer.Option("--idp-port", min=1, max=65535, help="Identity provider.")] = 8300,
    council_port: Annotated[
        int, typer.Option("--council-port", min=1, max=65535, help="Council service.")
    ] = 8400,
    gp_port: Annotated[int, typer.Option("--gp-port", min=1, max=65535, help="GP practice service.")] = 8500,
    timeout: Annotated[
        float, typer.Option("--timeout", min=1, help="Seconds to wait for the federation to be ready.")
    ] = 60.0,
) -> None:
    """Run the whole federation locally (development only): trust anchor, health intermediate,
    identity provider, council and GP practice, onboarded and holding their trust marks."""
    ports = Ports(anchor=anchor_port, health=health_port, idp=idp_port, council=council_port, gp=gp_port)
    federation = Federation(
        data_dir, ports, reset=reset, timeout=timeout, say=lambda line: typer.echo(f"  {line}")
    )
    previous = {s: signal.signal(s, _stop_on) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        typer.echo(f"Starting the federation in {data_dir} (logs in {federation.data.logs}) ...")
        federation.start()
        _report(federation, data_dir)
        while True:
            time.sleep(0.5)
            exited = federation.exited()
            if exited is not None:
                typer.echo(f"Error: {exited.failure()}", err=True)
                typer.echo("Stopping the other services ...", err=True)
                federation.stop()
                raise typer.Exit(1)
    except UpError as exc:
        typer.echo(f"Error: {exc}", err=True)
        raise typer.Exit(1) from None
    except _Stopped:
        typer.echo("Stopping the federation ...")
        federation.stop()
        typer.echo("Stopped.")
    finally:
        federation.stop()
        for signum, handler in previous.items():
            signal.signal(signum, handler)
