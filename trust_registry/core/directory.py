"""The member directory behind the registry pages: search, filter and paginate members in SQL.

Built to scale to a federation of 100,000 members: every filter is a ``WHERE`` clause, the page is
one ``LIMIT``/``OFFSET`` query ordered by the primary key, and entity types and trust marks are then
read for the entity IDs of that page only. The search is a case-insensitive substring match with
``LIKE`` wildcards in the input escaped. A trust mark counts as held when this registry issued it
and it is neither revoked nor expired (OpenID Federation 1.0 §8.4.2 statuses).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import ColumnElement, Connection, Engine, and_, exists, func, or_, select

from trust_registry.tables import member_entity_types, members, trust_marks

__all__ = ["PAGE_SIZE", "Directory", "MemberFilter", "MemberPage", "MemberRow", "Overview"]

#: Members shown per page of the member list.
PAGE_SIZE = 50


@dataclass(frozen=True)
class MemberFilter:
    """What the member list is narrowed to; ``None`` means no filter on that field."""

    q: str | None = None
    entity_type: str | None = None
    #: A full trust mark type URL: members holding a valid mark of that type issued here.
    trust_mark_type: str | None = None
    status: str | None = None
    intermediate: bool | None = None


@dataclass(frozen=True)
class MemberRow:
    """One line of the member list."""

    entity_id: str
    organization_name: str | None
    status: str
    is_intermediate: bool
    entity_types: tuple[str, ...]
    #: Types of the valid trust marks this registry issued to the member, sorted.
    trust_mark_types: tuple[str, ...]


@dataclass(frozen=True)
class MemberPage:
    """One page of the filtered member list."""

    rows: list[MemberRow]
    total: int
    page: int
    page_size: int

    @property
    def pages(self) -> int:
        """How many pages the filtered list has (at least one, possibly empty)."""
        return max(1, -(-self.total // self.page_size))

    @property
    def first(self) -> int:
        """1-based position of the first row shown (0 when there are none)."""
        return (self.page - 1) * self.page_size + 1 if self.rows else 0

    @property
    def last(self) -> int:
        """1-based position of the last row shown (0 when there are none)."""
        return self.first + len(self.rows) - 1 if self.rows else 0


@dataclass(frozen=True)
class Overview:
    """Counts for the registry overview."""

    total: int
    by_status: dict[str, int]
    by_entity_type: dict[str, int]
    intermediates: int


class Directory:
    """Read-only queries over the members for the pages (SQLAlchemy Core on ``tables``)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    @staticmethod
    def _valid_mark(now: int) -> ColumnElement[bool]:
        return and_(
            trust_marks.c.sub == members.c.entity_id,
            trust_marks.c.revoked_at.is_(None),
            or_(trust_marks.c.exp.is_(None), trust_marks.c.exp > now),
        )

    def _conditions(self, filters: MemberFilter, now: int) -> list[ColumnElement[bool]]:
        conditions: list[ColumnElement[bool]] = []
        if filters.q:
            conditions.append(
                or_(
                    members.c.entity_id.icontains(filters.q, autoescape=True),
                    members.c.organization_name.icontains(filters.q, autoescape=True),
                )
            )
        if filters.entity_type is not None:
            conditions.append(
                exists().where(
                    member_entity_types.c.entity_id == members.c.entity_id,
                    member_entity_types.c.entity_type == filters.entity_type,
                )
            )
        if filters.trust_mark_type is not None:
            conditions.append(
                exists().where(
                    self._valid_mark(now), trust_marks.c.trust_mark_type == filters.trust_mark_type
                )
            )
        if filters.status is not None:
            conditions.append(members.c.status == filters.status)
        if filters.intermediate is not None:
            conditions.append(members.c.is_intermediate.is_(filters.intermediate))
        return conditions

    def page(
        self, filters: MemberFilter, *, now: int, page: int = 1, page_size: int = PAGE_SIZE
    ) -> MemberPage:
        """Page ``page`` (1-based) of the members matching ``filters``, in entity ID order."""
        if page < 1 or page_size < 1:
            raise ValueError("page and page_size start at 1")
        conditions = self._conditions(filters, now)
        with self.engine.connect() as connection:
            total = int(
                connection.execute(select(func.count()).select_from(members).where(*conditions)).scalar_one()
            )
            rows = connection.execute(
                select(
                    members.c.entity_id,
                    members.c.organization_name,
                    members.c.status,
                    members.c.is_intermediate,
                )
                .where(*conditions)
                .order_by(members.c.entity_id)
                .offset((page - 1) * page_size)
                .limit(page_size)
            ).all()
            ids = [row.entity_id for row in rows]
            types = self._types_of(connection, ids)
            marks = self._marks_of(connection, ids, now)
        return MemberPage(
            rows=[
                MemberRow(
                    entity_id=row.entity_id,
                    organization_name=row.organization_name,
                    status=row.status,
                    is_intermediate=bool(row.is_intermediate),
                    entity_types=tuple(sorted(types.get(row.entity_id, ()))),
                    trust_mark_types=tuple(sorted(marks.get(row.entity_id, ()))),
                )
                for row in rows
            ],
            total=total,
            page=page,
            page_size=page_size,
        )

    @staticmethod
    def _types_of(connection: Connection, ids: Sequence[str]) -> dict[str, list[str]]:
        found: dict[str, list[str]] = {}
        if ids:
            query = select(member_entity_types.c.entity_id, member_entity_types.c.entity_type).where(
                member_entity_types.c.entity_id.in_(list(ids))
            )
            for entity_id, entity_type in connection.execute(query):
                found.setdefault(entity_id, []).append(entity_type)
        return found

    @staticmethod
    def _marks_of(connection: Connection, ids: Sequence[str], now: int) -> dict[str, set[str]]:
        found: dict[str, set[str]] = {}
        if ids:
            query = (
                select(trust_marks.c.sub, trust_marks.c.trust_mark_type)
                .where(
                    trust_marks.c.sub.in_(list(ids)),
                    trust_marks.c.revoked_at.is_(None),
                    or_(trust_marks.c.exp.is_(None), trust_marks.c.exp > now),
                )
                .distinct()
            )
            for sub, type_url in connection.execute(query):
                found.setdefault(sub, set()).add(type_url)
        return found

    def entity_types(self) -> list[str]:
        """Every entity type some member has, sorted (the choices of the entity type filter)."""
        with self.engine.connect() as connection:
            return list(
                connection.execute(
                    select(member_entity_types.c.entity_type)
                    .distinct()
                    .order_by(member_entity_types.c.entity_type)
                ).scalars()
            )

    def overview(self) -> Overview:
        """Member counts: in total, by status, by entity type, and intermediates."""
        with self.engine.connect() as connection:
            by_status = {
                status: int(count)
                for status, count in connection.execute(
                    select(members.c.status, func.count()).group_by(members.c.status)
                )
            }
            by_type = {
                entity_type: int(count)
                for entity_type, count in connection.execute(
                    select(member_entity_types.c.entity_type, func.count())
                    .group_by(member_entity_types.c.entity_type)
                    .order_by(member_entity_types.c.entity_type)
                )
            }
            intermediates = int(
                connection.execute(
                    select(func.count()).select_from(members).where(members.c.is_intermediate.is_(True))
                ).scalar_one()
            )
        return Overview(
            total=sum(by_status.values()),
            by_status=by_status,
            by_entity_type=by_type,
            intermediates=intermediates,
        )
