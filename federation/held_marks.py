"""Trust marks an entity holds about itself and publishes (OpenID Federation 1.0 §3, §7).

For each wanted type (a kind name such as ``council``, expanded under each trust anchor, or a full
type URL) the entity finds the issuers its trust anchor lists in ``trust_mark_issuers`` (the anchor
itself for a type only in ``trust_mark_owners``), reads each issuer's
``federation_trust_mark_endpoint`` from its resolved chain, fetches the mark about itself (§8.6),
verifies it (§7.3) and keeps it in a :class:`MarkStore`. :class:`HeldMarks` does this lazily: at
first, then when a mark is older than :data:`REFRESH_SECONDS` or expires within that. A failed attempt
is retried after :data:`RETRY_SECONDS`; while a wanted type has no valid mark at all (an entity just
onboarded, whose issuer has not issued its mark yet) sooner, after :data:`FIRST_RETRY_SECONDS`
doubling on each failure up to :data:`RETRY_SECONDS`. A failure keeps the marks already held; the
marks still valid go in the entity configuration's ``trust_marks`` claim (§3).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import Protocol

from federation.errors import Check, FederationError, InvalidTrustMark
from federation.http import TRUST_MARK_MEDIA_TYPE, FederationFetcher
from federation.resolver import TrustChainResolver
from federation.trust_marks import TrustMark, verify_trust_mark
from schemas.records import TrustMarkKind, trust_mark_type

__all__ = [
    "FIRST_RETRY_SECONDS",
    "MAX_ISSUERS",
    "REFRESH_SECONDS",
    "RELOAD_SECONDS",
    "RETRY_SECONDS",
    "HeldMark",
    "HeldMarks",
    "MarkStore",
    "MemoryMarkStore",
    "expand_trust_mark_type",
    "fetch_trust_mark",
    "trust_marks_claim",
    "wanted_types",
]

#: A held mark is fetched again when older than this, or when it expires within this.
REFRESH_SECONDS = 3600
#: Seconds between two attempts to fetch marks (after a failure, or while one expires soon).
RETRY_SECONDS = 60
#: First delay before trying again while a wanted type has no valid mark; doubles up to RETRY_SECONDS.
FIRST_RETRY_SECONDS = 2
#: Seconds the held marks read from the store are used before reading them again (other workers).
RELOAD_SECONDS = 60
#: Issuers tried per trust anchor for one type.
MAX_ISSUERS = 5

_log = logging.getLogger("federation.held_marks")


@dataclass(frozen=True)
class HeldMark:
    """A trust mark this entity holds (published in its entity configuration)."""

    trust_mark_type: str
    issuer: str
    trust_mark: str
    expires_at: int | None
    fetched_at: int


class MarkStore(Protocol):
    """Where held trust marks are kept, one per type (shared by every worker of the entity)."""

    def held_marks(self) -> list[HeldMark]:
        """Every trust mark held, by type."""
        ...

    def hold_mark(
        self, trust_mark_type: str, *, issuer: str, trust_mark: str, expires_at: int | None
    ) -> None:
        """Keep ``trust_mark`` as the one held of its type (replacing an older one)."""
        ...


class MemoryMarkStore:
    """A :class:`MarkStore` in memory (one process); ``fetched_at`` is read from ``clock``."""

    def __init__(self, *, clock: Callable[[], float] = time.time) -> None:
        self.clock = clock
        self._marks: dict[str, HeldMark] = {}

    def held_marks(self) -> list[HeldMark]:
        """Every trust mark held, by type."""
        return [self._marks[t] for t in sorted(self._marks)]

    def hold_mark(
        self, trust_mark_type: str, *, issuer: str, trust_mark: str, expires_at: int | None
    ) -> None:
        """Keep ``trust_mark`` as the one held of its type (replacing an older one)."""
        self._marks[trust_mark_type] = HeldMark(
            trust_mark_type=trust_mark_type,
            issuer=issuer,
            trust_mark=trust_mark,
            expires_at=expires_at,
            fetched_at=int(self.clock()),
        )

    def drop_mark(self, trust_mark_type: str) -> None:
        """Stop holding the trust mark of ``trust_mark_type`` (e.g. it was revoked)."""
        self._marks.pop(trust_mark_type, None)


def expand_trust_mark_type(anchor: str, name: str) -> str:
    """A trust mark type from this federation's kind name (``council``) or a full type URL."""
    try:
        return trust_mark_type(anchor, TrustMarkKind(name))
    except ValueError:
        return name


def wanted_types(names: Iterable[str], anchors: Iterable[str]) -> list[str]:
    """The types of ``names`` (kind names or type URLs) under each of ``anchors``, without repeats."""
    anchors = list(anchors)
    wanted: list[str] = []
    for name in names:
        for anchor in anchors:
            found = expand_trust_mark_type(anchor, name)
            if found not in wanted:
                wanted.append(found)
    return wanted


def trust_marks_claim(marks: Iterable[HeldMark], *, now: int) -> list[dict[str, str]]:
    """The entity configuration's ``trust_marks`` claim (§3): the held marks not expired at ``now``."""
    return [
        {"trust_mark_type": m.trust_mark_type, "trust_mark": m.trust_mark}
        for m in marks
        if m.expires_at is None or m.expires_at > now
    ]


async def fetch_trust_mark(
    resolver: TrustChainResolver, fetcher: FederationFetcher, *, subject: str, trust_mark_type: str
) -> tuple[str, str, TrustMark]:
    """The trust mark of ``trust_mark_type`` about ``subject`` as ``(token, issuer, verified mark)``.

    Each trust anchor of ``resolver`` listing the type is tried in turn, and each issuer it lists (at
    most :data:`MAX_ISSUERS`; the anchor itself when it lists none or only owns the type): the mark is
    fetched from the issuer's trust mark endpoint (§8.6) and verified (§7.3). Raises
    :class:`InvalidTrustMark` saying why each attempt failed.
    """
    errors: list[str] = []
    for anchor in resolver.anchors:
        try:
            anchor_ec = (await resolver.resolve(anchor, trust_anchor=anchor)).anchor_configuration
        except FederationError as exc:
            errors.append(f"trust anchor {anchor}: {exc.description}")
            continue
        issuers = (anchor_ec.trust_mark_issuers or {}).get(trust_mark_type)
        if issuers is None and trust_mark_type not in (anchor_ec.trust_mark_owners or {}):
            continue
        for issuer in (issuers or [anchor])[:MAX_ISSUERS]:
            try:
                issuer_chain = await resolver.resolve(issuer, trust_anchor=anchor)
                entity = (issuer_chain.leaf.metadata or {}).get("federation_entity", {})
                endpoint = entity.get("federation_trust_mark_endpoint")
                if not isinstance(endpoint, str) or not endpoint:
                    raise InvalidTrustMark(
                        f"{issuer} publishes no federation_trust_mark_endpoint", check=Check.FETCH_ENDPOINT
                    )
                token = await fetcher.get_jwt(
                    endpoint,
                    media_type=TRUST_MARK_MEDIA_TYPE,
                    params={"trust_mark_type": trust_mark_type, "sub": subject},
                )
                mark = verify_trust_mark(
                    token,
                    anchor=anchor_ec,
                    issuer_keys=issuer_chain.leaf.keys(),
                    now=resolver.now(),
                    subject=subject,
                    trust_mark_type=trust_mark_type,
                    policy=resolver.algorithms,
                    leeway=resolver.limits.leeway,
                )
            except FederationError as exc:
                errors.append(f"from {issuer}: {exc.description}")
                continue
            return token, issuer, mark
    if not errors:
        errors.append(f"no trust anchor of {subject} lists issuers of this type")
    raise InvalidTrustMark("; ".join(errors), check=Check.TRUST_MARK_ISSUER)


class HeldMarks:
    """The trust marks ``subject`` holds: read from ``store``, fetched again when due.

    ``wanted`` gives the full types to hold (see :func:`wanted_types`); ``resolver`` gives the trust
    chain resolver of the entity's trust anchors (it may raise :class:`FederationError`). One refresh
    runs at a time; meanwhile other callers are served the marks already held. Failures are logged
    as one warning on ``log``. After an attempt the next waits ``retry_seconds``, or while a wanted
    type has no valid mark ``first_retry_seconds``, doubled after each such attempt up to
    ``retry_seconds``.
    """

    def __init__(
        self,
        subject: str,
        wanted: Callable[[], list[str]],
        store: MarkStore,
        resolver: Callable[[], Awaitable[TrustChainResolver]],
        fetcher: FederationFetcher,
        *,
        clock: Callable[[], float] = time.time,
        log: logging.Logger = _log,
        refresh_seconds: int = REFRESH_SECONDS,
        retry_seconds: int = RETRY_SECONDS,
        first_retry_seconds: int = FIRST_RETRY_SECONDS,
        reload_seconds: int = RELOAD_SECONDS,
    ) -> None:
        self.subject = subject
        self.wanted = wanted
        self.store = store
        self.resolver = resolver
        self.fetcher = fetcher
        self.clock = clock
        self.log = log
        self.refresh_seconds = refresh_seconds
        self.retry_seconds = retry_seconds
        self.first_retry_seconds = first_retry_seconds
        self.reload_seconds = reload_seconds
        self._marks: list[HeldMark] = []
        self._loaded_at: int | None = None
        self._next_attempt = 0
        self._missing_attempts = 0  # attempts in a row that left a wanted type without a valid mark
        self._lock = asyncio.Lock()

    def now(self) -> int:
        """The clock, in whole seconds."""
        return int(self.clock())

    def due(self, now: int) -> bool:
        """Whether a wanted type is missing, or held but older or expiring within ``refresh_seconds``
        (never before the retry delay after the last attempt)."""
        if now < self._next_attempt:
            return False
        held = {m.trust_mark_type: m for m in self._marks}
        for wanted in self.wanted():
            mark = held.get(wanted)
            if mark is None or mark.fetched_at + self.refresh_seconds <= now:
                return True
            if mark.expires_at is not None and mark.expires_at - self.refresh_seconds <= now:
                return True
        return False

    def missing(self, now: int) -> list[str]:
        """The wanted types of which no mark valid at ``now`` is held."""
        valid = {m.trust_mark_type for m in self._marks if m.expires_at is None or m.expires_at > now}
        return [wanted for wanted in self.wanted() if wanted not in valid]

    def _schedule(self, now: int) -> None:
        """Set the next attempt after one at ``now``: ``retry_seconds`` later, or while a wanted type
        has no valid mark ``first_retry_seconds`` doubled per such attempt in a row (capped)."""
        if not self.missing(now):
            self._missing_attempts = 0
            self._next_attempt = now + self.retry_seconds
            return
        self._missing_attempts += 1
        backoff = self.first_retry_seconds * 2 ** min(self._missing_attempts - 1, 30)
        self._next_attempt = now + min(backoff, self.retry_seconds)

    async def held(self) -> list[HeldMark]:
        """The trust marks held now, fetched again first when that is due."""
        now = self.now()
        if self._loaded_at is None or now - self._loaded_at >= self.reload_seconds:
            self._marks = self.store.held_marks()
            self._loaded_at = now
        if self.due(now):
            if self._lock.locked() and self._marks:
                return list(self._marks)  # another request is refreshing: serve what is held meanwhile
            async with self._lock:
                if self.due(self.now()):
                    await self.refresh()
        return list(self._marks)

    async def refresh(self) -> list[str]:
        """Fetch every wanted trust mark; keep the ones held when that fails. Returns the failures."""
        failures: list[str] = []
        try:
            resolver = await self.resolver()
        except FederationError as exc:
            failures.append(exc.description)
        else:
            for wanted in self.wanted():
                try:
                    token, issuer, mark = await fetch_trust_mark(
                        resolver, self.fetcher, subject=self.subject, trust_mark_type=wanted
                    )
                except FederationError as exc:
                    failures.append(f"{wanted}: {exc.description}")
                    continue
                self.store.hold_mark(wanted, issuer=issuer, trust_mark=token, expires_at=mark.exp)
        now = self.now()
        self._marks = self.store.held_marks()
        self._loaded_at = now
        self._schedule(now)
        if failures:
            self.log.warning(
                "could not fetch every trust mark of %s (keeping the %d held): %s",
                self.subject,
                len(self._marks),
                "; ".join(failures),
            )
        return failures

    async def trust_marks_claim(self) -> list[dict[str, str]]:
        """The ``trust_marks`` claim of the entity configuration: :meth:`held` marks not expired."""
        return trust_marks_claim(await self.held(), now=self.now())
