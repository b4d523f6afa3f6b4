"""Federation keys: RFC 7638 thumbprint kids, rotation with overlap, OpenID Federation 1.0 §8.7
historical keys, private key files written 0600 and never shown."""

from __future__ import annotations

import base64
import hashlib
import json
import stat
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

from federation.jose import JwtType, verify_jwt
from federation.keys import KeyStore, generate_key, load_private_key_file, sign_historical_keys

PRIVATE_MEMBERS = {"d", "p", "q", "dp", "dq", "qi"}


class Clock:
    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


def rfc7638_thumbprint(jwk: dict[str, str]) -> str:
    """RFC 7638 §3.2, computed independently: required members, sorted, no whitespace."""
    required = {"EC": ("crv", "kty", "x", "y"), "RSA": ("e", "kty", "n"), "OKP": ("crv", "kty", "x")}[
        jwk["kty"]
    ]
    canonical = json.dumps({m: jwk[m] for m in required}, separators=(",", ":"), sort_keys=True)
    return base64.urlsafe_b64encode(hashlib.sha256(canonical.encode()).digest()).rstrip(b"=").decode()


@pytest.mark.parametrize("alg", ["ES256", "PS256", "EdDSA"])
def test_rfc7638_kid_is_the_jwk_thumbprint(alg: str) -> None:
    store = KeyStore()
    managed = store.generate(alg)
    published = store.public_jwks()["keys"][0]
    assert managed.kid == published["kid"] == rfc7638_thumbprint(published)
    assert published["alg"] == alg
    assert published["use"] == "sig"


def test_default_key_is_ec_p256_for_es256() -> None:
    published = KeyStore.open(None).public_jwks()["keys"][0]
    assert (published["kty"], published["crv"], published["alg"]) == ("EC", "P-256", "ES256")


def test_private_key_files_are_0600_in_a_0700_directory(tmp_path: Path) -> None:
    directory = tmp_path / "keys"
    store = KeyStore.open(directory)
    store.rotate(overlap=60)
    files = list(directory.iterdir())
    assert len(files) == 2
    assert stat.S_IMODE(directory.stat().st_mode) == 0o700
    assert all(stat.S_IMODE(f.stat().st_mode) == 0o600 for f in files)
    assert all(f.name.endswith(".private.jwk") for f in files)


def test_keys_survive_a_restart(tmp_path: Path) -> None:
    clock = Clock()
    first = KeyStore.open(tmp_path, clock=clock)
    old = first.signing_key().kid
    new = first.rotate(overlap=3600).kid
    again = KeyStore(tmp_path, clock=clock)
    assert again.signing_key().kid == new
    assert {k["kid"] for k in again.public_jwks()["keys"]} == {old, new}
    assert again.historical_keys() == first.historical_keys()


def test_rotation_keeps_the_previous_key_published_for_the_overlap() -> None:
    clock = Clock()
    store = KeyStore.open(None, clock=clock)
    old = store.signing_key()
    new = store.rotate(overlap=600)
    assert store.signing_key().kid == new.kid
    token = store.sign({"iss": "x"}, JwtType.ENTITY_STATEMENT)
    assert verify_jwt(token, store.key_set(), JwtType.ENTITY_STATEMENT).kid == new.kid
    assert [k["kid"] for k in store.public_jwks()["keys"]] == [new.kid, old.kid]
    clock.now += 601
    assert [k["kid"] for k in store.public_jwks()["keys"]] == [new.kid]


def test_rotation_in_the_same_second_still_switches_keys() -> None:
    store = KeyStore.open(None, clock=Clock())
    for _ in range(5):
        new = store.rotate(overlap=10)
        assert store.signing_key().kid == new.kid


def test_8_7_historical_keys_carry_iat_exp_and_revoked() -> None:
    clock = Clock()
    store = KeyStore.open(None, clock=clock)
    first = store.signing_key()
    clock.now += 10
    second = store.rotate(overlap=100)
    store.revoke(first.kid, "compromised")
    history = {k["kid"]: k for k in store.historical_keys()}
    assert history[second.kid]["iat"] == int(clock.now)
    assert history[second.kid]["exp"] == int(clock.now) + 365 * 86400
    assert "revoked" not in history[second.kid]
    assert history[first.kid]["exp"] == int(clock.now) + 100
    assert history[first.kid]["revoked"] == {"revoked_at": int(clock.now), "reason": "compromised"}
    assert [k["kid"] for k in store.public_jwks()["keys"]] == [second.kid]


def test_8_7_3_revoking_every_key_leaves_nothing_to_sign_with() -> None:
    store = KeyStore.open(None)
    store.revoke(store.signing_key().kid)
    with pytest.raises(LookupError, match="no usable signing key"):
        store.signing_key()
    assert store.public_jwks() == {"keys": []}
    with pytest.raises(KeyError, match="no key with kid 'nope'"):
        store.revoke("nope")


def test_private_material_never_leaves_the_store(tmp_path: Path) -> None:
    store = KeyStore.open(tmp_path)
    store.rotate()
    shown = (
        json.dumps([store.public_jwks(), store.historical_keys()]) + repr(store) + repr(store.managed_keys())
    )
    assert not PRIVATE_MEMBERS & {m for k in store.public_jwks()["keys"] for m in k}
    assert not PRIVATE_MEMBERS & {m for k in store.historical_keys() for m in k}
    private_d = json.loads(next(tmp_path.iterdir()).read_text())["jwk"]["d"]
    assert private_d not in shown


def pem(key: ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey | ed25519.Ed25519PrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


@pytest.mark.parametrize(
    ("make", "alg"),
    [
        (lambda: ec.generate_private_key(ec.SECP256R1()), "ES256"),
        (lambda: rsa.generate_private_key(public_exponent=65537, key_size=2048), "PS256"),
        (ed25519.Ed25519PrivateKey.generate, "EdDSA"),
    ],
)
def test_keys_load_from_pem(tmp_path: Path, make: object, alg: str) -> None:
    path = tmp_path / "key.pem"
    path.write_bytes(pem(make()))  # type: ignore[operator]
    store = KeyStore()
    managed = store.import_file(path)
    assert managed.alg == alg
    assert managed.kid == rfc7638_thumbprint(managed.public_jwk())


def test_keys_load_from_a_jwk_file_with_its_alg(tmp_path: Path) -> None:
    key = generate_key("ES256")
    path = tmp_path / "key.jwk"
    path.write_text(json.dumps(key.as_dict(private=True) | {"alg": "ES256", "kid": "ignored"}))
    loaded, alg = load_private_key_file(path)
    assert (loaded.kid, alg) == (key.kid, "ES256")


def test_public_key_file_is_not_a_signing_key(tmp_path: Path) -> None:
    path = tmp_path / "pub.jwk"
    path.write_text(json.dumps(generate_key().as_dict(private=False)))
    with pytest.raises(ValueError, match="holds a public key"):
        load_private_key_file(path)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"hello", "neither a PEM nor a JWK file"),
        (b"[1]", "neither a PEM nor a JWK file"),
        (b'{"x": 1}', "not a JWK"),
    ],
)
def test_unreadable_key_files_are_refused(tmp_path: Path, content: bytes, message: str) -> None:
    path = tmp_path / "bad"
    path.write_bytes(content)
    with pytest.raises(ValueError, match=message):
        load_private_key_file(path)


def test_key_must_match_the_algorithm(tmp_path: Path) -> None:
    path = tmp_path / "key.pem"
    path.write_bytes(pem(ec.generate_private_key(ec.SECP256R1())))
    with pytest.raises(ValueError, match="a EC key cannot sign PS256"):
        load_private_key_file(path, "PS256")


def test_the_same_key_cannot_be_added_twice() -> None:
    store = KeyStore()
    key = generate_key()
    store.add(key, "ES256")
    with pytest.raises(ValueError, match="already in the store"):
        store.add(key, "ES256")


def test_8_7_2_historical_keys_are_served_as_a_signed_jwk_set() -> None:
    clock = Clock()
    store = KeyStore.open(None, clock=clock)
    old = store.signing_key()
    store.rotate(overlap=0)
    store.revoke(old.kid, "superseded")
    token = sign_historical_keys(store, "https://ta.example")
    verified = verify_jwt(token, store.key_set(), JwtType.JWK_SET)
    assert verified.header["typ"] == "jwk-set+jwt"
    assert verified.claims["iss"] == "https://ta.example"
    assert verified.claims["iat"] == int(clock.now)
    assert [k["kid"] for k in verified.claims["keys"]] == [k.kid for k in store.managed_keys()]
    assert verified.claims["keys"][1]["revoked"]["reason"] == "superseded"


def test_an_existing_wider_directory_is_tightened_to_0700(tmp_path: Path) -> None:
    directory = tmp_path / "keys"
    directory.mkdir(mode=0o755)
    directory.chmod(0o755)
    store = KeyStore.open(directory)
    assert stat.S_IMODE(directory.stat().st_mode) == 0o700
    assert store.key_path(store.signing_key().kid).exists()


def test_a_corrupt_key_file_is_reported_with_its_path(tmp_path: Path) -> None:
    (tmp_path / "broken.private.jwk").write_text("{not json")
    with pytest.raises(ValueError, match=r"broken\.private\.jwk: not a key file written by this key store"):
        KeyStore(tmp_path)


def test_an_in_memory_store_has_no_key_files() -> None:
    with pytest.raises(LookupError, match="in memory only"):
        KeyStore.open(None).key_path("x")
