"""ID token validation (OpenID Connect Core §3.1.3.7) and the Vectors of Trust it carries (RFC 8485).

In order, each failure a :class:`LoginError` (``invalid_id_token``) whose ``check`` names the step:

1. the JWS: ``typ`` ``JWT`` or absent, ``alg`` in the allow-list (never ``none`` or HMAC), ``kid``
   among the provider's keys, signature (``federation.jose.verify_jws``, ECDSA checked with
   ``cryptography`` directly) - checks ``format``,
   ``typ``, ``alg``, ``jws_crit``, ``kid``, ``signature``;
2. the claims (Core §3.1.3.7 steps 2-11), checked here: ``iss`` exactly the provider's issuer,
   ``aud`` containing the client ID (a string or an array of strings) and no other audience unless
   ``azp`` is the client ID, ``azp`` the client ID when present, ``exp`` not passed and ``iat`` and
   ``nbf`` not in the future (with ``leeway`` seconds of clock skew), ``nonce`` present and the one
   sent, ``at_hash`` matching the access token when both are present (§3.1.3.8), ``sub`` a
   non-empty string, ``auth_time`` a number when present;
3. ``vot`` (RFC 8485 §5): present when a ``vtr`` was sent, a vector that satisfies one of the
   requested vectors; ``vtm`` a trustmark the relying party trusts for this provider that allows
   the ``vot`` (``schemas.vot.trusted_pair``).
"""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from joserfc.jwk import KeySet

from federation.errors import InvalidJwt
from federation.jose import AlgorithmPolicy, verify_jws
from relying_party.core.errors import LoginError, Refusal
from schemas.vot import (
    Trustmark,
    UntrustedVotError,
    Vector,
    VectorError,
    parse_vtr,
    trusted_pair,
    vot_matching,
)

__all__ = ["Expected", "check_vot", "validate_id_token"]

_SHOWN = 120


@dataclass(frozen=True)
class Expected:
    """What the ID token of one login must say."""

    issuer: str
    client_id: str
    nonce: str
    algorithms: tuple[str, ...] = ("ES256",)
    access_token: str | None = None
    leeway: int = 60


def _refuse(check: str, description: str) -> LoginError:
    return LoginError(Refusal.INVALID_ID_TOKEN, f"the ID token was refused: {description}", check=check)


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= _SHOWN else text[:_SHOWN] + "..."


_HASHES = {"256": hashlib.sha256, "384": hashlib.sha384, "512": hashlib.sha512}


def _left_hash(value: str, alg: str) -> str | None:
    """Core §3.1.3.6: base64url of the left half of the hash of ``value`` (the hash of ``alg``)."""
    function = _HASHES.get(alg[-3:])
    if function is None:
        return None
    digest = function(value.encode("ascii", "replace")).digest()
    return base64.urlsafe_b64encode(digest[: len(digest) // 2]).rstrip(b"=").decode()


def _is_number(value: Any) -> bool:
    """A NumericDate (RFC 7519 §2): a JSON number, finite (``NaN`` would never expire)."""
    if isinstance(value, bool):
        return False
    return isinstance(value, int) or (isinstance(value, float) and math.isfinite(value))


def _check_claims(claims: dict[str, Any], header: dict[str, Any], expected: Expected, now: float) -> None:
    """Core §3.1.3.7 steps 2-11 (module documentation, step 2)."""
    for name in ("exp", "iat"):
        if not _is_number(claims.get(name)):
            raise _refuse(name, f"{name} is missing or not a number")
    if not isinstance(claims.get("sub"), str) or not claims["sub"]:
        raise _refuse("sub", "sub is missing")
    if claims.get("iss") != expected.issuer:
        raise _refuse("iss", f"iss is {_shown(claims.get('iss'))}, expected {expected.issuer!r}")
    aud = claims.get("aud")
    audiences = [aud] if isinstance(aud, str) else aud
    if (
        not isinstance(audiences, list)
        or not all(isinstance(a, str) for a in audiences)
        or expected.client_id not in audiences
    ):
        raise _refuse("aud", f"aud is {_shown(aud)}, expected {expected.client_id!r}")
    azp = claims.get("azp")
    if azp is not None and azp != expected.client_id:
        raise _refuse("azp", f"azp is {_shown(azp)}, expected {expected.client_id!r}")
    if len(set(audiences)) > 1 and azp is None:
        raise _refuse("azp", "it has several audiences and no azp naming this client")
    if claims["exp"] <= now - expected.leeway:
        raise _refuse("exp", f"it expired at {claims['exp']} (now {int(now)})")
    if claims["iat"] > now + expected.leeway:
        raise _refuse("iat", f"it was issued in the future (iat {claims['iat']}, now {int(now)})")
    nbf = claims.get("nbf")
    if nbf is not None and (not _is_number(nbf) or nbf > now + expected.leeway):
        raise _refuse("nbf", f"it is not valid before {_shown(nbf)} (now {int(now)})")
    if "auth_time" in claims and not _is_number(claims["auth_time"]):
        raise _refuse("auth_time", f"auth_time is invalid ({_shown(claims['auth_time'])})")
    nonce = claims.get("nonce")
    if nonce is None:
        raise _refuse("nonce", "its nonce is missing")
    if not isinstance(nonce, str) or not hmac.compare_digest(nonce.encode(), expected.nonce.encode()):
        raise _refuse("nonce", "its nonce is not the one this login sent")
    at_hash = claims.get("at_hash")
    if at_hash is not None and expected.access_token is not None:
        wanted = _left_hash(expected.access_token, str(header.get("alg")))
        if (
            not isinstance(at_hash, str)
            or wanted is None
            or not hmac.compare_digest(at_hash.encode(), wanted.encode())
        ):
            raise _refuse("at_hash", "at_hash does not match the access token")


@functools.lru_cache(maxsize=32)
def _policy(algorithms: tuple[str, ...]) -> AlgorithmPolicy:
    return AlgorithmPolicy(algorithms)


def validate_id_token(token: str, keys: KeySet, expected: Expected, *, now: float) -> dict[str, Any]:
    """The ID token's claims after steps 1 and 2 of the module documentation, or :class:`LoginError`."""
    try:
        verified = verify_jws(token, keys, ("JWT", None), policy=_policy(expected.algorithms))
    except InvalidJwt as exc:
        raise _refuse(exc.check.value if exc.check else "signature", exc.description) from exc
    _check_claims(verified.claims, verified.header, expected, now)
    return verified.claims


# A login's vtr, the vot values and the trustmark verdicts recur: parsed and judged once (immutable).
@functools.lru_cache(maxsize=64)
def _requested(vtr: tuple[str, ...]) -> tuple[Vector, ...]:
    return parse_vtr(list(vtr))


@functools.lru_cache(maxsize=256)
def _vector(text: str) -> Vector:
    return Vector.parse(text)


@functools.lru_cache(maxsize=256)
def _vtm_refusal(vtm: str, vot: Vector, trustmark: Trustmark, issuer: str) -> str | None:
    try:
        trusted_pair(vtm, vot, {vtm: trustmark}, issuer=issuer)
    except UntrustedVotError as exc:
        return str(exc)
    return None


def check_vot(
    claims: dict[str, Any], vtr: Sequence[str], *, issuer: str, trustmark: Trustmark | None
) -> Vector | None:
    """Step 3: the ``vot`` within the requested ``vtr`` and allowed by the trusted ``vtm``.

    ``trustmark`` is the document of the token's ``vtm`` once the caller has checked it is trusted
    (``None`` when it is not: the caller passes the reason through ``LoginError`` first)."""
    vot_text = claims.get("vot")
    if not vtr:
        try:
            return _vector(vot_text) if isinstance(vot_text, str) else None
        except VectorError as exc:
            raise _refuse("vot", f"vot {_shown(vot_text)} is not a vector of trust ({exc})") from exc
    if vot_text is None:
        raise _refuse("vot", "it has no vot, but the login asked for a vector of trust")
    try:
        vot = _vector(vot_text) if isinstance(vot_text, str) else Vector.parse(vot_text)
        requested = _requested(tuple(vtr)) if all(isinstance(v, str) for v in vtr) else parse_vtr(list(vtr))
    except VectorError as exc:
        raise _refuse("vot", f"vot {_shown(vot_text)} is not a vector of trust ({exc})") from exc
    if vot_matching(vot, requested) is None:
        raise _refuse("vot", f"vot {vot.render()!r} is not within the requested vtr {list(vtr)}")
    vtm = claims.get("vtm")
    if not isinstance(vtm, str) or trustmark is None:
        raise _refuse(
            "vtm",
            "it has no vtm trustmark URL" if not isinstance(vtm, str) else f"vtm {vtm!r} is not trusted",
        )
    reason = _vtm_refusal(vtm, vot, trustmark, issuer)
    if reason is not None:
        raise _refuse("vtm", reason)
    return vot
