"""``ukid keys new | rotate | show | import``: key files on disk, rotation overlap (OpenID Federation
1.0 §8.7 historical keys), and never a byte of private key material in any output."""

from __future__ import annotations

import json
import stat
import time
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from typer.testing import CliRunner, Result

from federation.keys import KeyStore, generate_key
from ukid.cli import build_app
from ukid.keys_cli import parse_duration

PRIVATE_MEMBERS = {"d", "p", "q", "dp", "dq", "qi", "k"}


def keys(*args: str) -> Result:
    result = CliRunner().invoke(build_app(), ["keys", *args])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.output
    return result


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def members(value: Any) -> set[str]:
    """Every member name anywhere in a JSON value."""
    if isinstance(value, dict):
        return set(value) | {m for v in value.values() for m in members(v)}
    if isinstance(value, list):
        return {m for v in value for m in members(v)}
    return set()


def private_values(directory: Path) -> list[str]:
    """The private key parameters held in the store's files."""
    store = KeyStore(directory)
    return [
        str(value)
        for managed in store.managed_keys()
        for name, value in managed.key.as_dict(private=True).items()
        if name in PRIVATE_MEMBERS
    ]


def assert_public_only(output: str, directory: Path) -> None:
    for secret in private_values(directory):
        assert secret not in output


def test_keys_new_creates_0700_directory_0600_key_file_and_prints_public_jwks(tmp_path: Path) -> None:
    directory = tmp_path / "ta-keys"
    result = keys("new", str(directory))
    assert result.exit_code == 0, result.output
    jwks = json.loads(result.stdout)
    [key] = jwks["keys"]
    assert (key["kty"], key["crv"], key["alg"], key["use"]) == ("EC", "P-256", "ES256", "sig")
    assert not members(jwks) & PRIVATE_MEMBERS
    [file] = directory.iterdir()
    assert result.stderr == f"new key {key['kid']} (ES256) in {file}\n"
    assert file.name.startswith(key["kid"])
    assert (mode(directory), mode(file)) == (0o700, 0o600)
    assert_public_only(result.output, directory)


def test_keys_new_with_jwks_out_writes_the_public_jwks_to_the_file(tmp_path: Path) -> None:
    out = tmp_path / "jwks.json"
    result = keys("new", str(tmp_path / "k"), "--alg", "EdDSA", "--jwks-out", str(out))
    assert result.exit_code == 0, result.output
    assert result.stdout == ""
    [key] = json.loads(out.read_text())["keys"]
    assert (key["kty"], key["alg"]) == ("OKP", "EdDSA")
    assert not members(key) & PRIVATE_MEMBERS


def test_keys_new_refuses_a_directory_that_already_holds_a_usable_key(tmp_path: Path) -> None:
    directory = tmp_path / "k"
    assert keys("new", str(directory)).exit_code == 0
    kid = KeyStore(directory).signing_key().kid
    result = keys("new", str(directory))
    assert result.exit_code == 1
    assert result.stderr == (
        f"Error: {directory} already holds a usable key ({kid}); use `ukid keys rotate {directory}` to replace it\n"
    )
    assert len(list(directory.iterdir())) == 1


def test_keys_new_tightens_a_directory_others_can_read(tmp_path: Path) -> None:
    directory = tmp_path / "k"
    directory.mkdir(mode=0o755)
    directory.chmod(0o755)
    result = keys("new", str(directory))
    assert result.exit_code == 0
    assert mode(directory) == 0o700
    assert f"tightened the permissions of {directory} from 0755 to 0700" in result.stderr


@pytest.mark.parametrize("alg", ["HS256", "none", "es256"])
def test_keys_new_rejects_an_unsupported_algorithm(tmp_path: Path, alg: str) -> None:
    result = keys("new", str(tmp_path / "k"), "--alg", alg)
    assert result.exit_code == 2
    assert result.stderr.startswith(f"Error: --alg: unsupported algorithm {alg!r} (one of ES256, ")
    assert not (tmp_path / "k").exists()


def test_keys_new_on_a_file_is_a_clean_error(tmp_path: Path) -> None:
    target = tmp_path / "file"
    target.write_text("x")
    result = keys("new", str(target))
    assert result.exit_code == 1
    assert result.stderr == f"Error: {target} is not a directory\n"


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("3600", 3600), ("90s", 90), ("90m", 5400), ("12h", 43200), ("7d", 604800), ("2w", 1209600), ("0", 0)],
)
def test_overlap_durations_parse_to_seconds(text: str, seconds: int) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("overlap", ["12h", "3600"])
def test_keys_rotate_keeps_previous_key_published_for_the_overlap(tmp_path: Path, overlap: str) -> None:
    directory = tmp_path / "k"
    keys("new", str(directory))
    old = KeyStore(directory).signing_key().kid
    before = int(time.time())
    result = keys("rotate", str(directory), "--overlap", overlap)
    after = int(time.time())
    assert result.exit_code == 0, result.output
    store = KeyStore(directory)
    new = store.signing_key()
    previous = next(k for k in store.managed_keys() if k.kid == old)
    assert before + parse_duration(overlap) <= previous.exp <= after + parse_duration(overlap)
    exp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(previous.exp))
    assert result.stdout.splitlines() == [
        f"new active key: {new.kid} (ES256) in {directory / (new.kid + '.private.jwk')}",
        f"previous key: {old} (ES256, published until {exp})",
    ]
    assert {k["kid"] for k in store.public_jwks()["keys"]} == {old, new.kid}
    assert all(mode(f) == 0o600 for f in directory.iterdir())
    assert mode(directory) == 0o700


@pytest.mark.parametrize("overlap", ["7x", "-1", "", "1.5h", "d", "7 days", "99999999999"])
def test_keys_rotate_rejects_bad_durations_cleanly(tmp_path: Path, overlap: str) -> None:
    directory = tmp_path / "k"
    keys("new", str(directory))
    result = keys("rotate", str(directory), "--overlap", overlap)
    assert result.exit_code == 2
    assert result.stderr == (
        f"Error: --overlap: {overlap!r} is not a duration (a whole number with s, m, h, d or w, e.g. 7d)\n"
    )
    assert len(KeyStore(directory).managed_keys()) == 1


def test_keys_rotate_an_empty_directory_says_to_create_a_key_first(tmp_path: Path) -> None:
    result = keys("rotate", str(tmp_path))
    assert result.exit_code == 1
    assert result.stderr == f"Error: {tmp_path} holds no keys: create one with `ukid keys new {tmp_path}`\n"


def test_keys_show_prints_public_jwks_and_historical_keys(tmp_path: Path) -> None:
    directory = tmp_path / "k"
    keys("new", str(directory))
    keys("rotate", str(directory), "--overlap", "0")
    store = KeyStore(directory)
    active, old = store.managed_keys()
    shown = keys("show", str(directory))
    assert shown.exit_code == 0
    assert [k["kid"] for k in json.loads(shown.stdout)["keys"]] == [active.kid]
    historical = keys("show", str(directory), "--historical")
    assert historical.exit_code == 0
    entries = json.loads(historical.stdout)["keys"]
    assert [(e["kid"], e["exp"]) for e in entries] == [(active.kid, active.exp), (old.kid, old.exp)]
    assert all({"iat", "exp"} <= set(e) for e in entries)
    for output in (shown.stdout, historical.stdout):
        assert not members(json.loads(output)) & PRIVATE_MEMBERS
        assert_public_only(output, directory)


def test_keys_show_a_corrupt_key_file_is_a_clean_error(tmp_path: Path) -> None:
    (tmp_path / "abc.private.jwk").write_text("{not json")
    result = keys("show", str(tmp_path))
    assert result.exit_code == 1
    assert result.stderr.startswith(f"Error: {tmp_path}/")
    assert ": not a key file written by this key store (" in result.stderr


def _pem(key: ec.EllipticCurvePrivateKey | ed25519.Ed25519PrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


@pytest.mark.parametrize(
    ("name", "content", "alg"),
    [
        ("ec.pem", lambda: _pem(ec.generate_private_key(ec.SECP256R1())), "ES256"),
        ("ed.pem", lambda: _pem(ed25519.Ed25519PrivateKey.generate()), "EdDSA"),
        ("ec.jwk", lambda: json.dumps(generate_key("ES256").as_dict(private=True)).encode(), "ES256"),
    ],
)
def test_keys_import_adds_a_pem_or_jwk_private_key_as_the_active_key(
    tmp_path: Path, name: str, content: Any, alg: str
) -> None:
    directory = tmp_path / "k"
    keys("new", str(directory))
    source = tmp_path / name
    source.write_bytes(content())
    result = keys("import", str(directory), str(source))
    assert result.exit_code == 0, result.output
    store = KeyStore(directory)
    active = store.signing_key()
    assert active.alg == alg
    lines = result.stdout.splitlines()
    assert lines[:2] == [
        f"imported key {active.kid} ({alg}) into {directory / (active.kid + '.private.jwk')}",
        "it is now the active signing key; the public JWKS:",
    ]
    jwks = json.loads("\n".join(lines[2:]))
    assert [k["kid"] for k in jwks["keys"]] == [k.kid for k in store.managed_keys()]
    assert not members(jwks) & PRIVATE_MEMBERS
    assert_public_only(result.output, directory)
    assert all(mode(f) == 0o600 for f in directory.iterdir())


def test_keys_import_with_alg_that_does_not_fit_the_key_is_a_clean_error(tmp_path: Path) -> None:
    source = tmp_path / "ec.pem"
    source.write_bytes(_pem(ec.generate_private_key(ec.SECP256R1())))
    result = keys("import", str(tmp_path / "k"), str(source), "--alg", "EdDSA")
    assert result.exit_code == 1
    assert result.stderr == f"Error: cannot import {source}: {source}: a EC key cannot sign EdDSA\n"


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (None, "No such file or directory"),
        (b"hello", "neither a PEM nor a JWK file"),
        (b'{"kty": "EC", "crv": "P-256"}', ""),
        (b"[1]", ""),
    ],
)
def test_keys_import_rejects_what_is_not_a_private_key(
    tmp_path: Path, content: bytes | None, reason: str
) -> None:
    source = tmp_path / "key"
    if content is not None:
        source.write_bytes(content)
    result = keys("import", str(tmp_path / "k"), str(source))
    assert result.exit_code == 1
    assert result.stderr.startswith(f"Error: cannot import {source}: ")
    assert reason in result.stderr
    assert len(result.stderr.splitlines()) == 1


def test_keys_import_rejects_a_public_key(tmp_path: Path) -> None:
    key = ec.generate_private_key(ec.SECP256R1()).public_key()
    source = tmp_path / "pub.pem"
    source.write_bytes(
        key.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    )
    result = keys("import", str(tmp_path / "k"), str(source))
    assert result.exit_code == 1
    assert result.stderr.startswith(f"Error: cannot import {source}: ")
