"""``ukid keys new | rotate | show | import``: an entity's federation signing keys on disk.

A thin layer over :class:`federation.keys.KeyStore`: one 0600 file per private key in a 0700
directory; key IDs are RFC 7638 thumbprints; a rotation keeps the previous keys published for an
overlap window; ``show --historical`` prints the historical keys list (OpenID Federation 1.0
§8.7). Only public key material is ever printed.
"""

from __future__ import annotations

import json
import re
import stat
from pathlib import Path
from typing import Annotated, Any

import typer
from joserfc.errors import JoseError

from federation.jose import ASYMMETRIC_ALGORITHMS
from federation.keys import DEFAULT_ROTATION_OVERLAP, KeyStore, ManagedKey
from ukid._format import iso_utc

__all__ = ["build_keys_app", "parse_duration"]

_UNITS = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}
_DURATION = re.compile(r"(\d{1,9})([smhdw]?)")


def parse_duration(text: str) -> int:
    """Seconds in ``3600``, ``90s``, ``90m``, ``12h``, ``7d`` or ``2w``; raises ``ValueError``."""
    match = _DURATION.fullmatch(text.strip().lower())
    if match is None:
        raise ValueError(f"{text!r} is not a duration (a whole number with s, m, h, d or w, e.g. 7d)")
    return int(match.group(1)) * _UNITS[match.group(2)]


def _fail(message: str, code: int = 1) -> typer.Exit:
    typer.echo(f"Error: {message}", err=True)
    return typer.Exit(code)


def _check_alg(alg: str | None) -> None:
    if alg is not None and alg not in ASYMMETRIC_ALGORITHMS:
        raise _fail(f"--alg: unsupported algorithm {alg!r} (one of {', '.join(ASYMMETRIC_ALGORITHMS)})", 2)


def _open(directory: Path) -> KeyStore:
    """The key store in ``directory``; a clean error when it cannot be read."""
    if directory.exists() and not directory.is_dir():
        raise _fail(f"{directory} is not a directory")
    try:
        return KeyStore(directory)
    except OSError as exc:
        raise _fail(f"{directory}: cannot read the key store: {exc}") from None
    except ValueError as exc:  # a corrupt key file: the message names it
        raise _fail(str(exc)) from None


def _existing(directory: Path) -> KeyStore:
    store = _open(directory)
    if not store.managed_keys():
        raise _fail(f"{directory} holds no keys: create one with `ukid keys new {directory}`")
    return store


def _tighten(directory: Path) -> None:
    """A key directory must not be readable by group or others: make it 0700 and say so."""
    mode = stat.S_IMODE(directory.stat().st_mode)
    if mode & 0o077:
        directory.chmod(0o700)
        typer.echo(f"tightened the permissions of {directory} from {mode:04o} to 0700", err=True)


def _print_json(value: Any) -> None:
    typer.echo(json.dumps(value, indent=2))


def _describe(managed: ManagedKey) -> str:
    return f"{managed.kid} ({managed.alg}, published until {iso_utc(managed.exp)})"


def _new(
    directory: Annotated[Path, typer.Argument(metavar="DIR", help="Key store directory (created 0700).")],
    alg: Annotated[str, typer.Option("--alg", help="Signing algorithm of the new key.")] = "ES256",
    jwks_out: Annotated[
        Path | None,
        typer.Option("--jwks-out", help="Write the public JWKS to this file instead of stdout."),
    ] = None,
) -> None:
    """Create a key store with a new signing key; print its kid and the PUBLIC JWKS."""
    _check_alg(alg)
    store = _open(directory)
    active = store.active_key()
    if active is not None:
        raise _fail(
            f"{directory} already holds a usable key ({active.kid}); "
            f"use `ukid keys rotate {directory}` to replace it"
        )
    try:
        if directory.is_dir():
            _tighten(directory)
        managed = store.generate(alg)
    except (OSError, ValueError) as exc:
        raise _fail(f"{directory}: cannot create the key: {exc}") from None
    typer.echo(f"new key {managed.kid} ({managed.alg}) in {store.key_path(managed.kid)}", err=True)
    jwks = store.public_jwks()
    if jwks_out is None:
        _print_json(jwks)
        return
    try:
        jwks_out.write_text(json.dumps(jwks, indent=2) + "\n", encoding="utf-8")
    except OSError as exc:
        raise _fail(f"--jwks-out: cannot write {jwks_out}: {exc.strerror or exc}") from None
    typer.echo(f"wrote the public JWKS to {jwks_out}", err=True)


def _rotate(
    directory: Annotated[Path, typer.Argument(metavar="DIR", help="Key store directory.")],
    overlap: Annotated[
        str,
        typer.Option(
            "--overlap",
            help="How long the previous keys stay published: seconds, or e.g. 90m, 12h, 7d.",
        ),
    ] = f"{DEFAULT_ROTATION_OVERLAP // 86400}d",
    alg: Annotated[
        str | None, typer.Option("--alg", help="Algorithm of the new key (default: the active key's).")
    ] = None,
) -> None:
    """Make a new key active; the previous keys stay published for the overlap window."""
    try:
        seconds = parse_duration(overlap)
    except ValueError as exc:
        raise _fail(f"--overlap: {exc}", 2) from None
    _check_alg(alg)
    store = _existing(directory)
    previous = {str(key["kid"]) for key in store.public_jwks()["keys"]}
    try:
        new = store.rotate(overlap=seconds, alg=alg)
    except (OSError, ValueError) as exc:
        raise _fail(f"{directory}: cannot rotate: {exc}") from None
    typer.echo(f"new active key: {new.kid} ({new.alg}) in {store.key_path(new.kid)}")
    kept = [k for k in store.managed_keys() if k.kid in previous]
    if not kept:
        typer.echo("no previous key was published")
    for managed in kept:
        typer.echo(f"previous key: {_describe(managed)}")


def _show(
    directory: Annotated[Path, typer.Argument(metavar="DIR", help="Key store directory.")],
    historical: Annotated[
        bool,
        typer.Option("--historical", help="Every key with iat, exp and revoked: the historical keys (§8.7)."),
    ] = False,
) -> None:
    """Print the PUBLIC JWKS (or the historical keys list)."""
    store = _existing(directory)
    _print_json({"keys": store.historical_keys()} if historical else store.public_jwks())


def _import(
    directory: Annotated[Path, typer.Argument(metavar="DIR", help="Key store directory.")],
    file: Annotated[
        Path, typer.Argument(metavar="FILE", help="Private key: PEM (PKCS#8 / traditional) or JWK.")
    ],
    alg: Annotated[
        str | None,
        typer.Option("--alg", help="Algorithm (default: the JWK's alg or the key type's default)."),
    ] = None,
) -> None:
    """Add a private key from a PEM or JWK file; it becomes the active signing key."""
    _check_alg(alg)
    store = _open(directory)
    try:
        if directory.is_dir():
            _tighten(directory)
        managed = store.import_file(file, alg)
    except OSError as exc:
        raise _fail(f"cannot import {file}: {exc.strerror or exc}") from None
    except (ValueError, TypeError, KeyError, JoseError) as exc:
        raise _fail(f"cannot import {file}: {exc}") from None
    typer.echo(f"imported key {managed.kid} ({managed.alg}) into {store.key_path(managed.kid)}")
    typer.echo("it is now the active signing key; the public JWKS:")
    _print_json(store.public_jwks())


def build_keys_app() -> typer.Typer:
    """The ``ukid keys`` sub-application."""
    app = typer.Typer(help="Create, rotate, show and import federation signing keys.", no_args_is_help=True)
    app.command("new")(_new)
    app.command("rotate")(_rotate)
    app.command("show")(_show)
    app.command("import")(_import)
    return app
