"""``ukid check``: conformance checks with a terminal report and JSON, JUnit XML and HTML files.

``ukid check entity URL --trust-anchor TA`` runs :func:`ukid.check.entity.entity_cases`;
``ukid check idp URL [--trust-anchor TA]`` runs :func:`ukid.check.idp.idp_cases`;
``ukid check rp LOGIN_URL`` runs :func:`ukid.check.rp.rp_cases` (:mod:`ukid.check.rp_cli`). A line is
printed as each case finishes, then a table. Exit status: 0 when no case failed (skips allowed),
1 when any case failed, 2 for a usage error (bad option values, an unreadable key file).
"""

from __future__ import annotations

import asyncio
import json
import math
import time
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from pydantic import ValidationError

from federation.http import FederationFetcher, FetchPolicy
from federation.statements import Jwks
from ukid.check.cases import Case, CaseGroup, Result, run_suite
from ukid.check.entity import EntityContext, entity_cases
from ukid.check.idp import IdpContext, idp_cases
from ukid.check.output import DevFlag, FetchTimeout, HtmlFile, JsonFile, JunitFile
from ukid.check.output import echo as _echo
from ukid.check.output import report_and_exit as _report
from ukid.check.output import usage_error as _usage_error
from ukid.check.report import (
    ReportInfo,
    progress_lines,
)
from ukid.check.rp_cli import rp_command
from ukid.federation_cli import entity_id_problem

__all__ = ["build_check_app"]

C = TypeVar("C")


def _load_jwks(path: Path) -> Jwks:
    """The pinned anchor keys in ``path``; ``typer.Exit(2)`` on a bad file."""
    option = "--trust-anchor-jwks"
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise _usage_error(option, f"cannot read {path}: {exc.strerror or exc}") from None
    except (UnicodeDecodeError, ValueError) as exc:
        raise _usage_error(option, f"{path} is not JSON: {exc}") from None
    if not isinstance(data, dict):
        raise _usage_error(option, f"{path} is not a JWK set (a JSON object with 'keys')")
    try:
        return Jwks.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "jwks"
        raise _usage_error(option, f"{path} is not a public JWK set: {where}: {first['msg']}") from None


async def _run(
    items: Sequence[Case[C] | CaseGroup[C]], context: C, fetcher: FederationFetcher, deadline: float
) -> list[Result]:
    count = [0]

    def show(result: Result) -> None:
        count[0] += 1
        for line in progress_lines(count[0], result):
            _echo(line)

    async with fetcher:
        return await run_suite(items, context, on_result=show, deadline=deadline)


def _fetcher(dev: bool, timeout: float) -> FederationFetcher:
    """A fetcher whose timeouts fit ``--timeout`` (plain http allowed with ``--dev``)."""
    if not (math.isfinite(timeout) and timeout > 0):
        raise _usage_error("--timeout", "must be a positive number of seconds")
    base = FetchPolicy.development() if dev else FetchPolicy()
    policy = replace(
        base, connect_timeout=min(3.0, timeout), read_timeout=min(5.0, timeout), total_timeout=timeout
    )
    return FederationFetcher(policy)


def _login(flag: str, help: str, *, envvar: str | None = None, metavar: str | None = None) -> Any:
    """An option of the "Login as a test account" panel of ``ukid check idp``."""
    return typer.Option(
        flag,
        help=help,
        envvar=envvar,
        metavar=metavar,
        rich_help_panel="Login as a test account",
        show_default=False,
    )


def _check_anchor(trust_anchor: str, dev: bool) -> None:
    """``--trust-anchor`` is an entity ID, and plain http only with ``--dev`` (exit 2 otherwise)."""
    problem = entity_id_problem(trust_anchor, dev=True)
    if problem is not None:
        raise _usage_error("--trust-anchor", problem)
    if trust_anchor.startswith("http:") and not dev:
        raise _usage_error(
            "--trust-anchor", f"{trust_anchor} is plain http: pass --dev for a local federation"
        )


def _entity_command(
    url: Annotated[
        str,
        typer.Argument(
            metavar="URL", help="Entity ID (https URL) of the entity to check.", show_default=False
        ),
    ],
    *,
    trust_anchor: Annotated[
        str,
        typer.Option(
            "--trust-anchor", help="Entity ID of the federation's trust anchor.", show_default=False
        ),
    ],
    trust_anchor_jwks: Annotated[
        Path | None,
        typer.Option(
            "--trust-anchor-jwks",
            help="JWKS file pinning the anchor's keys (default: trust its own configuration on first use).",
            show_default=False,
        ),
    ] = None,
    json_file: JsonFile = None,
    junit_file: JunitFile = None,
    html_file: HtmlFile = None,
    dev: DevFlag = False,
    timeout: FetchTimeout = 10.0,
) -> None:
    """Check an entity's configuration, trust chain, trust marks and metadata against the profile."""
    problem = entity_id_problem(url, dev=True)
    if problem is not None:
        raise _usage_error("URL", problem)
    _check_anchor(trust_anchor, dev)
    fetcher = _fetcher(dev, timeout)
    pinned = _load_jwks(trust_anchor_jwks) if trust_anchor_jwks is not None else None
    context = EntityContext(
        entity_id=url, trust_anchor=trust_anchor, fetcher=fetcher, anchor_jwks=pinned, dev=dev
    )
    details = {
        "Trust anchor": trust_anchor,
        "Anchor keys": "pinned (--trust-anchor-jwks)" if pinned else "trust on first use",
        "Federation": "development (--dev)" if dev else "production",
    }
    info = ReportInfo("ukid check entity", url, time.time(), details)
    _echo(
        f"Checking {url} against trust anchor {trust_anchor}" + (" (development federation)" if dev else "")
    )
    results = asyncio.run(_run(entity_cases(), context, fetcher, deadline=timeout * 8))
    _report(results, info, json_file, junit_file, html_file)


def _idp_command(
    url: Annotated[
        str, typer.Argument(metavar="URL", help="Issuer (https URL) of the provider.", show_default=False)
    ],
    *,
    trust_anchor: Annotated[
        str | None,
        typer.Option(
            "--trust-anchor",
            help="Trust anchor: also run the entity cases and compare the federation metadata.",
            show_default=False,
        ),
    ] = None,
    trust_anchor_jwks: Annotated[
        Path | None,
        typer.Option("--trust-anchor-jwks", help="JWKS file pinning the anchor's keys.", show_default=False),
    ] = None,
    json_file: JsonFile = None,
    junit_file: JunitFile = None,
    html_file: HtmlFile = None,
    dev: DevFlag = False,
    timeout: FetchTimeout = 10.0,
    client_id: Annotated[
        str | None, _login("--client-id", "The checker's client ID at the provider (enables the login).")
    ] = None,
    client_key: Annotated[
        str | None,
        _login("--client-key", "Private JWK (or PEM) for private_key_jwt (RFC 7523).", metavar="FILE"),
    ] = None,
    client_secret: Annotated[
        str | None,
        _login(
            "--client-secret",
            "client_secret_basic instead (development static clients only).",
            envvar="UKID_CHECK_CLIENT_SECRET",
        ),
    ] = None,
    redirect_uri: Annotated[
        str | None, _login("--redirect-uri", "A redirect URI registered for the client.")
    ] = None,
    username: Annotated[
        str | None, _login("--username", "Test account to sign in as (the checker fills in the pages).")
    ] = None,
    password: Annotated[
        str | None, _login("--password", "The test account's password.", envvar="UKID_CHECK_PASSWORD")
    ] = None,
    totp_secret: Annotated[
        str | None,
        _login(
            "--totp-secret",
            "The test account's base32 TOTP secret (security codes).",
            envvar="UKID_CHECK_TOTP_SECRET",
        ),
    ] = None,
    interactive: Annotated[
        bool,
        _login("--interactive", "Sign in in a browser; the redirect comes to a loopback --redirect-uri."),
    ] = False,
    vtr: Annotated[
        list[str] | None,
        _login("--vtr", "Vector to request (repeatable; default: every vector of the trustmark)."),
    ] = None,
    login_timeout: Annotated[
        float,
        _login("--login-timeout", "Seconds to wait for the browser in --interactive mode (default 300)."),
    ] = 300.0,
) -> None:
    """Check a provider's discovery document, JWK set, identity assurance and Vectors of Trust metadata;
    with a client registration and a test account, a complete login and negative probes."""
    from ukid.check.client import LoginState  # noqa: PLC0415
    from ukid.check.client_options import OptionError, build_config  # noqa: PLC0415
    from ukid.check.idp_login import login_cases  # noqa: PLC0415
    from ukid.check.idp_probes import probe_cases  # noqa: PLC0415

    problem = entity_id_problem(url, dev=True)
    if problem is not None:
        raise _usage_error("URL", problem)
    if trust_anchor is not None:
        _check_anchor(trust_anchor, dev)
    elif trust_anchor_jwks is not None:
        raise _usage_error("--trust-anchor-jwks", "needs --trust-anchor")
    fetcher = _fetcher(dev, timeout)
    pinned = _load_jwks(trust_anchor_jwks) if trust_anchor_jwks is not None else None
    try:
        config = build_config(
            client_id=client_id,
            client_key=client_key,
            client_secret=client_secret,
            redirect_uri=redirect_uri,
            username=username,
            password=password,
            totp_secret=totp_secret,
            interactive=interactive,
            vtr=vtr,
            dev=dev,
            login_timeout=login_timeout,
            http_timeout=timeout,
            say=_echo,
        )
    except OptionError as exc:
        raise _usage_error(exc.option, exc.message) from None
    entity = (
        EntityContext(entity_id=url, trust_anchor=trust_anchor, fetcher=fetcher, anchor_jwks=pinned, dev=dev)
        if trust_anchor is not None
        else None
    )
    login = LoginState(config) if config is not None else None
    context = IdpContext(issuer=url, fetcher=fetcher, dev=dev, entity=entity, login=login)
    details = {
        "Trust anchor": trust_anchor or "none (federation cases skipped)",
        "Federation": "development (--dev)" if dev else "production",
    }
    if trust_anchor is not None:
        details["Anchor keys"] = "pinned (--trust-anchor-jwks)" if pinned else "trust on first use"
    if config is not None:
        details["Client"] = config.client_id + (
            " (private_key_jwt)" if config.key is not None else " (client secret)"
        )
        details["Test account"] = "browser (--interactive)" if config.interactive else str(username)
    info = ReportInfo("ukid check idp", url, time.time(), details)
    _echo(
        f"Checking provider {url}"
        + (f" in the federation of {trust_anchor}" if trust_anchor else "")
        + (" (development federation)" if dev else "")
    )
    items = [*idp_cases(federation=entity is not None), *login_cases(enabled=login is not None)]
    items += probe_cases() if login is not None else []
    deadline = timeout * 8 + (login_timeout if interactive else 0.0)

    async def run() -> list[Result]:
        try:
            return await _run(items, context, fetcher, deadline)
        finally:
            if login is not None:
                await login.aclose()

    results = asyncio.run(run())
    _report(results, info, json_file, junit_file, html_file)


def build_check_app() -> typer.Typer:
    """The ``ukid check`` sub-application."""
    app = typer.Typer(
        help="Conformance checks against this federation's profile (JSON, JUnit XML, HTML reports).",
        no_args_is_help=True,
    )
    app.command("entity")(_entity_command)
    app.command("idp")(_idp_command)
    app.command("rp")(rp_command)
    return app
