"""``ukid check entity``: the conformance cases for one federation entity (OpenID Federation 1.0).

The cases fetch the entity configuration (§9) and check its JWT header, self-signature and validity
(§3, §3.1), its ``authority_hints``, resolve its trust chain to the given trust anchor (§10), apply
the metadata policy (§6.1), verify each trust mark it carries (§7.3) and ask its issuer's status
endpoint (§8.4), and check the metadata against this federation's profile (:mod:`ukid.check.profile`).
The resolved metadata is checked when the chain resolves; otherwise the entity's own.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from federation.errors import FederationError, InvalidMetadata, InvalidPolicy, InvalidTrustChain
from federation.http import ENTITY_STATEMENT_MEDIA_TYPE, FederationFetcher, entity_configuration_url
from federation.jose import AlgorithmPolicy, JwtType, decode_unverified, verify_jwt
from federation.resolver import TrustChainResolver
from federation.statements import (
    DEFAULT_LEEWAY,
    EntityStatement,
    Jwks,
    check_crit,
    parse_statement,
    verify_entity_configuration,
)
from federation.trust_chain import TrustAnchor, TrustChain
from federation.trust_marks import TrustMarkStatus, request_status, verify_trust_mark
from ukid._format import iso_utc
from ukid.check import profile
from ukid.check.cases import Case, CaseFailed, CaseGroup, CaseSkipped

__all__ = ["EntityContext", "entity_cases"]

_FED = "OpenID Federation 1.0"
_POLICY = AlgorithmPolicy(profile.FEDERATION_ALGORITHMS)


@dataclass
class EntityContext:
    """The subject, the trust anchor and what the cases found so far."""

    entity_id: str
    trust_anchor: str
    fetcher: FederationFetcher
    #: The anchor's keys pinned out of band (``None``: taken from its own configuration).
    anchor_jwks: Jwks | None = None
    dev: bool = False
    clock: Callable[[], float] = time.time
    token: str = ""
    header: dict[str, Any] = field(default_factory=dict)
    statement: EntityStatement | None = None
    resolver: TrustChainResolver | None = None
    chain: TrustChain | None = None
    policy_error: FederationError | None = None
    #: Issuer configuration of each trust mark that verified, by case id.
    mark_issuers: dict[str, EntityStatement] = field(default_factory=dict)

    def own(self) -> EntityStatement:
        """The verified entity configuration (a case that needs it requires configuration.self_signed)."""
        if self.statement is None:
            raise CaseFailed("the entity configuration was not verified")
        return self.statement

    def metadata(self) -> tuple[dict[str, dict[str, Any]], str]:
        """The resolved metadata when the chain resolved, else the entity's own; and which it is."""
        if self.chain is not None:
            return self.chain.metadata, "resolved metadata"
        return dict(self.own().metadata or {}), "the entity's own metadata (the chain did not resolve)"


async def _entity_id(ctx: EntityContext) -> str:
    problem = profile.url_problem(ctx.entity_id, dev=ctx.dev)
    if problem is not None:
        raise CaseFailed(problem)
    return f"{ctx.entity_id}" + (" (development federation)" if ctx.dev else "")


async def _trust_anchor(ctx: EntityContext) -> str:
    token = await ctx.fetcher.get_jwt(
        entity_configuration_url(ctx.trust_anchor), media_type=ENTITY_STATEMENT_MEDIA_TYPE
    )
    pinned = ctx.anchor_jwks.key_set() if ctx.anchor_jwks is not None else None
    try:
        anchor = verify_entity_configuration(
            token, entity_id=ctx.trust_anchor, trusted_keys=pinned, now=ctx.clock(), policy=_POLICY
        )
    except FederationError as exc:
        raise CaseFailed(
            f"trust anchor entity configuration of {ctx.trust_anchor}: {exc.description}"
        ) from exc
    jwks = ctx.anchor_jwks or anchor.jwks
    ctx.resolver = TrustChainResolver(
        ctx.fetcher, [TrustAnchor(ctx.trust_anchor, jwks)], algorithms=_POLICY, clock=ctx.clock
    )
    if ctx.anchor_jwks is None:
        kids = ", ".join(str(k.get("kid")) for k in anchor.jwks.keys)
        return (
            f"keys (kid {kids}) taken from the anchor's own configuration (trust on first use): "
            "pin them with --trust-anchor-jwks"
        )
    return "verifies with the pinned keys"


async def _fetch(ctx: EntityContext) -> str:
    ctx.token = await ctx.fetcher.get_jwt(
        entity_configuration_url(ctx.entity_id), media_type=ENTITY_STATEMENT_MEDIA_TYPE
    )
    return f"HTTP 200, {ENTITY_STATEMENT_MEDIA_TYPE}, a compact JWT of {len(ctx.token)} bytes"


async def _header(ctx: EntityContext) -> str:
    header, claims = decode_unverified(ctx.token)
    ctx.header = header
    problems = []
    if header.get("typ") != JwtType.ENTITY_STATEMENT.value:
        problems.append(f"typ is {header.get('typ')!r}, expected {JwtType.ENTITY_STATEMENT.value!r}")
    if header.get("alg") not in profile.FEDERATION_ALGORITHMS:
        allowed = ", ".join(profile.FEDERATION_ALGORITHMS)
        problems.append(f"alg is {header.get('alg')!r}, not in the allow-list ({allowed})")
    kid = header.get("kid")
    if not isinstance(kid, str) or not kid:
        problems.append("no kid")
    else:
        jwks = claims.get("jwks")
        keys = jwks.get("keys") if isinstance(jwks, dict) else None
        if not isinstance(keys, list) or not any(isinstance(k, dict) and k.get("kid") == kid for k in keys):
            problems.append(f"kid {kid!r} is not in the configuration's own jwks")
    if problems:
        raise CaseFailed("JWT header: " + "; ".join(problems))
    return f"typ {header['typ']}, alg {header['alg']}, kid {kid}"


async def _self_signed(ctx: EntityContext) -> str:
    _header, claims = decode_unverified(ctx.token)
    own = parse_statement(claims, ctx.token)
    verify_jwt(ctx.token, own.keys(), JwtType.ENTITY_STATEMENT, policy=_POLICY)
    if not own.is_configuration:
        raise CaseFailed(f"iss {own.iss} differs from sub {own.sub}")
    if own.sub != ctx.entity_id:
        raise CaseFailed(f"sub is {own.sub}, not the entity ID {ctx.entity_id}")
    check_crit(own)
    ctx.statement = own
    return f"iss = sub = {own.sub}; signature verifies with kid {ctx.header.get('kid')}"


async def _validity(ctx: EntityContext) -> str:
    own = ctx.own()
    now = int(ctx.clock())
    if own.iat > now + DEFAULT_LEEWAY:
        raise CaseFailed(f"issued in the future: iat {iso_utc(own.iat)}, {own.iat - now} s from now")
    if own.exp <= now - DEFAULT_LEEWAY:
        raise CaseFailed(f"expired at {iso_utc(own.exp)}, {now - own.exp} s ago")
    return f"issued {iso_utc(own.iat)}, expires {iso_utc(own.exp)}"


async def _authority_hints(ctx: EntityContext) -> str:
    own = ctx.own()
    hints = own.authority_hints or []
    if ctx.entity_id == ctx.trust_anchor:
        return "the trust anchor itself" + (f"; authority_hints {hints}" if hints else "")
    if not hints:
        raise CaseFailed("no authority_hints: an entity below the trust anchor must name its superiors")
    return "authority_hints: " + ", ".join(hints)


async def _chain(ctx: EntityContext) -> str:
    if ctx.resolver is None:
        raise CaseFailed("no resolver: the trust anchor was not verified")
    try:
        ctx.chain = await ctx.resolver.resolve(ctx.entity_id, trust_anchor=ctx.trust_anchor)
    except InvalidTrustChain as exc:
        pairs = exc.path_errors
        if pairs and all(isinstance(e, InvalidPolicy | InvalidMetadata) for _path, e in pairs):
            ctx.policy_error = pairs[0][1]
            return f"every statement verifies via {' -> '.join(pairs[0][0])}; the metadata policy failed"
        if not pairs:
            raise
        lines = [f"via {' -> '.join(path)}: {e.description}" for path, e in pairs]
        raise CaseFailed(f"no valid trust chain to {ctx.trust_anchor}: " + "; ".join(lines)) from exc
    return f"{' -> '.join(ctx.chain.path)}; chain expires {iso_utc(ctx.chain.exp)}"


async def _policy(ctx: EntityContext) -> str:
    if ctx.policy_error is not None:
        raise CaseFailed(ctx.policy_error.description)
    if ctx.chain is None:
        raise CaseFailed("the chain did not resolve")
    policies = sum(1 for s in ctx.chain.statements[1:-1] if s.metadata_policy)
    types = ", ".join(sorted(ctx.chain.metadata)) or "none"
    return f"{policies} metadata policy statement(s) applied; entity types: {types}"


def _mark_case(case_id: str, token: str, trust_mark_type: str) -> Case[EntityContext]:
    async def verify(ctx: EntityContext) -> str:
        if ctx.resolver is None:
            raise CaseFailed("no resolver: the trust anchor was not verified")
        issuer = decode_unverified(token)[1].get("iss")
        if not isinstance(issuer, str) or not issuer:
            raise CaseFailed("the trust mark has no iss")
        try:
            issuer_chain = await ctx.resolver.resolve(issuer, trust_anchor=ctx.trust_anchor)
        except FederationError as exc:
            raise CaseFailed(f"issuer {issuer} has no valid trust chain: {exc.description}") from exc
        mark = verify_trust_mark(
            token,
            anchor=issuer_chain.anchor_configuration,
            issuer_keys=issuer_chain.leaf.keys(),
            now=ctx.clock(),
            subject=ctx.entity_id,
            trust_mark_type=trust_mark_type,
            policy=_POLICY,
        )
        ctx.mark_issuers[case_id] = issuer_chain.leaf
        expiry = f"expires {iso_utc(mark.exp)}" if mark.exp is not None else "no expiry"
        delegated = ", delegated by its owner" if mark.delegation else ""
        return f"issued by {mark.iss}{delegated}; {expiry}"

    return Case(
        case_id,
        f"Trust mark {trust_mark_type} verifies",
        f"{_FED} §7.3",
        "Ask the issuer for a fresh trust mark; its issuer must be allowed by the trust anchor.",
        verify,
        ("trust_anchor", "configuration.validity"),
    )


def _status_case(case_id: str, of: str, token: str, trust_mark_type: str) -> Case[EntityContext]:
    async def status(ctx: EntityContext) -> str:
        issuer = ctx.mark_issuers[of]
        found = await request_status(ctx.fetcher, issuer, token, now=ctx.clock(), policy=_POLICY)
        if found is not TrustMarkStatus.ACTIVE:
            raise CaseFailed(f"the issuer {issuer.sub} says the trust mark is {found.value}")
        return f"active at {issuer.sub}"

    return Case(
        case_id,
        f"Trust mark {trust_mark_type} is active at its issuer",
        f"{_FED} §8.4",
        "Stop publishing a revoked or expired trust mark; ask the issuer for a new one.",
        status,
        (of,),
    )


def _trust_mark_cases(ctx: EntityContext) -> list[Case[EntityContext]]:
    cases: list[Case[EntityContext]] = []
    seen: set[str] = set()
    for number, ref in enumerate(ctx.own().trust_marks or (), start=1):
        short = ref.trust_mark_type.rstrip("/").rsplit("/", 1)[-1] or ref.trust_mark_type
        name = short if short not in seen else f"{short}#{number}"
        seen.add(name)
        verify_id, status_id = f"trust_mark[{name}]", f"trust_mark_status[{name}]"
        cases.append(_mark_case(verify_id, ref.trust_mark, ref.trust_mark_type))
        cases.append(_status_case(status_id, verify_id, ref.trust_mark, ref.trust_mark_type))
    return cases


def _report(problems: list[profile.Problem], checked: str) -> str:
    if problems:
        raise CaseFailed("; ".join(p[0] for p in problems), fix=problems[0][1])
    return checked


async def _https(ctx: EntityContext) -> str:
    metadata, which = ctx.metadata()
    return _report(profile.url_problems(metadata, dev=ctx.dev), f"every endpoint and URI in {which}")


async def _algorithms(ctx: EntityContext) -> str:
    metadata, which = ctx.metadata()
    return _report(profile.algorithm_problems(metadata), f"every *_alg value in {which}")


async def _federation_entity(ctx: EntityContext) -> str:
    metadata, which = ctx.metadata()
    md = metadata.get("federation_entity", {})
    problems = profile.federation_entity_problems(
        metadata,
        is_anchor=ctx.entity_id == ctx.trust_anchor,
        has_subordinates="federation_fetch_endpoint" in md,
    )
    return _report(problems, f"federation_entity in {which}")


async def _provider(ctx: EntityContext) -> str:
    metadata, which = ctx.metadata()
    md = metadata.get("openid_provider")
    if md is None:
        raise CaseSkipped("no openid_provider metadata")
    return _report(profile.provider_problems(md, ctx.entity_id), f"openid_provider in {which}")


async def _relying_party(ctx: EntityContext) -> str:
    metadata, which = ctx.metadata()
    md = metadata.get("openid_relying_party")
    if md is None:
        raise CaseSkipped("no openid_relying_party metadata")
    return _report(profile.relying_party_problems(md), f"openid_relying_party in {which}")


def entity_cases() -> list[Case[EntityContext] | CaseGroup[EntityContext]]:
    """The cases of ``ukid check entity``, in the order they run."""
    signed = ("configuration.self_signed",)
    return [
        Case(
            "entity_id",
            "Entity ID is an https URL (or http://localhost with --dev)",
            f"{_FED} §1.2",
            "Use an https entity ID; plain http only for a local development federation (--dev).",
            _entity_id,
        ),
        Case(
            "trust_anchor",
            "Trust anchor configuration verifies with its keys",
            f"{_FED} §10.1",
            "Check --trust-anchor and --trust-anchor-jwks: the anchor must sign with those keys.",
            _trust_anchor,
        ),
        Case(
            "configuration.fetch",
            f"Entity configuration is served as {ENTITY_STATEMENT_MEDIA_TYPE}",
            f"{_FED} §9",
            "Serve the signed configuration at /.well-known/openid-federation with that type.",
            _fetch,
            ("entity_id",),
        ),
        Case(
            "configuration.header",
            "JWT header: typ entity-statement+jwt, alg in the allow-list, kid of a key in jwks",
            f"{_FED} §3",
            "Sign with ES256 and a key from your jwks; set typ entity-statement+jwt and kid.",
            _header,
            ("configuration.fetch",),
        ),
        Case(
            "configuration.self_signed",
            "Self-signed by a key in its own jwks; iss = sub = entity ID",
            f"{_FED} §3.1",
            "Sign the configuration with a key listed in its jwks; set iss and sub to the entity ID.",
            _self_signed,
            ("configuration.header",),
        ),
        Case(
            "configuration.validity",
            "Entity configuration is within its validity period (iat, exp)",
            f"{_FED} §3.1, §10.2",
            "Sign the configuration again before exp; check the server's clock.",
            _validity,
            signed,
        ),
        Case(
            "configuration.authority_hints",
            "authority_hints name the superiors (required below the trust anchor)",
            f"{_FED} §3.1",
            "Add authority_hints with the entity ID of your superior (the anchor or an intermediate).",
            _authority_hints,
            signed,
        ),
        Case(
            "chain.resolves",
            "Trust chain resolves to the trust anchor",
            f"{_FED} §10",
            "Ask your superior to onboard you (a subordinate statement about you, signed with its keys).",
            _chain,
            ("trust_anchor", "configuration.validity", "configuration.authority_hints"),
        ),
        Case(
            "chain.metadata_policy",
            "Metadata policy of the chain applies without error",
            f"{_FED} §6.1",
            "Change the metadata to satisfy your superiors' metadata_policy.",
            _policy,
            ("chain.resolves",),
        ),
        CaseGroup(
            "trust_marks",
            "Trust marks verify and are active",
            f"{_FED} §7.3",
            "Ask the issuer for the trust marks your service needs.",
            _trust_mark_cases,
            "the entity configuration carries no trust marks",
            ("trust_anchor", "configuration.validity"),
        ),
        Case(
            "profile.https",
            "Endpoints and URIs in the metadata use https",
            f"{_FED} §1.2; RFC 9700 §2.1",
            "Publish https URLs (plain http only to localhost in a development federation).",
            _https,
            signed,
        ),
        Case(
            "profile.algorithms",
            "Signing algorithms in the metadata are within the allow-list",
            "RFC 7518 §3.1; federation profile",
            "Use ES256, PS256 or RS256; never none or HMAC.",
            _algorithms,
            signed,
        ),
        Case(
            "profile.federation_entity",
            "federation_entity metadata (organization name; fetch and list endpoints for authorities)",
            f"{_FED} §5.1.1, §8.1, §8.2",
            "Publish federation_entity metadata with organization_name.",
            _federation_entity,
            signed,
        ),
        Case(
            "profile.openid_provider",
            "OpenID provider metadata: required fields, PKCE S256, private_key_jwt, automatic registration",
            f"{_FED} §5.1.3, §12.1; OpenID Connect Discovery 1.0 §3; RFC 7636 §4.2",
            "Publish the required provider metadata.",
            _provider,
            signed,
        ),
        Case(
            "profile.openid_relying_party",
            "Relying party metadata: private_key_jwt, automatic registration, redirect URIs, keys",
            f"{_FED} §5.1.2, §12.1; RFC 7523",
            "Publish the required relying party metadata.",
            _relying_party,
            signed,
        ),
    ]
