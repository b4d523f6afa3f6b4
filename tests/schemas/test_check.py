"""``schemas.check``: JSON paths and plain reasons for every kind of problem."""

from __future__ import annotations

from pathlib import Path

import pytest

from schemas.catalog import UnknownSchemaError, detect
from schemas.check import Problem, check_file, check_payload, json_path
from tests.schemas.uk_payloads import passport_m1a


def test_json_path_skips_union_tags_that_are_not_members() -> None:
    data = {
        "verified_claims": {"verification": {"evidence": [{"type": "document", "check_details": [{}, {}]}]}}
    }
    loc = (
        "verified_claims",
        "object",
        "verification",
        "evidence",
        0,
        "document",
        "check_details",
        1,
        "check_method",
    )
    assert (
        json_path(data, loc, "missing")
        == "$.verified_claims.verification.evidence[0].check_details[1].check_method"
    )


def test_json_path_names_a_missing_member_only_for_missing_errors() -> None:
    assert json_path({"a": {}}, ("a", "b"), "missing") == "$.a.b"
    assert json_path({"a": {}}, ("a", "document"), "value_error") == "$.a"


def test_json_path_quotes_members_that_are_not_identifiers() -> None:
    assert (
        json_path({"odd key": {"it's": 1}}, ("odd key", "it's"), "extra_forbidden")
        == "$['odd key']['it\\'s']"
    )


def _problems(payload: object, schema: str | None = None) -> list[Problem]:
    return list(check_payload(payload, schema).problems)


def test_unknown_member_missing_member_and_enum_reasons() -> None:
    payload = passport_m1a()
    verification = payload["verified_claims"]["verification"]
    verification["trust_frameworkk"] = verification.pop("trust_framework")
    verification["evidence"][0]["check_details"][0]["check_method"] = "pipp"
    assert _problems(payload) == [
        Problem("$.verified_claims.verification.trust_framework", "required member is missing"),
        Problem(
            "$.verified_claims.verification.evidence[0].check_details[0].check_method",
            "must be one of: vpip, vpiruv, vri, vdig, vcrypt, data, auth, token, kbv, pvp, pvr, bvp, bvr",
        ),
        Problem("$.verified_claims.verification.trust_frameworkk", "unknown member: not part of the schema"),
    ]


@pytest.mark.parametrize(
    ("evidence", "reason"),
    [
        (
            {"type": "utility_bill"},
            "unknown type 'utility_bill': must be one of document, electronic_record, vouch, electronic_signature",
        ),
        ({"document_details": {"type": "passport"}}, "required member 'type' is missing"),
    ],
)
def test_ida_s5_1_1_evidence_type_reasons(evidence: dict[str, object], reason: str) -> None:
    payload = passport_m1a()
    payload["verified_claims"]["verification"]["evidence"][1] = evidence
    assert _problems(payload) == [Problem("$.verified_claims.verification.evidence[1]", reason)]


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        (True, "must be an integer"),
        ("3", "must be an integer"),
        (None, "must be an integer, not null: leave out a member that has no value"),
        (5, "must be at most 4"),
        (-1, "must be at least 0"),
    ],
)
def test_score_reasons(value: object, reason: str) -> None:
    assert _problems({"evidence": [], "verification": value}) == [Problem("$.verification", reason)]


def test_type_and_date_reasons() -> None:
    payload = passport_m1a()
    claims = payload["verified_claims"]["claims"]
    claims.update(email_verified="yes", address="1 High Street", nationalities="GB", birthdate="1990-13-01")
    reasons = {problem.path.rsplit(".", 1)[-1]: problem.reason for problem in _problems(payload)}
    assert reasons["email_verified"] == "must be a boolean"
    assert reasons["address"] == "must be an object"
    assert reasons["nationalities"] == "must be an array"
    assert reasons["birthdate"].startswith("must be a date, YYYY-MM-DD")


def test_value_error_prefix_is_dropped() -> None:
    payload = passport_m1a()
    payload["verified_claims"]["claims"]["nhs_number"] = "9434765918"
    assert _problems(payload) == [
        Problem(
            "$.verified_claims.claims.nhs_number",
            "not a valid NHS number: the check digit (modulus 11) does not match",
        )
    ]


def test_undetectable_object_asks_for_schema_and_non_object_is_reported() -> None:
    assert _problems({"claims": {}}) == [
        Problem(
            "$",
            "cannot tell which kind of payload this is: pass --schema with one of verified-claims, claims-request, gpg45-scores, assurance-policy, vtm-trustmark, trust-mark-certified-idsp, trust-mark-council, trust-mark-nhs-organisation, certification-record",
        )
    ]
    assert _problems([1, 2]) == [Problem("$", "must be an object")]
    assert _problems([1, 2], "verified-claims") == [Problem("$", "must be an object")]


def test_detection_order_prefers_verified_claims() -> None:
    both = {"verified_claims": {}, "evidence": [], "verification": 1}
    found = detect(both)
    assert found is not None and found.name == "verified-claims"


def test_unknown_schema_name_raises() -> None:
    with pytest.raises(
        UnknownSchemaError,
        match="known schemas: verified-claims, claims-request, gpg45-scores, assurance-policy, vtm-trustmark, trust-mark-certified-idsp, trust-mark-council, trust-mark-nhs-organisation, certification-record",
    ):
        check_payload({}, "no-such-schema")


def test_malformed_json_gives_line_and_column(tmp_path: Path) -> None:
    path = tmp_path / "bad.json"
    path.write_text('{\n  "a": 1\n  "b": 2\n}\n', encoding="utf-8")
    assert check_file(path, None).problems == (
        Problem("$", "not valid JSON: Expecting ',' delimiter (line 3, column 3)"),
    )


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b'{"verification": NaN, "evidence": []}', "not valid JSON: NaN is not a JSON value"),
        (b"\xff\xfe{}", "not valid JSON: the file is not UTF-8 text (invalid start byte)"),
        (b"[" * 100_000 + b"]" * 100_000, "not valid JSON: nested too deeply to read"),
    ],
)
def test_files_that_are_not_json(tmp_path: Path, content: bytes, reason: str) -> None:
    path = tmp_path / "x.json"
    path.write_bytes(content)
    assert check_file(path, None).problems == (Problem("$", reason),)


def test_unreadable_file_is_a_plain_problem(tmp_path: Path) -> None:
    assert check_file(tmp_path / "missing.json", None).problems == (
        Problem("$", "cannot read the file: No such file or directory"),
    )
    assert check_file(tmp_path, None).problems == (Problem("$", "cannot read the file: Is a directory"),)
