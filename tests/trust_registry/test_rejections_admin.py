"""Bad input at the administration API: every refusal is an OpenID Federation 1.0 §8.9 error (exact
status, ``error`` and ``error_description``, ``application/json``) and leaves the store unchanged.

Covers authentication on every admin route, malformed bodies on every route that takes one,
onboarding an entity that cannot be admitted (§3.1, §9, §6.1 and the federation profile), trust mark
issuing and revocation (§7, §8.4), delegations (§7.2.1), key rotation and the audit log's parameters.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.routing import APIRoute

from federation.jose import JwtType
from federation.keys import generate_key
from tests.trust_registry.regkit import (
    ADMIN_TOKEN,
    ANCHOR,
    RegistryKit,
    assert_error,
    cases,
    council_metadata,
    make_unreachable,
    registry_kit,
    unchanged,
)
from trust_registry.endpoints import admin_members, admin_registry

COUNCIL = "https://council.example"
NEWCOMER = "https://newcomer.example"
NOBODY = "https://nobody.example"
COUNCIL_CLAIMS = {"council": {"gss_code": "E07000178", "name": "Oxford City Council"}}
TOKEN = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
JSON = {**TOKEN, "content-type": "application/json"}
TYPES = f"{ANCHOR}/trust-mark-types"
ISSUED = f"this registry issues {TYPES}/certified_identity_service_provider, {TYPES}/council"


class Prefix(str):
    """An expected ``error_description`` that ends in a value the test cannot know (a fresh key's kid)."""

    __slots__ = ()


def council_mark(kit: RegistryKit) -> dict[str, Any]:
    """``COUNCIL`` onboarded with trust mark 1; ``NEWCOMER`` ready to be onboarded."""
    kit.member(COUNCIL, council_metadata(COUNCIL))
    kit.member(NEWCOMER, council_metadata(NEWCOMER))
    kit.onboard(COUNCIL)
    return kit.issue("council", COUNCIL, COUNCIL_CLAIMS)


#: A request each admin route would accept: (query parameters, JSON body or None).
VALID: dict[tuple[str, str], tuple[dict[str, str], Any]] = {
    ("POST", "/admin/subordinates"): ({}, {"entity_id": NEWCOMER}),
    ("GET", "/admin/subordinates"): ({}, None),
    ("GET", "/admin/subordinate"): ({"sub": COUNCIL}, None),
    ("PUT", "/admin/subordinate"): ({"sub": COUNCIL}, {"metadata": None}),
    ("DELETE", "/admin/subordinate"): ({"sub": COUNCIL}, None),
    ("POST", "/admin/subordinate/suspend"): ({"sub": COUNCIL}, None),
    ("POST", "/admin/subordinate/reinstate"): ({"sub": COUNCIL}, None),
    ("POST", "/admin/subordinate/refresh-keys"): ({"sub": COUNCIL}, None),
    ("GET", "/admin/trust-marks"): ({"sub": COUNCIL}, None),
    ("POST", "/admin/trust-marks"): (
        {},
        {"trust_mark_type": "council", "sub": COUNCIL, "claims": COUNCIL_CLAIMS},
    ),
    ("POST", "/admin/trust-marks/revoke"): ({}, {"id": 1}),
    ("POST", "/admin/delegations"): ({}, {"issuer": NEWCOMER, "trust_mark_type": "council"}),
    ("PUT", "/admin/delegation"): ({}, {"delegation": "a.b.c", "owner": ANCHOR}),
    ("POST", "/admin/keys/rotate"): ({}, {"overlap": 3600}),
    ("GET", "/admin/audit"): ({"limit": "10"}, None),
}
ADMIN_ROUTES = sorted(
    (method, route.path)
    for module in (admin_members, admin_registry)
    for route in module.router().routes
    if isinstance(route, APIRoute)
    for method in route.methods or ()
)
BODY_ROUTES = [route for route in ADMIN_ROUTES if VALID[route][1] is not None]


def call(kit: RegistryKit, route: tuple[str, str], content: bytes, headers: dict[str, str]) -> httpx.Response:
    response: httpx.Response = kit.client.request(
        *route, params=VALID[route][0], content=content, headers=headers
    )
    return response


# --- authentication -------------------------------------------------------------------------------

NEEDS = "the admin API needs Authorization: Bearer <admin token>"
NOT_VALID = "the admin token is not valid"
CREDENTIALS = [
    ({}, NEEDS),
    ({"Authorization": ""}, NEEDS),
    ({"Authorization": ADMIN_TOKEN}, NEEDS),
    ({"Authorization": f"Basic {ADMIN_TOKEN}"}, NEEDS),
    ({"Authorization": "Bearer"}, NEEDS),
    ({"Authorization": "Bearer wrong-token"}, NOT_VALID),
    ({"Authorization": f"Bearer {ADMIN_TOKEN[:-1]}"}, NOT_VALID),
    ({"Authorization": f"Bearer {ADMIN_TOKEN}x"}, NOT_VALID),
    ({"Authorization": f"Bearer {ADMIN_TOKEN.upper()}"}, NOT_VALID),
]


def test_every_admin_route_is_listed_with_a_valid_request() -> None:
    assert sorted(VALID) == ADMIN_ROUTES


@pytest.mark.parametrize("route", ADMIN_ROUTES, ids=[f"{m} {p}" for m, p in ADMIN_ROUTES])
def test_admin_route_refuses_missing_or_wrong_credentials(kit: RegistryKit, route: tuple[str, str]) -> None:
    council_mark(kit)
    body = json.dumps(VALID[route][1]).encode() if VALID[route][1] is not None else b""
    for headers, description in CREDENTIALS:
        with unchanged(kit):
            response = call(kit, route, body, {**headers, "content-type": "application/json"})
        assert_error(response, 401, "invalid_client", description)
        assert response.headers["www-authenticate"] == 'Bearer realm="ukid-registry-admin"'
    # the same request with the token gets past authentication
    assert call(kit, route, body, JSON).status_code != 401


# --- malformed bodies -----------------------------------------------------------------------------


def valid_plus(route: tuple[str, str], **extra: Any) -> bytes:
    return json.dumps({**VALID[route][1], **extra}).encode()


def plain(body: bytes) -> Callable[[tuple[str, str]], bytes]:
    return lambda _route: body


TEXT = {**TOKEN, "content-type": "text/plain"}
FORM = {**TOKEN, "content-type": "application/x-www-form-urlencoded"}
NOT_JSON, NOT_OBJECT, NOT_JSON_TYPE = (
    "the body is not valid JSON",
    "the body must be a JSON object",
    "the body must be application/json",
)
# fmt: off
MALFORMED: list[tuple[Callable[[tuple[str, str]], bytes], dict[str, str], str]] = [
    (plain(b"{"), JSON, NOT_JSON),
    (plain(b'{"a": "\xff"}'), JSON, NOT_JSON),
    (plain(b"[" * 10_000), JSON, NOT_JSON),
    (plain(b"[]"), JSON, NOT_OBJECT),
    (plain(b'"entity_id"'), JSON, NOT_OBJECT),
    (valid_plus, TEXT, NOT_JSON_TYPE),
    (plain(b"entity_id=x"), FORM, NOT_JSON_TYPE),
    (valid_plus, TOKEN, NOT_JSON_TYPE),
    (lambda route: valid_plus(route, zzz=1), JSON, "zzz: Extra inputs are not permitted"),
    (lambda route: valid_plus(route, zzz="a\x00b"), JSON, "the body must not contain NUL characters (\\u0000)"),
    (lambda route: valid_plus(route, zzz="x" * 65536), JSON, "the body is larger than 65536 bytes"),
]
# fmt: on


@pytest.mark.parametrize("route", BODY_ROUTES, ids=[f"{m} {p}" for m, p in BODY_ROUTES])
def test_admin_route_refuses_a_malformed_body(kit: RegistryKit, route: tuple[str, str]) -> None:
    council_mark(kit)
    for body, headers, description in MALFORMED:
        with unchanged(kit):
            response = call(kit, route, body(route), headers)
        assert_error(response, 400, "invalid_request", description)


SUBS, SUB, MARKS, ROTATE = (
    "/admin/subordinates",
    "/admin/subordinate",
    "/admin/trust-marks",
    "/admin/keys/rotate",
)
MARK = {"trust_mark_type": "council", "sub": COUNCIL}
NEW = {"entity_id": NEWCOMER}
GE, LE, INT = (
    "Input should be greater than or equal to",
    "Input should be less than or equal to",
    "Input should be a valid integer",
)
# fmt: off
WRONG_TYPES = cases(
    ("entity-id-number", "POST", SUBS, {"entity_id": 5}, "entity_id: Input should be a valid string"),
    ("entity-id-missing", "POST", SUBS, {}, "entity_id: Field required"),
    ("entity-id-empty", "POST", SUBS, {"entity_id": ""}, "entity_id: String should have at least 1 character"),
    ("metadata-array", "POST", SUBS, {**NEW, "metadata": []}, "metadata: Input should be a valid dictionary"),
    ("crit-empty", "POST", SUBS, {**NEW, "metadata_policy_crit": []}, "metadata_policy_crit: List should have at least 1 item after validation, not 0"),
    ("constraints-string", "POST", SUBS, {**NEW, "constraints": "no"}, "constraints: Input should be a valid dictionary or instance of Constraints"),
    ("max-path-negative", "POST", SUBS, {**NEW, "constraints": {"max_path_length": -1}}, f"constraints.max_path_length: {GE} 0"),
    ("naming-not-list", "POST", SUBS, {**NEW, "constraints": {"naming_constraints": {"permitted": "x"}}}, "constraints.naming_constraints.permitted: Input should be a valid list"),
    ("update-metadata", "PUT", SUB, {"metadata": "x"}, "metadata: Input should be a valid dictionary"),
    ("claims-string", "POST", MARKS, {**MARK, "claims": "x"}, "claims: Input should be a valid dictionary"),
    ("lifetime-negative", "POST", MARKS, {**MARK, "lifetime": -1}, f"lifetime: {GE} 0"),
    ("lifetime-fraction", "POST", MARKS, {**MARK, "lifetime": 1.5}, f"lifetime: {INT}, got a number with a fractional part"),
    ("revoke-id-string", "POST", f"{MARKS}/revoke", {"id": "one"}, "id: Input should be a valid integer"),
    ("revoke-id-zero", "POST", f"{MARKS}/revoke", {"id": 0}, f"id: {GE} 1"),
    ("revoke-id-bool", "POST", f"{MARKS}/revoke", {"id": True}, "id: Input should be a valid integer"),
    ("revoke-id-huge", "POST", f"{MARKS}/revoke", {"id": 2**63}, f"id: {LE} 2147483647"),
    ("revoke-no-reason", "POST", f"{MARKS}/revoke", {"id": 1, "reason": ""}, "reason: String should have at least 1 character"),
    ("delegation-short", "POST", "/admin/delegations", {"issuer": NEWCOMER, "trust_mark_type": "council", "lifetime": 10}, f"lifetime: {GE} 300"),
    ("delegation-long", "POST", "/admin/delegations", {"issuer": NEWCOMER, "trust_mark_type": "council", "lifetime": 10**30}, f"lifetime: {LE} 315360000"),
    ("delegation-empty", "PUT", "/admin/delegation", {"delegation": "", "owner": ANCHOR}, "delegation: String should have at least 1 character"),
    ("overlap-negative", "POST", ROTATE, {"overlap": -1}, f"overlap: {GE} 0"),
    ("overlap-91-days", "POST", ROTATE, {"overlap": 91 * 86400}, f"overlap: {LE} 7776000"),
    ("overlap-string", "POST", ROTATE, {"overlap": "soon"}, f"overlap: {INT}, unable to parse string as an integer"),
)
# fmt: on


@pytest.mark.parametrize(("method", "path", "body", "description"), WRONG_TYPES)
def test_admin_body_with_wrong_types_is_refused(
    kit: RegistryKit, method: str, path: str, body: dict[str, Any], description: str
) -> None:
    council_mark(kit)
    params = {"sub": COUNCIL} if path == SUB else {}
    with unchanged(kit):
        response = kit.client.request(method, path, params=params, json=body, headers=TOKEN)
    assert_error(response, 400, "invalid_request", description)


# --- members: unknown, query parameters, status changes -------------------------------------------

UNKNOWN = (404, f"{NOBODY} is not a subordinate of {ANCHOR}")
# fmt: off
MEMBER_CALLS = cases(
    ("show-no-sub", "GET", SUB, {}, (400, "required parameter sub is missing")),
    ("show-not-url", "GET", SUB, {"sub": "council"}, (400, "sub is not an entity ID: 'council'")),
    ("marks-not-url", "GET", MARKS, {"sub": "council"}, (400, "sub is not an entity ID: 'council'")),
    ("show", "GET", SUB, {"sub": NOBODY}, UNKNOWN),
    ("update", "PUT", SUB, {"sub": NOBODY}, UNKNOWN),
    ("remove", "DELETE", SUB, {"sub": NOBODY}, UNKNOWN),
    ("suspend", "POST", f"{SUB}/suspend", {"sub": NOBODY}, UNKNOWN),
    ("reinstate", "POST", f"{SUB}/reinstate", {"sub": NOBODY}, UNKNOWN),
    ("refresh-keys", "POST", f"{SUB}/refresh-keys", {"sub": NOBODY}, UNKNOWN),
    ("reinstate-active", "POST", f"{SUB}/reinstate", {"sub": COUNCIL}, (400, f"{COUNCIL} is already active")),
)
# fmt: on


@pytest.mark.parametrize(("method", "path", "params", "expected"), MEMBER_CALLS)
def test_admin_member_calls_refuse_an_unknown_or_malformed_sub(
    kit: RegistryKit, method: str, path: str, params: dict[str, str], expected: tuple[int, str]
) -> None:
    council_mark(kit)
    status, description = expected
    body: dict[str, Any] | None = {} if method == "PUT" else None
    with unchanged(kit):
        response = kit.client.request(method, path, params=params, json=body, headers=TOKEN)
    assert_error(response, status, "invalid_request" if status == 400 else "not_found", description)


def test_suspending_a_suspended_member_is_refused(kit: RegistryKit) -> None:
    council_mark(kit)
    assert kit.admin("POST", "/subordinate/suspend", sub=COUNCIL).status_code == 200
    with unchanged(kit):
        response = kit.admin("POST", "/subordinate/suspend", sub=COUNCIL)
    assert_error(response, 400, "invalid_request", f"{COUNCIL} is already suspended")


# --- onboarding (§3.1, §9, §6.1, the federation profile) ------------------------------------------

EC_OF = f"entity configuration of {NEWCOMER}"
WELL_KNOWN = f"{NEWCOMER}/.well-known/openid-federation"
NOT_PROFILE = f"metadata of {NEWCOMER} does not meet the federation profile: "
Prepare = Callable[[RegistryKit], None]


def signed_by_a_stranger(kit: RegistryKit) -> None:
    kit.member(NEWCOMER, council_metadata(NEWCOMER))
    claims = kit.fed.configuration_claims(NEWCOMER)
    kit.fed.serve_token(kit.fed.ec_url(NEWCOMER), kit.fed.sign(claims, key=generate_key()))


def expired(kit: RegistryKit) -> None:
    kit.member(NEWCOMER, council_metadata(NEWCOMER))
    claims = kit.fed.configuration_claims(NEWCOMER)
    claims.update(iat=claims["iat"] - 7200, exp=claims["iat"] - 3600)
    kit.fed.serve_token(kit.fed.ec_url(NEWCOMER), kit.fed.sign(claims, by=NEWCOMER))


def someone_elses(kit: RegistryKit) -> None:
    kit.member(NEWCOMER, council_metadata(NEWCOMER))
    kit.member(NOBODY, council_metadata(NOBODY))
    kit.fed.serve_token(kit.fed.ec_url(NEWCOMER), kit.fed.configuration(NOBODY))


async def in_chunks() -> AsyncIterator[bytes]:
    for _ in range(9):
        yield b"a" * 65536


def serves(content: Callable[[], Any], media_type: str = "application/entity-statement+jwt") -> Prepare:
    """The newcomer's configuration URL answers 200 with ``content()`` (made fresh for each test)."""
    headers = {"content-type": media_type}
    return lambda kit: kit.fed.serve_token(
        kit.fed.ec_url(NEWCOMER), httpx.Response(200, content=content(), headers=headers)
    )


def publishes(
    key: str, value: Any, *, entity_type: str = "openid_relying_party", hints: list[str] | None = None
) -> Prepare:
    """The newcomer publishes ``value`` as ``key`` of ``entity_type`` (and ``hints`` as authority_hints)."""

    def prepare(kit: RegistryKit) -> None:
        metadata = council_metadata(NEWCOMER)
        metadata[entity_type][key] = value
        kit.member(NEWCOMER, metadata, hints=hints)

    return prepare


CONTRADICTING = {"openid_relying_party": {"token_endpoint_auth_method": {"value": "client_secret_post"}}}
HINTS = f"{EC_OF} does not name {ANCHOR} in its authority_hints"
NAME = "organization_name"
# fmt: off
ONBOARDING = cases(
    ("does-not-verify", signed_by_a_stranger, {}, Prefix(f"{EC_OF}: no trusted key has kid '")),
    ("expired", expired, {}, Prefix(f"{EC_OF}: statement by {NEWCOMER} expired (exp ")),
    ("someone-elses", someone_elses, {}, f"{EC_OF}: entity configuration is for {NOBODY}, expected {NEWCOMER}"),
    ("unreachable", lambda kit: make_unreachable(kit.fed, NEWCOMER), {}, f"{EC_OF}: {WELL_KNOWN}: connection failed: ConnectError"),
    ("not-there", lambda kit: None, {}, f"{EC_OF}: {WELL_KNOWN}: answered HTTP 404: not_found: no entity at {NEWCOMER}"),
    ("too-large", serves(lambda: b"a" * 600_000), {}, f"{EC_OF}: {WELL_KNOWN}: declared Content-Length 600000 exceeds the limit of 524288 bytes"),
    ("too-large-streamed", serves(in_chunks), {}, f"{EC_OF}: {WELL_KNOWN}: response exceeds the limit of 524288 bytes"),
    ("html", serves(lambda: b"<html></html>", "text/html"), {}, f"{EC_OF}: {WELL_KNOWN}: expected application/entity-statement+jwt, got text/html"),
    ("other-superior", publishes("x", 1, hints=["https://other-anchor.example"]), {}, HINTS),
    ("no-superior", publishes("x", 1, hints=[]), {}, HINTS),
    ("client-secret-basic", publishes("token_endpoint_auth_method", "client_secret_basic"), {},
     f"{NOT_PROFILE}entity type 'openid_relying_party': metadata parameter 'token_endpoint_auth_method' value 'client_secret_basic' is not one of ['private_key_jwt']"),
    ("http-redirect", publishes("redirect_uris", ["http://newcomer.example/cb"]), {},
     f"{NOT_PROFILE}openid_relying_party: redirect URI 'http://newcomer.example/cb' must use https (plain http only in a development federation, on loopback)"),
    ("broken-redirect", publishes("redirect_uris", ["https://[::1/cb"]), {},
     f"{NOT_PROFILE}openid_relying_party: redirect URI 'https://[::1/cb' must be absolute, with no fragment"),
    ("contradicting-policy", publishes("x", 1), {"metadata_policy": CONTRADICTING},
     f"{NOT_PROFILE}merged metadata policy for parameter 'token_endpoint_auth_method': operators 'value' and 'one_of' cannot be combined here: 'value' 'client_secret_post' is not one of ['private_key_jwt']"),
    ("long-name", publishes(NAME, "x" * 513, entity_type="federation_entity"), {},
     f"metadata of {NEWCOMER}: entity type names are limited to 128 characters and {NAME} to 512"),
    ("nul-in-name", publishes(NAME, "Council\x00", entity_type="federation_entity"), {},
     f"entity configuration of {NEWCOMER} contains NUL characters (\\u0000)"),
)
# fmt: on


@pytest.mark.parametrize(("prepare", "options", "description"), ONBOARDING)
def test_onboarding_refuses_an_entity_that_cannot_be_admitted(
    kit: RegistryKit, prepare: Prepare, options: dict[str, Any], description: str
) -> None:
    council_mark(kit)
    kit.fed.entities.pop(NEWCOMER)
    prepare(kit)
    with unchanged(kit):
        response = kit.admin("POST", "/subordinates", {"entity_id": NEWCOMER, **options})
    assert_error(response, 400, "invalid_request", description, exact=not isinstance(description, Prefix))
    assert response.json()["error_description"].startswith(description)


NOT_ID = "is not an entity ID (an https URL)"
# fmt: off
NOT_SUBORDINATES = cases(
    ("already-member", COUNCIL, f"{COUNCIL} is already a subordinate"),
    ("the-registry", ANCHOR, "a registry cannot be its own subordinate"),
    ("http-outside-dev", "http://newcomer.example", "entity ID http://newcomer.example must use https"),
    ("query", "https://x.example?q=1", f"'https://x.example?q=1' {NOT_ID}"),
    ("userinfo", "https://u@x.example", f"'https://u@x.example' {NOT_ID}"),
    ("ipv6-unclosed", "https://[::1", f"'https://[::1' {NOT_ID}"),
    ("not-url", "council", f"'council' {NOT_ID}"),
)
# fmt: on


@pytest.mark.parametrize(("entity_id", "description"), NOT_SUBORDINATES)
def test_onboarding_refuses_an_entity_id_that_cannot_be_a_subordinate(
    kit: RegistryKit, entity_id: str, description: str
) -> None:
    council_mark(kit)
    with unchanged(kit):
        response = kit.admin("POST", "/subordinates", {"entity_id": entity_id})
    assert_error(response, 400, "invalid_request", description)


# --- trust marks (§7, §8.4) -----------------------------------------------------------------------

OTHER_TYPE = "https://other.example/trust-mark-types/council"
# fmt: off
BAD_MARKS = cases(
    ("unknown-type", {"trust_mark_type": "gold_star"}, f"unknown trust mark type 'gold_star': {ISSUED}"),
    ("not-issued-here", {"trust_mark_type": "nhs_organisation"}, f"unknown trust mark type 'nhs_organisation': {ISSUED}"),
    ("other-anchors-type", {"trust_mark_type": OTHER_TYPE}, f"unknown trust mark type '{OTHER_TYPE}': {ISSUED}"),
    ("not-a-member", {"sub": NOBODY}, f"{NOBODY} is not an active subordinate of this registry"),
    ("bad-gss-code", {"claims": {"council": {"gss_code": "X07000178", "name": "Oxford"}}},
     "trust mark claims: council.gss_code: String should match pattern '^[ENSW][0-9]{8}$'"),
    ("no-council", {"claims": {}}, "trust mark claims: council: Field required"),
    ("extra-claim", {"claims": {**COUNCIL_CLAIMS, "colour": "red"}}, "trust mark claims: colour: Extra inputs are not permitted"),
    ("reserved-iss", {"claims": {**COUNCIL_CLAIMS, "iss": NOBODY}}, "claims must not set iss: the registry sets them"),
    ("reserved-several", {"claims": {"iss": 1, "sub": 2, "exp": 3, "delegation": "x"}},
     "claims must not set delegation, exp, iss, sub: the registry sets them"),
)
# fmt: on


@pytest.mark.parametrize(("change", "description"), BAD_MARKS)
def test_issuing_a_trust_mark_is_refused(kit: RegistryKit, change: dict[str, Any], description: str) -> None:
    council_mark(kit)
    with unchanged(kit):
        response = kit.admin("POST", "/trust-marks", {**MARK, "claims": COUNCIL_CLAIMS, **change})
    assert_error(response, 400, "invalid_request", description)


def test_issuing_a_trust_mark_to_a_suspended_member_is_refused(kit: RegistryKit) -> None:
    council_mark(kit)
    assert kit.admin("POST", "/subordinate/suspend", sub=COUNCIL).status_code == 200
    with unchanged(kit):
        response = kit.admin("POST", "/trust-marks", {**MARK, "claims": COUNCIL_CLAIMS})
    assert_error(response, 400, "invalid_request", f"{COUNCIL} is not an active subordinate of this registry")


def test_revoking_an_unknown_or_revoked_trust_mark_is_refused(kit: RegistryKit) -> None:
    council_mark(kit)
    with unchanged(kit):
        response = kit.admin("POST", "/trust-marks/revoke", {"id": 99})
    assert_error(response, 404, "not_found", "no trust mark 99 was issued by this registry")
    assert kit.admin("POST", "/trust-marks/revoke", {"id": 1, "reason": "compromised"}).status_code == 200
    with unchanged(kit):
        response = kit.admin("POST", "/trust-marks/revoke", {"id": 1})
    assert_error(response, 400, "invalid_request", "trust mark 1 is already revoked")


# --- delegations (§7.2.1) -------------------------------------------------------------------------


def test_delegating_a_type_this_anchor_does_not_own_is_refused(kit: RegistryKit) -> None:
    council_mark(kit)
    with unchanged(kit):
        response = kit.admin("POST", "/delegations", {"issuer": NEWCOMER, "trust_mark_type": "council"})
    description = "this registry does not own trust mark type 'council' (owned: none)"
    assert_error(response, 400, "invalid_request", description)


def test_delegating_to_an_issuer_not_in_trust_mark_issuers_is_refused(
    database_url: str, tmp_path: Path
) -> None:
    with registry_kit(database_url, tmp_path, trust_mark_owners=["council"]) as kit, unchanged(kit):
        response = kit.admin("POST", "/delegations", {"issuer": NEWCOMER, "trust_mark_type": "council"})
    description = f"{NEWCOMER} is not in trust_mark_issuers for {ANCHOR}/trust-mark-types/council"
    assert_error(response, 400, "invalid_request", description)


# fmt: off
BAD_DELEGATIONS = cases(
    ("not-a-jwt", {"delegation": "abc", "owner": ANCHOR}, (400, "delegation: not a compact JWS: expected three dot-separated parts")),
    ("unknown-owner", {"owner": NOBODY}, (404, f"{NOBODY} is not a trust anchor of this registry")),
    ("signed-by-a-stranger", {"owner": ANCHOR}, (400, Prefix("delegation: no trusted key has kid '"))),
)
# fmt: on


@pytest.mark.parametrize(("body", "expected"), BAD_DELEGATIONS)
def test_installing_a_bad_delegation_is_refused(
    kit: RegistryKit, body: dict[str, str], expected: tuple[int, str]
) -> None:
    status, description = expected
    claims = {"iss": ANCHOR, "sub": ANCHOR, "trust_mark_type": f"{ANCHOR}/trust-mark-types/council", "iat": 1}
    stranger = kit.fed.sign(claims, key=generate_key(), typ=JwtType.TRUST_MARK_DELEGATION)
    with unchanged(kit):
        response = kit.admin("PUT", "/delegation", {"delegation": stranger, **body})
    error = "invalid_trust_anchor" if status == 404 else "invalid_request"
    assert_error(response, status, error, description, exact=not isinstance(description, Prefix))
    assert response.json()["error_description"].startswith(description)


# --- audit log ------------------------------------------------------------------------------------

AUDIT = "after must be a whole number and limit 1..1000"
# fmt: off
BAD_AUDIT = cases(
    ("limit-0", {"limit": "0"}, AUDIT),
    ("limit-1001", {"limit": "1001"}, AUDIT),
    ("limit-word", {"limit": "all"}, AUDIT),
    ("after-negative", {"after": "-1"}, AUDIT),
    ("after-fraction", {"after": "1.5"}, AUDIT),
    ("after-superscript", {"after": "\u00b2"}, AUDIT),
    ("after-twice", {"after": ["1", "2"]}, "after must be given once"),
    ("target-long", {"target": "t" * 2049}, "target is longer than 2048 characters"),
)
# fmt: on


@pytest.mark.parametrize(("params", "description"), BAD_AUDIT)
def test_audit_log_refuses_bad_parameters(kit: RegistryKit, params: dict[str, Any], description: str) -> None:
    council_mark(kit)
    with unchanged(kit):
        response = kit.client.get("/admin/audit", params=params, headers=TOKEN)
    assert_error(response, 400, "invalid_request", description)


def test_audit_log_after_beyond_every_entry_is_an_empty_page(kit: RegistryKit) -> None:
    council_mark(kit)
    response = kit.client.get("/admin/audit", params={"after": "9" * 40}, headers=TOKEN)
    assert response.status_code == 200
    assert response.json() == []
