"""Pieces every ``ukid <service> serve | migrate`` command shares: reading settings with the options
on top (invalid settings exit 2, naming the option and variable), listening on a port (a port in use
is one line), opening the app (a service that cannot start exits 1 with the reason), logging while it
serves (JSON lines on stderr, one access line per request in place of uvicorn's) and migrating.

The web stack is imported inside the functions that need it, so other ``ukid`` commands start fast.
"""

from __future__ import annotations

import errno
import os
import socket
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import typer
from pydantic import ValidationError
from pydantic_settings import BaseSettings, SettingsError

if TYPE_CHECKING:
    from fastapi import FastAPI

    from federation.service.database import Migrations

__all__ = [
    "anchor_setting",
    "fail",
    "from_environment",
    "listen",
    "load_settings",
    "migrate_store",
    "open_app",
    "serve",
]

S = TypeVar("S", bound=BaseSettings)


def anchor_setting(value: str) -> dict[str, Any]:
    """A ``--trust-anchor`` option, ``ENTITY_ID`` or ``ENTITY_ID=JWKS_FILE``, as a trust anchor setting."""
    entity_id, _, jwks_file = value.partition("=")
    return {"entity_id": entity_id, "jwks_file": Path(jwks_file) if jwks_file else None}


def fail(message: str, code: int = 1) -> typer.Exit:
    """Print ``Error: message`` to stderr; the exit to raise."""
    typer.echo(f"Error: {message}", err=True)
    return typer.Exit(code)


def from_environment(prefix: str, field: str) -> str | None:
    """The ``<PREFIX><FIELD>`` variable (names are case-insensitive, as the settings read them)."""
    wanted = f"{prefix}{field}".upper()
    for name, value in os.environ.items():
        if name.upper() == wanted:
            return value
    return None


def _problems(exc: ValidationError, prefix: str, options: Mapping[str, str]) -> list[str]:
    """One line per invalid setting, naming the option and variable that set it (never its value)."""
    lines = []
    for error in exc.errors():
        message = str(error["msg"]).removeprefix("Value error, ")
        location = ".".join(str(part) for part in error["loc"])
        if not location:
            lines.append(f"settings: {message}")
            continue
        field = str(error["loc"][0])
        sources = [options[field]] if field in options else []
        sources.append(f"{prefix}{field.upper()}")
        lines.append(f"{location} ({' or '.join(sources)}): {message}")
    return lines


def load_settings(
    cls: type[S], overrides: Mapping[str, Any], *, prefix: str, options: Mapping[str, str]
) -> S:
    """The settings from the environment with ``overrides`` on top; invalid settings exit 2."""
    try:
        return cls(**{k: v for k, v in overrides.items() if v is not None})
    except ValidationError as exc:
        for line in _problems(exc, prefix, options):
            typer.echo(f"Error: {line}", err=True)
        raise typer.Exit(2) from None
    except SettingsError as exc:  # a variable that is not valid JSON (lists, mappings)
        raise fail(str(exc), 2) from None


def listen(host: str, port: int) -> socket.socket:
    """A socket bound to ``host:port`` for uvicorn to serve on; a port in use is a one-line error."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        if exc.errno == errno.EADDRINUSE:
            raise fail(f"port {port} on {host} is already in use") from None
        raise fail(f"cannot listen on {host} port {port}: {exc.strerror or exc}") from None
    return sock


def open_app(build: Callable[[], FastAPI], what: str, startup_errors: tuple[type[Exception], ...]) -> FastAPI:
    """``build()``; a service that cannot start (store, keys, settings files) exits 1 with the reason."""
    from sqlalchemy.exc import SQLAlchemyError  # noqa: PLC0415

    from federation.service.database import SchemaError  # noqa: PLC0415

    expected: tuple[type[Exception], ...] = (*startup_errors, SchemaError)
    try:
        return build()
    except expected as exc:
        raise fail(str(exc)) from None
    except SQLAlchemyError as exc:
        reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
        raise fail(
            f"cannot open the database: {reason}: check the database URL (--database-url) and that the "
            "database server is running and reachable"
        ) from None
    except (OSError, ValueError) as exc:  # data directory not writable, unreadable pinned JWKS
        raise fail(f"cannot start the {what}: {exc}") from None


def serve(
    build: Callable[[], FastAPI],
    banner: list[str],
    *,
    host: str,
    port: int,
    what: str,
    startup_errors: tuple[type[Exception], ...],
) -> None:
    """Listen first (a port in use is reported before any work), build the app, print the banner, run
    with every log line as JSON on stderr (:func:`federation.service.observability.configure_logging`)."""
    sock = listen(host, port)
    try:
        app = open_app(build, what, startup_errors)
        for line in banner:
            typer.echo(line)
        import uvicorn  # noqa: PLC0415

        from federation.service.observability import app_metrics, configure_logging  # noqa: PLC0415

        metrics = app_metrics(app)
        configure_logging(metrics.service if metrics is not None else what)
        # the app logs one line per request (ukid.access): uvicorn's access log and its own logging
        # configuration are off
        config = uvicorn.Config(
            app,
            host=host,
            port=port,
            log_level="info",
            workers=1,
            lifespan="on",
            access_log=False,
            log_config=None,
        )
        uvicorn.Server(config).run(sockets=[sock])
    finally:
        sock.close()


def migrate_store(migrations: Migrations, url: str, *, check: bool) -> None:
    """Apply (or with ``check`` only verify) the migrations on ``url``; one line of output or error."""
    from sqlalchemy.exc import SQLAlchemyError  # noqa: PLC0415

    from federation.service.database import SchemaError, create_store_engine, describe_url  # noqa: PLC0415

    try:
        where = describe_url(url)
        engine = create_store_engine(url, pool=False)
    except (SchemaError, SQLAlchemyError) as exc:
        raise fail(f"--database-url: {exc}", 2) from None
    try:
        if check:
            migrations.check_schema(engine)
            typer.echo(f"{where}: at schema revision {migrations.head_revision()}, the newest")
        else:
            typer.echo(f"{where}: migrated to schema revision {migrations.migrate(engine)}")
    except SchemaError as exc:
        raise fail(str(exc)) from None
    except SQLAlchemyError as exc:
        reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
        raise fail(f"cannot migrate {where}: {reason}") from None
    finally:
        engine.dispose()
