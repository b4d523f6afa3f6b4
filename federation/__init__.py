"""OpenID Federation 1.0 and JOSE library shared by every service of the federation.

Resolve a trust chain in a few lines::

    from federation import FederationFetcher, TrustAnchor, TrustChainResolver

    anchor = TrustAnchor.from_jwks("https://ta.example", pinned_jwks)
    async with FederationFetcher() as fetcher:
        chain = await TrustChainResolver(fetcher, [anchor]).resolve(
            "https://council.example", entity_types=["openid_relying_party"]
        )
    chain.metadata["openid_relying_party"]  # after the federation's metadata policy

Every check raises a typed :class:`FederationError` naming the failed :class:`Check`; nothing
here imports a web framework.
"""

from federation.errors import (
    Check,
    FederationError,
    FetchError,
    InvalidJwt,
    InvalidMetadata,
    InvalidPolicy,
    InvalidTrustAnchor,
    InvalidTrustChain,
    InvalidTrustMark,
)
from federation.held_marks import (
    HeldMark,
    HeldMarks,
    MarkStore,
    MemoryMarkStore,
    expand_trust_mark_type,
    fetch_trust_mark,
    trust_marks_claim,
    wanted_types,
)
from federation.http import FederationFetcher, FetchPolicy, entity_configuration_url
from federation.jose import AlgorithmPolicy, JwtType, sign_jwt, verify_jwt
from federation.keys import KeyStore, sign_historical_keys
from federation.resolver import ResolverLimits, TrustChainResolver
from federation.statements import (
    EntityStatement,
    build_entity_configuration,
    build_subordinate_statement,
    verify_entity_configuration,
    verify_subordinate_statement,
)
from federation.trust_chain import TrustAnchor, TrustChain
from federation.trust_marks import (
    TrustMark,
    TrustMarkStatus,
    issue_delegation,
    issue_trust_mark,
    request_status,
    sign_status_response,
    verify_in_federation,
    verify_trust_mark,
)

__all__ = [
    "AlgorithmPolicy",
    "Check",
    "EntityStatement",
    "FederationError",
    "FederationFetcher",
    "FetchError",
    "FetchPolicy",
    "HeldMark",
    "HeldMarks",
    "InvalidJwt",
    "InvalidMetadata",
    "InvalidPolicy",
    "InvalidTrustAnchor",
    "InvalidTrustChain",
    "InvalidTrustMark",
    "JwtType",
    "KeyStore",
    "MarkStore",
    "MemoryMarkStore",
    "ResolverLimits",
    "TrustAnchor",
    "TrustChain",
    "TrustChainResolver",
    "TrustMark",
    "TrustMarkStatus",
    "build_entity_configuration",
    "build_subordinate_statement",
    "entity_configuration_url",
    "expand_trust_mark_type",
    "fetch_trust_mark",
    "issue_delegation",
    "issue_trust_mark",
    "request_status",
    "sign_historical_keys",
    "sign_jwt",
    "sign_status_response",
    "trust_marks_claim",
    "verify_entity_configuration",
    "verify_in_federation",
    "verify_jwt",
    "verify_subordinate_statement",
    "verify_trust_mark",
    "wanted_types",
]
