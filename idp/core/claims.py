"""Which claims the provider releases, in the ID token or at the UserInfo endpoint, and the record of it.

- Standard claims (OpenID Connect Core §5.1) come from the account: at the UserInfo endpoint those
  of the granted scopes (§5.4: with the code flow, scope claims are UserInfo claims) and those the
  ``claims`` parameter names for ``userinfo``; in the ID token only those it names for
  ``id_token`` (§5.5). A ``value``/``values`` the held claim does not meet leaves it out (§5.5.1).
- ``verified_claims`` (OIDC for Identity Assurance 1.0 §6) by the schema's release function
  (``schemas.release.select_verified_claims``) from the citizen's held element: an element whose
  constraints the evidence cannot meet is omitted, never an error.
- Never a claim the citizen did not consent to (the grant's consented claim names), nor one the
  client may not receive at all (``idp.core.claims_policy.refused_claims``, e.g. ``nhs_number``
  for a non-NHS organisation): both are dropped everywhere, inside ``verified_claims`` and inside
  evidence ``derived_claims`` too.
- Every release with at least one claim is recorded in ``releases`` (who received what, when, at
  what level of confidence), in the caller's transaction.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, Literal

from pydantic import ValidationError
from sqlalchemy import Connection

from idp.core.claims_policy import refused_claims
from idp.core.clients import Client
from idp.core.discovery import SCOPE_CLAIMS
from idp.core.errors import InvalidToken
from idp.core.id_token import pairwise_subject
from idp.core.identity import NO_IDENTITY, identity_of
from idp.services import IdpServices
from idp.store.accounts import Account
from idp.store.grants import GrantRecord, ReleaseRecord
from schemas.release import select_verified_claims
from schemas.requests import OTHER_REQUESTABLE_CLAIMS, ClaimLeaf, ClaimSetRequest, ClaimsRequest

__all__ = ["Channel", "has_id_token_claims", "release_claims", "userinfo"]

log = logging.getLogger("idp.claims")

Channel = Literal["userinfo", "id_token"]
#: Not user claims (``acr``, ``amr``, ``auth_time``, ``txn``): the ID token carries them itself.
_PROTOCOL_CLAIMS = frozenset(OTHER_REQUESTABLE_CLAIMS) | {"sub"}


def has_id_token_claims(grant: GrantRecord) -> bool:
    """True if the grant's claims request names claims for the ID token (cheap: no parsing)."""
    request = grant.claims_request
    return isinstance(request, dict) and bool(request.get("id_token"))


def _claim_set(grant: GrantRecord, channel: Channel) -> ClaimSetRequest | None:
    if not grant.claims_request:
        return None
    try:
        parsed = ClaimsRequest.model_validate(grant.claims_request)
    except ValidationError as exc:  # validated at the authorization endpoint; kept defensively
        log.error("grant %s holds a claims request that no longer validates: %s", grant.id, exc)
        return None
    return parsed.userinfo if channel == "userinfo" else parsed.id_token


def _requested_plain(
    grant: GrantRecord, part: ClaimSetRequest | None, channel: Channel
) -> dict[str, ClaimLeaf | None]:
    wanted: dict[str, ClaimLeaf | None] = {}
    if channel == "userinfo":
        for scope in grant.scope:
            wanted.update(dict.fromkeys(SCOPE_CLAIMS.get(scope, ())))
    if part is not None:
        wanted.update(
            {name: leaf for name, leaf in part.other_claims().items() if name not in _PROTOCOL_CLAIMS}
        )
    return wanted


def _filter_names(values: Mapping[str, Any], allowed: frozenset[str]) -> dict[str, Any]:
    return {name: value for name, value in values.items() if name in allowed}


def _allowed_verified(element: dict[str, Any], allowed: frozenset[str]) -> dict[str, Any] | None:
    """The released element with only allowed claims, in ``claims`` and in evidence ``derived_claims``."""
    claims = _filter_names(element.get("claims", {}), allowed)
    if not claims:
        return None
    verification = dict(element["verification"])
    evidence = []
    for held in verification.get("evidence", ()):
        item = dict(held)
        if "derived_claims" in item:
            derived = _filter_names(item["derived_claims"], allowed)
            if derived:
                item["derived_claims"] = derived
            else:
                del item["derived_claims"]
        evidence.append(item)
    if evidence:
        verification["evidence"] = evidence
    return {"verification": verification, "claims": claims}


def release_claims(
    services: IdpServices,
    connection: Connection,
    *,
    client: Client,
    grant: GrantRecord,
    account: Account,
    channel: Channel,
    now: int,
) -> dict[str, Any]:
    """The user claims to release to ``client`` for ``channel`` (never ``sub``), recorded in ``releases``.
    The citizen's evidence is read (in ``connection``) only when ``verified_claims`` are asked for."""
    part = _claim_set(grant, channel)
    plain = _requested_plain(grant, part, channel)
    elements = part.verified_elements() if part is not None else ()
    names = set(plain)
    for element in elements:
        names.update(element.claims)
    refused = refused_claims(client, names)
    allowed = frozenset(n for n in names if n in grant.consented_claims and n not in refused)
    released: dict[str, Any] = {}
    for name, leaf in plain.items():
        if name not in allowed or name not in account.claims:
            continue
        value = account.claims[name]
        if leaf is None or leaf.accepts(value):
            released[name] = value
    verified: list[dict[str, Any]] = []
    identity = (
        identity_of(services.accounts, account, now, connection=connection) if elements else NO_IDENTITY
    )
    if identity.verified_claims is not None:
        moment = datetime.fromtimestamp(now, UTC)
        for selected in select_verified_claims(elements, [identity.verified_claims], moment):
            kept = _allowed_verified(selected.to_json_dict(), allowed)
            if kept is not None:
                verified.append(kept)
    if verified:
        released["verified_claims"] = verified[0] if len(verified) == 1 else verified
    if released:
        recorded = sorted(n for n in released if n != "verified_claims")
        recorded += sorted({f"verified_claims.{n}" for element in verified for n in element["claims"]})
        services.grants.record_release(
            connection,
            ReleaseRecord(
                account_id=account.id,
                client_id=client.client_id,
                organization_name=client.organization_name,
                channel=channel,
                claims=tuple(recorded),
                level=identity.level.value if verified and identity.level is not None else None,
                released_at=now,
            ),
        )
    return released


def userinfo(services: IdpServices, client: Client, grant: GrantRecord) -> dict[str, Any]:
    """The UserInfo response (Core §5.3.2): the pairwise ``sub`` and the claims released for
    ``userinfo``; ``invalid_token`` if the account is gone."""
    now = services.now()
    with services.grants.transaction() as connection:
        account = services.accounts.by_id(grant.account_id, connection=connection)
        if account is None:
            raise InvalidToken("the account of this access token no longer exists")
        released = release_claims(
            services,
            connection,
            client=client,
            grant=grant,
            account=account,
            channel="userinfo",
            now=now,
        )
    return {
        "sub": pairwise_subject(services.config.pairwise_salt, client.sector, grant.account_id),
        **released,
    }
