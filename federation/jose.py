"""Signing and verification of federation JWTs on joserfc, with an algorithm allow-list.

Every kind of federation JWT has its own ``typ`` header (OpenID Federation 1.0 §3.1, §7.1, §7.2.1,
§8.3.2, §8.4.2, §8.7.2, §12.2.2) and a verifier accepts only the kind it expects, so that a
trust mark cannot be replayed as an entity statement. ``alg: none`` and HMAC are never accepted
(RFC 8725 §3.1, §3.2); the allow-list is ES256 by default.
"""

from __future__ import annotations

import base64
import binascii
import functools
import json
import weakref
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric.ec import ECDSA, EllipticCurvePublicKey
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
from joserfc import jws
from joserfc.errors import BadSignatureError, JoseError, UnsupportedHeaderError
from joserfc.jwk import ECKey, KeySet, OKPKey, RSAKey
from joserfc.util import urlsafe_b64decode

from federation.errors import Check, InvalidJwt

__all__ = [
    "ASYMMETRIC_ALGORITHMS",
    "DEFAULT_ALGORITHMS",
    "AlgorithmPolicy",
    "AnyKey",
    "JwtType",
    "VerifiedJwt",
    "decode_unverified",
    "key_matches_alg",
    "media_type",
    "sign_jwt",
    "verify_jws",
    "verify_jwt",
]

AnyKey = ECKey | RSAKey | OKPKey


class JwtType(StrEnum):
    """The ``typ`` header of each kind of federation JWT (OpenID Federation 1.0)."""

    ENTITY_STATEMENT = "entity-statement+jwt"
    TRUST_MARK = "trust-mark+jwt"
    TRUST_MARK_DELEGATION = "trust-mark-delegation+jwt"
    TRUST_MARK_STATUS_RESPONSE = "trust-mark-status-response+jwt"
    RESOLVE_RESPONSE = "resolve-response+jwt"
    JWK_SET = "jwk-set+jwt"
    EXPLICIT_REGISTRATION_RESPONSE = "explicit-registration-response+jwt"


def media_type(typ: JwtType) -> str:
    """The HTTP media type that carries a JWT of this kind (``application/`` + ``typ``)."""
    return f"application/{typ.value}"


#: Key type required by each asymmetric JWS algorithm (RFC 7518 §3.1, RFC 8037 §3.1).
ASYMMETRIC_ALGORITHMS: Mapping[str, str] = {
    "ES256": "EC",
    "ES384": "EC",
    "ES512": "EC",
    "PS256": "RSA",
    "PS384": "RSA",
    "PS512": "RSA",
    "RS256": "RSA",
    "RS384": "RSA",
    "RS512": "RSA",
    "EdDSA": "OKP",
}
_CURVES = {"ES256": "P-256", "ES384": "P-384", "ES512": "P-521"}
DEFAULT_ALGORITHMS: tuple[str, ...] = ("ES256",)


@dataclass(frozen=True)
class AlgorithmPolicy:
    """The JWS algorithms a verifier accepts; only asymmetric ones can be configured."""

    algorithms: tuple[str, ...] = DEFAULT_ALGORITHMS

    def __post_init__(self) -> None:
        if not self.algorithms:
            raise ValueError("the algorithm allow-list is empty")
        for alg in self.algorithms:
            if alg not in ASYMMETRIC_ALGORITHMS:
                raise ValueError(
                    f"algorithm {alg!r} cannot be allowed: federation JWTs use one of "
                    f"{', '.join(ASYMMETRIC_ALGORITHMS)} (never 'none' or HMAC)"
                )


@dataclass(frozen=True)
class VerifiedJwt:
    """A JWT whose ``typ``, ``alg``, ``kid`` and signature have been checked."""

    header: dict[str, Any]
    claims: dict[str, Any]
    kid: str
    #: The public key that verified the signature.
    key: AnyKey = field(repr=False)


def key_matches_alg(key: AnyKey, alg: str) -> bool:
    """Whether ``key`` can make or check an ``alg`` signature (key type and curve)."""
    kty = ASYMMETRIC_ALGORITHMS.get(alg)
    if kty is None or key.key_type != kty:
        return False
    curve = _CURVES.get(alg)
    if curve is not None and key.as_dict(private=False).get("crv") != curve:
        return False
    if alg == "EdDSA":
        return key.as_dict(private=False).get("crv") in ("Ed25519", "Ed448")
    return True


def sign_jwt(
    claims: Mapping[str, Any],
    key: AnyKey,
    typ: JwtType | str,
    *,
    alg: str = "ES256",
    extra_header: Mapping[str, Any] | None = None,
) -> str:
    """Sign ``claims`` as a compact JWS with ``typ``, ``alg`` and ``kid`` headers.

    Raises ``ValueError`` for an algorithm outside the asymmetric set or a key that does not
    match it, or a key without ``kid``.
    """
    AlgorithmPolicy((alg,))
    if not key_matches_alg(key, alg):
        raise ValueError(f"a {key.key_type} key cannot sign {alg}")
    if not key.kid:
        raise ValueError("the signing key has no kid")
    header: dict[str, Any] = dict(extra_header or {})
    header.update({"alg": alg, "typ": typ.value if isinstance(typ, JwtType) else typ, "kid": key.kid})
    payload = json.dumps(claims, separators=(",", ":"), ensure_ascii=False).encode()
    return jws.serialize_compact(header, payload, key, algorithms=[alg])


def _b64_json(segment: str, what: str) -> dict[str, Any]:
    try:
        raw = base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))
        value = json.loads(raw)
    except (binascii.Error, ValueError, UnicodeDecodeError) as exc:
        raise InvalidJwt(f"the JWT {what} is not base64url-encoded JSON", check=Check.FORMAT) from exc
    if not isinstance(value, dict):
        raise InvalidJwt(f"the JWT {what} is not a JSON object", check=Check.FORMAT)
    return value


def decode_unverified(token: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """The header and claims of a compact JWS, NOT verified: for routing and for reading the
    keys of a self-signed entity configuration before its signature is checked."""
    if not isinstance(token, str):
        raise InvalidJwt("a JWT must be a string", check=Check.FORMAT)
    parts = token.split(".")
    if len(parts) != 3 or not all(parts[:2]):
        raise InvalidJwt("not a compact JWS: expected three dot-separated parts", check=Check.FORMAT)
    return _b64_json(parts[0], "header"), _b64_json(parts[1], "payload")


def _select_key(keys: KeySet, kid: str, alg: str) -> AnyKey:
    for key in keys.keys:
        if key.kid == kid and isinstance(key, ECKey | RSAKey | OKPKey):
            if not key_matches_alg(key, alg):
                raise InvalidJwt(f"key {kid!r} cannot verify {alg} signatures", check=Check.ALG)
            return key
    raise InvalidJwt(f"no trusted key has kid {kid!r}", check=Check.KID)


def verify_jwt(
    token: str,
    keys: KeySet,
    typ: JwtType,
    *,
    policy: AlgorithmPolicy | None = None,
) -> VerifiedJwt:
    """Verify a compact JWS of kind ``typ`` with one of ``keys`` (selected by ``kid``).

    Checks, in order: three-part form, ``typ`` exactly, ``alg`` in the allow-list, no JWS
    ``crit`` header (RFC 7515 §4.1.11: none is understood), ``kid`` present and among ``keys``,
    key type matches ``alg``, signature. Time claims are checked by the caller, which knows
    which apply. Raises :class:`InvalidJwt` naming the failed :class:`Check`.
    """
    return verify_jws(token, keys, (typ.value,), policy=policy)


def verify_jws(
    token: str,
    keys: KeySet,
    typs: Collection[str | None],
    *,
    policy: AlgorithmPolicy | None = None,
    require_kid: bool = True,
) -> VerifiedJwt:
    """Verify a compact JWS whose ``typ`` header is one of ``typs`` (``None``: header absent).

    The same checks as :func:`verify_jwt`, for JWTs outside the federation's own kinds: ID tokens
    and client assertions (RFC 7523), whose ``typ`` is ``JWT`` or absent. With ``require_kid``
    false, a JWS without ``kid`` is tried against each key of ``keys`` that matches its ``alg``.

    A compact JWS whose header has only ``alg`` (ES256, ES384 or ES512, allowed), ``typ`` and ``kid``
    (naming an EC key joserfc accepts for ``alg``), within joserfc's size limits and in strict
    base64url, has its signature (RFC 7518 §3.4: ``r`` then ``s``, each the curve's size) checked with
    ``cryptography`` directly, the key's public key cached per key object: a third of joserfc's
    overhead. Every other token, and every refusal but a signature that does not verify, is decided
    by joserfc (:func:`_verify_jws_joserfc`), with the same results and refusals.
    """
    if require_kid:
        verified = _verify_ec(token, keys, typs, (policy.algorithms if policy else DEFAULT_ALGORITHMS))
        if verified is not None:
            return verified
    return _verify_jws_joserfc(token, keys, typs, policy=policy, require_kid=require_kid)


def _verify_jws_joserfc(
    token: str,
    keys: KeySet,
    typs: Collection[str | None],
    *,
    policy: AlgorithmPolicy | None,
    require_kid: bool,
) -> VerifiedJwt:
    """:func:`verify_jws` through joserfc: every check, and every refusal's words."""
    allowed = (policy or AlgorithmPolicy()).algorithms
    header, claims = decode_unverified(token)
    found_typ = header.get("typ")
    if found_typ not in typs:
        expected = " or ".join("no typ" if t is None else repr(t) for t in typs)
        raise InvalidJwt(f"JWT typ is {found_typ!r}, expected {expected}", check=Check.TYP)
    alg = header.get("alg")
    if not isinstance(alg, str) or alg.lower() == "none":
        raise InvalidJwt("unsigned JWT (alg 'none') is never accepted", check=Check.ALG)
    if alg.startswith("HS"):
        raise InvalidJwt(f"HMAC algorithm {alg!r} is never accepted for federation JWTs", check=Check.ALG)
    if alg not in allowed:
        raise InvalidJwt(f"algorithm {alg!r} is not allowed (allowed: {', '.join(allowed)})", check=Check.ALG)
    if "crit" in header:
        raise InvalidJwt(f"JWS crit header {header['crit']!r} is not understood", check=Check.JWS_CRIT)
    kid = header.get("kid")
    if kid is None and not require_kid:
        candidates = [
            k for k in keys.keys if isinstance(k, ECKey | RSAKey | OKPKey) and key_matches_alg(k, alg)
        ]
        if not candidates:
            raise InvalidJwt(f"no trusted key can verify {alg} signatures", check=Check.KID)
        for key in candidates:
            try:
                return _check_signature(token, key, alg=alg, header=header, claims=claims, kid=key.kid or "")
            except InvalidJwt as exc:
                if exc.check is not Check.SIGNATURE:
                    raise
        raise InvalidJwt(f"signature does not verify with any trusted {alg} key", check=Check.SIGNATURE)
    if not isinstance(kid, str) or not kid:
        raise InvalidJwt("JWT header has no kid", check=Check.KID)
    key = _select_key(keys, kid, alg)
    return _check_signature(token, key, alg=alg, header=header, claims=claims, kid=kid)


def _check_signature(
    token: str, key: AnyKey, *, alg: str, header: dict[str, Any], claims: dict[str, Any], kid: str
) -> VerifiedJwt:
    try:
        jws.deserialize_compact(token, key, algorithms=[alg])
    except UnsupportedHeaderError as exc:
        raise InvalidJwt(f"JWS header not supported: {exc.description}", check=Check.FORMAT) from exc
    except BadSignatureError as exc:
        raise InvalidJwt(f"signature does not verify with key {kid!r}", check=Check.SIGNATURE) from exc
    except JoseError as exc:
        raise InvalidJwt(f"JWS rejected: {exc.description or exc.error}", check=Check.SIGNATURE) from exc
    return VerifiedJwt(header=header, claims=claims, kid=kid, key=key)


# -- the ECDSA fast path of verify_jws --------------------------------------------------------
_EC_HASHES: Mapping[str, type[hashes.HashAlgorithm]] = {
    "ES256": hashes.SHA256,
    "ES384": hashes.SHA384,
    "ES512": hashes.SHA512,
}
_FAST_HEADER = frozenset({"alg", "typ", "kid"})


@dataclass(frozen=True, slots=True)
class _EcVerifier:
    """What joserfc would use to check an ``alg`` signature with one EC key, built once."""

    public_key: EllipticCurvePublicKey
    ecdsa: ECDSA
    #: Bytes of each of ``r`` and ``s`` in the JWS signature (RFC 7518 §3.4).
    size: int


#: (id of the key object, alg) -> (weak reference to the key, its verifier or None if not eligible).
_VERIFIERS: dict[tuple[int, str], tuple[weakref.ref[ECKey], _EcVerifier | None]] = {}


def _build_verifier(key: ECKey, alg: str) -> _EcVerifier | None:
    """The verifier, or None when joserfc would refuse the key for ``alg`` (type, curve, ``use``,
    ``alg``, ``key_ops``): such a key is left to joserfc, which says why."""
    if not key_matches_alg(key, alg):
        return None
    try:
        jws.JWSRegistry.algorithms[alg].check_key(key)
        public_key = key.get_op_key("verify")
    except (JoseError, ValueError, KeyError):
        return None
    if not isinstance(public_key, EllipticCurvePublicKey):
        return None
    return _EcVerifier(public_key, ECDSA(_EC_HASHES[alg]()), (key.curve_key_size + 7) // 8)


def _ec_verifier(key: ECKey, alg: str) -> _EcVerifier | None:
    """:func:`_build_verifier`, cached while the key object lives (keys are not hashable)."""
    ident = (id(key), alg)
    entry = _VERIFIERS.get(ident)
    if entry is not None and entry[0]() is key:
        return entry[1]
    verifier = _build_verifier(key, alg)

    def forget(ref: weakref.ref[ECKey]) -> None:
        if _VERIFIERS.get(ident, (None, None))[0] is ref:
            _VERIFIERS.pop(ident, None)

    _VERIFIERS[ident] = (weakref.ref(key, forget), verifier)
    return verifier


@functools.lru_cache(maxsize=64)
def _fast_header(segment: str) -> dict[str, Any] | None:
    """The JWS header of the fast path, decoded once per distinct segment (a signer's tokens share
    one), or None (left to joserfc). Callers get a copy (the cached dict is never exposed)."""
    try:  # joserfc's strict base64url (no padding, canonical last character)
        header = json.loads(urlsafe_b64decode(segment.encode()))
    except ValueError:  # binascii.Error, UnicodeDecodeError and JSONDecodeError are ValueErrors
        return None
    if not isinstance(header, dict) or not header.keys() <= _FAST_HEADER:
        return None
    return header


def _verify_ec(
    token: object, keys: KeySet, typs: Collection[str | None], allowed: tuple[str, ...]
) -> VerifiedJwt | None:
    """The fast path of :func:`verify_jws`: the verified JWT, ``InvalidJwt`` for a signature
    that does not verify, or None for any token it does not handle (left to joserfc)."""
    if not isinstance(token, str) or not token.isascii():
        return None
    parts = token.split(".")
    if len(parts) != 3:
        return None
    head, body, signature = parts
    registry = jws.JWSRegistry
    limits = (registry.max_header_length, registry.max_payload_length, registry.max_signature_length)
    if (
        len(head) > limits[0]
        or len(body) > limits[1]
        or len(signature) > limits[2]
        or len(token) > sum(limits)
    ):
        return None
    cached = _fast_header(head)
    if cached is None:
        return None
    header = dict(cached)
    try:  # UTF-8 text: where it parses, json.loads of the bytes (as verify_jws reads them) agrees
        claims = json.loads(urlsafe_b64decode(body.encode()).decode())
    except ValueError:
        return None
    if not isinstance(claims, dict):
        return None
    alg, kid = header.get("alg"), header.get("kid")
    typ = header.get("typ")
    if (
        not isinstance(alg, str)
        or alg not in _EC_HASHES
        or alg not in allowed
        or not isinstance(kid, str)
        or not kid
        or ("typ" in header and not isinstance(typ, str))
        or typ not in typs
    ):
        return None
    key = None
    for candidate in keys.keys:
        if candidate.kid == kid and isinstance(candidate, ECKey | RSAKey | OKPKey):
            key = candidate
            break
    if not isinstance(key, ECKey):
        return None
    verifier = _ec_verifier(key, alg)
    if verifier is None:
        return None
    try:
        raw = urlsafe_b64decode(signature.encode())
    except ValueError:
        raw = b""
    size = verifier.size
    if len(raw) == 2 * size:
        der = encode_dss_signature(int.from_bytes(raw[:size], "big"), int.from_bytes(raw[size:], "big"))
        try:
            verifier.public_key.verify(der, f"{head}.{body}".encode(), verifier.ecdsa)
        except InvalidSignature:
            pass
        else:
            return VerifiedJwt(header=header, claims=claims, kid=kid, key=key)
    raise InvalidJwt(f"signature does not verify with key {kid!r}", check=Check.SIGNATURE)
