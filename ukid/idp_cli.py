"""``ukid idp serve | migrate | rotate-keys | totp-code``: run the sample identity provider (OpenID
Connect with Identity Assurance, an OpenID Federation leaf), keep its database schema current, rotate
its keys, and print a development persona's current TOTP code.

``serve`` reads the ``UKID_IDP_*`` settings, with its options overriding them, and runs the provider
under uvicorn; ``--dev`` is a development provider on embedded defaults (SQLite under the data
directory, generated keys, migrations applied at start, seeded test accounts). Bad options and
invalid settings exit 2; a provider that cannot start prints one line and exits 1.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any
from urllib.parse import urlsplit

import typer

from idp.settings import IdpSettings
from ukid._service_cli import anchor_setting, fail, from_environment, load_settings, migrate_store, serve

if TYPE_CHECKING:
    from fastapi import FastAPI

__all__ = ["build_idp_app"]

_ENV_PREFIX = "UKID_IDP_"
_OPTIONS = {
    "issuer": "--issuer",
    "data_dir": "--data-dir",
    "database_url": "--database-url",
    "environment": "--dev",
    "static_clients_file": "--static-clients",
}


def _settings(overrides: dict[str, Any]) -> IdpSettings:
    return load_settings(IdpSettings, overrides, prefix=_ENV_PREFIX, options=_OPTIONS)


def _banner(settings: IdpSettings, host: str, port: int) -> list[str]:
    from federation.service.database import describe_url  # noqa: PLC0415

    where = f"[{host}]" if ":" in host else host
    prefix = urlsplit(settings.issuer).path.rstrip("/") or "/"
    lines = [
        f"ukid identity provider: {settings.issuer} (environment {settings.environment})",
        f"  listening on http://{where}:{port} (routes under {prefix})",
        f"  discovery:   {settings.issuer}/.well-known/openid-configuration",
        f"  database:    {describe_url(settings.store_url)}",
        f"  keys:        {settings.key_directory}",
    ]
    if settings.trust_anchors:
        lines.append(f"  trust anchors: {', '.join(a.entity_id for a in settings.trust_anchors)}")
    return lines


def _serve(
    *,
    issuer: Annotated[
        str | None,
        typer.Option(
            "--issuer",
            help="The provider's issuer and entity ID (default: UKID_IDP_ISSUER; with --dev http://127.0.0.1:PORT).",
            show_default=False,
        ),
    ] = None,
    host: Annotated[str, typer.Option("--host", help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", min=1, max=65535, help="Port to listen on.")] = 8300,
    data_dir: Annotated[
        Path | None,
        typer.Option(
            "--data-dir",
            help="Directory of the default SQLite database and the keys (default: UKID_IDP_DATA_DIR).",
            show_default=False,
        ),
    ] = None,
    database_url: Annotated[
        str | None,
        typer.Option(
            "--database-url",
            help="SQLAlchemy URL of the store (default: UKID_IDP_DATABASE_URL, else SQLite in the data "
            "directory).",
            show_default=False,
        ),
    ] = None,
    authority_hints: Annotated[
        list[str] | None,
        typer.Option(
            "--authority-hint",
            help="The provider's superior in the federation (repeatable).",
            show_default=False,
        ),
    ] = None,
    trust_anchors: Annotated[
        list[str] | None,
        typer.Option(
            "--trust-anchor",
            help="A trust anchor relying parties resolve to, as ENTITY_ID or ENTITY_ID=JWKS_FILE "
            "(repeatable; without a file only in --dev).",
            show_default=False,
        ),
    ] = None,
    trust_mark_types: Annotated[
        list[str] | None,
        typer.Option(
            "--trust-mark-type",
            help="A trust mark type the provider holds and publishes (repeatable).",
            show_default=False,
        ),
    ] = None,
    static_clients: Annotated[
        Path | None,
        typer.Option(
            "--static-clients",
            help="JSON file of static clients (services outside the federation).",
            show_default=False,
        ),
    ] = None,
    dev: Annotated[
        bool,
        typer.Option(
            "--dev",
            help="Development provider: plain http issuer, generated keys, migrations at start, seeded test "
            "accounts, client secrets for static clients. Never in production.",
        ),
    ] = False,
) -> None:
    """Run the identity provider (settings: UKID_IDP_* variables; options override them)."""
    development = dev or (from_environment(_ENV_PREFIX, "environment") or "").strip().lower() == "dev"
    if issuer is None and development and from_environment(_ENV_PREFIX, "issuer") is None:
        issuer = f"http://127.0.0.1:{port}"
    overrides: dict[str, Any] = {
        "issuer": issuer,
        "data_dir": data_dir,
        "database_url": database_url,
        "static_clients_file": static_clients,
    }
    if authority_hints:
        overrides["authority_hints"] = authority_hints
    if trust_anchors:
        overrides["trust_anchors"] = [anchor_setting(value) for value in trust_anchors]
    if trust_mark_types:
        overrides["trust_mark_types"] = trust_mark_types
    if dev:
        overrides.update(environment="dev", generate_keys=True)
    settings = _settings(overrides)

    def build() -> FastAPI:
        from idp.app import create_app  # noqa: PLC0415

        return create_app(settings)

    from idp.services import StartupError  # noqa: PLC0415

    serve(
        build,
        _banner(settings, host, port),
        host=host,
        port=port,
        what="identity provider",
        startup_errors=(StartupError,),
    )


def _migrate(
    *,
    database_url: Annotated[
        str | None,
        typer.Option(
            "--database-url",
            help="SQLAlchemy URL of the store (default: the provider's settings).",
            show_default=False,
        ),
    ] = None,
    data_dir: Annotated[
        Path | None,
        typer.Option(
            "--data-dir",
            help="Data directory, when the store is its default SQLite file.",
            show_default=False,
        ),
    ] = None,
    check: Annotated[
        bool,
        typer.Option("--check", help="Change nothing; exit 1 unless the schema is at the newest revision."),
    ] = False,
) -> None:
    """Apply the database migrations (Alembic) and print the schema revision."""
    from idp.migrate import MIGRATIONS  # noqa: PLC0415

    if database_url is not None:
        url = database_url
    else:
        base = {"issuer": from_environment(_ENV_PREFIX, "issuer") or "http://127.0.0.1", "environment": "dev"}
        url = _settings({**base, "data_dir": data_dir}).store_url
    migrate_store(MIGRATIONS, url, check=check)


def _rotate_keys(
    *,
    keys_dir: Annotated[
        Path,
        typer.Argument(
            help="The provider's key directory (UKID_IDP_KEYS_DIR, default DATA_DIR/keys).",
            show_default=False,
        ),
    ],
    overlap_days: Annotated[
        float, typer.Option("--overlap-days", min=0, help="Days the previous keys stay published.")
    ] = 7.0,
) -> None:
    """Rotate the ID token signing keys of every algorithm; restart the provider to use the new ones.

    Tokens signed with the previous keys stay verifiable: those keys stay in the JWKS for the overlap.
    """
    from federation.keys import KeyStore  # noqa: PLC0415

    directories = (
        sorted(p for p in keys_dir.iterdir() if p.is_dir() and p.name != "federation")
        if (keys_dir.is_dir())
        else []
    )
    if not directories:
        raise fail(f"{keys_dir} holds no ID token key directories (ES256/, PS256/...)")
    for directory in directories:
        try:
            store = KeyStore(directory)
        except ValueError as exc:
            raise fail(str(exc)) from None
        new = store.rotate(overlap=int(overlap_days * 86400))
        typer.echo(f"{directory.name}: new signing key {new.kid}")
    typer.echo("restart the identity provider to sign with the new keys")


def _totp_code(
    *,
    who: Annotated[
        str,
        typer.Argument(
            help="A development persona's username (e.g. high@example.test) or a base32 TOTP secret.",
            show_default=False,
        ),
    ],
) -> None:
    """Print the current TOTP code (RFC 6238) of a development persona, for signing in by hand."""
    from idp.core import totp  # noqa: PLC0415
    from idp.core.personas import PERSONAS  # noqa: PLC0415

    secrets = {p.username: p.totp_secret for p in PERSONAS if p.totp_secret is not None}
    secret = secrets.get(who.strip().lower(), who.strip().upper().replace(" ", ""))
    try:
        code = totp.code_at(secret, int(time.time()))
    except (ValueError, TypeError):
        names = ", ".join(sorted(secrets))
        raise fail(
            f"{who!r} is neither a persona with two-step sign-in ({names}) nor a base32 secret"
        ) from None
    typer.echo(code)


def build_idp_app() -> typer.Typer:
    """The ``ukid idp`` sub-application."""
    app = typer.Typer(
        help="Run the sample OpenID Connect identity provider of the federation.", no_args_is_help=True
    )
    app.command("serve")(_serve)
    app.command("migrate")(_migrate)
    app.command("rotate-keys")(_rotate_keys)
    app.command("totp-code")(_totp_code)
    return app
