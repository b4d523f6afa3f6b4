"""Request IDs, the access line and the metrics every service shares (:mod:`federation.service.observability`):
a sane ``X-Request-ID`` is kept and echoed, anything else replaced; one JSON line per request on
``ukid.access`` without query string, cookies or credentials; Prometheus counters and histograms by
route template (text exposition format); timestamps in RFC 3339 §5.6 UTC."""

from __future__ import annotations

import asyncio
import io
import json
import logging
import re
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi import APIRouter, FastAPI
from fastapi.testclient import TestClient
from prometheus_client import CONTENT_TYPE_LATEST
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response, StreamingResponse
from starlette.routing import Route
from starlette.staticfiles import StaticFiles
from starlette.types import Message

from federation.service.observability import (
    ACCESS_LOGGER,
    JsonFormatter,
    RequestIdFilter,
    RequestObservability,
    ServiceMetrics,
    configure_logging,
    current_request_id,
    install_observability,
    rfc3339,
    sane_request_id,
)
from federation.service.web import install_framework_error_handlers

ACCESS_KEYS = {"time", "service", "request_id", "method", "path", "route", "status", "duration_ms", "client"}
RFC3339_UTC = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z")
GENERATED = re.compile(r"[0-9a-f]{32}")
_inner = logging.getLogger("tests.observability.inner")


async def thing(request: Request) -> Response:
    _inner.info("looking at %s", request.path_params["thing"])
    return PlainTextResponse(f"thing {request.path_params['thing']}")


async def subordinate(request: Request) -> Response:
    return PlainTextResponse(request.path_params["entity_id"])


async def broken(_request: Request) -> Response:
    raise RuntimeError("boom")


async def chunks(_request: Request) -> Response:
    async def parts() -> Any:
        yield b"one,"
        yield b"two"

    return StreamingResponse(parts(), media_type="text/plain")


async def unexpected(_request: Request, exc: Exception) -> Response:
    _inner.error("unexpected: %s", exc)
    return PlainTextResponse("server error", status_code=500)


def _app(metrics: ServiceMetrics) -> Starlette:
    app = Starlette(
        exception_handlers={Exception: unexpected},
        routes=[
            Route("/svc/things/{thing}", thing),
            Route("/svc/admin/subordinates/{entity_id:path}", subordinate, methods=["GET", "DELETE"]),
            Route("/svc/broken", broken),
            Route("/svc/chunks", chunks),
        ],
    )
    install_observability(app, metrics, prefix="/svc")
    return app


@pytest.fixture
def metrics() -> ServiceMetrics:
    return ServiceMetrics("test-service")


@pytest.fixture
def client(metrics: ServiceMetrics) -> Iterator[TestClient]:
    with TestClient(_app(metrics), raise_server_exceptions=False) as running:
        yield running


@pytest.fixture
def access(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    caplog.set_level(logging.INFO)
    caplog.handler.addFilter(RequestIdFilter())
    return caplog


def access_lines(caplog: pytest.LogCaptureFixture) -> list[dict[str, Any]]:
    return [json.loads(r.getMessage()) for r in caplog.records if r.name == ACCESS_LOGGER]


def sample(metrics: ServiceMetrics, name: str, **labels: str) -> float | None:
    return metrics.registry.get_sample_value(name, {"service": metrics.service, **labels})


def test_access_line_has_exactly_the_documented_keys_and_values(
    client: TestClient, access: pytest.LogCaptureFixture
) -> None:
    response = client.get("/svc/things/42")
    assert response.status_code == 200
    [line] = access_lines(access)
    assert set(line) == ACCESS_KEYS
    request_id = response.headers["X-Request-ID"]
    assert {k: v for k, v in line.items() if k not in {"time", "duration_ms"}} == {
        "service": "test-service",
        "request_id": request_id,
        "method": "GET",
        "path": "/svc/things/42",
        "route": "/svc/things/{thing}",
        "status": 200,
        "client": "testclient",
    }
    assert RFC3339_UTC.fullmatch(line["time"]), line["time"]
    assert isinstance(line["duration_ms"], float)
    assert line["duration_ms"] >= 0


def test_request_id_is_generated_when_absent_and_carried_by_the_request_s_other_log_lines(
    client: TestClient, access: pytest.LogCaptureFixture
) -> None:
    response = client.get("/svc/things/7")
    request_id = response.headers["X-Request-ID"]
    assert GENERATED.fullmatch(request_id), request_id
    [inner] = [r for r in access.records if r.name == _inner.name]
    assert inner.request_id == request_id  # type: ignore[attr-defined]
    assert access_lines(access)[0]["request_id"] == request_id
    assert current_request_id() is None  # nothing leaks out of the request


def test_request_id_generated_per_request(client: TestClient) -> None:
    first = client.get("/svc/things/1").headers["X-Request-ID"]
    second = client.get("/svc/things/1").headers["X-Request-ID"]
    assert first != second


@pytest.mark.parametrize("incoming", ["abc-123", "A.b_C-9", "x" * 128, "0f1e2d3c-uuid-like"])
def test_sane_incoming_request_id_is_kept_and_echoed(
    client: TestClient, access: pytest.LogCaptureFixture, incoming: str
) -> None:
    response = client.get("/svc/things/1", headers={"X-Request-ID": incoming})
    assert response.headers["X-Request-ID"] == incoming
    assert access_lines(access)[0]["request_id"] == incoming


@pytest.mark.parametrize(
    "hostile",
    [
        "",
        "x" * 129,
        "two words",
        'quote"and}brace',
        "back\\slash",
        "tab\tinside",
        "semi;colon",
        "<script>alert(1)</script>",
        "caf\u00e9",
    ],
)
def test_hostile_incoming_request_id_is_replaced(
    client: TestClient, access: pytest.LogCaptureFixture, hostile: str
) -> None:
    response = client.get("/svc/things/1", headers={"X-Request-ID": hostile.encode("utf-8")})
    replaced = response.headers["X-Request-ID"]
    assert GENERATED.fullmatch(replaced), replaced
    assert access_lines(access)[0]["request_id"] == replaced


def test_sane_request_id_rules() -> None:
    assert sane_request_id("a") == "a"
    assert sane_request_id("a" * 128) == "a" * 128
    assert sane_request_id("a" * 129) is None
    assert sane_request_id("a\nb") is None
    assert sane_request_id(None) is None


def test_query_string_cookies_and_credentials_are_never_logged(
    client: TestClient, access: pytest.LogCaptureFixture
) -> None:
    client.cookies.set("session", "COOKIE-SECRET")
    client.get(
        "/svc/things/9?code=CODE-SECRET&state=STATE-SECRET",
        headers={"Authorization": "Bearer TOKEN-SECRET"},
    )
    [line] = access_lines(access)
    assert line["path"] == "/svc/things/9"
    # every record but the test client's own (httpx logs the URL it requests)
    text = "\n".join(r.getMessage() for r in access.records if r.name != "httpx")
    for secret in ("CODE-SECRET", "STATE-SECRET", "COOKIE-SECRET", "TOKEN-SECRET", "?"):
        assert secret not in text


def test_prometheus_requests_counted_by_route_template_not_raw_path(
    client: TestClient, metrics: ServiceMetrics
) -> None:
    client.get("/svc/admin/subordinates/https://a.example/x")
    client.get("/svc/admin/subordinates/https://b.example/y")
    client.delete("/svc/admin/subordinates/https://b.example/y")
    route = "/svc/admin/subordinates/{entity_id}"
    total = "ukid_http_requests_total"
    assert sample(metrics, total, method="GET", route=route, status="200") == 2.0
    assert sample(metrics, total, method="DELETE", route=route, status="200") == 1.0
    duration = "ukid_http_request_duration_seconds_count"
    assert sample(metrics, duration, method="GET", route=route) == 2.0


def test_prometheus_unmatched_paths_and_unknown_methods_keep_labels_bounded(
    client: TestClient, metrics: ServiceMetrics, access: pytest.LogCaptureFixture
) -> None:
    assert client.get("/no/such/path/123").status_code == 404
    assert client.get("/no/such/path/456").status_code == 404
    assert client.request("BREW", "/svc/things/1").status_code == 405
    total = "ukid_http_requests_total"
    assert sample(metrics, total, method="GET", route="unmatched", status="404") == 2.0
    assert sample(metrics, total, method="other", route="/svc/things/{thing}", status="405") == 1.0
    lines = access_lines(access)
    assert [(line["route"], line["status"]) for line in lines[:2]] == [(None, 404), (None, 404)]
    assert (lines[2]["method"], lines[2]["route"]) == ("BREW", "/svc/things/{thing}")


def test_prometheus_route_templates_of_plain_routes_and_mounts_under_fastapi(tmp_path: Path) -> None:
    """FastAPI's router names only the endpoint of a plain Starlette route or a mount in the scope, and
    a route of an included router by its path inside that router."""
    (tmp_path / "site.css").write_text("body {}")
    metrics = ServiceMetrics("fast")
    app = FastAPI()
    app.add_route("/svc/plain/{thing}", thing, methods=["GET"])
    app.add_route("/svc/again/{thing}", thing, methods=["GET"])  # one endpoint, two paths

    @app.get("/svc/api/{item}")
    async def api(item: str) -> dict[str, str]:
        return {"item": item}

    admin = APIRouter(prefix="/admin")

    @admin.delete("/subordinates/{entity_id:path}")
    async def remove(entity_id: str) -> dict[str, str]:
        return {"removed": entity_id}

    outer = APIRouter(prefix="/svc")
    outer.include_router(admin)
    app.include_router(outer)
    app.mount("/svc/assets", StaticFiles(directory=tmp_path), name="assets")
    install_observability(app, metrics, prefix="/svc")
    with TestClient(app) as client:
        for path in ("/svc/plain/1", "/svc/again/2", "/svc/again/3", "/svc/api/x", "/svc/assets/site.css"):
            assert client.get(path).status_code == 200, path
        assert client.delete("/svc/admin/subordinates/https://a.example/x").status_code == 200
        assert client.get("/svc/assets/missing.css").status_code == 404
        assert client.post("/svc/plain/1").status_code == 405
        assert client.get("/svc/metrics").status_code == 200
    total = "ukid_http_requests_total"
    assert sample(metrics, total, method="GET", route="/svc/plain/{thing}", status="200") == 1.0
    assert sample(metrics, total, method="GET", route="/svc/again/{thing}", status="200") == 2.0
    assert sample(metrics, total, method="GET", route="/svc/api/{item}", status="200") == 1.0
    assert sample(metrics, total, method="GET", route="/svc/assets/{path}", status="200") == 1.0
    assert sample(metrics, total, method="GET", route="/svc/assets/{path}", status="404") == 1.0
    assert sample(metrics, total, method="POST", route="/svc/plain/{thing}", status="405") == 1.0
    assert sample(metrics, total, method="GET", route="/svc/metrics", status="200") == 1.0
    route = "/svc/admin/subordinates/{entity_id}"  # an included router's route: the full template
    assert sample(metrics, total, method="DELETE", route=route, status="200") == 1.0


def test_unexpected_error_is_logged_as_500_with_the_request_id(
    client: TestClient, metrics: ServiceMetrics, access: pytest.LogCaptureFixture
) -> None:
    response = client.get("/svc/broken", headers={"X-Request-ID": "req-500"})
    assert response.status_code == 500
    [line] = access_lines(access)
    assert (line["request_id"], line["status"], line["route"]) == ("req-500", 500, "/svc/broken")
    # the server error handler runs outside the middleware, still with the request's ID
    [error] = [r for r in access.records if r.name == _inner.name]
    assert (error.getMessage(), error.request_id) == ("unexpected: boom", "req-500")  # type: ignore[attr-defined]
    total = "ukid_http_requests_total"
    assert sample(metrics, total, method="GET", route="/svc/broken", status="500") == 1.0


def test_prometheus_text_exposition_at_metrics(client: TestClient) -> None:
    client.get("/svc/things/1")
    response = client.get("/svc/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"] == CONTENT_TYPE_LATEST
    lines = response.text.splitlines()
    assert "# TYPE ukid_http_requests_total counter" in lines
    assert "# TYPE ukid_http_request_duration_seconds histogram" in lines
    assert "# TYPE ukid_logins_total counter" in lines
    assert (
        'ukid_http_requests_total{method="GET",route="/svc/things/{thing}",service="test-service",status="200"} 1.0'
        in lines
    )


def test_each_app_has_its_own_registry() -> None:
    first, second = ServiceMetrics("one"), ServiceMetrics("two")
    first.login("accepted")
    assert (
        first.registry.get_sample_value("ukid_logins_total", {"service": "one", "outcome": "accepted"}) == 1.0
    )
    assert (
        second.registry.get_sample_value("ukid_logins_total", {"service": "one", "outcome": "accepted"})
        is None
    )
    assert "ukid_authorization_codes" not in first.exposition().decode()


def test_authorization_codes_counted_only_by_an_authorization_server() -> None:
    provider = ServiceMetrics("idp", authorization_server=True)
    provider.code_issued()
    provider.code_issued()
    assert provider.registry.get_sample_value("ukid_authorization_codes_total", {"service": "idp"}) == 2.0


def test_streamed_response_passes_through_unbuffered(metrics: ServiceMetrics) -> None:
    app = _app(metrics)
    sent: list[Message] = []
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": "/svc/chunks",
        "raw_path": b"/svc/chunks",
        "root_path": "",
        "query_string": b"",
        "headers": [(b"x-request-id", b"stream-1")],
        "client": ("127.0.0.1", 5000),
        "server": ("127.0.0.1", 80),
    }

    requests = [{"type": "http.request", "body": b"", "more_body": False}]

    async def receive() -> Message:
        if requests:
            return requests.pop()
        await asyncio.Event().wait()  # the client stays connected
        raise AssertionError("unreachable")

    async def send(message: Message) -> None:
        sent.append(message)

    asyncio.run(app(scope, receive, send))
    assert [m["type"] for m in sent] == ["http.response.start", *["http.response.body"] * 3]
    assert [m.get("body") for m in sent[1:]] == [b"one,", b"two", b""]
    assert (b"x-request-id", b"stream-1") in sent[0]["headers"]


def test_lifespan_and_other_scopes_pass_through(metrics: ServiceMetrics) -> None:
    seen: list[str] = []

    async def inner(scope: Any, _receive: Any, _send: Any) -> None:
        seen.append(scope["type"])

    middleware = RequestObservability(inner, metrics)
    asyncio.run(middleware({"type": "lifespan"}, None, None))  # type: ignore[arg-type]
    assert seen == ["lifespan"]
    assert "ukid_http_requests_total{" not in metrics.exposition().decode()


def test_rfc3339_5_6_utc_with_milliseconds() -> None:
    assert rfc3339(0.5) == "1970-01-01T00:00:00.500Z"
    assert rfc3339(1_700_000_000.1239) == "2023-11-14T22:13:20.123Z"
    assert rfc3339(1_700_000_000.9999) == "2023-11-14T22:13:20.999Z"


def test_json_formatter_writes_other_lines_as_json_with_the_request_id() -> None:
    formatter = JsonFormatter("idp")
    record = logging.LogRecord("idp", logging.WARNING, __file__, 1, "odd %s", ("thing",), None)
    record.created = 1_700_000_000.25
    record.request_id = "req-1"
    assert json.loads(formatter.format(record)) == {
        "time": "2023-11-14T22:13:20.250Z",
        "service": "idp",
        "level": "warning",
        "logger": "idp",
        "message": "odd thing",
        "request_id": "req-1",
    }
    access = logging.LogRecord(ACCESS_LOGGER, logging.INFO, __file__, 1, '{"already":"json"}', None, None)
    assert formatter.format(access) == '{"already":"json"}'


def test_json_formatter_includes_the_exception() -> None:
    try:
        raise ValueError("bad")
    except ValueError:
        record = logging.LogRecord("x", logging.ERROR, __file__, 1, "failed", None, sys.exc_info())
    line = json.loads(JsonFormatter("svc").format(record))
    assert set(line) == {"time", "service", "level", "logger", "message", "exception"}
    assert line["exception"].endswith("ValueError: bad")


@pytest.fixture
def restored_logging() -> Iterator[None]:
    root, httpx = logging.getLogger(), logging.getLogger("httpx")
    handlers, level, httpx_level = root.handlers[:], root.level, httpx.level
    uvicorn = {
        n: (logging.getLogger(n).handlers[:], logging.getLogger(n).propagate)
        for n in ("uvicorn", "uvicorn.error")
    }
    yield
    root.handlers[:] = handlers
    root.setLevel(level)
    httpx.setLevel(httpx_level)
    for name, (found, propagate) in uvicorn.items():
        logging.getLogger(name).handlers[:] = found
        logging.getLogger(name).propagate = propagate


def test_configure_logging_sends_every_line_as_json(metrics: ServiceMetrics, restored_logging: None) -> None:
    stream = io.StringIO()
    configure_logging("test-service", stream=stream)
    with TestClient(_app(metrics)) as client:
        response = client.get("/svc/things/5?token=SECRET")
    logging.getLogger("uvicorn.error").warning("server says hello")  # (its level is uvicorn's to set)
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    request_id = response.headers["X-Request-ID"]
    inner = next(line for line in lines if line.get("logger") == _inner.name)
    assert (inner["message"], inner["request_id"], inner["level"]) == ("looking at 5", request_id, "info")
    access = next(line for line in lines if line.get("path") == "/svc/things/5")
    assert set(access) == ACCESS_KEYS
    assert (lines[-1]["logger"], lines[-1]["level"], lines[-1]["message"]) == (
        "uvicorn.error",
        "warning",
        "server says hello",
    )
    assert "request_id" not in lines[-1]
    assert "SECRET" not in stream.getvalue()  # nor in the test client's (httpx's) own request line


def test_a_server_error_answer_carries_the_request_id() -> None:
    """The framework's error handler (``federation.service.web``) runs outside the middleware: its
    OAuth-format 500 still names the request."""
    app = FastAPI()
    install_framework_error_handlers(app, log=_inner, who="test service")
    install_observability(app, ServiceMetrics("test"), prefix="")

    @app.get("/broken")
    async def broken_route() -> Response:
        raise RuntimeError("boom")

    with TestClient(app, raise_server_exceptions=False) as test_client:
        response = test_client.get("/broken", headers={"X-Request-ID": "req-oauth-500"})
    assert response.status_code == 500
    assert response.headers["X-Request-ID"] == "req-oauth-500"
    assert response.json() == {
        "error": "server_error",
        "error_description": "the test service met an unexpected condition; it has been logged",
    }
