"""RFC 6750 §3: the ``WWW-Authenticate`` challenge carries ``error_description`` in the characters a
header allows, whatever the description holds (a non-ASCII character must never turn into a 500)."""

from __future__ import annotations

from idp.app import challenge
from idp.core.errors import InsufficientScope, InvalidClient, InvalidRequest, InvalidToken


def test_rfc6750_section_3_description_is_printable_ascii_in_the_header() -> None:
    header = challenge(InvalidToken('the token "x" is revoked (RFC 6749 §5.2) \\ done'))
    assert header == {
        "WWW-Authenticate": 'Bearer realm="ukid-idp", error="invalid_token", '
        'error_description="the token ?x? is revoked (RFC 6749 ?5.2) ? done"'
    }
    header["WWW-Authenticate"].encode("ascii")


def test_rfc6750_section_3_insufficient_scope_is_a_bearer_challenge() -> None:
    header = challenge(InsufficientScope("the access token was not granted the openid scope"))
    assert header is not None
    assert header["WWW-Authenticate"].startswith('Bearer realm="ukid-idp", error="insufficient_scope"')


def test_rfc6749_section_5_2_invalid_client_is_a_basic_challenge_and_others_have_none() -> None:
    assert challenge(InvalidClient("unknown client")) == {"WWW-Authenticate": 'Basic realm="ukid-idp"'}
    assert challenge(InvalidRequest("bad")) is None
