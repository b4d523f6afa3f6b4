"""A login from start to finish (``RelyingParty``): the authorization request (Core §3.1.2.1, RFC 7636
PKCE, RFC 9126 PAR, RFC 8485 §6.1 ``vtr``, IDA §6 ``claims``), the response's checks (RFC 6749
§10.12 ``state``, RFC 9207 ``iss``, §4.1.2.1 errors), the code exchange with ``private_key_jwt``
(RFC 7523), the ID token (Core §3.1.3.7) and UserInfo (Core §5.3.2).

The provider's token and UserInfo endpoints are an HTTP-level fake (``rpkit.FakeProvider``); the
provider itself is put in the directory's cache (``rpkit.cache_provider``), as if resolved.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import json
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from federation.jose import decode_unverified
from federation.keys import generate_key
from federation.service.database import create_store_engine
from relying_party.core.errors import LoginError, Refusal
from relying_party.core.login import Finished, RelyingParty
from relying_party.core.oauth import ASSERTION_TYPE, MAX_BYTES, OAuthClient
from relying_party.core.providers import ProviderDirectory
from relying_party.migrate import MIGRATIONS
from relying_party.store import RpStore
from tests.federation.fedkit import run
from tests.relying_party.rpkit import (
    CLIENT,
    IDP,
    NOW,
    Clock,
    FakeProvider,
    at_hash,
    cache_provider,
    fetcher_with,
    id_claims,
    json_routes,
    make_provider,
    provider_metadata,
    public_jwks,
    rp_config,
    service_policy,
    trustmark_document,
    verified_element,
)

SESSION = "browser-session-handle"
VTM = f"{IDP}/trustmark"


@dataclass
class Flow:
    rp: RelyingParty
    op: FakeProvider
    clock: Clock
    published: dict[str, Any]

    def start(self, **kwargs: Any) -> dict[str, str]:
        """Start a parking login; the authorization request's query parameters."""
        kwargs.setdefault("session", SESSION)
        kwargs.setdefault("return_to", "/parking/apply")
        url = run(self.rp.start("parking", IDP, **kwargs))
        assert url.startswith(f"{IDP}/authorize?")
        return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}

    def answer(self, request: dict[str, str], **claims: Any) -> None:
        """The provider's ID token and UserInfo for ``request``: a medium identity, P2.Cl."""
        self.op.claims = id_claims(nonce=request["nonce"], vot="P2.Cl", vtm=VTM) | {
            "at_hash": at_hash(self.op.access_token),
            **claims,
        }
        self.op.userinfo = {
            "sub": "subject-1",
            "verified_claims": verified_element("council-resident-parking"),
        }

    def finish(self, params: dict[str, str], session: str | None = SESSION) -> Finished:
        return run(self.rp.finish(params, session=session))

    def refused(self, params: dict[str, str], session: str | None = SESSION) -> LoginError:
        with pytest.raises(LoginError) as caught:
            self.finish(params, session)
        return caught.value


@contextmanager
def make_flow(tmp_path: Path, *, metadata: dict[str, Any] | None = None) -> Iterator[Flow]:
    """A relying party with one service (parking, medium) and the provider ``IDP`` in its cache."""
    op = FakeProvider()
    clock = Clock()
    published: dict[str, Any] = {VTM: trustmark_document(), f"{IDP}/jwks": public_jwks(op.key)}
    config = rp_config(policies=[service_policy("medium")], login_lifetime=900)
    directory = ProviderDirectory(config, fetcher_with(None, json_routes(published)), clock=clock)
    cache_provider(directory, make_provider(metadata=metadata or provider_metadata(), expires_at=NOW + 86400))
    engine = create_store_engine(f"sqlite:///{tmp_path / 'rp.db'}")
    MIGRATIONS.migrate(engine)
    rp = RelyingParty(
        config,
        directory=directory,
        store=RpStore(engine, clock=clock),
        oauth=OAuthClient(op.client()),
        key=generate_key(),
        clock=clock,
    )
    try:
        yield Flow(rp, op, clock, published)
    finally:
        engine.dispose()


@pytest.fixture
def flow(tmp_path: Path) -> Iterator[Flow]:
    with make_flow(tmp_path) as running:
        yield running


# -- start ---------------------------------------------------------------------------------------------
def test_core_3_1_2_1_the_request_carries_state_nonce_pkce_vtr_and_claims(flow: Flow) -> None:
    request = flow.start()
    assert request["response_type"] == "code"
    assert request["client_id"] == CLIENT
    assert request["redirect_uri"] == f"{CLIENT}/auth/callback"
    assert request["scope"] == "openid"
    assert len(request["state"]) >= 43 and len(request["nonce"]) >= 43
    assert request["code_challenge_method"] == "S256"
    assert request["vtr"] == '["P2.Cl","P1.Cl","Cl"]'
    assert request["claims"].startswith('{"userinfo":{"verified_claims":')
    assert "prompt" not in request


def test_rfc8485_6_1_a_step_up_asks_only_the_needed_vector_and_a_new_sign_in(flow: Flow) -> None:
    request = flow.start(step_up=True)
    assert request["vtr"] == '["P2.Cl"]'
    assert request["prompt"] == "login"


def test_a_login_for_an_unknown_service_is_refused(flow: Flow) -> None:
    with pytest.raises(LoginError) as caught:
        run(flow.rp.start("library", IDP, session=SESSION, return_to="/"))
    assert caught.value.refusal is Refusal.INVALID_REQUEST
    assert caught.value.check == "service"
    assert caught.value.description == "there is no service called 'library'"


def test_rfc9126_a_provider_with_par_gets_the_request_pushed(tmp_path: Path) -> None:
    metadata = provider_metadata(pushed_authorization_request_endpoint=f"{IDP}/par")
    with make_flow(tmp_path, metadata=metadata) as flow:
        url = run(flow.rp.start("parking", IDP, session=SESSION, return_to="/parking"))
    assert url == f"{IDP}/authorize?client_id=https%3A%2F%2Fcouncil.example&request_uri=urn%3Aexample%3Apar-1"
    pushed = flow.op.forms[0]
    assert pushed["client_assertion_type"] == ASSERTION_TYPE
    assert decode_unverified(pushed["client_assertion"])[1]["aud"] == IDP
    assert pushed["vtr"] == '["P2.Cl","P1.Cl","Cl"]'


# -- finish: the whole login ---------------------------------------------------------------------------
def test_core_3_1_3_a_login_completes_with_the_policy_decision(flow: Flow) -> None:
    request = flow.start()
    flow.answer(request)
    finished = flow.finish({"state": request["state"], "code": "code-1", "iss": IDP})
    assert finished.return_to == "/parking/apply"
    assert finished.result.accepted
    assert finished.result.claim("given_name") == "Sarah"
    assert finished.result.vot == "P2.Cl"
    form = flow.op.forms[0]
    assert form["grant_type"] == "authorization_code"
    assert form["code"] == "code-1"
    assert form["redirect_uri"] == f"{CLIENT}/auth/callback"
    challenge = base64.urlsafe_b64encode(hashlib.sha256(form["code_verifier"].encode()).digest())
    assert challenge.rstrip(b"=").decode() == request["code_challenge"]
    assertion = decode_unverified(form["client_assertion"])[1]
    assert (assertion["iss"], assertion["sub"], assertion["aud"]) == (CLIENT, CLIENT, IDP)
    assert flow.op.requests[-1].headers["authorization"] == f"Bearer {flow.op.access_token}"


def test_rfc6749_10_12_a_response_is_used_once(flow: Flow) -> None:
    request = flow.start()
    flow.answer(request)
    flow.finish({"state": request["state"], "code": "code-1", "iss": IDP})
    error = flow.refused({"state": request["state"], "code": "code-1", "iss": IDP})
    assert error.refusal is Refusal.INVALID_STATE
    assert error.check == "state"


def test_core_5_3_2_userinfo_about_someone_else_is_refused(flow: Flow) -> None:
    request = flow.start()
    flow.answer(request)
    flow.op.userinfo["sub"] = "subject-2"
    error = flow.refused({"state": request["state"], "code": "c", "iss": IDP})
    assert (error.refusal, error.check) == (Refusal.INVALID_USERINFO, "sub")
    assert error.description == "The UserInfo response is about someone else (sub differs, Core §5.3.2)."


def test_core_3_1_3_7_11_an_id_token_for_another_login_is_refused(flow: Flow) -> None:
    request = flow.start()
    flow.answer(request, nonce="nonce-of-another-login")
    error = flow.refused({"state": request["state"], "code": "c", "iss": IDP})
    assert (error.refusal, error.check) == (Refusal.INVALID_ID_TOKEN, "nonce")


def test_rfc8485_5_a_vtm_the_provider_does_not_publish_is_refused(flow: Flow) -> None:
    request = flow.start()
    flow.answer(request, vtm="https://evil.example/trustmark")
    error = flow.refused({"state": request["state"], "code": "c", "iss": IDP})
    assert (error.refusal, error.check) == (Refusal.INVALID_ID_TOKEN, "vtm")
    assert error.description == (
        "the ID token was refused: vtm 'https://evil.example/trustmark' is not the trustmark "
        f"{IDP} publishes in the federation"
    )


def test_core_10_1_1_a_rotated_key_is_followed_at_once_and_an_unknown_kid_fetches_once_per_30_seconds(
    flow: Flow,
) -> None:
    request = flow.start()
    flow.answer(request)
    assert flow.finish({"state": request["state"], "code": "c", "iss": IDP}).result.accepted
    # the provider rotates moments after the RP fetched its keys: the first token the new key signs
    # makes the RP fetch them again
    flow.op.key = generate_key()
    flow.published[f"{IDP}/jwks"] = public_jwks(flow.op.key)
    request = flow.start()
    flow.answer(request)
    assert flow.finish({"state": request["state"], "code": "c", "iss": IDP}).result.accepted
    # a key that is never published: refused, and the same kid again within 30 s fetches nothing
    stranger = generate_key()
    flow.op.key = stranger
    request = flow.start()
    flow.answer(request)
    error = flow.refused({"state": request["state"], "code": "c", "iss": IDP})
    assert (error.refusal, error.check) == (Refusal.INVALID_ID_TOKEN, "kid")
    flow.published[f"{IDP}/jwks"] = public_jwks(stranger)
    request = flow.start()
    flow.answer(request)
    error = flow.refused({"state": request["state"], "code": "c", "iss": IDP})
    assert (error.refusal, error.check) == (Refusal.INVALID_ID_TOKEN, "kid")
    flow.clock.now = NOW + 30
    request = flow.start()
    flow.answer(request)
    assert flow.finish({"state": request["state"], "code": "c", "iss": IDP}).result.accepted


def test_rfc6749_5_2_a_token_error_is_quoted(flow: Flow) -> None:
    request = flow.start()
    flow.answer(request)
    flow.op.token_status = 400
    flow.op.extra_tokens = {"error": "invalid_grant", "error_description": "code already used"}
    error = flow.refused({"state": request["state"], "code": "c", "iss": IDP})
    assert (error.refusal, error.check) == (Refusal.TOKEN_REQUEST_FAILED, "invalid_grant")
    assert error.description == "The token request failed: invalid_grant: code already used"


def test_rfc6749_5_1_a_token_type_other_than_bearer_is_refused(flow: Flow) -> None:
    request = flow.start()
    flow.answer(request)
    flow.op.extra_tokens = {"token_type": "DPoP"}
    error = flow.refused({"state": request["state"], "code": "c", "iss": IDP})
    assert (error.refusal, error.check) == (Refusal.TOKEN_REQUEST_FAILED, "token_type")


# -- finish: the authorization response's checks --------------------------------------------------------
def test_rfc6749_10_12_a_response_without_state_is_refused(flow: Flow) -> None:
    error = flow.refused({"code": "c", "iss": IDP})
    assert (error.refusal, error.check) == (Refusal.INVALID_STATE, "state")
    assert error.description == (
        "The response from the identity provider has no state, so it cannot be matched to a login."
    )


def test_rfc6749_10_12_an_unknown_state_is_refused(flow: Flow) -> None:
    flow.start()
    error = flow.refused({"state": "forged-state", "code": "c", "iss": IDP})
    assert (error.refusal, error.check) == (Refusal.INVALID_STATE, "state")
    assert error.description == (
        "This sign-in link is not one this service started, or it has already been used. Start again."
    )


def test_rfc6749_10_12_a_state_from_another_session_is_refused_and_spent(flow: Flow) -> None:
    for session in ("another-browser", None):
        request = flow.start()
        error = flow.refused({"state": request["state"], "code": "c", "iss": IDP}, session=session)
        assert (error.refusal, error.check) == (Refusal.INVALID_STATE, "session")
        assert error.description == (
            "This sign-in was started in a different browser or session. Start again from the service."
        )
        # the attempt spent the state: the browser that started the login cannot use it any more
        assert flow.refused({"state": request["state"], "code": "c", "iss": IDP}).check == "state"
    assert flow.op.requests == []


def test_rfc6749_10_12_an_expired_pending_login_is_refused(flow: Flow) -> None:
    request = flow.start()
    flow.clock.now = NOW + 900
    error = flow.refused({"state": request["state"], "code": "c", "iss": IDP})
    assert (error.refusal, error.check) == (Refusal.INVALID_STATE, "expired")
    assert error.description == "This sign-in took too long and has expired. Start again."


def test_rfc9207_2_4_a_response_from_another_issuer_is_a_mix_up(flow: Flow) -> None:
    request = flow.start()
    error = flow.refused({"state": request["state"], "code": "c", "iss": "https://evil.example"})
    assert (error.refusal, error.check) == (Refusal.ISSUER_MISMATCH, "iss")
    assert error.description == (
        "The response says it comes from 'https://evil.example', but this login was sent to "
        f"{IDP} (a mix-up attack, RFC 9207)."
    )
    assert flow.op.requests == []


def test_rfc9207_2_4_a_missing_iss_is_refused_when_the_provider_always_sends_one(flow: Flow) -> None:
    request = flow.start()
    error = flow.refused({"state": request["state"], "code": "c"})
    assert (error.refusal, error.check) == (Refusal.ISSUER_MISMATCH, "iss")
    assert error.description == f"The response has no iss, but {IDP} always sends one (RFC 9207)."


def test_rfc9207_2_4_a_missing_iss_is_accepted_from_a_provider_that_never_sends_one(tmp_path: Path) -> None:
    metadata = provider_metadata(authorization_response_iss_parameter_supported=None)
    with make_flow(tmp_path, metadata=metadata) as flow:
        request = flow.start()
        flow.answer(request)
        assert flow.finish({"state": request["state"], "code": "c"}).result.accepted


def test_rfc6749_4_1_2_1_access_denied_is_shown_politely(flow: Flow) -> None:
    request = flow.start()
    error = flow.refused(
        {"state": request["state"], "iss": IDP, "error": "access_denied", "error_description": "user said no"}
    )
    assert (error.refusal, error.check) == (Refusal.PROVIDER_ERROR, "access_denied")
    assert error.description == (
        "You chose not to share your information, so the service could not sign you in."
    )
    assert error.detail == "user said no"
    assert flow.op.requests == []


def test_rfc6749_4_1_2_1_an_unknown_error_is_named(flow: Flow) -> None:
    request = flow.start()
    error = flow.refused({"state": request["state"], "iss": IDP, "error": "server_error"})
    assert (error.refusal, error.check) == (Refusal.PROVIDER_ERROR, "server_error")
    assert error.description == "Your identity provider could not sign you in (server_error)."


def test_rfc6749_4_1_2_a_response_without_code_is_refused(flow: Flow) -> None:
    request = flow.start()
    error = flow.refused({"state": request["state"], "iss": IDP})
    assert (error.refusal, error.check) == (Refusal.PROVIDER_ERROR, "code")
    assert error.description == "The identity provider's response has no code."


# -- the OAuth client's reading of answers ------------------------------------------------------------
class Streamed(httpx.AsyncByteStream):
    """A body that arrives over the network (not read in advance, as a real transport gives it)."""

    def __init__(self, data: bytes) -> None:
        self.data = data

    async def __aiter__(self) -> AsyncIterator[bytes]:
        yield self.data


def test_rfc9110_8_4_a_compressed_json_answer_is_read_decompressed() -> None:
    seen: list[httpx.Request] = []

    def handle(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        body = gzip.compress(json.dumps({"sub": "subject-1"}).encode())
        headers = {"content-type": "application/json", "content-encoding": "gzip"}
        return httpx.Response(200, stream=Streamed(body), headers=headers)

    oauth = OAuthClient(httpx.AsyncClient(transport=httpx.MockTransport(handle)))
    assert run(oauth.get_bearer("The UserInfo request", f"{IDP}/userinfo", "at")) == {"sub": "subject-1"}
    assert seen[0].headers["accept-encoding"] == "identity"


def test_an_answer_larger_than_256_kib_is_refused_after_decompression() -> None:
    def handle(request: httpx.Request) -> httpx.Response:
        body = gzip.compress(json.dumps({"pad": "x" * MAX_BYTES}).encode())
        headers = {"content-type": "application/json", "content-encoding": "gzip"}
        return httpx.Response(200, stream=Streamed(body), headers=headers)

    oauth = OAuthClient(httpx.AsyncClient(transport=httpx.MockTransport(handle)))
    with pytest.raises(LoginError) as caught:
        run(oauth.get_bearer("The UserInfo request", f"{IDP}/userinfo", "at"))
    assert (caught.value.refusal, caught.value.check) == (Refusal.TOKEN_REQUEST_FAILED, "too_large")
    assert (
        caught.value.description
        == f"The UserInfo request failed: the response is larger than {MAX_BYTES} bytes"
    )
