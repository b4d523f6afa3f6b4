"""ID tokens (OpenID Connect Core §2, §3.1.3.6, §12.2) and pairwise subject identifiers (§8.1).

- ``sub`` is pairwise per sector: base64url(SHA-256(sector | account ID | salt)), so services of
  different organisations cannot join a citizen up by identifier; a static client's sector is the
  host of its first redirect URI (or its configured sector), a federation RP's its entity's host.
- ``aud`` is the client ID alone, so no ``azp`` is needed (Core §2).
- ``at_hash`` is the left half of the access token's hash with the hash of the signing algorithm
  (SHA-256 for ES256, PS256, RS256), base64url-encoded (Core §3.1.3.6).
- ``vot`` and ``vtm`` (RFC 8485 §5) when a vector was achieved; ``acr`` only when the request used
  ``acr_values`` (the grant carries one only then); ``auth_time`` always; ``nonce`` when sent.
- Signed with the client's ``id_token_signed_response_alg`` when the provider offers it. A client
  whose metadata names an algorithm the provider does not offer gets the default (ES256) and a log
  line: the federation's metadata policy limits algorithms, so this is a configuration slip, and a
  token the client can still verify with the published keys serves it better than a refusal.
- A refreshed ID token (Core §12.2) keeps ``iss``, ``sub``, ``aud`` and ``auth_time``, gets a new
  ``iat``, and carries no ``nonce``: a refresh is not an authentication request.
"""

from __future__ import annotations

import base64
import hashlib
import logging
from collections.abc import Callable, Mapping
from typing import Any

from idp.core.clients import Client
from idp.services import IdpServices
from idp.store.grants import GrantRecord

__all__ = ["RESERVED_CLAIMS", "id_token", "left_hash", "pairwise_subject", "signing_alg"]

log = logging.getLogger("idp.id_token")

#: Claims the provider sets itself; released user claims never override them.
RESERVED_CLAIMS = frozenset(
    {"iss", "sub", "aud", "exp", "iat", "auth_time", "nonce", "at_hash", "amr", "acr", "vot", "vtm", "azp"}
)
_HASHES: dict[str, Callable[[bytes], Any]] = {
    "256": hashlib.sha256,
    "384": hashlib.sha384,
    "512": hashlib.sha512,
}
_warned: set[tuple[str, str]] = set()


def pairwise_subject(salt: bytes, sector: str, account_id: str) -> str:
    """The pairwise ``sub`` of an account for a sector (Core §8.1)."""
    digest = hashlib.sha256(sector.encode() + b"|" + account_id.encode() + b"|" + salt).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def left_hash(value: str, alg: str) -> str:
    """``at_hash``: base64url of the left half of the hash of ``value`` (Core §3.1.3.6)."""
    function = _HASHES.get(alg[-3:])
    if function is None:
        raise ValueError(f"no hash is defined for {alg}")
    digest: bytes = function(value.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest[: len(digest) // 2]).rstrip(b"=").decode()


def signing_alg(services: IdpServices, client: Client) -> str:
    """The algorithm to sign ``client``'s ID tokens with (see module docstring)."""
    wanted = client.id_token_signed_response_alg
    keys = services.protocol_keys
    if wanted in services.config.id_token_algorithms and wanted in keys.algorithms:
        return wanted
    if (client.client_id, wanted) not in _warned:
        _warned.add((client.client_id, wanted))
        log.warning(
            "client %s asks for %s ID tokens, which this provider does not offer: signing with %s",
            client.client_id,
            wanted,
            keys.default_alg,
        )
    return keys.default_alg


def id_token(
    services: IdpServices,
    client: Client,
    grant: GrantRecord,
    *,
    now: int,
    access_token: str,
    nonce: str | None,
    claims: Mapping[str, Any],
) -> str:
    """A signed ID token for ``grant``, with the user ``claims`` released for the ``id_token`` channel."""
    config = services.config
    alg = signing_alg(services, client)
    payload: dict[str, Any] = {name: value for name, value in claims.items() if name not in RESERVED_CLAIMS}
    payload.update(
        {
            "iss": config.issuer,
            "sub": pairwise_subject(config.pairwise_salt, client.sector, grant.account_id),
            "aud": client.client_id,
            "exp": now + config.id_token_lifetime,
            "iat": now,
            "auth_time": grant.auth_time,
            "at_hash": left_hash(access_token, alg),
        }
    )
    if nonce is not None:
        payload["nonce"] = nonce
    if grant.amr:
        payload["amr"] = list(grant.amr)
    if grant.vot is not None:
        payload["vot"] = grant.vot
        payload["vtm"] = config.endpoints.trustmark
    if grant.acr is not None:
        payload["acr"] = grant.acr
    return services.protocol_keys.sign(payload, alg)
