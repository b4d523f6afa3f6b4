"""OpenID Federation 1.0 §10.1 over real loopback HTTP: hostile members cannot stall or flood a
resolution, and every refusal names the statement and the check."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from federation.errors import Check, InvalidTrustChain
from federation.http import FederationFetcher, FetchPolicy
from tests.federation.fedkit import TestFederation, run
from tests.federation.http_server import LoopbackServer, Response, serve

POLICY = FetchPolicy(
    connect_timeout=1.0,
    read_timeout=0.3,
    total_timeout=0.6,
    max_bytes=64 * 1024,
    allow_http=True,
    environment="dev",
)


@pytest.fixture
def federation() -> Iterator[tuple[TestFederation, LoopbackServer]]:
    with serve({}) as server:
        fed = TestFederation.three_level(server.base_url)
        server.fallback = fed.loopback_handler(server.base_url)
        yield fed, server


def resolve_error(fed: TestFederation, server: LoopbackServer) -> tuple[Check | None, str]:
    async def go() -> None:
        async with FederationFetcher(POLICY) as fetcher:
            await fed.resolver(fetcher=fetcher).resolve(f"{server.base_url}/gp")

    with pytest.raises(InvalidTrustChain) as err:
        run(go())
    assert len(err.value.path_errors) == 1
    exc = err.value.path_errors[0][1]
    return exc.check, exc.description


def test_10_1_resolves_over_loopback_http(federation: tuple[TestFederation, LoopbackServer]) -> None:
    fed, server = federation

    async def go() -> tuple[str, ...]:
        async with FederationFetcher(POLICY) as fetcher:
            return (await fed.resolver(fetcher=fetcher).resolve(f"{server.base_url}/gp")).path

    assert run(go()) == (f"{server.base_url}/gp", f"{server.base_url}/health", f"{server.base_url}/ta")


def test_10_1_html_instead_of_a_statement(federation: tuple[TestFederation, LoopbackServer]) -> None:
    fed, server = federation
    server.routes["/health/fetch"] = Response(200, b"<html>login</html>", "text/html")
    check, description = resolve_error(fed, server)
    assert check is Check.CONTENT_TYPE
    base = server.base_url
    assert description == (
        f"subordinate statement by {base}/health about {base}/gp: {base}/health/fetch: "
        "expected application/entity-statement+jwt, got text/html"
    )


def test_10_1_response_too_large(federation: tuple[TestFederation, LoopbackServer]) -> None:
    fed, server = federation
    server.routes["/gp/.well-known/openid-federation"] = Response(
        200, b"a" * 1024, "application/entity-statement+jwt", repeat=1024, content_length=False
    )
    check, description = resolve_error(fed, server)
    assert check is Check.TOO_LARGE
    assert description.startswith(f"entity configuration of {server.base_url}/gp: ")


def test_10_1_not_a_jwt(federation: tuple[TestFederation, LoopbackServer]) -> None:
    fed, server = federation
    server.routes["/ta/.well-known/openid-federation"] = Response(
        200, b'{"iss": "x"}', "application/entity-statement+jwt"
    )
    check, description = resolve_error(fed, server)
    assert check is Check.FORMAT
    assert description.startswith(f"trust anchor entity configuration of {server.base_url}/ta: ")


def test_10_1_redirect_is_not_followed(federation: tuple[TestFederation, LoopbackServer]) -> None:
    fed, server = federation
    server.routes["/health/.well-known/openid-federation"] = Response(
        302, b"", None, headers={"Location": "http://evil.example/"}
    )
    check, _ = resolve_error(fed, server)
    assert check is Check.REDIRECT
    assert not [r for r in server.requests if "evil" in r.path]


def test_10_1_slow_member_times_out(federation: tuple[TestFederation, LoopbackServer]) -> None:
    fed, server = federation
    server.routes["/gp/.well-known/openid-federation"] = Response(
        200,
        fed.configuration(f"{server.base_url}/gp").encode(),
        "application/entity-statement+jwt",
        delay_before=2,
    )
    check, description = resolve_error(fed, server)
    assert check is Check.TIMEOUT
    assert "timed out" in description or "deadline" in description
