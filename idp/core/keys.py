"""The provider's ID token signing keys: one key store per algorithm, published together at ``jwks_uri``.

ES256 signs by default; PS256 and RS256 keys exist when configured, for clients whose metadata asks
for them (``id_token_signed_response_alg``). Rotation keeps the previous key published for the
overlap window, so tokens it signed stay verifiable until they expire (OpenID Connect Core §10.1.1).
Federation keys (entity statements) are a separate :class:`federation.keys.KeyStore`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any, cast

from joserfc.jwk import KeySet

from federation.jose import sign_jwt
from federation.keys import DEFAULT_ROTATION_OVERLAP, KeyStore

__all__ = ["ProtocolKeys"]


class ProtocolKeys:
    """ID token keys by algorithm."""

    def __init__(self, stores: Mapping[str, KeyStore]) -> None:
        if not stores:
            raise ValueError("at least one ID token algorithm is needed")
        self._stores = dict(stores)
        self.default_alg = next(iter(self._stores))
        # the published JWKS as JSON, with the second (store clock) it was built in: at most one
        # rebuild per second, and at once after a rotation here
        self._published: tuple[int, bytes] | None = None

    @classmethod
    def open(cls, directory: Path | None, algorithms: tuple[str, ...], *, generate: bool) -> ProtocolKeys:
        """The key stores under ``directory/<alg>``; ``LookupError`` when one holds no usable key and
        ``generate`` is off (``ValueError`` for an unreadable key file)."""
        stores: dict[str, KeyStore] = {}
        for alg in algorithms:
            store = KeyStore(directory / alg if directory is not None else None)
            if store.active_key() is None:
                if not generate:
                    where = directory / alg if directory is not None else "memory"
                    raise LookupError(
                        f"no usable {alg} ID token signing key in {where}: create one with "
                        f"`ukid keys new {where} --alg {alg}`"
                    )
                store.generate(alg)
            stores[alg] = store
        return cls(stores)

    @property
    def algorithms(self) -> tuple[str, ...]:
        """The algorithms this provider signs ID tokens with, default first."""
        return tuple(self._stores)

    def jwks(self) -> dict[str, list[dict[str, Any]]]:
        """Every published key of every algorithm (``jwks_uri``)."""
        return {"keys": [key for store in self._stores.values() for key in store.public_jwks()["keys"]]}

    def jwks_json(self) -> bytes:
        """:meth:`jwks` encoded, rebuilt at most once per second of the key stores' clock."""
        now = next(iter(self._stores.values())).now()
        if self._published is None or self._published[0] != now:
            self._published = (now, json.dumps(self.jwks(), separators=(",", ":")).encode())
        return self._published[1]

    def key_set(self) -> KeySet:
        """The published keys as a joserfc ``KeySet``."""
        return KeySet.import_key_set(cast(Any, self.jwks()))

    def sign(self, claims: Mapping[str, Any], alg: str | None = None, *, typ: str = "JWT") -> str:
        """Sign ``claims`` with the active key of ``alg`` (default: the first algorithm)."""
        store = self._stores.get(alg or self.default_alg)
        if store is None:
            raise ValueError(f"no {alg} signing key is configured")
        active = store.signing_key()
        return sign_jwt(claims, active.key, typ, alg=active.alg)

    def rotate(self, *, overlap: int = DEFAULT_ROTATION_OVERLAP, alg: str | None = None) -> list[str]:
        """Rotate every algorithm's key (only ``alg``'s when given); returns the new kids."""
        self._published = None
        stores = [self._stores[alg]] if alg is not None else list(self._stores.values())
        return [store.rotate(overlap=overlap).kid for store in stores]
