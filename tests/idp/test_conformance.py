"""Conformance mode (development only): the conformance API's input checks, and each armed case's
change to the provider's answers (OpenID Connect Core §3.1.3.7, RFC 9207 §2.4, RFC 8485 §6.1, IDA §5)."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from federation.errors import FederationError
from idp.core.conformance import CASES, Conformance
from idp.settings import IdpSettings
from schemas.vot import Vector, parse_vtr, vot_matching
from tests.dbkit import database
from tests.idp.idpkit import SECRET_CLIENT, IdpKit, assert_error, idp_kit
from tests.idp.tokenkit import later, persona, tokens, userinfo, verify_id_token

VTR = ("P2.Cl.Cm", "P2.Cl", "P1.Cl", "Cl")
VERIFIED = {
    "userinfo": {
        "verified_claims": {
            "verification": {
                "trust_framework": None,
                "assurance_process": {
                    "assurance_details": [{"assurance_type": None, "assurance_classification": None}]
                },
            },
            "claims": {"given_name": None},
        }
    }
}


@pytest.fixture(scope="module")
def kit(tmp_path_factory: pytest.TempPathFactory) -> Iterator[IdpKit]:
    directory: Path = tmp_path_factory.mktemp("idp")
    with database("sqlite", directory) as url, idp_kit(url, directory, conformance=True) as running:
        yield running


def mode(kit: IdpKit) -> Conformance:
    found = kit.services.conformance
    assert found is not None
    return found


def armed_tokens(kit: IdpKit, case: str, **options: Any) -> tuple[dict[str, Any], dict[str, str | None]]:
    """Arm ``case``, pass the authorization response through it, and exchange a code."""
    scenario = mode(kit).arm(SECRET_CLIENT, case)
    values = mode(kit).authorization_response(SECRET_CLIENT, VTR, {"code": "c", "state": "s", "iss": "i"})
    body = tokens(kit, persona(kit, "high"), vot="P2.Cl.Cm", **options)
    assert "token" in scenario.events
    return body, values


def segments(token: str) -> list[Any]:
    parts = token.split(".")
    return [json.loads(base64.urlsafe_b64decode(p + "=" * (-len(p) % 4))) for p in parts[:2]] + [parts[2]]


def post_scenario(kit: IdpKit, body: Any, content_type: str = "application/json") -> Any:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    return kit.client.post("/conformance/scenarios", content=raw, headers={"content-type": content_type})


# -- settings and API -------------------------------------------------------------------------------------
def test_conformance_mode_is_refused_outside_dev() -> None:
    with pytest.raises(ValidationError, match="conformance mode sends deliberately broken responses"):
        IdpSettings(issuer="https://idp.example", environment="test", conformance=True)


def test_conformance_api_lists_every_case(kit: IdpKit) -> None:
    body = kit.client.get("/conformance").json()
    assert [c["case"] for c in body["cases"]] == list(CASES)
    assert {c["case"] for c in body["cases"] if c["expect"] == "accept"} == {"valid", "key_rotation"}


@pytest.mark.parametrize(
    ("body", "content_type", "description"),
    [
        ({"client_id": "x", "case": "valid"}, "text/plain", "send the scenario as application/json"),
        (b"{not json", "application/json", "the body is not JSON"),
        (
            {"client_id": "x"},
            "application/json",
            'the body must be {"client_id": ..., "case": ...} and nothing else',
        ),
        (
            {"client_id": "", "case": "valid"},
            "application/json",
            "client_id must be a string of 1 to 255 characters",
        ),
        (
            {"client_id": "x", "case": "teapot"},
            "application/json",
            "unknown case 'teapot': one of " + ", ".join(CASES),
        ),
        (b"x" * 5000, "application/json", "the body is larger than 4096 bytes"),
    ],
)
def test_conformance_api_bad_input_is_invalid_request(
    kit: IdpKit, body: Any, content_type: str, description: str
) -> None:
    assert_error(post_scenario(kit, body, content_type), 400, "invalid_request", description)


def test_conformance_api_unknown_scenario_is_not_found(kit: IdpKit) -> None:
    response = kit.client.get("/conformance/scenarios/nope")
    assert_error(response, 404, "not_found", "no such scenario: arm one with POST /conformance/scenarios")


def test_conformance_api_is_absent_when_the_mode_is_off(tmp_path: Path) -> None:
    with database("sqlite", tmp_path) as url, idp_kit(url, tmp_path) as plain:
        assert plain.client.get("/conformance").status_code == 404
        assert plain.services.conformance is None


def test_conformance_api_arms_and_reports_events(kit: IdpKit) -> None:
    armed = post_scenario(kit, {"client_id": SECRET_CLIENT, "case": "valid"})
    assert armed.status_code == 201, armed.text
    scenario_id = armed.json()["id"]
    mode(kit).authorization_response(SECRET_CLIENT, VTR, {"code": "c", "state": "s", "iss": "i"})
    issued = tokens(kit, persona(kit, "high"), vot="P2.Cl.Cm", claims=VERIFIED)
    userinfo(kit, issued["access_token"])
    seen = kit.client.get(f"/conformance/scenarios/{scenario_id}").json()
    assert (seen["case"], seen["expect"], seen["events"]) == (
        "valid",
        "accept",
        ["authorized", "token", "userinfo"],
    )
    assert verify_id_token(kit, issued["id_token"])["vot"] == "P2.Cl.Cm"


# -- the authorization response (RFC 6749 §10.12, RFC 9207 §2.4) --------------------------------------------
def test_rfc9207_2_4_mix_up_case_names_another_issuer(kit: IdpKit) -> None:
    mode(kit).arm(SECRET_CLIENT, "authorization_wrong_iss")
    values = mode(kit).authorization_response(SECRET_CLIENT, VTR, {"code": "c", "state": "s", "iss": "i"})
    assert values == {"code": "c", "state": "s", "iss": "https://another-provider.example"}


def test_rfc6749_10_12_wrong_state_case_changes_only_state(kit: IdpKit) -> None:
    mode(kit).arm(SECRET_CLIENT, "authorization_wrong_state")
    values = mode(kit).authorization_response(SECRET_CLIENT, VTR, {"code": "c", "state": "s", "iss": "i"})
    assert (values["code"], values["iss"]) == ("c", "i") and values["state"] not in (None, "s")


def test_a_login_with_nothing_armed_is_left_alone(kit: IdpKit) -> None:
    mode(kit).arm(SECRET_CLIENT, "id_token_wrong_aud")
    mode(kit).authorization_response(SECRET_CLIENT, VTR, {"code": "c"})
    mode(kit).authorization_response(SECRET_CLIENT, VTR, {"code": "d"})  # the next login: nothing armed
    issued = tokens(kit, persona(kit, "high"), vot="P2.Cl.Cm")
    assert verify_id_token(kit, issued["id_token"])["aud"] == SECRET_CLIENT


# -- the ID token (Core §3.1.3.7, RFC 8485) ------------------------------------------------------------------
def test_core_3_1_3_7_bad_signature_case_breaks_only_the_signature(kit: IdpKit) -> None:
    body, _ = armed_tokens(kit, "id_token_bad_signature")
    header, claims, _sig = segments(body["id_token"])
    assert (header["alg"], claims["aud"]) == ("ES256", SECRET_CLIENT)
    with pytest.raises(FederationError, match="signature"):
        verify_id_token(kit, body["id_token"])


def test_core_3_1_3_7_alg_none_case_is_unsigned(kit: IdpKit) -> None:
    body, _ = armed_tokens(kit, "id_token_alg_none")
    header, claims, signature = segments(body["id_token"])
    assert (header, signature, claims["iss"]) == ({"alg": "none", "typ": "JWT"}, "", kit.settings.issuer)


def test_core_10_1_1_unknown_kid_case_uses_a_key_never_published(kit: IdpKit) -> None:
    body, _ = armed_tokens(kit, "id_token_unknown_kid")
    kid = segments(body["id_token"])[0]["kid"]
    assert kid not in {k["kid"] for k in kit.client.get("/jwks").json()["keys"]}


def test_core_10_1_1_key_rotation_case_signs_with_a_new_published_key(kit: IdpKit) -> None:
    before = {k["kid"] for k in kit.client.get("/jwks").json()["keys"]}
    body, _ = armed_tokens(kit, "key_rotation")
    kid = segments(body["id_token"])[0]["kid"]
    assert kid not in before
    assert verify_id_token(kit, body["id_token"])["aud"] == SECRET_CLIENT
    # the previous keys stay published for twice the ID token lifetime and a minute, then go
    assert mode(kit).rotation_overlap == 2 * kit.settings.id_token_lifetime + 60
    after = {k["kid"] for k in kit.client.get("/jwks").json()["keys"]}
    assert before < after
    with later(kit, mode(kit).rotation_overlap + 1):
        published = {k["kid"] for k in kit.client.get("/jwks").json()["keys"]}
    assert kid in published
    assert len(before - published) == 1  # the ES256 key it replaced; PS256 and RS256 were not rotated


@pytest.mark.parametrize(
    ("case", "check"),
    [
        ("id_token_wrong_iss", lambda c, now: c["iss"] == "https://another-provider.example"),
        ("id_token_wrong_aud", lambda c, now: c["aud"] == "https://another-service.example"),
        ("id_token_wrong_nonce", lambda c, now: c["nonce"] != "n-0S6_WzA2Mj"),
        ("id_token_expired", lambda c, now: c["exp"] == now - 3600),
        ("id_token_future_iat", lambda c, now: c["iat"] == now + 3600),
        ("id_token_missing_vot", lambda c, now: "vot" not in c and "vtm" not in c),
    ],
)
def test_core_3_1_3_7_claim_cases_are_signed_and_change_one_claim(kit: IdpKit, case: str, check: Any) -> None:
    body, _ = armed_tokens(kit, case)
    claims = segments(body["id_token"])[1]
    assert check(claims, kit.now()), claims
    verify_id_token(kit, body["id_token"])  # genuinely signed: only the claim is wrong


def test_rfc8485_6_1_vot_outside_vtr_case_meets_no_requested_vector(kit: IdpKit) -> None:
    body, _ = armed_tokens(kit, "id_token_vot_outside_vtr")
    vot = verify_id_token(kit, body["id_token"])["vot"]
    assert vot_matching(Vector.parse(vot), parse_vtr(list(VTR))) is None


# -- verified_claims (IDA §5, GPG 45) --------------------------------------------------------------------
def verified(kit: IdpKit, case: str) -> dict[str, Any]:
    body, _ = armed_tokens(kit, case, claims=VERIFIED)
    response = userinfo(kit, body["access_token"])
    assert response.status_code == 200, response.text
    element: dict[str, Any] = response.json()["verified_claims"]
    return element


def test_ida_5_unknown_trust_framework_case(kit: IdpKit) -> None:
    assert verified(kit, "verified_claims_unknown_trust_framework")["verification"]["trust_framework"] == (
        "xx_unknown_framework"
    )


def test_gpg45_under_scored_case_zeroes_every_score_and_keeps_the_claimed_level(kit: IdpKit) -> None:
    verification = verified(kit, "verified_claims_under_scored")["verification"]
    details = verification["assurance_process"]["assurance_details"]
    assert details and {d["assurance_classification"] for d in details} == {"score_0"}
    assert verification["trust_framework"] == "uk_diatf"
