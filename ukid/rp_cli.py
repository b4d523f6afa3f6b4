"""``ukid rp serve | migrate``: run a sample relying-party service (the council or the GP practice) and
keep its database schema current.

``serve`` reads the ``UKID_RP_*`` settings, with its options overriding them; ``--dev`` runs on
embedded defaults (SQLite under the data directory, generated keys, migrations applied at start,
trust anchors trusted on first use). Bad options and invalid settings exit 2; a service that cannot
start prints one line and exits 1.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from relying_party.settings import RpSettings
from ukid._service_cli import anchor_setting, from_environment, load_settings, migrate_store, serve

if TYPE_CHECKING:
    from fastapi import FastAPI

__all__ = ["build_rp_app"]

_ENV_PREFIX = "UKID_RP_"
_OPTIONS = {
    "service": "--service",
    "entity_id": "--entity-id",
    "data_dir": "--data-dir",
    "database_url": "--database-url",
    "environment": "--dev",
    "static_providers_file": "--static-providers",
}
_PORTS = {"council": 8400, "gp": 8500}


def _settings(overrides: dict[str, Any]) -> RpSettings:
    return load_settings(RpSettings, overrides, prefix=_ENV_PREFIX, options=_OPTIONS)


def _serve(
    *,
    service: Annotated[
        str, typer.Option("--service", help="Which sample service: council or gp.", show_default=False)
    ],
    entity_id: Annotated[
        str | None,
        typer.Option(
            "--entity-id",
            help="The service's entity ID (with --dev: http://127.0.0.1:PORT).",
            show_default=False,
        ),
    ] = None,
    host: Annotated[str, typer.Option("--host", help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[
        int | None,
        typer.Option("--port", min=1, max=65535, help="Port (council 8400, gp 8500).", show_default=False),
    ] = None,
    data_dir: Annotated[
        Path | None,
        typer.Option("--data-dir", help="Directory of the SQLite database and keys.", show_default=False),
    ] = None,
    database_url: Annotated[
        str | None, typer.Option("--database-url", help="SQLAlchemy URL of the store.", show_default=False)
    ] = None,
    authority_hints: Annotated[
        list[str] | None,
        typer.Option("--authority-hint", help="The service's superior (repeatable).", show_default=False),
    ] = None,
    trust_anchors: Annotated[
        list[str] | None,
        typer.Option(
            "--trust-anchor",
            help="A trust anchor, ENTITY_ID or ENTITY_ID=JWKS_FILE (repeatable; no file only in --dev).",
            show_default=False,
        ),
    ] = None,
    static_providers: Annotated[
        Path | None,
        typer.Option(
            "--static-providers", help="JSON file of providers outside the federation.", show_default=False
        ),
    ] = None,
    dev: Annotated[bool, typer.Option("--dev", help="Development service on embedded defaults.")] = False,
) -> None:
    """Run a sample relying-party service (settings: UKID_RP_* variables; options override them)."""
    chosen_port = port or _PORTS.get(service, 8400)
    development = dev or (from_environment(_ENV_PREFIX, "environment") or "").strip().lower() == "dev"
    if entity_id is None and development and from_environment(_ENV_PREFIX, "entity_id") is None:
        entity_id = f"http://127.0.0.1:{chosen_port}"
    overrides: dict[str, Any] = {
        "service": service,
        "entity_id": entity_id,
        "data_dir": data_dir,
        "database_url": database_url,
        "static_providers_file": static_providers,
    }
    if authority_hints:
        overrides["authority_hints"] = authority_hints
    if trust_anchors:
        overrides["trust_anchors"] = [anchor_setting(value) for value in trust_anchors]
    if dev:
        overrides.update(environment="dev", generate_keys=True)
    settings = _settings(overrides)

    def build() -> FastAPI:
        from relying_party.services.app import create_app  # noqa: PLC0415

        return create_app(settings)

    from relying_party.services.wiring import StartupError  # noqa: PLC0415

    banner = [
        f"ukid {settings.service} service: {settings.name}, {settings.entity_id}",
        f"  environment {settings.environment}",
        f"  listening on http://{host}:{chosen_port}",
        f"  entity configuration: {settings.entity_id}/.well-known/openid-federation",
    ]
    serve(
        build,
        banner,
        host=host,
        port=chosen_port,
        what=f"{settings.service} service",
        startup_errors=(StartupError,),
    )


def _migrate(
    *,
    service: Annotated[
        str, typer.Option("--service", help="Which sample service: council or gp.", show_default=False)
    ],
    database_url: Annotated[
        str | None, typer.Option("--database-url", help="SQLAlchemy URL of the store.", show_default=False)
    ] = None,
    data_dir: Annotated[
        Path | None,
        typer.Option("--data-dir", help="Data directory (default SQLite file).", show_default=False),
    ] = None,
    check: Annotated[
        bool, typer.Option("--check", help="Change nothing; exit 1 unless at the newest revision.")
    ] = False,
) -> None:
    """Apply the library's and the service's database migrations (Alembic)."""
    from relying_party.migrate import MIGRATIONS  # noqa: PLC0415
    from relying_party.services.app import sample_for  # noqa: PLC0415

    base = {"service": service, "entity_id": "http://127.0.0.1", "environment": "dev", "data_dir": data_dir}
    settings = _settings(base)
    url = database_url or settings.store_url
    for migrations in (MIGRATIONS, sample_for(settings).MIGRATIONS):
        migrate_store(migrations, url, check=check)


def build_rp_app() -> typer.Typer:
    """The ``ukid rp`` command group."""
    app = typer.Typer(help="Sample relying-party services (council, GP practice).", no_args_is_help=True)
    app.command("serve")(_serve)
    app.command("migrate")(_migrate)
    return app
