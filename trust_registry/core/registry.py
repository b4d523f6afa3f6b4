"""The registry core: its own entity configuration, the statements it serves, and the read endpoints.

Statements are signed when a member or a key changes and served from the store; a statement is
signed again only when half of its lifetime has passed (OpenID Federation 1.0 §3: every statement
has an ``exp``), so a fetch is one indexed read.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from federation.cache import ExpiringCache
from federation.errors import Check, InvalidPolicy, InvalidRequest, NotFound
from federation.jose import JwtType
from federation.keys import KeyStore, sign_historical_keys
from federation.metadata_policy import merge_policies
from federation.statements import build_entity_configuration, build_subordinate_statement
from trust_registry.core.config import RegistryConfig
from trust_registry.store import Member, RegistryStore, StoredDocument

__all__ = ["Registry"]

Clock = Callable[[], float]
_CONFIGURATION = "entity_configuration"
_HISTORICAL_KEYS = "historical_keys"


def _digest(value: Any) -> str:
    return hashlib.sha256(json.dumps(value, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


class Registry:
    """One trust anchor or intermediate: its configuration, keys and store."""

    def __init__(
        self, config: RegistryConfig, store: RegistryStore, keys: KeyStore, *, clock: Clock = time.time
    ) -> None:
        self.config = config
        self.store = store
        self.keys = keys
        self.clock = clock
        #: Subordinate statements recently served, by subject: (JWT, exp). Bounded and short-lived, so
        #: that a change made by another worker process is served within ``statement_cache_seconds``.
        self.statements: ExpiringCache[tuple[str, int]] = ExpiringCache(20_000, clock=clock)
        #: This registry's own signed entity configuration, kept the same way: (JWT, iat).
        self.configuration: ExpiringCache[tuple[str, int]] = ExpiringCache(1, clock=clock)
        #: Called after every change (e.g. to clear the resolve caches).
        self.on_change: list[Callable[[], None]] = [self.statements.clear, self.configuration.clear]

    def now(self) -> int:
        """The registry clock, in whole seconds."""
        return int(self.clock())

    def changed(self) -> None:
        """Tell listeners that members, trust marks or keys changed."""
        for listener in self.on_change:
            listener()

    # --- own documents ---------------------------------------------------------------------

    def configuration_claims(self) -> dict[str, Any]:
        """The claims of this registry's entity configuration, without ``iat`` / ``exp`` (§3.1, §9)."""
        config = self.config
        metadata: dict[str, Any] = {
            "federation_entity": {
                "organization_name": config.organization_name,
                **config.endpoints.metadata(),
            }
        }
        claims: dict[str, Any] = {"jwks": self.keys.public_jwks(), "metadata": metadata}
        if config.authority_hints:
            claims["authority_hints"] = list(config.authority_hints)
        if config.is_anchor:
            claims["trust_mark_issuers"] = {t: list(v) for t, v in config.trust_mark_issuers.items()}
            if config.owned_types:
                claims["trust_mark_owners"] = {
                    t: {"sub": config.entity_id, "jwks": self.keys.public_jwks()} for t in config.owned_types
                }
        return claims

    def entity_configuration(self) -> str:
        """This registry's signed entity configuration (signed again when stale or changed).

        Kept in memory like served statements: building and comparing the claims and reading the
        store happen at most once per ``statement_cache_seconds`` (and after every change here).
        """
        now = self.now()
        cached = self.configuration.get(_CONFIGURATION)
        if cached is not None and not self._stale(cached[1], now):
            return cached[0]
        jwt, iat = self._configuration(now)
        if self.config.statement_cache_seconds:
            self.configuration.put(_CONFIGURATION, (jwt, iat), now + self.config.statement_cache_seconds)
        return jwt

    def _configuration(self, now: int) -> tuple[str, int]:
        claims = self.configuration_claims()
        version = _digest(claims)
        stored = self.store.document(_CONFIGURATION)
        if stored is not None and stored.keys_version == version and not self._stale(stored.iat, now):
            return stored.jwt, stored.iat
        statement = build_entity_configuration(
            self.config.entity_id,
            claims["jwks"],
            iat=now,
            lifetime=self.config.statement_lifetime,
            metadata=claims["metadata"],
            authority_hints=claims.get("authority_hints"),
            trust_mark_issuers=claims.get("trust_mark_issuers"),
            trust_mark_owners=claims.get("trust_mark_owners"),
        )
        jwt = self.keys.sign(statement.to_claims(), JwtType.ENTITY_STATEMENT)
        self.store.put_document(StoredDocument(_CONFIGURATION, jwt, now, statement.exp, version))
        return jwt, now

    def historical_keys(self) -> str:
        """The signed historical keys list (§8.7), signed again when stale or after a key change."""
        entries = self.keys.historical_keys()
        version = _digest(entries)
        now = self.now()
        stored = self.store.document(_HISTORICAL_KEYS)
        if stored is not None and stored.keys_version == version and not self._stale(stored.iat, now):
            return stored.jwt
        jwt = sign_historical_keys(self.keys, self.config.entity_id)
        exp = now + self.config.statement_lifetime
        self.store.put_document(StoredDocument(_HISTORICAL_KEYS, jwt, now, exp, version))
        return jwt

    def _stale(self, iat: int, now: int) -> bool:
        return now - iat >= self.config.statement_lifetime // 2 or iat > now + 60

    # --- subordinate statements ------------------------------------------------------------

    def effective_policy(
        self, entity_types: Sequence[str], member_policy: Mapping[str, Any] | None, crit: Sequence[str] = ()
    ) -> dict[str, Any]:
        """The ``metadata_policy`` of a member's statement: the profile's, merged with its own (§6.1.4.1).

        Raises :class:`InvalidPolicy` when the member's policy contradicts the profile.
        """
        merged: dict[str, Any] = {t: p for t, p in self.config.policy.items() if t in entity_types}
        for entity_type, policy in (member_policy or {}).items():
            if entity_type in merged:
                merged[entity_type] = merge_policies(merged[entity_type], policy, crit=crit)
            else:
                merged[entity_type] = policy
        return merged

    def sign_statement(self, member: Member, now: int) -> tuple[str, int]:
        """Sign the subordinate statement about ``member`` (§3.1); returns the JWT and its ``exp``."""
        try:
            policy = self.effective_policy(
                member.entity_types, member.metadata_policy, member.metadata_policy_crit or ()
            )
            statement = build_subordinate_statement(
                self.config.entity_id,
                member.entity_id,
                member.jwks,
                iat=now,
                lifetime=self.config.statement_lifetime,
                metadata=member.metadata,
                metadata_policy=policy or None,
                metadata_policy_crit=member.metadata_policy_crit,
                constraints=member.constraints,
                source_endpoint=self.config.endpoints.fetch,
            )
        except InvalidPolicy as exc:
            raise InvalidRequest(
                f"metadata_policy of {member.entity_id} cannot be combined with the federation "
                f"profile's policy: {exc.description}",
                check=exc.check,
            ) from exc
        except ValueError as exc:
            raise InvalidRequest(f"statement about {member.entity_id}: {exc}", check=Check.CLAIMS) from exc
        return self.keys.sign(statement.to_claims(), JwtType.ENTITY_STATEMENT), statement.exp

    def fetch(self, sub: str) -> str:
        """The subordinate statement about ``sub`` (§8.1.1); signed again when half its life passed."""
        if sub == self.config.entity_id:
            raise InvalidRequest(
                f"{sub} is this registry itself; its entity configuration is at "
                "/.well-known/openid-federation",
                check=Check.SUB,
            )
        now = self.now()
        cached = self.statements.get(sub)
        if cached is not None and cached[1] - now > self.config.statement_lifetime // 2:
            return cached[0]
        found = self.store.statement(sub)
        if found is None or found[2] != "active":
            raise NotFound(f"{sub} is not a subordinate of {self.config.entity_id}", check=Check.SUB)
        jwt, exp, _status = found
        if exp - now <= self.config.statement_lifetime // 2:
            member = self.store.member(sub)
            if member is not None:
                jwt, exp = self.sign_statement(member, now)
                self.store.refresh_statement(sub, jwt, now, exp)
        if self.config.statement_cache_seconds:
            self.statements.put(sub, (jwt, exp), now + self.config.statement_cache_seconds)
        return jwt

    def list_subordinates(
        self,
        *,
        entity_types: Sequence[str] = (),
        trust_marked: bool = False,
        trust_mark_type: str | None = None,
        intermediate: bool | None = None,
    ) -> list[str]:
        """Entity IDs of active immediate subordinates matching the filters (§8.2.1)."""
        return self.store.list_entity_ids(
            now=self.now(),
            entity_types=entity_types,
            trust_marked=trust_marked,
            trust_mark_type=trust_mark_type,
            intermediate=intermediate,
        )
