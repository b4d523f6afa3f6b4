"""Claims a client may never receive (OpenID Federation 1.0 §7 trust marks as the federation's word on
what an organisation is): only an NHS organisation may receive ``nhs_number``."""

from __future__ import annotations

from dataclasses import replace

from idp.core.claims_policy import refused_claims, required_trust_mark
from idp.core.clients import Client, ClientKind
from tests.idp.fedclients import COUNCIL_MARK, COUNCIL_RP, NHS_MARK, NHS_RP, TA, add_rp, directory

STATIC = Client(
    client_id="https://static.example/app",
    kind=ClientKind.STATIC,
    redirect_uris=("https://static.example/callback",),
    token_endpoint_auth_method="private_key_jwt",
    organization_name="Static Services Ltd",
    sector="static.example",
)
COUNCIL = replace(
    STATIC,
    client_id=COUNCIL_RP,
    kind=ClientKind.AUTOMATIC,
    trust_anchor=TA,
    trust_mark_types=frozenset({COUNCIL_MARK}),
)
NHS = replace(COUNCIL, client_id=NHS_RP, trust_mark_types=frozenset({NHS_MARK}))
ORDINARY = ("given_name", "family_name", "birthdate", "address", "email", "verified_claims", "unknown")


def test_only_an_nhs_organisation_may_receive_nhs_number() -> None:
    assert refused_claims(NHS, ["nhs_number", *ORDINARY]) == {}


def test_a_council_is_refused_nhs_number_with_the_trust_mark_it_lacks() -> None:
    assert refused_claims(COUNCIL, ["given_name", "nhs_number", "nhs_number"]) == {
        "nhs_number": f"only an NHS organisation (trust mark {TA}/trust-mark-types/nhs_organisation) "
        "may receive nhs_number"
    }


def test_a_static_client_is_never_given_a_restricted_claim() -> None:
    assert refused_claims(STATIC, ["nhs_number", "birthdate"]) == {
        "nhs_number": "only an NHS organisation, recognised through the federation by its nhs_organisation "
        "trust mark, may receive nhs_number"
    }


def test_an_nhs_mark_of_another_federation_does_not_count() -> None:
    other = replace(NHS, trust_anchor="https://other-ta.example")
    assert set(refused_claims(other, ["nhs_number"])) == {"nhs_number"}


def test_unrestricted_claims_are_never_refused() -> None:
    assert refused_claims(STATIC, ORDINARY) == {}
    assert required_trust_mark(COUNCIL, "birthdate") is None
    assert required_trust_mark(COUNCIL, "nhs_number") == NHS_MARK
    assert required_trust_mark(STATIC, "nhs_number") == "nhs_organisation"


def test_7_3_resolved_marks_decide_what_a_federation_rp_may_receive() -> None:
    d = directory()
    add_rp(d.fed, NHS_RP, marks=("nhs_organisation",))
    add_rp(d.fed, COUNCIL_RP, marks=("council",))
    assert refused_claims(d.get(NHS_RP), ["nhs_number"]) == {}
    assert set(refused_claims(d.get(COUNCIL_RP), ["nhs_number"])) == {"nhs_number"}
