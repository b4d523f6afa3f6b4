"""TOTP (RFC 6238) and recovery codes: the code algorithm against the RFC's test vectors, the skew
window, the key URI apps read, recovery code format, and the second step's cookie token."""

from __future__ import annotations

import base64
import re
from urllib.parse import parse_qs, urlsplit

from idp.core import totp
from idp.store import digest

#: RFC 6238 Appendix B: the SHA-1 seed is the ASCII string "12345678901234567890".
RFC_SECRET = base64.b32encode(b"12345678901234567890").decode()


def test_rfc6238_appendix_b_sha1_test_vectors_last_six_digits() -> None:
    # Appendix B lists 8 digits; a 6-digit code is the same value modulo 10^6 (RFC 4226 §5.3)
    vectors = {59: "94287082", 1111111109: "07081804", 1111111111: "14050471", 1234567890: "89005924"}
    for time, expected in vectors.items():
        assert totp.code_at(RFC_SECRET, time) == expected[-6:]
        assert totp.matching_step(RFC_SECRET, expected[-6:], time) == time // 30


def test_rfc6238_section_5_2_one_step_of_skew_either_side() -> None:
    now = 1_700_000_015
    step = now // 30
    for offset in (-1, 0, 1):
        typed = totp.code_at(RFC_SECRET, now + offset * 30)
        assert totp.matching_step(RFC_SECRET, typed, now) == step + offset
    for offset in (-3, -2, 2, 3):
        typed = totp.code_at(RFC_SECRET, now + offset * 30)
        assert totp.matching_step(RFC_SECRET, typed, now) is None


def test_rfc6238_codes_are_six_digits_typed_with_spaces_allowed() -> None:
    assert totp.normalise_code(" 123 456 ") == "123456"
    assert totp.normalise_code("123-456") == "123456"
    assert totp.normalise_code("12345") is None
    assert totp.normalise_code("1234567") is None
    assert totp.normalise_code("12345a") is None
    assert totp.normalise_code("١٢٣٤٥٦") is None  # Arabic-Indic digits are not ASCII digits


def test_rfc4226_section_4_secret_is_160_bits_base32() -> None:
    secret = totp.new_secret()
    assert re.fullmatch(r"[A-Z2-7]{32}", secret)
    assert len(base64.b32decode(secret)) == 20
    assert totp.new_secret() != secret


def test_key_uri_format_is_what_authenticator_apps_read() -> None:
    enrolment = totp.enrolment(RFC_SECRET, "amy@example.org", "Sample IdP", "QR code")
    parts = urlsplit(enrolment.uri)
    assert (parts.scheme, parts.netloc) == ("otpauth", "totp")
    assert parts.path == "/Sample%20IdP:amy%40example.org"
    assert parse_qs(parts.query) == {"secret": [RFC_SECRET], "issuer": ["Sample IdP"]}
    assert enrolment.grouped == " ".join(RFC_SECRET[i : i + 4] for i in range(0, 32, 4))
    assert enrolment.svg.startswith('<svg role="img" focusable="false" width=')
    assert "<title>QR code</title>" in enrolment.svg
    assert "<script" not in enrolment.svg
    assert "style=" not in enrolment.svg  # nothing for the page's CSP (style-src 'self') to block


def test_nist_800_63b_recovery_codes_ten_unique_single_format() -> None:
    codes = totp.new_recovery_codes()
    assert len(codes) == 10
    assert len(set(codes)) == 10
    for shown in codes:
        assert re.fullmatch(r"[a-z2-9]{4}-[a-z2-9]{4}-[a-z2-9]{4}", shown)
        assert totp.recovery_digest(shown) == digest(shown.replace("-", ""))
        assert totp.recovery_digest(f" {shown.upper().replace('-', ' ')} ") == totp.recovery_digest(shown)


def test_recovery_code_proof_is_its_digest_and_a_code_proof_its_step() -> None:
    now = 1_700_000_015
    assert totp.proof_of(RFC_SECRET, "abcd-efgh-jkmn", now) == totp.Proof(
        recovery_hash=digest("abcdefghjkmn")
    )
    assert totp.proof_of(RFC_SECRET, totp.code_at(RFC_SECRET, now), now) == totp.Proof(step=now // 30)
    assert totp.proof_of(RFC_SECRET, "not a code", now) is None
    assert totp.proof_of(RFC_SECRET, "", now) is None


def test_second_step_token_is_bound_to_browser_purpose_and_time() -> None:
    salt = b"s" * 32
    token = totp.step_token(salt, "browser-1", "interaction:abc", "account-1", 1000)
    assert (
        totp.step_account(salt, "browser-1", "interaction:abc", token, now=1100, lifetime=300) == "account-1"
    )
    assert totp.step_account(salt, "browser-2", "interaction:abc", token, now=1100, lifetime=300) is None
    assert totp.step_account(salt, "browser-1", "interaction:xyz", token, now=1100, lifetime=300) is None
    assert totp.step_account(salt, "browser-1", "interaction:abc", token, now=1300, lifetime=300) is None
    assert totp.step_account(b"t" * 32, "browser-1", "interaction:abc", token, now=1100, lifetime=300) is None
    forged = token.replace("account-1", "account-2")
    assert totp.step_account(salt, "browser-1", "interaction:abc", forged, now=1100, lifetime=300) is None
    assert totp.step_account(salt, "browser-1", "interaction:abc", "a.b.c", now=1100, lifetime=300) is None
    assert totp.step_account(salt, None, "interaction:abc", token, now=1100, lifetime=300) is None
