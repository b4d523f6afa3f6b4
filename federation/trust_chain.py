"""Trust chains: the typed result of resolution and the checks on a complete chain (§4, §6, §10).

A trust chain is the leaf's entity configuration, one subordinate statement per superior, and the
trust anchor's entity configuration. Once the statements are fetched and their signatures
checked (:mod:`federation.resolver`), :func:`validate_chain` applies the constraints (§6.2), the
superior's metadata (§6.1.2), ``allowed_entity_types`` and the merged metadata policy (§6.1.4).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from joserfc.jwk import KeySet

from federation.errors import Check, FederationError, InvalidTrustChain
from federation.metadata_policy import apply_metadata_policy, merge_chain
from federation.statements import EntityStatement, Jwks, key_set

__all__ = [
    "TrustAnchor",
    "TrustChain",
    "describe",
    "host_matches",
    "validate_chain",
]


@dataclass(frozen=True)
class TrustAnchor:
    """A trust anchor with its keys pinned out of band (§10.1)."""

    entity_id: str
    jwks: Jwks = field(repr=False)

    @classmethod
    def from_jwks(cls, entity_id: str, jwks: Mapping[str, Any]) -> TrustAnchor:
        """From a JWKS dict; raises ``ValueError`` when it is not a set of public keys with kids."""
        return cls(entity_id=entity_id, jwks=Jwks.model_validate(dict(jwks)))

    def keys(self) -> KeySet:
        """The pinned keys."""
        return key_set(self.jwks)


@dataclass(frozen=True)
class TrustChain:
    """A verified trust chain from ``subject`` up to ``trust_anchor`` (§4).

    ``statements`` are in order: the subject's entity configuration, the subordinate statement of
    each superior, the trust anchor's entity configuration. ``exp`` is the earliest ``exp``.
    ``metadata`` is the subject's metadata after the metadata policy, per entity type.
    """

    statements: tuple[EntityStatement, ...]
    metadata: dict[str, dict[str, Any]]
    exp: int

    @property
    def subject(self) -> str:
        """The entity the chain is about (the leaf)."""
        return self.statements[0].sub

    @property
    def trust_anchor(self) -> str:
        """The trust anchor's entity ID."""
        return self.statements[-1].iss

    @property
    def leaf(self) -> EntityStatement:
        """The subject's entity configuration."""
        return self.statements[0]

    @property
    def anchor_configuration(self) -> EntityStatement:
        """The trust anchor's entity configuration."""
        return self.statements[-1]

    @property
    def path(self) -> tuple[str, ...]:
        """Entity IDs from the subject up to the anchor."""
        if len(self.statements) == 1:
            return (self.subject,)
        return (self.subject, *(s.iss for s in self.statements[1:-1]))

    def jwts(self) -> list[str]:
        """The chain as the array of signed JWTs (the ``trust_chain`` of a resolve response, §4.3)."""
        return [s.jwt for s in self.statements]


def describe(statement: EntityStatement) -> str:
    """A human name for a statement in error messages."""
    if statement.is_configuration:
        return f"entity configuration of {statement.sub}"
    return f"subordinate statement by {statement.iss} about {statement.sub}"


def host_matches(entity_id: str, pattern: str) -> bool:
    """RFC 5280 §4.2.1.10 URI name matching on the host (§6.2.2): ``.example.com`` matches
    any subdomain but not ``example.com`` itself; ``host.example.com`` matches that host only."""
    host = (urlsplit(entity_id).hostname or "").lower().rstrip(".")
    pattern = pattern.lower().rstrip(".")
    if pattern.startswith("."):
        return host.endswith(pattern) and len(host) > len(pattern)
    return host == pattern


def _check_constraints(statements: Sequence[EntityStatement]) -> None:
    """``max_path_length`` and ``naming_constraints`` of every subordinate statement (§6.2)."""
    for position, statement in enumerate(statements[1:-1], start=1):
        constraints = statement.constraints
        if constraints is None:
            continue
        intermediates = position - 1
        if constraints.max_path_length is not None and intermediates > constraints.max_path_length:
            raise InvalidTrustChain(
                f"{describe(statement)}: max_path_length {constraints.max_path_length} allows that many "
                f"intermediate(s) below {statement.iss}, the chain has {intermediates}",
                check=Check.MAX_PATH_LENGTH,
            )
        naming = constraints.naming_constraints
        if naming is None:
            continue
        below = [s.sub for s in statements[1 : position + 1]]
        for entity_id in below:
            if naming.excluded and any(host_matches(entity_id, p) for p in naming.excluded):
                raise InvalidTrustChain(
                    f"{describe(statement)}: {entity_id} is excluded by naming_constraints {naming.excluded}",
                    check=Check.NAMING_CONSTRAINTS,
                )
            if naming.permitted is not None and not any(host_matches(entity_id, p) for p in naming.permitted):
                raise InvalidTrustChain(
                    f"{describe(statement)}: {entity_id} is outside the permitted names {naming.permitted}",
                    check=Check.NAMING_CONSTRAINTS,
                )


def _resolve_metadata(
    statements: Sequence[EntityStatement], entity_types: Collection[str]
) -> dict[str, dict[str, Any]]:
    leaf = statements[0]
    metadata = {etype: dict(values) for etype, values in (leaf.metadata or {}).items()}
    if len(statements) == 1:
        return {t: v for t, v in metadata.items() if not entity_types or t in entity_types}
    superior = statements[1]
    for etype, values in (superior.metadata or {}).items():
        # §3 metadata: the superior's values win, only for entity types the subject declares.
        if etype in metadata:
            metadata[etype] = {**metadata[etype], **values}
    for statement in statements[1:-1]:
        allowed = statement.constraints.allowed_entity_types if statement.constraints else None
        if allowed is None:
            continue
        for etype in list(metadata):
            if etype != "federation_entity" and etype not in allowed:
                if etype in entity_types:
                    raise InvalidTrustChain(
                        f"{describe(statement)}: entity type {etype} is not in "
                        f"allowed_entity_types {allowed}",
                        check=Check.ALLOWED_ENTITY_TYPES,
                    )
                del metadata[etype]
    for etype in entity_types:
        if etype not in metadata:
            raise InvalidTrustChain(f"{leaf.sub} has no {etype} metadata", check=Check.METADATA)
    policies = [s.metadata_policy or {} for s in reversed(statements[1:-1])]
    crit = {op for s in statements[1:-1] for op in (s.metadata_policy_crit or ())}
    try:
        merged = merge_chain(policies, crit=crit)
        resolved = apply_metadata_policy(metadata, merged)
    except FederationError as exc:
        raise exc.in_context(f"metadata policy for {leaf.sub}") from exc
    return {t: v for t, v in resolved.items() if not entity_types or t in entity_types}


def validate_chain(statements: Sequence[EntityStatement], entity_types: Collection[str] = ()) -> TrustChain:
    """Check the constraints of a fetched, signature-checked chain and resolve its metadata.

    Raises :class:`InvalidTrustChain` (constraints), ``InvalidPolicy`` or ``InvalidMetadata``.
    """
    _check_constraints(statements)
    metadata = _resolve_metadata(statements, entity_types)
    return TrustChain(statements=tuple(statements), metadata=metadata, exp=min(s.exp for s in statements))
