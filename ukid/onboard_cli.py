"""``ukid onboard``: onboard the sample federation of ``ukid up`` when it runs elsewhere, such as the
``onboard`` service of ``docker-compose.yml``.

Waits until the five services answer ``/readyz``, then does what ``ukid up`` does
(:class:`ukid._up_onboard.Onboarding`, idempotent): the trust anchor and the health intermediate take
their members (subordinate statements, OpenID Federation 1.0 §3.1) and issue their trust marks (§7),
through the registries' admin API with the given admin token; then waits until every member publishes
its mark in its entity configuration and the anchor's resolve endpoint (§8.3) shows the provider's
certification. Exit 0 when done; 1 with one line when a service does not answer, a registry refuses
or the marks are not published in time; 2 for bad options.
"""

from __future__ import annotations

import time
from typing import Annotated

import httpx
import typer

from federation.service.settings import check_entity_id
from ukid._service_cli import fail
from ukid._up_data import UpError
from ukid._up_onboard import Onboarding
from ukid._up_services import SERVICES, Ports, entity_ids

__all__ = ["onboard"]

_DEFAULTS = entity_ids(Ports())
_TITLES = {s.key: s.title for s in SERVICES}


def _wait_ready(ids: dict[str, str], client: httpx.Client, deadline: float) -> None:
    """Poll each service's ``/readyz`` until all answer 200; :class:`UpError` at ``deadline``."""
    waiting = dict(ids)
    last: dict[str, str] = {}
    while True:
        for key, entity_id in list(waiting.items()):
            try:
                response = client.get(f"{entity_id}/readyz", timeout=5.0)
            except httpx.HTTPError as exc:
                last[key] = str(exc) or type(exc).__name__
                continue
            if response.status_code == 200:
                del waiting[key]
            else:
                last[key] = f"status {response.status_code}"
        if not waiting:
            return
        if time.monotonic() >= deadline:
            names = "; ".join(
                f"the {_TITLES[k]} at {v} ({last.get(k, 'no answer')})" for k, v in waiting.items()
            )
            raise UpError(f"not ready in time: {names}")
        time.sleep(0.5)


def _entity(option: str, value: str) -> str:
    try:
        return check_entity_id(value, option)
    except ValueError as exc:
        raise fail(str(exc), 2) from None


def onboard(
    *,
    token: Annotated[
        str,
        typer.Option(
            "--token",
            envvar="UKID_REGISTRY_ADMIN_TOKEN",
            help="Admin bearer token of both registries. Prefer the variable: a command line is visible to "
            "other users.",
            show_default=False,
        ),
    ],
    anchor: Annotated[
        str, typer.Option("--anchor", envvar="UKID_ONBOARD_ANCHOR", help="Entity ID of the trust anchor.")
    ] = _DEFAULTS["anchor"],
    health: Annotated[
        str,
        typer.Option("--health", envvar="UKID_ONBOARD_HEALTH", help="Entity ID of the health intermediate."),
    ] = _DEFAULTS["health"],
    idp: Annotated[
        str, typer.Option("--idp", envvar="UKID_ONBOARD_IDP", help="Entity ID of the identity provider.")
    ] = _DEFAULTS["idp"],
    council: Annotated[
        str,
        typer.Option("--council", envvar="UKID_ONBOARD_COUNCIL", help="Entity ID of the council service."),
    ] = _DEFAULTS["council"],
    gp: Annotated[
        str, typer.Option("--gp", envvar="UKID_ONBOARD_GP", help="Entity ID of the GP practice service.")
    ] = _DEFAULTS["gp"],
    timeout: Annotated[
        float,
        typer.Option(
            "--timeout", min=1, help="Seconds to wait for the services, then for their trust marks."
        ),
    ] = 120.0,
) -> None:
    """Onboard the sample federation running elsewhere (e.g. docker compose) as `ukid up` does: members
    below their superiors, trust marks issued, and wait until every member publishes its mark."""
    if not token.strip():
        raise fail("--token (UKID_REGISTRY_ADMIN_TOKEN) is empty", 2)
    ids = {
        "anchor": _entity("--anchor", anchor),
        "health": _entity("--health", health),
        "idp": _entity("--idp", idp),
        "council": _entity("--council", council),
        "gp": _entity("--gp", gp),
    }
    began = time.monotonic()
    try:
        with httpx.Client(timeout=30.0) as client:
            typer.echo(f"Waiting for the federation at {ids['anchor']} ...")
            _wait_ready(ids, client, began + timeout)
            onboarding = Onboarding(ids, client, say=lambda line: typer.echo(f"  {line}"), token=token)
            onboarding.run()
            onboarding.wait_for_marks(time.monotonic() + timeout)
    except UpError as exc:
        raise fail(str(exc)) from None
    typer.echo(
        f"The federation is onboarded: every trust mark published after {time.monotonic() - began:.1f} s."
    )
