"""How the ``ukid registry`` administration commands reach a registry's admin API over HTTP, and
the options and output helpers they share.

A call goes to ``{registry entity ID}/admin{path}`` with the admin bearer token; a refusal prints the
registry's ``error: error_description`` (OpenID Federation 1.0 §8.9) and exits 1, an unreachable
registry prints why and exits 1, and a missing or malformed option exits 2. Remote text is printed
with non-printable characters replaced, so a hostile answer cannot drive the terminal.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlsplit

import httpx
import typer

from ukid.keys_cli import parse_duration

__all__ = [
    "Admin",
    "EntityArgument",
    "JsonOption",
    "RegistryOption",
    "TokenOption",
    "admin_api",
    "echo",
    "fail",
    "http_client",
    "json_file",
    "print_json",
    "seconds",
    "table",
    "text",
]

_TIMEOUT = 30.0
_MESSAGE_LIMIT = 500
_LOOPBACK = ("127.0.0.1", "localhost", "::1")

RegistryOption = Annotated[
    str | None,
    typer.Option(
        "--registry",
        envvar="UKID_REGISTRY_URL",
        help="The registry's entity ID, e.g. https://registry.example.gov.uk.",
        show_default=False,
    ),
]
TokenOption = Annotated[
    str | None,
    typer.Option(
        "--token",
        envvar="UKID_REGISTRY_ADMIN_TOKEN",
        help="Admin bearer token. Prefer the variable: a command line is visible to other users.",
        show_default=False,
    ),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print the registry's JSON answer.")]
EntityArgument = Annotated[
    str, typer.Argument(metavar="ENTITY_ID", help="Entity ID of the subordinate.", show_default=False)
]


def http_client() -> httpx.Client:
    """The HTTP client of one command (tests replace this function)."""
    return httpx.Client(timeout=_TIMEOUT, follow_redirects=False)


def _clean(message: str) -> str:
    """Remote text for the terminal: non-printable characters become ``?``, long text is cut."""
    cleaned = "".join(ch if ch.isprintable() else "?" for ch in message)
    return cleaned if len(cleaned) <= _MESSAGE_LIMIT else cleaned[:_MESSAGE_LIMIT] + "..."


def echo(line: str) -> None:
    """Print a line of remote text to stdout, non-printable characters replaced."""
    typer.echo("".join(ch if ch.isprintable() else "?" for ch in line))


def fail(message: str, code: int = 1) -> typer.Exit:
    """Print ``Error: message`` to stderr; raise the returned exit (1, or 2 for a bad option)."""
    typer.echo(f"Error: {_clean(message)}", err=True)
    return typer.Exit(code)


@dataclass(frozen=True)
class Admin:
    """Where the admin API is and how to authenticate to it."""

    registry: str
    token: str

    def call(self, method: str, path: str, body: Any = None, **params: str | None) -> dict[str, Any]:
        """The JSON object the registry answers at ``{registry}/admin{path}``, or exit 1 saying why."""
        data = self._request(method, path, body, params)
        if not isinstance(data, dict):
            raise fail(f"{method} {self.registry}/admin{path}: the answer is not a JSON object")
        return data

    def call_list(self, path: str, **params: str | None) -> list[dict[str, Any]]:
        """The JSON array of objects the registry answers to ``GET {registry}/admin{path}``."""
        data = self._request("GET", path, None, params)
        if not isinstance(data, list) or not all(isinstance(item, dict) for item in data):
            raise fail(f"GET {self.registry}/admin{path}: the answer is not a JSON array of objects")
        return data

    def _request(self, method: str, path: str, body: Any, params: dict[str, str | None]) -> Any:
        url = f"{self.registry}/admin{path}"
        query = {name: value for name, value in params.items() if value is not None}
        headers = {"Authorization": f"Bearer {self.token}", "Accept": "application/json"}
        try:
            with http_client() as client:
                response = client.request(method, url, json=body, params=query or None, headers=headers)
        except (httpx.HTTPError, httpx.InvalidURL) as exc:
            reason = str(exc) or type(exc).__name__
            raise fail(f"cannot reach the registry at {self.registry}: {reason}") from None
        try:
            data = response.json()
        except ValueError:
            data = None
        if response.is_success and data is not None:
            return data
        if isinstance(data, dict) and isinstance(data.get("error"), str):
            raise fail(f"{data['error']}: {data.get('error_description') or '(no description)'}")
        what = "an answer that is not JSON" if response.is_success else "no registry error body"
        raise fail(f"{method} {url}: HTTP {response.status_code} {response.reason_phrase}, {what}")


def admin_api(registry: str | None, token: str | None) -> Admin:
    """Check ``--registry`` and ``--token``; a missing or malformed one exits 2."""
    if not registry:
        raise fail("--registry: no registry given: pass --registry URL or set UKID_REGISTRY_URL", 2)
    parts = urlsplit(registry)
    if parts.scheme not in ("https", "http") or not parts.hostname or parts.query or parts.fragment:
        raise fail(f"--registry: {registry!r} is not an entity ID (an https URL with no query)", 2)
    if not token:
        raise fail("--token: no admin token given: set UKID_REGISTRY_ADMIN_TOKEN (or pass --token TOKEN)", 2)
    if not all(33 <= ord(ch) < 127 for ch in token):
        raise fail("--token: an admin token is printable ASCII with no spaces", 2)
    if parts.scheme == "http" and parts.hostname not in _LOOPBACK:
        typer.echo(f"Warning: the admin token goes over plain http to {parts.hostname}", err=True)
    return Admin(registry.rstrip("/"), token)


def json_file(option: str, path: Path) -> dict[str, Any]:
    """A JSON object read from ``path``; exits 2 when it cannot be read or is not an object."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise fail(f"{option}: cannot read {path}: {exc.strerror or exc}", 2) from None
    except (UnicodeDecodeError, ValueError) as exc:
        raise fail(f"{option}: {path} is not JSON: {exc}", 2) from None
    if not isinstance(data, dict):
        raise fail(f"{option}: {path} must hold a JSON object", 2)
    return data


def seconds(option: str, value: str) -> int:
    """Seconds in a duration option (``90m``, ``12h``, ``7d``); exits 2 when it is not one."""
    try:
        return parse_duration(value)
    except ValueError as exc:
        raise fail(f"{option}: {exc}", 2) from None


def print_json(value: Any) -> None:
    """Print a JSON answer (non-ASCII escaped, so nothing in it can drive the terminal)."""
    typer.echo(json.dumps(value, indent=2))


def text(value: Any) -> str:
    """A value of an answer as a table cell: ``-`` when empty, lists joined by commas."""
    if value is None or value in ("", []):
        return "-"
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return str(value)


def table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> None:
    """Columns padded to their widest cell, two spaces apart."""
    widths = [max(len(row[i]) for row in (headers, *rows)) for i in range(len(headers))]
    for row in (headers, *rows):
        echo("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip())
