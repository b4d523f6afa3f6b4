"""The hardened federation fetcher against a real loopback HTTP server (OpenID Federation 1.0 §8, §9)."""

from __future__ import annotations

import asyncio
import base64
import dataclasses
import gzip
import json
import socket
import time
from collections.abc import Coroutine, Iterator
from typing import Any, TypeVar
from urllib.parse import parse_qs

import httpx
import pytest

from federation.errors import Check, FetchError, InvalidRequest
from federation.http import (
    ENTITY_STATEMENT_MEDIA_TYPE,
    TRUST_MARK_STATUS_MEDIA_TYPE,
    FederationFetcher,
    FetchPolicy,
    entity_configuration_url,
)
from tests.federation.http_server import LoopbackServer, Response, serve

T = TypeVar("T")

#: Plain http on loopback needs the development policy; short timeouts keep the file fast.
LOCAL = dataclasses.replace(
    FetchPolicy.development(), connect_timeout=1.0, read_timeout=1.0, total_timeout=2.0
)


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def compact_jwt(payload: dict[str, Any], typ: str = "entity-statement+jwt") -> str:
    """A JWT-shaped string (the fetcher checks shape only; signatures are verified elsewhere)."""
    header = {"alg": "ES256", "typ": typ, "kid": "k1"}
    return ".".join(
        [b64url(json.dumps(header).encode()), b64url(json.dumps(payload).encode()), b64url(b"sig" * 20)]
    )


STATEMENT = compact_jwt({"iss": "https://ta.example", "sub": "https://ta.example", "iat": 1, "exp": 2})


def run(coro: Coroutine[Any, Any, T]) -> T:
    return asyncio.run(coro)


def fetch_error(coro: Coroutine[Any, Any, object]) -> FetchError:
    with pytest.raises(FetchError) as info:
        asyncio.run(coro)
    assert isinstance(info.value, InvalidRequest)
    assert info.value.error == "invalid_request"
    return info.value


async def get_statement(url: str, policy: FetchPolicy = LOCAL) -> str:
    async with FederationFetcher(policy) as fetcher:
        return await fetcher.get_jwt(url, media_type=ENTITY_STATEMENT_MEDIA_TYPE)


@pytest.fixture
def server() -> Iterator[LoopbackServer]:
    with serve({}) as running:
        yield running


def test_entity_configuration_url_is_entity_id_plus_well_known_path_section_9() -> None:
    assert (
        entity_configuration_url("https://rp.example") == "https://rp.example/.well-known/openid-federation"
    )
    assert (
        entity_configuration_url("https://rp.example/") == "https://rp.example/.well-known/openid-federation"
    )
    assert (
        entity_configuration_url("https://example.org/council/")
        == "https://example.org/council/.well-known/openid-federation"
    )


@pytest.mark.parametrize(
    "content_type", ["application/entity-statement+jwt", "Application/Entity-Statement+JWT; charset=utf-8"]
)
def test_fetch_returns_entity_statement_served_with_its_media_type(
    server: LoopbackServer, content_type: str
) -> None:
    server.routes["/.well-known/openid-federation"] = Response(200, STATEMENT.encode() + b"\n", content_type)

    assert run(get_statement(entity_configuration_url(server.base_url))) == STATEMENT
    [request] = server.requested("/.well-known/openid-federation")
    assert request.headers["accept"] == ENTITY_STATEMENT_MEDIA_TYPE
    assert request.headers["accept-encoding"] == "identity"


def test_fetch_passes_query_parameters_including_repeated_ones(server: LoopbackServer) -> None:
    server.routes["/resolve"] = Response(200, STATEMENT.encode(), "application/resolve-response+jwt")

    async def resolve() -> str:
        async with FederationFetcher(LOCAL) as fetcher:
            return await fetcher.get_jwt(
                server.url("/resolve"),
                media_type="application/resolve-response+jwt",
                params={
                    "sub": "https://rp.example",
                    "trust_anchor": ["https://ta1.example", "https://ta2.example"],
                },
            )

    assert run(resolve()) == STATEMENT
    [request] = server.requested("/resolve")
    assert request.query == {
        "sub": ["https://rp.example"],
        "trust_anchor": ["https://ta1.example", "https://ta2.example"],
    }


def test_fetch_rejects_declared_content_length_over_limit_without_reading_body(
    server: LoopbackServer,
) -> None:
    # The server declares 10 MiB but sends 10 bytes: reading the body would hang until a timeout.
    server.routes["/big"] = Response(
        200, b"0123456789", ENTITY_STATEMENT_MEDIA_TYPE, headers={"Content-Length": str(10 * 1024 * 1024)}
    )
    url = server.url("/big")

    error = fetch_error(get_statement(url))

    assert error.check is Check.TOO_LARGE
    assert error.url == url
    assert str(error) == f"{url}: declared Content-Length 10485760 exceeds the limit of 524288 bytes"


def test_fetch_aborts_streamed_body_as_soon_as_it_exceeds_the_limit(server: LoopbackServer) -> None:
    chunk = b"a" * (64 * 1024)
    total = len(chunk) * 1024  # 64 MiB, no Content-Length
    server.routes["/huge"] = Response(
        200, chunk, ENTITY_STATEMENT_MEDIA_TYPE, repeat=1024, content_length=False
    )
    url = server.url("/huge")
    policy = dataclasses.replace(LOCAL, max_bytes=100_000)

    started = time.monotonic()
    error = fetch_error(get_statement(url, policy))

    assert time.monotonic() - started < 1.0
    assert error.check is Check.TOO_LARGE
    assert str(error) == f"{url}: response exceeds the limit of 100000 bytes"
    [request] = server.requested("/huge")
    assert request.done.wait(2.0)
    assert request.bytes_written < total // 4  # the server hit a closed connection long before the end


def test_fetch_rejects_html_content_type(server: LoopbackServer) -> None:
    server.routes["/page"] = Response(200, b"<html><body>hello</body></html>", "text/html; charset=utf-8")
    url = server.url("/page")

    error = fetch_error(get_statement(url))

    assert error.check is Check.CONTENT_TYPE
    assert str(error) == f"{url}: expected application/entity-statement+jwt, got text/html"


def test_fetch_rejects_missing_or_neighbouring_content_type(server: LoopbackServer) -> None:
    server.routes["/none"] = Response(200, STATEMENT.encode(), None)
    server.routes["/jwt"] = Response(200, STATEMENT.encode(), "application/jwt")

    missing = fetch_error(get_statement(server.url("/none")))
    generic = fetch_error(get_statement(server.url("/jwt")))

    assert missing.check is generic.check is Check.CONTENT_TYPE
    assert (
        str(missing)
        == f"{server.url('/none')}: expected application/entity-statement+jwt, got no content type"
    )
    assert (
        str(generic)
        == f"{server.url('/jwt')}: expected application/entity-statement+jwt, got application/jwt"
    )


def test_fetch_rejects_compressed_content_encoding(server: LoopbackServer) -> None:
    server.routes["/gz"] = Response(
        200,
        gzip.compress(STATEMENT.encode()),
        ENTITY_STATEMENT_MEDIA_TYPE,
        headers={"Content-Encoding": "gzip"},
    )
    url = server.url("/gz")

    error = fetch_error(get_statement(url))

    assert error.check is Check.CONTENT_TYPE
    assert str(error) == f"{url}: unsupported Content-Encoding gzip; only identity is accepted"


@pytest.mark.parametrize(
    "body",
    [
        b"<html>not a jwt</html>",
        b"",
        b"abc.def",
        b"abc.def.ghi.jkl.mno",
        b"abc. def.ghi",
        b"abc.def.ghi\n\n",
        b" abc.def.ghi",
        b"abc.d\xc3\xa9f.ghi",
        b"abc.def.",
        b"abc.de=f.ghi",
    ],
)
def test_fetch_rejects_body_that_is_not_a_compact_jwt(server: LoopbackServer, body: bytes) -> None:
    server.routes["/statement"] = Response(200, body, ENTITY_STATEMENT_MEDIA_TYPE)
    url = server.url("/statement")

    error = fetch_error(get_statement(url))

    assert error.check is Check.FORMAT
    assert str(error) == f"{url}: response is not a compact JWT"


def test_fetch_reports_remote_json_error_code_and_description(server: LoopbackServer) -> None:
    server.routes["/fetch"] = Response.error(404, "not_found", "Unknown subject")
    url = server.url("/fetch")

    error = fetch_error(get_statement(url))

    assert error.check is Check.HTTP_STATUS
    assert error.remote_error == "not_found"
    assert str(error) == f"{url}: answered HTTP 404: not_found: Unknown subject"


def test_fetch_reports_unknown_path_of_the_server_as_not_found(server: LoopbackServer) -> None:
    error = fetch_error(get_statement(server.url("/nowhere")))

    assert error.remote_error == "not_found"
    assert (
        str(error) == f"{server.url('/nowhere')}: answered HTTP 404: not_found: nothing is served at /nowhere"
    )


def test_fetch_clips_and_sanitises_remote_error_text(server: LoopbackServer) -> None:
    server.routes["/fetch"] = Response.error(400, "invalid_request", "line one\nline two " + "x" * 500)
    error = fetch_error(get_statement(server.url("/fetch")))

    description = str(error).split("invalid_request: ", 1)[1]
    assert description.startswith("line one?line two xxx")
    assert len(description) == 203 and description.endswith("...")


def test_fetch_reports_http_status_keeping_a_non_json_body_out_of_the_message(server: LoopbackServer) -> None:
    server.routes["/broken"] = Response(500, b"<html>" + b"oops " * 100 + b"</html>", "text/html")
    url = server.url("/broken")

    error = fetch_error(get_statement(url))

    assert error.check is Check.HTTP_STATUS
    assert error.remote_error is None
    assert str(error) == f"{url}: answered HTTP 500"
    assert (
        error.detail is not None and error.detail.startswith("<html>oops oops") and len(error.detail) == 203
    )


def test_fetch_rejects_redirect_without_following_it(server: LoopbackServer) -> None:
    server.routes["/old"] = Response(302, b"", None, headers={"Location": server.url("/new")})
    server.routes["/new"] = Response(200, STATEMENT.encode(), ENTITY_STATEMENT_MEDIA_TYPE)
    url = server.url("/old")

    error = fetch_error(get_statement(url))

    assert error.check is Check.REDIRECT
    assert str(error) == (
        f"{url}: answered HTTP 302 redirecting to {server.url('/new')}; redirects are not followed"
    )
    assert server.requested("/new") == []


def test_passed_in_client_that_follows_redirects_still_does_not_follow_them(server: LoopbackServer) -> None:
    server.routes["/old"] = Response(301, b"", None, headers={"Location": "/new"})
    server.routes["/new"] = Response(200, STATEMENT.encode(), ENTITY_STATEMENT_MEDIA_TYPE)

    async def fetch() -> str:
        async with httpx.AsyncClient(follow_redirects=True) as client:
            return await FederationFetcher(LOCAL, client=client).get_jwt(
                server.url("/old"), media_type=ENTITY_STATEMENT_MEDIA_TYPE
            )

    error = fetch_error(fetch())

    assert error.check is Check.REDIRECT
    assert server.requested("/new") == []


def test_fetch_times_out_when_the_server_does_not_answer_within_the_read_timeout(
    server: LoopbackServer,
) -> None:
    server.routes["/slow"] = Response(200, STATEMENT.encode(), ENTITY_STATEMENT_MEDIA_TYPE, delay_before=5.0)
    url = server.url("/slow")
    policy = dataclasses.replace(LOCAL, read_timeout=0.3)

    started = time.monotonic()
    error = fetch_error(get_statement(url, policy))

    assert time.monotonic() - started < 1.5
    assert error.check is Check.TIMEOUT
    assert str(error) == f"{url}: read timed out after 0.3 s"


def test_total_deadline_stops_a_slow_drip_that_defeats_the_read_timeout(server: LoopbackServer) -> None:
    # One byte every 50 ms never trips a 0.3 s read timeout; only the overall deadline ends it.
    server.routes["/drip"] = Response(
        200, STATEMENT.encode(), ENTITY_STATEMENT_MEDIA_TYPE, delay_per_chunk=0.05, chunk_size=1
    )
    url = server.url("/drip")
    policy = dataclasses.replace(LOCAL, read_timeout=0.3, total_timeout=0.6)

    started = time.monotonic()
    error = fetch_error(get_statement(url, policy))

    assert 0.5 < time.monotonic() - started < 1.5
    assert error.check is Check.TIMEOUT
    assert str(error) == f"{url}: exceeded the total deadline of 0.6 s"


def test_fetch_reports_connection_refused() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    url = f"http://127.0.0.1:{port}/.well-known/openid-federation"

    error = fetch_error(get_statement(url))

    assert error.check is Check.CONNECTION
    assert str(error) == f"{url}: connection failed: ConnectError"


def test_fetch_refuses_plain_http_unless_development_federation(server: LoopbackServer) -> None:
    server.routes["/.well-known/openid-federation"] = Response(
        200, STATEMENT.encode(), ENTITY_STATEMENT_MEDIA_TYPE
    )
    url = entity_configuration_url(server.base_url)

    error = fetch_error(get_statement(url, FetchPolicy()))

    assert error.check is Check.URL
    assert str(error) == (
        f"refusing to fetch {url}: plain http is only allowed in a local development federation"
    )
    assert server.requests == []
    assert run(get_statement(url, FetchPolicy.development())) == STATEMENT


def test_policy_refuses_plain_http_outside_the_dev_environment() -> None:
    with pytest.raises(
        ValueError, match=r"only allowed in a local development federation \(environment 'dev'\)"
    ):
        FetchPolicy(allow_http=True)
    with pytest.raises(ValueError, match="environment 'dev'"):
        FetchPolicy(allow_http=True, environment="staging")
    policy = FetchPolicy.development()
    assert (policy.allow_http, policy.environment) == (True, "dev")
    assert FetchPolicy().allow_http is False


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("https://user:secret@ta.example/", "userinfo is not allowed"),
        ("https://@ta.example/", "userinfo is not allowed"),
        ("https://ta.example/x#frag", "a fragment is not allowed"),
        ("https://ta.example/x#", "a fragment is not allowed"),
        ("/.well-known/openid-federation", "not an absolute URL with a host"),
        ("ta.example/.well-known/openid-federation", "not an absolute URL with a host"),
        ("https:///x", "not an absolute URL with a host"),
        ("ftp://ta.example/", "the scheme must be https"),
        ("https://ta.example/a b", "whitespace or control characters"),
        ("https://ta.example/\r\nHost: evil", "whitespace or control characters"),
        ("https://ta.example:99999/", "the port is out of range"),
    ],
)
def test_fetch_refuses_urls_that_are_not_absolute_https_without_userinfo_or_fragment(
    url: str, reason: str
) -> None:
    error = fetch_error(get_statement(url, FetchPolicy()))

    assert error.check is Check.URL
    assert error.url == url
    assert str(error).endswith(f": {reason}")


def test_post_form_jwt_sends_the_form_to_the_trust_mark_status_endpoint(server: LoopbackServer) -> None:
    def status(method: str, path: str, query: dict[str, list[str]], body: bytes) -> Response:
        form = parse_qs(body.decode())
        echo = compact_jwt({"method": method, "form": form}, typ="trust-mark-status-response+jwt")
        return Response(200, echo.encode(), TRUST_MARK_STATUS_MEDIA_TYPE)

    server.routes["/status"] = status
    mark = compact_jwt({"trust_mark_type": "https://ta.example/marks/diatf"}, typ="trust-mark+jwt")

    async def post() -> str:
        async with FederationFetcher(LOCAL) as fetcher:
            return await fetcher.post_form_jwt(
                server.url("/status"), {"trust_mark": mark}, media_type=TRUST_MARK_STATUS_MEDIA_TYPE
            )

    answer = run(post())
    payload = json.loads(base64.urlsafe_b64decode(answer.split(".")[1] + "=="))
    assert payload == {"method": "POST", "form": {"trust_mark": [mark]}}
    [request] = server.requested("/status")
    assert request.headers["content-type"] == "application/x-www-form-urlencoded"
    assert request.headers["accept"] == TRUST_MARK_STATUS_MEDIA_TYPE


def test_get_json_parses_the_list_endpoint_array(server: LoopbackServer) -> None:
    entities = ["https://idp.example", "https://council.example"]
    server.routes["/list"] = Response(200, json.dumps(entities).encode(), "application/json; charset=utf-8")

    async def listing() -> Any:
        async with FederationFetcher(LOCAL) as fetcher:
            return await fetcher.get_json(server.url("/list"), params={"entity_type": ["openid_provider"]})

    assert run(listing()) == entities
    [request] = server.requested("/list")
    assert request.query == {"entity_type": ["openid_provider"]}
    assert request.headers["accept"] == "application/json"


@pytest.mark.parametrize("body", [b"[not json", b"[NaN]", b"[Infinity]", b"\xff\xfe[]", b"[" * 100_000])
def test_get_json_rejects_a_body_that_is_not_json(server: LoopbackServer, body: bytes) -> None:
    server.routes["/list"] = Response(200, body, "application/json")
    url = server.url("/list")

    async def listing() -> Any:
        async with FederationFetcher(LOCAL) as fetcher:
            return await fetcher.get_json(url)

    error = fetch_error(listing())

    assert error.check is Check.FORMAT
    assert str(error) == f"{url}: response is not valid JSON"


def test_passed_in_client_is_not_closed_by_the_fetcher(server: LoopbackServer) -> None:
    server.routes["/.well-known/openid-federation"] = Response(
        200, STATEMENT.encode(), ENTITY_STATEMENT_MEDIA_TYPE
    )

    async def scenario() -> tuple[bool, str]:
        async with httpx.AsyncClient() as client:
            async with FederationFetcher(LOCAL, client=client) as fetcher:
                token = await fetcher.get_jwt(
                    entity_configuration_url(server.base_url), media_type=ENTITY_STATEMENT_MEDIA_TYPE
                )
            return client.is_closed, token

    assert run(scenario()) == (False, STATEMENT)


def test_fetcher_closes_the_client_it_created() -> None:
    async def scenario() -> bool:
        fetcher = FederationFetcher(LOCAL)
        await fetcher.aclose()
        return fetcher._client.is_closed

    assert run(scenario()) is True
