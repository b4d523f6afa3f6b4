"""Shared building blocks for the assurance schema models.

Every field carries a plain-language description and the standard it comes from
(``x-source`` in the generated JSON Schema), so that ``schemas/SPEC.md`` can be generated
from the models and cannot drift from them.
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Annotated, Any

from pydantic import (
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    Strict,
)

__all__ = [
    "IsoDate",
    "IsoDateTime",
    "LaxEnum",
    "NonEmptyStr",
    "Opt",
    "SchemaModel",
    "opt_field",
    "spec_field",
]


def spec_field(description: str, source: str, **kwargs: Any) -> Any:
    """A pydantic ``Field`` with a description and the standard (and section) it comes from."""
    extra = kwargs.pop("json_schema_extra", {}) or {}
    return Field(description=description, json_schema_extra={"x-source": source, **extra}, **kwargs)


def opt_field(description: str, source: str, **kwargs: Any) -> Any:
    """An optional member: absent when it has no value (never JSON ``null``)."""
    return spec_field(description, source, default=None, **kwargs)


if TYPE_CHECKING:
    from typing import Optional as Opt
else:

    class Opt:
        """An optional member that may be absent but never JSON ``null``.

        For type checkers ``Opt[T]`` is ``T | None`` (absent members read as ``None``); at run
        time it is ``T`` with a default of ``None``, so pydantic rejects an explicit ``null`` as a
        wrong type while an absent member is fine. Declare such members with ``opt_field``.
        """

        def __class_getitem__(cls, item: object) -> object:
            return item


class SchemaModel(BaseModel):
    """Base for every model of the assurance schema.

    Strict types (a score is a JSON number, not a string), unknown members rejected so that a
    misspelt member is an error rather than silently ignored, and immutable instances.
    """

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True, populate_by_name=True)

    def to_json_dict(self) -> dict[str, Any]:
        """The JSON form of this model as it goes on the wire: members with no value left out."""
        return self.model_dump(mode="json", exclude_none=True, by_alias=True)


def _iso_text(value: object) -> object:
    """Dates and times travel as ISO 8601 strings; reject numbers and other JSON types."""
    if isinstance(value, str | date):  # datetime is a subclass of date
        return value
    raise ValueError("must be a string in ISO 8601 format")


IsoDate = Annotated[date, Strict(False), BeforeValidator(_iso_text)]
"""A calendar date, ``YYYY-MM-DD`` (RFC 3339 full-date)."""

IsoDateTime = Annotated[AwareDatetime, Strict(False), BeforeValidator(_iso_text)]
"""A date and time with a time zone (RFC 3339 / ISO 8601), e.g. ``2021-06-06T05:32:00Z``."""

NonEmptyStr = Annotated[str, Field(min_length=1)]

LaxEnum = Strict(False)
"""Annotation for enum members: accept the enum's string value (as JSON carries it)."""
