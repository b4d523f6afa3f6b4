"""``ukid registry add-subordinate | issue-trust-mark | revoke-trust-mark | audit ...``: administer a
running trust registry through its admin API over HTTP (``{entity ID}/admin/...``, see
:mod:`ukid._registry_admin`).

Every command needs ``--registry`` (the registry's entity ID, or ``UKID_REGISTRY_URL``) and an admin
bearer token (``--token`` or, better, ``UKID_REGISTRY_ADMIN_TOKEN``). Onboarding fetches and checks
the member's entity configuration (OpenID Federation 1.0 §3.1, §9); trust marks follow §7 and their
status §8.4. A refusal prints the registry's ``error: error_description`` (§8.9) and exits 1; bad
options exit 2; nothing prints a traceback.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import typer

from ukid._format import iso_utc
from ukid._registry_admin import (
    EntityArgument,
    JsonOption,
    RegistryOption,
    TokenOption,
    admin_api,
    echo,
    fail,
    json_file,
    print_json,
    seconds,
    table,
    text,
)

__all__ = ["add_admin_commands", "changed_summary"]

_COMPACT_JWT = re.compile(r"[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+")


# -- members (§3.1, §9) -----------------------------------------------------------------------


def _show_member(headline: str, view: dict[str, Any], as_json: bool) -> None:
    if as_json:
        print_json(view)
        return
    echo(headline)
    echo(f"  organisation:      {text(view.get('organization_name'))}")
    echo(f"  entity types:      {text(view.get('entity_types'))}")
    echo(f"  federation kids:   {text(view.get('federation_kids'))}")
    echo(f"  status:            {text(view.get('status'))}")
    exp = view.get("statement_exp")
    echo(f"  statement expires: {iso_utc(exp) if isinstance(exp, int) else '-'}")


def _add_subordinate(
    entity_id: EntityArgument,
    *,
    metadata_policy: Annotated[
        Path | None,
        typer.Option(
            "--metadata-policy", help="JSON file: metadata policy for the member (§6.1).", show_default=False
        ),
    ] = None,
    metadata: Annotated[
        Path | None,
        typer.Option(
            "--metadata", help="JSON file: metadata overriding the member's own (§3.1).", show_default=False
        ),
    ] = None,
    constraints: Annotated[
        Path | None,
        typer.Option("--constraints", help="JSON file: trust chain constraints (§6.2).", show_default=False),
    ] = None,
    as_json: JsonOption = False,
    registry: RegistryOption = None,
    token: TokenOption = None,
) -> None:
    """Onboard ENTITY_ID: the registry fetches and checks its entity configuration and signs a
    subordinate statement about it."""
    admin = admin_api(registry, token)
    body: dict[str, Any] = {"entity_id": entity_id}
    for name, option, path in (
        ("metadata_policy", "--metadata-policy", metadata_policy),
        ("metadata", "--metadata", metadata),
        ("constraints", "--constraints", constraints),
    ):
        if path is not None:
            body[name] = json_file(option, path)
    view = admin.call("POST", "/subordinates", body)
    _show_member(f"added subordinate {text(view.get('entity_id'))}", view, as_json)


def _member_command(path: str, method: str, verb: str, doc: str) -> Callable[..., None]:
    def command(
        entity_id: EntityArgument,
        as_json: JsonOption = False,
        registry: RegistryOption = None,
        token: TokenOption = None,
    ) -> None:
        view = admin_api(registry, token).call(method, path, sub=entity_id)
        _show_member(f"{verb} subordinate {text(view.get('entity_id'))}", view, as_json)

    command.__doc__ = doc
    return command


def _list_subordinates(
    as_json: JsonOption = False, registry: RegistryOption = None, token: TokenOption = None
) -> None:
    """List the registry's subordinates."""
    views = admin_api(registry, token).call_list("/subordinates")
    if as_json:
        print_json(views)
        return
    if not views:
        echo("no subordinates")
        return
    rows = [
        [
            text(v.get("entity_id")),
            text(v.get("status")),
            text(v.get("organization_name")),
            text(v.get("entity_types")),
        ]
        for v in views
    ]
    table(["ENTITY ID", "STATUS", "ORGANISATION", "ENTITY TYPES"], rows)


# -- trust marks (§7, §8.4) -------------------------------------------------------------------


def _mark_status(view: dict[str, Any], now: float) -> str:
    if view.get("revoked_at") is not None:
        return "revoked"
    exp = view.get("exp")
    return "expired" if isinstance(exp, int) and exp <= now else "active"


def _issue_trust_mark(
    *,
    trust_mark_type: Annotated[
        str,
        typer.Option(
            "--type",
            help="Trust mark type: a kind (council, certified_identity_service_provider, nhs_organisation) "
            "or a type URL.",
            show_default=False,
        ),
    ],
    sub: Annotated[str, typer.Option("--sub", help="Entity ID of the member.", show_default=False)],
    claims: Annotated[
        Path | None,
        typer.Option(
            "--claims", help='JSON file: the type\'s own claims, e.g. {"council": {...}}.', show_default=False
        ),
    ] = None,
    lifetime: Annotated[
        str | None,
        typer.Option(
            "--lifetime",
            help="How long it is valid: seconds, or e.g. 12h, 30d; 0 for no expiry "
            "(default: the registry's).",
            show_default=False,
        ),
    ] = None,
    as_json: JsonOption = False,
    registry: RegistryOption = None,
    token: TokenOption = None,
) -> None:
    """Issue a trust mark to a member (§7); prints its id and the signed trust mark."""
    admin = admin_api(registry, token)
    body: dict[str, Any] = {"trust_mark_type": trust_mark_type, "sub": sub}
    if claims is not None:
        body["claims"] = json_file("--claims", claims)
    if lifetime is not None:
        body["lifetime"] = seconds("--lifetime", lifetime)
    view = admin.call("POST", "/trust-marks", body)
    if as_json:
        print_json(view)
        return
    exp = view.get("exp")
    echo(f"issued trust mark {text(view.get('id'))}")
    echo(f"  type:    {text(view.get('trust_mark_type'))}")
    echo(f"  sub:     {text(view.get('sub'))}")
    echo(f"  expires: {iso_utc(exp) if isinstance(exp, int) else 'no expiry'}")
    echo("  trust mark:")
    echo(text(view.get("trust_mark")))


def _revoke_trust_mark(
    mark_id: Annotated[
        int,
        typer.Argument(
            metavar="ID", min=1, help="Id of the trust mark (from issue or list).", show_default=False
        ),
    ],
    reason: Annotated[
        str | None,
        typer.Option("--reason", help="Why it is revoked (kept in the audit log).", show_default=False),
    ] = None,
    as_json: JsonOption = False,
    registry: RegistryOption = None,
    token: TokenOption = None,
) -> None:
    """Revoke a trust mark: its status becomes revoked (§8.4.2)."""
    admin = admin_api(registry, token)
    body: dict[str, Any] = {"id": mark_id}
    if reason is not None:
        body["reason"] = reason
    view = admin.call("POST", "/trust-marks/revoke", body)
    if as_json:
        print_json(view)
        return
    echo(f"revoked trust mark {text(view.get('id'))}")
    echo(f"  type:    {text(view.get('trust_mark_type'))}")
    echo(f"  sub:     {text(view.get('sub'))}")
    revoked = view.get("revoked_at")
    echo(f"  revoked: {iso_utc(revoked) if isinstance(revoked, int) else '-'}")
    echo(f"  reason:  {text(view.get('revocation_reason'))}")


def _list_trust_marks(
    sub: Annotated[str | None, typer.Option("--sub", help="Only those issued to this entity ID.")] = None,
    trust_mark_type: Annotated[
        str | None, typer.Option("--type", help="Only this type (kind or type URL).")
    ] = None,
    as_json: JsonOption = False,
    registry: RegistryOption = None,
    token: TokenOption = None,
) -> None:
    """List the trust marks the registry issued, newest first (revoked and expired included)."""
    views = admin_api(registry, token).call_list("/trust-marks", sub=sub, trust_mark_type=trust_mark_type)
    if as_json:
        print_json(views)
        return
    if not views:
        echo("no trust marks")
        return
    now = time.time()
    rows = [
        [
            text(v.get("id")),
            text(v.get("trust_mark_type")),
            text(v.get("sub")),
            iso_utc(v["exp"]) if isinstance(v.get("exp"), int) else "no expiry",
            _mark_status(v, now),
        ]
        for v in views
    ]
    table(["ID", "TYPE", "SUB", "EXPIRES", "STATUS"], rows)


def _delegate(
    *,
    issuer: Annotated[
        str, typer.Option("--issuer", help="Entity ID allowed to issue the type.", show_default=False)
    ],
    trust_mark_type: Annotated[
        str,
        typer.Option(
            "--type", help="Trust mark type this anchor owns (kind or type URL).", show_default=False
        ),
    ],
    lifetime: Annotated[
        str | None,
        typer.Option(
            "--lifetime",
            help="How long the delegation is valid, e.g. 365d (default: no expiry).",
            show_default=False,
        ),
    ] = None,
    as_json: JsonOption = False,
    registry: RegistryOption = None,
    token: TokenOption = None,
) -> None:
    """Trust anchor: delegate issuing a trust mark type it owns to ISSUER (§7.2.1); prints the
    delegation JWT for the issuer to install."""
    admin = admin_api(registry, token)
    body: dict[str, Any] = {"issuer": issuer, "trust_mark_type": trust_mark_type}
    if lifetime is not None:
        body["lifetime"] = seconds("--lifetime", lifetime)
    answer = admin.call("POST", "/delegations", body)
    if as_json:
        print_json(answer)
    else:
        echo(text(answer.get("delegation")))


def _install_delegation(
    delegation: Annotated[
        str,
        typer.Argument(
            metavar="DELEGATION_JWT_OR_@FILE",
            help="The delegation JWT, or @FILE holding it.",
            show_default=False,
        ),
    ],
    owner: Annotated[
        str,
        typer.Option("--owner", help="Entity ID of the trust anchor that owns the type.", show_default=False),
    ],
    as_json: JsonOption = False,
    registry: RegistryOption = None,
    token: TokenOption = None,
) -> None:
    """Keep a trust mark owner's delegation; trust marks of that type then carry it (§7.2.1)."""
    admin = admin_api(registry, token)
    if delegation.startswith("@"):
        path = Path(delegation[1:])
        try:
            delegation = path.read_text(encoding="utf-8").strip()
        except (OSError, UnicodeDecodeError) as exc:
            reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
            raise fail(f"DELEGATION: cannot read {path}: {reason}", 2) from None
    if not _COMPACT_JWT.fullmatch(delegation):
        raise fail("DELEGATION: not a compact JWT (three base64url parts separated by dots)", 2)
    answer = admin.call("PUT", "/delegation", {"delegation": delegation, "owner": owner})
    if as_json:
        print_json(answer)
    else:
        echo(f"installed the delegation from {owner} for {text(answer.get('trust_mark_type'))}")


def _rotate_keys(
    overlap: Annotated[
        str,
        typer.Option(
            "--overlap", help="How long the previous key stays published: seconds, or e.g. 12h, 7d."
        ),
    ] = "7d",
    as_json: JsonOption = False,
    registry: RegistryOption = None,
    token: TokenOption = None,
) -> None:
    """Rotate the registry's federation signing key and sign every subordinate statement again (§8.7)."""
    admin = admin_api(registry, token)
    answer = admin.call("POST", "/keys/rotate", {"overlap": seconds("--overlap", overlap)})
    if as_json:
        print_json(answer)
    else:
        echo(f"rotated the signing key; published keys: {text(answer.get('kids'))}")


# -- audit ------------------------------------------------------------------------------------


def _compact(value: Any) -> str | None:
    """A short scalar as text, or None when it is too long or not a scalar."""
    if isinstance(value, str):
        shown = value
    elif value is None or isinstance(value, bool | int | float):
        shown = json.dumps(value)
    else:
        return None
    return shown if len(shown) <= 40 else None


def changed_summary(before: Any, after: Any, limit: int = 160) -> str:
    """One line saying what an audited change changed: the keys whose values differ between
    ``before`` and ``after`` (``key: old -> new`` when both are short), ``created`` or ``removed``."""
    if before is None:
        summary = "-" if after is None else "created"
    elif after is None:
        summary = "removed"
    elif isinstance(before, dict) and isinstance(after, dict):
        parts = []
        for key in sorted(before.keys() | after.keys()):
            if key in before and key in after and before[key] == after[key]:
                continue
            old = _compact(before.get(key)) if key in before else "(none)"
            new = _compact(after.get(key)) if key in after else "(none)"
            parts.append(f"{key}: {old} -> {new}" if old is not None and new is not None else str(key))
        summary = ", ".join(parts) or "no change"
    else:
        summary = "no change" if before == after else "changed"
    return summary if len(summary) <= limit else summary[: limit - 3] + "..."


def _audit(
    *,
    after: Annotated[int, typer.Option("--after", min=0, help="Only entries with an id above this.")] = 0,
    limit: Annotated[int, typer.Option("--limit", min=1, max=1000, help="At most this many entries.")] = 100,
    target: Annotated[
        str | None, typer.Option("--target", help="Only entries about this entity ID (or type).")
    ] = None,
    as_json: JsonOption = False,
    registry: RegistryOption = None,
    token: TokenOption = None,
) -> None:
    """Print the audit log, oldest first: who changed what, when, and what changed."""
    entries = admin_api(registry, token).call_list(
        "/audit", after=str(after), limit=str(limit), target=target
    )
    if as_json:
        print_json(entries)
        return
    if not entries:
        echo("no audit entries")
        return
    rows = [
        [
            text(e.get("id")),
            iso_utc(e["at"]) if isinstance(e.get("at"), int) else "-",
            text(e.get("actor")),
            text(e.get("action")),
            text(e.get("target")),
            changed_summary(e.get("before"), e.get("after")),
        ]
        for e in entries
    ]
    table(["ID", "TIME", "ACTOR", "ACTION", "TARGET", "CHANGED"], rows)
    if len(entries) == limit:
        typer.echo(f"more entries may follow: --after {text(entries[-1].get('id'))}", err=True)


def add_admin_commands(app: typer.Typer) -> None:
    """Register the administration commands on the ``ukid registry`` application."""
    app.command("add-subordinate")(_add_subordinate)
    app.command("list-subordinates")(_list_subordinates)
    for name, path, method, verb, doc in (
        (
            "suspend-subordinate",
            "/subordinate/suspend",
            "POST",
            "suspended",
            "Suspend a subordinate: the fetch endpoint stops serving its statement.",
        ),
        (
            "reinstate-subordinate",
            "/subordinate/reinstate",
            "POST",
            "reinstated",
            "Reinstate a suspended subordinate (its statement is signed again).",
        ),
        (
            "remove-subordinate",
            "/subordinate",
            "DELETE",
            "removed",
            "Remove a subordinate and revoke the trust marks issued to it.",
        ),
        (
            "refresh-keys",
            "/subordinate/refresh-keys",
            "POST",
            "refreshed the keys of",
            "Record a subordinate's current federation keys from its entity configuration (§3.1).",
        ),
    ):
        app.command(name)(_member_command(path, method, verb, doc))
    app.command("issue-trust-mark")(_issue_trust_mark)
    app.command("revoke-trust-mark")(_revoke_trust_mark)
    app.command("list-trust-marks")(_list_trust_marks)
    app.command("delegate")(_delegate)
    app.command("install-delegation")(_install_delegation)
    app.command("rotate-keys")(_rotate_keys)
    app.command("audit")(_audit)
