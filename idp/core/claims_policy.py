"""Which claims a client may receive at all, whatever the citizen consents to.

The federation vouches for what an organisation is through trust marks (OpenID Federation 1.0 §7):
a claim in :data:`RESTRICTED_CLAIMS` is released only to a client holding the trust mark of the
required kind, issued in the federation of the client's own trust anchor and verified when the
client was resolved (``Client.trust_mark_types``). An NHS number (NHS login's ``nhs_number``) is
thus released only to an NHS organisation.

A statically configured client is outside the federation and holds no trust marks: it is refused
every restricted claim (there is deliberately no configuration switch to allow it).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from idp.core.clients import Client
from schemas.records import TrustMarkKind, trust_mark_type

__all__ = ["RESTRICTED_CLAIMS", "refused_claims", "required_trust_mark"]

#: Claim name -> the kind of trust mark a client must hold to receive it.
RESTRICTED_CLAIMS: Mapping[str, TrustMarkKind] = {
    "nhs_number": TrustMarkKind.NHS_ORGANISATION,
}

_WHO = {
    TrustMarkKind.NHS_ORGANISATION: "an NHS organisation",
    TrustMarkKind.COUNCIL: "a council",
    TrustMarkKind.CERTIFIED_IDENTITY_SERVICE_PROVIDER: "a certified identity service provider",
}


def required_trust_mark(client: Client, claim: str) -> str | None:
    """The trust mark type ``client`` must hold to receive ``claim`` (None: unrestricted), in the
    federation of the client's trust anchor."""
    kind = RESTRICTED_CLAIMS.get(claim)
    if kind is None:
        return None
    if client.trust_anchor is None:
        return kind.value
    return trust_mark_type(client.trust_anchor, kind)


def refused_claims(client: Client, names: Iterable[str]) -> dict[str, str]:
    """The claims among ``names`` that ``client`` may never receive, each with a plain reason.

    ``names`` are claim names requested anywhere (by scope, at the top level of the ``claims``
    parameter, or inside ``verified_claims``); unknown names are not this function's concern.
    An empty result means every claim may be released (subject to consent).
    """
    refused: dict[str, str] = {}
    for name in names:
        kind = RESTRICTED_CLAIMS.get(name)
        if kind is None or name in refused:
            continue
        who = _WHO[kind]
        if client.trust_anchor is None:
            refused[name] = (
                f"only {who}, recognised through the federation by its {kind.value} trust mark, "
                f"may receive {name}"
            )
            continue
        required = trust_mark_type(client.trust_anchor, kind)
        if required not in client.trust_mark_types:
            refused[name] = f"only {who} (trust mark {required}) may receive {name}"
    return refused
