"""Explicit registration (OpenID Federation 1.0 §12.2): an RP posts its entity configuration, or a
trust chain starting with it, and the provider answers with a signed registration.

The request is an entity configuration (``application/entity-statement+jwt``) with ``aud`` = this
provider's entity ID, ``authority_hints`` and ``openid_relying_party`` metadata (§12.2.1); or a
trust chain (``application/trust-chain+json``, a JSON array of JWTs) whose first statement is that
configuration and whose last names the trust anchor the RP selected. The provider verifies the
configuration (§12.2.2 step 2), builds the chain upwards from its ``authority_hints`` with the
received configuration as the leaf (step 3: the metadata used is the one in the request, which the
RP may tailor for this provider), verifies that the configuration is signed with a key its
superior vouches for, applies the chain's metadata policy, and makes the same checks as automatic
registration (:mod:`idp.core.federation`). A chain in the body only selects the trust anchor: its
statements are not trusted, the chain is collected again (step 4 allows either).

The registration replaces any earlier one of the RP, expires with the chain (§12.3), and is
answered with an ``explicit-registration-response+jwt`` (§12.2.3). Errors use the federation
error format (§8.9): ``invalid_request`` (malformed, wrong ``aud``, bad signature),
``invalid_trust_anchor``, ``invalid_trust_chain``, ``invalid_metadata``, ``invalid_client``
(a required trust mark missing).
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from joserfc.jwk import KeySet

from federation.errors import (
    Check,
    FederationError,
    InvalidClient,
    InvalidJwt,
    InvalidMetadata,
    InvalidRequest,
    InvalidTrustAnchor,
    InvalidTrustChain,
)
from federation.http import ENTITY_STATEMENT_MEDIA_TYPE
from federation.jose import JwtType, decode_unverified
from federation.keys import KeyStore
from federation.resolver import TrustChainResolver
from federation.statements import (
    EntityStatement,
    check_signed_by,
    verify_entity_configuration,
    verify_subordinate_statement,
)
from federation.trust_chain import TrustChain, validate_chain
from idp.core.clients import ClientKind
from idp.core.directory import Clients
from idp.core.federation import RP_TYPE, Rejected, RelyingParties
from idp.store.clients import RegistrationStore

__all__ = [
    "TRUST_CHAIN_MEDIA_TYPE",
    "RegistrationRequest",
    "chain_for_request",
    "parse_request",
    "register",
]

#: A trust chain as a JSON array of JWTs (§12.2.1).
TRUST_CHAIN_MEDIA_TYPE = "application/trust-chain+json"
MAX_CHAIN_LENGTH = 10
MAX_HINTS = 5
_COMPACT_JWT = re.compile(r"[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+")


@dataclass(frozen=True)
class RegistrationRequest:
    """A verified registration request: the RP's entity configuration and the anchor it selected."""

    configuration: EntityStatement
    #: The trust anchor at the root of the trust chain in the request (None: an entity configuration).
    trust_anchor: str | None


def _jwt(text: str, what: str) -> str:
    if _COMPACT_JWT.fullmatch(text) is None:
        raise InvalidRequest(f"{what} is not a compact JWT", check=Check.FORMAT)
    return text


def _body_statements(body: bytes, media_type: str) -> list[str]:
    try:
        text = body.decode("ascii" if media_type == ENTITY_STATEMENT_MEDIA_TYPE else "utf-8")
    except UnicodeDecodeError:
        raise InvalidRequest("the request body is not valid text", check=Check.FORMAT) from None
    if media_type == ENTITY_STATEMENT_MEDIA_TYPE:
        return [_jwt(text.strip(), "the request body")]
    try:
        chain = json.loads(text)
    except (ValueError, RecursionError):
        raise InvalidRequest("the trust chain is not valid JSON", check=Check.FORMAT) from None
    if not isinstance(chain, list) or not 2 <= len(chain) <= MAX_CHAIN_LENGTH:
        raise InvalidRequest(
            f"the trust chain must be a JSON array of 2 to {MAX_CHAIN_LENGTH} JWTs: the RP's entity "
            "configuration, its superiors' statements and the trust anchor's entity configuration",
            check=Check.FORMAT,
        )
    if not all(isinstance(item, str) for item in chain):
        raise InvalidRequest("every element of the trust chain must be a JWT string", check=Check.FORMAT)
    return [_jwt(item, f"trust chain element {n}") for n, item in enumerate(chain)]


def parse_request(body: bytes, media_type: str, *, issuer: str, now: float) -> RegistrationRequest:
    """Read and verify a registration request (§12.2.1, §12.2.2 steps 1 and 2)."""
    if media_type not in (ENTITY_STATEMENT_MEDIA_TYPE, TRUST_CHAIN_MEDIA_TYPE):
        raise InvalidRequest(
            f"the request must be {ENTITY_STATEMENT_MEDIA_TYPE} (an entity configuration) or "
            f"{TRUST_CHAIN_MEDIA_TYPE} (a trust chain)",
            check=Check.CONTENT_TYPE,
        )
    statements = _body_statements(body, media_type)
    try:
        configuration = verify_entity_configuration(statements[0], now=now)
    except InvalidJwt as exc:
        raise exc.in_context("the entity configuration in the request") from exc
    claims = decode_unverified(statements[0])[1]
    aud = claims.get("aud")
    if aud not in (issuer, [issuer]):
        raise InvalidRequest(
            f"the entity configuration's aud must be this provider's entity ID {issuer}", check=Check.CLAIMS
        )
    if not configuration.authority_hints:
        raise InvalidRequest("the entity configuration has no authority_hints", check=Check.AUTHORITY_HINTS)
    if RP_TYPE not in (configuration.metadata or {}):
        raise InvalidMetadata(f"the entity configuration has no {RP_TYPE} metadata", check=Check.METADATA)
    anchor = None
    if len(statements) > 1:
        last = decode_unverified(statements[-1])[1]
        anchor = last.get("iss")
        if not isinstance(anchor, str) or last.get("sub") != anchor:
            raise InvalidRequest(
                "the last statement of the trust chain must be the trust anchor's entity configuration",
                check=Check.TRUST_ANCHOR,
            )
    return RegistrationRequest(configuration, anchor)


def _vouched(statement: EntityStatement, keys: KeySet, what: str, resolver: TrustChainResolver) -> None:
    try:
        check_signed_by(statement, keys, resolver.algorithms)
    except InvalidJwt as exc:
        raise InvalidTrustChain(f"{what}: {exc.description}", check=exc.check) from exc


async def _via(
    hint: str, leaf: EntityStatement, selected: Sequence[str], relying_parties: RelyingParties
) -> TrustChain:
    """The chain from the received configuration ``leaf`` through its superior ``hint``."""
    resolver = await relying_parties.resolver()
    if hint in resolver.anchors:
        if hint not in selected:
            raise InvalidTrustChain(
                f"{hint} is not the trust anchor the request selected", check=Check.TRUST_ANCHOR
            )
        superior = await resolver.resolve(hint, trust_anchor=hint)
        keys = voucher = resolver.anchors[hint].keys()
        upper = list(superior.statements)
    else:
        anchor = selected[0] if len(selected) == 1 else None
        superior = await resolver.resolve(hint, trust_anchor=anchor)
        keys, voucher = superior.leaf.keys(), superior.statements[1].keys()
        upper = list(superior.statements[1:])
    endpoint = (superior.leaf.metadata or {}).get("federation_entity", {}).get("federation_fetch_endpoint")
    if not isinstance(endpoint, str) or not endpoint:
        raise InvalidTrustChain(f"{hint} publishes no federation_fetch_endpoint", check=Check.FETCH_ENDPOINT)
    what = f"subordinate statement by {hint} about {leaf.sub}"
    try:
        token = await relying_parties.fetcher.get_jwt(
            endpoint, media_type=ENTITY_STATEMENT_MEDIA_TYPE, params={"sub": leaf.sub}
        )
        statement = verify_subordinate_statement(
            token,
            issuer=hint,
            subject=leaf.sub,
            issuer_keys=keys,
            now=resolver.now(),
            policy=resolver.algorithms,
            leeway=resolver.limits.leeway,
        )
    except FederationError as exc:
        raise exc.in_context(what) from exc
    _vouched(statement, voucher, f"{what} is not signed with a key vouched for above it", resolver)
    _vouched(
        leaf,
        statement.keys(),
        f"the entity configuration is not signed with a key {hint} vouches for",
        resolver,
    )
    return validate_chain([leaf, statement, *upper], [RP_TYPE])


async def chain_for_request(request: RegistrationRequest, relying_parties: RelyingParties) -> TrustChain:
    """A valid trust chain with the received configuration as its leaf (§12.2.2 steps 3 and 4)."""
    resolver = await relying_parties.resolver()
    if request.trust_anchor is not None and request.trust_anchor not in resolver.anchors:
        raise InvalidTrustAnchor(
            f"{request.trust_anchor} is not a trust anchor this provider trusts", check=Check.TRUST_ANCHOR
        )
    selected = (request.trust_anchor,) if request.trust_anchor else tuple(resolver.anchors)
    leaf = request.configuration
    errors: list[str] = []
    for hint in (leaf.authority_hints or [])[:MAX_HINTS]:
        try:
            return await _via(hint, leaf, selected, relying_parties)
        except FederationError as exc:
            errors.append(f"via {hint}: {exc.description}")
    raise InvalidTrustChain(f"no valid trust chain from {leaf.sub}: " + "; ".join(errors))


async def register(
    request: RegistrationRequest,
    *,
    relying_parties: RelyingParties,
    store: RegistrationStore,
    clients: Clients,
    keys: KeyStore,
    issuer: str,
) -> str:
    """Register the RP of ``request`` and return the signed registration response (§12.2.3)."""
    if request.configuration.sub in clients.static:
        raise InvalidRequest(
            f"{request.configuration.sub} is a statically configured client of this provider", check=Check.SUB
        )
    chain = await chain_for_request(request, relying_parties)
    try:
        client = await relying_parties.client_from_chain(chain, ClientKind.EXPLICIT)
    except Rejected as exc:
        error = InvalidClient if exc.trust_marks else InvalidMetadata
        raise error(exc.description, check=Check.METADATA) from exc
    client_id = chain.subject
    registered = {**chain.metadata[RP_TYPE], "client_id": client_id}
    if "jwks" not in registered and "jwks_uri" not in registered and client.jwks is not None:
        # keys from signed_jwks_uri are checked with the RP's federation keys now, and kept (§12.2.2 allows
        # the provider to adapt the metadata it registers)
        registered["jwks"] = client.jwks.as_dict(private=False)
    assert client.expires_at is not None
    store.remove_expired()
    store.register(
        client_id,
        trust_anchor=chain.trust_anchor,
        metadata=registered,
        organization_name=client.organization_name,
        trust_mark_types=tuple(client.trust_mark_types),
        expires_at=client.expires_at,
    )
    clients.forget(client_id)
    claims: dict[str, Any] = {
        "iss": issuer,
        "sub": client_id,
        "aud": client_id,
        "iat": store.now(),
        "exp": client.expires_at,
        "jwks": decode_unverified(request.configuration.jwt)[1]["jwks"],
        "trust_anchor": chain.trust_anchor,
        "authority_hints": [chain.statements[1].iss],
        "metadata": {RP_TYPE: registered},
    }
    return keys.sign(claims, JwtType.EXPLICIT_REGISTRATION_RESPONSE)
