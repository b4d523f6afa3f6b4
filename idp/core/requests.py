"""A validated authorization request (OpenID Connect Core §3.1.2.1, RFC 7636, RFC 9126, IDA §6, RFC 8485).

Built by :mod:`idp.core.authorization` from the query, or from a pushed authorization request, once
every parameter has been checked; stored as JSON while the citizen signs in and consents, and
carried into the grant the authorization code stands for.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

__all__ = ["AuthorizationRequest"]


@dataclass(frozen=True)
class AuthorizationRequest:
    """Every parameter of an authorization request, checked."""

    client_id: str
    #: Exactly one of the client's registered redirect URIs.
    redirect_uri: str
    #: Scope values, ``openid`` always among them.
    scope: tuple[str, ...]
    #: PKCE S256 challenge (RFC 7636 §4.2), required.
    code_challenge: str
    state: str | None = None
    nonce: str | None = None
    #: ``prompt`` values (``none``, ``login``, ``consent``).
    prompt: tuple[str, ...] = ()
    max_age: int | None = None
    login_hint: str | None = None
    #: Preferred UI languages, best first (``en``, ``cy``).
    ui_locales: tuple[str, ...] = ()
    #: The ``claims`` parameter as JSON (validated by ``schemas.requests.ClaimsRequest``).
    claims: dict[str, Any] | None = None
    #: The ``vtr`` parameter: requested vectors, ORed (RFC 8485 §6.1), as strings.
    vtr: tuple[str, ...] = ()
    #: ``acr_values``, preferred first.
    acr_values: tuple[str, ...] = ()
    #: True when the request came through the PAR endpoint (RFC 9126).
    pushed: bool = False
    extra: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        """The request as stored."""
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> AuthorizationRequest:
        """The request as stored by :meth:`to_json`."""
        values = dict(data)
        for name in ("scope", "prompt", "ui_locales", "vtr", "acr_values"):
            values[name] = tuple(values.get(name) or ())
        return cls(**values)
