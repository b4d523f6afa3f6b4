"""The ``ukid`` command line: a thin layer over the packages.

``ukid schemas export | check | spec`` publish and check the assurance schema; the logic lives
in :mod:`schemas.export`, :mod:`schemas.check` and :mod:`schemas.spec`. The typer application
is built by :func:`build_app` when the command runs, never at import time.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from schemas.catalog import UnknownSchemaError, entry
from schemas.check import check_file, format_result
from schemas.export import default_json_dir, export_json_schemas, stale_json_schemas
from schemas.spec import default_spec_path, render_spec
from ukid.check.cli import build_check_app
from ukid.federation_cli import build_federation_app
from ukid.idp_cli import build_idp_app
from ukid.keys_cli import build_keys_app
from ukid.onboard_cli import onboard
from ukid.registry_cli import build_registry_app
from ukid.rp_cli import build_rp_app
from ukid.up import up

__all__ = ["build_app", "main"]


def _export(
    out: Annotated[
        Path | None,
        typer.Option("--out", help="Directory to write to (default: the package's schemas/json/)."),
    ] = None,
    check: Annotated[
        bool, typer.Option("--check", help="Write nothing; exit 1 if any file is missing or out of date.")
    ] = False,
) -> None:
    """Write the JSON Schema files (draft 2020-12) generated from the models."""
    directory = out if out is not None else default_json_dir()
    if check:
        stale = stale_json_schemas(directory)
        for line in stale:
            typer.echo(f"{directory / line}")
        if stale:
            typer.echo("JSON Schema files are stale: run `ukid schemas export`", err=True)
            raise typer.Exit(1)
        typer.echo(f"{directory}: JSON Schema files are up to date")
        return
    for path in export_json_schemas(directory):
        typer.echo(f"wrote {path}")


def _check(
    files: Annotated[
        list[str], typer.Argument(help="JSON files to check.", metavar="FILE", show_default=False)
    ],
    schema: Annotated[
        str | None,
        typer.Option("--schema", help="Schema to check against (default: worked out from each file)."),
    ] = None,
) -> None:
    """Check JSON payloads against the published schema; one line per problem."""
    if schema is not None:
        try:
            entry(schema)
        except UnknownSchemaError as error:
            typer.echo(f"Error: --schema: {error}", err=True)
            raise typer.Exit(2) from None
    failed = False
    for name in files:
        result = check_file(Path(name), schema)
        failed = failed or not result.valid
        for line in format_result(name, result):
            typer.echo(line)
    if failed:
        raise typer.Exit(1)


def _spec(
    out: Annotated[
        Path | None, typer.Option("--out", help="File to write (default: the package's schemas/SPEC.md).")
    ] = None,
    check: Annotated[
        bool, typer.Option("--check", help="Write nothing; exit 1 if the file is missing or out of date.")
    ] = False,
) -> None:
    """Write the written specification, SPEC.md, generated from the models."""
    path = out if out is not None else default_spec_path()
    text = render_spec()
    if check:
        current = path.read_text(encoding="utf-8") if path.is_file() else None
        if current != text:
            typer.echo(f"{path}: {'missing' if current is None else 'out of date'}")
            typer.echo("The specification is stale: run `ukid schemas spec`", err=True)
            raise typer.Exit(1)
        typer.echo(f"{path}: up to date")
        return
    path.write_text(text, encoding="utf-8")
    typer.echo(f"wrote {path}")


def build_app() -> typer.Typer:
    """The ``ukid`` typer application."""
    app = typer.Typer(
        name="ukid",
        help="ukid-interop: an interoperable digital identity trust framework for UK public services.",
        no_args_is_help=True,
        add_completion=False,
    )
    schemas_app = typer.Typer(
        help="Publish and check the assurance schema (JSON Schema, examples, SPEC.md).",
        no_args_is_help=True,
    )
    schemas_app.command("export")(_export)
    schemas_app.command("check")(_check)
    schemas_app.command("spec")(_spec)
    app.add_typer(schemas_app, name="schemas")
    app.add_typer(build_federation_app(), name="federation")
    app.add_typer(build_check_app(), name="check")
    app.add_typer(build_keys_app(), name="keys")
    app.add_typer(build_registry_app(), name="registry")
    app.add_typer(build_idp_app(), name="idp")
    app.add_typer(build_rp_app(), name="rp")
    app.command("up")(up)
    app.command("onboard")(onboard)
    return app


def main() -> None:
    """Entry point of the ``ukid`` console script."""
    build_app()(prog_name="ukid")
