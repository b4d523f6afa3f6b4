"""The GP practice service for tests: the app on a fresh database with a TestClient, login results
put in the session directly (no identity provider), and the practice's stored rows."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import select
from starlette.testclient import TestClient

from relying_party.core.evaluate import evaluate
from relying_party.core.result import Decision, Evidence, Failure, LoginResult, ProviderInfo, StepUp
from relying_party.services.app import create_app
from relying_party.services.gp.tables import orders, registrations
from relying_party.services.policies import gp_policies
from relying_party.services.wiring import RpServices
from relying_party.settings import RpSettings
from schemas.gpg45 import LevelOfConfidence
from tests.relying_party.rpkit import NOW, example, make_provider
from tests.trust_registry.htmlpage import Node, page

__all__ = [
    "AISHA",
    "ENTITY",
    "IDP",
    "NHS_NUMBER",
    "STATIC",
    "GpKit",
    "errors_of",
    "evaluated",
    "form_of",
    "gp_kit",
    "medium",
    "result",
    "static_provider",
    "summary",
    "vouched",
]

ENTITY = "http://127.0.0.1:9"
IDP = "https://idp.example"
INTERMEDIATE = "https://health.example"
ANCHOR = "https://ta.example"
#: A provider outside the federation, configured in the static providers file.
STATIC = "https://static-idp.example"

#: What the thin-file citizen's vouched identity gives: a low level, a vouch, no address.
VOUCH = Evidence("vouch", "vouch by Hostel key worker, St Mungo's", ("vpip",))
PASSPORT = Evidence("document", "passport", ("vcrypt", "bvr"))
NHS_NUMBER = "9434765919"
#: A patient proven with her passport.
AISHA = {"given_name": "Aisha", "family_name": "Rahman", "birthdate": "1979-02-23"}


def result(
    service: str,
    *,
    level: LevelOfConfidence | None = LevelOfConfidence.LOW,
    claims: Mapping[str, Any] | None = None,
    verified: Sequence[str] | None = None,
    evidence: Sequence[Evidence] = (VOUCH,),
    failures: Sequence[Failure] = (),
    step_up: StepUp | None = None,
    subject: str = "patient-1",
    issuer: str = IDP,
    profiles: Sequence[str] = ("l1c",),
    federation: bool = True,
) -> LoginResult:
    """A login result for ``service``, as the library keeps it after a login."""
    found = dict(
        claims
        if claims is not None
        else {"given_name": "Sam", "family_name": "Okafor", "birthdate": "1984-11-02"}
    )
    return LoginResult(
        service=service,
        subject=subject,
        provider=ProviderInfo(
            issuer=issuer,
            name="Sample Identity Provider",
            kind="federation" if federation else "static",
            trust_chain=(issuer, INTERMEDIATE, ANCHOR) if federation else (),
            trust_anchor=ANCHOR if federation else None,
            certificate_id="DIATF-2026-0042" if federation else None,
            certified_levels=("low", "medium"),
        ),
        decision=Decision(
            accepted=not failures,
            level=level,
            profiles=tuple(profiles),
            failures=tuple(failures),
            step_up=step_up,
        ),
        claims=found,
        verified=tuple(verified if verified is not None else found),
        evidence=tuple(evidence),
        vot="P1.Cl",
        vtm=f"{IDP}/trustmark",
        trust_framework="uk_diatf",
        verified_at="2026-02-17T14:32:00+00:00",
        auth_time=1_780_000_000,
        received_at=1_780_000_000,
    )


def medium(service: str, claims: Mapping[str, Any], *, subject: str = "patient-1") -> LoginResult:
    """An accepted result at a medium level of confidence, proven with a passport (profile M1B)."""
    level = LevelOfConfidence.MEDIUM
    return result(
        service, claims=claims, level=level, evidence=(PASSPORT,), profiles=("m1b",), subject=subject
    )


def evaluated(service: str, userinfo: Mapping[str, Any], *, vot: str = "P1.Cl") -> LoginResult:
    """The result the library makes of ``userinfo`` (an example of the assurance schema) for the
    practice's ``service``: the real policy decision, reasons and step-up."""
    policy = next(p for p in gp_policies() if p.name == service)
    provider = make_provider(levels=(LevelOfConfidence.LOW, LevelOfConfidence.MEDIUM))
    return evaluate(policy, provider, {"sub": userinfo["sub"], "vot": vot}, userinfo, now=NOW)


def vouched(service: str) -> LoginResult:
    """The thin-file citizen: a low level of confidence from a vouch (resettlement officer), no
    address, no NHS number (``schemas/examples/valid/vouching-prison-leaver.json``)."""
    return evaluated(service, example("vouching-prison-leaver"))


def static_provider(tmp_path: Path) -> tuple[Path, httpx.AsyncClient]:
    """A static providers file naming :data:`STATIC`, and an HTTP client answering its discovery
    document (an HTTP-level fake of the remote provider)."""
    path = tmp_path / "providers.json"
    entry = {
        "issuer": STATIC,
        "name": "Static Sign-in",
        "discovery_url": f"{STATIC}/.well-known/openid-configuration",
        "client_id": ENTITY,
        "levels": ["low", "medium"],
    }
    path.write_text(json.dumps([entry]))
    discovery = {
        "issuer": STATIC,
        "authorization_endpoint": f"{STATIC}/authorize",
        "token_endpoint": f"{STATIC}/token",
        "jwks_uri": f"{STATIC}/jwks",
    }

    def handle(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/.well-known/openid-configuration":
            return httpx.Response(200, json=discovery)
        return httpx.Response(404)

    return path, httpx.AsyncClient(transport=httpx.MockTransport(handle))


def form_of(doc: Node, action: str) -> dict[str, str]:
    """The hidden fields of the form POSTing to ``action``."""
    form = doc.one("form", action=action)
    return {i.attrs["name"]: i.attrs.get("value", "") for i in form.all("input", type="hidden")}


def summary(doc: Node, id_: str) -> dict[str, str]:
    """A summary list's rows, key to value."""
    rows = doc.one("dl", id=id_).all("div", class_="nhsuk-summary-list__row")
    return {r.one("dt").text(): r.one("dd").text() for r in rows}


def errors_of(doc: Node) -> list[tuple[str, str]]:
    """The error summary's links and messages."""
    return [(a.attrs["href"], a.text()) for a in doc.one("div", class_="nhsuk-error-summary").all("a")]


@dataclass
class GpKit:
    """The running service."""

    client: TestClient
    services: RpServices

    @property
    def cookie(self) -> str:
        """The library's session cookie name (its digest of the entity ID)."""
        return "ukid-rp-" + hashlib.sha256(self.services.settings.entity_id.encode()).hexdigest()[:10]

    def sign_in(self, *results: LoginResult) -> str:
        """Keep ``results`` in a session and give the browser its cookie; returns the handle."""
        handle: str | None = self.client.cookies.get(self.cookie)
        for found in results:
            handle = self.services.store.keep_result(handle, found, 3600)
        assert handle is not None
        self.client.cookies.set(self.cookie, handle)
        return handle

    def form(self, path: str, **fields: str) -> tuple[Node, dict[str, str]]:
        """The page at ``path`` and its form to POST back (its CSRF token and ``fields``)."""
        doc = page(self.client.get(path))
        return doc, {**form_of(doc, path), **fields}

    def registrations(self) -> list[dict[str, Any]]:
        """Every stored registration."""
        with self.services.engine.connect() as connection:
            return [dict(r) for r in connection.execute(select(registrations)).mappings()]

    def orders(self) -> list[dict[str, Any]]:
        """Every stored order."""
        with self.services.engine.connect() as connection:
            return [dict(r) for r in connection.execute(select(orders)).mappings()]


@contextmanager
def gp_kit(
    database_url: str, tmp_path: Path, *, http_client: httpx.AsyncClient | None = None, **settings: Any
) -> Iterator[GpKit]:
    """The GP practice on a fresh database, without trust anchors (no federation provider)."""
    values: dict[str, Any] = {
        "service": "gp",
        "environment": "dev",
        "entity_id": ENTITY,
        "data_dir": tmp_path,
        "generate_keys": True,
        "database_url": database_url,
        **settings,
    }
    app = create_app(RpSettings(**values), http_client=http_client)
    with TestClient(app, base_url=ENTITY) as client:
        yield GpKit(client, app.state.services)
