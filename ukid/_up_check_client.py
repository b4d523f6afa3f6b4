"""The conformance checker's static client at the sample identity provider (``ukid up`` and the
end-to-end test stack): ``ukid check idp ... --client-id ukid-check --client-key KEY``.

:func:`ensure_check_client` keeps, in one directory (mode 0700), the checker's private key
(``client-key.json``, a private JWK, mode 0600, generated once) and the static clients file the
provider reads (``static-clients.json``, ``UKID_IDP_STATIC_CLIENTS_FILE``) with its public key
and loopback redirect URIs (RFC 8252 §7.3). Running it again changes nothing unless the redirect
URIs differ; the key is never replaced (``ukid up --reset`` deletes the directory).
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from federation.keys import generate_key

__all__ = [
    "CHECK_CLIENT_ID",
    "CHECK_DIRECTORY",
    "CHECK_REDIRECT_URI",
    "CheckClient",
    "ensure_check_client",
]

CHECK_CLIENT_ID = "ukid-check"
#: Under the ``ukid up`` data directory.
CHECK_DIRECTORY = "check"
CHECK_REDIRECT_URI = "http://127.0.0.1:8765/callback"
KEY_FILE = "client-key.json"
CLIENTS_FILE = "static-clients.json"
_ALG = "ES256"


@dataclass(frozen=True)
class CheckClient:
    """Where the checker's client lives: its key file, the provider's static clients file."""

    client_id: str
    key_file: Path
    clients_file: Path
    redirect_uris: tuple[str, ...]


def _write(path: Path, data: dict[str, Any], mode: int) -> None:
    temporary = path.with_suffix(".tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump(data, handle, indent=2)
        handle.write("\n")
    temporary.replace(path)


def _private_jwk(key_file: Path) -> dict[str, Any]:
    try:
        data = json.loads(key_file.read_text(encoding="utf-8"))
    except FileNotFoundError:
        data = None
    except (OSError, ValueError) as exc:
        raise ValueError(f"{key_file} is not a private JWK ({exc}): delete it to make a new one") from exc
    if data is None:
        key = generate_key(_ALG)
        data = {**key.as_dict(private=True), "kid": key.kid, "alg": _ALG, "use": "sig"}
        _write(key_file, data, 0o600)
    if not isinstance(data, dict) or "d" not in data:
        raise ValueError(f"{key_file} is not a private JWK: delete it to make a new one")
    return data


def ensure_check_client(
    directory: Path, redirect_uris: Sequence[str] = (CHECK_REDIRECT_URI,), *, client_id: str = CHECK_CLIENT_ID
) -> CheckClient:
    """The checker's key and the static clients file in ``directory``, made when missing."""
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    key_file, clients_file = directory / KEY_FILE, directory / CLIENTS_FILE
    private = _private_jwk(key_file)
    public = {name: value for name, value in private.items() if name not in ("d", "p", "q", "dp", "dq", "qi")}
    entry = {
        "client_id": client_id,
        "client_name": "ukid check (conformance checker)",
        "organization_name": "ukid-interop conformance checks",
        "redirect_uris": list(redirect_uris),
        "token_endpoint_auth_method": "private_key_jwt",
        "jwks": {"keys": [public]},
        "id_token_signed_response_alg": "ES256",
        "grant_types": ["authorization_code"],
        "scope": "openid",
    }
    wanted = {"clients": [entry]}
    try:
        current = json.loads(clients_file.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        current = None
    if current != wanted:
        _write(clients_file, wanted, 0o644)
    return CheckClient(client_id, key_file, clients_file, tuple(redirect_uris))
