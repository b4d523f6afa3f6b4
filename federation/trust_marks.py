"""Trust marks: issue, verify and ask their status (OpenID Federation 1.0 §7, §8.4).

A trust mark is a ``trust-mark+jwt`` signed by its issuer. It is accepted only if the trust
anchor lists the issuer for its type in ``trust_mark_issuers``, carries a valid
``trust-mark-delegation+jwt`` from the owner when the type is in ``trust_mark_owners``, names the
expected subject and type, and has not expired (§7.3). Revocation is learnt from the issuer's
status endpoint, whose answer is a signed ``trust-mark-status-response+jwt`` (§8.4).
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from joserfc.jwk import KeySet
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from federation.errors import Check, FederationError, InvalidJwt, InvalidTrustMark
from federation.http import TRUST_MARK_STATUS_MEDIA_TYPE, FederationFetcher
from federation.jose import AlgorithmPolicy, JwtType, decode_unverified, verify_jwt
from federation.keys import KeyStore
from federation.resolver import TrustChainResolver
from federation.statements import DEFAULT_LEEWAY, EntityStatement, NumericDate, key_set
from federation.trust_chain import TrustChain

__all__ = [
    "TrustMark",
    "TrustMarkStatus",
    "issue_delegation",
    "issue_trust_mark",
    "parse_status_response",
    "request_status",
    "sign_status_response",
    "verify_delegation",
    "verify_in_federation",
    "verify_trust_mark",
]


class TrustMarkStatus(StrEnum):
    """``status`` of a trust mark status response (§8.4.2)."""

    ACTIVE = "active"
    EXPIRED = "expired"
    REVOKED = "revoked"
    INVALID = "invalid"


class _Claims(BaseModel):
    model_config = ConfigDict(frozen=True, extra="allow", strict=True)


class TrustMark(_Claims):
    """The claims of a verified trust mark (§7.1)."""

    iss: str = Field(min_length=1)
    sub: str = Field(min_length=1)
    trust_mark_type: str = Field(min_length=1)
    iat: NumericDate
    exp: NumericDate | None = None
    logo_uri: str | None = None
    ref: str | None = None
    delegation: str | None = None


class _Delegation(_Claims):
    iss: str = Field(min_length=1)
    sub: str = Field(min_length=1)
    trust_mark_type: str = Field(min_length=1)
    iat: NumericDate
    exp: NumericDate | None = None


class _StatusResponse(_Claims):
    iss: str = Field(min_length=1)
    iat: NumericDate
    trust_mark: str = Field(min_length=1)
    status: str = Field(min_length=1)


def _times(
    what: str, iat: int, exp: int | None, *, now: float, leeway: int, error: type[FederationError]
) -> None:
    if iat > now + leeway:
        raise error(f"{what} is issued in the future (iat {iat})", check=Check.IAT)
    if exp is not None and exp <= now - leeway:
        raise error(f"{what} expired (exp {exp})", check=Check.EXP)


def _parse(model: type[_Claims], claims: dict[str, Any], what: str) -> Any:
    try:
        return model.model_validate(claims)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise InvalidTrustMark(f"malformed {what}: {where}: {first['msg']}", check=Check.CLAIMS) from exc


def issue_trust_mark(
    keys: KeyStore,
    *,
    issuer: str,
    subject: str,
    trust_mark_type: str,
    iat: int,
    lifetime: int | None = 365 * 86400,
    logo_uri: str | None = None,
    ref: str | None = None,
    delegation: str | None = None,
) -> str:
    """A signed trust mark (§7.1); ``lifetime=None`` issues one without ``exp``."""
    claims: dict[str, Any] = {"iss": issuer, "sub": subject, "trust_mark_type": trust_mark_type, "iat": iat}
    if lifetime is not None:
        claims["exp"] = iat + lifetime
    for name, value in (("logo_uri", logo_uri), ("ref", ref), ("delegation", delegation)):
        if value is not None:
            claims[name] = value
    return keys.sign(claims, JwtType.TRUST_MARK)


def issue_delegation(
    owner_keys: KeyStore,
    *,
    owner: str,
    issuer: str,
    trust_mark_type: str,
    iat: int,
    lifetime: int | None = None,
    ref: str | None = None,
) -> str:
    """A delegation (§7.2.1) by the owner of ``trust_mark_type`` allowing ``issuer`` to issue it."""
    claims: dict[str, Any] = {"iss": owner, "sub": issuer, "trust_mark_type": trust_mark_type, "iat": iat}
    if lifetime is not None:
        claims["exp"] = iat + lifetime
    if ref is not None:
        claims["ref"] = ref
    return owner_keys.sign(claims, JwtType.TRUST_MARK_DELEGATION)


def verify_delegation(
    token: str,
    *,
    anchor: EntityStatement,
    mark: TrustMark,
    now: float,
    policy: AlgorithmPolicy | None = None,
    leeway: int = DEFAULT_LEEWAY,
) -> None:
    """The delegation in ``mark`` is signed by the owner the anchor names, for this issuer and type."""
    owner = (anchor.trust_mark_owners or {})[mark.trust_mark_type]
    try:
        verified = verify_jwt(token, key_set(owner.jwks), JwtType.TRUST_MARK_DELEGATION, policy=policy)
    except InvalidJwt as exc:
        raise InvalidTrustMark(f"delegation: {exc.description}", check=Check.DELEGATION) from exc
    delegation: _Delegation = _parse(_Delegation, verified.claims, "delegation")
    if delegation.iss != owner.sub:
        raise InvalidTrustMark(
            f"delegation is issued by {delegation.iss}, the owner of {mark.trust_mark_type} is {owner.sub}",
            check=Check.DELEGATION,
        )
    if delegation.sub != mark.iss:
        raise InvalidTrustMark(
            f"delegation is for {delegation.sub}, the trust mark is issued by {mark.iss}",
            check=Check.DELEGATION,
        )
    if delegation.trust_mark_type != mark.trust_mark_type:
        raise InvalidTrustMark(
            f"delegation is for trust mark type {delegation.trust_mark_type}", check=Check.DELEGATION
        )
    try:
        _times("delegation", delegation.iat, delegation.exp, now=now, leeway=leeway, error=InvalidTrustMark)
    except InvalidTrustMark as exc:
        raise InvalidTrustMark(exc.description, check=Check.DELEGATION) from exc


def verify_trust_mark(
    token: str,
    *,
    anchor: EntityStatement,
    issuer_keys: KeySet,
    now: float,
    subject: str,
    trust_mark_type: str | None = None,
    policy: AlgorithmPolicy | None = None,
    leeway: int = DEFAULT_LEEWAY,
    require_listed_type: bool = True,
) -> TrustMark:
    """Verify a trust mark held by ``subject`` against the trust anchor's configuration (§7.3).

    ``issuer_keys`` are the issuer's federation keys, taken from its resolved trust chain (or
    the anchor's pinned keys when the anchor issued it). Issuers: a type listed in the anchor's
    ``trust_mark_issuers`` with an empty array may be issued by anyone (§3); otherwise the
    issuer must be listed. A type in neither ``trust_mark_issuers`` nor ``trust_mark_owners``
    is refused unless ``require_listed_type`` is false (a federation policy, §17.5; this
    federation's default). Revocation is not checked here: ask with :func:`request_status`.
    """
    try:
        verified = verify_jwt(token, issuer_keys, JwtType.TRUST_MARK, policy=policy)
    except InvalidJwt as exc:
        raise InvalidTrustMark(f"trust mark: {exc.description}", check=exc.check) from exc
    mark: TrustMark = _parse(TrustMark, verified.claims, "trust mark")
    if trust_mark_type is not None and mark.trust_mark_type != trust_mark_type:
        raise InvalidTrustMark(
            f"trust mark is of type {mark.trust_mark_type}, expected {trust_mark_type}",
            check=Check.TRUST_MARK_TYPE,
        )
    if mark.sub != subject:
        raise InvalidTrustMark(f"trust mark is about {mark.sub}, expected {subject}", check=Check.SUB)
    _times(
        f"trust mark {mark.trust_mark_type}",
        mark.iat,
        mark.exp,
        now=now,
        leeway=leeway,
        error=InvalidTrustMark,
    )
    allowed = (anchor.trust_mark_issuers or {}).get(mark.trust_mark_type)
    owned = mark.trust_mark_type in (anchor.trust_mark_owners or {})
    if allowed is None and not owned and require_listed_type:
        raise InvalidTrustMark(
            f"trust anchor {anchor.sub} does not recognise trust mark type {mark.trust_mark_type}",
            check=Check.TRUST_MARK_ISSUER,
        )
    if allowed and mark.iss not in allowed:
        raise InvalidTrustMark(
            f"trust anchor {anchor.sub} does not allow {mark.iss} to issue {mark.trust_mark_type}",
            check=Check.TRUST_MARK_ISSUER,
        )
    if not owned and mark.delegation is not None:
        raise InvalidTrustMark(
            f"trust mark carries a delegation, but trust anchor {anchor.sub} names no owner "
            f"for {mark.trust_mark_type}",
            check=Check.DELEGATION,
        )
    if owned:
        if mark.delegation is None:
            raise InvalidTrustMark(
                f"trust mark type {mark.trust_mark_type} has an owner, "
                "and the trust mark carries no delegation",
                check=Check.DELEGATION,
            )
        verify_delegation(mark.delegation, anchor=anchor, mark=mark, now=now, policy=policy, leeway=leeway)
    return mark


def sign_status_response(
    keys: KeyStore, *, issuer: str, trust_mark: str, status: TrustMarkStatus, iat: int
) -> str:
    """A trust mark status response (§8.4.2)."""
    claims = {"iss": issuer, "iat": iat, "trust_mark": trust_mark, "status": status.value}
    return keys.sign(claims, JwtType.TRUST_MARK_STATUS_RESPONSE)


def parse_status_response(
    token: str,
    *,
    issuer: str,
    issuer_keys: KeySet,
    trust_mark: str,
    now: float,
    policy: AlgorithmPolicy | None = None,
    leeway: int = DEFAULT_LEEWAY,
) -> TrustMarkStatus:
    """Verify a status response from ``issuer`` about ``trust_mark`` and return the status."""
    try:
        verified = verify_jwt(token, issuer_keys, JwtType.TRUST_MARK_STATUS_RESPONSE, policy=policy)
    except InvalidJwt as exc:
        raise InvalidTrustMark(f"status response: {exc.description}", check=exc.check) from exc
    response: _StatusResponse = _parse(_StatusResponse, verified.claims, "status response")
    if response.iss != issuer:
        raise InvalidTrustMark(
            f"status response is issued by {response.iss}, expected {issuer}", check=Check.ISS
        )
    if response.trust_mark != trust_mark:
        raise InvalidTrustMark("status response is about another trust mark", check=Check.STATUS)
    _times("status response", response.iat, None, now=now, leeway=leeway, error=InvalidTrustMark)
    try:
        return TrustMarkStatus(response.status)
    except ValueError as exc:
        raise InvalidTrustMark(f"unknown trust mark status {response.status!r}", check=Check.STATUS) from exc


async def request_status(
    fetcher: FederationFetcher,
    issuer: EntityStatement,
    trust_mark: str,
    *,
    now: float,
    policy: AlgorithmPolicy | None = None,
    leeway: int = DEFAULT_LEEWAY,
) -> TrustMarkStatus:
    """Ask the issuer's ``federation_trust_mark_status_endpoint`` about ``trust_mark`` (§8.4).

    ``issuer`` is the issuer's verified entity configuration (its keys sign the answer).
    """
    endpoint = (
        (issuer.metadata or {}).get("federation_entity", {}).get("federation_trust_mark_status_endpoint")
    )
    if not isinstance(endpoint, str) or not endpoint:
        raise InvalidTrustMark(
            f"{issuer.sub} publishes no federation_trust_mark_status_endpoint", check=Check.FETCH_ENDPOINT
        )
    try:
        token = await fetcher.post_form_jwt(
            endpoint, {"trust_mark": trust_mark}, media_type=TRUST_MARK_STATUS_MEDIA_TYPE
        )
    except FederationError as exc:
        raise InvalidTrustMark(
            f"trust mark status from {issuer.sub}: {exc.description}", check=exc.check, detail=exc.detail
        ) from exc
    return parse_status_response(
        token,
        issuer=issuer.sub,
        issuer_keys=issuer.keys(),
        trust_mark=trust_mark,
        now=now,
        policy=policy,
        leeway=leeway,
    )


async def verify_in_federation(
    token: str,
    resolver: TrustChainResolver,
    fetcher: FederationFetcher,
    *,
    trust_anchor: str,
    subject: str,
    trust_mark_type: str | None = None,
    check_status: bool = True,
) -> TrustMark:
    """Verify a trust mark within the federation of ``trust_anchor`` (§7.3), end to end.

    The issuer's keys come from its resolved trust chain (the anchor's pinned keys when the anchor
    issued it); the anchor's ``trust_mark_issuers`` / ``trust_mark_owners`` come from the anchor's
    verified configuration; with ``check_status`` the issuer's status endpoint must answer
    ``active`` (a revoked or expired mark raises :class:`InvalidTrustMark` with ``check=status``).
    """
    _header, claims = decode_unverified(token)
    issuer = claims.get("iss")
    if not isinstance(issuer, str) or not issuer:
        raise InvalidTrustMark("malformed trust mark: iss: missing", check=Check.CLAIMS)
    try:
        issuer_chain: TrustChain = await resolver.resolve(issuer, trust_anchor=trust_anchor)
    except FederationError as exc:
        raise InvalidTrustMark(
            f"trust mark issuer {issuer} has no valid trust chain: {exc.description}",
            check=Check.TRUST_MARK_ISSUER,
        ) from exc
    now = resolver.now()
    mark = verify_trust_mark(
        token,
        anchor=issuer_chain.anchor_configuration,
        issuer_keys=issuer_chain.leaf.keys(),
        now=now,
        subject=subject,
        trust_mark_type=trust_mark_type,
        policy=resolver.algorithms,
        leeway=resolver.limits.leeway,
    )
    if check_status:
        status = await request_status(
            fetcher,
            issuer_chain.leaf,
            token,
            now=now,
            policy=resolver.algorithms,
            leeway=resolver.limits.leeway,
        )
        if status is not TrustMarkStatus.ACTIVE:
            raise InvalidTrustMark(
                f"trust mark {mark.trust_mark_type} for {mark.sub} is {status.value} (status from {issuer})",
                check=Check.STATUS,
            )
    return mark
