"""Bad input at the federation endpoints (OpenID Federation 1.0 §8): each request gets the exact
§8.9 error (status, ``error``, ``error_description``, ``application/json``) and changes nothing in the
store; trust mark status answers that are not errors (§8.4.2: invalid, revoked, expired) are verified
as signed responses with the registry's published keys. The last test sends garbage to every route.
"""

from __future__ import annotations

import base64
import json
import random
from types import ModuleType
from typing import Any
from urllib.parse import quote, urlencode

import httpx
import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute

from federation.jose import JwtType, decode_unverified
from federation.keys import KeyStore, generate_key
from federation.statements import key_set, verify_entity_configuration
from federation.trust_marks import TrustMarkStatus, parse_status_response
from tests.trust_registry.regkit import (
    ADMIN_TOKEN,
    RegistryKit,
    assert_error,
    cases,
    council_metadata,
    make_unreachable,
    unchanged,
)
from trust_registry.endpoints import (
    admin_members,
    admin_registry,
    entity_configuration,
    fetch,
    historical_keys,
    resolve,
    subordinate_listing,
    trust_mark,
    trust_mark_list,
    trust_mark_status,
)

COUNCIL = "https://council.example"
NOBODY = "https://nobody.example"
ANCHOR = "https://registry.example"
COUNCIL_CLAIMS = {"council": {"gss_code": "E07000178", "name": "Oxford City Council"}}
COUNCIL_TYPE = "https://registry.example/trust-mark-types/council"
FORM = {"content-type": "application/x-www-form-urlencoded"}
JSON = {"content-type": "application/json"}


def onboarded(kit: RegistryKit) -> None:
    kit.member(COUNCIL, council_metadata(COUNCIL))
    kit.onboard(COUNCIL)


def council_mark(kit: RegistryKit, **extra: Any) -> dict[str, Any]:
    onboarded(kit)
    return kit.issue("council", COUNCIL, COUNCIL_CLAIMS, **extra)


def b64(value: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()


# --- fetch (§8.1) ---------------------------------------------------------------------------------

LONG = "https://a.example/" + "a" * 2048


NOT_ID = "sub is not an entity ID:"
# fmt: off
BAD_FETCH_QUERIES = cases(
    ("missing", "", "required parameter sub is missing"),
    ("empty", "sub=", "required parameter sub is missing"),
    ("iss-only", "iss=https%3A%2F%2Fregistry.example", "required parameter sub is missing"),
    ("twice", "sub=https%3A%2F%2Fa.example&sub=https%3A%2F%2Fb.example", "sub must be given once"),
    ("not-url", urlencode({"sub": "not a url"}), f"{NOT_ID} 'not a url'"),
    ("ftp", urlencode({"sub": "ftp://a.x"}), f"{NOT_ID} 'ftp://a.x'"),
    ("query", urlencode({"sub": "https://a.x?q=1"}), f"{NOT_ID} 'https://a.x?q=1'"),
    ("fragment", urlencode({"sub": "https://a.x#f"}), f"{NOT_ID} 'https://a.x#f'"),
    ("ipv6-unclosed", urlencode({"sub": "https://[::1"}), f"{NOT_ID} 'https://[::1'"),
    ("over-long", urlencode({"sub": LONG}), "sub is longer than 2048 characters"),
    ("control", "sub=https%3A%2F%2Fa.example%2F%01", "sub contains control characters"),
    ("nul", "sub=https%3A%2F%2Fa.example%2F%00", "sub contains control characters"),
    ("over-8KiB", "sub=https%3A%2F%2Fa.x&pad=" + "a" * 8192, "query string longer than 8192 bytes"),
)
# fmt: on


@pytest.mark.parametrize(("query", "description"), BAD_FETCH_QUERIES)
def test_8_1_fetch_rejects_a_malformed_sub(kit: RegistryKit, query: str, description: str) -> None:
    with unchanged(kit):
        assert_error(kit.client.get(f"/fetch?{query}"), 400, "invalid_request", description)


def test_8_1_fetch_of_an_unknown_sub_is_not_found(kit: RegistryKit) -> None:
    onboarded(kit)
    with unchanged(kit):
        response = kit.client.get("/fetch", params={"sub": NOBODY})
    assert_error(response, 404, "not_found", f"{NOBODY} is not a subordinate of {kit.entity_id}")


def test_8_1_fetch_of_the_registry_itself_is_invalid_request(kit: RegistryKit) -> None:
    with unchanged(kit):
        response = kit.client.get("/fetch", params={"sub": kit.entity_id})
    assert_error(
        response,
        400,
        "invalid_request",
        f"{kit.entity_id} is this registry itself; its entity configuration is at "
        "/.well-known/openid-federation",
    )


def test_8_1_fetch_of_a_suspended_member_is_not_found(kit: RegistryKit) -> None:
    onboarded(kit)
    assert kit.client.get("/fetch", params={"sub": COUNCIL}).status_code == 200
    assert kit.admin("POST", "/subordinate/suspend", sub=COUNCIL).status_code == 200
    with unchanged(kit):
        response = kit.client.get("/fetch", params={"sub": COUNCIL})
    assert_error(response, 404, "not_found", f"{COUNCIL} is not a subordinate of {kit.entity_id}")


# --- subordinate listing (§8.2) -------------------------------------------------------------------


# fmt: off
BAD_LIST_QUERIES = cases(
    ("maybe", "trust_marked=maybe", "trust_marked must be true or false, not 'maybe'"),
    ("one", "intermediate=1", "intermediate must be true or false, not '1'"),
    ("int-twice", "intermediate=true&intermediate=false", "intermediate must be given once"),
    ("marked-twice", "trust_marked=true&trust_marked=true", "trust_marked must be given once"),
    ("empty-type", "entity_type=", "entity_type must not be empty"),
    ("21-types", "&".join(["entity_type=x"] * 21), "entity_type is repeated more than 20 times"),
    ("long", "trust_mark_type=" + "t" * 2049, "trust_mark_type is longer than 2048 characters"),
)
# fmt: on


@pytest.mark.parametrize(("query", "description"), BAD_LIST_QUERIES)
def test_8_2_list_rejects_bad_filters(kit: RegistryKit, query: str, description: str) -> None:
    onboarded(kit)
    with unchanged(kit):
        assert_error(kit.client.get(f"/list?{query}"), 400, "invalid_request", description)


def test_8_2_list_answers_an_unknown_parameter_unsupported_parameter(kit: RegistryKit) -> None:
    with unchanged(kit):
        response = kit.client.get("/list", params={"foo": "1"})
    supported = "entity_type, trust_marked, trust_mark_type, intermediate"
    assert_error(
        response,
        400,
        "unsupported_parameter",
        f"parameter 'foo' is not supported here (supported: {supported})",
    )


# --- resolve (§8.3) -------------------------------------------------------------------------------


# fmt: off
RESOLVE_PARAMETERS = cases(
    ("no-sub", {"trust_anchor": ANCHOR}, "required parameter sub is missing"),
    ("no-anchor", {"sub": COUNCIL}, "required parameter trust_anchor is missing"),
    ("anchor-not-url", {"sub": COUNCIL, "trust_anchor": "ta"}, "trust_anchor is not an entity ID: 'ta'"),
    ("sub-not-url", {"sub": "council", "trust_anchor": ANCHOR}, "sub is not an entity ID: 'council'"),
    ("empty-type", {"sub": COUNCIL, "trust_anchor": ANCHOR, "entity_type": ""}, "entity_type must not be empty"),
)
# fmt: on


@pytest.mark.parametrize(("params", "description"), RESOLVE_PARAMETERS)
def test_8_3_resolve_rejects_missing_or_malformed_parameters(
    kit: RegistryKit, params: dict[str, str], description: str
) -> None:
    with unchanged(kit):
        assert_error(kit.client.get("/resolve", params=params), 400, "invalid_request", description)


def test_8_3_resolve_to_an_unknown_trust_anchor_is_invalid_trust_anchor(kit: RegistryKit) -> None:
    onboarded(kit)
    with unchanged(kit):
        response = kit.client.get(
            "/resolve", params={"sub": COUNCIL, "trust_anchor": "https://other.example"}
        )
    assert_error(
        response,
        404,
        "invalid_trust_anchor",
        "none of the requested trust anchors is known here; this registry resolves to https://registry.example",
    )


def test_8_3_resolve_of_an_unknown_sub_is_invalid_subject(kit: RegistryKit) -> None:
    with unchanged(kit):
        response = kit.client.get("/resolve", params={"sub": NOBODY, "trust_anchor": kit.entity_id})
    assert_error(
        response, 404, "invalid_subject", f"cannot fetch the entity configuration of {NOBODY}: ", exact=False
    )
    assert response.json()["error_description"].endswith(
        f"{NOBODY}/.well-known/openid-federation: answered HTTP 404: not_found: no entity at {NOBODY}"
    )


def test_8_3_resolve_of_an_unreachable_sub_is_invalid_subject(kit: RegistryKit) -> None:
    onboarded(kit)
    make_unreachable(kit.fed, COUNCIL)
    with unchanged(kit):
        response = kit.client.get("/resolve", params={"sub": COUNCIL, "trust_anchor": kit.entity_id})
    assert_error(
        response, 404, "invalid_subject", f"cannot fetch the entity configuration of {COUNCIL}: ", exact=False
    )
    assert response.json()["error_description"].endswith(
        f"{COUNCIL}/.well-known/openid-federation: connection failed: ConnectError"
    )


def test_8_3_resolve_of_a_member_signing_with_an_unrecorded_key_is_invalid_trust_chain(
    kit: RegistryKit,
) -> None:
    onboarded(kit)  # the registry records the member's keys now; the member then changes them
    kit.fed.entities[COUNCIL].keys = KeyStore.open(None, clock=lambda: kit.fed.now)
    new_kid = kit.fed.entities[COUNCIL].keys.signing_key().kid
    with unchanged(kit):
        response = kit.client.get("/resolve", params={"sub": COUNCIL, "trust_anchor": kit.entity_id})
    assert_error(
        response,
        400,
        "invalid_trust_chain",
        f"entity configuration of {COUNCIL} is signed with a key that subordinate statement by "
        f"{kit.entity_id} about {COUNCIL} does not vouch for: no trusted key has kid {new_kid!r}",
        exact=False,
    )
    assert response.json()["error_description"].startswith(f"no valid trust chain from {COUNCIL}: ")


# --- trust mark status (§8.4) ---------------------------------------------------------------------


def status_of(kit: RegistryKit, mark: str) -> TrustMarkStatus:
    """POST the mark and verify the signed answer with the keys of the registry's entity configuration."""
    response = kit.client.post("/trust-mark-status", data={"trust_mark": mark})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/trust-mark-status-response+jwt"
    configuration = kit.client.get("/.well-known/openid-federation").text
    statement = verify_entity_configuration(
        configuration, entity_id=kit.entity_id, trusted_keys=None, now=kit.clock[0]
    )
    assert statement.jwks is not None
    return parse_status_response(
        response.text,
        issuer=kit.entity_id,
        issuer_keys=key_set(statement.jwks),
        trust_mark=mark,
        now=kit.clock[0],
    )


ONE_MARK = "the form needs exactly one trust_mark"
NOT_FORM = "the body must be application/x-www-form-urlencoded"
# fmt: off
BAD_STATUS_REQUESTS = cases(
    ("json", b'{"trust_mark": "a.b.c"}', JSON, NOT_FORM),
    ("no-content-type", b"trust_mark=a.b.c", {}, NOT_FORM),
    ("empty", b"", FORM, ONE_MARK),
    ("missing", b"other=1", FORM, ONE_MARK),
    ("blank", b"trust_mark=", FORM, ONE_MARK),
    ("twice", b"trust_mark=a.b.c&trust_mark=d.e.f", FORM, ONE_MARK),
    ("not-jwt", b"trust_mark=abc", FORM, "trust_mark: not a compact JWS: expected three dot-separated parts"),
    ("bad-b64", b"trust_mark=%21.e30.c2ln", FORM, "trust_mark: the JWT header is not base64url-encoded JSON"),
    ("header-array", b"trust_mark=W10.e30.c2ln", FORM, "trust_mark: the JWT header is not a JSON object"),
    ("not-ascii", b"trust_mark=\xff\xfe", FORM, "the body is not a valid form"),
    ("no-equals", b"trust_mark", FORM, "the body is not a valid form"),
    ("over-64KiB", b"trust_mark=" + b"a" * 65536, FORM, "the body is larger than 65536 bytes"),
)
# fmt: on


@pytest.mark.parametrize(("content", "headers", "description"), BAD_STATUS_REQUESTS)
def test_8_4_status_rejects_a_bad_request(
    kit: RegistryKit, content: bytes, headers: dict[str, str], description: str
) -> None:
    with unchanged(kit):
        response = kit.client.post("/trust-mark-status", content=content, headers=headers)
    assert_error(response, 400, "invalid_request", description)


def test_8_4_status_endpoint_accepts_only_post(kit: RegistryKit) -> None:
    with unchanged(kit):
        response = kit.client.get("/trust-mark-status", params={"trust_mark": "a.b.c"})
    assert_error(response, 405, "invalid_request", "method GET is not allowed here")


def test_8_4_status_of_a_mark_never_issued_here_is_404(kit: RegistryKit) -> None:
    onboarded(kit)
    claims = {"sub": COUNCIL, "trust_mark_type": COUNCIL_TYPE, "iat": int(kit.clock[0])}
    stranger = kit.fed.sign(
        {"iss": "https://other.example", **claims}, key=generate_key(), typ=JwtType.TRUST_MARK
    )
    forged = kit.fed.sign({"iss": kit.entity_id, **claims}, key=generate_key(), typ=JwtType.TRUST_MARK)
    odd = f"{b64({'alg': 'ES256'})}.{b64({'iss': kit.entity_id, 'sub': COUNCIL + chr(0), 'iat': []})}.c2ln"
    for mark in (stranger, forged, odd):
        with unchanged(kit):
            response = kit.client.post("/trust-mark-status", data={"trust_mark": mark})
        assert_error(response, 404, "not_found", "this registry did not issue that trust mark")


def test_8_4_status_of_a_tampered_mark_is_invalid(kit: RegistryKit) -> None:
    mark = council_mark(kit)["trust_mark"]
    assert status_of(kit, mark) is TrustMarkStatus.ACTIVE
    header, payload, signature = mark.split(".")
    claims = decode_unverified(mark)[1]
    claims["council"]["name"] = "Someone Else's Council"
    altered_claims = f"{header}.{b64(claims)}.{signature}"
    altered_signature = f"{header}.{payload}.{'B' if signature[0] == 'A' else 'A'}{signature[1:]}"
    for tampered in (altered_claims, altered_signature):
        with unchanged(kit):
            assert status_of(kit, tampered) is TrustMarkStatus.INVALID


def test_8_4_status_of_a_revoked_mark_is_revoked(kit: RegistryKit) -> None:
    issued = council_mark(kit)
    assert kit.admin("POST", "/trust-marks/revoke", {"id": issued["id"]}).status_code == 200
    with unchanged(kit):
        assert status_of(kit, issued["trust_mark"]) is TrustMarkStatus.REVOKED


def test_8_4_status_of_an_expired_mark_is_expired(kit: RegistryKit) -> None:
    issued = council_mark(kit, lifetime=300)
    assert status_of(kit, issued["trust_mark"]) is TrustMarkStatus.ACTIVE
    kit.advance(301)
    with unchanged(kit):
        assert status_of(kit, issued["trust_mark"]) is TrustMarkStatus.EXPIRED


# --- trust mark endpoint (§8.6) and trust marked entities listing (§8.5) --------------------------


TM, TM_LIST = "/trust-mark", "/trust-mark-list"
NO_MARK = "holds no valid trust mark of type"
# fmt: off
BAD_MARK_REQUESTS = cases(
    ("no-type", TM, {"sub": COUNCIL}, (400, "required parameter trust_mark_type is missing")),
    ("no-sub", TM, {"trust_mark_type": "council"}, (400, "required parameter sub is missing")),
    ("sub-not-url", TM, {"trust_mark_type": "council", "sub": "c"}, (400, "sub is not an entity ID: 'c'")),
    ("list-no-type", TM_LIST, {"sub": COUNCIL}, (400, "required parameter trust_mark_type is missing")),
    ("list-bad-sub", TM_LIST, {"trust_mark_type": "council", "sub": "x"}, (400, "sub is not an entity ID: 'x'")),
    ("list-control", TM_LIST, {"trust_mark_type": "a\x7f"}, (400, "trust_mark_type contains control characters")),
    ("unknown-sub", TM, {"trust_mark_type": "council", "sub": NOBODY}, (404, f"{NOBODY} {NO_MARK} {COUNCIL_TYPE} from this registry")),
    ("unknown-type", TM, {"trust_mark_type": "https://o.example/t", "sub": COUNCIL}, (404, f"{COUNCIL} {NO_MARK} https://o.example/t from this registry")),
)
# fmt: on


@pytest.mark.parametrize(("path", "params", "expected"), BAD_MARK_REQUESTS)
def test_8_5_and_8_6_reject_bad_requests(
    kit: RegistryKit, path: str, params: dict[str, str], expected: tuple[int, str]
) -> None:
    council_mark(kit)
    status, description = expected
    with unchanged(kit):
        response = kit.client.get(path, params=params)
    assert_error(response, status, "invalid_request" if status == 400 else "not_found", description)


def test_8_5_and_8_6_a_revoked_mark_is_no_longer_served(kit: RegistryKit) -> None:
    issued = council_mark(kit)
    query = {"trust_mark_type": "council", "sub": COUNCIL}
    assert kit.client.get("/trust-mark", params=query).text == issued["trust_mark"]
    assert kit.client.get("/trust-mark-list", params={"trust_mark_type": "council"}).json() == [COUNCIL]
    assert kit.admin("POST", "/trust-marks/revoke", {"id": issued["id"]}).status_code == 200
    with unchanged(kit):
        response = kit.client.get("/trust-mark", params=query)
        listed = kit.client.get("/trust-mark-list", params={"trust_mark_type": "council"})
    assert_error(
        response,
        404,
        "not_found",
        f"{COUNCIL} holds no valid trust mark of type {COUNCIL_TYPE} from this registry",
    )
    assert listed.status_code == 200
    assert listed.json() == []


# --- historical keys (§8.7), unknown paths and methods --------------------------------------------


@pytest.mark.parametrize(
    ("method", "path", "status", "description"),
    [
        ("POST", "/historical-keys", 405, "method POST is not allowed here"),
        ("DELETE", "/fetch", 405, "method DELETE is not allowed here"),
        ("PUT", "/.well-known/openid-federation", 405, "method PUT is not allowed here"),
        ("PROPFIND", "/list", 405, "method PROPFIND is not allowed here"),
        ("GET", "/nope", 404, "no endpoint at /nope"),
        ("GET", "/.well-known/openid-configuration", 404, "no endpoint at /.well-known/openid-configuration"),
        ("GET", "/fetch/extra", 404, "no endpoint at /fetch/extra"),
    ],
)
def test_8_9_unknown_paths_and_methods_get_a_json_error(
    kit: RegistryKit, method: str, path: str, status: int, description: str
) -> None:
    with unchanged(kit):
        response = kit.client.request(method, path)
    assert_error(response, status, "invalid_request" if status == 405 else "not_found", description)


def test_8_7_historical_keys_ignore_unknown_parameters(kit: RegistryKit) -> None:
    response = kit.client.get("/historical-keys", params={"iss": "x", "junk": "\u2603"})
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/jwk-set+jwt"


# --- no request produces a 500 --------------------------------------------------------------------

PROTOCOL_MODULES: tuple[ModuleType, ...] = (
    entity_configuration,
    fetch,
    subordinate_listing,
    resolve,
    trust_mark_status,
)
PROTOCOL_MODULES += (trust_mark_list, trust_mark, historical_keys, admin_members, admin_registry)
ODD_METHODS = ("GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "HEAD", "TRACE", "PROPFIND")
Garbage = tuple[str, bytes, dict[str, str]]


def garbage_requests(rng: random.Random) -> list[Garbage]:
    """(query string, body, headers): random bytes, broken escapes, huge headers, odd content types,
    with and without the admin token (so that admin bodies and queries are parsed too)."""
    noise = [bytes(rng.randrange(256) for _ in range(rng.randrange(1, 64))) for _ in range(6)]
    queries = [
        "&".join(f"{quote(a)}={quote(b)}" for a, b in zip(noise[::2], noise[1::2], strict=True)),
        "sub=https%3A%2F%2F%5B%3A%3A1&entity_type=%&trust_mark_type=%%&after=%C2%B2&limit=%D9%A1",
        "sub=%FF%FE%00&trust_anchor=%zz&" + "&".join(f"entity_type={i}" for i in range(300)),
        "sub=" + quote("https://a.example/" + "é" * 3000) + "&after=" + "9" * 40,
    ]
    bodies = [
        noise[0],
        b"{" * 5000,
        b'{"a": "\\u0000", "id": 1e999}',
        b"[" * 99_999,
        b"trust_mark=" + noise[1],
    ]
    admin = {"authorization": f"Bearer {ADMIN_TOKEN}", "content-type": "application/json"}
    headers = [
        {},
        {"authorization": "Bearer " + "x" * 65536, "x-junk": "y" * 65536},
        {"authorization": "Bearer", "content-type": "application/json; charset=ebcdic"},
        {"content-type": "application/x-www-form-urlencoded", "authorization": "Basic Og=="},
        {**admin, "content-length": "not-a-number"},
    ]
    pairs = [*zip(bodies, headers, strict=True), *((b, admin) for b in bodies[:3])]
    return [(q, b, h) for q in queries for b, h in pairs]


def problem(kit: RegistryKit, method: str, path: str, garbage: Garbage, *, strict: bool) -> str | None:
    """What is wrong with the answer to one garbage request: a 5xx, or (``strict``) a non-§8.9 error."""
    query, body, headers = garbage
    where = f"{method} {path}?{query[:40]!r} {sorted(headers)}"
    try:
        response = kit.client.request(method, f"{path}?{query}", content=body, headers=headers)
    except httpx.HTTPError as exc:
        return f"{where}: {exc!r}"
    if response.status_code >= 500:
        return f"{where}: {response.status_code} {response.text[:200]}"
    if not strict or response.status_code < 400:
        return None
    if response.headers.get("content-type") != "application/json":
        return f"{where}: {response.status_code} as {response.headers.get('content-type')}"
    if method != "HEAD" and set(response.json()) != {"error", "error_description"}:
        return f"{where}: {response.text[:200]}"
    return None


def test_8_9_no_garbage_request_produces_a_500(kit: RegistryKit) -> None:
    onboarded(kit)
    app = kit.client.app
    assert isinstance(app, FastAPI)
    declared = {(m.upper(), p) for p, ops in app.openapi()["paths"].items() for m in ops}
    strict = {r.path for m in PROTOCOL_MODULES for r in m.router().routes if isinstance(r, APIRoute)}
    strict |= {"/nope", "/admin/", "/fetch/x"}
    paths = sorted({p for _m, p in declared} | strict | {"/healthz", "/readyz", "/openapi.json"})
    requests = garbage_requests(random.Random(89))
    failures = []
    with unchanged(kit):
        for path in paths:
            for method in ODD_METHODS:
                battery = requests if (method, path) in declared else requests[:: len(requests) // 2]
                for garbage in battery:
                    failures.append(problem(kit, method, path, garbage, strict=path in strict))
    assert [f for f in failures if f is not None] == []
