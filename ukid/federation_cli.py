"""``ukid federation resolve``: resolve and explain a trust chain (OpenID Federation 1.0 §10).

A thin layer over :class:`federation.resolver.TrustChainResolver` and
:func:`federation.trust_marks.verify_in_federation`: it prints the chain (each statement's issuer,
subject and expiry), the resolved metadata and the leaf's trust marks and exits 0, or prints which
check failed on which statement along each path tried and exits 1. Bad option values exit 2.
"""

from __future__ import annotations

import asyncio
import json
import math
import time
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlsplit

import typer
from pydantic import ValidationError

from federation.errors import FederationError, InvalidTrustChain
from federation.http import (
    ENTITY_STATEMENT_MEDIA_TYPE,
    FederationFetcher,
    FetchPolicy,
    entity_configuration_url,
)
from federation.jose import decode_unverified
from federation.resolver import TrustChainResolver
from federation.statements import EntityStatement, verify_entity_configuration
from federation.trust_chain import TrustAnchor, TrustChain
from federation.trust_marks import verify_in_federation
from ukid._format import iso_utc

__all__ = ["build_federation_app"]

_TOFU_SOURCE = "own entity configuration (trust on first use)"


@dataclass(frozen=True)
class _MarkResult:
    """One entry of the leaf's ``trust_marks`` and what verification made of it."""

    trust_mark_type: str
    issuer: str | None
    exp: int | None
    check: str | None = None
    reason: str | None = None

    @property
    def valid(self) -> bool:
        return self.reason is None


@dataclass(frozen=True)
class _Outcome:
    chain: TrustChain
    marks: tuple[_MarkResult, ...]
    anchor_sources: dict[str, str]


def _echo(line: str, *, err: bool = False) -> None:
    """Print a line that may quote remote text: non-printable characters (terminal escapes) become ``?``."""
    typer.echo("".join(ch if ch.isprintable() else "?" for ch in line), err=err)


def _usage_error(option: str, message: str) -> typer.Exit:
    _echo(f"Error: {option}: {message}", err=True)
    return typer.Exit(2)


def _check_name(exc: FederationError) -> str:
    return exc.check.value if exc.check is not None else exc.error


def entity_id_problem(value: str, dev: bool) -> str | None:
    """Why ``value`` is not an entity identifier we may fetch (§1.2: an https URL, no query/fragment)."""
    if any(ch.isspace() or not ch.isprintable() for ch in value):
        return f"{value!r} contains whitespace or control characters"
    try:
        parts = urlsplit(value)
        _ = parts.port
    except ValueError:
        return f"{value!r} is not a valid URL"
    if parts.scheme == "http" and parts.netloc:
        if not dev:
            return (
                f"{value} is a plain http entity ID; plain http is only allowed in a local "
                "development federation: pass --dev"
            )
    elif parts.scheme != "https" or not parts.netloc:
        return f"{value!r} is not an entity identifier (an https URL with a host)"
    if parts.query or parts.fragment:
        return f"{value} has a query or fragment; an entity identifier has neither"
    return None


def _load_anchor(anchor_id: str, path: Path) -> TrustAnchor:
    """The anchor with the JWKS in ``path`` pinned; raises ``typer.Exit(2)`` on a bad file."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise _usage_error("--anchor-jwks", f"cannot read {path}: {exc.strerror or exc}") from None
    except (UnicodeDecodeError, ValueError) as exc:
        raise _usage_error("--anchor-jwks", f"{path} is not JSON: {exc}") from None
    if not isinstance(data, dict):
        raise _usage_error("--anchor-jwks", f"{path} is not a JWK set (a JSON object with 'keys')")
    try:
        anchor = TrustAnchor.from_jwks(anchor_id, data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "jwks"
        message = f"{path} is not a public JWK set: {where}: {first['msg']}"
        raise _usage_error("--anchor-jwks", message) from None
    return anchor


async def _self_pinned_anchor(fetcher: FederationFetcher, anchor_id: str) -> TrustAnchor:
    """The anchor with the keys of its own self-signed configuration: trust on first use."""
    try:
        token = await fetcher.get_jwt(
            entity_configuration_url(anchor_id), media_type=ENTITY_STATEMENT_MEDIA_TYPE
        )
        statement = verify_entity_configuration(token, entity_id=anchor_id, now=time.time())
    except FederationError as exc:
        raise exc.in_context(f"trust anchor entity configuration of {anchor_id}") from exc
    kids = ", ".join(str(key.get("kid")) for key in statement.jwks.keys)
    _echo(
        f"WARNING: the keys of trust anchor {anchor_id} (kid {kids}) were taken from its own entity "
        "configuration (trust on first use), not pinned: whoever answers for that URL is trusted. "
        "Check the keys out of band and pin them with --anchor-jwks FILE.",
        err=True,
    )
    return TrustAnchor(entity_id=anchor_id, jwks=statement.jwks)


async def _check_mark(
    token: str,
    trust_mark_type: str,
    *,
    chain: TrustChain,
    resolver: TrustChainResolver,
    fetcher: FederationFetcher,
    check_status: bool,
) -> _MarkResult:
    """Verify one trust mark of the leaf within the chain's federation (§7.3, §8.4)."""
    issuer: str | None = None
    exp: int | None = None
    try:
        _header, claims = decode_unverified(token)
        issuer = claims.get("iss") if isinstance(claims.get("iss"), str) else None
        exp = claims.get("exp") if isinstance(claims.get("exp"), int) else None
        mark = await verify_in_federation(
            token,
            resolver,
            fetcher,
            trust_anchor=chain.trust_anchor,
            subject=chain.subject,
            trust_mark_type=trust_mark_type,
            check_status=check_status,
        )
    except FederationError as exc:
        return _MarkResult(trust_mark_type, issuer, exp, _check_name(exc), exc.description)
    return _MarkResult(mark.trust_mark_type, mark.iss, mark.exp)


async def _resolve(
    entity_id: str,
    *,
    anchors: Sequence[tuple[str, TrustAnchor | None]],
    entity_types: Sequence[str],
    policy: FetchPolicy,
    check_status: bool,
) -> _Outcome:
    async with FederationFetcher(policy) as fetcher:
        pinned: list[TrustAnchor] = []
        sources: dict[str, str] = {}
        for anchor_id, given in anchors:
            if given is None:
                pinned.append(await _self_pinned_anchor(fetcher, anchor_id))
                sources[anchor_id] = _TOFU_SOURCE
            else:
                pinned.append(given)
                sources[anchor_id] = "pinned (--anchor-jwks)"
        resolver = TrustChainResolver(fetcher, pinned)
        chain = await resolver.resolve(entity_id, entity_types=entity_types)
        marks = [
            await _check_mark(
                ref.trust_mark,
                ref.trust_mark_type,
                chain=chain,
                resolver=resolver,
                fetcher=fetcher,
                check_status=check_status,
            )
            for ref in chain.leaf.trust_marks or ()
        ]
    return _Outcome(chain, tuple(marks), sources)


def _kind(statement: EntityStatement, anchor: str) -> str:
    if not statement.is_configuration:
        return "subordinate statement"
    return "entity configuration (trust anchor)" if statement.sub == anchor else "entity configuration"


def _print_human(outcome: _Outcome, check_status: bool) -> None:
    chain = outcome.chain
    _echo(f"Trust chain for {chain.subject} to trust anchor {chain.trust_anchor}")
    _echo(f"  anchor keys: {outcome.anchor_sources[chain.trust_anchor]}")
    for number, statement in enumerate(chain.statements, start=1):
        _echo(f"  [{number}] {_kind(statement, chain.trust_anchor)}")
        _echo(f"      issuer:  {statement.iss}")
        _echo(f"      subject: {statement.sub}")
        _echo(f"      expires: {iso_utc(statement.exp)}")
    _echo(f"  chain expires: {iso_utc(chain.exp)}")
    _echo("")
    _echo("Resolved metadata:")
    for line in json.dumps(chain.metadata, indent=2, sort_keys=True).splitlines():
        _echo(f"  {line}")
    _echo("")
    asked = "status asked of each issuer" if check_status else "status not asked: --no-status"
    _echo(f"Trust marks ({asked}):" if outcome.marks else "Trust marks: none")
    for mark in outcome.marks:
        claimed = "" if mark.valid else " (as claimed)"
        _echo(f"  - type:    {mark.trust_mark_type}")
        _echo(f"    issuer:  {mark.issuer or '-'}{claimed}")
        _echo(f"    expires: {iso_utc(mark.exp) if mark.exp is not None else 'no expiry'}")
        _echo("    VALID" if mark.valid else f"    REJECTED (check {mark.check}): {mark.reason}")


def _as_json(outcome: _Outcome, check_status: bool) -> dict[str, Any]:
    chain = outcome.chain
    return {
        "resolved": True,
        "entity_id": chain.subject,
        "trust_anchor": chain.trust_anchor,
        "anchor_keys": outcome.anchor_sources,
        "chain": [
            {
                "kind": "entity_configuration" if s.is_configuration else "subordinate_statement",
                "iss": s.iss,
                "sub": s.sub,
                "iat": s.iat,
                "exp": s.exp,
            }
            for s in chain.statements
        ],
        "exp": chain.exp,
        "metadata": chain.metadata,
        "trust_mark_status_checked": check_status,
        "trust_marks": [
            {
                "trust_mark_type": m.trust_mark_type,
                "iss": m.issuer,
                "exp": m.exp,
                "valid": m.valid,
                "check": m.check,
                "reason": m.reason,
            }
            for m in outcome.marks
        ],
    }


def _failure_lines(entity_id: str, exc: FederationError) -> list[str]:
    lines = [f"Trust chain for {entity_id} could not be resolved:"]
    if isinstance(exc, InvalidTrustChain) and exc.path_errors:
        for path, error in exc.path_errors:
            lines.append(f"  via {' -> '.join(path)}")
            lines.append(f"    check {_check_name(error)}: {error.description}")
    else:
        lines.append(f"  check {_check_name(exc)}: {exc.description}")
    return lines


def _failure_json(entity_id: str, exc: FederationError) -> dict[str, Any]:
    pairs = exc.path_errors if isinstance(exc, InvalidTrustChain) and exc.path_errors else (((), exc),)
    return {
        "resolved": False,
        "entity_id": entity_id,
        "errors": [
            {"path": list(path), "error": e.error, "check": _check_name(e), "description": e.description}
            for path, e in pairs
        ],
    }


def _resolve_command(
    entity_id: Annotated[
        str, typer.Argument(metavar="ENTITY_ID", help="Entity ID (https URL) to resolve.", show_default=False)
    ],
    *,
    anchor: Annotated[
        list[str] | None,
        typer.Option(
            "--anchor",
            help="Trust anchor entity ID (repeatable; at least one).",
            show_default=False,
        ),
    ] = None,
    anchor_jwks: Annotated[
        list[Path] | None,
        typer.Option(
            "--anchor-jwks",
            help="JWKS file pinning the anchor's keys; repeat once per --anchor, in the same order. "
            "Without it the keys come from the anchor's own configuration (trust on first use).",
            show_default=False,
        ),
    ] = None,
    entity_type: Annotated[
        list[str] | None,
        typer.Option("--entity-type", help="Resolve metadata for this entity type only (repeatable)."),
    ] = None,
    dev: Annotated[
        bool, typer.Option("--dev", help="Allow plain http entity IDs (local development federation).")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print machine-readable JSON on stdout.")] = False,
    no_status: Annotated[
        bool, typer.Option("--no-status", help="Do not ask trust mark issuers' status endpoints.")
    ] = False,
    timeout: Annotated[
        float, typer.Option("--timeout", help="Overall deadline per HTTP fetch, seconds.")
    ] = 10.0,
) -> None:
    """Resolve ENTITY_ID's trust chain to a trust anchor (§10); print it, or why it failed."""
    anchors = list(anchor or [])
    if not anchors:
        raise _usage_error("--anchor", "at least one trust anchor is needed")
    for option, value in (("ENTITY_ID", entity_id), *(("--anchor", a) for a in anchors)):
        problem = entity_id_problem(value, dev)
        if problem is not None:
            raise _usage_error(option, problem)
    files = list(anchor_jwks or [])
    if files and len(files) != len(anchors):
        raise _usage_error(
            "--anchor-jwks",
            f"give one per --anchor, in the same order ({len(anchors)} anchors, {len(files)} files)",
        )
    if not (math.isfinite(timeout) and timeout > 0):
        raise _usage_error("--timeout", "must be a positive number of seconds")
    base = FetchPolicy.development() if dev else FetchPolicy()
    policy = replace(
        base, connect_timeout=min(3.0, timeout), read_timeout=min(5.0, timeout), total_timeout=timeout
    )
    pinned: list[TrustAnchor | None] = (
        [_load_anchor(a, f) for a, f in zip(anchors, files, strict=True)] if files else [None] * len(anchors)
    )
    check_status = not no_status
    try:
        outcome = asyncio.run(
            _resolve(
                entity_id,
                anchors=list(zip(anchors, pinned, strict=True)),
                entity_types=entity_type or [],
                policy=policy,
                check_status=check_status,
            )
        )
    except FederationError as exc:
        if as_json:
            typer.echo(json.dumps(_failure_json(entity_id, exc), indent=2))
        else:
            for line in _failure_lines(entity_id, exc):
                _echo(line, err=True)
        raise typer.Exit(1) from None
    if as_json:
        typer.echo(json.dumps(_as_json(outcome, check_status), indent=2))
    else:
        _print_human(outcome, check_status)


def build_federation_app() -> typer.Typer:
    """The ``ukid federation`` sub-application."""
    app = typer.Typer(
        help="Resolve and inspect OpenID Federation trust chains.",
        no_args_is_help=True,
    )
    app.command("resolve")(_resolve_command)
    return app
