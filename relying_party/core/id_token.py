"""ID token validation (OpenID Connect Core §3.1.3.7) and the Vectors of Trust it carries (RFC 8485).

In order, each failure a :class:`LoginError` (``invalid_id_token``) whose ``check`` names the step:

1. the JWS: ``typ`` ``JWT`` or absent, ``alg`` in the allow-list (never ``none`` or HMAC), ``kid``
   among the provider's keys, signature (``federation.jose.verify_jws``) - checks ``alg``, ``kid``,
   ``signature``;
2. the claims, by authlib's ``CodeIDToken`` (Core §3.1.3.7 steps 2-11): ``iss`` exactly the
   provider's issuer, ``aud`` containing the client ID (and no other audience without ``azp``),
   ``azp`` the client ID when present, ``exp`` not passed, ``iat`` not in the future, ``nonce`` the
   one sent, ``at_hash`` matching the access token when present (§3.1.3.8), ``sub`` present - with
   ``leeway`` seconds of clock skew;
3. ``vot`` (RFC 8485 §5): present when a ``vtr`` was sent, a vector that satisfies one of the
   requested vectors; ``vtm`` a trustmark the relying party trusts for this provider that allows
   the ``vot`` (``schemas.vot.trusted_pair``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from authlib.jose.errors import ExpiredTokenError, InvalidClaimError, InvalidTokenError, MissingClaimError
from authlib.oidc.core import CodeIDToken
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


def _claims_failure(claims: dict[str, Any], expected: Expected, exc: Exception, now: float) -> LoginError:
    if isinstance(exc, ExpiredTokenError):
        return _refuse("exp", f"it expired at {claims.get('exp')} (now {int(now)})")
    if isinstance(exc, MissingClaimError | InvalidClaimError):
        name = exc.claim_name
        if name == "iss":
            return _refuse("iss", f"iss is {_shown(claims.get('iss'))}, expected {expected.issuer!r}")
        if name == "aud":
            return _refuse("aud", f"aud is {_shown(claims.get('aud'))}, expected {expected.client_id!r}")
        if name == "nonce":
            return _refuse("nonce", "its nonce is not the one this login sent")
        if name == "at_hash":
            return _refuse("at_hash", "at_hash does not match the access token")
        if name == "azp":
            return _refuse("azp", f"azp is {_shown(claims.get('azp'))}, expected {expected.client_id!r}")
        what = (
            "is missing" if isinstance(exc, MissingClaimError) else f"is invalid ({_shown(claims.get(name))})"
        )
        return _refuse(name, f"{name} {what}")
    if isinstance(exc, InvalidTokenError) and "future" in str(exc.description):
        return _refuse("iat", f"it was issued in the future (iat {claims.get('iat')}, now {int(now)})")
    return _refuse("claims", str(getattr(exc, "description", exc)))


def validate_id_token(token: str, keys: KeySet, expected: Expected, *, now: float) -> dict[str, Any]:
    """The ID token's claims after steps 1 and 2 of the module documentation, or :class:`LoginError`."""
    try:
        verified = verify_jws(token, keys, ("JWT", None), policy=AlgorithmPolicy(expected.algorithms))
    except InvalidJwt as exc:
        raise _refuse(exc.check.value if exc.check else "signature", exc.description) from exc
    claims = verified.claims
    for name in ("exp", "iat"):
        if not isinstance(claims.get(name), int) or isinstance(claims.get(name), bool):
            raise _refuse(name, f"{name} is missing or not a number")
    if not isinstance(claims.get("sub"), str) or not claims["sub"]:
        raise _refuse("sub", "sub is missing")
    options = {
        "iss": {"essential": True, "value": expected.issuer},
        "aud": {"essential": True, "value": expected.client_id},
        "nonce": {"essential": True},
    }
    params = {"nonce": expected.nonce, "client_id": expected.client_id, "access_token": expected.access_token}
    checked = CodeIDToken(claims, verified.header, options, params)
    try:
        checked.validate(now=int(now), leeway=expected.leeway)
    except (MissingClaimError, InvalidClaimError, ExpiredTokenError, InvalidTokenError) as exc:
        raise _claims_failure(claims, expected, exc, now) from exc
    if "nonce" not in claims:
        raise _refuse("nonce", "its nonce is missing")
    if isinstance(claims["aud"], list) and len(claims["aud"]) > 1 and claims.get("azp") != expected.client_id:
        raise _refuse("azp", "it has several audiences and azp is not this client")
    return claims


def check_vot(
    claims: dict[str, Any], vtr: Sequence[str], *, issuer: str, trustmark: Trustmark | None
) -> Vector | None:
    """Step 3: the ``vot`` within the requested ``vtr`` and allowed by the trusted ``vtm``.

    ``trustmark`` is the document of the token's ``vtm`` once the caller has checked it is trusted
    (``None`` when it is not: the caller passes the reason through ``LoginError`` first)."""
    vot_text = claims.get("vot")
    if not vtr:
        return Vector.parse(vot_text) if isinstance(vot_text, str) else None
    if vot_text is None:
        raise _refuse("vot", "it has no vot, but the login asked for a vector of trust")
    try:
        vot = Vector.parse(vot_text)
        requested = parse_vtr(list(vtr))
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
    try:
        trusted_pair(vtm, vot, {vtm: trustmark}, issuer=issuer)
    except UntrustedVotError as exc:
        raise _refuse("vtm", str(exc)) from exc
    return vot
