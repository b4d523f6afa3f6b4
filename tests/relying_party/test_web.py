"""The return path after a login is never an open redirect (RFC 6749 §10.15, OWASP Unvalidated
Redirects): only a local path under the service's own path is kept, anything else sends the citizen
to the service's home."""

from __future__ import annotations

import pytest

from relying_party.web import safe_return_to


@pytest.mark.parametrize(
    "value",
    [
        "/",
        "/parking-permit/apply",
        "/blue-badge/apply?step=2",
    ],
)
def test_rfc6749_10_15_a_local_path_is_kept(value: str) -> None:
    assert safe_return_to(value, "") == value


@pytest.mark.parametrize(
    "value",
    [
        None,
        "",
        "https://evil.example/",
        "//evil.example/path",
        "/\\evil.example",
        "\\\\evil.example",
        "javascript:alert(1)",
        "parking-permit",
        "/with space",
        "/tab\there",
        "/new\nline",
        "/nul\x00",
        "/" + "a" * 2000,
    ],
)
def test_rfc6749_10_15_anything_else_goes_to_the_service_home(value: str | None) -> None:
    assert safe_return_to(value, "") == "/"
    assert safe_return_to(value, "/council") == "/council"


@pytest.mark.parametrize("value", ["/council", "/council/parking", "/council?x=1"])
def test_rfc6749_10_15_under_a_path_prefix_only_the_service_own_paths_are_kept(value: str) -> None:
    assert safe_return_to(value, "/council") == value


@pytest.mark.parametrize("value", ["/", "/council-evil/x", "/councilx", "/gp/register"])
def test_rfc6749_10_15_a_path_beside_the_service_prefix_goes_to_its_home(value: str) -> None:
    assert safe_return_to(value, "/council") == "/council"
