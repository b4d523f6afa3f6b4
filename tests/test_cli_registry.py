"""``ukid registry``: serve and migrate a trust registry, and administer it over its admin API
(onboarding §3.1/§9, trust marks §7 and their status §8.4, key rotation §8.7, the audit log).

The commands run in process against a registry under test (regkit: the real app on SQLite, its admin
API reached through the commands' HTTP client); ``test_cli_registry_process`` runs them as real
processes against ``ukid registry serve --dev``. No output ever holds a traceback.
"""

from __future__ import annotations

import json
import os
import re
import socket
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner, Result

from federation.jose import decode_unverified
from tests.dbkit import database
from tests.federation.http_server import Response, RouteTable, serve
from tests.trust_registry.regkit import (
    ADMIN_TOKEN,
    ANCHOR,
    RegistryKit,
    council_metadata,
    registry_kit,
)
from trust_registry.migrate import head_revision
from ukid import _registry_admin
from ukid.cli import build_app
from ukid.registry_admin_cli import changed_summary

COUNCIL = "https://council.example"
COUNCIL_TYPE = f"{ANCHOR}/trust-mark-types/council"
CLAIMS = {"council": {"gss_code": "E07000178", "name": "Oxford City Council"}}
LONG_TOKEN = "ops-token-0123456789abcdefghijklmnopqrstuvwxyz"


def iso(epoch: float) -> str:
    return datetime.fromtimestamp(int(epoch), UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


def run(*args: str, env: dict[str, str] | None = None) -> Result:
    result = CliRunner().invoke(build_app(), ["registry", *args], env=env)
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.output
    return result


def admin(*args: str) -> Result:
    return run(*args, "--registry", ANCHOR, "--token", ADMIN_TOKEN)


def failure(result: Result, code: int = 1) -> list[str]:
    assert result.exit_code == code, result.output
    assert result.stdout == ""
    return result.stderr.splitlines()


def columns(result: Result) -> list[list[str]]:
    """The rows of a printed table, split into cells."""
    assert result.exit_code == 0, result.output
    return [re.split(r"\s{2,}", line) for line in result.stdout.splitlines()]


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.upper().startswith("UKID_REGISTRY"):
            monkeypatch.delenv(name)


def _forwarding_client(kit: RegistryKit) -> httpx.Client:
    def forward(request: httpx.Request) -> httpx.Response:
        answer = kit.client.send(request)
        return httpx.Response(answer.status_code, headers=answer.headers, content=answer.content)

    return httpx.Client(transport=httpx.MockTransport(forward))


@pytest.fixture
def kit(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[RegistryKit]:
    """A trust anchor that owns the council type; the commands' HTTP goes to it in process."""
    with (
        database("sqlite", tmp_path) as url,
        registry_kit(url, tmp_path, trust_mark_owners=["council"]) as running,
    ):
        monkeypatch.setattr(_registry_admin, "http_client", lambda: _forwarding_client(running))
        yield running


@pytest.fixture
def member(kit: RegistryKit) -> str:
    kit.member(COUNCIL, council_metadata(COUNCIL))
    return COUNCIL


def kid_of(kit: RegistryKit, entity_id: str) -> str:
    return str(kit.fed.entities[entity_id].keys.public_jwks()["keys"][0]["kid"])


# -- options ----------------------------------------------------------------------------------


def test_admin_command_without_token_exits_2_naming_the_variable() -> None:
    assert failure(run("list-subordinates", "--registry", ANCHOR), 2) == [
        "Error: --token: no admin token given: set UKID_REGISTRY_ADMIN_TOKEN (or pass --token TOKEN)"
    ]


def test_admin_command_without_registry_exits_2() -> None:
    assert failure(run("audit", "--token", ADMIN_TOKEN), 2) == [
        "Error: --registry: no registry given: pass --registry URL or set UKID_REGISTRY_URL"
    ]


def test_registry_that_is_not_an_entity_id_exits_2() -> None:
    result = run("audit", "--registry", "https://registry.example/?x=1", "--token", ADMIN_TOKEN)
    assert failure(result, 2) == [
        "Error: --registry: 'https://registry.example/?x=1' is not an entity ID (an https URL with no query)"
    ]


def test_bad_option_values_exit_2_before_any_request(tmp_path: Path) -> None:
    (tmp_path / "list.json").write_text("[1]")
    (tmp_path / "broken.json").write_text("{")
    cases = [
        (["issue-trust-mark", "--type", "council", "--sub", COUNCIL, "--lifetime", "3x"],
         "Error: --lifetime: '3x' is not a duration (a whole number with s, m, h, d or w, e.g. 7d)"),
        (["add-subordinate", COUNCIL, "--constraints", str(tmp_path / "list.json")],
         f"Error: --constraints: {tmp_path / 'list.json'} must hold a JSON object"),
        (["issue-trust-mark", "--type", "council", "--sub", COUNCIL, "--claims", str(tmp_path / "none.json")],
         f"Error: --claims: cannot read {tmp_path / 'none.json'}: No such file or directory"),
        (["install-delegation", "--owner", ANCHOR, "not-a-jwt"],
         "Error: DELEGATION: not a compact JWT (three base64url parts separated by dots)"),
        (["rotate-keys", "--overlap", "soon"],
         "Error: --overlap: 'soon' is not a duration (a whole number with s, m, h, d or w, e.g. 7d)"),
    ]  # fmt: skip
    for args, message in cases:
        assert failure(admin(*args), 2) == [message], args
    broken = failure(admin("add-subordinate", COUNCIL, "--metadata", str(tmp_path / "broken.json")), 2)
    assert broken[0].startswith(f"Error: --metadata: {tmp_path / 'broken.json'} is not JSON: ")
    assert admin("audit", "--limit", "0").exit_code == 2
    assert admin("revoke-trust-mark", "0").exit_code == 2


# -- members (§3.1, §9) -----------------------------------------------------------------------


def test_add_subordinate_onboards_the_member_and_prints_it(kit: RegistryKit, member: str) -> None:
    result = admin("add-subordinate", member)
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [
        f"added subordinate {member}",
        "  organisation:      Example Borough Council",
        "  entity types:      federation_entity, openid_relying_party",
        f"  federation kids:   {kid_of(kit, member)}",
        "  status:            active",
        f"  statement expires: {iso(kit.clock[0] + 86400)}",
    ]
    assert kit.client.get("/fetch", params={"sub": member}).status_code == 200
    assert kit.client.get("/list").json() == [member]


def test_add_subordinate_sends_policy_and_constraints_files_and_prints_json(
    kit: RegistryKit, member: str, tmp_path: Path
) -> None:
    policy = {"openid_relying_party": {"grant_types": {"subset_of": ["authorization_code"]}}}
    (tmp_path / "policy.json").write_text(json.dumps(policy))
    (tmp_path / "constraints.json").write_text(json.dumps({"max_path_length": 0}))
    result = admin(
        "add-subordinate", member, "--json",
        "--metadata-policy", str(tmp_path / "policy.json"), "--constraints", str(tmp_path / "constraints.json"),
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    shown = kit.admin("GET", "/subordinate", sub=member).json()
    assert json.loads(result.stdout) == shown
    assert shown["metadata_policy"] == policy
    assert shown["constraints"] == {"max_path_length": 0}


def test_add_subordinate_refused_prints_the_registry_error_and_changes_nothing(kit: RegistryKit) -> None:
    kit.member(COUNCIL, council_metadata(COUNCIL), hints=["https://elsewhere.example"])
    before = kit.snapshot()
    assert failure(admin("add-subordinate", COUNCIL)) == [
        f"Error: invalid_request: entity configuration of {COUNCIL} does not name {ANCHOR} in its authority_hints"
    ]
    assert kit.snapshot() == before


def test_wrong_admin_token_prints_invalid_client(kit: RegistryKit) -> None:
    result = run("list-subordinates", "--registry", ANCHOR, "--token", "not-the-token")
    assert failure(result) == ["Error: invalid_client: the admin token is not valid"]


def test_registry_and_token_come_from_the_environment(kit: RegistryKit, member: str) -> None:
    kit.onboard(member)
    result = run(
        "list-subordinates", env={"UKID_REGISTRY_URL": ANCHOR, "UKID_REGISTRY_ADMIN_TOKEN": ADMIN_TOKEN}
    )
    assert columns(result) == [
        ["ENTITY ID", "STATUS", "ORGANISATION", "ENTITY TYPES"],
        [member, "active", "Example Borough Council", "federation_entity, openid_relying_party"],
    ]


def test_suspend_reinstate_refresh_and_remove_subordinate(kit: RegistryKit, member: str) -> None:
    kit.onboard(member)
    suspended = admin("suspend-subordinate", member)
    assert suspended.stdout.splitlines()[:5:4] == [
        f"suspended subordinate {member}",
        "  status:            suspended",
    ]
    assert kit.client.get("/fetch", params={"sub": member}).status_code == 404
    assert failure(admin("suspend-subordinate", member)) == [
        f"Error: invalid_request: {member} is already suspended"
    ]
    reinstated = admin("reinstate-subordinate", member)
    assert reinstated.stdout.splitlines()[:5:4] == [
        f"reinstated subordinate {member}",
        "  status:            active",
    ]
    assert kit.client.get("/fetch", params={"sub": member}).status_code == 200
    kit.fed.entities[member].keys.rotate(overlap=0)
    refreshed = admin("refresh-keys", member, "--json")
    assert refreshed.exit_code == 0, refreshed.output
    assert json.loads(refreshed.stdout)["federation_kids"] == [kid_of(kit, member)]
    removed = admin("remove-subordinate", member)
    assert removed.stdout.splitlines()[0] == f"removed subordinate {member}"
    assert admin("list-subordinates").stdout == "no subordinates\n"
    assert failure(admin("remove-subordinate", member)) == [
        f"Error: not_found: {member} is not a subordinate of {ANCHOR}"
    ]


# -- trust marks (§7, §8.4) and delegations (§7.2.1) ------------------------------------------


def test_issue_list_and_revoke_a_council_trust_mark(kit: RegistryKit, member: str, tmp_path: Path) -> None:
    kit.onboard(member)
    (tmp_path / "claims.json").write_text(json.dumps(CLAIMS))
    issued = admin(
        "issue-trust-mark", "--type", "council", "--sub", member, "--claims", str(tmp_path / "claims.json"),
        "--lifetime", "30d",
    )  # fmt: skip
    assert issued.exit_code == 0, issued.output
    served = kit.client.get("/trust-mark", params={"trust_mark_type": COUNCIL_TYPE, "sub": member}).text
    now = int(kit.clock[0])
    assert issued.stdout.splitlines() == [
        "issued trust mark 1",
        f"  type:    {COUNCIL_TYPE}",
        f"  sub:     {member}",
        f"  expires: {iso(now + 30 * 86400)}",
        "  trust mark:",
        served,
    ]
    claims = decode_unverified(served)[1]
    assert (claims["council"], claims["exp"] - claims["iat"]) == (CLAIMS["council"], 30 * 86400)
    listed = [
        ["ID", "TYPE", "SUB", "EXPIRES", "STATUS"],
        ["1", COUNCIL_TYPE, member, iso(now + 30 * 86400), "active"],
    ]
    assert columns(admin("list-trust-marks", "--type", "council", "--sub", member)) == listed
    assert admin("list-trust-marks", "--type", "nhs_organisation").stdout == "no trust marks\n"
    revoked = admin("revoke-trust-mark", "1", "--reason", "council merged")
    assert revoked.stdout.splitlines() == [
        "revoked trust mark 1",
        f"  type:    {COUNCIL_TYPE}",
        f"  sub:     {member}",
        f"  revoked: {iso(now)}",
        "  reason:  council merged",
    ]
    status = kit.client.post("/trust-mark-status", data={"trust_mark": served})
    assert decode_unverified(status.text)[1]["status"] == "revoked"
    assert columns(admin("list-trust-marks"))[1][4] == "revoked"
    assert json.loads(admin("list-trust-marks", "--json").stdout) == kit.admin("GET", "/trust-marks").json()
    assert failure(admin("revoke-trust-mark", "1")) == [
        "Error: invalid_request: trust mark 1 is already revoked"
    ]


def test_issue_trust_mark_with_claims_the_schema_refuses_exits_1(
    kit: RegistryKit, member: str, tmp_path: Path
) -> None:
    kit.onboard(member)
    (tmp_path / "claims.json").write_text(json.dumps({"council": {"name": "Oxford City Council"}}))
    result = admin(
        "issue-trust-mark", "--type", "council", "--sub", member, "--claims", str(tmp_path / "claims.json")
    )
    assert failure(result) == ["Error: invalid_request: trust mark claims: council.gss_code: Field required"]


def test_delegate_prints_a_delegation_that_install_delegation_keeps(kit: RegistryKit, tmp_path: Path) -> None:
    result = admin("delegate", "--issuer", ANCHOR, "--type", "council", "--lifetime", "365d")
    assert result.exit_code == 0, result.output
    token = result.stdout.strip()
    header, claims = decode_unverified(token)
    assert header["typ"] == "trust-mark-delegation+jwt"
    assert (claims["iss"], claims["sub"], claims["trust_mark_type"]) == (ANCHOR, ANCHOR, COUNCIL_TYPE)
    assert claims["exp"] - claims["iat"] == 365 * 86400
    (tmp_path / "delegation.jwt").write_text(token + "\n")
    installed = admin("install-delegation", "--owner", ANCHOR, f"@{tmp_path / 'delegation.jwt'}")
    assert installed.stdout == f"installed the delegation from {ANCHOR} for {COUNCIL_TYPE}\n"
    refused = admin("delegate", "--issuer", ANCHOR, "--type", "nhs_organisation")
    assert failure(refused) == [
        f"Error: invalid_request: this registry does not own trust mark type 'nhs_organisation' (owned: {COUNCIL_TYPE})"
    ]


# -- keys (§8.7) and the audit log ------------------------------------------------------------


def test_rotate_keys_prints_the_published_keys(kit: RegistryKit) -> None:
    def published() -> set[str]:
        configuration = decode_unverified(kit.client.get("/.well-known/openid-federation").text)[1]
        return {str(key["kid"]) for key in configuration["jwks"]["keys"]}

    before = published()
    result = admin("rotate-keys", "--overlap", "1h")
    assert result.exit_code == 0, result.output
    kids = result.stdout.removeprefix("rotated the signing key; published keys: ").strip().split(", ")
    assert len(kids) == 2
    assert before < set(kids) == published()
    assert failure(admin("rotate-keys", "--overlap", "91d")) == [
        "Error: invalid_request: overlap: Input should be less than or equal to 7776000"
    ]


def test_audit_prints_who_did_what_when_and_what_changed(kit: RegistryKit, member: str) -> None:
    kit.onboard(member)
    kit.admin("POST", "/subordinate/suspend", sub=member)
    when = iso(kit.clock[0])
    assert columns(admin("audit")) == [
        ["ID", "TIME", "ACTOR", "ACTION", "TARGET", "CHANGED"],
        ["1", when, "tester", "add_subordinate", member, "created"],
        ["2", when, "tester", "suspend_subordinate", member, "status: active -> suspended"],
    ]
    page = admin("audit", "--after", "1", "--limit", "1")
    assert columns(page)[1][:4] == ["2", when, "tester", "suspend_subordinate"]
    assert page.stderr == "more entries may follow: --after 2\n"
    as_json = admin("audit", "--json", "--target", member)
    assert json.loads(as_json.stdout) == kit.admin("GET", "/audit", target=member).json()
    assert admin("audit", "--target", "https://other.example").stdout == "no audit entries\n"


def test_changed_summary_names_the_keys_that_differ() -> None:
    long = "x" * 41
    assert changed_summary(None, {"a": 1}) == "created"
    assert changed_summary({"a": 1}, None) == "removed"
    assert changed_summary(None, None) == "-"
    assert changed_summary({"a": 1, "b": long, "c": 2}, {"a": 1, "b": "y", "d": True}) == (
        "b, c: 2 -> (none), d: (none) -> true"
    )
    assert (
        changed_summary({"revoked_at": None}, {"revoked_at": 1700000000}) == "revoked_at: null -> 1700000000"
    )
    assert changed_summary({"a": 1}, {"a": 1}) == "no change"
    assert changed_summary([1], [2]) == "changed"
    assert changed_summary({}, {f"k{i}": i for i in range(40)}, limit=20) == "k0: (none) -> 0, ..."


# -- the registry's answers -------------------------------------------------------------------


def test_unreachable_registry_is_one_line_and_exit_1() -> None:
    url = f"http://127.0.0.1:{free_port()}"
    lines = failure(run("audit", "--registry", url, "--token", ADMIN_TOKEN))
    assert len(lines) == 1
    assert lines[0].startswith(f"Error: cannot reach the registry at {url}: ")


def test_answers_that_are_not_the_registrys_name_the_request_and_what_was_wrong() -> None:
    routes: RouteTable = {
        "/ta/admin/subordinates": Response(502, b"<html>bad gateway</html>", "text/html"),
        "/ta/admin/audit": Response.json([1, 2]),
        "/ta/admin/subordinate/suspend": Response(200, b"ok", "text/plain"),
    }
    with serve(routes) as server:
        ta = f"{server.base_url}/ta"
        listed = run("list-subordinates", "--registry", f"{ta}/", "--token", ADMIN_TOKEN)
        assert server.requests[0].headers["authorization"] == f"Bearer {ADMIN_TOKEN}"
        audit = run("audit", "--registry", ta, "--token", ADMIN_TOKEN)
        suspended = run("suspend-subordinate", COUNCIL, "--registry", ta, "--token", ADMIN_TOKEN)
    assert failure(listed) == [
        f"Error: GET {ta}/admin/subordinates: HTTP 502 Bad Gateway, no registry error body"
    ]
    assert failure(audit) == [f"Error: GET {ta}/admin/audit: the answer is not a JSON array of objects"]
    assert failure(suspended) == [
        f"Error: POST {ta}/admin/subordinate/suspend: HTTP 200 OK, an answer that is not JSON"
    ]


def test_plain_http_to_a_host_other_than_loopback_warns_that_the_token_is_in_clear() -> None:
    result = run("audit", "--registry", "http://registry.invalid", "--token", ADMIN_TOKEN)
    lines = failure(result)
    assert lines[0] == "Warning: the admin token goes over plain http to registry.invalid"
    assert lines[1].startswith("Error: cannot reach the registry at http://registry.invalid: ")


# -- serve and migrate ------------------------------------------------------------------------


def test_serve_with_invalid_settings_prints_each_problem_and_exits_2() -> None:
    assert failure(run("serve", "--port", str(free_port())), 2) == [
        "Error: entity_id (--entity-id or UKID_REGISTRY_ENTITY_ID): Field required"
    ]
    plain = run("serve", "--entity-id", "http://registry.example", env={"UKID_REGISTRY_ADMIN_TOKENS": "{}"})
    assert failure(plain, 2) == [
        "Error: settings: entity IDs must be https URLs outside the development environment (`dev`)"
    ]
    broken = run("serve", "--entity-id", ANCHOR, env={"UKID_REGISTRY_ADMIN_TOKENS": "not json"})
    assert failure(broken, 2) == [
        'Error: error parsing value for field "admin_tokens" from source "EnvSettingsSource"'
    ]
    assert failure(run("serve", "--dev", "--role", "intermediate"), 2) == [
        "Error: settings: an intermediate needs authority_hints (its superiors)"
    ]
    assert run("serve", "--role", "leaf").exit_code == 2
    assert run("serve", "--port", "0").exit_code == 2


def test_non_dev_serve_needs_a_migrated_database_then_keys(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'data' / 'registry.db'}"
    env = {
        "UKID_REGISTRY_ENVIRONMENT": "test",
        "UKID_REGISTRY_ENTITY_ID": ANCHOR,
        "UKID_REGISTRY_ADMIN_TOKENS": json.dumps({"ops": LONG_TOKEN}),
        "UKID_REGISTRY_DATA_DIR": str(tmp_path / "data"),
    }
    serve_args = ("serve", "--port", str(free_port()))
    unmigrated = f"Error: the database {url} is not migrated: run `ukid registry migrate` first"
    assert failure(run(*serve_args, env=env)) == [unmigrated]
    assert failure(run("migrate", "--check", env=env)) == [unmigrated]
    migrated = run("migrate", env=env)
    assert migrated.stdout == f"{url}: migrated to schema revision {head_revision()}\n"
    assert run("migrate", "--check", "--database-url", url).stdout == (
        f"{url}: at schema revision {head_revision()}, the newest\n"
    )
    keys = tmp_path / "data" / "keys"
    assert failure(run(*serve_args, env=env)) == [
        f"Error: no usable federation signing key in {keys}: create one with `ukid keys new {keys}`"
    ]
    assert failure(run("migrate", "--database-url", "mysql://db.example/registry"), 2) == [
        "Error: --database-url: unsupported database mysql://db.example/registry: "
        "use sqlite:/// or postgresql+psycopg://"
    ]


def test_serve_intermediate_takes_authority_hints_and_pinned_trust_anchors_as_options(tmp_path: Path) -> None:
    missing = tmp_path / "missing.jwks.json"
    args = (
        "serve",
        "--dev",
        "--role",
        "intermediate",
        "--port",
        str(free_port()),
        "--data-dir",
        str(tmp_path / "health"),
        "--authority-hint",
        "http://127.0.0.1:8000",
    )
    lines = failure(run(*args, "--trust-anchor", f"http://127.0.0.1:8000={missing}"))
    assert len(lines) == 1
    assert lines[0].startswith(f"Error: {missing}: not a readable JWKS file")
    production = {
        "UKID_REGISTRY_ENVIRONMENT": "test",
        "UKID_REGISTRY_ADMIN_TOKENS": json.dumps({"ops": LONG_TOKEN}),
    }
    unpinned = run(
        "serve",
        "--role",
        "intermediate",
        "--entity-id",
        "https://health.example",
        "--authority-hint",
        ANCHOR,
        "--trust-anchor",
        ANCHOR,
        env=production,
    )
    assert failure(unpinned, 2) == [
        f"Error: settings: trust anchor {ANCHOR}: jwks_file (pinned keys) is required"
    ]
