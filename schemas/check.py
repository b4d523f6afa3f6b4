"""Check a payload against the published schema and explain each problem in plain words.

A problem is a JSON path into the payload (``$.verified_claims.verification.evidence[0]
.check_details[1].check_method``, RFC 9535 normalized-path style) and a reason a person can act
on. pydantic's error locations also name the branch of a union that was tried (``object``,
``array``, ``document`` ...), which are not members of the payload, so the path is built by
walking the payload alongside the location and keeping only real keys and indexes.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from pydantic_core import ErrorDetails

from schemas.catalog import CatalogEntry, detect, entry, schema_names

__all__ = ["CheckResult", "Problem", "check_file", "check_payload", "format_result", "json_path"]


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with a payload: where (a JSON path) and why."""

    path: str
    reason: str


@dataclass(frozen=True, slots=True)
class CheckResult:
    """The outcome of checking one payload: the schema applied (if one was) and the problems found."""

    schema: str | None
    problems: tuple[Problem, ...]

    @property
    def valid(self) -> bool:
        """True if there are no problems."""
        return not self.problems


class _NotJsonError(ValueError):
    """A token Python's json module accepts but RFC 8259 does not (NaN, Infinity)."""


def _reject_constant(name: str) -> Any:
    raise _NotJsonError(f"{name} is not a JSON value")


def check_file(path: Path, schema: str | None) -> CheckResult:
    """Read ``path`` as JSON and check it; ``schema`` is a catalog name, or ``None`` to detect it.

    Unreadable files and malformed JSON are reported as problems at ``$``, never raised.
    Raises :class:`schemas.catalog.UnknownSchemaError` only for an unknown ``schema`` name.
    """
    named = entry(schema) if schema is not None else None
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as error:
        return _one_problem(named, f"not valid JSON: the file is not UTF-8 text ({error.reason})")
    except OSError as error:
        return _one_problem(named, f"cannot read the file: {error.strerror or error}")
    try:
        obj = json.loads(text, parse_constant=_reject_constant)
    except json.JSONDecodeError as error:
        return _one_problem(named, f"not valid JSON: {error.msg} (line {error.lineno}, column {error.colno})")
    except _NotJsonError as error:
        return _one_problem(named, f"not valid JSON: {error}")
    except RecursionError:
        return _one_problem(named, "not valid JSON: nested too deeply to read")
    return check_payload(obj, schema)


def check_payload(obj: object, schema: str | None) -> CheckResult:
    """Check a parsed JSON value against the schema called ``schema`` (``None``: detect it)."""
    if schema is not None:
        item = entry(schema)
    elif not isinstance(obj, dict):
        return _one_problem(None, "must be an object")
    else:
        found = detect(obj)
        if found is None:
            return _one_problem(
                None,
                "cannot tell which kind of payload this is: pass --schema with one of "
                + ", ".join(schema_names()),
            )
        item = found
    try:
        item.model.model_validate(obj)
    except ValidationError as error:
        problems = [
            Problem(json_path(obj, detail["loc"], detail["type"]), _reason(detail))
            for detail in error.errors()
        ]
        return CheckResult(item.name, tuple(dict.fromkeys(problems)))
    return CheckResult(item.name, ())


def _one_problem(item: CatalogEntry | None, reason: str) -> CheckResult:
    return CheckResult(item.name if item is not None else None, (Problem("$", reason),))


def format_result(label: str, result: CheckResult) -> list[str]:
    """The lines ``ukid schemas check`` prints for one file shown as ``label``."""
    if result.valid:
        return [f"{label}: valid ({result.schema})"]
    return [f"{label}: {problem.path}: {problem.reason}" for problem in result.problems]


_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def _member(name: str) -> str:
    if _IDENTIFIER.fullmatch(name):
        return f".{name}"
    escaped = name.replace("\\", "\\\\").replace("'", "\\'")
    return f"['{escaped}']"


def json_path(data: object, loc: Sequence[int | str], error_type: str = "") -> str:
    """The JSON path in ``data`` that a pydantic error location ``loc`` points to.

    Location items that are not a key or index of the value reached so far (union tags such as
    ``object`` or ``document``, model names of a plain union) are skipped. A missing member
    (``error_type`` ``missing``) is named at the end even though the payload lacks it.
    """
    path = "$"
    current = data
    last = len(loc) - 1
    for position, item in enumerate(loc):
        if isinstance(current, Mapping) and isinstance(item, str):
            if item in current:
                path += _member(item)
                current = current[item]
            elif position == last and error_type == "missing":
                path += _member(item)
        elif isinstance(current, list) and isinstance(item, int) and 0 <= item < len(current):
            path += f"[{item}]"
            current = current[item]
    return path


_TYPE_NAMES = {
    "string_type": "a string",
    "int_type": "an integer",
    "int_from_float": "an integer",
    "float_type": "a number",
    "bool_type": "a boolean",
    "dict_type": "an object",
    "model_type": "an object",
    "model_attributes_type": "an object",
    "dataclass_type": "an object",
    "list_type": "an array",
    "tuple_type": "an array",
}
_BOUNDS = {
    "less_than_equal": ("le", "must be at most {}"),
    "greater_than_equal": ("ge", "must be at least {}"),
    "less_than": ("lt", "must be less than {}"),
    "greater_than": ("gt", "must be greater than {}"),
}
_DATE_ERRORS = frozenset(
    {"date_type", "date_parsing", "date_from_datetime_parsing", "date_from_datetime_inexact"}
)
_DATETIME_ERRORS = frozenset({"datetime_type", "datetime_parsing", "datetime_from_date_parsing"})
_QUOTED = re.compile(r"'((?:[^'\\]|\\.)*)'")


def _reason(detail: ErrorDetails) -> str:
    """A plain-language reason for one pydantic error."""
    kind = detail["type"]
    ctx: dict[str, Any] = dict(detail.get("ctx") or {})
    message = detail["msg"]
    if kind == "missing":
        return "required member is missing"
    if kind == "extra_forbidden":
        return "unknown member: not part of the schema"
    if kind in ("value_error", "assertion_error"):
        return message.removeprefix("Value error, ").removeprefix("Assertion failed, ")
    if kind in ("enum", "literal_error"):
        return "must be one of: " + ", ".join(_QUOTED.findall(str(ctx.get("expected", ""))))
    if kind in _TYPE_NAMES:
        if detail.get("input", ...) is None:
            return f"must be {_TYPE_NAMES[kind]}, not null: leave out a member that has no value"
        return f"must be {_TYPE_NAMES[kind]}"
    if kind in _BOUNDS:
        key, template = _BOUNDS[kind]
        return template.format(ctx.get(key))
    return _plain(kind, ctx, message)


def _plain(kind: str, ctx: Mapping[str, Any], message: str) -> str:
    if kind == "string_too_short":
        if ctx.get("min_length") == 1:
            return "must not be empty"
        return f"must be at least {ctx.get('min_length')} characters long"
    if kind == "string_too_long":
        return f"must be at most {ctx.get('max_length')} characters long"
    if kind == "too_short":
        count = ctx.get("min_length")
        return f"must have at least {count} item{'' if count == 1 else 's'}"
    if kind == "too_long":
        count = ctx.get("max_length")
        return f"must have at most {count} item{'' if count == 1 else 's'}"
    if kind in _DATE_ERRORS or kind in _DATETIME_ERRORS:
        wanted = (
            "a date, YYYY-MM-DD" if kind in _DATE_ERRORS else "a date and time, e.g. 2026-01-31T09:30:00Z"
        )
        return f"must be {wanted}" + (f" ({ctx['error']})" if ctx.get("error") else "")
    if kind == "timezone_aware":
        return "must include a time zone, e.g. 2026-01-31T09:30:00Z"
    if kind == "string_pattern_mismatch":
        return f"must match the pattern {ctx.get('pattern')}"
    if kind == "union_tag_invalid":
        expected = ", ".join(_QUOTED.findall(str(ctx.get("expected_tags", ""))))
        member = str(ctx.get("discriminator")).strip("'")
        return f"unknown {member} {ctx.get('tag')!r}: must be one of {expected}"
    if kind == "union_tag_not_found":
        member = str(ctx.get("discriminator")).strip("'")
        return f"required member {member!r} is missing"
    for prefix in ("Input should be ", "Input should have ", "Input should "):
        if message.startswith(prefix):
            return "must " + message.removeprefix("Input should ")
    return message
