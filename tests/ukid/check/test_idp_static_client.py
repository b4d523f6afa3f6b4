"""The conformance checker's static client at the sample provider (``ukid up``): a private key made once
(mode 0600) and a static clients file the provider loads (``private_key_jwt``, RFC 7523), unchanged
by a restart, named in the provider's environment, deleted by ``--reset``; a damaged key is named
with the fix before anything starts."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest

from idp.core.clients import ClientKind, load_static_clients
from ukid._up_check_client import CHECK_CLIENT_ID, CHECK_REDIRECT_URI, ensure_check_client
from ukid._up_data import DataDir, UpError
from ukid._up_services import SERVICES, Ports, command, entity_ids
from ukid.check.client_options import load_client_key

IDS = entity_ids(Ports())
OPTIONS = {s.key: s.option for s in SERVICES}


def test_rfc7523_2_2_the_key_is_made_once_and_the_provider_loads_the_client(tmp_path: Path) -> None:
    made = ensure_check_client(tmp_path / "check")
    key_text = made.key_file.read_text()
    clients_text = made.clients_file.read_text()
    assert stat.S_IMODE(made.key_file.stat().st_mode) == 0o600
    assert stat.S_IMODE((tmp_path / "check").stat().st_mode) == 0o700
    again = ensure_check_client(tmp_path / "check")
    assert (again.key_file.read_text(), again.clients_file.read_text()) == (key_text, clients_text)
    client = load_static_clients(made.clients_file, development=False)[CHECK_CLIENT_ID]
    assert (client.kind, client.token_endpoint_auth_method) == (ClientKind.STATIC, "private_key_jwt")
    assert client.redirect_uris == (CHECK_REDIRECT_URI,)
    key, alg = load_client_key(str(made.key_file))
    assert alg == "ES256"
    assert client.jwks is not None and client.jwks.get_by_kid(key.kid) is not None
    published = json.loads(clients_text)["clients"][0]["jwks"]["keys"][0]
    assert "d" not in published


def test_rfc8252_7_3_other_redirect_uris_rewrite_the_clients_file_but_keep_the_key(tmp_path: Path) -> None:
    first = ensure_check_client(tmp_path)
    key_text = first.key_file.read_text()
    second = ensure_check_client(tmp_path, (CHECK_REDIRECT_URI, "http://127.0.0.1:9999/callback"))
    assert second.key_file.read_text() == key_text
    loaded = load_static_clients(second.clients_file, development=False)[CHECK_CLIENT_ID]
    assert loaded.redirect_uris == (CHECK_REDIRECT_URI, "http://127.0.0.1:9999/callback")


def test_issue9_ukid_up_gives_the_provider_the_static_clients_file(tmp_path: Path) -> None:
    idp = next(s for s in SERVICES if s.key == "idp")
    _args, env = command(idp, Ports(), tmp_path)
    assert env["UKID_IDP_STATIC_CLIENTS_FILE"] == str((tmp_path / "check" / "static-clients.json").absolute())
    assert (tmp_path / "check" / "client-key.json").is_file()
    council = next(s for s in SERVICES if s.key == "council")
    assert "UKID_IDP_STATIC_CLIENTS_FILE" not in command(council, Ports(), tmp_path)[1]


def test_issue9_reset_deletes_the_checker_client(tmp_path: Path) -> None:
    data = DataDir(tmp_path / "data")
    data.prepare(IDS)
    ensure_check_client(data.path / "check")
    deleted = data.reset()
    assert data.path / "check" in deleted
    assert not (data.path / "check").exists()


def test_issue9_a_damaged_checker_key_is_named_with_the_fix(tmp_path: Path) -> None:
    data = DataDir(tmp_path / "data")
    data.prepare(IDS)
    made = ensure_check_client(data.path / "check")
    made.key_file.write_text('{"kty": "EC"}')
    with pytest.raises(UpError) as err:
        data.check(IDS, OPTIONS)
    assert str(err.value) == (
        f"the conformance checker's key {made.key_file} is not a private JWK: delete it (a new one is made) "
        "or run `ukid up --reset`"
    )
