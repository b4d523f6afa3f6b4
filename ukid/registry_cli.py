"""``ukid registry serve | migrate`` and the administration commands: run a trust registry (trust
anchor or intermediate, OpenID Federation 1.0 §1.2) and keep its database schema current.

``serve`` reads the ``UKID_REGISTRY_*`` settings, with its options overriding them, and runs the
registry under uvicorn; ``--dev`` is a development registry on embedded defaults (SQLite under the
data directory, a generated key, migrations applied at start). The administration commands
(``add-subordinate``, ``issue-trust-mark``, ``audit``...) live in :mod:`ukid.registry_admin_cli`.
Bad options and invalid settings exit 2; a registry that cannot start prints one line and exits 1.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any
from urllib.parse import urlsplit

import typer

# The web stack (FastAPI, uvicorn, SQLAlchemy, Alembic) is imported by the commands that use it,
# so that every other `ukid` command starts quickly.
from trust_registry.settings import DEV_ADMIN_TOKEN, RegistrySettings, Role
from ukid._service_cli import anchor_setting, fail, from_environment, load_settings, migrate_store, serve
from ukid.registry_admin_cli import add_admin_commands

if TYPE_CHECKING:
    from fastapi import FastAPI

__all__ = ["build_registry_app"]

_ENV_PREFIX = "UKID_REGISTRY_"
#: The option of ``serve`` that sets each settings field (named in messages about that field).
_OPTIONS = {
    "role": "--role",
    "entity_id": "--entity-id",
    "data_dir": "--data-dir",
    "database_url": "--database-url",
    "environment": "--dev",
}


def _fail(message: str, code: int = 1) -> typer.Exit:
    return fail(message, code)


def _settings(overrides: dict[str, Any]) -> RegistrySettings:
    """The settings from the environment with ``overrides`` on top; invalid settings exit 2."""
    return load_settings(RegistrySettings, overrides, prefix=_ENV_PREFIX, options=_OPTIONS)


def _banner(settings: RegistrySettings, host: str, port: int) -> list[str]:
    from trust_registry.migrate import describe_url  # noqa: PLC0415

    role = "trust anchor" if settings.role is Role.ANCHOR else "intermediate"
    where = f"[{host}]" if ":" in host else host
    prefix = urlsplit(settings.entity_id).path.rstrip("/") or "/"
    lines = [
        f"ukid trust registry: {role} {settings.entity_id} (environment {settings.environment})",
        f"  listening on http://{where}:{port} (routes under {prefix})",
        f"  database:    {describe_url(settings.store_url)}",
        f"  keys:        {settings.key_directory}",
        f"  admin token names: {', '.join(sorted(settings.admin_tokens))}",
    ]
    if settings.environment == "dev" and any(
        token.get_secret_value() == DEV_ADMIN_TOKEN for token in settings.admin_tokens.values()
    ):
        lines.append(f"  the development admin token is {DEV_ADMIN_TOKEN} (development only)")
    return lines


def _serve(
    *,
    role: Annotated[
        Role | None,
        typer.Option(
            "--role", help="Run as trust anchor or intermediate (default: UKID_REGISTRY_ROLE, anchor)."
        ),
    ] = None,
    entity_id: Annotated[
        str | None,
        typer.Option(
            "--entity-id",
            help="This registry's entity ID (default: UKID_REGISTRY_ENTITY_ID; with --dev http://127.0.0.1:PORT).",
            show_default=False,
        ),
    ] = None,
    host: Annotated[str, typer.Option("--host", help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", min=1, max=65535, help="Port to listen on.")] = 8000,
    data_dir: Annotated[
        Path | None,
        typer.Option(
            "--data-dir",
            help="Directory of the default SQLite database and the keys (default: UKID_REGISTRY_DATA_DIR).",
            show_default=False,
        ),
    ] = None,
    database_url: Annotated[
        str | None,
        typer.Option(
            "--database-url",
            help="SQLAlchemy URL of the store, e.g. postgresql+psycopg://user@host/db "
            "(default: UKID_REGISTRY_DATABASE_URL, else SQLite in the data directory).",
            show_default=False,
        ),
    ] = None,
    authority_hints: Annotated[
        list[str] | None,
        typer.Option(
            "--authority-hint",
            help="An intermediate's superior (repeatable; default: UKID_REGISTRY_AUTHORITY_HINTS).",
            show_default=False,
        ),
    ] = None,
    trust_anchors: Annotated[
        list[str] | None,
        typer.Option(
            "--trust-anchor",
            help="A trust anchor an intermediate resolves to, as ENTITY_ID or ENTITY_ID=JWKS_FILE with its "
            "pinned keys (repeatable; without a file only in --dev; default: UKID_REGISTRY_TRUST_ANCHORS).",
            show_default=False,
        ),
    ] = None,
    dev: Annotated[
        bool,
        typer.Option(
            "--dev",
            help="Development registry: plain http entity IDs, a generated key, migrations at start and "
            "the development admin token. Never in production.",
        ),
    ] = False,
) -> None:
    """Run the trust registry (settings: UKID_REGISTRY_* variables; options override them)."""
    development = dev or (from_environment(_ENV_PREFIX, "environment") or "").strip().lower() == "dev"
    if entity_id is None and development and from_environment(_ENV_PREFIX, "entity_id") is None:
        entity_id = f"http://127.0.0.1:{port}"
    overrides: dict[str, Any] = {
        "role": role,
        "entity_id": entity_id,
        "data_dir": data_dir,
        "database_url": database_url,
    }
    if authority_hints:
        overrides["authority_hints"] = authority_hints
    if trust_anchors:
        overrides["trust_anchors"] = [anchor_setting(value) for value in trust_anchors]
    if dev:
        overrides.update(environment="dev", generate_keys=True)
    settings = _settings(overrides)

    def build() -> FastAPI:
        from trust_registry.app import create_app  # noqa: PLC0415

        return create_app(settings)

    from trust_registry.services import StartupError  # noqa: PLC0415

    serve(
        build,
        _banner(settings, host, port),
        host=host,
        port=port,
        what="registry",
        startup_errors=(StartupError,),
    )


def _migrate(
    *,
    database_url: Annotated[
        str | None,
        typer.Option(
            "--database-url",
            help="SQLAlchemy URL of the store (default: the registry's settings, UKID_REGISTRY_*).",
            show_default=False,
        ),
    ] = None,
    data_dir: Annotated[
        Path | None,
        typer.Option(
            "--data-dir",
            help="Data directory, when the store is its default SQLite file "
            "(default: UKID_REGISTRY_DATA_DIR).",
            show_default=False,
        ),
    ] = None,
    check: Annotated[
        bool,
        typer.Option("--check", help="Change nothing; exit 1 unless the schema is at the newest revision."),
    ] = False,
) -> None:
    """Apply the database migrations (Alembic) and print the schema revision."""
    from trust_registry.migrate import MIGRATIONS  # noqa: PLC0415

    url = database_url if database_url is not None else _settings({"data_dir": data_dir}).store_url
    migrate_store(MIGRATIONS, url, check=check)


def build_registry_app() -> typer.Typer:
    """The ``ukid registry`` sub-application."""
    app = typer.Typer(
        help="Run and administer an OpenID Federation trust registry (trust anchor or intermediate).",
        no_args_is_help=True,
    )
    app.command("serve")(_serve)
    app.command("migrate")(_migrate)
    add_admin_commands(app)
    return app
