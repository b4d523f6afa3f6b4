"""``verify_jws`` with its ECDSA fast path: the checks, results and refusals of the joserfc path (RFC
7515 compact JWS, RFC 8725 §3.1-3.2 allow-list, no ``none``, no HMAC), with ECDSA signatures (RFC 7518
§3.4: ``r`` then ``s``, each the curve's size) checked by ``cryptography`` directly. Each case is run
through both."""

from __future__ import annotations

import base64
import gc
import json
from collections.abc import Callable
from typing import Any

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric.ec import ECDSA, EllipticCurvePrivateKey
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
from joserfc.jwk import ECKey, KeySet, OctKey

from federation import jose
from federation.errors import Check, InvalidJwt
from federation.jose import AlgorithmPolicy, VerifiedJwt, sign_jwt, verify_jws
from federation.keys import generate_key, public_jwk

CLAIMS = {"iss": "https://idp.example", "sub": "subject-1", "aud": "https://rp.example", "iat": 1}
TYPS = ("JWT", None)
KEY = generate_key()
KEY384 = generate_key("ES384")
KEY521 = generate_key("ES512")
RSA = generate_key("PS256")
ES256_ES384 = AlgorithmPolicy(("ES256", "ES384"))
_HASHES = {"ES256": hashes.SHA256(), "ES384": hashes.SHA384(), "ES512": hashes.SHA512()}
_SIZES = {"ES256": 32, "ES384": 48, "ES512": 66}


def b64(value: Any) -> str:
    raw = value if isinstance(value, bytes) else json.dumps(value, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def keyset(*entries: dict[str, Any]) -> KeySet:
    return KeySet.import_key_set({"keys": list(entries)})


def jwk(key: Any, alg: str = "ES256", **changes: Any) -> dict[str, Any]:
    data = public_jwk(key, alg)
    data.update(changes)
    return {name: value for name, value in data.items() if value is not None}


KEYS = keyset(jwk(KEY))


def der_signature(key: Any, signing_input: str, alg: str = "ES256") -> bytes:
    private = key.private_key
    assert isinstance(private, EllipticCurvePrivateKey)
    return private.sign(signing_input.encode(), ECDSA(_HASHES[alg]))


def signed(header: dict[str, Any], claims: Any = CLAIMS, key: Any = KEY, alg: str = "ES256") -> str:
    """A compact JWS with any header, signed with ``key`` by hand (``alg`` names the hash and size)."""
    signing_input = f"{b64(header)}.{b64(claims)}"
    r, s = decode_dss_signature(der_signature(key, signing_input, alg))
    size = _SIZES[alg]
    return f"{signing_input}.{b64(r.to_bytes(size, 'big') + s.to_bytes(size, 'big'))}"


def header(**changes: Any) -> dict[str, Any]:
    found = {"alg": "ES256", "typ": "JWT", "kid": KEY.kid}
    found.update(changes)
    return {name: value for name, value in found.items() if value is not None}


def with_signature(token: str, signature: bytes | str) -> str:
    head, body, _ = token.split(".")
    return f"{head}.{body}.{signature if isinstance(signature, str) else b64(signature)}"


def raw_signature(token: str) -> bytes:
    segment = token.split(".")[2]
    return base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))


GOOD = signed(header())
IMPOSTOR = ECKey.import_key(dict(generate_key().as_dict(private=True)), {"kid": str(KEY.kid)})
SIGNATURE_FAILS = (Check.SIGNATURE, f"signature does not verify with key {KEY.kid!r}")
LONG_KID = ECKey.import_key(dict(KEY.as_dict(private=True)), {"kid": "k" * 400})
KID_348 = ECKey.import_key(dict(KEY.as_dict(private=True)), {"kid": "k" * 348})  # a 512-byte header

Outcome = VerifiedJwt | tuple[Check | None, str]


def joserfc_path(
    token: Any, keys: KeySet, typs: Any, *, policy: AlgorithmPolicy | None = None, require_kid: bool = True
) -> VerifiedJwt:
    """The joserfc path alone, the reference the fast path must agree with."""
    return jose._verify_jws_joserfc(token, keys, typs, policy=policy, require_kid=require_kid)


def outcome(verify: Callable[..., VerifiedJwt], token: Any, keys: KeySet, **options: Any) -> Outcome:
    try:
        return verify(token, keys, TYPS, **options)
    except InvalidJwt as exc:
        return (exc.check, exc.description)


# (token, keys, options, refusal or None when the token verifies)
CASES: dict[str, tuple[Any, KeySet, dict[str, Any], tuple[Check, str] | None]] = {
    "es256": (GOOD, KEYS, {}, None),
    "es256 without typ": (signed(header(typ=None)), KEYS, {}, None),
    "es384": (
        signed(header(kid=KEY384.kid, alg="ES384"), key=KEY384, alg="ES384"),
        keyset(jwk(KEY384, "ES384")),
        {"policy": AlgorithmPolicy(("ES384",))},
        None,
    ),
    "es512": (
        signed(header(kid=KEY521.kid, alg="ES512"), key=KEY521, alg="ES512"),
        keyset(jwk(KEY521, "ES512")),
        {"policy": AlgorithmPolicy(("ES512",))},
        None,
    ),
    "ps256 (not ECDSA)": (
        sign_jwt(CLAIMS, RSA, "JWT", alg="PS256"),
        keyset(jwk(RSA, "PS256")),
        {"policy": AlgorithmPolicy(("PS256",))},
        None,
    ),
    "payload in UTF-16": (signed(header(), json.dumps(CLAIMS).encode("utf-16")), KEYS, {}, None),
    "payload with a UTF-8 BOM": (
        signed(header(), b"\xef\xbb\xbf" + json.dumps(CLAIMS).encode()),
        KEYS,
        {},
        None,
    ),
    "cty header": (sign_jwt(CLAIMS, KEY, "JWT", extra_header={"cty": "JWT"}), KEYS, {}, None),
    "oct key of the same kid first": (
        GOOD,
        keyset(dict(OctKey.generate_key(256, parameters={"kid": str(KEY.kid)}).as_dict()), jwk(KEY)),
        {},
        None,
    ),
    "no kid, require_kid false": (signed(header(kid=None)), KEYS, {"require_kid": False}, None),
    "bad signature": (signed(header(), key=IMPOSTOR), KEYS, {}, SIGNATURE_FAILS),
    "signature over other claims": (
        with_signature(signed(header(), {**CLAIMS, "sub": "mallory"}), raw_signature(GOOD)),
        KEYS,
        {},
        SIGNATURE_FAILS,
    ),
    "signature 63 bytes": (with_signature(GOOD, raw_signature(GOOD)[:-1]), KEYS, {}, SIGNATURE_FAILS),
    "signature 65 bytes": (with_signature(GOOD, raw_signature(GOOD) + b"\0"), KEYS, {}, SIGNATURE_FAILS),
    "signature empty": (with_signature(GOOD, ""), KEYS, {}, SIGNATURE_FAILS),
    "signature not base64url": (with_signature(GOOD, "%%%%"), KEYS, {}, SIGNATURE_FAILS),
    "signature padded": (with_signature(GOOD, GOOD.split(".")[2] + "=="), KEYS, {}, SIGNATURE_FAILS),
    "signature DER-encoded": (
        with_signature(GOOD, der_signature(KEY, GOOD.rsplit(".", 1)[0])),
        KEYS,
        {},
        SIGNATURE_FAILS,
    ),
    "unknown kid": (
        signed(header(kid="another-key")),
        KEYS,
        {},
        (Check.KID, "no trusted key has kid 'another-key'"),
    ),
    "no kid": (signed(header(kid=None)), KEYS, {}, (Check.KID, "JWT header has no kid")),
    "kid a number": (signed(header(kid=5)), KEYS, {}, (Check.KID, "JWT header has no kid")),
    "alg none": (
        f"{b64(header(alg='none'))}.{b64(CLAIMS)}.",
        KEYS,
        {},
        (Check.ALG, "unsigned JWT (alg 'none') is never accepted"),
    ),
    "alg HS256": (
        f"{b64(header(alg='HS256'))}.{b64(CLAIMS)}.{b64(b'mac')}",
        KEYS,
        {},
        (Check.ALG, "HMAC algorithm 'HS256' is never accepted for federation JWTs"),
    ),
    "ES384 header, P-256 key": (
        signed(header(alg="ES384"), alg="ES256"),
        KEYS,
        {"policy": ES256_ES384},
        (Check.ALG, f"key {KEY.kid!r} cannot verify ES384 signatures"),
    ),
    "ES384 not allowed": (
        signed(header(alg="ES384")),
        KEYS,
        {},
        (Check.ALG, "algorithm 'ES384' is not allowed (allowed: ES256)"),
    ),
    "ES384 not allowed, P-384 key": (
        signed(header(kid=KEY384.kid, alg="ES384"), key=KEY384, alg="ES384"),
        keyset(jwk(KEY384, "ES384")),
        {},
        (Check.ALG, "algorithm 'ES384' is not allowed (allowed: ES256)"),
    ),
    "typ of another kind": (
        signed(header(typ="entity-statement+jwt")),
        KEYS,
        {},
        (Check.TYP, "JWT typ is 'entity-statement+jwt', expected 'JWT' or no typ"),
    ),
    "crit": (
        signed(header(crit=["exp"], exp=1)),
        KEYS,
        {},
        (Check.JWS_CRIT, "JWS crit header ['exp'] is not understood"),
    ),
    "unknown header member": (
        signed(header(foo="bar")),
        KEYS,
        {},
        (Check.FORMAT, "JWS header not supported: Unsupported {'foo'} in header"),
    ),
    "typ null": (
        signed(header() | {"typ": None}),
        KEYS,
        {},
        (Check.SIGNATURE, "JWS rejected: 'typ' in header must be a str"),
    ),
    "header too long": (
        signed(header(kid=LONG_KID.kid), key=LONG_KID),
        keyset(jwk(LONG_KID)),
        {},
        (Check.SIGNATURE, "JWS rejected: Header size exceeds 512 bytes."),
    ),
    "token too long, each part within its limit": (
        with_signature(signed(header(kid=KID_348.kid), {"pad": "x" * 95_990}, key=KID_348), "A" * 1024),
        keyset(jwk(KID_348)),
        {},
        (Check.SIGNATURE, "JWS rejected: Value size exceeds 129536 bytes."),
    ),
    "payload padded": (
        f"{b64(header())}.{b64(CLAIMS)}=.{GOOD.split('.')[2]}",
        KEYS,
        {},
        (Check.SIGNATURE, "JWS rejected: Invalid payload"),
    ),
    "key for encryption": (
        GOOD,
        keyset(jwk(KEY, use="enc")),
        {},
        (Check.SIGNATURE, "JWS rejected: This key is designed to be used for 'enc'"),
    ),
    "key for ES384": (
        GOOD,
        keyset(jwk(KEY, alg="ES384")),
        {},
        (Check.SIGNATURE, "JWS rejected: This key is designed for algorithm 'ES384'"),
    ),
    "key only for signing": (
        GOOD,
        keyset(jwk(KEY, use=None, key_ops=["sign"])),
        {},
        (Check.SIGNATURE, "JWS rejected: Unsupported key_op 'verify'"),
    ),
    "truncated": (
        GOOD[: len(GOOD) // 2],
        KEYS,
        {},
        (Check.FORMAT, "not a compact JWS: expected three dot-separated parts"),
    ),
    "garbage": (
        "not-a-jwt",
        KEYS,
        {},
        (Check.FORMAT, "not a compact JWS: expected three dot-separated parts"),
    ),
    "garbage in three parts": (
        "%%%.e30.sig",
        KEYS,
        {},
        (Check.FORMAT, "the JWT header is not base64url-encoded JSON"),
    ),
    "not ASCII": (
        "é" + GOOD,
        KEYS,
        {},
        (Check.FORMAT, "the JWT header is not base64url-encoded JSON"),
    ),
    "payload not an object": (
        signed(header(), [1, 2]),
        KEYS,
        {},
        (Check.FORMAT, "the JWT payload is not a JSON object"),
    ),
    "bytes": (GOOD.encode(), KEYS, {}, (Check.FORMAT, "a JWT must be a string")),
}


@pytest.mark.parametrize("name", list(CASES))
def test_rfc7515_verify_jws_decides_as_its_joserfc_path(name: str) -> None:
    token, keys, options, refusal = CASES[name]
    fast = outcome(verify_jws, token, keys, **options)
    assert fast == outcome(joserfc_path, token, keys, **options)
    if refusal is None:
        assert isinstance(fast, VerifiedJwt)
        assert fast.claims == CLAIMS
    else:
        assert fast == refusal


def test_rfc7518_3_4_ecdsa_is_checked_without_joserfc(monkeypatch: pytest.MonkeyPatch) -> None:
    def not_called(*args: Any, **kwargs: Any) -> VerifiedJwt:
        raise AssertionError("the joserfc path was called")

    monkeypatch.setattr(jose, "_verify_jws_joserfc", not_called)
    verified = verify_jws(GOOD, KEYS, TYPS)
    assert verified.header == header()
    assert verified.kid == KEY.kid
    assert verified.key is KEYS.keys[0]
    token, keys, _, refusal = CASES["bad signature"]
    assert outcome(verify_jws, token, keys) == refusal


def test_a_verified_header_is_the_callers_own_copy() -> None:
    verify_jws(GOOD, KEYS, TYPS).header["kid"] = "changed"
    assert verify_jws(GOOD, KEYS, TYPS).header == header()


def test_the_verifier_of_a_key_is_forgotten_with_the_key() -> None:
    key = generate_key()
    keys = keyset(jwk(key))
    ident = (id(keys.keys[0]), "ES256")
    verify_jws(signed(header(kid=key.kid), key=key), keys, TYPS)
    assert ident in jose._VERIFIERS
    del keys
    gc.collect()
    assert ident not in jose._VERIFIERS
