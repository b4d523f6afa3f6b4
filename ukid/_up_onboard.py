"""Onboarding the local federation of ``ukid up`` through the registries' administration API, as
``tests/e2e/stack.py`` does in process, and waiting until every member publishes its trust marks.

Idempotent: the state is read first (``GET /admin/subordinates``, ``GET /admin/trust-marks``) and only
what is missing is added. A member whose federation keys differ from the ones its superior recorded
has them fetched again; a trust mark is issued only when its subject holds none that is unrevoked and
valid for at least :data:`MARK_MARGIN` more seconds (its delegation too, OpenID Federation 1.0 §7.2.1).
Ready means each member's entity configuration carries its marks (§3) and the trust anchor's resolve
endpoint (§8.3) shows the provider's certification, which is what relying parties check.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

import httpx

from federation.errors import FederationError
from federation.jose import decode_unverified
from schemas.gpg45 import LevelOfConfidence
from schemas.records import (
    CertificationBody,
    CertificationRecord,
    CertificationStatus,
    DiatfRole,
    TrustMarkKind,
    trust_mark_type,
)
from trust_registry.settings import DEV_ADMIN_TOKEN
from ukid._up_data import UpError

__all__ = [
    "COUNCIL_CLAIMS",
    "MARK_MARGIN",
    "NHS_CLAIMS",
    "Onboarding",
    "certification_claims",
    "certification_record",
]

#: A trust mark expiring (or whose delegation expires) within this many seconds is issued again.
MARK_MARGIN = 86400
WELL_KNOWN = "/.well-known/openid-federation"
COUNCIL_CLAIMS: dict[str, Any] = {"council": {"gss_code": "E07000178", "name": "Oxford City Council"}}
NHS_CLAIMS: dict[str, Any] = {
    "nhs_organisation": {
        "ods_code": "A81001",
        "name": "Oak Lane Medical Practice",
        "organisation_type": "gp_practice",
    }
}


def certification_record(
    entity_id: str,
    levels: tuple[LevelOfConfidence, ...] = (
        LevelOfConfidence.LOW,
        LevelOfConfidence.MEDIUM,
        LevelOfConfidence.HIGH,
    ),
) -> CertificationRecord:
    """The sample provider's DIATF certification record (a development record, valid to 2099)."""
    return CertificationRecord(
        entity_id=entity_id,
        organisation_name="Sample Citizen IdP Ltd",
        roles=[DiatfRole.IDENTITY_SERVICE_PROVIDER],
        framework="uk_diatf",
        framework_version="0.4",
        certification_body=CertificationBody(name="Example Certification Body"),
        certificate_id="CERT-0001",
        valid_from=date(2026, 1, 1),
        valid_until=date(2099, 12, 31),
        status=CertificationStatus.ACTIVE,
        levels_of_confidence=list(levels),
    )


def certification_claims(entity_id: str) -> dict[str, Any]:
    """The claims of the provider's certified identity service provider mark: ``{"certification": ...}``."""
    return {"certification": certification_record(entity_id).model_dump(mode="json", exclude_none=True)}


@dataclass(frozen=True)
class _Mark:
    issuer: str
    kind: TrustMarkKind
    sub: str
    claims: dict[str, Any]


class Onboarding:
    """Onboards the federation ``ids`` (entity ID by service key) with ``client`` and the registries'
    admin ``token`` (the development one by default); ``say`` reports each change made."""

    def __init__(
        self,
        ids: dict[str, str],
        client: httpx.Client,
        *,
        say: Callable[[str], None] = lambda _line: None,
        clock: Callable[[], float] = time.time,
        token: str = DEV_ADMIN_TOKEN,
    ) -> None:
        self.ids = ids
        self.client = client
        self.token = token
        self.say = say
        self.clock = clock

    # -- HTTP ----------------------------------------------------------------------------------------
    def admin(self, method: str, registry: str, path: str, *, body: Any = None, params: Any = None) -> Any:
        """A call to ``registry``'s admin API; :class:`UpError` on refusal, naming the token on 401/403."""
        url = f"{registry}/admin{path}"
        try:
            response = self.client.request(
                method, url, json=body, params=params, headers={"Authorization": f"Bearer {self.token}"}
            )
        except httpx.HTTPError as exc:
            raise UpError(f"onboarding: {method} {url} failed: {exc}") from None
        if response.status_code in (401, 403):
            raise UpError(
                f"onboarding: {registry} refused the admin token ({response.status_code}): pass the token "
                "in its admin_tokens (UKID_REGISTRY_ADMIN_TOKEN or --token)"
            )
        if response.status_code not in (200, 201):
            raise UpError(
                f"onboarding: {method} {url} answered {response.status_code}: {response.text[:300]}"
            )
        return response.json()

    def configuration(self, entity_id: str) -> dict[str, Any]:
        """The claims of ``entity_id``'s entity configuration (signature not checked: the registries and
        relying parties check it; this only watches for the marks)."""
        try:
            response = self.client.get(entity_id + WELL_KNOWN)
            response.raise_for_status()
            return decode_unverified(response.text)[1]
        except (httpx.HTTPError, FederationError) as exc:
            raise UpError(f"onboarding: cannot read the entity configuration of {entity_id}: {exc}") from None

    # -- members -------------------------------------------------------------------------------------
    def run(self) -> None:
        """Add the missing members and issue the missing trust marks, each mark right after its
        member: the member's first attempt to fetch its mark fails when it is onboarded (before the
        mark exists), and its next attempt comes a few seconds after that one."""
        ids = self.ids
        anchor, health = ids["anchor"], ids["health"]
        certification = certification_claims(ids["idp"])
        self.members(anchor, [ids["idp"]])
        self.mark(_Mark(anchor, TrustMarkKind.CERTIFIED_IDENTITY_SERVICE_PROVIDER, ids["idp"], certification))
        self.members(anchor, [ids["council"]])
        self.mark(_Mark(anchor, TrustMarkKind.COUNCIL, ids["council"], COUNCIL_CLAIMS))
        self.members(anchor, [health])
        self.members(health, [ids["gp"]])
        self.mark(_Mark(health, TrustMarkKind.NHS_ORGANISATION, ids["gp"], NHS_CLAIMS))

    def members(self, registry: str, wanted: list[str]) -> None:
        """Onboard each of ``wanted`` below ``registry`` unless it is there with its current keys."""
        present = {m["entity_id"]: m for m in self.admin("GET", registry, "/subordinates")}
        for entity_id in wanted:
            member = present.get(entity_id)
            if member is None:
                self.admin("POST", registry, "/subordinates", body={"entity_id": entity_id})
                self.say(f"onboarded {entity_id} below {registry}")
                continue
            jwks = self.configuration(entity_id).get("jwks") or {}
            kids = sorted(str(k.get("kid")) for k in jwks.get("keys", []))
            if kids != sorted(str(k) for k in member.get("federation_kids", [])):
                self.admin("POST", registry, "/subordinate/refresh-keys", params={"sub": entity_id})
                self.say(f"recorded the new federation keys of {entity_id} at {registry}")
            if member.get("status") != "active":
                self.say(f"note: {entity_id} is {member.get('status')} at {registry} (left as it is)")

    # -- trust marks ---------------------------------------------------------------------------------
    def mark(self, mark: _Mark) -> None:
        """Issue ``mark`` unless its subject holds a valid one (for the NHS mark, delegate it first)."""
        held = self.admin(
            "GET", mark.issuer, "/trust-marks", params={"sub": mark.sub, "trust_mark_type": mark.kind.value}
        )
        if any(self.usable(m) for m in held):
            return
        if mark.kind is TrustMarkKind.NHS_ORGANISATION:
            anchor = self.ids["anchor"]
            delegation = self.admin(
                "POST",
                anchor,
                "/delegations",
                body={"issuer": mark.issuer, "trust_mark_type": mark.kind.value},
            )["delegation"]
            self.admin("PUT", mark.issuer, "/delegation", body={"delegation": delegation, "owner": anchor})
        body = {"trust_mark_type": mark.kind.value, "sub": mark.sub, "claims": mark.claims}
        self.admin("POST", mark.issuer, "/trust-marks", body=body)
        self.say(f"issued the {mark.kind.value} trust mark to {mark.sub}")

    def usable(self, view: dict[str, Any]) -> bool:
        """Whether an issued mark (admin view) is unrevoked and valid, with its delegation, for
        :data:`MARK_MARGIN` seconds more."""
        if view.get("revoked_at") is not None:
            return False
        until = self.clock() + MARK_MARGIN
        expiries = [view.get("exp")]
        try:
            delegation = decode_unverified(str(view.get("trust_mark")))[1].get("delegation")
            if isinstance(delegation, str):
                expiries.append(decode_unverified(delegation)[1].get("exp"))
        except FederationError:
            return False
        return all(exp is None or (isinstance(exp, int) and exp > until) for exp in expiries)

    # -- readiness -----------------------------------------------------------------------------------
    def expected_marks(self) -> dict[str, str]:
        """The trust mark type each member must publish, by entity ID."""
        anchor = self.ids["anchor"]
        return {
            self.ids["idp"]: trust_mark_type(anchor, TrustMarkKind.CERTIFIED_IDENTITY_SERVICE_PROVIDER),
            self.ids["council"]: trust_mark_type(anchor, TrustMarkKind.COUNCIL),
            self.ids["gp"]: trust_mark_type(anchor, TrustMarkKind.NHS_ORGANISATION),
        }

    def missing_marks(self) -> list[str]:
        """The members whose entity configuration does not carry their mark yet, then (once they all
        do) the provider if the trust anchor's resolve response about it lacks the mark."""
        missing = []
        for entity_id, type_url in self.expected_marks().items():
            marks = self.configuration(entity_id).get("trust_marks") or []
            if not any(m.get("trust_mark_type") == type_url for m in marks):
                missing.append(entity_id)
        if missing:
            return missing
        idp, anchor = self.ids["idp"], self.ids["anchor"]
        endpoint = (
            (self.configuration(anchor).get("metadata") or {})
            .get("federation_entity", {})
            .get("federation_resolve_endpoint")
        )
        if not isinstance(endpoint, str):
            return []
        params = {"sub": idp, "trust_anchor": anchor, "entity_type": "openid_provider"}
        try:
            response = self.client.get(endpoint, params=params)
            response.raise_for_status()
            resolved = decode_unverified(response.text)[1].get("trust_marks") or []
        except (httpx.HTTPError, FederationError):
            return [f"{idp} (resolved at {anchor})"]
        wanted = self.expected_marks()[idp]
        return [] if any(m.get("trust_mark_type") == wanted for m in resolved) else [f"{idp} (resolved)"]

    def wait_for_marks(self, deadline: float, *, interval: float = 0.2) -> None:
        """Poll until every member publishes its mark; :class:`UpError` at ``deadline`` (monotonic)."""
        while True:
            missing = self.missing_marks()
            if not missing:
                return
            if time.monotonic() >= deadline:
                raise UpError(f"these members publish no trust mark yet: {', '.join(missing)}")
            time.sleep(interval)
