"""The whole federation on real servers for end-to-end tests: the trust anchor and the health
intermediate (registry), the sample identity provider (development personas seeded), the council
and the GP practice (relying-party services), each on its own 127.0.0.1 port, onboarded and holding
their trust marks.

Trust marks the services hold are fetched when their configuration is first asked for, which the
anchor does while onboarding them, before any mark exists: the services' and the provider's clocks
are moved 60 s on once onboarding is done, so their next fetch falls due (within the federation's
60 s leeway).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from federation.service.settings import AnchorSetting
from idp.app import create_app as create_idp
from idp.settings import IdpSettings
from relying_party.services.app import create_app as create_rp
from relying_party.settings import RpSettings
from tests.e2e.servers import base_url, reserve, running
from tests.records import certification_claims
from trust_registry.app import create_app as create_registry
from trust_registry.settings import RegistrySettings, Role
from ukid._up_check_client import CHECK_REDIRECT_URI, CheckClient, ensure_check_client

__all__ = ["Stack", "federation_stack"]

DEV_TOKEN = {"Authorization": "Bearer dev-admin-token"}
COUNCIL = {"council": {"gss_code": "E07000178", "name": "Oxford City Council"}}
NHS = {
    "nhs_organisation": {
        "ods_code": "A81001",
        "name": "Oak Lane Medical Practice",
        "organisation_type": "gp_practice",
    }
}


@dataclass
class Stack:
    """URLs of the running federation, and the shared clock offset."""

    ta: str
    health: str
    idp: str
    council: str
    gp: str
    offset: list[float]
    apps: dict[str, Any]
    #: The conformance checker's static client at the provider (``ukid check idp --client-id``); its
    #: second redirect URI is on a port free when the stack started (interactive tests).
    check: CheckClient | None = None


def admin(method: str, url: str, body: Any = None) -> Any:
    """An admin API call at a registry (development token); fails loudly."""
    response = httpx.request(method, url, json=body, headers=DEV_TOKEN, timeout=30)
    assert response.status_code in (200, 201), response.text
    return response.json()


def onboard(stack: Stack) -> None:
    """Members below their superiors, and every trust mark issued."""
    admin("POST", f"{stack.ta}/admin/subordinates", {"entity_id": stack.health})
    admin("POST", f"{stack.ta}/admin/subordinates", {"entity_id": stack.idp})
    admin("POST", f"{stack.ta}/admin/subordinates", {"entity_id": stack.council})
    admin("POST", f"{stack.health}/admin/subordinates", {"entity_id": stack.gp})
    admin(
        "POST",
        f"{stack.ta}/admin/trust-marks",
        {
            "trust_mark_type": "certified_identity_service_provider",
            "sub": stack.idp,
            "claims": certification_claims(stack.idp, levels_of_confidence=["low", "medium", "high"]),
        },
    )
    admin(
        "POST",
        f"{stack.ta}/admin/trust-marks",
        {"trust_mark_type": "council", "sub": stack.council, "claims": COUNCIL},
    )
    delegation = admin(
        "POST",
        f"{stack.ta}/admin/delegations",
        {"issuer": stack.health, "trust_mark_type": "nhs_organisation"},
    )["delegation"]
    admin("PUT", f"{stack.health}/admin/delegation", {"delegation": delegation, "owner": stack.ta})
    admin(
        "POST",
        f"{stack.health}/admin/trust-marks",
        {"trust_mark_type": "nhs_organisation", "sub": stack.gp, "claims": NHS},
    )
    stack.offset[0] += 60


@contextmanager
def federation_stack(tmp_path: Path) -> Iterator[Stack]:
    """The federation running and onboarded, every store a SQLite file under ``tmp_path`` (the stores
    on PostgreSQL are covered by each service's own tests: five services cannot share one database's
    tables)."""
    socks = {name: reserve() for name in ("ta", "health", "idp", "council", "gp")}
    urls = {name: base_url(sock) for name, sock in socks.items()}
    offset = [0.0]

    def clock() -> float:
        return time.time() + offset[0]

    ta, health = urls["ta"], urls["health"]
    with reserve() as spare:
        loopback = f"http://127.0.0.1:{spare.getsockname()[1]}/callback"
    check = ensure_check_client(tmp_path / "check", (CHECK_REDIRECT_URI, loopback))
    anchors = [AnchorSetting(entity_id=ta)]
    common: dict[str, Any] = {"environment": "dev", "generate_keys": True}
    apps = {
        "ta": create_registry(
            RegistrySettings(
                entity_id=ta,
                data_dir=tmp_path / "ta",
                trust_mark_owners=["nhs_organisation"],
                trust_mark_issuers={"nhs_organisation": [health]},
                resolve_cache_seconds=0,
                **common,
            )
        ),
        "health": create_registry(
            RegistrySettings(
                role=Role.INTERMEDIATE,
                entity_id=health,
                organization_name="NHS Health Intermediate",
                data_dir=tmp_path / "health",
                authority_hints=[ta],
                trust_anchors=anchors,
                **common,
            )
        ),
        "idp": create_idp(
            IdpSettings(
                issuer=urls["idp"],
                data_dir=tmp_path / "idp",
                password_hashing="fast",
                trust_anchors=anchors,
                authority_hints=[ta],
                trust_mark_types=["certified_identity_service_provider"],
                static_clients_file=check.clients_file,
                conformance=True,  # ukid check rp
                **common,
            ),
            clock=clock,
        ),
        "council": create_rp(
            RpSettings(
                service="council",
                entity_id=urls["council"],
                data_dir=tmp_path / "council",
                authority_hints=[ta],
                trust_anchors=anchors,
                provider_cache_seconds=0,
                **common,
            ),
            clock=clock,
        ),
        "gp": create_rp(
            RpSettings(
                service="gp",
                entity_id=urls["gp"],
                data_dir=tmp_path / "gp",
                authority_hints=[health],
                trust_anchors=anchors,
                provider_cache_seconds=0,
                **common,
            ),
            clock=clock,
        ),
    }
    with ExitStack() as stack:
        for name, app in apps.items():
            stack.enter_context(running(app, socks[name]))
        found = Stack(ta, health, urls["idp"], urls["council"], urls["gp"], offset, apps, check)
        onboard(found)
        yield found
