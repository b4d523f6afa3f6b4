"""The output every ``ukid check`` command shares: usage errors, the table, the report files, the exit
status (0 when no case failed, 1 when one did, 2 for a usage error)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from ukid.check.cases import Result, summarise
from ukid.check.report import ReportInfo, html_report, json_report, junit_report, terminal_table

__all__ = [
    "DevFlag",
    "FetchTimeout",
    "HtmlFile",
    "JsonFile",
    "JunitFile",
    "echo",
    "report_and_exit",
    "usage_error",
]

#: The options every ``ukid check`` command shares.
JsonFile = Annotated[Path | None, typer.Option("--json", help="Write a JSON report to FILE.")]
JunitFile = Annotated[Path | None, typer.Option("--junit", help="Write a JUnit XML report to FILE.")]
HtmlFile = Annotated[Path | None, typer.Option("--html", help="Write a self-contained HTML report.")]
DevFlag = Annotated[
    bool, typer.Option("--dev", help="Development federation: allow plain http to localhost.")
]
FetchTimeout = Annotated[float, typer.Option("--timeout", help="Overall deadline per HTTP fetch, seconds.")]


def echo(line: str) -> None:
    """One line of the terminal report."""
    typer.echo(line)


def usage_error(option: str, message: str) -> typer.Exit:
    """``Error: OPTION: message`` on stderr; the exit (status 2) to raise."""
    typer.echo(f"Error: {option}: {message}", err=True)
    return typer.Exit(2)


def write_report(path: Path | None, option: str, text: str) -> None:
    """Write a report file when ``option`` named one (exit 2 when it cannot be written)."""
    if path is None:
        return
    try:
        path.write_text(text, encoding="utf-8")
    except OSError as exc:
        typer.echo(f"Error: {option}: cannot write {path}: {exc.strerror or exc}", err=True)
        raise typer.Exit(2) from None
    typer.echo(f"wrote {path}")


def report_and_exit(
    results: list[Result],
    info: ReportInfo,
    json_file: Path | None,
    junit_file: Path | None,
    html_file: Path | None,
) -> None:
    """The table, the report files; exit 1 when a case failed."""
    echo("")
    for line in terminal_table(results):
        echo(line)
    write_report(json_file, "--json", json.dumps(json_report(results, info), indent=2) + "\n")
    write_report(junit_file, "--junit", junit_report(results, info))
    write_report(html_file, "--html", html_report(results, info))
    if not summarise(results).ok:
        raise typer.Exit(1)
