"""OpenID Federation 1.0 §8.9 errors: wire form, and context added without losing what was checked."""

from __future__ import annotations

from federation.errors import Check, FetchError, InvalidJwt, InvalidTrustChain


def test_8_9_error_body_carries_no_private_detail() -> None:
    exc = InvalidTrustChain("no valid trust chain", check=Check.EXP, detail="internal")
    assert exc.to_dict() == {"error": "invalid_trust_chain", "error_description": "no valid trust chain"}
    assert exc.status_code == 400


def test_context_keeps_class_check_detail_and_extra_attributes() -> None:
    inner = InvalidJwt("expired", check=Check.EXP)
    chain = InvalidTrustChain("outer", check=Check.LOOP, detail="d", path_errors=((("a", "b"), inner),))
    wrapped = chain.in_context("subordinate statement by https://ta.example")
    assert type(wrapped) is InvalidTrustChain
    assert wrapped.description == "subordinate statement by https://ta.example: outer"
    assert str(wrapped) == wrapped.description
    assert (wrapped.check, wrapped.detail, wrapped.path_errors) == (Check.LOOP, "d", chain.path_errors)
    assert chain.description == "outer"  # the original is untouched

    fetch = FetchError("x: too large", check=Check.TOO_LARGE, url="https://x", remote_error="not_found")
    moved = fetch.in_context("entity configuration of https://x")
    assert (moved.url, moved.remote_error, moved.check, moved.error) == (
        "https://x",
        "not_found",
        Check.TOO_LARGE,
        "invalid_request",
    )
