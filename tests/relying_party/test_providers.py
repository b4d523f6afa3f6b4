"""The provider directory: OpenID Federation 1.0 §8.2 (list), §8.3 (resolve, verified from the
pinned anchor down), §10 (resolving the chain itself), §7.3 and §8.4 (the certification trust mark,
verified and active) with its DIATF record (``schemas.records.CertificationRecord``); static
providers (Discovery §4.3); the provider's keys (§5.2.1) and its Vectors of Trust trustmark
(RFC 8485 §5)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from federation.jose import JwtType
from federation.keys import generate_key
from federation.trust_marks import TrustMarkStatus
from relying_party.core.config import AnchorPin
from relying_party.core.errors import LoginError, Refusal
from relying_party.core.providers import Provider, ProviderDirectory
from schemas.gpg45 import LevelOfConfidence
from tests.federation.fedkit import INTERMEDIATE, TestFederation, run
from tests.relying_party.rpkit import (
    CERTIFIED,
    IDP,
    NOW,
    STATIC,
    TA,
    Clock,
    Route,
    certification,
    certified_federation,
    certify,
    fetcher_with,
    json_routes,
    make_provider,
    provider_metadata,
    public_jwks,
    resolving,
    rp_config,
    static_provider,
    trustmark_document,
)

MEDIUM, HIGH, LOW = LevelOfConfidence.MEDIUM, LevelOfConfidence.HIGH, LevelOfConfidence.LOW
UNTRUSTED = f"{IDP} is not a trusted identity provider: "


def directory(
    fed: TestFederation | None,
    route: Route | None = None,
    *,
    clock: Clock | None = None,
    **config: Any,
) -> ProviderDirectory:
    fetcher = fetcher_with(fed, route or (lambda _request: None))
    return ProviderDirectory(rp_config(fed, **config), fetcher, clock=clock or Clock())


def refused(
    target: ProviderDirectory, issuer: str = IDP, level: LevelOfConfidence | None = MEDIUM
) -> LoginError:
    with pytest.raises(LoginError) as caught:
        run(target.provider(issuer, level=level))
    assert caught.value.refusal is Refusal.UNTRUSTED_PROVIDER
    return caught.value


def hold(fed: TestFederation, token: str) -> None:
    fed.entities[IDP].trust_marks = [{"trust_mark_type": CERTIFIED, "trust_mark": token}]


# -- §10: resolving the chain here (the anchor has no resolve endpoint) --------------------------------
def test_10_a_certified_provider_is_resolved_with_its_certification() -> None:
    fed = certified_federation()
    found = run(directory(fed).provider(IDP, level=MEDIUM))
    assert found.issuer == IDP
    assert found.kind == "federation"
    assert found.name == "idp.example"
    assert found.path == (IDP, TA)
    assert found.trust_anchor == TA
    assert found.levels == frozenset({MEDIUM, HIGH})
    assert found.certification is not None
    assert found.certification.certificate_id == "CERT-0001"
    assert found.metadata["token_endpoint"] == f"{IDP}/token"
    assert found.expires_at == NOW + 300


def test_10_a_resolved_provider_is_cached_and_forgotten_on_request() -> None:
    fed = certified_federation()
    target = directory(fed)
    first = run(target.provider(IDP))
    fetched = len(fed.requests)
    assert run(target.provider(IDP, level=HIGH)) is first
    assert len(fed.requests) == fetched
    target.forget(IDP)
    assert run(target.provider(IDP)) is not first


def test_10_a_provider_is_kept_no_longer_than_its_certification_mark() -> None:
    fed = certified_federation()
    hold(fed, certify(fed, lifetime=120))
    clock = Clock()
    target = directory(fed, clock=clock)
    assert run(target.provider(IDP)).expires_at == NOW + 120
    clock.now = NOW + 120 + 61  # past the mark's exp and the leeway
    error = refused(target)
    assert error.check == "trust_mark"
    assert error.description == (
        f"{UNTRUSTED}its certification trust mark is not valid: trust mark {CERTIFIED} expired (exp {NOW + 120})"
    )


def test_7_3_a_provider_without_the_certification_mark_is_refused() -> None:
    fed = certified_federation()
    fed.entities[IDP].trust_marks = []
    error = refused(directory(fed))
    assert error.check == "trust_mark"
    assert error.description == f"{UNTRUSTED}it does not hold the federation's certification trust mark"


def test_7_3_a_certification_mark_of_another_type_does_not_count() -> None:
    fed = certified_federation()
    other = f"{TA}/trust-mark-types/council"
    fed.entities[TA].trust_mark_issuers[other] = [TA]
    fed.entities[IDP].trust_marks = [
        {"trust_mark_type": other, "trust_mark": certify(fed, trust_mark_type=other)}
    ]
    assert refused(directory(fed)).check == "trust_mark"


def test_certification_a_mark_that_does_not_cover_the_level_is_refused() -> None:
    fed = certified_federation()
    hold(fed, certify(fed, record=certification(levels_of_confidence=["high"])))
    error = refused(directory(fed), level=MEDIUM)
    assert error.check == "certification"
    assert error.description == f"{UNTRUSTED}it is not certified for medium confidence (certified: high)"


def test_certification_is_per_level_not_a_rank() -> None:
    fed = certified_federation()
    error = refused(directory(fed), level=LOW)
    assert error.check == "certification"
    assert error.description == f"{UNTRUSTED}it is not certified for low confidence (certified: high, medium)"


def test_certification_an_expired_certificate_is_refused() -> None:
    fed = certified_federation()
    hold(fed, certify(fed, record=certification(valid_from="2025-01-01", valid_until="2026-05-27")))
    error = refused(directory(fed))
    assert error.check == "trust_mark"
    assert error.description == (
        f"{UNTRUSTED}its certification trust mark is not valid: its certificate CERT-0001 is active, valid "
        "2025-01-01 to 2026-05-27"
    )


def test_certification_the_last_day_of_a_certificate_is_still_valid() -> None:
    fed = certified_federation()
    hold(fed, certify(fed, record=certification(valid_from="2025-01-01", valid_until="2026-05-28")))
    assert run(directory(fed).provider(IDP, level=MEDIUM)).certification is not None


def test_certification_a_suspended_certificate_is_refused() -> None:
    fed = certified_federation()
    hold(fed, certify(fed, record=certification(status="suspended")))
    error = refused(directory(fed))
    assert error.check == "trust_mark"
    assert error.description == (
        f"{UNTRUSTED}its certification trust mark is not valid: its certificate CERT-0001 is suspended, valid "
        "2026-01-01 to 2099-12-31"
    )


def test_certification_a_record_about_another_entity_is_refused() -> None:
    fed = certified_federation()
    hold(fed, certify(fed, record=certification("https://other-idp.example")))
    error = refused(directory(fed))
    assert error.check == "trust_mark"
    assert error.description == (
        f"{UNTRUSTED}its certification trust mark is not valid: its certification record is malformed (Value "
        f"error, certification.entity_id 'https://other-idp.example' is not the sub {IDP!r})"
    )


def test_8_4_a_revoked_certification_mark_is_refused() -> None:
    fed = certified_federation()
    token = fed.entities[IDP].trust_marks[0]["trust_mark"]
    fed.entities[TA].trust_mark_status[token] = TrustMarkStatus.REVOKED
    error = refused(directory(fed))
    assert error.check == "trust_mark"
    assert error.description == (
        f"{UNTRUSTED}its certification trust mark is not valid: trust mark {CERTIFIED} for {IDP} is revoked "
        f"(status from {TA})"
    )


def test_7_3_a_mark_whose_issuer_the_anchor_does_not_list_is_refused() -> None:
    fed = certified_federation()
    fed.entities[TA].trust_mark_issuers = {CERTIFIED: [INTERMEDIATE]}
    error = refused(directory(fed))
    assert error.check == "trust_mark"
    assert error.description == (
        f"{UNTRUSTED}its certification trust mark is not valid: trust anchor {TA} does not allow {TA} to issue "
        f"{CERTIFIED}"
    )


def test_10_a_provider_not_in_the_federation_is_refused() -> None:
    fed = certified_federation()
    del fed.entities[TA].subordinates[IDP]
    error = refused(directory(fed))
    assert error.check == "trust_chain"
    assert error.description.startswith(
        f"{UNTRUSTED}it is not in the federation, or its trust chain does not verify (no valid trust chain "
        f"from {IDP}: "
    )


def test_10_an_expired_chain_is_refused_as_expired() -> None:
    fed = certified_federation()
    clock = Clock()
    clock.now = NOW + fed.lifetime + 61
    error = refused(directory(fed, clock=clock))
    assert error.check == "trust_chain"
    assert error.description.startswith(f"{UNTRUSTED}its trust chain has expired (")
    assert "expired" in error.description


def test_10_a_broken_chain_is_refused() -> None:
    """The anchor vouches for keys that did not sign the provider's configuration (§10.2 step 3)."""
    fed = certified_federation()
    fed.entities[TA].subordinates[IDP].jwks = public_jwks(generate_key())
    error = refused(directory(fed))
    assert error.check == "trust_chain"
    assert error.description.startswith(
        f"{UNTRUSTED}it is not in the federation, or its trust chain does not verify (no valid trust chain "
        f"from {IDP}: via {IDP} -> {TA}: entity configuration of {IDP} is signed with a key that subordinate "
        f"statement by {TA} about {IDP} does not vouch for: no trusted key has kid "
    )


def test_10_metadata_naming_another_issuer_is_refused() -> None:
    fed = certified_federation(issuer="https://elsewhere.example")
    error = refused(directory(fed))
    assert error.check == "metadata"
    assert error.description == f"{UNTRUSTED}its metadata names issuer 'https://elsewhere.example'"


def test_10_1_an_anchor_without_pinned_keys_is_refused_outside_development() -> None:
    fed = certified_federation()
    target = directory(fed, trust_anchors=(AnchorPin(TA),))
    with pytest.raises(ValueError) as caught:
        run(target.anchors())
    assert str(caught.value) == f"trust anchor {TA} has no pinned keys (required outside dev)"


def test_10_1_development_trusts_the_anchor_on_first_use() -> None:
    fed = certified_federation()
    target = directory(fed, trust_anchors=(AnchorPin(TA),), development=True)
    assert run(target.provider(IDP)).trust_anchor == TA


# -- §8.3: the anchor's resolve endpoint ---------------------------------------------------------------
def test_8_3_a_provider_is_resolved_by_the_anchor_and_the_chain_verified() -> None:
    fed = certified_federation()
    route, asked = resolving(fed)
    found = run(directory(fed, route).provider(IDP, level=MEDIUM))
    assert asked == [
        f"{TA}/resolve?sub=https%3A%2F%2Fidp.example&trust_anchor=https%3A%2F%2Fta.example"
        "&entity_type=openid_provider"
    ]
    assert found.path == (IDP, TA)
    assert found.certification is not None


def test_8_3_2_a_resolve_response_not_signed_by_the_anchor_is_refused() -> None:
    fed = certified_federation()
    stranger = generate_key()
    route, _ = resolving(fed, signed_with=stranger)
    error = refused(directory(fed, route))
    assert error.check == "trust_chain"
    assert error.description == (
        f"{UNTRUSTED}it is not in the federation, or its trust chain does not verify (no trusted key has kid "
        f"{stranger.kid!r})"
    )


def test_8_3_2_an_expired_resolve_response_is_refused_as_expired() -> None:
    fed = certified_federation()
    route, _ = resolving(fed, iat=NOW - 700, exp=NOW - 100)
    error = refused(directory(fed, route))
    assert error.check == "trust_chain"
    assert error.description == (
        f"{UNTRUSTED}its trust chain has expired (resolve response about {IDP} has expired)"
    )


def test_8_3_2_marks_the_resolver_leaves_out_are_not_taken_from_elsewhere() -> None:
    fed = certified_federation()
    route, _ = resolving(fed, trust_marks=[])
    assert refused(directory(fed, route)).check == "trust_mark"


def test_8_2_the_candidates_are_listed_and_each_resolved() -> None:
    fed = certified_federation()
    route, _ = resolving(fed)
    target = directory(fed, route)
    assert run(target.candidates()) == [IDP, "https://gone.example"]
    usable, left_out = run(target.available(MEDIUM))
    assert [p.issuer for p in usable] == [IDP]
    assert [(e.check, e.description) for e in left_out] == [
        (
            "trust_chain",
            "https://gone.example is not a trusted identity provider: it is not in the federation, or its "
            "trust chain does not verify (presented trust chain of https://gone.example: the chain's statements "
            f"are about {IDP}, not https://gone.example)",
        )
    ]


def test_8_2_a_provider_not_certified_for_the_level_is_left_out() -> None:
    fed = certified_federation()
    route, _ = resolving(fed)
    usable, left_out = run(directory(fed, route).available(LOW))
    assert usable == []
    assert [e.check for e in left_out] == ["certification", "trust_chain"]


# -- static providers (Discovery §4.3) ----------------------------------------------------------------
def test_discovery_4_3_a_static_provider_is_read_from_its_discovery_document() -> None:
    route = json_routes({f"{STATIC}/.well-known/openid-configuration": provider_metadata(STATIC)})
    target = directory(None, route, static=[static_provider()])
    found = run(target.provider(STATIC, level=MEDIUM))
    assert found.kind == "static"
    assert found.name == "GOV.UK One Login (integration)"
    assert found.levels == frozenset({MEDIUM})
    assert found.path == ()
    assert found.metadata["token_endpoint"] == f"{STATIC}/token"
    assert found.static == static_provider()
    usable, left_out = run(target.available(MEDIUM))
    assert [p.issuer for p in usable] == [STATIC]
    assert left_out == []


def test_discovery_4_3_a_discovery_document_naming_another_issuer_is_refused() -> None:
    route = json_routes(
        {f"{STATIC}/.well-known/openid-configuration": provider_metadata("https://evil.example")}
    )
    error = refused(directory(None, route, static=[static_provider()]), STATIC)
    assert error.check == "discovery"
    assert error.description == (
        f"{STATIC} is not a trusted identity provider: its discovery document names issuer "
        "'https://evil.example' (Discovery §4.3)"
    )


def test_discovery_4_a_discovery_document_that_cannot_be_read_is_refused() -> None:
    error = refused(directory(None, static=[static_provider()]), STATIC)
    assert error.check == "discovery"
    assert error.description.startswith(
        f"{STATIC} is not a trusted identity provider: its discovery document cannot be read ("
    )


def test_a_static_provider_is_only_trusted_for_its_configured_levels() -> None:
    route = json_routes({f"{STATIC}/.well-known/openid-configuration": provider_metadata(STATIC)})
    error = refused(directory(None, route, static=[static_provider()]), STATIC, HIGH)
    assert error.check == "certification"
    assert error.description == (
        f"{STATIC} is not a trusted identity provider: it is not certified for high confidence (certified: medium)"
    )


# -- keys (OpenID Federation 1.0 §5.2.1) ---------------------------------------------------------------
def test_5_2_1_keys_by_value_are_used_as_published() -> None:
    key = generate_key()
    provider = make_provider(metadata=provider_metadata(jwks=public_jwks(key), jwks_uri=None))
    found = run(directory(None).keys(provider))
    assert [k.kid for k in found.keys] == [key.kid]


def test_5_2_1_keys_are_fetched_from_jwks_uri_and_refreshed_at_most_every_30_seconds() -> None:
    first, second = generate_key(), generate_key()
    published = {f"{IDP}/jwks": public_jwks(first)}
    clock = Clock()
    target = directory(None, json_routes(published), clock=clock)
    provider = make_provider()
    assert [k.kid for k in run(target.keys(provider)).keys] == [first.kid]
    published[f"{IDP}/jwks"] = public_jwks(second)
    assert [k.kid for k in run(target.keys(provider, refresh=True)).keys] == [first.kid]
    clock.now = NOW + 30
    assert [k.kid for k in run(target.keys(provider)).keys] == [first.kid]
    assert [k.kid for k in run(target.keys(provider, refresh=True)).keys] == [second.kid]


def test_5_2_1_keys_that_cannot_be_read_refuse_the_provider() -> None:
    error = refused_keys(directory(None), make_provider())
    assert error.check == "jwks"
    assert error.description.startswith(f"{UNTRUSTED}its keys cannot be read (")


def test_5_2_1_keys_that_are_not_a_jwk_set_refuse_the_provider() -> None:
    provider = make_provider(metadata=provider_metadata(jwks={"keys": [{"kty": "EC"}]}))
    error = refused_keys(directory(None), provider)
    assert error.check == "jwks"
    assert error.description.startswith(f"{UNTRUSTED}its keys cannot be used (")


def test_5_2_1_a_provider_publishing_no_keys_is_refused() -> None:
    error = refused_keys(directory(None), make_provider(metadata=provider_metadata(jwks_uri=None)))
    assert error.check == "metadata"
    assert error.description == "the identity provider Sample IdP publishes no jwks_uri"


def refused_keys(target: ProviderDirectory, provider: Provider) -> LoginError:
    with pytest.raises(LoginError) as caught:
        run(target.keys(provider))
    assert caught.value.refusal is Refusal.UNTRUSTED_PROVIDER
    return caught.value


def test_5_2_1_a_signed_jwks_uri_is_verified_with_the_providers_federation_keys() -> None:
    fed = certified_federation(jwks_uri=None, signed_jwks_uri=f"{IDP}/signed-jwks")
    key = generate_key()
    served: dict[str, str] = {}

    def route(request: httpx.Request) -> httpx.Response | None:
        if request.url.path != "/signed-jwks":
            return None
        return httpx.Response(
            200, content=served["token"], headers={"content-type": "application/jwk-set+jwt"}
        )

    target = directory(fed, route)
    provider = run(target.provider(IDP))
    claims = {"iss": IDP, "sub": IDP, "iat": NOW, **public_jwks(key)}
    served["token"] = fed.sign(claims, by=IDP, typ=JwtType.JWK_SET)
    assert [k.kid for k in run(target.keys(provider)).keys] == [key.kid]
    target.forget(IDP)
    provider = run(target.provider(IDP))
    served["token"] = fed.sign(claims, key=generate_key(), typ=JwtType.JWK_SET)
    assert refused_keys(target, provider).check == "jwks"


def test_5_2_1_1_an_expired_signed_jwk_set_is_refused() -> None:
    fed = certified_federation(jwks_uri=None, signed_jwks_uri=f"{IDP}/signed-jwks")
    expired = fed.sign(
        {"iss": IDP, "sub": IDP, "iat": NOW - 7200, "exp": NOW - 3600, **public_jwks(generate_key())},
        by=IDP,
        typ=JwtType.JWK_SET,
    )

    def route(request: httpx.Request) -> httpx.Response | None:
        if request.url.path != "/signed-jwks":
            return None
        return httpx.Response(200, content=expired, headers={"content-type": "application/jwk-set+jwt"})

    target = directory(fed, route)
    error = refused_keys(target, run(target.provider(IDP)))
    assert error.check == "jwks"
    assert (
        error.description == f"{UNTRUSTED}its keys cannot be read (signed JWK set expired (exp {NOW - 3600}))"
    )


# -- the vtm trustmark (RFC 8485 §5) -------------------------------------------------------------------
def trustmark_error(target: ProviderDirectory, provider: Provider, vtm: str) -> str:
    with pytest.raises(ValueError) as caught:
        run(target.trustmark(provider, vtm))
    return str(caught.value)


def test_rfc8485_5_the_trustmark_a_federation_provider_publishes_is_trusted() -> None:
    fed = certified_federation()
    target = directory(fed, json_routes({f"{IDP}/trustmark": trustmark_document()}))
    provider = run(target.provider(IDP))
    found = run(target.trustmark(provider, f"{IDP}/trustmark"))
    assert found.idp == IDP
    assert found.trustmark_provider == TA


def test_rfc8485_5_a_vtm_the_provider_does_not_publish_is_not_trusted() -> None:
    fed = certified_federation()
    target = directory(fed, json_routes({"https://evil.example/tm": trustmark_document()}))
    provider = run(target.provider(IDP))
    assert trustmark_error(target, provider, "https://evil.example/tm") == (
        f"vtm 'https://evil.example/tm' is not the trustmark {IDP} publishes in the federation"
    )


def test_rfc8485_5_a_trustmark_about_another_provider_is_not_trusted() -> None:
    fed = certified_federation()
    document = trustmark_document(idp="https://other-idp.example")
    target = directory(fed, json_routes({f"{IDP}/trustmark": document}))
    provider = run(target.provider(IDP))
    assert trustmark_error(target, provider, f"{IDP}/trustmark") == (
        f"the trustmark {IDP}/trustmark is about https://other-idp.example, not {IDP}"
    )


def test_rfc8485_5_a_trustmark_provided_by_someone_other_than_the_anchor_is_not_trusted() -> None:
    fed = certified_federation()
    target = directory(fed, json_routes({f"{IDP}/trustmark": trustmark_document(provider=IDP)}))
    provider = run(target.provider(IDP))
    assert trustmark_error(target, provider, f"{IDP}/trustmark") == (
        f"the trustmark {IDP}/trustmark is provided by {IDP}, not the trust anchor {TA}"
    )


def test_rfc8485_5_a_malformed_or_missing_trustmark_is_not_trusted() -> None:
    fed = certified_federation()
    target = directory(fed, json_routes({f"{IDP}/trustmark": {"idp": IDP}}))
    provider = run(target.provider(IDP))
    assert trustmark_error(target, provider, f"{IDP}/trustmark") == (
        f"the trustmark {IDP}/trustmark is malformed (Field required)"
    )
    target = directory(fed)
    provider = run(target.provider(IDP))
    assert trustmark_error(target, provider, f"{IDP}/trustmark").startswith(
        f"the trustmark {IDP}/trustmark cannot be read ("
    )


def test_rfc8485_5_a_static_provider_trusts_only_its_configured_trustmarks() -> None:
    provider = make_provider(STATIC, kind="static", static=static_provider())
    target = directory(
        None, json_routes({f"{STATIC}/trustmark": trustmark_document(STATIC, "https://gov.uk")})
    )
    assert run(target.trustmark(provider, f"{STATIC}/trustmark")).idp == STATIC
    assert trustmark_error(target, provider, f"{IDP}/trustmark") == (
        f"vtm '{IDP}/trustmark' is not a trustmark configured for {STATIC}"
    )


def test_core_10_1_1_a_new_kid_fetches_the_keys_at_once_and_a_repeated_one_waits_30_seconds() -> None:
    first, second, third = generate_key(), generate_key(), generate_key()
    published = {f"{IDP}/jwks": public_jwks(first)}
    clock = Clock()
    target = directory(None, json_routes(published), clock=clock)
    provider = make_provider()
    assert [k.kid for k in run(target.keys(provider)).keys] == [first.kid]
    published[f"{IDP}/jwks"] = public_jwks(second)
    # a rotation moments after the last fetch is followed at the first token the new key signs
    assert [k.kid for k in run(target.keys(provider, refresh=True, kid=second.kid)).keys] == [second.kid]
    published[f"{IDP}/jwks"] = public_jwks(third)
    # the same kid again within 30 s does not fetch (a provider repeating an unknown kid)
    assert [k.kid for k in run(target.keys(provider, refresh=True, kid=second.kid)).keys] == [second.kid]
    clock.now = NOW + 30
    assert [k.kid for k in run(target.keys(provider, refresh=True, kid=second.kid)).keys] == [third.kid]
