"""A provider in a federation, for tests: a trust anchor in the kit's :class:`TestFederation` (trusted
on first use, as in development) and relying parties below it holding trust marks the anchor issued.

``with federation_kit(database_url, tmp_path) as kit:`` gives an :class:`IdpKit` whose provider
resolves relying parties to ``TA``; ``add_rp(kit, entity_id, marks=("council",))`` adds one (its
``private_key_jwt`` key is ``rp_key(entity_id)``).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from joserfc.jwk import ECKey

from federation.keys import generate_key, public_jwk
from federation.trust_marks import issue_trust_mark
from idp.core.clients import Client
from idp.core.config import IdpConfig, PinnedAnchor
from idp.core.directory import Clients
from idp.core.federation import RelyingParties
from schemas.records import TrustMarkKind, trust_mark_type
from tests.federation.fedkit import Entity, TestFederation, run
from tests.idp.idpkit import ISSUER, IdpKit, idp_kit

TA = "https://ta.example"
COUNCIL_RP = "https://parking.council.example"
NHS_RP = "https://gp.nhs.example"
COUNCIL_MARK = trust_mark_type(TA, TrustMarkKind.COUNCIL)
NHS_MARK = trust_mark_type(TA, TrustMarkKind.NHS_ORGANISATION)
IDSP_MARK = trust_mark_type(TA, TrustMarkKind.CERTIFIED_IDENTITY_SERVICE_PROVIDER)


@cache
def rp_key(entity_id: str) -> ECKey:
    """The private ``private_key_jwt`` key of a relying party (one per entity ID, per test session)."""
    key = generate_key("ES256")
    assert isinstance(key, ECKey)
    return key


def add_anchor(fed: TestFederation, anchor: str = TA) -> Entity:
    """A trust anchor that issues (and lists as issuer of) every trust mark type of the profile."""
    entity = fed.add(anchor, authority=True)
    entity.metadata["federation_entity"]["federation_trust_mark_endpoint"] = f"{anchor}/trust-mark"
    entity.trust_mark_issuers = {trust_mark_type(anchor, kind): [anchor] for kind in TrustMarkKind}
    return entity


@contextmanager
def federation_kit(database_url: str, tmp_path: Path, **overrides: Any) -> Iterator[IdpKit]:
    """A provider whose trust anchor is ``TA`` (keys trusted on first use, development)."""
    values: dict[str, Any] = {"trust_anchors": [{"entity_id": TA}], "authority_hints": [TA], **overrides}
    with idp_kit(database_url, tmp_path, **values) as kit:
        add_anchor(kit.fed)
        yield kit


def rp_metadata(entity_id: str, **extra: Any) -> dict[str, Any]:
    """``openid_relying_party`` metadata that meets the provider's requirements."""
    return {
        "redirect_uris": [f"{entity_id}/callback"],
        "post_logout_redirect_uris": [f"{entity_id}/signed-out"],
        "token_endpoint_auth_method": "private_key_jwt",
        "grant_types": ["authorization_code", "refresh_token"],
        "response_types": ["code"],
        "client_name": f"Service at {entity_id.split('//')[1]}",
        "jwks": {"keys": [public_jwk(rp_key(entity_id), "ES256")]},
        **extra,
    }


def issue_mark(
    fed: TestFederation,
    subject: str,
    kind: TrustMarkKind,
    *,
    anchor: str = TA,
    iat: int | None = None,
    lifetime: int | None = 365 * 86400,
) -> str:
    """A trust mark of ``kind`` issued by the anchor to ``subject``."""
    return issue_trust_mark(
        fed.entities[anchor].keys,
        issuer=anchor,
        subject=subject,
        trust_mark_type=trust_mark_type(anchor, kind),
        iat=int(fed.now) if iat is None else iat,
        lifetime=lifetime,
    )


def add_rp(
    fed: TestFederation,
    entity_id: str,
    *,
    marks: tuple[str, ...] = ("council",),
    superior: str = TA,
    organization_name: str | None = "Example Council",
    **metadata: Any,
) -> Entity:
    """A relying party below ``superior`` holding trust marks of ``marks`` (kind names) from the anchor."""
    federation_entity = {"organization_name": organization_name} if organization_name else {}
    entity = fed.add(
        entity_id,
        superiors=(superior,),
        metadata={
            "federation_entity": federation_entity,
            "openid_relying_party": rp_metadata(entity_id, **metadata),
        },
    )
    if organization_name is None:
        entity.metadata["federation_entity"].pop("organization_name", None)
    anchor = fed.first
    entity.trust_marks = [
        {
            "trust_mark_type": trust_mark_type(anchor, TrustMarkKind(kind)),
            "trust_mark": issue_mark(fed, entity_id, TrustMarkKind(kind), anchor=anchor),
        }
        for kind in marks
    ]
    return entity


def get_client(kit: IdpKit, client_id: str) -> Client:
    """``await services.clients.get(client_id)``, run to completion."""
    return run(kit.services.clients.get(client_id))


@dataclass
class Directory:
    """The client directory alone (no store, no app): fast tests of automatic registration."""

    fed: TestFederation
    clock: list[float]
    clients: Clients
    relying_parties: RelyingParties

    def get(self, client_id: str) -> Client:
        """The client, resolved now or from the cache."""
        return run(self.clients.get(client_id))

    def advance(self, seconds: float) -> None:
        """Move the directory's clock (not the federation's) forward."""
        self.clock[0] += seconds


def directory(**config: Any) -> Directory:
    """A directory trusting ``TA`` (first use) with the static test clients' IDs unknown."""
    fed = TestFederation(lifetime=86400)
    add_anchor(fed)
    clock = [float(fed.now)]
    values: dict[str, Any] = {
        "issuer": ISSUER,
        "organization_name": "Test IdP",
        "development": True,
        "trust_anchors": (PinnedAnchor(TA, None),),
        "id_token_algorithms": ("ES256", "PS256", "RS256"),
        **config,
    }
    relying_parties = RelyingParties(IdpConfig(**values), fed.fetcher(), clock=lambda: clock[0])
    clients = Clients(
        {},
        relying_parties=relying_parties,
        cache_seconds=values.get("client_cache_seconds", 300),
        clock=lambda: clock[0],
    )
    return Directory(fed, clock, clients, relying_parties)
