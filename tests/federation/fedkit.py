"""A small federation of real signed statements for tests and benchmarks.

:class:`TestFederation` holds entities with their own key stores, signs their entity
configurations and subordinate statements on request, and serves them over an
``httpx.MockTransport`` (unit tests) or as routes of the real loopback server
(:mod:`tests.federation.http_server`). Tests tamper with what is served by replacing a URL's
token (:meth:`TestFederation.serve_token`) with one built by :meth:`TestFederation.sign`.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Coroutine, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar
from urllib.parse import parse_qs, urlsplit

import httpx

from federation.http import FederationFetcher, FetchPolicy
from federation.jose import AnyKey, JwtType, sign_jwt
from federation.keys import KeyStore
from federation.resolver import ResolverLimits, TrustChainResolver
from federation.statements import build_entity_configuration, build_subordinate_statement
from federation.trust_chain import TrustAnchor
from federation.trust_marks import TrustMarkStatus, sign_status_response
from tests.federation.http_server import Handler, Response

T = TypeVar("T")

TA = "https://ta.example"
INTERMEDIATE = "https://health.example"
LEAF = "https://gp.health.example"
IDP = "https://idp.example"


def run(coro: Coroutine[Any, Any, T]) -> T:
    """Run a coroutine to completion (no pytest-asyncio here)."""
    return asyncio.run(coro)


@dataclass
class Subordination:
    """What a superior says about one subordinate."""

    metadata_policy: dict[str, dict[str, dict[str, Any]]] | None = None
    metadata: dict[str, dict[str, Any]] | None = None
    constraints: dict[str, Any] | None = None
    metadata_policy_crit: list[str] | None = None
    jwks: dict[str, Any] | None = None  # default: the subordinate's current public JWKS
    lifetime: int | None = None  # default: the federation's


@dataclass
class Entity:
    """One federation entity and everything it publishes."""

    entity_id: str
    keys: KeyStore
    metadata: dict[str, dict[str, Any]]
    authority_hints: list[str] = field(default_factory=list)
    subordinates: dict[str, Subordination] = field(default_factory=dict)
    trust_marks: list[dict[str, str]] = field(default_factory=list)
    trust_mark_issuers: dict[str, list[str]] = field(default_factory=dict)
    trust_mark_owners: dict[str, dict[str, Any]] = field(default_factory=dict)
    trust_mark_status: dict[str, TrustMarkStatus] = field(default_factory=dict)
    extra_claims: dict[str, Any] = field(default_factory=dict)


class TestFederation:
    """Entities by ID; statements are signed at request time with the entities' current keys."""

    __test__ = False  # not a pytest test class

    def __init__(self, *, now: float | None = None, lifetime: int = 3600) -> None:
        self.now = now if now is not None else time.time()
        self.lifetime = lifetime
        self.entities: dict[str, Entity] = {}
        self.overrides: dict[str, str | httpx.Response] = {}
        self.requests: list[str] = []
        #: The first entity added (the trust anchor of :meth:`three_level`).
        self.first = ""

    # -- building ----------------------------------------------------------------------------
    def add(
        self,
        entity_id: str,
        *,
        superiors: tuple[str, ...] = (),
        metadata: Mapping[str, Mapping[str, Any]] | None = None,
        authority: bool = False,
    ) -> Entity:
        """Add an entity below ``superiors`` (which must exist); ``authority`` gives it the
        federation endpoints of an anchor or intermediate."""
        md: dict[str, dict[str, Any]] = {k: dict(v) for k, v in (metadata or {}).items()}
        federation_entity = md.setdefault("federation_entity", {})
        federation_entity.setdefault("organization_name", entity_id.split("//")[1])
        self.first = self.first or entity_id
        if authority:
            federation_entity["federation_fetch_endpoint"] = f"{entity_id}/fetch"
            federation_entity["federation_trust_mark_status_endpoint"] = f"{entity_id}/trust-mark-status"
        entity = Entity(entity_id, KeyStore.open(None, clock=lambda: self.now), md, list(superiors))
        self.entities[entity_id] = entity
        for superior in superiors:
            self.entities[superior].subordinates[entity_id] = Subordination()
        return entity

    @classmethod
    def three_level(cls, base: str | None = None, **kwargs: Any) -> TestFederation:
        """Anchor -> health intermediate -> GP leaf (an RP), and an IdP directly below the anchor.

        With ``base`` (e.g. a loopback server's URL) the entity IDs are ``{base}/ta``,
        ``{base}/health``, ``{base}/gp`` and ``{base}/idp``; otherwise the module's constants.
        """
        fed = cls(**kwargs)
        ta, mid, leaf, idp = (
            (f"{base}/ta", f"{base}/health", f"{base}/gp", f"{base}/idp")
            if base
            else (
                TA,
                INTERMEDIATE,
                LEAF,
                IDP,
            )
        )
        fed.add(ta, authority=True)
        fed.add(mid, superiors=(ta,), authority=True)
        fed.add(
            leaf,
            superiors=(mid,),
            metadata={
                "openid_relying_party": {
                    "redirect_uris": [f"{leaf}/callback"],
                    "token_endpoint_auth_method": "private_key_jwt",
                    "grant_types": ["authorization_code"],
                }
            },
        )
        fed.add(idp, superiors=(ta,), metadata={"openid_provider": {"issuer": idp}})
        return fed

    def anchor(self, entity_id: str | None = None) -> TrustAnchor:
        """The anchor (default: the first entity) with its current public keys pinned."""
        entity_id = entity_id or self.first
        return TrustAnchor.from_jwks(entity_id, self.entities[entity_id].keys.public_jwks())

    # -- statements --------------------------------------------------------------------------
    def configuration_claims(self, entity_id: str) -> dict[str, Any]:
        """The entity configuration claims as currently configured."""
        e = self.entities[entity_id]
        statement = build_entity_configuration(
            entity_id,
            e.keys.public_jwks(),
            iat=int(self.now),
            lifetime=self.lifetime,
            metadata=e.metadata,
            authority_hints=e.authority_hints or None,
            trust_marks=e.trust_marks or None,
            trust_mark_issuers=e.trust_mark_issuers or None,
            trust_mark_owners=e.trust_mark_owners or None,
            extra=e.extra_claims or None,
        )
        return statement.to_claims()

    def subordinate_claims(self, issuer: str, subject: str) -> dict[str, Any]:
        """The subordinate statement claims ``issuer`` makes about ``subject``."""
        s = self.entities[issuer].subordinates[subject]
        statement = build_subordinate_statement(
            issuer,
            subject,
            s.jwks or self.entities[subject].keys.public_jwks(),
            iat=int(self.now),
            lifetime=s.lifetime or self.lifetime,
            metadata=s.metadata,
            metadata_policy=s.metadata_policy,
            metadata_policy_crit=s.metadata_policy_crit,
            constraints=s.constraints,
        )
        return statement.to_claims()

    def sign(
        self,
        claims: Mapping[str, Any],
        *,
        by: str | None = None,
        key: AnyKey | None = None,
        typ: JwtType = JwtType.ENTITY_STATEMENT,
        alg: str = "ES256",
    ) -> str:
        """Sign ``claims`` with entity ``by``'s active key, or with a bare ``key``."""
        if key is None:
            assert by is not None
            key = self.entities[by].keys.signing_key().key
        return sign_jwt(claims, key, typ, alg=alg)

    def configuration(self, entity_id: str) -> str:
        """The signed entity configuration."""
        return self.sign(self.configuration_claims(entity_id), by=entity_id)

    def subordinate(self, issuer: str, subject: str) -> str:
        """The signed subordinate statement."""
        return self.sign(self.subordinate_claims(issuer, subject), by=issuer)

    def issue_status(self, issuer: str, trust_mark: str) -> str:
        """The issuer's signed status answer for ``trust_mark`` (active unless set otherwise)."""
        e = self.entities[issuer]
        status = e.trust_mark_status.get(trust_mark, TrustMarkStatus.ACTIVE)
        return sign_status_response(
            e.keys, issuer=issuer, trust_mark=trust_mark, status=status, iat=int(self.now)
        )

    # -- serving -----------------------------------------------------------------------------
    @staticmethod
    def ec_url(entity_id: str) -> str:
        """Where an entity configuration is served."""
        return f"{entity_id}/.well-known/openid-federation"

    @staticmethod
    def fetch_url(issuer: str, subject: str) -> str:
        """The override key of a subordinate statement."""
        return f"{issuer}/fetch?sub={subject}"

    def serve_token(self, url: str, token: str | httpx.Response) -> None:
        """Serve ``token`` (or a whole response) at ``url`` instead of the real statement."""
        self.overrides[url] = token

    def respond(self, method: str, url: str, form: Mapping[str, list[str]]) -> httpx.Response:
        """Answer one request: the same routing for the mock transport and the loopback server.

        The entity is the URL with the endpoint suffix removed, so entity IDs may have a path
        (``http://127.0.0.1:8000/ta``) as well as be a bare origin (``https://ta.example``).
        """
        parts = urlsplit(url)
        query = parse_qs(parts.query)
        plain = f"{parts.scheme}://{parts.netloc}{parts.path}"
        key = plain + (f"?sub={query['sub'][0]}" if "sub" in query else "")
        self.requests.append(key)
        override = self.overrides.get(key)
        if isinstance(override, httpx.Response):
            return override
        jwt_type = "application/entity-statement+jwt"
        if override is not None:
            return _jwt_response(override, jwt_type)
        for suffix in ("/.well-known/openid-federation", "/fetch", "/trust-mark-status"):
            if plain.endswith(suffix):
                base, endpoint = plain[: -len(suffix)], suffix
                break
        else:
            return _error(404, "not_found", f"no route {parts.path}")
        entity = self.entities.get(base)
        if entity is None:
            return _error(404, "not_found", f"no entity at {base}")
        if endpoint == "/.well-known/openid-federation":
            return _jwt_response(self.configuration(base), jwt_type)
        if endpoint == "/fetch" and method == "GET":
            sub = query.get("sub", [""])[0]
            if sub not in entity.subordinates:
                return _error(404, "not_found", f"{sub} is not a subordinate of {base}")
            return _jwt_response(self.subordinate(base, sub), jwt_type)
        if endpoint == "/trust-mark-status" and method == "POST":
            mark = form.get("trust_mark", [""])[0]
            return _jwt_response(self.issue_status(base, mark), "application/trust-mark-status-response+jwt")
        return _error(405, "invalid_request", f"{method} is not supported at {parts.path}")

    def loopback_handler(self, base_url: str) -> Handler:
        """A handler for :func:`tests.federation.http_server.serve` answering as this federation."""

        def handle(method: str, path: str, query: dict[str, list[str]], body: bytes) -> Response:
            qs = "&".join(f"{k}={v}" for k, values in query.items() for v in values)
            form = parse_qs(body.decode()) if method == "POST" else {}
            answer = self.respond(method, f"{base_url}{path}" + (f"?{qs}" if qs else ""), form)
            return Response(answer.status_code, answer.content, answer.headers.get("content-type"))

        return handle

    def _handle(self, request: httpx.Request) -> httpx.Response:
        form = parse_qs(request.content.decode()) if request.method == "POST" else {}
        return self.respond(request.method, str(request.url), form)

    def fetcher(self) -> FederationFetcher:
        """A fetcher whose HTTP goes to this federation in process."""
        client = httpx.AsyncClient(transport=httpx.MockTransport(self._handle))
        return FederationFetcher(FetchPolicy(), client=client)

    def resolver(
        self,
        *anchors: str,
        limits: ResolverLimits | None = None,
        fetcher: FederationFetcher | None = None,
        clock: Callable[[], float] | None = None,
    ) -> TrustChainResolver:
        """A resolver that trusts ``anchors`` (default: the TA) with their current keys pinned."""
        return TrustChainResolver(
            fetcher or self.fetcher(),
            [self.anchor(a) for a in (anchors or (self.first,))],
            limits=limits,
            clock=clock or (lambda: self.now),
        )


def _jwt_response(token: str, media_type: str) -> httpx.Response:
    return httpx.Response(200, content=token.encode(), headers={"content-type": media_type})


def _error(status: int, error: str, description: str) -> httpx.Response:
    return httpx.Response(status, json={"error": error, "error_description": description})
