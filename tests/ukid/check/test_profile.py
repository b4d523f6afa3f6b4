"""The federation profile's PKCE rule, shared by ``ukid check entity`` (``openid_provider`` metadata)
and ``ukid check idp`` (the discovery document): RFC 7636 §4.2 ``S256``, RFC 9700 §2.1.1 no ``plain``."""

from __future__ import annotations

import pytest

from ukid.check.profile import pkce_problems

S256_MISSING = (
    "openid_provider.code_challenge_methods_supported lacks S256 (PKCE)",
    "Support and publish PKCE S256.",
)
PLAIN = ("openid_provider.code_challenge_methods_supported has plain", "Refuse plain PKCE; accept S256 only.")


@pytest.mark.parametrize(
    ("methods", "problems"),
    [
        (["S256"], []),
        (["S256", "plain"], [PLAIN]),
        (["plain"], [S256_MISSING, PLAIN]),
        (None, [S256_MISSING]),
    ],
)
def test_rfc9700_2_1_1_pkce_s256_without_plain(
    methods: list[str] | None, problems: list[tuple[str, str]]
) -> None:
    metadata = {} if methods is None else {"code_challenge_methods_supported": methods}
    assert pkce_problems(metadata) == problems
