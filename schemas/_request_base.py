"""Building blocks of the request models: the base model and the request leaves.

A leaf is JSON ``null`` or an object (OpenID Connect Core 1.0 §5.5.1: ``essential``, ``value``,
``values``; OpenID Connect for Identity Assurance 1.0 §6.1 ``purpose`` and §6.3.2 ``max_age``).
A member given as ``null`` is requested with no constraints: it is read as an empty leaf, so a
member is requested exactly when it is not ``None``, and an empty leaf is written back as ``null``.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from typing import Annotated, Any, ClassVar, LiteralString

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    SerializerFunctionWrapHandler,
    ValidationInfo,
    field_validator,
    model_serializer,
    model_validator,
)
from pydantic_core import PydanticCustomError

from schemas._base import Opt, opt_field
from schemas.claims import Claims

__all__ = [
    "ClaimLeaf",
    "ClaimMember",
    "ClaimSelection",
    "DateTimeLeaf",
    "DateTimeMember",
    "Leaf",
    "LeafMember",
    "RequestModel",
    "known_claim",
    "request_error",
]

CORE_LEAF = "OpenID Connect Core 1.0 §5.5.1"
IDA_CLAIMS = "OpenID Connect for Identity Assurance 1.0 §6.1"
IDA_MAX_AGE = "OpenID Connect for Identity Assurance 1.0 §6.3.2"


def request_error(kind: LiteralString, message: LiteralString, **context: Any) -> PydanticCustomError:
    """A validation error with a plain message (no "Value error," prefix) and its own type."""
    return PydanticCustomError(kind, message, context or None)


def _null_requests(value: object) -> object:
    """JSON ``null`` requests the member with no constraints: read it as an empty leaf."""
    return {} if value is None else value


def _null_is_request(leaf: type[Any]) -> BeforeValidator:
    """Annotation for a leaf member where ``null`` is a request (OpenID Connect Core §5.5.1)."""
    return BeforeValidator(_null_requests, json_schema_input_type=leaf | None)


class RequestModel(BaseModel):
    """Base of the request models: strict, immutable, unknown members rejected by name.

    ``null`` is accepted only for leaf members (and those listed in ``nullable_members``).
    """

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)

    nullable_members: ClassVar[frozenset[str]] = frozenset()

    @classmethod
    def __pydantic_init_subclass__(cls, **kwargs: Any) -> None:
        super().__pydantic_init_subclass__(**kwargs)
        marked = {
            name
            for name, field in cls.model_fields.items()
            if any(getattr(meta, "func", None) is _null_requests for meta in field.metadata)
        }
        cls.nullable_members = cls.nullable_members | marked

    @model_validator(mode="before")
    @classmethod
    def _known_members(cls, data: Any) -> Any:
        if isinstance(data, dict) and cls.model_config.get("extra") == "forbid":
            for name in data:
                if name not in cls.model_fields:
                    raise request_error(
                        "unknown_member",
                        "unknown member {member}: expected {expected}",
                        member=repr(name),
                        expected=", ".join(cls.model_fields),
                    )
        return data

    @field_validator("*", mode="before")
    @classmethod
    def _null_only_where_meaningful(cls, value: object, info: ValidationInfo) -> object:
        if value is None and info.field_name not in cls.nullable_members:
            raise request_error("null_member", "must not be null: give an object, or leave the member out")
        return value

    def requested_members(self) -> tuple[str, ...]:
        """The members present in the request (``null`` included), in declaration order."""
        return tuple(name for name in type(self).model_fields if name in self.model_fields_set)

    def has_constraint(self) -> bool:
        """True if anything inside restricts which held data may be released (IDA §6.3)."""
        for name in self.requested_members():
            value = getattr(self, name)
            if isinstance(value, dict):
                value = list(value.values())
            for item in value if isinstance(value, list) else [value]:
                if isinstance(item, RequestModel) and item.has_constraint():
                    return True
        return False

    def to_json_dict(self) -> dict[str, Any]:
        """The request as JSON, members as given (an unconstrained leaf as ``null``)."""
        return self.model_dump(mode="json", exclude_unset=True)


class _LeafBase(RequestModel):
    """A request leaf: ``null`` or an object; an empty one is written back as ``null``."""

    essential: Opt[bool] = opt_field("True if the claim or element is essential.", CORE_LEAF)

    @model_serializer(mode="wrap")
    def _empty_as_null(self, handler: SerializerFunctionWrapHandler) -> Any:
        return handler(self) or None


class Leaf(_LeafBase):
    """A string element: ``essential``, and ``value`` or ``values`` to constrain it (IDA §6.3.1)."""

    value: Opt[str] = opt_field("Release only if the element has exactly this value.", CORE_LEAF)
    values: Opt[list[str]] = opt_field(
        "Release only if the element has one of these values.", CORE_LEAF, json_schema_extra={"minItems": 1}
    )

    @field_validator("values")
    @classmethod
    def _values_not_empty(cls, values: list[str]) -> list[str]:
        if not values:
            raise request_error("values_empty", "values must list at least one value")
        return values

    @model_validator(mode="after")
    def _value_or_values(self) -> Leaf:
        if self.value is not None and self.values is not None:
            raise request_error("value_and_values", "give value or values, not both")
        return self

    def allowed(self) -> tuple[str, ...] | None:
        """The values allowed, or ``None`` if any value is."""
        if self.value is not None:
            return (self.value,)
        return tuple(self.values) if self.values is not None else None

    def has_constraint(self) -> bool:
        return self.allowed() is not None

    def accepts(self, found: object, canonical: dict[str, str] | None = None) -> bool:
        """True if ``found`` (the held value in its JSON form) meets ``value``/``values``."""
        allowed = self.allowed()
        if allowed is None:
            return True
        names = canonical or {}
        return isinstance(found, str) and names.get(found, found) in {names.get(v, v) for v in allowed}


class ClaimLeaf(Leaf):
    """A requested claim: ``essential``, ``value``/``values`` and a ``purpose`` (IDA §6.1)."""

    purpose: Opt[str] = opt_field(
        "Why the relying party needs the claim, shown to the person: 3 to 300 characters.",
        IDA_CLAIMS,
        json_schema_extra={"minLength": 3, "maxLength": 300},
    )

    @field_validator("purpose")
    @classmethod
    def _purpose_length(cls, purpose: str) -> str:
        if not 3 <= len(purpose) <= 300:
            raise request_error(
                "purpose_length",
                "purpose must be 3 to 300 characters long, not {length}",
                length=len(purpose),
            )
        return purpose


class DateTimeLeaf(_LeafBase):
    """A date or date-time element: ``essential`` and ``max_age`` in seconds (IDA §6.3.2)."""

    max_age: Opt[int] = opt_field(
        "Release only if no more than this many seconds have passed since the date or time; for a "
        "date, counted from its last second (UTC).",
        IDA_MAX_AGE,
        json_schema_extra={"minimum": 0},
    )

    @field_validator("max_age")
    @classmethod
    def _not_negative(cls, max_age: int) -> int:
        if max_age < 0:
            raise request_error(
                "max_age_negative", "max_age must be 0 or more seconds, not {max_age}", max_age=max_age
            )
        return max_age

    def has_constraint(self) -> bool:
        return self.max_age is not None

    def accepts(self, found: date | None, now: datetime) -> bool:
        """True if ``found`` is recent enough at ``now`` (a missing value never is, under ``max_age``)."""
        if self.max_age is None:
            return True
        if found is None:
            return False
        if isinstance(found, datetime):
            moment = found
        else:
            moment = datetime.combine(found, time(23, 59, 59), tzinfo=UTC)
        return (now - moment).total_seconds() <= self.max_age


LeafMember = Annotated[Leaf, _null_is_request(Leaf)]
DateTimeMember = Annotated[DateTimeLeaf, _null_is_request(DateTimeLeaf)]
ClaimMember = Annotated[ClaimLeaf, _null_is_request(ClaimLeaf)]


def known_claim(name: str) -> str:
    """``name`` if this federation's claims vocabulary (``Claims``) has it, else a request error."""
    if name not in Claims.model_fields:
        raise request_error(
            "unknown_claim",
            "unknown claim {name}: not in this federation's claims vocabulary",
            name=repr(name),
        )
    return name


def _names_a_claim(selection: dict[str, ClaimLeaf]) -> dict[str, ClaimLeaf]:
    if not selection:
        raise request_error("claims_empty", "claims must name at least one claim")
    return selection


ClaimSelection = Annotated[
    dict[Annotated[str, AfterValidator(known_claim)], ClaimMember], AfterValidator(_names_a_claim)
]
"""Claims requested inside ``verified_claims`` (or ``derived_claims``): name to ``null`` or leaf."""
