"""Shared helpers for the relying-party library tests.

- a fixed clock (``NOW``) and the entity IDs of the test federation (``tests.federation.fedkit``);
- ID tokens signed with fresh keys (``federation.jose.sign_jwt``), and an unsigned one by hand;
- service policies, ``Provider`` values and the schema's example ``verified_claims``;
- a federation whose anchor certifies the identity provider with the certification trust mark
  (``schemas.records.CertifiedIdspTrustMark``), and a fake provider's OAuth endpoints served over an
  ``httpx.MockTransport`` (HTTP-level fakes of a remote party, never of the library itself).

The library is tested through its public API, except :func:`cache_provider`: a login test that is
about the authorization response (``state``, ``iss``, ``error``) needs a provider the directory
already trusts, and resolving a federation for each of them would test the directory again.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import httpx
from joserfc.jwk import KeySet

from federation.http import FederationFetcher, FetchPolicy
from federation.jose import AnyKey, JwtType, sign_jwt
from federation.keys import generate_key, public_jwk
from federation.statements import key_set
from relying_party.core.config import AnchorPin, RpConfig, StaticProvider
from relying_party.core.policy import ServicePolicy
from relying_party.core.providers import Provider, ProviderDirectory
from schemas.gpg45 import LevelOfConfidence
from schemas.policy import AssurancePolicy
from schemas.records import TrustMarkKind, trust_mark_type
from tests.federation.fedkit import IDP, TA, TestFederation
from tests.records import certification_record

__all__ = [
    "CERTIFIED",
    "CLIENT",
    "IDP",
    "NONCE",
    "NOW",
    "STATIC",
    "TA",
    "Clock",
    "FakeProvider",
    "Route",
    "at_hash",
    "cache_provider",
    "certification",
    "certified_federation",
    "certify",
    "example",
    "fetcher_with",
    "id_claims",
    "json_routes",
    "keyset",
    "make_provider",
    "provider_metadata",
    "public_jwks",
    "resolving",
    "rp_config",
    "service_policy",
    "sign_id_token",
    "static_provider",
    "trustmark_document",
    "unsigned_token",
    "verified_element",
]

#: 2026-05-28T20:26:40Z: after the examples' verification times, within the certificates' validity.
NOW = 1_780_000_000
#: The relying party's entity ID (its client ID at federation providers).
CLIENT = "https://council.example"
NONCE = "n-0S6_WzA2Mj"
STATIC = "https://static-idp.example"
CERTIFIED = trust_mark_type(TA, TrustMarkKind.CERTIFIED_IDENTITY_SERVICE_PROVIDER)
#: Answers a request, or None to leave it to the next handler.
Route = Callable[[httpx.Request], "httpx.Response | None"]
EXAMPLES = Path(__file__).resolve().parents[2] / "schemas" / "examples" / "valid"


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


class Clock:
    """A clock the test moves: ``clock.now = NOW + 60``."""

    def __init__(self) -> None:
        self.now = float(NOW)

    def __call__(self) -> float:
        return self.now


# -- keys and ID tokens ------------------------------------------------------------------------------
def public_jwks(*keys: AnyKey, alg: str = "ES256") -> dict[str, Any]:
    """The JWK set of the public keys of ``keys`` (a provider's ``jwks``)."""
    return {"keys": [public_jwk(key, alg) for key in keys]}


def keyset(*keys: AnyKey, alg: str = "ES256") -> KeySet:
    """The public keys of ``keys`` as a key set, as a provider's ``jwks`` gives them."""
    return key_set(public_jwks(*keys, alg=alg))


def id_claims(*, drop: Iterable[str] = (), **changes: Any) -> dict[str, Any]:
    """Valid ID token claims from ``IDP`` for ``CLIENT``, with ``changes`` and without ``drop``."""
    claims: dict[str, Any] = {
        "iss": IDP,
        "sub": "subject-1",
        "aud": CLIENT,
        "exp": NOW + 300,
        "iat": NOW,
        "nonce": NONCE,
        "auth_time": NOW - 10,
    }
    claims.update(changes)
    for name in drop:
        claims.pop(name, None)
    return claims


def sign_id_token(claims: Mapping[str, Any], key: AnyKey, *, alg: str = "ES256") -> str:
    """An ID token: ``claims`` signed by ``key`` with ``typ: JWT``."""
    return sign_jwt(claims, key, "JWT", alg=alg)


def unsigned_token(claims: Mapping[str, Any], header: Mapping[str, Any] | None = None) -> str:
    """A JWS built by hand: ``header`` (default ``alg: none``), the claims, and an empty signature."""
    head = json.dumps(dict(header or {"alg": "none"}), separators=(",", ":")).encode()
    body = json.dumps(dict(claims), separators=(",", ":")).encode()
    return f"{_b64(head)}.{_b64(body)}."


def at_hash(access_token: str) -> str:
    """``at_hash`` of an ES256 token (Core §3.1.3.6: left half of SHA-256, base64url)."""
    return _b64(hashlib.sha256(access_token.encode()).digest()[:16])


# -- policies, examples, providers -------------------------------------------------------------------
def service_policy(
    level: str = "medium",
    *,
    name: str = "parking",
    credential: str = "Cl",
    claims: Mapping[str, str] | None = None,
    required: Iterable[str] = (),
    methods: Iterable[str] = (),
    frameworks: Iterable[str] = ("uk_diatf",),
    max_age_days: int | None = None,
) -> ServicePolicy:
    """A service policy; ``methods`` makes one requirement (any of them) of the check methods."""
    document: dict[str, Any] = {
        "service": f"The {name} service",
        "minimum_level": level,
        "accepted_trust_frameworks": list(frameworks),
        "required_claims": list(required),
    }
    if methods:
        document["required_check_methods"] = [
            {"any_of": list(methods), "description": "a check that you look like the photo on your ID"}
        ]
    if max_age_days is not None:
        document["max_verification_age_days"] = max_age_days
    assurance = AssurancePolicy.model_validate(document)
    wanted = (
        dict(claims) if claims is not None else {"given_name": "To address you", "address": "Your permit"}
    )
    return ServicePolicy(name, f"The {name} service", assurance, wanted, credential=credential)


def example(name: str) -> dict[str, Any]:
    """A valid example of the assurance schema (``schemas/examples/valid/{name}.json``)."""
    data: dict[str, Any] = json.loads((EXAMPLES / f"{name}.json").read_text())
    return data


def verified_element(name: str) -> dict[str, Any]:
    """The ``verified_claims`` element of an example UserInfo response."""
    element: dict[str, Any] = example(name)["verified_claims"]
    return element


def make_provider(
    issuer: str = IDP,
    *,
    metadata: Mapping[str, Any] | None = None,
    levels: Iterable[LevelOfConfidence] = (LevelOfConfidence.MEDIUM, LevelOfConfidence.HIGH),
    kind: str = "federation",
    expires_at: float = NOW + 3600,
    static: StaticProvider | None = None,
) -> Provider:
    """A provider as the directory would give it (federation kind without a chain by default)."""
    return Provider(
        issuer=issuer,
        name="Sample IdP",
        kind=kind,
        metadata=dict(metadata if metadata is not None else provider_metadata(issuer)),
        levels=frozenset(levels),
        expires_at=expires_at,
        static=static,
    )


def provider_metadata(at: str = IDP, **changes: Any) -> dict[str, Any]:
    """``openid_provider`` metadata of a provider at ``at`` (Discovery §3), with ``changes`` (a None
    value removes the member)."""
    metadata: dict[str, Any] = {
        "issuer": at,
        "authorization_endpoint": f"{at}/authorize",
        "token_endpoint": f"{at}/token",
        "userinfo_endpoint": f"{at}/userinfo",
        "jwks_uri": f"{at}/jwks",
        "id_token_signing_alg_values_supported": ["ES256"],
        "trustmarks": f"{at}/trustmark",
        "authorization_response_iss_parameter_supported": True,
    }
    metadata.update(changes)
    return {k: v for k, v in metadata.items() if v is not None}


def trustmark_document(idp: str = IDP, provider: str = TA) -> dict[str, Any]:
    """A Vectors of Trust trustmark (RFC 8485 §5) with GOV.UK One Login's values."""
    return {"idp": idp, "trustmark_provider": provider, "C": ["Cl", "Cl.Cm"], "P": ["P0", "P1", "P2", "P3"]}


def cache_provider(directory: ProviderDirectory, provider: Provider) -> None:
    """Put ``provider`` in the directory's cache, as if resolved and certified (module documentation)."""
    directory._providers[provider.issuer] = provider


# -- a federation with a certified provider ----------------------------------------------------------
def certification(sub: str = IDP, **changes: Any) -> dict[str, Any]:
    """A DIATF certification record (``schemas.records.CertificationRecord``) about ``sub``."""
    return certification_record(sub, **changes)


def certify(
    fed: TestFederation,
    subject: str = IDP,
    *,
    record: Mapping[str, Any] | None = None,
    trust_mark_type: str = CERTIFIED,
    lifetime: int = 86400,
) -> str:
    """The anchor's certification trust mark about ``subject`` carrying ``record``."""
    claims = {
        "iss": TA,
        "sub": subject,
        "trust_mark_type": trust_mark_type,
        "iat": int(fed.now),
        "exp": int(fed.now) + lifetime,
        "certification": dict(record if record is not None else certification(subject)),
    }
    return fed.entities[TA].keys.sign(claims, JwtType.TRUST_MARK)


def certified_federation(**metadata: Any) -> TestFederation:
    """``TestFederation.three_level`` at ``NOW`` whose anchor issues the certification trust mark and
    whose provider ``IDP`` holds one (levels medium and high) and publishes OP metadata."""
    fed = TestFederation.three_level(now=NOW)
    fed.entities[TA].trust_mark_issuers = {CERTIFIED: [TA]}
    fed.entities[IDP].metadata["openid_provider"] = provider_metadata(IDP, **metadata)
    fed.entities[IDP].trust_marks = [{"trust_mark_type": CERTIFIED, "trust_mark": certify(fed)}]
    return fed


def resolving(fed: TestFederation, **changes: Any) -> tuple[Route, list[str]]:
    """The anchor of ``fed`` publishes a resolve endpoint (§8.3) answering with the chain of ``IDP``
    and its marks (with ``changes``; ``signed_with``: another key), and a list endpoint (§8.2) listing
    ``IDP`` and an entity outside the federation. Returns the route and the resolve URLs asked."""
    entity = fed.entities[TA].metadata["federation_entity"]
    entity["federation_resolve_endpoint"] = f"{TA}/resolve"
    entity["federation_list_endpoint"] = f"{TA}/list"
    asked: list[str] = []
    key = changes.pop("signed_with", None)

    def route(request: httpx.Request) -> httpx.Response | None:
        if request.url.path == "/resolve":
            asked.append(str(request.url))
            claims = {
                "iss": TA,
                "sub": request.url.params["sub"],
                "iat": NOW,
                "exp": NOW + 600,
                "metadata": {},
                "trust_chain": [fed.configuration(IDP), fed.subordinate(TA, IDP), fed.configuration(TA)],
                "trust_marks": fed.entities[IDP].trust_marks,
                **changes,
            }
            token = fed.sign(claims, key=key, by=TA, typ=JwtType.RESOLVE_RESPONSE)
            return httpx.Response(
                200, content=token, headers={"content-type": "application/resolve-response+jwt"}
            )
        if request.url.path == "/list":
            if request.url.params.get("intermediate") == "true":
                return httpx.Response(200, json=[])
            assert request.url.params["entity_type"] == "openid_provider"
            return httpx.Response(200, json=[IDP, "https://gone.example", IDP, 42])
        return None

    return route, asked


def static_provider(**changes: Any) -> StaticProvider:
    """A provider outside the federation, configured by hand (trusted for medium)."""
    fields: dict[str, Any] = {
        "issuer": STATIC,
        "name": "GOV.UK One Login (integration)",
        "discovery_url": f"{STATIC}/.well-known/openid-configuration",
        "client_id": "council-client",
        "levels": frozenset({LevelOfConfidence.MEDIUM}),
        "trustmarks": (f"{STATIC}/trustmark",),
    }
    fields.update(changes)
    return StaticProvider(**fields)


def rp_config(
    fed: TestFederation | None = None,
    *,
    policies: Iterable[ServicePolicy] = (),
    static: Iterable[StaticProvider] = (),
    **changes: Any,
) -> RpConfig:
    """The council's configuration, trusting ``fed``'s anchor with its keys pinned."""
    found = list(policies) or [service_policy()]
    if fed is not None:
        changes.setdefault("trust_anchors", (AnchorPin(TA, fed.entities[TA].keys.public_jwks()),))
    return RpConfig(
        entity_id=CLIENT,
        organization_name="Oxford City Council",
        client_name="Resident parking",
        policies={p.name: p for p in found},
        static_providers=tuple(static),
        **changes,
    )


# -- a provider's OAuth endpoints --------------------------------------------------------------------
@dataclass
class FakeProvider:
    """The token and UserInfo endpoints of a remote provider, over an ``httpx.MockTransport``.

    The token endpoint answers ``tokens`` (an ``id_token`` built by ``id_token`` from the form it
    received); UserInfo answers ``userinfo``. Every request is recorded.
    """

    key: AnyKey = field(default_factory=generate_key)
    issuer: str = IDP
    access_token: str = "at-7fN2qv"
    userinfo: dict[str, Any] = field(default_factory=dict)
    claims: dict[str, Any] = field(default_factory=dict)
    token_status: int = 200
    extra_tokens: dict[str, Any] = field(default_factory=dict)
    requests: list[httpx.Request] = field(default_factory=list)
    forms: list[dict[str, str]] = field(default_factory=list)

    def id_token(self) -> str:
        """The ID token the token endpoint issues."""
        return sign_id_token(self.claims, self.key)

    def handle(self, request: httpx.Request) -> httpx.Response:
        """Answer one request."""
        self.requests.append(request)
        path = request.url.path
        if request.method == "POST" and path == "/token":
            self.forms.append({k: v[0] for k, v in parse_qs(request.content.decode()).items()})
            body = {"access_token": self.access_token, "token_type": "Bearer", "id_token": self.id_token()}
            return httpx.Response(self.token_status, json={**body, **self.extra_tokens})
        if request.method == "POST" and path == "/par":
            self.forms.append({k: v[0] for k, v in parse_qs(request.content.decode()).items()})
            return httpx.Response(201, json={"request_uri": "urn:example:par-1", "expires_in": 60})
        if request.method == "GET" and path == "/userinfo":
            if request.headers.get("authorization") != f"Bearer {self.access_token}":
                return httpx.Response(401, json={"error": "invalid_token"})
            return httpx.Response(200, json=self.userinfo)
        return httpx.Response(404, json={"error": "not_found"})

    def client(self) -> httpx.AsyncClient:
        """An HTTP client whose requests this provider answers."""
        return httpx.AsyncClient(transport=httpx.MockTransport(self.handle))


def fetcher_with(fed: TestFederation | None, route: Route) -> FederationFetcher:
    """A fetcher answered by ``route`` first (e.g. a list or resolve endpoint, a provider's JWKS), and
    by the federation ``fed`` (or a 404) for everything ``route`` leaves (answers None)."""

    def handle(request: httpx.Request) -> httpx.Response:
        answer = route(request)
        if answer is not None:
            return answer
        if fed is None:
            return httpx.Response(404, json={"error": "not_found"})
        form = parse_qs(request.content.decode()) if request.method == "POST" else {}
        return fed.respond(request.method, str(request.url), form)

    return FederationFetcher(FetchPolicy(), client=httpx.AsyncClient(transport=httpx.MockTransport(handle)))


def json_routes(documents: Mapping[str, Any]) -> Route:
    """A route answering each URL of ``documents`` (without its query) with that JSON document."""

    def route(request: httpx.Request) -> httpx.Response | None:
        url = str(request.url.copy_with(query=None))
        return httpx.Response(200, json=documents[url]) if url in documents else None

    return route
