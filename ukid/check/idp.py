"""``ukid check idp``: the static conformance cases of an OpenID provider.

The cases fetch the discovery document (OpenID Connect Discovery 1.0 §4) and check its issuer
(§4.3), required members (§3), https endpoints, algorithms (never ``none``), PKCE (RFC 7636, RFC
9700 §2.1.1), ``private_key_jwt`` (RFC 7523), the ``iss`` response parameter (RFC 9207) and PAR or
signed requests (RFC 9126; OpenID Federation 1.0 §12.1.1); the JWK set (RFC 7517 §5); identity
assurance metadata (OpenID Connect for Identity Assurance 1.0 §8) and Vectors of Trust (RFC 8485).
With a trust anchor, the ``ukid check entity`` cases run on the provider, prefixed ``entity.``,
and its resolved ``openid_provider`` metadata must agree with the discovery document. A complete
login and negative probes follow when the checker is a client of the provider
(:mod:`ukid.check.idp_login`, :mod:`ukid.check.idp_probes`).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from federation.http import FederationFetcher
from schemas.vot import Trustmark, Vector
from ukid.check import idp_metadata as rules
from ukid.check import profile
from ukid.check.cases import Case, CaseFailed, CaseGroup, CaseSkipped
from ukid.check.client import LoginState
from ukid.check.entity import EntityContext, entity_cases

__all__ = ["DISCOVERY_PATH", "IdpContext", "idp_cases"]

DISCOVERY_PATH = "/.well-known/openid-configuration"
_DISCO = "OpenID Connect Discovery 1.0"
_IA = "OpenID Connect for Identity Assurance 1.0"
#: Discovery 1.0 §3: REQUIRED provider metadata.
REQUIRED = (
    "issuer",
    "authorization_endpoint",
    "token_endpoint",
    "jwks_uri",
    "response_types_supported",
    "subject_types_supported",
    "id_token_signing_alg_values_supported",
)


@dataclass
class IdpContext:
    """The provider, and what the cases found so far; ``entity`` is set when a trust anchor is given,
    ``login`` when the checker is a client of the provider (:mod:`ukid.check.idp_login`)."""

    issuer: str
    fetcher: FederationFetcher
    dev: bool = False
    entity: EntityContext | None = None
    discovery: dict[str, Any] = field(default_factory=dict)
    keys: list[dict[str, Any]] = field(default_factory=list)
    login: LoginState | None = None

    def federation(self) -> EntityContext:
        if self.entity is None:
            raise CaseSkipped("no --trust-anchor given")
        return self.entity


def _raise(problems: Sequence[profile.Problem], checked: str) -> str:
    if problems:
        raise CaseFailed("; ".join(p[0] for p in problems), fix=problems[0][1])
    return checked


async def _issuer_url(ctx: IdpContext) -> str:
    problem = profile.url_problem(ctx.issuer, dev=ctx.dev)
    if problem is not None:
        raise CaseFailed(problem)
    return ctx.issuer + (" (development federation)" if ctx.dev else "")


async def _fetch(ctx: IdpContext) -> str:
    url = ctx.issuer.removesuffix("/") + DISCOVERY_PATH
    document = await ctx.fetcher.get_json(url)
    if not isinstance(document, dict):
        raise CaseFailed(f"{url}: the document is a JSON {type(document).__name__}, not an object")
    ctx.discovery = document
    return f"{url}: HTTP 200, application/json, {len(document)} members"


async def _issuer(ctx: IdpContext) -> str:
    issuer = ctx.discovery.get("issuer")
    if issuer != ctx.issuer:
        raise CaseFailed(f"issuer is {issuer!r}, not the URL checked {ctx.issuer!r} (they must be identical)")
    return f"issuer {issuer}"


async def _required(ctx: IdpContext) -> str:
    md = ctx.discovery
    missing = [name for name in REQUIRED if name not in md]
    if missing:
        raise CaseFailed("missing: " + ", ".join(missing))
    if "code" not in rules.strings(md.get("response_types_supported")):
        raise CaseFailed("response_types_supported lacks code", fix="Support the authorization code flow.")
    return "all of " + ", ".join(REQUIRED)


async def _https(ctx: IdpContext) -> str:
    problems = profile.url_problems({"discovery": ctx.discovery}, dev=ctx.dev)
    return _raise(
        problems, "every endpoint and URI is https" + (" (or http to localhost)" if ctx.dev else "")
    )


async def _algorithms(ctx: IdpContext) -> str:
    md = ctx.discovery
    algs = rules.strings(md.get("id_token_signing_alg_values_supported"))
    problems: list[profile.Problem] = []
    if "none" in algs:
        problems.append(
            ("id_token_signing_alg_values_supported has none", "Sign every ID token; never advertise none.")
        )
    elif not algs:
        problems.append(("id_token_signing_alg_values_supported is empty", "List the ID token algorithms."))
    problems += profile.algorithm_problems({"discovery": md})
    return _raise(problems, "ID token algorithms " + ", ".join(algs) + "; every *_alg value allowed")


async def _pkce(ctx: IdpContext) -> str:
    md = ctx.discovery
    methods = rules.strings(md.get("code_challenge_methods_supported"))
    return _raise(
        profile.pkce_problems(md, "discovery"), "code_challenge_methods_supported: " + ", ".join(methods)
    )


async def _client_auth(ctx: IdpContext) -> str:
    md = ctx.discovery
    methods = rules.strings(md.get("token_endpoint_auth_methods_supported"))
    return _raise(profile.client_auth_problems(md, "discovery"), "token endpoint auth: " + ", ".join(methods))


async def _iss_parameter(ctx: IdpContext) -> str:
    value = ctx.discovery.get("authorization_response_iss_parameter_supported")
    if value is not True:
        raise CaseFailed(f"authorization_response_iss_parameter_supported is {value!r}, not true")
    return "authorization_response_iss_parameter_supported: true"


async def _par(ctx: IdpContext) -> str:
    md = ctx.discovery
    problems = profile.request_problems(md, "discovery")
    if (
        md.get("require_pushed_authorization_requests") is True
        and "pushed_authorization_request_endpoint" not in md
    ):
        problems.append(
            (
                "discovery.require_pushed_authorization_requests is true without a "
                "pushed_authorization_request_endpoint",
                "Publish pushed_authorization_request_endpoint (RFC 9126 §5).",
            )
        )
    endpoint = md.get("pushed_authorization_request_endpoint")
    found = f"pushed_authorization_request_endpoint {endpoint}" if endpoint else "request_parameter_supported"
    return _raise(problems, found)


async def _jwks_fetch(ctx: IdpContext) -> str:
    url = ctx.discovery.get("jwks_uri")
    if not isinstance(url, str):
        raise CaseFailed(f"jwks_uri is {url!r}, not a URL")
    problem = profile.url_problem(url, dev=ctx.dev)
    if problem is not None:
        raise CaseFailed(f"jwks_uri: {problem}")
    document = await ctx.fetcher.get_json(url)
    keys = document.get("keys") if isinstance(document, dict) else None
    if not isinstance(keys, list) or not keys or not all(isinstance(k, dict) for k in keys):
        raise CaseFailed(
            f"{url}: not a JWK set (a JSON object whose keys member is a non-empty array of JWKs)"
        )
    missing = [i for i, k in enumerate(keys) if not isinstance(k.get("kty"), str)]
    if missing:
        raise CaseFailed(f"{url}: key #{missing[0]} has no kty (RFC 7517 §4.1)")
    ctx.keys = keys
    return f"{url}: {len(keys)} key(s)"


async def _public_only(ctx: IdpContext) -> str:
    bad = [
        f"key {k.get('kid')!r} has {', '.join(m for m in rules.PRIVATE_MEMBERS if m in k)}"
        for k in ctx.keys
        if any(m in k for m in rules.PRIVATE_MEMBERS)
    ]
    if bad:
        raise CaseFailed("private key material published: " + "; ".join(bad))
    return "no private or symmetric key members"


async def _unique_kids(ctx: IdpContext) -> str:
    kids = [k.get("kid") for k in ctx.keys]
    if any(not isinstance(kid, str) or not kid for kid in kids):
        raise CaseFailed(
            f"{sum(1 for kid in kids if not isinstance(kid, str) or not kid)} key(s) without a kid"
        )
    twice = sorted(str(kid) for kid, n in Counter(kids).items() if n > 1)
    if twice:
        raise CaseFailed("kid used more than once: " + ", ".join(twice))
    return "kids " + ", ".join(str(kid) for kid in kids)


async def _keys_usable(ctx: IdpContext) -> str:
    problems = rules.key_problems(ctx.keys, ctx.discovery)
    if problems:
        raise CaseFailed("; ".join(problems))
    return f"{len(ctx.keys)} key(s), each usable with an advertised algorithm"


async def _id_token_keys(ctx: IdpContext) -> str:
    algs = [
        a for a in rules.strings(ctx.discovery.get("id_token_signing_alg_values_supported")) if a != "none"
    ]
    found: list[str] = []
    missing: list[str] = []
    for alg in algs:
        kids = [str(k.get("kid")) for k in ctx.keys if rules.key_fits(k, alg, use="sig")]
        (found if kids else missing).append(f"{alg} ({', '.join(kids)})" if kids else alg)
    if missing:
        raise CaseFailed("no signing key for " + ", ".join(missing))
    if not found:
        raise CaseFailed("no ID token signing algorithm advertised")
    return "signing keys for " + ", ".join(found)


async def _assurance(ctx: IdpContext) -> str:
    md = ctx.discovery
    problems = rules.assurance_problems(md)
    detail = (
        f"trust frameworks {', '.join(rules.strings(md.get('trust_frameworks_supported')))}; evidence "
        f"{', '.join(rules.strings(md.get('evidence_supported')))}; "
        f"{len(rules.strings(md.get('claims_in_verified_claims_supported')))} verifiable claims "
        "(no schema of IA provider metadata in schemas/: checked against IA 1.0 §8 and schemas.evidence)"
    )
    return _raise(problems, detail)


async def _vot(ctx: IdpContext) -> str:
    md = ctx.discovery
    if "vtr_values_supported" not in md and "trustmarks" not in md:
        raise CaseSkipped(
            "the provider publishes no Vectors of Trust metadata (vtr_values_supported, trustmarks)"
        )
    vectors = rules.strings(md.get("vtr_values_supported"))
    return _raise(
        rules.vot_problems(md, dev=ctx.dev), f"{len(vectors)} vector(s); trustmarks {md.get('trustmarks')}"
    )


async def _trustmark(ctx: IdpContext) -> str:
    url = str(ctx.discovery["trustmarks"])
    document = await ctx.fetcher.get_json(url)
    try:
        trustmark = Trustmark.model_validate(document)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "document"
        raise CaseFailed(f"{url}: not a trustmark document: {where}: {first['msg']}") from None
    if trustmark.idp != ctx.issuer:
        raise CaseFailed(f"{url}: the trustmark is for idp {trustmark.idp!r}, not {ctx.issuer!r}")
    refused = []
    for text in rules.strings(ctx.discovery.get("vtr_values_supported")):
        reason = trustmark.refusal(Vector.parse(text))
        if reason is not None:
            refused.append(f"{text}: {reason}")
    if refused:
        raise CaseFailed(f"vtr_values_supported the trustmark does not allow: {'; '.join(refused)}")
    return f"trustmark for {trustmark.idp} by {trustmark.trustmark_provider}; allows every advertised vector"


async def _consistent(ctx: IdpContext) -> str:
    metadata, which = ctx.federation().metadata()
    fed = metadata.get("openid_provider")
    if fed is None:
        raise CaseFailed(f"no openid_provider in {which}")
    disco = ctx.discovery
    names = ["issuer", "jwks_uri", *sorted(n for n in set(fed) | set(disco) if n.endswith("_endpoint"))]
    # Federation-only endpoints (registration) need not be in discovery; everything else must agree.
    differ = [
        f"{n}: federation {fed.get(n)!r}, discovery {disco.get(n)!r}"
        for n in names
        if fed.get(n) != disco.get(n)
        and not (n == "federation_registration_endpoint" and n not in disco)
        and not (n == "jwks_uri" and n not in fed and ("jwks" in fed or "signed_jwks_uri" in fed))
    ]
    if differ:
        raise CaseFailed("openid_provider metadata and the discovery document differ: " + "; ".join(differ))
    return f"issuer, jwks_uri and {len(names) - 2} endpoint(s) agree with {which}"


def _wrap(case: Case[EntityContext]) -> Case[IdpContext]:
    async def run(ctx: IdpContext) -> str:
        return await case.run(ctx.federation())

    requires = tuple(f"entity.{r}" for r in case.requires)
    return Case(f"entity.{case.id}", case.title, case.spec, case.fix, run, requires)


def _wrap_group(group: CaseGroup[EntityContext]) -> CaseGroup[IdpContext]:
    def build(ctx: IdpContext) -> list[Case[IdpContext]]:
        return [_wrap(case) for case in group.build(ctx.federation())]

    requires = tuple(f"entity.{r}" for r in group.requires)
    return CaseGroup(f"entity.{group.id}", group.title, group.spec, group.fix, build, group.empty, requires)


def _federation_cases(federation: bool) -> list[Case[IdpContext] | CaseGroup[IdpContext]]:
    if not federation:

        async def skip(_ctx: IdpContext) -> str:
            raise CaseSkipped("no --trust-anchor given: the federation cases did not run")

        return [
            Case(
                "federation",
                "Federation entity checks",
                "OpenID Federation 1.0",
                "Pass --trust-anchor TA to run them.",
                skip,
            )
        ]
    wrapped: list[Case[IdpContext] | CaseGroup[IdpContext]] = [
        _wrap(item) if isinstance(item, Case) else _wrap_group(item) for item in entity_cases()
    ]
    consistent = Case(
        "federation.consistent",
        "Resolved openid_provider metadata agrees with the discovery document",
        "OpenID Federation 1.0 §5.1.3; OpenID Connect Discovery 1.0 §3",
        "Publish the same issuer, jwks_uri and endpoints in the entity configuration and discovery.",
        _consistent,
        ("entity.chain.metadata_policy", "discovery.fetch"),
    )
    return [*wrapped, consistent]


def idp_cases(*, federation: bool) -> list[Case[IdpContext] | CaseGroup[IdpContext]]:
    """The cases of ``ukid check idp`` in run order; ``federation``: a trust anchor was given."""
    disco = ("discovery.fetch",)
    jwks = ("jwks.fetch",)
    cases: list[Case[IdpContext] | CaseGroup[IdpContext]] = [
        Case(
            "issuer_url",
            "Issuer is an https URL (or http://localhost with --dev)",
            f"{_DISCO} §2; OpenID Federation 1.0 §1.2",
            "Use an https issuer; plain http only for a local development federation (--dev).",
            _issuer_url,
        ),
        Case(
            "discovery.fetch",
            f"Discovery document is served as JSON at {DISCOVERY_PATH}",
            f"{_DISCO} §4",
            f"Serve the provider metadata as an application/json object at ISSUER{DISCOVERY_PATH}.",
            _fetch,
            ("issuer_url",),
        ),
        Case(
            "discovery.issuer",
            "issuer is identical to the URL checked",
            f"{_DISCO} §4.3",
            "Set issuer to exactly the issuer URL (scheme, host, port, path; no trailing slash change).",
            _issuer,
            disco,
        ),
        Case(
            "discovery.required",
            "Required provider metadata is present (and code is supported)",
            f"{_DISCO} §3",
            "Publish every REQUIRED member of Discovery §3.",
            _required,
            disco,
        ),
        Case(
            "discovery.https",
            "Endpoints and URIs use https",
            f"{_DISCO} §3; RFC 9700 §2.1",
            "Publish https endpoints (plain http only to localhost with --dev).",
            _https,
            disco,
        ),
        Case(
            "discovery.algorithms",
            "ID token algorithms exclude none; every algorithm is allowed",
            f"{_DISCO} §3; RFC 7518 §3.1; federation profile",
            "Use ES256, PS256 or RS256; never none or HMAC.",
            _algorithms,
            disco,
        ),
        Case(
            "discovery.pkce",
            "PKCE: S256 advertised, plain not",
            "RFC 7636 §4.2; RFC 9700 §2.1.1",
            "Advertise code_challenge_methods_supported: [S256] and refuse plain.",
            _pkce,
            disco,
        ),
        Case(
            "discovery.client_auth",
            "private_key_jwt client authentication is accepted",
            "RFC 7523 §2.2; OpenID Federation 1.0 §12.1",
            "Add private_key_jwt to the token endpoint auth methods.",
            _client_auth,
            disco,
        ),
        Case(
            "discovery.iss_parameter",
            "iss in authorization responses is advertised",
            "RFC 9207 §3",
            "Return iss in authorization responses and advertise it.",
            _iss_parameter,
            disco,
        ),
        Case(
            "discovery.par",
            "Pushed authorization requests (or signed request objects) are accepted",
            "RFC 9126 §5; OpenID Federation 1.0 §12.1.1",
            "Publish pushed_authorization_request_endpoint (or accept signed request objects).",
            _par,
            disco,
        ),
        Case(
            "jwks.fetch",
            "jwks_uri serves a JWK set",
            "RFC 7517 §5; " + f"{_DISCO} §3",
            'Serve {"keys": [...]} as application/json at jwks_uri.',
            _jwks_fetch,
            disco,
        ),
        Case(
            "jwks.public_only",
            "The JWK set holds public keys only",
            "RFC 7517 §9.2; RFC 7518 §6",
            "Remove private members (d, p, q, dp, dq, qi, oth) and symmetric keys (k) NOW; rotate the keys.",
            _public_only,
            jwks,
        ),
        Case(
            "jwks.unique_kids",
            "Every key has a kid, none used twice",
            "RFC 7517 §4.5; OpenID Connect Core 1.0 §10.1",
            "Give each key its own kid.",
            _unique_kids,
            jwks,
        ),
        Case(
            "jwks.keys_usable",
            "Each key fits an algorithm the provider advertises",
            "RFC 7517 §4.2-§4.4; RFC 7518 §3.1",
            "Remove unused keys or advertise their algorithm.",
            _keys_usable,
            jwks,
        ),
        Case(
            "jwks.id_token_keys",
            "A signing key exists for each advertised ID token algorithm",
            f"{_DISCO} §3; OpenID Connect Core 1.0 §10.1",
            "Publish a key for every ID token algorithm advertised.",
            _id_token_keys,
            jwks,
        ),
        Case(
            "assurance.metadata",
            "Identity assurance metadata: uk_diatf, evidence, documents, verifiable claims",
            f"{_IA} §8",
            "Publish the identity assurance provider metadata (verified_claims_supported...).",
            _assurance,
            disco,
        ),
        Case(
            "vot.metadata",
            "Vectors of Trust metadata: vectors parse, trustmarks URL",
            "RFC 8485 §3, §5",
            "Publish vtr_values_supported and a trustmarks URL.",
            _vot,
            disco,
        ),
        Case(
            "vot.trustmark",
            "Trustmark document is valid, for this issuer, and allows each advertised vector",
            "RFC 8485 §5",
            "Serve a trustmark whose idp is the issuer and which lists every advertised vector.",
            _trustmark,
            ("vot.metadata",),
        ),
    ]
    return [*cases, *_federation_cases(federation)]
