"""Helpers for the council service's tests: the app built by ``create_app`` on a fresh database,
driven by starlette's TestClient, with login results put straight into the session store (no
identity provider: the end-to-end tests run the real one).

The session cookie's name is the library's: ``ukid-rp-`` and the first 10 hex digits of the SHA-256
of the entity ID.
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
import re
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import select
from starlette.testclient import TestClient

from relying_party.core.result import Decision, Evidence, Failure, LoginResult, ProviderInfo, StepUp
from relying_party.services.app import create_app
from relying_party.services.council.tables import blue_badges, parking_permits
from relying_party.services.wiring import RpServices
from relying_party.settings import RpSettings
from schemas.gpg45 import LevelOfConfidence

__all__ = [
    "ENTITY",
    "FEDERATED",
    "IN_AREA",
    "STATIC",
    "CouncilKit",
    "cookie_name",
    "council_kit",
    "csrf_of",
    "jwt_payload",
    "login_result",
    "refused_result",
    "text_of",
]

ENTITY = "http://127.0.0.1:9"
#: The ``medium@example.test`` persona's address: in the development gazetteer (City Centre, Zone A).
IN_AREA = {
    "street_address": "12 St Aldate's",
    "locality": "Oxford",
    "postal_code": "OX1 1BX",
    "country_code": "GB",
    "uprn": "100120834567",
}
FEDERATED = ProviderInfo(
    issuer="https://idp.example.test",
    name="Example Identity Provider",
    kind="federation",
    trust_chain=("https://idp.example.test", "https://intermediate.example.test", "https://ta.example.test"),
    trust_anchor="https://ta.example.test",
    certificate_id="DIATF-CERT-0042",
    certified_levels=("low", "medium"),
)
STATIC = ProviderInfo(issuer="https://static.example.test", name="Static Provider", kind="static")
_EVIDENCE = (
    Evidence("document", "driving permit", ("vpiruv", "data", "kbv")),
    Evidence("electronic_record", "credit reference file", ("data",)),
)
_BADGE_CLAIMS = {
    "given_name": "Priya",
    "family_name": "Shah",
    "birthdate": "1985-11-02",
    "address": IN_AREA,
}


def login_result(
    service: str = "parking-permit", *, claims: Mapping[str, Any] | None = None, **changes: Any
) -> LoginResult:
    """An accepted result at ``service``: the parking permit gets the address only, the Blue Badge
    name, date of birth and address; all verified, medium confidence, profile M1B."""
    found = (
        dict(claims)
        if claims is not None
        else ({"address": IN_AREA} if service == "parking-permit" else _BADGE_CLAIMS)
    )
    result = LoginResult(
        service=service,
        subject="sub-4f1c9e",
        provider=FEDERATED,
        decision=Decision(True, LevelOfConfidence.MEDIUM, ("M1B",), ()),
        claims=found,
        verified=tuple(found),
        evidence=_EVIDENCE,
        vot="P2.Cl",
        vtm="https://ta.example.test/trustmark",
        trust_framework="uk_diatf",
        verified_at="2026-01-20T09:06:00Z",
        auth_time=1_780_000_000,
        received_at=1_780_000_000,
    )
    return replace(result, **changes)


def refused_result(service: str = "blue-badge", *, step_up: bool = True) -> LoginResult:
    """A result the Blue Badge policy refused: low confidence where medium is needed."""
    reason = "Your identity was proven to low confidence; this service needs medium."
    decision = Decision(
        False,
        LevelOfConfidence.LOW,
        ("L1A",),
        (Failure("level_too_low", reason),),
        StepUp(("P2.Cl",), "You can prove your identity to medium confidence with the same provider.")
        if step_up
        else None,
    )
    return login_result(service, decision=decision, vot="P1.Cl")


@dataclass
class CouncilKit:
    """The running council app and its parts."""

    client: TestClient
    services: RpServices
    cookie: str

    def sign_in(self, result: LoginResult) -> str:
        """Keep ``result`` in the browser's session (as the callback does) and return the handle."""
        handle = self.services.store.keep_result(
            self.client.cookies.get(self.cookie), result, self.services.config.session_lifetime
        )
        self.client.cookies.set(self.cookie, handle)
        return handle

    def get(self, path: str) -> httpx.Response:
        """GET without following redirects."""
        response: httpx.Response = self.client.get(path, follow_redirects=False)
        return response

    def post(self, path: str, data: Mapping[str, str]) -> httpx.Response:
        """POST a form without following redirects."""
        response: httpx.Response = self.client.post(path, data=dict(data), follow_redirects=False)
        return response

    def submit(self, path: str, data: Mapping[str, str]) -> httpx.Response:
        """GET the form at ``path``, then POST ``data`` with its CSRF token."""
        token = csrf_of(self.get(path).text)
        return self.post(path, {"csrf_token": token, **data})

    def rows(self, kind: str) -> list[dict[str, Any]]:
        """The stored applications of ``kind`` (``parking-permit`` or ``blue-badge``)."""
        table = parking_permits if kind == "parking-permit" else blue_badges
        with self.services.engine.connect() as connection:
            return [dict(row._mapping) for row in connection.execute(select(table))]


def csrf_of(page: str) -> str:
    """The CSRF token of the form on ``page``."""
    found = re.search(r'name="csrf_token" value="([^"]*)"', page)
    assert found, "no CSRF token on the page"
    return found.group(1)


def text_of(page: str, element_id: str) -> str:
    """The text of the element ``id`` (tags removed, whitespace collapsed, entities decoded)."""
    found = re.search(rf'<(\w+)[^>]*\bid="{re.escape(element_id)}"[^>]*>(.*?)</\1>', page, re.S)
    assert found, f"no element {element_id!r} on the page"
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", found.group(2))).split())


def jwt_payload(token: str) -> dict[str, Any]:
    """The payload of a compact JWT (its signature is the library's business, tested there)."""
    part = token.split(".")[1]
    decoded: dict[str, Any] = json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))
    return decoded


def cookie_name(entity_id: str) -> str:
    """The library's session cookie name for ``entity_id``."""
    return "ukid-rp-" + hashlib.sha256(entity_id.encode()).hexdigest()[:10]


@contextmanager
def council_kit(
    database_url: str,
    tmp_path: Path,
    *,
    handler: Callable[[httpx.Request], httpx.Response] | None = None,
    **settings: Any,
) -> Iterator[CouncilKit]:
    """The council app on ``database_url``; ``handler`` answers its outgoing HTTP (a fake remote
    provider's discovery document)."""
    values: dict[str, Any] = {
        "service": "council",
        "environment": "dev",
        "entity_id": ENTITY,
        "data_dir": tmp_path,
        "generate_keys": True,
        "database_url": database_url,
        **settings,
    }
    http = httpx.AsyncClient(transport=httpx.MockTransport(handler)) if handler else None
    app = create_app(RpSettings(**values), http_client=http)
    with TestClient(app) as client:
        yield CouncilKit(client, app.state.services, cookie_name(values["entity_id"]))
