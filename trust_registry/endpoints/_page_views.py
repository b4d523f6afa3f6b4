"""What the registry pages show, as plain values built from the registry, the store and a trust chain.

The templates only lay these out; every decision (labels, statuses, which key signed what) is here,
so it is typed and tested once.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from joserfc.errors import JoseError
from joserfc.jwk import JWKRegistry

from federation.errors import InvalidJwt
from federation.jose import decode_unverified
from federation.statements import EntityStatement
from federation.trust_chain import TrustChain
from schemas.records import TrustMarkKind
from trust_registry.core.config import RegistryConfig
from trust_registry.core.directory import MemberRow
from trust_registry.core.profile import kind_of
from trust_registry.core.registry import Registry
from trust_registry.store import StoredTrustMark

KIND_LABELS = {
    TrustMarkKind.CERTIFIED_IDENTITY_SERVICE_PROVIDER: "Certified identity service provider",
    TrustMarkKind.COUNCIL: "Council",
    TrustMarkKind.NHS_ORGANISATION: "NHS organisation",
}
KIND_DESCRIPTIONS = {
    TrustMarkKind.CERTIFIED_IDENTITY_SERVICE_PROVIDER: "an identity service provider certified under the "
    "UK digital identity and attributes trust framework (DIATF), with its certificate",
    TrustMarkKind.COUNCIL: "a local council, with its GSS code and name",
    TrustMarkKind.NHS_ORGANISATION: "an NHS organisation, with its ODS code",
}
ENTITY_TYPE_LABELS = {
    "federation_entity": "Federation entity",
    "openid_provider": "OpenID provider",
    "openid_relying_party": "OpenID relying party",
    "oauth_authorization_server": "OAuth authorization server",
    "oauth_client": "OAuth client",
    "oauth_resource": "OAuth protected resource",
}
_ENDPOINT_PURPOSES = {
    "federation_fetch_endpoint": "Subordinate statements about members (§8.1)",
    "federation_list_endpoint": "The entity IDs of members, with filters (§8.2)",
    "federation_resolve_endpoint": "Resolved metadata and trust chain of any entity below (§8.3)",
    "federation_trust_mark_status_endpoint": "Whether a trust mark issued here is active (§8.4)",
    "federation_trust_mark_list_endpoint": "Entities holding a trust mark type issued here (§8.5)",
    "federation_trust_mark_endpoint": "The trust mark an entity holds (§8.6)",
    "federation_historical_keys_endpoint": "Every key this registry has signed with (§8.7)",
}


def role_label(config: RegistryConfig) -> str:
    """``Trust anchor`` or ``Intermediate``."""
    return "Trust anchor" if config.is_anchor else "Intermediate"


def type_label(type_url: str, type_base: str) -> str:
    """A trust mark type in words (its kind's label), or the type URL itself."""
    kind = kind_of(type_base, type_url)
    return KIND_LABELS[kind] if kind is not None else type_url


def member_link(base: str, entity_id: str) -> str:
    """The member page of ``entity_id``."""
    return f"{base}/members/view?" + urlencode({"sub": entity_id})


@dataclass(frozen=True)
class KeyRow:
    """A federation key: its kid, its RFC 7638 thumbprint and what kind of key it is."""

    kid: str
    thumbprint: str
    kty: str
    curve: str
    alg: str
    use: str
    iat: int | None = None
    exp: int | None = None
    status: str = ""

    @property
    def kid_is_thumbprint(self) -> bool:
        """True when the kid is the key's RFC 7638 thumbprint (this federation's convention)."""
        return bool(self.thumbprint) and self.kid == self.thumbprint


def _b64_bits(value: Any) -> int:
    try:
        return len(base64.urlsafe_b64decode(str(value) + "=" * (-len(str(value)) % 4))) * 8
    except (binascii.Error, ValueError):
        return 0


def key_row(jwk: Mapping[str, Any], **life: Any) -> KeyRow:
    """Describe one public JWK; the thumbprint is computed, not taken from the kid."""
    try:
        thumbprint = JWKRegistry.import_key(dict(jwk)).thumbprint()
    except (JoseError, ValueError, TypeError, KeyError):
        thumbprint = ""
    kty = str(jwk.get("kty", ""))
    curve = str(jwk.get("crv", "")) if kty != "RSA" else f"{_b64_bits(jwk.get('n', ''))} bits"
    return KeyRow(
        kid=str(jwk.get("kid", "")),
        thumbprint=thumbprint,
        kty=kty,
        curve=curve,
        alg=str(jwk.get("alg", "")),
        use=str(jwk.get("use", "")),
        **life,
    )


def key_rows(jwks: Mapping[str, Any]) -> list[KeyRow]:
    """The keys of a JWKS (a member's federation keys as recorded)."""
    keys = jwks.get("keys", [])
    return [key_row(k) for k in keys if isinstance(k, Mapping)] if isinstance(keys, list) else []


def own_keys(registry: Registry) -> list[KeyRow]:
    """This registry's federation keys with their life cycle (§8.7)."""
    now = registry.now()
    active = registry.keys.active_key()
    rows = []
    for key in registry.keys.managed_keys():
        if key.revoked_at is not None:
            status = "Revoked"
        elif key.exp <= now:
            status = "Expired"
        elif active is not None and key.kid == active.kid:
            status = "Signing"
        else:
            status = "Published"
        rows.append(key_row(key.public_jwk(), iat=key.iat, exp=key.exp, status=status))
    return rows


@dataclass(frozen=True)
class Endpoint:
    """One published federation endpoint."""

    parameter: str
    url: str
    purpose: str


@dataclass(frozen=True)
class MarkType:
    """A trust mark type, in words."""

    url: str
    label: str
    description: str
    issuers: tuple[str, ...] = ()


@dataclass(frozen=True)
class RegistryView:
    """The registry overview."""

    entity_id: str
    configuration_url: str
    endpoints: list[Endpoint]
    issued: list[MarkType]
    issuers: list[MarkType]
    owned: list[MarkType]
    authority_hints: tuple[str, ...]
    trust_anchors: list[tuple[str, bool]]
    keys: list[KeyRow]


def _mark_type(url: str, type_base: str, issuers: tuple[str, ...] = ()) -> MarkType:
    kind = kind_of(type_base, url)
    return MarkType(
        url=url,
        label=KIND_LABELS[kind] if kind is not None else url,
        description=KIND_DESCRIPTIONS[kind] if kind is not None else "",
        issuers=issuers,
    )


def registry_view(registry: Registry) -> RegistryView:
    """What the overview page says about this registry."""
    config = registry.config
    return RegistryView(
        entity_id=config.entity_id,
        configuration_url=f"{config.entity_id}/.well-known/openid-federation",
        endpoints=[
            Endpoint(name, url, _ENDPOINT_PURPOSES.get(name, ""))
            for name, url in config.endpoints.metadata().items()
        ],
        issued=[_mark_type(t, config.type_base) for t in config.issued_types],
        issuers=[
            _mark_type(t, config.type_base, tuple(issuers))
            for t, issuers in sorted(config.trust_mark_issuers.items())
        ],
        owned=[_mark_type(t, config.type_base) for t in config.owned_types],
        authority_hints=config.authority_hints,
        trust_anchors=[(a.entity_id, a.jwks is not None) for a in config.trust_anchors],
        keys=own_keys(registry),
    )


@dataclass(frozen=True)
class RowView:
    """A line of the member list."""

    entity_id: str
    link: str
    organisation: str | None
    status: str
    is_intermediate: bool
    entity_types: tuple[str, ...]
    marks: tuple[str, ...]


def row_view(row: MemberRow, base: str, type_base: str) -> RowView:
    """A member list line, with the trust marks held in words."""
    return RowView(
        entity_id=row.entity_id,
        link=member_link(base, row.entity_id),
        organisation=row.organization_name,
        status=row.status,
        is_intermediate=row.is_intermediate,
        entity_types=row.entity_types,
        marks=tuple(type_label(t, type_base) for t in row.trust_mark_types),
    )


@dataclass(frozen=True)
class PageItem:
    """A page number link, or an ellipsis (``number`` 0)."""

    number: int
    href: str
    current: bool


@dataclass(frozen=True)
class Pagination:
    """The GOV.UK pagination component's content."""

    previous: str | None
    next: str | None
    items: list[PageItem]


def pagination(base: str, page: int, pages: int, query: Mapping[str, str]) -> Pagination | None:
    """Links to the first, last, current and adjacent pages, with ellipses between (None: one page)."""
    if pages <= 1:
        return None

    def href(number: int) -> str:
        return f"{base}/members?" + urlencode({**query, "page": str(number)})

    shown = sorted({1, pages, page - 1, page, page + 1} & set(range(1, pages + 1)))
    items: list[PageItem] = []
    for number in shown:
        if items and number - items[-1].number > 1:
            items.append(PageItem(0, "", current=False))
        items.append(PageItem(number, href(number), current=number == page))
    return Pagination(
        previous=href(page - 1) if page > 1 else None,
        next=href(page + 1) if page < pages else None,
        items=items,
    )


@dataclass(frozen=True)
class StatementView:
    """One signed statement of a trust chain."""

    title: str
    issuer: str
    subject: str
    iat: int
    exp: int
    kid: str


@dataclass
class ChainStep:
    """One entity of a trust chain, with the statement(s) that put it there."""

    entity_id: str
    organisation: str | None
    role: str
    link: str | None
    statements: list[StatementView] = field(default_factory=list)


def _statement(statement: EntityStatement) -> StatementView:
    title = (
        "Entity configuration (signed by itself)" if statement.is_configuration else "Subordinate statement"
    )
    return StatementView(
        title=title,
        issuer=statement.iss,
        subject=statement.sub,
        iat=int(statement.iat),
        exp=int(statement.exp),
        kid=statement.kid,
    )


def _organisation(statement: EntityStatement) -> str | None:
    name = (statement.metadata or {}).get("federation_entity", {}).get("organization_name")
    return name if isinstance(name, str) else None


def chain_steps(chain: TrustChain, registry: Registry, base: str) -> list[ChainStep]:
    """The chain from the trust anchor down to the subject (§4): the anchor with its configuration,
    each entity below with the subordinate statement its superior made about it, and the subject's
    own configuration last."""
    config = registry.config
    statements = chain.statements
    anchor = statements[-1]

    def name(entity_id: str) -> str | None:
        if entity_id == config.entity_id:
            return config.organization_name
        member = registry.store.member(entity_id)
        return member.organization_name if member is not None else None

    def link(entity_id: str) -> str | None:
        if entity_id == config.entity_id:
            return f"{base}/"
        return member_link(base, entity_id) if registry.store.member(entity_id) is not None else None

    steps = [
        ChainStep(
            anchor.sub,
            _organisation(anchor) or name(anchor.sub),
            "Trust anchor",
            link(anchor.sub),
            [_statement(anchor)],
        )
    ]
    for statement in reversed(statements[1:-1]):
        leaf = statement.sub == chain.subject
        steps.append(
            ChainStep(
                statement.sub,
                (_organisation(chain.leaf) if leaf else None) or name(statement.sub),
                "Member" if leaf else "Intermediate",
                None if leaf else link(statement.sub),
                [_statement(statement)],
            )
        )
    if len(statements) > 1:
        steps[-1].statements.append(_statement(chain.leaf))
    return steps


@dataclass(frozen=True)
class MetadataRow:
    """One metadata parameter: ``kind`` is ``text``, ``list`` or ``json``."""

    name: str
    kind: str
    value: Any


def _row(name: str, value: Any) -> MetadataRow:
    if isinstance(value, str | int | float | bool):
        return MetadataRow(name, "text", json.dumps(value) if isinstance(value, bool) else str(value))
    if isinstance(value, list) and all(isinstance(v, str | int | float) for v in value):
        return MetadataRow(name, "list", [str(v) for v in value])
    return MetadataRow(name, "json", pretty(value))


def metadata_view(metadata: Mapping[str, Mapping[str, Any]]) -> list[tuple[str, str, list[MetadataRow]]]:
    """Metadata per entity type: (entity type, its name in words, parameters sorted by name)."""
    return [
        (etype, ENTITY_TYPE_LABELS.get(etype, etype), [_row(k, v) for k, v in sorted(values.items())])
        for etype, values in sorted(metadata.items())
    ]


def pretty(value: Any) -> str:
    """JSON for people: indented, keys in order, non-ASCII kept."""
    return json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False)


@dataclass(frozen=True)
class IssuedMark:
    """A trust mark this registry issued to the member, with its status (§8.4.2)."""

    id: int
    label: str
    type_url: str
    iat: int
    exp: int | None
    status: str
    revoked_at: int | None
    reason: str | None


def issued_mark(mark: StoredTrustMark, registry: Registry) -> IssuedMark:
    """Revoked, expired or active, as the trust mark status endpoint would answer."""
    if mark.revoked_at is not None:
        status = "revoked"
    elif mark.exp is not None and mark.exp <= registry.now():
        status = "expired"
    else:
        status = "active"
    return IssuedMark(
        id=mark.id,
        label=type_label(mark.trust_mark_type, registry.config.type_base),
        type_url=mark.trust_mark_type,
        iat=mark.iat,
        exp=mark.exp,
        status=status,
        revoked_at=mark.revoked_at,
        reason=mark.revocation_reason,
    )


@dataclass(frozen=True)
class ConfiguredMark:
    """A trust mark the member publishes in its entity configuration."""

    label: str
    type_url: str
    issuer: str
    exp: int | None
    verified: bool


def configured_marks(chain: TrustChain, verified: set[str], type_base: str) -> list[ConfiguredMark]:
    """The ``trust_marks`` of the member's configuration; ``verified`` as the resolve endpoint finds."""
    found = []
    for ref in chain.leaf.trust_marks or []:
        try:
            claims = decode_unverified(ref.trust_mark)[1]
        except InvalidJwt:
            claims = {}
        exp = claims.get("exp")
        found.append(
            ConfiguredMark(
                label=type_label(ref.trust_mark_type, type_base),
                type_url=ref.trust_mark_type,
                issuer=str(claims.get("iss", "")) or "(unreadable)",
                exp=exp if isinstance(exp, int) else None,
                verified=ref.trust_mark in verified,
            )
        )
    return found
