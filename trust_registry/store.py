"""The registry's store: a narrow interface over SQLAlchemy Core (SQLite by default, PostgreSQL by URL).

Reads the federation endpoints serve are single indexed queries. Every change runs in one
transaction together with its audit entry (who, what, when, before and after), so a failed
change leaves neither a partial write nor an audit entry.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from typing import Any

from sqlalchemy import (
    Connection,
    Engine,
    and_,
    bindparam,
    delete,
    exists,
    func,
    insert,
    or_,
    select,
    update,
)

from trust_registry.tables import audit_log, delegations, documents, member_entity_types, members, trust_marks

__all__ = ["AuditEntry", "Member", "RegistryStore", "StoredDocument", "StoredTrustMark", "Writer"]


@dataclass(frozen=True)
class Member:
    """An immediate subordinate of this registry and the statement it serves about it."""

    entity_id: str
    status: str
    organization_name: str | None
    is_intermediate: bool
    entity_types: tuple[str, ...]
    jwks: dict[str, Any]
    configuration_metadata: dict[str, Any]
    metadata: dict[str, Any] | None
    metadata_policy: dict[str, Any] | None
    metadata_policy_crit: list[str] | None
    constraints: dict[str, Any] | None
    statement: str
    statement_iat: int
    statement_exp: int
    created_at: int
    updated_at: int

    def audit_view(self) -> dict[str, Any]:
        """What the audit log records of a member (the signed statement is left out: it is derived)."""
        view = asdict(self)
        for derived in ("statement", "statement_iat", "statement_exp", "created_at", "updated_at"):
            view.pop(derived)
        view["entity_types"] = list(self.entity_types)
        return view


@dataclass(frozen=True)
class StoredTrustMark:
    """A trust mark this registry issued."""

    id: int
    digest: str
    trust_mark_type: str
    sub: str
    jwt: str
    iat: int
    exp: int | None
    revoked_at: int | None
    revocation_reason: str | None

    def audit_view(self) -> dict[str, Any]:
        """What the audit log records of a trust mark."""
        return asdict(self)


@dataclass(frozen=True)
class StoredDocument:
    """One of this registry's own signed documents (entity configuration, historical keys)."""

    name: str
    jwt: str
    iat: int
    exp: int
    keys_version: str


@dataclass(frozen=True)
class AuditEntry:
    """One entry of the append-only audit log."""

    id: int
    at: int
    actor: str
    action: str
    target: str
    before: Any
    after: Any


_MEMBER_COLUMNS = [c for c in members.c if c.name != "entity_types"]
#: The fetch hot path's query, built once (building and caching a new select costs more than the read).
_STATEMENT_QUERY = select(members.c.statement, members.c.statement_exp, members.c.status).where(
    members.c.entity_id == bindparam("entity_id")
)


class Writer:
    """The connection of one write transaction; every change it makes is audited."""

    def __init__(self, connection: Connection, actor: str, now: int) -> None:
        self.connection = connection
        self.actor = actor
        self.now = now

    def audit(self, action: str, target: str, before: Any, after: Any) -> None:
        """Append an audit entry in this transaction."""
        self.connection.execute(
            insert(audit_log).values(
                at=self.now, actor=self.actor, action=action, target=target, before=before, after=after
            )
        )

    def put_member(self, member: Member, *, new: bool) -> None:
        """Insert or replace a member and its entity types."""
        values = {k: v for k, v in asdict(member).items() if k != "entity_types"}
        if new:
            self.connection.execute(insert(members).values(**values))
        else:
            self.connection.execute(
                update(members).where(members.c.entity_id == member.entity_id).values(**values)
            )
            self.connection.execute(
                delete(member_entity_types).where(member_entity_types.c.entity_id == member.entity_id)
            )
        if member.entity_types:
            self.connection.execute(
                insert(member_entity_types),
                [{"entity_id": member.entity_id, "entity_type": t} for t in member.entity_types],
            )

    def put_statement(self, entity_id: str, statement: str, exp: int, iat: int) -> None:
        """Replace a member's signed statement (after a key rotation)."""
        self.connection.execute(
            update(members)
            .where(members.c.entity_id == entity_id)
            .values(statement=statement, statement_iat=iat, statement_exp=exp)
        )

    def delete_member(self, entity_id: str) -> None:
        """Remove a member (its entity types go with it)."""
        self.connection.execute(
            delete(member_entity_types).where(member_entity_types.c.entity_id == entity_id)
        )
        self.connection.execute(delete(members).where(members.c.entity_id == entity_id))

    def add_trust_mark(self, mark: Mapping[str, Any]) -> int:
        """Record an issued trust mark; returns its id."""
        result = self.connection.execute(insert(trust_marks).values(**mark))
        key = result.inserted_primary_key
        return int(key[0]) if key else 0

    def revoke_trust_mark(self, mark_id: int, reason: str) -> None:
        """Mark a trust mark revoked now."""
        self.connection.execute(
            update(trust_marks)
            .where(trust_marks.c.id == mark_id)
            .values(revoked_at=self.now, revocation_reason=reason)
        )

    def put_delegation(self, trust_mark_type: str, jwt: str, owner: str, exp: int | None) -> None:
        """Install (or replace) the delegation this registry holds for a trust mark type."""
        self.connection.execute(delete(delegations).where(delegations.c.trust_mark_type == trust_mark_type))
        self.connection.execute(
            insert(delegations).values(
                trust_mark_type=trust_mark_type, jwt=jwt, owner=owner, exp=exp, installed_at=self.now
            )
        )


class RegistryStore:
    """Queries and transactions over the registry's tables."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        # One-statement reads need no transaction: on PostgreSQL autocommit saves the BEGIN and the
        # ROLLBACK round trips of each fetch (SQLite's are in process, and switching costs more).
        self._autocommit_reads = engine.dialect.name == "postgresql"
        #: True when the database is a server (PostgreSQL): reads wait on the network.
        self.network_database = engine.dialect.name != "sqlite"

    def close(self) -> None:
        """Release the engine's connections."""
        self.engine.dispose()

    @contextmanager
    def write(self, actor: str, now: int) -> Iterator[Writer]:
        """One transaction: committed when the block ends, rolled back (with its audit) on error."""
        with self.engine.begin() as connection:
            yield Writer(connection, actor, now)

    # --- members ---------------------------------------------------------------------------

    def statement(self, entity_id: str) -> tuple[str, int, str] | None:
        """The served subordinate statement, its ``exp`` and the member's status (the fetch hot path)."""
        with self.engine.connect() as connection:
            if self._autocommit_reads:
                connection.execution_options(isolation_level="AUTOCOMMIT")
            row = connection.execute(_STATEMENT_QUERY, {"entity_id": entity_id}).first()
        return (row[0], row[1], row[2]) if row else None

    def member(self, entity_id: str, connection: Connection | None = None) -> Member | None:
        """A member with its entity types, or None."""
        if connection is None:
            with self.engine.connect() as own:
                return self.member(entity_id, own)
        row = connection.execute(select(*_MEMBER_COLUMNS).where(members.c.entity_id == entity_id)).first()
        if row is None:
            return None
        types = connection.execute(
            select(member_entity_types.c.entity_type)
            .where(member_entity_types.c.entity_id == entity_id)
            .order_by(member_entity_types.c.entity_type)
        ).scalars()
        return Member(entity_types=tuple(types), **row._asdict())

    def members(
        self, entity_ids: Sequence[str] | None = None, *, offset: int = 0, limit: int | None = None
    ) -> list[Member]:
        """Members (all, those named, or the page ``offset``/``limit``), ordered by entity ID."""
        query = select(*_MEMBER_COLUMNS).order_by(members.c.entity_id).offset(offset).limit(limit)
        if entity_ids is not None:
            query = query.where(members.c.entity_id.in_(list(entity_ids)))
        with self.engine.connect() as connection:
            rows = connection.execute(query).all()
            wanted = [r.entity_id for r in rows]
            types: dict[str, list[str]] = {}
            for start in range(0, len(wanted), 500):  # bounded IN lists
                chunk = wanted[start : start + 500]
                type_rows = connection.execute(
                    select(member_entity_types.c.entity_id, member_entity_types.c.entity_type).where(
                        member_entity_types.c.entity_id.in_(chunk)
                    )
                )
                for entity_id, entity_type in type_rows:
                    types.setdefault(entity_id, []).append(entity_type)
        return [Member(entity_types=tuple(sorted(types.get(r.entity_id, ()))), **r._asdict()) for r in rows]

    def member_count(self) -> int:
        """How many members there are."""
        with self.engine.connect() as connection:
            return int(connection.execute(select(func.count()).select_from(members)).scalar_one())

    def list_entity_ids(
        self,
        *,
        now: int,
        entity_types: Sequence[str] = (),
        trust_marked: bool = False,
        trust_mark_type: str | None = None,
        intermediate: bool | None = None,
        include_suspended: bool = False,
    ) -> list[str]:
        """Entity IDs of the members matching every filter (§8.2), in entity ID order."""
        query = select(members.c.entity_id).order_by(members.c.entity_id)
        if not include_suspended:
            query = query.where(members.c.status == "active")
        if entity_types:
            query = query.where(
                exists().where(
                    and_(
                        member_entity_types.c.entity_id == members.c.entity_id,
                        member_entity_types.c.entity_type.in_(list(entity_types)),
                    )
                )
            )
        if intermediate is not None:
            query = query.where(members.c.is_intermediate.is_(intermediate))
        if trust_marked or trust_mark_type is not None:
            valid = and_(
                trust_marks.c.sub == members.c.entity_id,
                trust_marks.c.revoked_at.is_(None),
                or_(trust_marks.c.exp.is_(None), trust_marks.c.exp > now),
            )
            if trust_mark_type is not None:
                valid = and_(valid, trust_marks.c.trust_mark_type == trust_mark_type)
            query = query.where(exists().where(valid))
        with self.engine.connect() as connection:
            result = connection.execute(query)
            try:
                # One DBAPI fetchall, no row objects: at 100,000 members building a row per member
                # costs as much as the query (entity IDs are plain strings, nothing to process).
                return [entity_id for (entity_id,) in result.cursor.fetchall()]
            finally:
                result.close()

    # --- trust marks -----------------------------------------------------------------------

    def trust_mark_by_digest(self, digest: str) -> StoredTrustMark | None:
        """The trust mark with this SHA-256 digest, if this registry issued it."""
        return self._one_mark(trust_marks.c.digest == digest)

    def trust_mark_by_id(self, mark_id: int) -> StoredTrustMark | None:
        """A trust mark by its id."""
        return self._one_mark(trust_marks.c.id == mark_id)

    def _one_mark(self, condition: Any) -> StoredTrustMark | None:
        with self.engine.connect() as connection:
            row = connection.execute(select(trust_marks).where(condition)).first()
        return StoredTrustMark(**row._asdict()) if row else None

    def trust_marks(
        self, *, sub: str | None = None, trust_mark_type: str | None = None
    ) -> list[StoredTrustMark]:
        """Issued trust marks (revoked and expired included), newest first."""
        query = select(trust_marks).order_by(trust_marks.c.id.desc())
        if sub is not None:
            query = query.where(trust_marks.c.sub == sub)
        if trust_mark_type is not None:
            query = query.where(trust_marks.c.trust_mark_type == trust_mark_type)
        with self.engine.connect() as connection:
            return [StoredTrustMark(**row._asdict()) for row in connection.execute(query)]

    def valid_trust_marks(
        self, *, now: int, trust_mark_type: str, sub: str | None = None
    ) -> list[StoredTrustMark]:
        """Trust marks of a type that are neither revoked nor expired, newest first."""
        query = (
            select(trust_marks)
            .where(
                trust_marks.c.trust_mark_type == trust_mark_type,
                trust_marks.c.revoked_at.is_(None),
                or_(trust_marks.c.exp.is_(None), trust_marks.c.exp > now),
            )
            .order_by(trust_marks.c.id.desc())
        )
        if sub is not None:
            query = query.where(trust_marks.c.sub == sub)
        with self.engine.connect() as connection:
            return [StoredTrustMark(**row._asdict()) for row in connection.execute(query)]

    def valid_trust_marks_of(self, sub: str, now: int) -> list[StoredTrustMark]:
        """Every trust mark issued to ``sub`` that is neither revoked nor expired."""
        query = select(trust_marks).where(
            trust_marks.c.sub == sub,
            trust_marks.c.revoked_at.is_(None),
            or_(trust_marks.c.exp.is_(None), trust_marks.c.exp > now),
        )
        with self.engine.connect() as connection:
            return [StoredTrustMark(**row._asdict()) for row in connection.execute(query)]

    def delegation(self, trust_mark_type: str) -> str | None:
        """The delegation this registry holds for a trust mark type."""
        with self.engine.connect() as connection:
            return connection.execute(
                select(delegations.c.jwt).where(delegations.c.trust_mark_type == trust_mark_type)
            ).scalar()

    # --- own documents ---------------------------------------------------------------------

    def document(self, name: str) -> StoredDocument | None:
        """One of this registry's signed documents."""
        with self.engine.connect() as connection:
            row = connection.execute(select(documents).where(documents.c.name == name)).first()
        return StoredDocument(**row._asdict()) if row else None

    def put_document(self, document: StoredDocument) -> None:
        """Store (or replace) a signed document; not audited (it is derived from audited state)."""
        with self.engine.begin() as connection:
            connection.execute(delete(documents).where(documents.c.name == document.name))
            connection.execute(insert(documents).values(**asdict(document)))

    def refresh_statement(self, entity_id: str, statement: str, iat: int, exp: int) -> None:
        """Replace a member's served statement by a freshly signed one with the same content."""
        with self.engine.begin() as connection:
            connection.execute(
                update(members)
                .where(members.c.entity_id == entity_id)
                .values(statement=statement, statement_iat=iat, statement_exp=exp)
            )

    # --- audit -----------------------------------------------------------------------------

    def audit_entries(
        self, *, after_id: int = 0, limit: int = 100, target: str | None = None
    ) -> list[AuditEntry]:
        """Audit entries with an id above ``after_id``, oldest first."""
        query = select(audit_log).where(audit_log.c.id > after_id).order_by(audit_log.c.id).limit(limit)
        if target is not None:
            query = query.where(audit_log.c.target == target)
        with self.engine.connect() as connection:
            return [AuditEntry(**row._asdict()) for row in connection.execute(query)]
