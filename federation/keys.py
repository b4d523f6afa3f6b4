"""Federation signing keys: generate, load, rotate with an overlap window, publish.

Key IDs are RFC 7638 JWK thumbprints. The public JWKS (OpenID Federation 1.0 §3.1 ``jwks``) holds
the keys that are neither expired nor revoked; the historical keys list (§8.7) holds every key
with ``iat``, ``exp`` and, when revoked, ``revoked {revoked_at, reason}``. Private keys on disk
are written with mode 0600 in a 0700 directory, and never appear in a ``repr`` or a log line.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, cast

from joserfc.errors import JoseError
from joserfc.jwk import ECKey, KeySet, OKPKey, RSAKey

from federation.jose import ASYMMETRIC_ALGORITHMS, AnyKey, JwtType, key_matches_alg, sign_jwt

__all__ = [
    "DEFAULT_KEY_LIFETIME",
    "DEFAULT_ROTATION_OVERLAP",
    "KeyStore",
    "ManagedKey",
    "generate_key",
    "load_private_key_file",
    "public_jwk",
    "sign_historical_keys",
]

#: A new key is published for a year unless rotated sooner.
DEFAULT_KEY_LIFETIME = 365 * 24 * 3600
#: After a rotation the previous key stays published for a week so cached statements still verify.
DEFAULT_ROTATION_OVERLAP = 7 * 24 * 3600
_KEY_FILE_SUFFIX = ".private.jwk"

Clock = Callable[[], float]
KeyType = Literal["EC", "RSA", "OKP"]


def generate_key(alg: str = "ES256") -> AnyKey:
    """A new private key for ``alg``, its ``kid`` set to the RFC 7638 thumbprint."""
    kty = ASYMMETRIC_ALGORITHMS.get(alg)
    key: AnyKey
    if kty == "EC":
        key = ECKey.generate_key({"ES256": "P-256", "ES384": "P-384", "ES512": "P-521"}[alg])
    elif kty == "RSA":
        key = RSAKey.generate_key(3072)
    elif kty == "OKP":
        key = OKPKey.generate_key("Ed25519")
    else:
        raise ValueError(f"cannot generate a key for algorithm {alg!r}")
    return _with_thumbprint_kid(key)


def _import(data: bytes | dict[str, Any], kty: str, kid: str | None = None) -> AnyKey:
    """A joserfc key of type ``kty`` from PEM bytes or a JWK dict, with ``kid`` when given."""
    parameters: dict[str, Any] | None = {"kid": kid} if kid else None
    classes: dict[str, type[AnyKey]] = {"EC": ECKey, "RSA": RSAKey, "OKP": OKPKey}
    if kty not in classes:
        raise ValueError(f"unsupported key type {kty!r} (EC, RSA or OKP expected)")
    return classes[kty].import_key(cast(Any, data), cast(Any, parameters))


def _with_thumbprint_kid(key: AnyKey) -> AnyKey:
    thumbprint = key.thumbprint()
    if key.kid == thumbprint:
        return key  # already named by its RFC 7638 thumbprint: no re-import (slow for RSA)
    data = dict(key.as_dict(private=key.is_private))
    data.pop("kid", None)
    return _import(data, key.key_type, thumbprint)


def public_jwk(key: AnyKey, alg: str) -> dict[str, Any]:
    """The public JWK of ``key`` with ``kid``, ``alg`` and ``use: sig``."""
    data: dict[str, Any] = dict(key.as_dict(private=False))
    data.update({"kid": key.kid, "alg": alg, "use": "sig"})
    return data


def load_private_key_file(path: Path, alg: str | None = None) -> tuple[AnyKey, str]:
    """Read a private key from a PEM (PKCS#8 / traditional) or JWK file; returns (key, alg).

    Without ``alg`` the algorithm is the JWK's ``alg`` or the default for the key type
    (ES256 for P-256, PS256 for RSA, EdDSA for Ed25519).
    """
    raw = path.read_bytes()
    data: bytes | dict[str, Any]
    if raw.lstrip().startswith(b"{"):
        data = json.loads(raw)
        if not isinstance(data, dict) or "kty" not in data:
            raise ValueError(f"{path}: not a JWK (a JSON object with 'kty')")
        kty = cast(KeyType, data["kty"])
        alg = alg or cast("str | None", data.get("alg"))
        data = {k: v for k, v in data.items() if k not in ("kid", "alg", "use", "key_ops")}
    elif b"-----BEGIN" in raw:
        data = raw
        kty = _pem_key_type(raw)
    else:
        raise ValueError(f"{path}: neither a PEM nor a JWK file")
    key = _import(data, kty)
    if not key.is_private:
        raise ValueError(f"{path}: holds a public key; a signing key must be private")
    alg = alg or _default_alg(key)
    if not key_matches_alg(key, alg):
        raise ValueError(f"{path}: a {key.key_type} key cannot sign {alg}")
    return _with_thumbprint_kid(key), alg


def _pem_key_type(pem: bytes) -> KeyType:
    from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa  # noqa: PLC0415
    from cryptography.hazmat.primitives.serialization import load_pem_private_key  # noqa: PLC0415

    loaded = load_pem_private_key(pem, password=None)
    if isinstance(loaded, ec.EllipticCurvePrivateKey):
        return "EC"
    if isinstance(loaded, rsa.RSAPrivateKey):
        return "RSA"
    if isinstance(loaded, ed25519.Ed25519PrivateKey):
        return "OKP"
    raise ValueError("unsupported PEM key type (EC, RSA or Ed25519 expected)")


def _default_alg(key: AnyKey) -> str:
    if key.key_type == "RSA":
        return "PS256"
    if key.key_type == "OKP":
        return "EdDSA"
    crv = key.as_dict(private=False).get("crv")
    return {"P-256": "ES256", "P-384": "ES384", "P-521": "ES512"}.get(str(crv), "ES256")


@dataclass
class ManagedKey:
    """A private signing key with its life cycle (§8.7: ``iat``, ``exp``, ``revoked``)."""

    key: AnyKey = field(repr=False)
    alg: str
    iat: int
    exp: int
    revoked_at: int | None = None
    revoked_reason: str | None = None
    #: Order of creation in the store, so that two keys made in the same second still sort.
    serial: int = 0

    @property
    def kid(self) -> str:
        """The RFC 7638 thumbprint of the key."""
        return str(self.key.kid)

    def usable(self, now: float) -> bool:
        """Published and usable for verification: not expired, not revoked."""
        return self.revoked_at is None and self.exp > now

    def public_jwk(self) -> dict[str, Any]:
        """The public JWK (``kid``, ``alg``, ``use``)."""
        return public_jwk(self.key, self.alg)

    def historical_entry(self) -> dict[str, Any]:
        """This key as an entry of the historical keys JWK set (§8.7.2)."""
        entry = self.public_jwk()
        entry.update({"iat": self.iat, "exp": self.exp})
        if self.revoked_at is not None:
            revoked: dict[str, Any] = {"revoked_at": self.revoked_at}
            if self.revoked_reason:
                revoked["reason"] = self.revoked_reason
            entry["revoked"] = revoked
        return entry

    def to_file_json(self) -> dict[str, Any]:
        """The on-disk form (holds the PRIVATE key: written 0600 only)."""
        return {
            "jwk": self.key.as_dict(private=True),
            "alg": self.alg,
            "iat": self.iat,
            "exp": self.exp,
            "revoked_at": self.revoked_at,
            "revoked_reason": self.revoked_reason,
            "serial": self.serial,
        }

    @classmethod
    def from_file_json(cls, data: Mapping[str, Any]) -> ManagedKey:
        """Read the on-disk form written by :meth:`to_file_json`."""
        jwk = dict(data["jwk"])
        key = _import(jwk, str(jwk["kty"]))
        return cls(
            key=_with_thumbprint_kid(key),
            alg=str(data["alg"]),
            iat=int(data["iat"]),
            exp=int(data["exp"]),
            revoked_at=data.get("revoked_at"),
            revoked_reason=data.get("revoked_reason"),
            serial=int(data.get("serial", 0)),
        )


def _write_private(path: Path, content: str) -> None:
    """Write ``content`` to ``path`` with mode 0600, atomically (temp file and rename)."""
    tmp = path.with_name(f".{path.name}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.fchmod(fd, 0o600)
        os.write(fd, content.encode())
    finally:
        os.close(fd)
    tmp.replace(path)


class KeyStore:
    """An entity's federation keys, in memory or persisted in a directory (one file per key)."""

    def __init__(self, directory: Path | None = None, *, clock: Clock = time.time) -> None:
        self._directory = directory
        self._clock = clock
        self._keys: dict[str, ManagedKey] = {}
        if directory is not None and directory.exists():
            for path in sorted(directory.glob(f"*{_KEY_FILE_SUFFIX}")):
                try:
                    managed = ManagedKey.from_file_json(json.loads(path.read_text()))
                except (ValueError, KeyError, TypeError, JoseError) as exc:
                    raise ValueError(f"{path}: not a key file written by this key store ({exc})") from exc
                self._keys[managed.kid] = managed

    def __repr__(self) -> str:
        return f"KeyStore(directory={self._directory}, kids={list(self._keys)})"

    @classmethod
    def open(cls, directory: Path | None, *, alg: str = "ES256", clock: Clock = time.time) -> KeyStore:
        """Open the store at ``directory`` and generate a first key if it holds none usable."""
        store = cls(directory, clock=clock)
        if store.active_key() is None:
            store.generate(alg)
        return store

    def key_path(self, kid: str) -> Path:
        """The file that holds (or would hold) the private key ``kid``."""
        if self._directory is None:
            raise LookupError("this key store is in memory only")
        return self._directory / f"{kid}{_KEY_FILE_SUFFIX}"

    @property
    def directory(self) -> Path | None:
        """Where the private key files live (``None``: in memory only)."""
        return self._directory

    def _now(self) -> int:
        return int(self._clock())

    def now(self) -> int:
        """The store's clock, in whole seconds."""
        return self._now()

    def _save(self, managed: ManagedKey) -> None:
        if self._directory is None:
            return
        self._directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        self._directory.chmod(0o700)  # a directory made by someone else may be wider
        path = self.key_path(managed.kid)
        _write_private(path, json.dumps(managed.to_file_json(), indent=2))

    def add(self, key: AnyKey, alg: str, *, lifetime: int = DEFAULT_KEY_LIFETIME) -> ManagedKey:
        """Add an existing private key (its ``kid`` becomes its thumbprint) and persist it."""
        if not key.is_private:
            raise ValueError("a signing key must be private")
        if not key_matches_alg(key, alg):
            raise ValueError(f"a {key.key_type} key cannot sign {alg}")
        now = self._now()
        serial = max((k.serial for k in self._keys.values()), default=0) + 1
        managed = ManagedKey(
            key=_with_thumbprint_kid(key), alg=alg, iat=now, exp=now + lifetime, serial=serial
        )
        if managed.kid in self._keys:
            raise ValueError(f"key {managed.kid} is already in the store")
        self._keys[managed.kid] = managed
        self._save(managed)
        return managed

    def generate(self, alg: str = "ES256", *, lifetime: int = DEFAULT_KEY_LIFETIME) -> ManagedKey:
        """Generate a new key for ``alg`` (EC P-256 for the default ES256) and persist it."""
        return self.add(generate_key(alg), alg, lifetime=lifetime)

    def import_file(self, path: Path, alg: str | None = None) -> ManagedKey:
        """Add the private key in a PEM or JWK file."""
        key, key_alg = load_private_key_file(path, alg)
        return self.add(key, key_alg)

    def rotate(self, *, overlap: int = DEFAULT_ROTATION_OVERLAP, alg: str | None = None) -> ManagedKey:
        """Make a new key active; the previous keys stay published for ``overlap`` seconds."""
        previous = [k for k in self._keys.values() if k.usable(self._now())]
        active = self.active_key()
        new = self.generate(alg or (active.alg if active is not None else "ES256"))
        until = self._now() + overlap
        for managed in previous:
            managed.exp = min(managed.exp, until)
            self._save(managed)
        return new

    def revoke(self, kid: str, reason: str = "unspecified") -> ManagedKey:
        """Revoke a key at once; it leaves the JWKS immediately. ``reason`` is one of §8.7.3's
        ``unspecified``, ``compromised``, ``superseded`` (or a federation's own value)."""
        managed = self._keys.get(kid)
        if managed is None:
            raise KeyError(f"no key with kid {kid!r}")
        if managed.revoked_at is None:
            managed.revoked_at = self._now()
            managed.revoked_reason = reason
            self._save(managed)
        return managed

    def managed_keys(self) -> list[ManagedKey]:
        """Every key, newest first (including expired and revoked ones)."""
        return sorted(self._keys.values(), key=lambda k: (k.iat, k.serial), reverse=True)

    def active_key(self) -> ManagedKey | None:
        """The newest usable key: the one that signs."""
        now = self._now()
        return next((k for k in self.managed_keys() if k.usable(now)), None)

    def signing_key(self) -> ManagedKey:
        """The active key; raises ``LookupError`` when every key is expired or revoked."""
        active = self.active_key()
        if active is None:
            raise LookupError("the key store has no usable signing key: generate or rotate one")
        return active

    def public_jwks(self) -> dict[str, list[dict[str, Any]]]:
        """The published JWKS: every key neither expired nor revoked."""
        now = self._now()
        return {"keys": [k.public_jwk() for k in self.managed_keys() if k.usable(now)]}

    def key_set(self) -> KeySet:
        """The published keys as a joserfc ``KeySet`` (public parts only)."""
        return KeySet.import_key_set(cast(Any, self.public_jwks()))

    def historical_keys(self) -> list[dict[str, Any]]:
        """Every key with ``iat``, ``exp`` and ``revoked`` (§8.7), newest first."""
        return [k.historical_entry() for k in self.managed_keys()]

    def sign(self, claims: Mapping[str, Any], typ: JwtType) -> str:
        """Sign ``claims`` as a JWT of kind ``typ`` with the active key."""
        active = self.signing_key()
        return sign_jwt(claims, active.key, typ, alg=active.alg)


def sign_historical_keys(store: KeyStore, entity_id: str) -> str:
    """The historical keys JWK set of ``entity_id`` as a signed ``jwk-set+jwt`` (§8.7.2)."""
    claims = {"iss": entity_id, "iat": store.now(), "keys": store.historical_keys()}
    return store.sign(claims, JwtType.JWK_SET)
