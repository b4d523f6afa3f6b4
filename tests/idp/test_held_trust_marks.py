"""Trust marks the provider holds (OpenID Federation 1.0 §7): fetched from the issuer the trust anchor
lists (§8.6 trust mark endpoint), verified (§7.3), kept in the store and published in the entity
configuration; a failure keeps what is held and never fails the entity configuration."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from federation.jose import decode_unverified
from federation.trust_marks import issue_trust_mark
from schemas.records import TrustMarkKind
from tests.idp.fedclients import IDSP_MARK, TA, federation_kit, issue_mark
from tests.idp.idpkit import ISSUER, IdpKit

ENDPOINT = f"{TA}/trust-mark?sub={ISSUER}"
MARK_MEDIA_TYPE = "application/trust-mark+jwt"


@pytest.fixture
def hkit(database_url: str, tmp_path: Path) -> Iterator[IdpKit]:
    """A provider that should hold the certified identity service provider mark."""
    with federation_kit(
        database_url, tmp_path, trust_mark_types=["certified_identity_service_provider"]
    ) as kit:
        yield kit


def serve_mark(kit: IdpKit, token: str) -> None:
    kit.fed.serve_token(
        ENDPOINT, httpx.Response(200, content=token.encode(), headers={"content-type": MARK_MEDIA_TYPE})
    )


def published(kit: IdpKit) -> list[dict[str, str]]:
    response = kit.client.get("/.well-known/openid-federation")
    assert response.status_code == 200, response.text
    marks: list[dict[str, str]] = decode_unverified(response.text)[1].get("trust_marks", [])
    return marks


def mark_fetches(kit: IdpKit) -> int:
    return kit.fed.requests.count(f"{TA}/trust-mark?sub={ISSUER}")


def test_7_the_mark_is_fetched_from_the_listed_issuer_verified_kept_and_published(hkit: IdpKit) -> None:
    token = issue_mark(hkit.fed, ISSUER, TrustMarkKind.CERTIFIED_IDENTITY_SERVICE_PROVIDER)
    serve_mark(hkit, token)
    assert published(hkit) == [{"trust_mark_type": IDSP_MARK, "trust_mark": token}]
    held = hkit.services.registrations.held_marks()
    assert [(m.trust_mark_type, m.issuer, m.trust_mark) for m in held] == [(IDSP_MARK, TA, token)]
    assert held[0].expires_at == decode_unverified(token)[1]["exp"]
    assert published(hkit) == [{"trust_mark_type": IDSP_MARK, "trust_mark": token}]
    assert mark_fetches(hkit) == 1


def test_7_a_failed_fetch_logs_one_warning_serves_the_configuration_and_is_retried_later(
    hkit: IdpKit, caplog: pytest.LogCaptureFixture
) -> None:
    hkit.fed.serve_token(
        ENDPOINT, httpx.Response(404, json={"error": "not_found", "error_description": "none"})
    )
    with caplog.at_level(logging.WARNING, logger="idp.entity"):
        assert published(hkit) == []
        assert published(hkit) == []
    warnings = [r.getMessage() for r in caplog.records if r.name == "idp.entity"]
    assert warnings == [
        f"could not fetch every trust mark of {ISSUER} (keeping the 0 held): {IDSP_MARK}: from {TA}: "
        f"{TA}/trust-mark: answered HTTP 404: not_found: none"
    ]
    assert mark_fetches(hkit) == 1
    token = issue_mark(hkit.fed, ISSUER, TrustMarkKind.CERTIFIED_IDENTITY_SERVICE_PROVIDER)
    serve_mark(hkit, token)
    hkit.advance(60)
    assert published(hkit) == [{"trust_mark_type": IDSP_MARK, "trust_mark": token}]


def test_7_held_marks_are_refreshed_after_an_hour_and_kept_when_that_fails(hkit: IdpKit) -> None:
    first = issue_mark(hkit.fed, ISSUER, TrustMarkKind.CERTIFIED_IDENTITY_SERVICE_PROVIDER)
    serve_mark(hkit, first)
    assert published(hkit)[0]["trust_mark"] == first
    hkit.fed.serve_token(ENDPOINT, httpx.Response(503, text="maintenance"))
    hkit.advance(3600)
    assert published(hkit)[0]["trust_mark"] == first
    assert mark_fetches(hkit) == 2
    hkit.fed.now += 3600
    second = issue_mark(hkit.fed, ISSUER, TrustMarkKind.CERTIFIED_IDENTITY_SERVICE_PROVIDER)
    serve_mark(hkit, second)
    hkit.advance(60)
    assert published(hkit)[0]["trust_mark"] == second
    assert [m.trust_mark for m in hkit.services.registrations.held_marks()] == [second]


def test_7_3_a_mark_that_does_not_verify_is_not_held(hkit: IdpKit) -> None:
    fed = hkit.fed
    stranger = fed.add("https://stranger.example")
    kind = TrustMarkKind.CERTIFIED_IDENTITY_SERVICE_PROVIDER
    for token in (
        issue_mark(fed, "https://someone-else.example", kind),  # about another entity
        issue_trust_mark(
            stranger.keys, issuer=TA, subject=ISSUER, trust_mark_type=IDSP_MARK, iat=int(fed.now)
        ),
        issue_mark(fed, ISSUER, kind, iat=int(fed.now) - 7200, lifetime=3600),  # expired
        issue_mark(fed, ISSUER, TrustMarkKind.COUNCIL),  # another type
    ):
        serve_mark(hkit, token)
        assert published(hkit) == []
        assert hkit.services.registrations.held_marks() == []
        hkit.advance(60)
