"""Trust chains handed over by someone else: the ``trust_chain`` of a resolve response (OpenID
Federation 1.0 §8.3.2, §4) verified from the pinned trust anchor down, never on its word.

A resolver (the trust anchor's resolve endpoint) says which chain it found; the caller still checks
every statement: the anchor's configuration and the statement the anchor issued with the anchor's
pinned keys, each statement below with the keys the statement above it vouches for, the leaf's
configuration with the keys its superior vouches for, ``iss``/``sub`` linkage, times, ``crit``,
then the constraints and the metadata policy (:func:`federation.trust_chain.validate_chain`).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence

from joserfc.jwk import KeySet

from federation.errors import Check, FederationError, InvalidTrustChain
from federation.jose import AlgorithmPolicy, JwtType, decode_unverified, verify_jwt
from federation.statements import (
    DEFAULT_LEEWAY,
    EntityStatement,
    verify_entity_configuration,
    verify_subordinate_statement,
)
from federation.trust_chain import TrustAnchor, TrustChain, validate_chain

__all__ = ["MAX_PRESENTED_CHAIN", "verify_presented_chain", "verify_resolve_response"]

#: Statements accepted in a presented chain (a leaf, six superiors, the anchor's configuration).
MAX_PRESENTED_CHAIN = 8


def _claim(token: object, name: str) -> str:
    if not isinstance(token, str):
        raise InvalidTrustChain("a trust chain element is not a JWT string", check=Check.FORMAT)
    value = decode_unverified(token)[1].get(name)
    if not isinstance(value, str):
        raise InvalidTrustChain(f"a trust chain statement has no {name}", check=Check.FORMAT)
    return value


def verify_presented_chain(
    jwts: Sequence[object],
    anchors: Mapping[str, TrustAnchor],
    *,
    subject: str,
    now: float,
    entity_types: Collection[str] = (),
    policy: AlgorithmPolicy | None = None,
    leeway: int = DEFAULT_LEEWAY,
) -> TrustChain:
    """The chain ``jwts`` (leaf configuration first, anchor configuration last, §4) about ``subject``,
    verified against one of ``anchors`` and resolved; :class:`InvalidTrustChain` (or the failing
    statement's error) otherwise."""
    if not isinstance(jwts, Sequence) or isinstance(jwts, str) or not 2 <= len(jwts) <= MAX_PRESENTED_CHAIN:
        raise InvalidTrustChain(
            f"a trust chain is an array of 2 to {MAX_PRESENTED_CHAIN} statements", check=Check.FORMAT
        )
    anchor_id = _claim(jwts[-1], "iss")
    anchor = anchors.get(anchor_id)
    if anchor is None:
        raise InvalidTrustChain(
            f"the chain ends at {anchor_id}, not a trusted anchor", check=Check.TRUST_ANCHOR
        )
    try:
        top = verify_entity_configuration(
            str(jwts[-1]),
            entity_id=anchor_id,
            trusted_keys=anchor.keys(),
            now=now,
            policy=policy,
            leeway=leeway,
        )
        statements: list[EntityStatement] = [top]
        keys: KeySet = anchor.keys()
        issuer = anchor_id
        for token in reversed(jwts[1:-1]):
            about = _claim(token, "sub")
            statement = verify_subordinate_statement(
                str(token),
                issuer=issuer,
                subject=about,
                issuer_keys=keys,
                now=now,
                policy=policy,
                leeway=leeway,
            )
            statements.insert(0, statement)
            keys, issuer = statement.keys(), about
        if issuer != subject:
            raise InvalidTrustChain(
                f"the chain's statements are about {issuer}, not {subject}", check=Check.SUB
            )
        leaf = verify_entity_configuration(
            str(jwts[0]), entity_id=subject, trusted_keys=keys, now=now, policy=policy, leeway=leeway
        )
    except FederationError as exc:
        raise exc.in_context(f"presented trust chain of {subject}") from exc
    return validate_chain([leaf, *statements], entity_types)


def verify_resolve_response(
    token: str,
    anchor: TrustAnchor,
    *,
    subject: str,
    now: float,
    entity_types: Collection[str] = (),
    policy: AlgorithmPolicy | None = None,
    leeway: int = DEFAULT_LEEWAY,
) -> tuple[TrustChain, list[dict[str, object]]]:
    """A resolve response (§8.3.2) signed by ``anchor`` about ``subject``: its ``trust_chain`` verified
    with :func:`verify_presented_chain`, and its ``trust_marks`` (NOT verified: the caller verifies
    the ones it relies on, §7.3)."""
    claims = verify_jwt(token, anchor.keys(), JwtType.RESOLVE_RESPONSE, policy=policy).claims
    if claims.get("iss") != anchor.entity_id:
        raise InvalidTrustChain(
            f"resolve response issued by {claims.get('iss')!r}, not {anchor.entity_id}", check=Check.ISS
        )
    if claims.get("sub") != subject:
        raise InvalidTrustChain(
            f"resolve response is about {claims.get('sub')!r}, not {subject}", check=Check.SUB
        )
    iat, exp = claims.get("iat"), claims.get("exp")
    if not isinstance(iat, int) or isinstance(iat, bool) or iat > now + leeway:
        raise InvalidTrustChain(
            f"resolve response about {subject} is issued in the future or has no iat", check=Check.IAT
        )
    if not isinstance(exp, int) or exp + leeway <= now:
        raise InvalidTrustChain(f"resolve response about {subject} has expired", check=Check.EXP)
    chain = verify_presented_chain(
        claims.get("trust_chain") or [],
        {anchor.entity_id: anchor},
        subject=subject,
        now=now,
        entity_types=entity_types,
        policy=policy,
        leeway=leeway,
    )
    marks = claims.get("trust_marks")
    found = [m for m in marks if isinstance(m, dict)] if isinstance(marks, list) else []
    return chain, found
