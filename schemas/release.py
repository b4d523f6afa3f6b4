"""Which ``verified_claims`` an OP releases for a request (OpenID Connect for Identity Assurance 1.0 §6).

For each requested element the first held element that meets every constraint is released,
reduced to what was asked for:

- §6.2: only the ``verification`` members the RP requested (``trust_framework`` always, it is
  required); each ``evidence`` entry is a filter (entries ORed) and the template for what to
  release from each held evidence it matches; ``check_details`` entries filter checks (ORed);
  ``assurance_details``, when requested, are released with all they hold (constraints inside have
  no filtering effect).
- §6.3.1/§6.3.2: ``value``/``values`` and ``max_age`` must be met.
- §6.5.1: a claim or member the OP does not hold is left out; §6.5.2: an unmet constraint inside
  ``verification`` omits the whole element, an unmet constraint on a claim omits that claim;
  §6.5.3: a member needed for a valid response is never dropped alone (members the schema
  requires are always kept; an assurance detail referring to a check not released is left out
  whole; an element with no claim left is omitted). Never an error.

``uk_tfida`` in a request matches a held ``uk_diatf`` (its legacy name).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from pydantic import BaseModel

from schemas.claims import Claims
from schemas.requests import (
    CheckDetailRequest,
    ClaimLeaf,
    DateTimeLeaf,
    EvidenceTypeLeaf,
    Leaf,
    RequestModel,
    VerificationRequest,
    VerifiedClaimsRequest,
)
from schemas.verified_claims import LEGACY_TRUST_FRAMEWORKS, Verification, VerifiedClaims

__all__ = ["select_verified_claims"]


class _UnmetError(Exception):
    """A constraint the held data does not meet (IDA §6.5.2)."""


def select_verified_claims(
    request: VerifiedClaimsRequest | Sequence[VerifiedClaimsRequest],
    held: Sequence[VerifiedClaims],
    now: datetime,
) -> list[VerifiedClaims]:
    """The ``verified_claims`` to release: at most one per requested element, in request order.

    A requested element is answered by the first held element whose verification meets every
    constraint and which holds at least one of the requested claims (with its ``value``/``values``
    met); otherwise it is omitted. ``now`` (timezone-aware) is the time of the request, for
    ``max_age``.
    """
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    wanted = (request,) if isinstance(request, VerifiedClaimsRequest) else tuple(request)
    released: list[VerifiedClaims] = []
    for element in wanted:
        for candidate in held:
            answer = _release_element(element, candidate, now)
            if answer is not None:
                released.append(answer)
                break
    return released


def _release_element(
    wanted: VerifiedClaimsRequest, held: VerifiedClaims, now: datetime
) -> VerifiedClaims | None:
    try:
        verification = _release_verification(wanted.verification, held.verification, now)
    except _UnmetError:
        return None
    claims = _release_claims(wanted.claims, held.claims, inside_verification=False)
    if not claims:
        return None
    return VerifiedClaims.model_validate({"verification": verification, "claims": claims})


def _release_verification(wanted: VerificationRequest, held: Verification, now: datetime) -> dict[str, Any]:
    released = _reduce(wanted, held, now)
    check_ids = {
        check["check_id"]
        for item in released.get("evidence", ())
        for check in item.get("check_details", ())
        if "check_id" in check
    }
    # §6.5.3: an assurance detail referring to a check not released is left out whole (in the UK
    # profile a GPG 45 strength travels on that reference, so it cannot be dropped alone).
    process = released.get("assurance_process", {})
    details = [
        detail
        for detail in process.pop("assurance_details", ())
        if all(ref["check_id"] in check_ids for ref in detail.get("evidence_ref", ()))
    ]
    if details:
        process["assurance_details"] = details
    if "assurance_process" in released and not process:
        del released["assurance_process"]
    return released


def _reduce(wanted: RequestModel, held: BaseModel, now: datetime) -> dict[str, Any]:
    """The members of ``held`` that ``wanted`` asks for, plus those the schema requires.

    Raises ``_UnmetError`` if a constraint is not met.
    """
    held_json = held.model_dump(mode="json", exclude_none=True)
    released = {
        name: held_json[name]
        for name, field in type(held).model_fields.items()
        if field.is_required() and name in held_json
    }
    for name in wanted.requested_members():
        ask = getattr(wanted, name)
        have = getattr(held, name, None)
        found = held_json.get(name)
        if isinstance(ask, EvidenceTypeLeaf):
            continue  # matched when the filter was chosen; the type is required, so already kept
        if isinstance(ask, Leaf):
            canonical = LEGACY_TRUST_FRAMEWORKS if name == "trust_framework" else None
            if not ask.accepts(found, canonical):
                raise _UnmetError
        elif isinstance(ask, DateTimeLeaf):
            if not ask.accepts(have, now):
                raise _UnmetError
        elif isinstance(ask, RequestModel):
            if have is None:
                if ask.has_constraint():
                    raise _UnmetError
                continue
            found = _reduce(ask, have, now) or None
        elif name == "evidence":
            found = _release_evidence(ask, have or (), now)
        elif name == "check_details":
            found = _release_checks(ask, have or (), now) or None
        elif name == "assurance_details":
            pass  # released with all they hold; constraints inside do not filter (§6.2)
        elif name == "derived_claims":
            if isinstance(ask, dict) and have is not None:
                found = _release_claims(ask, have, inside_verification=True) or None
            elif isinstance(ask, dict) and any(leaf.has_constraint() for leaf in ask.values()):
                raise _UnmetError
        else:
            raise TypeError(f"unexpected request member {name}")
        if found is not None:
            released[name] = found
    return released


def _release_evidence(filters: list[RequestModel], held: Sequence[BaseModel], now: datetime) -> list[Any]:
    """Each held evidence matching a filter, shaped by the first filter it matches (IDA §6.2)."""
    released = []
    for item in held:
        for entry in filters:
            kind = getattr(entry, "type", None)
            if not isinstance(kind, EvidenceTypeLeaf) or kind.value != getattr(item, "type", None):
                continue
            try:
                released.append(_reduce(entry, item, now))
            except _UnmetError:
                continue
            break
    if not released:
        raise _UnmetError
    return released


def _release_checks(
    entries: list[CheckDetailRequest], held: Sequence[BaseModel], now: datetime
) -> list[dict[str, Any]]:
    """The held checks matching an entry (entries ORed); unmet if all entries constrain and none match."""
    released = []
    for check in held:
        for entry in entries:
            try:
                released.append(_reduce(entry, check, now))
            except _UnmetError:
                continue
            break
    if not released and all(entry.has_constraint() for entry in entries):
        raise _UnmetError
    return released


def _release_claims(
    wanted: dict[str, ClaimLeaf], held: Claims, *, inside_verification: bool
) -> dict[str, Any]:
    """The requested claims held, with ``value``/``values`` met (IDA §6.5.1, §6.5.2)."""
    held_json = held.to_json_dict()
    released = {}
    for name, leaf in wanted.items():
        found = held_json.get(name)
        if not leaf.accepts(found):
            if inside_verification:
                raise _UnmetError
            continue
        if found is not None:
            released[name] = found
    return released
