"""Conformance mode: for one login at a time, the provider answers a relying party with a
deliberately broken response, so ``ukid check rp`` can see whether the RP refuses it.

A *scenario* is armed for one client (``POST /conformance/scenarios``); the client's next
authorization takes it. From then on the provider's answers to that login are changed at three
points, each recorded as an event the checker reads back:

- ``authorized``: the authorization response (a wrong ``state``, or the ``iss`` of another
  provider: the mix-up of RFC 9207);
- ``token``: the ID token of the token response (bad signature, ``alg: none``, wrong ``iss``,
  ``aud`` or ``nonce``, expired, ``iat`` in the future, no ``vot``, a ``vot`` outside the ``vtr``,
  an unknown ``kid``; or a genuine key rotation the RP must follow);
- ``userinfo``: ``verified_claims`` under an unknown trust framework, or with evidence scored too low
  for the level it claims (OpenID Connect for Identity Assurance 1.0 §5; GPG 45).

Development only (``UKID_IDP_CONFORMANCE`` is refused outside ``dev``); scenarios live in memory.
"""

from __future__ import annotations

import base64
import copy
import json
import secrets
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from federation.jose import decode_unverified, sign_jwt
from federation.keys import generate_key
from idp.core.keys import ProtocolKeys
from schemas.vot import Vector, VectorError, parse_vtr, vot_matching

__all__ = ["CASES", "Conformance", "ConformanceCase", "Scenario"]

_MAX_SCENARIOS = 256
#: Where a case changes the login, and what a correct RP does with it.
ACCEPT, REFUSE = "accept", "refuse"


@dataclass(frozen=True)
class ConformanceCase:
    """One broken (or, for ``valid`` and ``key_rotation``, correct) answer."""

    id: str
    stage: str  #: ``authorized``, ``token`` or ``userinfo``
    expect: str  #: ``accept`` or ``refuse``
    title: str


CASES: dict[str, ConformanceCase] = {
    c.id: c
    for c in (
        ConformanceCase("valid", "token", ACCEPT, "a genuine response (the baseline)"),
        ConformanceCase("key_rotation", "token", ACCEPT, "the ID token is signed with a newly rotated key"),
        ConformanceCase("authorization_wrong_state", "authorized", REFUSE, "state is not the one sent"),
        ConformanceCase(
            "authorization_wrong_iss", "authorized", REFUSE, "iss names another provider (mix-up)"
        ),
        ConformanceCase("id_token_bad_signature", "token", REFUSE, "the ID token's signature is broken"),
        ConformanceCase("id_token_alg_none", "token", REFUSE, "the ID token is unsigned (alg none)"),
        ConformanceCase(
            "id_token_unknown_kid", "token", REFUSE, "signed with a key the provider never published"
        ),
        ConformanceCase("id_token_wrong_iss", "token", REFUSE, "iss is another issuer"),
        ConformanceCase("id_token_wrong_aud", "token", REFUSE, "aud is another client"),
        ConformanceCase("id_token_wrong_nonce", "token", REFUSE, "nonce is not the one sent"),
        ConformanceCase("id_token_expired", "token", REFUSE, "exp is an hour ago"),
        ConformanceCase("id_token_future_iat", "token", REFUSE, "iat is an hour from now"),
        ConformanceCase("id_token_missing_vot", "token", REFUSE, "no vot (and no vtm)"),
        ConformanceCase("id_token_vot_outside_vtr", "token", REFUSE, "vot is not one of the vtr requested"),
        ConformanceCase(
            "verified_claims_unknown_trust_framework", "userinfo", REFUSE, "trust_framework is unknown"
        ),
        ConformanceCase(
            "verified_claims_under_scored", "userinfo", REFUSE, "evidence scored below the level claimed"
        ),
    )
}
#: Vectors a ``vot`` outside the request is taken from (the first that meets none requested).
_OTHER_VECTORS = ("P0", "P1", "P2", "P3", "Cl", "Cl.Cm", "P0.Cl")


@dataclass
class Scenario:
    """One armed case for one client, and what happened to it."""

    id: str
    client_id: str
    case: str
    armed_at: float
    events: list[str] = field(default_factory=list)
    vtr: tuple[str, ...] = ()
    detail: dict[str, str] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        """The scenario as the conformance API shows it."""
        info = CASES[self.case]
        return {
            "id": self.id,
            "client_id": self.client_id,
            "case": self.case,
            "title": info.title,
            "expect": info.expect,
            "events": list(self.events),
            "detail": dict(self.detail),
        }


def _encode(value: Mapping[str, Any] | bytes) -> str:
    raw = value if isinstance(value, bytes) else json.dumps(value, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


class Conformance:
    """The armed scenarios of a provider, and the changes they make to its answers."""

    def __init__(
        self,
        issuer: str,
        keys: ProtocolKeys,
        *,
        rotation_overlap: int = 3600,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.issuer = issuer
        self.keys = keys
        #: Seconds the key before a ``key_rotation`` case stays published: outstanding ID tokens are
        #: short-lived, and every run of the suite rotates once (the default week would pile keys up).
        self.rotation_overlap = rotation_overlap
        self.clock = clock
        self._armed: dict[str, Scenario] = {}  # by client: waiting for its next authorization
        self._active: dict[str, Scenario] = {}  # by client: the login under way
        self._all: dict[str, Scenario] = {}
        self._lock = threading.Lock()

    def arm(self, client_id: str, case: str) -> Scenario:
        """Arm ``case`` for ``client_id``'s next authorization (replacing one armed before)."""
        if case not in CASES:
            raise KeyError(case)
        scenario = Scenario(secrets.token_urlsafe(12), client_id, case, self.clock())
        with self._lock:
            if len(self._all) >= _MAX_SCENARIOS:
                oldest = min(self._all.values(), key=lambda s: s.armed_at)
                del self._all[oldest.id]
            self._all[scenario.id] = scenario
            self._armed[client_id] = scenario
        return scenario

    def scenario(self, scenario_id: str) -> Scenario | None:
        """The scenario ``scenario_id``, if it is still known."""
        return self._all.get(scenario_id)

    def _take(self, client_id: str, stage: str) -> Scenario | None:
        scenario = self._active.get(client_id)
        if scenario is not None:
            scenario.events.append(stage)
        return scenario

    # -- the three points of a login ----------------------------------------------------------------------
    def authorization_response(
        self, client_id: str, vtr: tuple[str, ...], values: dict[str, str | None]
    ) -> dict[str, str | None]:
        """The successful authorization response's parameters, changed when a scenario is armed."""
        with self._lock:
            scenario = self._armed.pop(client_id, None)
            if scenario is None:
                self._active.pop(client_id, None)  # a login with nothing armed ends the last scenario
                return values
            self._active[client_id] = scenario
            scenario.vtr = vtr
            scenario.events.append("authorized")
        changed = dict(values)
        if scenario.case == "authorization_wrong_state":
            changed["state"] = secrets.token_urlsafe(32)
        elif scenario.case == "authorization_wrong_iss":
            changed["iss"] = "https://another-provider.example"
        return changed

    def token_response(self, client_id: str, body: dict[str, Any]) -> dict[str, Any]:
        """The token response, its ID token broken as the scenario says."""
        with self._lock:
            scenario = self._take(client_id, "token")
        if scenario is None or CASES[scenario.case].stage != "token" or scenario.case == "valid":
            return body
        token = str(body["id_token"])
        header, claims = decode_unverified(token)  # the provider's own token, just signed
        signature = token.rsplit(".", 1)[1]
        case, now = scenario.case, int(self.clock())
        alg = str(header["alg"])
        if case == "id_token_bad_signature":
            raw = bytearray(base64.urlsafe_b64decode(signature + "=" * (-len(signature) % 4)))
            raw[-1] ^= 0x01
            broken = token.rsplit(".", 1)[0] + "." + _encode(bytes(raw))
        elif case == "id_token_alg_none":
            broken = f"{_encode({'alg': 'none', 'typ': 'JWT'})}.{_encode(claims)}."
        elif case == "id_token_unknown_kid":
            stranger = generate_key(alg)
            broken = sign_jwt(claims, stranger, "JWT", alg=alg)
            scenario.detail["kid"] = stranger.kid or ""
        elif case == "key_rotation":
            kids = self.keys.rotate(alg=alg, overlap=self.rotation_overlap)
            scenario.detail["kids"] = " ".join(kids)
            broken = self.keys.sign(claims, alg)
        else:
            broken = self.keys.sign(self._claims(case, claims, scenario, now), alg)
        return {**body, "id_token": broken}

    def _claims(self, case: str, claims: dict[str, Any], scenario: Scenario, now: int) -> dict[str, Any]:
        changed = dict(claims)
        if case == "id_token_wrong_iss":
            changed["iss"] = "https://another-provider.example"
        elif case == "id_token_wrong_aud":
            changed["aud"] = "https://another-service.example"
        elif case == "id_token_wrong_nonce":
            changed["nonce"] = secrets.token_urlsafe(32)
        elif case == "id_token_expired":
            changed["iat"], changed["exp"] = now - 7200, now - 3600
        elif case == "id_token_future_iat":
            changed["iat"], changed["exp"] = now + 3600, now + 7200
        elif case == "id_token_missing_vot":
            changed.pop("vot", None)
            changed.pop("vtm", None)
        elif case == "id_token_vot_outside_vtr":
            changed["vot"] = _outside(scenario.vtr)
        return changed

    def userinfo(self, client_id: str, body: dict[str, Any]) -> dict[str, Any]:
        """The UserInfo response, its ``verified_claims`` changed as the scenario says."""
        with self._lock:
            scenario = self._take(client_id, "userinfo")
        if scenario is None or CASES[scenario.case].stage != "userinfo" or "verified_claims" not in body:
            return body
        changed = copy.deepcopy(body)
        elements = changed["verified_claims"]
        for element in elements if isinstance(elements, list) else [elements]:
            verification = element.get("verification", {}) if isinstance(element, dict) else {}
            if scenario.case == "verified_claims_unknown_trust_framework":
                verification["trust_framework"] = "xx_unknown_framework"
            else:
                _under_score(verification)
        return changed


def _outside(vtr: tuple[str, ...]) -> str:
    """A vector that satisfies none of ``vtr`` (RFC 8485 §6.1: a ``vot`` may carry more components
    than a requested vector, so a mere difference is not enough)."""
    try:
        requested = parse_vtr(list(vtr))
    except VectorError:
        requested = ()
    for text in _OTHER_VECTORS:
        if vot_matching(Vector.parse(text), requested) is None:
            return text
    return "P0"  # pragma: no cover - a vtr of every vector above cannot be requested in practice


def _under_score(verification: dict[str, Any]) -> None:
    """Every GPG 45 score of the element's assurance details set to 0, its claimed level kept."""
    process = verification.get("assurance_process")
    details = process.get("assurance_details") if isinstance(process, dict) else None
    for detail in details if isinstance(details, list) else []:
        if isinstance(detail, dict) and "assurance_classification" in detail:
            detail["assurance_classification"] = "score_0"
