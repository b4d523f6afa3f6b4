"""``ukid federation resolve`` against a real loopback federation (OpenID Federation 1.0 §10, §7.3).

Each test serves a three-level fedkit federation (anchor -> health intermediate -> GP leaf, and
an IdP below the anchor) from a loopback server, tampers with one statement where needed, and
checks what the command prints and its exit code. No output ever holds a traceback.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from typer.testing import CliRunner, Result

from federation.jose import JwtType
from federation.keys import generate_key
from federation.trust_marks import TrustMarkStatus, issue_trust_mark
from tests.federation.fedkit import TestFederation
from tests.federation.http_server import LoopbackServer, serve
from ukid.cli import build_app

REPO = Path(__file__).resolve().parents[1]
CERTIFIED = "https://trust.example.gov.uk/certified-rp"


@dataclass
class Fed:
    """The running federation and its entity IDs."""

    server: LoopbackServer
    kit: TestFederation
    ta: str
    mid: str
    leaf: str
    idp: str


@pytest.fixture
def fed() -> Iterator[Fed]:
    with serve({}) as server:
        base = server.base_url
        kit = TestFederation.three_level(base)
        server.fallback = kit.loopback_handler(base)
        yield Fed(server, kit, f"{base}/ta", f"{base}/health", f"{base}/gp", f"{base}/idp")


@pytest.fixture
def anchor_jwks(fed: Fed, tmp_path: Path) -> Path:
    path = tmp_path / "anchor.jwks.json"
    path.write_text(json.dumps(fed.kit.anchor().jwks.model_dump()), encoding="utf-8")
    return path


def invoke(*args: str) -> Result:
    result = CliRunner().invoke(build_app(), ["federation", "resolve", *args])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.output
    return result


def resolve(fed: Fed, jwks: Path, *args: str) -> Result:
    return invoke(fed.leaf, "--anchor", fed.ta, "--anchor-jwks", str(jwks), "--dev", *args)


def iso(epoch: int) -> str:
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def add_trust_mark(fed: Fed, *, status: TrustMarkStatus | None = None) -> str:
    """The anchor allows the intermediate to issue CERTIFIED; the leaf shows one it was issued."""
    fed.kit.entities[fed.ta].trust_mark_issuers = {CERTIFIED: [fed.mid]}
    token = issue_trust_mark(
        fed.kit.entities[fed.mid].keys,
        issuer=fed.mid,
        subject=fed.leaf,
        trust_mark_type=CERTIFIED,
        iat=int(fed.kit.now),
    )
    fed.kit.entities[fed.leaf].trust_marks.append({"trust_mark_type": CERTIFIED, "trust_mark": token})
    if status is not None:
        fed.kit.entities[fed.mid].trust_mark_status[token] = status
    return token


def failure(result: Result) -> list[str]:
    assert result.exit_code == 1, result.output
    assert result.stdout == ""
    return result.stderr.splitlines()


# -- success -----------------------------------------------------------------------------------


def test_resolve_prints_chain_metadata_and_trust_marks(fed: Fed, anchor_jwks: Path) -> None:
    add_trust_mark(fed)
    result = resolve(fed, anchor_jwks)
    assert result.exit_code == 0, result.output
    exp = iso(int(fed.kit.now) + fed.kit.lifetime)
    lines = result.stdout.splitlines()
    assert lines[:20] == [
        f"Trust chain for {fed.leaf} to trust anchor {fed.ta}",
        "  anchor keys: pinned (--anchor-jwks)",
        "  [1] entity configuration",
        f"      issuer:  {fed.leaf}",
        f"      subject: {fed.leaf}",
        f"      expires: {exp}",
        "  [2] subordinate statement",
        f"      issuer:  {fed.mid}",
        f"      subject: {fed.leaf}",
        f"      expires: {exp}",
        "  [3] subordinate statement",
        f"      issuer:  {fed.ta}",
        f"      subject: {fed.mid}",
        f"      expires: {exp}",
        "  [4] entity configuration (trust anchor)",
        f"      issuer:  {fed.ta}",
        f"      subject: {fed.ta}",
        f"      expires: {exp}",
        f"  chain expires: {exp}",
        "",
    ]
    assert lines[20] == "Resolved metadata:"
    end = lines.index("", 21)
    metadata = json.loads("\n".join(lines[21:end]))
    assert metadata["openid_relying_party"]["redirect_uris"] == [f"{fed.leaf}/callback"]
    assert lines[end + 1 :] == [
        "Trust marks (status asked of each issuer):",
        f"  - type:    {CERTIFIED}",
        f"    issuer:  {fed.mid}",
        f"    expires: {iso(int(fed.kit.now) + 365 * 86400)}",
        "    VALID",
    ]
    assert result.stderr == ""


def test_resolve_json_output_parses_and_has_the_chain(fed: Fed, anchor_jwks: Path) -> None:
    add_trust_mark(fed)
    result = resolve(fed, anchor_jwks, "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    now = int(fed.kit.now)
    assert data["resolved"] is True
    assert data["trust_anchor"] == fed.ta
    assert data["anchor_keys"] == {fed.ta: "pinned (--anchor-jwks)"}
    assert [(s["kind"], s["iss"], s["sub"], s["iat"], s["exp"]) for s in data["chain"]] == [
        ("entity_configuration", fed.leaf, fed.leaf, now, now + 3600),
        ("subordinate_statement", fed.mid, fed.leaf, now, now + 3600),
        ("subordinate_statement", fed.ta, fed.mid, now, now + 3600),
        ("entity_configuration", fed.ta, fed.ta, now, now + 3600),
    ]
    assert data["exp"] == now + 3600
    assert set(data["metadata"]) == {"federation_entity", "openid_relying_party"}
    assert data["trust_mark_status_checked"] is True
    assert data["trust_marks"] == [
        {
            "trust_mark_type": CERTIFIED,
            "iss": fed.mid,
            "exp": now + 365 * 86400,
            "valid": True,
            "check": None,
            "reason": None,
        }
    ]


def test_resolve_without_anchor_jwks_warns_keys_came_from_the_anchor_itself(fed: Fed) -> None:
    result = invoke(fed.leaf, "--anchor", fed.ta, "--dev")
    assert result.exit_code == 0, result.output
    kid = fed.kit.entities[fed.ta].keys.signing_key().kid
    assert result.stderr.splitlines() == [
        f"WARNING: the keys of trust anchor {fed.ta} (kid {kid}) were taken from its own entity "
        "configuration (trust on first use), not pinned: whoever answers for that URL is trusted. "
        "Check the keys out of band and pin them with --anchor-jwks FILE."
    ]
    assert "  anchor keys: own entity configuration (trust on first use)" in result.stdout.splitlines()


def test_resolve_with_anchor_jwks_does_not_warn(fed: Fed, anchor_jwks: Path) -> None:
    result = resolve(fed, anchor_jwks)
    assert result.exit_code == 0
    assert "WARNING" not in result.output
    assert "Trust marks: none" in result.stdout.splitlines()


def test_resolve_entity_type_filters_the_resolved_metadata(fed: Fed, anchor_jwks: Path) -> None:
    result = resolve(fed, anchor_jwks, "--entity-type", "openid_relying_party", "--json")
    assert result.exit_code == 0
    assert list(json.loads(result.stdout)["metadata"]) == ["openid_relying_party"]


def test_resolve_an_anchor_itself_is_its_own_configuration(fed: Fed, anchor_jwks: Path) -> None:
    result = invoke(fed.ta, "--anchor", fed.ta, "--anchor-jwks", str(anchor_jwks), "--dev", "--json")
    assert result.exit_code == 0
    assert [(s["iss"], s["sub"]) for s in json.loads(result.stdout)["chain"]] == [(fed.ta, fed.ta)]


def test_resolve_one_of_several_anchors_with_a_jwks_each(fed: Fed, anchor_jwks: Path, tmp_path: Path) -> None:
    other = tmp_path / "other.jwks.json"
    fed.kit.add(fed.server.url("/other-ta"), authority=True)
    other.write_text(json.dumps(fed.kit.anchor(fed.server.url("/other-ta")).jwks.model_dump()))
    args = ["--anchor", fed.server.url("/other-ta"), "--anchor", fed.ta]
    result = invoke(fed.leaf, *args, "--anchor-jwks", str(other), "--anchor-jwks", str(anchor_jwks), "--dev")
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[0] == f"Trust chain for {fed.leaf} to trust anchor {fed.ta}"


def test_resolve_statement_expiring_beyond_the_calendar_is_printed_not_a_crash(
    fed: Fed, anchor_jwks: Path
) -> None:
    claims = fed.kit.configuration_claims(fed.leaf) | {"exp": 10**15}
    fed.kit.serve_token(fed.kit.ec_url(fed.leaf), fed.kit.sign(claims, by=fed.leaf))
    result = resolve(fed, anchor_jwks)
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[5] == f"      expires: {10**15} (outside the calendar)"


# -- trust marks -------------------------------------------------------------------------------


def test_resolve_revoked_trust_mark_is_marked_rejected_with_the_reason(fed: Fed, anchor_jwks: Path) -> None:
    add_trust_mark(fed, status=TrustMarkStatus.REVOKED)
    result = resolve(fed, anchor_jwks)
    assert result.exit_code == 0  # a rejected trust mark does not fail the command
    marks = result.stdout.splitlines()[-5:]
    assert marks == [
        "Trust marks (status asked of each issuer):",
        f"  - type:    {CERTIFIED}",
        f"    issuer:  {fed.mid} (as claimed)",
        f"    expires: {iso(int(fed.kit.now) + 365 * 86400)}",
        f"    REJECTED (check status): trust mark {CERTIFIED} for {fed.leaf} is revoked (status from {fed.mid})",
    ]


def test_resolve_no_status_does_not_ask_the_status_endpoint(fed: Fed, anchor_jwks: Path) -> None:
    add_trust_mark(fed, status=TrustMarkStatus.REVOKED)
    result = resolve(fed, anchor_jwks, "--no-status", "--json")
    assert result.exit_code == 0
    data = json.loads(result.stdout)
    assert data["trust_mark_status_checked"] is False
    assert [m["valid"] for m in data["trust_marks"]] == [True]
    assert fed.server.requested("/health/trust-mark-status") == []


def test_resolve_trust_mark_from_an_issuer_the_anchor_does_not_allow(fed: Fed, anchor_jwks: Path) -> None:
    add_trust_mark(fed)
    fed.kit.entities[fed.ta].trust_mark_issuers = {CERTIFIED: [fed.idp]}
    data = json.loads(resolve(fed, anchor_jwks, "--json").stdout)
    [mark] = data["trust_marks"]
    assert (mark["valid"], mark["check"]) == (False, "trust_mark_issuer")
    assert mark["reason"] == f"trust anchor {fed.ta} does not allow {fed.mid} to issue {CERTIFIED}"


def test_resolve_trust_mark_signed_with_a_key_not_the_issuers_is_rejected(
    fed: Fed, anchor_jwks: Path
) -> None:
    fed.kit.entities[fed.ta].trust_mark_issuers = {CERTIFIED: [fed.mid]}
    forged = issue_trust_mark(  # the leaf signs a mark in the intermediate's name
        fed.kit.entities[fed.leaf].keys,
        issuer=fed.mid,
        subject=fed.leaf,
        trust_mark_type=CERTIFIED,
        iat=int(fed.kit.now),
    )
    fed.kit.entities[fed.leaf].trust_marks.append({"trust_mark_type": CERTIFIED, "trust_mark": forged})
    result = resolve(fed, anchor_jwks)
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert lines[-3] == f"    issuer:  {fed.mid} (as claimed)"
    assert lines[-1].startswith("    REJECTED (check kid): trust mark: ")


# -- failures: which check, on which statement -------------------------------------------------


def test_resolve_expired_subordinate_statement_names_check_and_statement(fed: Fed, anchor_jwks: Path) -> None:
    claims = fed.kit.subordinate_claims(fed.ta, fed.mid)
    claims |= {"iat": claims["iat"] - 7200, "exp": claims["iat"] - 3600}
    fed.kit.serve_token(fed.kit.fetch_url(fed.ta, fed.mid), fed.kit.sign(claims, by=fed.ta))
    assert failure(resolve(fed, anchor_jwks)) == [
        f"Trust chain for {fed.leaf} could not be resolved:",
        f"  via {fed.leaf} -> {fed.mid} -> {fed.ta}",
        f"    check exp: subordinate statement by {fed.ta} about {fed.mid}: "
        f"statement by {fed.ta} expired (exp {claims['exp']})",
    ]


def test_resolve_wrong_typ_names_check_typ(fed: Fed, anchor_jwks: Path) -> None:
    claims = fed.kit.configuration_claims(fed.leaf)
    fed.kit.serve_token(fed.kit.ec_url(fed.leaf), fed.kit.sign(claims, by=fed.leaf, typ=JwtType.TRUST_MARK))
    assert failure(resolve(fed, anchor_jwks)) == [
        f"Trust chain for {fed.leaf} could not be resolved:",
        f"  via {fed.leaf}",
        f"    check typ: entity configuration of {fed.leaf}: "
        "JWT typ is 'trust-mark+jwt', expected 'entity-statement+jwt'",
    ]


def test_resolve_key_not_vouched_for_names_check_kid(fed: Fed, anchor_jwks: Path) -> None:
    keys = fed.kit.entities[fed.leaf].keys
    rogue = keys.rotate(overlap=0)  # the leaf signs with a new key its superior never listed
    fed.kit.entities[fed.mid].subordinates[fed.leaf].jwks = {
        "keys": [k.public_jwk() for k in keys.managed_keys() if k.kid != rogue.kid]
    }
    assert failure(resolve(fed, anchor_jwks)) == [
        f"Trust chain for {fed.leaf} could not be resolved:",
        f"  via {fed.leaf} -> {fed.mid}",
        f"    check kid: entity configuration of {fed.leaf} is signed with a key that "
        f"subordinate statement by {fed.mid} about {fed.leaf} does not vouch for: "
        f"no trusted key has kid {rogue.kid!r}",
    ]


def test_resolve_pinned_keys_that_are_not_the_anchors_fail_check_kid(fed: Fed, tmp_path: Path) -> None:
    key = generate_key()
    wrong = tmp_path / "wrong.jwks.json"
    wrong.write_text(json.dumps({"keys": [key.as_dict(private=False) | {"kid": key.kid}]}))
    lines = failure(resolve(fed, wrong))
    assert lines[1:3] == [f"  via {fed.leaf} -> {fed.mid} -> {fed.ta}", lines[2]]
    assert lines[2].startswith(f"    check kid: trust anchor entity configuration of {fed.ta}: ")


def test_resolve_html_instead_of_a_jwt_names_check_content_type(fed: Fed, anchor_jwks: Path) -> None:
    html = httpx.Response(200, content=b"<html>hello</html>", headers={"content-type": "text/html"})
    fed.kit.serve_token(fed.kit.ec_url(fed.mid), html)
    url = fed.kit.ec_url(fed.mid)
    lines = failure(resolve(fed, anchor_jwks))
    assert lines[:2] == [
        f"Trust chain for {fed.leaf} could not be resolved:",
        f"  via {fed.leaf} -> {fed.mid}",
    ]
    assert lines[2].startswith(
        f"    check content_type: entity configuration of {fed.mid}: "
        f"{url}: expected application/entity-statement+jwt, got "
    )
    assert "text/html" in lines[2]


def test_resolve_every_path_tried_is_listed(fed: Fed, anchor_jwks: Path) -> None:
    fed.kit.entities[fed.leaf].authority_hints = [fed.idp, fed.mid]
    fed.kit.serve_token(fed.kit.fetch_url(fed.mid, fed.leaf), "a.b.c")
    lines = failure(resolve(fed, anchor_jwks))
    assert lines[1:4] == [
        f"  via {fed.leaf} -> {fed.idp}",
        f"    check fetch_endpoint: {fed.idp} publishes no federation_fetch_endpoint",
        f"  via {fed.leaf} -> {fed.mid}",
    ]
    assert lines[4].startswith(f"    check format: subordinate statement by {fed.mid} about {fed.leaf}: ")


def test_resolve_terminal_escapes_in_remote_text_are_not_printed(fed: Fed, anchor_jwks: Path) -> None:
    hint = fed.server.url("/evil\x1b[2J\x07")
    fed.kit.entities[fed.leaf].authority_hints = [hint]
    lines = failure(resolve(fed, anchor_jwks))
    assert lines[1] == f"  via {fed.leaf} -> {fed.server.url('/evil?[2J?')}"
    assert lines[2].startswith("    check url: ")
    assert not any(ch in "\n".join(lines) for ch in "\x1b\x07")


def test_resolve_json_failure_lists_path_and_check(fed: Fed, anchor_jwks: Path) -> None:
    fed.kit.serve_token(fed.kit.ec_url(fed.leaf), httpx.Response(404, json={"error": "not_found"}))
    result = resolve(fed, anchor_jwks, "--json")
    assert result.exit_code == 1
    data = json.loads(result.stdout)
    assert data["resolved"] is False
    assert [(e["path"], e["check"]) for e in data["errors"]] == [([fed.leaf], "http_status")]


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


def test_resolve_unreachable_entity_names_check_connection(fed: Fed, anchor_jwks: Path) -> None:
    leaf = f"http://127.0.0.1:{_closed_port()}/gp"
    result = invoke(leaf, "--anchor", fed.ta, "--anchor-jwks", str(anchor_jwks), "--dev", "--timeout", "2")
    assert failure(result) == [
        f"Trust chain for {leaf} could not be resolved:",
        f"  via {leaf}",
        f"    check connection: entity configuration of {leaf}: "
        f"{leaf}/.well-known/openid-federation: connection failed: ConnectError",
    ]


def test_resolve_unreachable_anchor_without_jwks_names_check_connection(fed: Fed) -> None:
    anchor = f"http://127.0.0.1:{_closed_port()}/ta"
    lines = failure(invoke(fed.leaf, "--anchor", anchor, "--dev"))
    assert lines == [
        f"Trust chain for {fed.leaf} could not be resolved:",
        f"  check connection: trust anchor entity configuration of {anchor}: "
        f"{anchor}/.well-known/openid-federation: connection failed: ConnectError",
    ]


def test_resolve_unusable_key_in_a_fetched_statement_is_reported_not_a_crash(
    fed: Fed, anchor_jwks: Path
) -> None:
    claims = fed.kit.configuration_claims(fed.leaf) | {"jwks": {"keys": [{"kty": "EC", "kid": "x"}]}}
    fed.kit.serve_token(fed.kit.ec_url(fed.leaf), fed.kit.sign(claims, by=fed.leaf))
    lines = failure(resolve(fed, anchor_jwks))
    assert lines[0] == f"Trust chain for {fed.leaf} could not be resolved:"
    assert lines[1] == f"  via {fed.leaf}"
    assert lines[2].startswith(
        f"    check claims: entity configuration of {fed.leaf}: malformed entity statement: "
    )
    assert "a key in the set cannot be used" in lines[2]


# -- bad input: a clear one-line error, never a traceback --------------------------------------


def test_resolve_http_entity_id_without_dev_is_refused_with_a_hint(fed: Fed, anchor_jwks: Path) -> None:
    result = invoke(fed.leaf, "--anchor", fed.ta, "--anchor-jwks", str(anchor_jwks))
    assert result.exit_code == 2
    assert result.stderr == (
        f"Error: ENTITY_ID: {fed.leaf} is a plain http entity ID; plain http is only allowed "
        "in a local development federation: pass --dev\n"
    )
    assert fed.server.requests == []


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "Error: --anchor-jwks: cannot read {path}: No such file or directory"),
        ("{not json", "Error: --anchor-jwks: {path} is not JSON: "),
        ("[1, 2]", "Error: --anchor-jwks: {path} is not a JWK set (a JSON object with 'keys')"),
        ('{"keys": []}', "Error: --anchor-jwks: {path} is not a public JWK set: keys: "),
        (
            '{"keys": [{"kty": "EC", "kid": "a", "crv": "P-256", "x": "x", "y": "y", "d": "d"}]}',
            "Error: --anchor-jwks: {path} is not a public JWK set: keys: Value error, key 'a' carries "
            "private key material",
        ),
        (
            '{"keys": [{"kty": "EC", "kid": "a"}]}',
            "Error: --anchor-jwks: {path} is not a public JWK set: jwks: Value error, a key in the set cannot be used: ",
        ),
    ],
)
def test_resolve_bad_anchor_jwks_file_is_a_one_line_usage_error(
    fed: Fed, tmp_path: Path, content: str | None, message: str
) -> None:
    path = tmp_path / "anchor.jwks.json"
    if content is not None:
        path.write_text(content, encoding="utf-8")
    result = resolve(fed, path)
    assert result.exit_code == 2
    assert len(result.stderr.splitlines()) == 1
    assert result.stderr.startswith(message.format(path=path))
    assert result.stdout == ""


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["https://gp.example"], "Error: --anchor: at least one trust anchor is needed"),
        (
            ["gp.example", "--anchor", "https://ta.example"],
            "Error: ENTITY_ID: 'gp.example' is not an entity identifier (an https URL with a host)",
        ),
        (
            ["https://gp.example", "--anchor", "https://ta.example?x=1"],
            "Error: --anchor: https://ta.example?x=1 has a query or fragment; an entity identifier has neither",
        ),
        (["https://gp.example:99999", "--anchor", "https://ta.example"], "Error: ENTITY_ID: 'https://gp."),
        (
            ["https://gp.example", "--anchor", "https://ta .example"],
            "Error: --anchor: 'https://ta .example' contains whitespace or control characters",
        ),
        (
            ["https://gp.example", "--anchor", "https://ta.example", "--timeout", "0"],
            "Error: --timeout: must be a positive number of seconds",
        ),
        (
            [
                "https://gp.example",
                *("--anchor", "https://a.example", "--anchor", "https://b.example"),
                *("--anchor-jwks", "x.json"),
            ],
            "Error: --anchor-jwks: give one per --anchor, in the same order (2 anchors, 1 files)",
        ),
    ],
)
def test_resolve_bad_options_are_one_line_usage_errors(args: list[str], message: str) -> None:
    result = invoke(*args)
    assert result.exit_code == 2
    assert len(result.stderr.splitlines()) == 1
    assert result.stderr.startswith(message)


def test_resolve_failure_as_a_real_process_has_no_traceback(fed: Fed, anchor_jwks: Path) -> None:
    leaf = f"http://127.0.0.1:{_closed_port()}/gp"
    env: dict[str, Any] = {**os.environ, "PYTHONPATH": str(REPO)}
    done = subprocess.run(
        [
            *(sys.executable, "-m", "ukid", "federation", "resolve", leaf),
            *("--anchor", fed.ta, "--dev", "--anchor-jwks", str(anchor_jwks)),
        ],
        check=False,
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    assert done.stderr.splitlines()[0] == f"Trust chain for {leaf} could not be resolved:"
