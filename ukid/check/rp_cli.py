"""``ukid check rp LOGIN_URL``: the relying-party suite (:mod:`ukid.check.rp`) from the command line."""

from __future__ import annotations

import asyncio
import math
import time
from typing import Annotated

import typer

from idp.core.personas import DEV_PASSWORD, HIGH_TOTP_SECRET
from ukid.check.agent import Credentials
from ukid.check.cases import Result, run_suite
from ukid.check.output import HtmlFile, JsonFile, JunitFile, report_and_exit, usage_error
from ukid.check.report import ReportInfo, progress_lines
from ukid.check.rp import RpContext, rp_cases
from ukid.federation_cli import entity_id_problem

__all__ = ["rp_command"]

DEFAULT_IDP = "http://localhost:8300"
DEFAULT_USERNAME = "high@example.test"


async def run_rp_suite(context: RpContext, *, deadline: float) -> list[Result]:
    """Every case against ``context``, a progress line printed as each finishes."""
    count = [0]

    def show(result: Result) -> None:
        count[0] += 1
        for line in progress_lines(count[0], result):
            typer.echo(line)

    try:
        return await run_suite(rp_cases(), context, on_result=show, deadline=deadline)
    finally:
        await context.aclose()


def rp_command(
    login_url: Annotated[
        str,
        typer.Argument(
            metavar="LOGIN_URL",
            help="A page of the RP that starts its login (or offers the provider to log in with).",
            show_default=False,
        ),
    ],
    *,
    idp: Annotated[
        str, typer.Option("--idp", help="Issuer of the sample provider running in conformance mode.")
    ] = DEFAULT_IDP,
    username: Annotated[
        str, typer.Option("--username", help="Test account at the provider.")
    ] = DEFAULT_USERNAME,
    password: Annotated[
        str,
        typer.Option(
            "--password",
            help="Its password (default: the development personas').",
            envvar="UKID_CHECK_PASSWORD",
        ),
    ] = DEV_PASSWORD,
    totp_secret: Annotated[
        str | None,
        typer.Option(
            "--totp-secret",
            help="Its TOTP secret (default: the high@example.test persona's, when that is the account).",
            envvar="UKID_CHECK_TOTP_SECRET",
            show_default=False,
        ),
    ] = None,
    signed_in_text: Annotated[
        str | None,
        typer.Option(
            "--signed-in-text",
            help="Text only the RP's signed-in page shows (default: ending on the genuine login's page).",
            show_default=False,
        ),
    ] = None,
    json_file: JsonFile = None,
    junit_file: JunitFile = None,
    html_file: HtmlFile = None,
    timeout: Annotated[float, typer.Option("--timeout", help="Deadline per HTTP request, seconds.")] = 10.0,
) -> None:
    """Check that a relying party refuses broken answers from the sample provider in conformance mode."""
    for option, value in (("LOGIN_URL", login_url), ("--idp", idp)):
        problem = entity_id_problem(value, dev=True) if option == "--idp" else _url_problem(value)
        if problem is not None:
            raise usage_error(option, problem)
    if not (math.isfinite(timeout) and timeout > 0):
        raise usage_error("--timeout", "must be a positive number of seconds")
    if totp_secret is None and username == DEFAULT_USERNAME:
        totp_secret = HIGH_TOTP_SECRET
    context = RpContext(
        login_url=login_url,
        idp=idp.removesuffix("/"),
        credentials=Credentials(username, password, totp_secret),
        timeout=timeout,
        signed_in_text=signed_in_text,
    )
    details = {"Provider": f"{idp} (conformance mode)", "Test account": username}
    if signed_in_text is not None:
        details["Signed in when the page shows"] = signed_in_text
    info = ReportInfo("ukid check rp", login_url, time.time(), details)
    typer.echo(f"Checking the relying party at {login_url} with {idp} in conformance mode")
    results = asyncio.run(run_rp_suite(context, deadline=timeout * 6))
    report_and_exit(results, info, json_file, junit_file, html_file)


def _url_problem(value: str) -> str | None:
    """Why ``value`` is not an absolute http(s) URL, or None."""
    parts = value.split("://", 1)
    if len(parts) != 2 or parts[0] not in ("http", "https") or not parts[1].split("/", 1)[0]:
        return f"{value[:100]!r} is not an absolute http(s) URL"
    return None
