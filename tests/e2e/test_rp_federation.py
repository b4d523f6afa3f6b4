"""End to end over real HTTP: the council and the GP practice accept identities from the sample IdP
through the real registry (anchor and health intermediate), with no set-up at the provider
(OpenID Federation 1.0 §12.1): provider listed and resolved (§8.2, §8.3), certification mark checked
(§7.3), PAR with ``private_key_jwt`` (RFC 9126, RFC 7523), the citizen's sign-in and consent, the
callback's checks (RFC 9207 ``iss``, ``state``), the ID token, UserInfo, ``verified_claims`` and each
service's policy decision, with a step-up offered when the evidence is not enough.
"""

from __future__ import annotations

import httpx

from federation.jose import decode_unverified
from idp.core.personas import HIGH_TOTP_SECRET
from tests.e2e.journeys import login, result_of
from tests.e2e.stack import Stack


def test_12_1_the_council_accepts_a_low_identity_for_a_parking_permit_through_the_real_registry(
    stack: Stack,
) -> None:
    with httpx.Client(timeout=30) as browser:
        done = login(stack, browser, stack.council, "parking-permit", "low@example.test")
        result = result_of(stack, "council", browser, "parking-permit")
        assert done.status_code == 303 and done.headers["location"] == "/", result.decision
    assert result.accepted
    assert result.decision.level is not None and result.decision.level.value == "low"
    assert result.provider.trust_chain == (stack.idp, stack.ta)
    assert result.provider.certificate_id == "CERT-0001"
    assert result.vot == "P1.Cl"
    # only the address was asked for: no name, no date of birth
    assert set(result.claims) == {"address"}
    assert result.claims["address"]["uprn"] == "10002500123"


def test_6_1_a_low_identity_is_refused_a_blue_badge_with_reasons_and_a_step_up(stack: Stack) -> None:
    with httpx.Client(timeout=30) as browser:
        done = login(stack, browser, stack.council, "blue-badge", "low@example.test")
        assert done.headers["location"] == "/auth/why-not?service=blue-badge"
        result = result_of(stack, "council", browser, "blue-badge")
    assert not result.accepted
    assert result.vot == "P1.Cl"
    assert [f.code for f in result.decision.failures] == ["level_too_low"]
    assert result.decision.reasons == (
        "This service needs a medium level of confidence in your identity; your identity check reached a low level.",
    )
    assert result.decision.step_up is not None and result.decision.step_up.vtr == ("P2.Cl",)


def test_12_1_the_gp_practice_registers_a_vouched_citizen_and_refuses_repeat_prescriptions(
    stack: Stack,
) -> None:
    with httpx.Client(timeout=30) as browser:
        done = login(stack, browser, stack.gp, "register", "thin-file@example.test")
        assert done.headers["location"] == "/", done.text[:500]
        registered = result_of(stack, "gp", browser, "register")
        done = login(stack, browser, stack.gp, "repeat-prescriptions", "thin-file@example.test")
        assert done.headers["location"] == "/auth/why-not?service=repeat-prescriptions"
        refused = result_of(stack, "gp", browser, "repeat-prescriptions")
    assert registered.accepted
    assert registered.provider.trust_chain == (stack.idp, stack.ta)
    assert [e.type for e in registered.evidence] == ["electronic_record", "vouch"] or [
        e.type for e in registered.evidence
    ] == ["vouch", "electronic_record"]
    assert not refused.accepted
    codes = {f.code for f in refused.decision.failures}
    assert codes == {"level_too_low", "missing_check_method", "missing_claims", "credential_too_weak"}
    assert refused.decision.step_up is not None and refused.decision.step_up.vtr == ("P2.Cl.Cm",)


def test_12_1_a_high_identity_with_a_photo_check_orders_repeat_prescriptions(stack: Stack) -> None:
    with httpx.Client(timeout=30) as browser:
        done = login(
            stack, browser, stack.gp, "repeat-prescriptions", "high@example.test", totp=HIGH_TOTP_SECRET
        )
        assert done.headers["location"] == "/", done.text[:500]
        result = result_of(stack, "gp", browser, "repeat-prescriptions")
    assert result.accepted
    assert result.vot == "P2.Cl.Cm"
    assert result.claims["nhs_number"] == "9434765919"
    assert "bvr" in {m for e in result.evidence for m in e.check_methods}


def test_rfc9207_a_replayed_callback_is_refused_as_an_unknown_state(stack: Stack) -> None:
    with httpx.Client(timeout=30) as browser:
        done = login(stack, browser, stack.council, "parking-permit", "low@example.test")
        assert done.status_code == 303
        again = browser.get(str(done.request.url))
    assert again.status_code == 400
    assert "not one this service started, or it has already been used" in again.text


def test_12_1_the_council_publishes_automatic_registration_and_its_council_trust_mark(stack: Stack) -> None:
    response = httpx.get(f"{stack.council}/.well-known/openid-federation", timeout=30)
    assert response.headers["content-type"] == "application/entity-statement+jwt"
    claims = decode_unverified(response.text)[1]
    rp = claims["metadata"]["openid_relying_party"]
    assert rp["client_registration_types"] == ["automatic"]
    assert rp["redirect_uris"] == [f"{stack.council}/auth/callback"]
    assert rp["token_endpoint_auth_method"] == "private_key_jwt"
    assert set(rp["claim_purposes"]) == {"address", "given_name", "family_name", "birthdate"}
    assert claims["authority_hints"] == [stack.ta]
    assert [m["trust_mark_type"] for m in claims["trust_marks"]] == [f"{stack.ta}/trust-mark-types/council"]
