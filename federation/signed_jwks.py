"""The signed JWK set behind ``signed_jwks_uri`` (OpenID Federation 1.0 §5.2.1.1).

An entity may publish its protocol keys (ID token signing keys of an OpenID provider, client
assertion keys of a relying party) as a JWT of type ``jwk-set+jwt`` signed with its *federation*
keys, so the protocol keys are tied to its trust chain. Claims: ``keys`` (the JWK set), ``iss`` and
``sub`` (the entity), and optionally ``iat`` and ``exp``.
"""

from __future__ import annotations

from typing import Any

from joserfc.jwk import KeySet

from federation.errors import Check, InvalidJwt
from federation.jose import JwtType, verify_jwt
from federation.statements import DEFAULT_LEEWAY, key_set

__all__ = ["verify_signed_jwk_set"]

_QUOTE = 200


def _quoted(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= _QUOTE else text[:_QUOTE] + "..."


def _number(claims: dict[str, Any], name: str) -> float | None:
    value = claims.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InvalidJwt(f"signed JWK set {name} is not a number ({_quoted(value)})", check=Check(name))
    return float(value)


def verify_signed_jwk_set(
    token: str, federation_keys: KeySet, entity_id: str, *, now: float, leeway: int = DEFAULT_LEEWAY
) -> KeySet:
    """The protocol keys of ``entity_id`` from its signed JWK set, or :class:`InvalidJwt`.

    Checks, in order: the JWS (``typ`` ``jwk-set+jwt``, ``alg``, ``kid`` among ``federation_keys``,
    signature), ``iss`` is ``entity_id``, ``sub`` (when present) is ``entity_id``, ``iat`` not in the
    future and ``exp`` not passed (``leeway`` seconds of skew), ``keys`` a JWK set.
    """
    claims = verify_jwt(token, federation_keys, JwtType.JWK_SET).claims
    if claims.get("iss") != entity_id:
        raise InvalidJwt(
            f"signed JWK set is issued by {_quoted(claims.get('iss'))}, not {entity_id}", check=Check.ISS
        )
    if "sub" in claims and claims["sub"] != entity_id:
        raise InvalidJwt(
            f"signed JWK set is about {_quoted(claims.get('sub'))}, not {entity_id}", check=Check.SUB
        )
    iat = _number(claims, "iat")
    if iat is not None and iat > now + leeway:
        raise InvalidJwt(f"signed JWK set is issued in the future (iat {int(iat)})", check=Check.IAT)
    exp = _number(claims, "exp")
    if exp is not None and exp <= now - leeway:
        raise InvalidJwt(f"signed JWK set expired (exp {int(exp)})", check=Check.EXP)
    keys = claims.get("keys")
    if not isinstance(keys, list):
        raise InvalidJwt("signed JWK set has no keys array", check=Check.JWKS)
    try:
        return key_set({"keys": keys})
    except (ValueError, TypeError) as exc:
        raise InvalidJwt(
            f"signed JWK set keys cannot be used ({str(exc).splitlines()[0][:_QUOTE]})", check=Check.JWKS
        ) from exc
