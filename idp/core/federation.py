"""Relying parties known through the federation (OpenID Federation 1.0 §12).

Automatic registration (§12.1): the client ID is the RP's entity ID; the provider resolves the
RP's trust chain to one of its pinned trust anchors (§10), with the federation's metadata policy
applied (§6.1), and builds the client from the resolved ``openid_relying_party`` metadata. The
same checks serve explicit registration (§12.2, :mod:`idp.core.registration`).

What a federation RP must be to become a client:

- its metadata says ``token_endpoint_auth_method: private_key_jwt`` (§12.1: asymmetric client
  authentication only) and carries its keys as ``jwks``, ``jwks_uri`` or ``signed_jwks_uri``
  (§5.2.1); its redirect URIs are absolute, without fragment, https outside development;
- it holds, verified in the federation of its chain's trust anchor and active at its issuer's
  status endpoint (§7.3, §8.4), at least one of the trust marks this provider requires of relying
  parties (``required_rp_trust_marks``: by default the council or NHS organisation mark).

Metadata parameter ``claim_purposes`` (this federation's extension, not in any specification): a
JSON object of claim name to a short text saying why the RP asks for that claim; the consent page
shows it. At most 50 entries, names up to 100 and texts up to 500 characters.

The validity of what is learnt never exceeds the chain's ``exp`` (§12.3) nor a held trust mark's.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Mapping
from typing import Any
from urllib.parse import urlsplit

from joserfc.jwk import KeySet

from federation.errors import Check, FederationError, InvalidTrustChain
from federation.held_marks import expand_trust_mark_type as type_of
from federation.http import ENTITY_STATEMENT_MEDIA_TYPE, JWK_SET_MEDIA_TYPE, FederationFetcher
from federation.http import entity_configuration_url as configuration_url
from federation.resolver import TrustChainResolver
from federation.signed_jwks import verify_signed_jwk_set
from federation.statements import EntityStatement, key_set, verify_entity_configuration
from federation.trust_chain import TrustAnchor, TrustChain
from federation.trust_marks import verify_in_federation
from idp.core.claims_policy import RESTRICTED_CLAIMS
from idp.core.clients import Client, ClientKind
from idp.core.config import IdpConfig
from schemas.records import trust_mark_type

__all__ = ["RP_TYPE", "Rejected", "RelyingParties", "chain_failure", "type_of"]

log = logging.getLogger("idp.federation")

RP_TYPE = "openid_relying_party"
SUPPORTED_GRANTS = ("authorization_code", "refresh_token")
MAX_TRUST_MARKS = 10
_QUOTE = 200


class Rejected(Exception):
    """A relying party this provider will not serve. ``description`` is public; ``trust_marks`` tells a
    missing required trust mark (federation ``invalid_client``) from bad metadata (``invalid_metadata``)."""

    def __init__(self, description: str, *, trust_marks: bool = False) -> None:
        super().__init__(description)
        self.description = description
        self.trust_marks = trust_marks


def _quote(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= _QUOTE else text[:_QUOTE] + "..."


def chain_failure(client_id: str, exc: FederationError) -> str:
    """The public reason an RP's chain did not resolve: expired, or does not resolve (and why)."""
    reason = exc.description.removeprefix(f"no valid trust chain from {client_id}: ")
    paths = exc.path_errors if isinstance(exc, InvalidTrustChain) else ()
    checks = [e.check for _path, e in paths] or [exc.check]
    if all(check is Check.EXP for check in checks):
        return f"the trust chain of {client_id} is expired: {reason}"
    return f"the trust chain of {client_id} does not resolve to a trust anchor this provider trusts: {reason}"


def _uris(metadata: Mapping[str, Any], name: str, *, required: bool, development: bool) -> tuple[str, ...]:
    value = metadata.get(name)
    if value is None and not required:
        return ()
    if not isinstance(value, list) or (required and not value) or not all(isinstance(v, str) for v in value):
        raise Rejected(f"{name} must be a non-empty array of URLs")
    for uri in value:
        try:
            parts = urlsplit(uri)
        except ValueError:
            parts = urlsplit("")
        if parts.scheme not in ("https", "http") or not parts.hostname or parts.fragment or "#" in uri:
            raise Rejected(f"{name}: {_quote(uri)} is not an absolute https URL without a fragment")
        if parts.scheme == "http" and not development:
            raise Rejected(f"{name}: {_quote(uri)} must use https")
    return tuple(value)


def _purposes(metadata: Mapping[str, Any]) -> dict[str, str]:
    value = metadata.get("claim_purposes")
    if value is None:
        return {}
    if (
        not isinstance(value, dict)
        or len(value) > 50
        or not all(isinstance(k, str) and 0 < len(k) <= 100 for k in value)
        or not all(isinstance(v, str) and 0 < len(v) <= 500 for v in value.values())
    ):
        raise Rejected(
            "claim_purposes must be an object of at most 50 claim names, "
            "each with a text of 1 to 500 characters"
        )
    return dict(value)


def _text(metadata: Mapping[str, Any], name: str, limit: int) -> str | None:
    value = metadata.get(name)
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip():
        raise Rejected(f"{name} must be a non-empty string")
    return value[:limit]


class RelyingParties:
    """Resolves relying parties through the federation and turns them into clients.

    One :class:`TrustChainResolver` serves every resolution; it is replaced after
    ``client_cache_seconds`` (at least 10 s) so that the statements it caches are looked at again as
    often as the clients built from them. In development an anchor without pinned keys is trusted on
    first use: its keys are read from its own entity configuration once.
    """

    def __init__(
        self, config: IdpConfig, fetcher: FederationFetcher, *, clock: Callable[[], float] = time.time
    ) -> None:
        if not config.trust_anchors:
            raise ValueError("resolving relying parties needs at least one trust anchor")
        self.config = config
        self.fetcher = fetcher
        self.clock = clock
        self._first_use: dict[str, dict[str, Any]] = {}
        self._resolver: TrustChainResolver | None = None
        self._created = 0.0

    def now(self) -> int:
        """The clock, in whole seconds."""
        return int(self.clock())

    # -- trust anchors and the resolver ------------------------------------------------------------
    async def _anchor(self, entity_id: str, pinned: dict[str, Any] | None) -> TrustAnchor:
        if pinned is not None:
            return TrustAnchor.from_jwks(entity_id, pinned)
        jwks = self._first_use.get(entity_id)
        if jwks is None:
            token = await self.fetcher.get_jwt(
                configuration_url(entity_id), media_type=ENTITY_STATEMENT_MEDIA_TYPE
            )
            statement = verify_entity_configuration(token, entity_id=entity_id, now=self.clock())
            jwks = statement.jwks.model_dump(exclude_none=True)
            self._first_use[entity_id] = jwks
            log.warning(
                "trust anchor %s trusted on first use (development): pin its keys elsewhere", entity_id
            )
        return TrustAnchor.from_jwks(entity_id, jwks)

    async def resolver(self) -> TrustChainResolver:
        """The chain resolver (replaced every ``client_cache_seconds``, at least 10 s)."""
        now = self.clock()
        if self._resolver is not None and now - self._created < max(self.config.client_cache_seconds, 10):
            return self._resolver
        anchors: list[TrustAnchor] = []
        failures: list[str] = []
        for pinned in self.config.trust_anchors:
            try:
                anchors.append(await self._anchor(pinned.entity_id, pinned.jwks))
            except (FederationError, ValueError) as exc:
                reason = exc.description if isinstance(exc, FederationError) else str(exc)
                failures.append(f"trust anchor {pinned.entity_id}: {reason}")
        if not anchors:
            raise InvalidTrustChain(
                "no trust anchor is usable: " + "; ".join(failures), check=Check.TRUST_ANCHOR
            )
        self._resolver = TrustChainResolver(self.fetcher, anchors, clock=self.clock)
        self._created = now
        return self._resolver

    async def resolve(self, entity_id: str) -> TrustChain:
        """The trust chain of ``entity_id`` with its ``openid_relying_party`` metadata resolved (§10)."""
        resolver = await self.resolver()
        return await resolver.resolve(entity_id, entity_types=[RP_TYPE])

    # -- trust marks -------------------------------------------------------------------------------
    def required_marks(self, anchor: str) -> frozenset[str]:
        """The trust mark types an RP under ``anchor`` must hold one of (empty: none required)."""
        return frozenset(type_of(anchor, name) for name in self.config.required_rp_trust_marks)

    def recognised_marks(self, anchor: str) -> frozenset[str]:
        """Trust mark types worth verifying for an RP under ``anchor`` (required or claim-granting)."""
        return self.required_marks(anchor) | {trust_mark_type(anchor, k) for k in RESTRICTED_CLAIMS.values()}

    async def verified_marks(self, chain: TrustChain) -> dict[str, int | None]:
        """Types of the leaf's trust marks that verify in the chain's federation and are active, with
        each mark's ``exp``. Only recognised types are verified, at most ten marks."""
        recognised = self.recognised_marks(chain.trust_anchor)
        candidates = [r for r in chain.leaf.trust_marks or () if r.trust_mark_type in recognised]
        resolver = await self.resolver()
        held: dict[str, int | None] = {}
        for ref in candidates[:MAX_TRUST_MARKS]:
            if ref.trust_mark_type in held:
                continue
            try:
                mark = await verify_in_federation(
                    ref.trust_mark,
                    resolver,
                    self.fetcher,
                    trust_anchor=chain.trust_anchor,
                    subject=chain.subject,
                    trust_mark_type=ref.trust_mark_type,
                )
            except FederationError as exc:
                log.info(
                    "trust mark %s of %s not accepted: %s",
                    ref.trust_mark_type,
                    chain.subject,
                    exc.description,
                )
                continue
            held[ref.trust_mark_type] = mark.exp
        return held

    # -- clients -----------------------------------------------------------------------------------
    async def client_from_chain(self, chain: TrustChain, kind: ClientKind) -> Client:
        """The client for a resolved RP chain; :class:`Rejected` saying why it cannot be one."""
        client_id = chain.subject
        metadata = chain.metadata.get(RP_TYPE)
        if metadata is None:
            raise Rejected(f"{client_id} has no {RP_TYPE} metadata")
        self.check_metadata(client_id, metadata)
        marks = await self.verified_marks(chain)
        required = self.required_marks(chain.trust_anchor)
        if required and not required & marks.keys():
            names = ", ".join(self.config.required_rp_trust_marks)
            raise Rejected(
                f"{client_id} holds none of the trust marks this provider requires of relying parties "
                f"({names})",
                trust_marks=True,
            )
        expiries = [chain.exp, *(exp for exp in marks.values() if exp is not None)]
        jwks = await self.client_keys(client_id, metadata, chain.leaf)
        return self.build(
            client_id,
            metadata,
            kind=kind,
            jwks=jwks,
            organization_name=self.organization_name(chain.leaf, metadata),
            trust_anchor=chain.trust_anchor,
            trust_mark_types=marks.keys(),
            expires_at=min(expiries),
        )

    def check_metadata(self, client_id: str, metadata: Mapping[str, Any]) -> None:
        """The checks on an RP's resolved metadata that do not need the network."""
        method = metadata.get("token_endpoint_auth_method", "client_secret_basic")
        if method != "private_key_jwt":
            raise Rejected(
                f"{client_id} must authenticate with private_key_jwt (its token_endpoint_auth_method is "
                f"{_quote(method)})"
            )
        if not any(name in metadata for name in ("jwks", "jwks_uri", "signed_jwks_uri")):
            raise Rejected(f"{client_id} publishes no jwks, jwks_uri or signed_jwks_uri for private_key_jwt")
        alg = metadata.get("id_token_signed_response_alg", "ES256")
        if alg not in self.config.id_token_algorithms:
            raise Rejected(
                f"{client_id} asks for ID tokens signed with {_quote(alg)}; this provider signs with "
                f"{', '.join(self.config.id_token_algorithms)}"
            )
        response_types = metadata.get("response_types", ["code"])
        if not isinstance(response_types, list) or "code" not in response_types:
            raise Rejected(
                f"{client_id} does not use the code response type (response_types {_quote(response_types)})"
            )
        grants = metadata.get("grant_types", ["authorization_code"])
        if not isinstance(grants, list) or "authorization_code" not in grants:
            raise Rejected(
                f"{client_id} does not use the authorization_code grant (grant_types {_quote(grants)})"
            )
        scope = metadata.get("scope")
        if scope is not None and not isinstance(scope, str):
            raise Rejected(f"{client_id}: scope must be a space-separated string")
        try:
            _uris(metadata, "redirect_uris", required=True, development=self.config.development)
            _uris(metadata, "post_logout_redirect_uris", required=False, development=self.config.development)
            _purposes(metadata)
            _text(metadata, "client_name", 200)
        except Rejected as exc:
            raise Rejected(f"{client_id}: {exc.description}") from None

    async def client_keys(
        self, client_id: str, metadata: Mapping[str, Any], leaf: EntityStatement | None
    ) -> KeySet:
        """The RP's keys for ``private_key_jwt``: ``jwks`` by value, else ``signed_jwks_uri`` (signed with
        the RP's federation keys, §5.2.1), else ``jwks_uri`` (``application/json``)."""
        try:
            if "jwks" in metadata:
                return key_set(metadata["jwks"])
            signed = metadata.get("signed_jwks_uri")
            if isinstance(signed, str) and leaf is not None:
                token = await self.fetcher.get_jwt(signed, media_type=JWK_SET_MEDIA_TYPE)
                return verify_signed_jwk_set(token, leaf.keys(), client_id, now=self.now())
            uri = metadata.get("jwks_uri")
            if isinstance(uri, str):
                found = await self.fetcher.get_json(uri)
                return key_set(found if isinstance(found, dict) else {})
        except FederationError as exc:
            raise Rejected(f"the keys of {client_id} cannot be used: {exc.description}") from exc
        except (ValueError, TypeError) as exc:
            first = str(exc).splitlines()[0][:_QUOTE]
            raise Rejected(f"the keys of {client_id} cannot be used: {first}") from exc
        raise Rejected(f"{client_id} publishes no usable jwks, jwks_uri or signed_jwks_uri")

    @staticmethod
    def organization_name(leaf: EntityStatement, metadata: Mapping[str, Any]) -> str:
        """The RP's organisation: its ``federation_entity`` metadata, else its RP metadata, else its host."""
        for source in ((leaf.metadata or {}).get("federation_entity", {}), metadata):
            name = source.get("organization_name")
            if isinstance(name, str) and name.strip():
                return name.strip()[:512]
        return urlsplit(leaf.sub).hostname or leaf.sub

    def build(
        self,
        client_id: str,
        metadata: Mapping[str, Any],
        *,
        kind: ClientKind,
        jwks: KeySet,
        organization_name: str,
        trust_anchor: str,
        trust_mark_types: Iterable[str],
        expires_at: int,
    ) -> Client:
        """The client from checked RP metadata (:meth:`check_metadata`)."""
        scope = metadata.get("scope")
        scopes = frozenset({"openid", *scope.split()}) if isinstance(scope, str) else Client.scopes
        dev = self.config.development
        return Client(
            client_id=client_id,
            kind=kind,
            redirect_uris=_uris(metadata, "redirect_uris", required=True, development=dev),
            post_logout_redirect_uris=_uris(
                metadata, "post_logout_redirect_uris", required=False, development=dev
            ),
            token_endpoint_auth_method="private_key_jwt",
            organization_name=organization_name,
            sector=urlsplit(client_id).hostname or client_id,
            grant_types=tuple(
                g for g in SUPPORTED_GRANTS if g in metadata.get("grant_types", ["authorization_code"])
            ),
            scopes=scopes,
            id_token_signed_response_alg=str(metadata.get("id_token_signed_response_alg", "ES256")),
            client_name=_text(metadata, "client_name", 200),
            jwks=jwks,
            require_par=True,
            trust_mark_types=frozenset(trust_mark_types),
            trust_anchor=trust_anchor,
            claim_purposes=_purposes(metadata),
            expires_at=expires_at,
            metadata=dict(metadata),
        )
