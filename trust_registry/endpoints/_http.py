"""Shared request parsing and response rendering for the registry's endpoints.

Query parameters are read strictly: each value is bounded in length, single-valued parameters may
appear once, booleans are ``true`` or ``false``, and entity IDs must be URLs. Every problem is an
``invalid_request`` (OpenID Federation 1.0 §8.9); nothing reaches the core unchecked.
"""

from __future__ import annotations

import json
from collections.abc import Collection
from typing import Any, TypeVar

from fastapi import Request
from fastapi.responses import Response
from pydantic import BaseModel, ValidationError

from federation.errors import Check, InvalidRequest, UnsupportedParameter
from federation.statements import is_entity_id
from trust_registry.core.profile import contains_nul
from trust_registry.services import RegistryServices

__all__ = ["Query", "json_body", "json_response", "jwt_response", "services"]

MAX_QUERY_BYTES = 8192
MAX_VALUE_CHARS = 2048
MAX_REPEATS = 20
MAX_BODY_BYTES = 64 * 1024
_M = TypeVar("_M", bound=BaseModel)


def services(request: Request) -> RegistryServices:
    """The running registry's services."""
    found: RegistryServices = request.app.state.services
    return found


def jwt_response(token: str, media_type: str) -> Response:
    """A signed document with its exact media type (§8)."""
    return Response(content=token, media_type=media_type)


def json_response(value: Any, status_code: int = 200) -> Response:
    """Plain JSON, encoded once (fast for long arrays of entity IDs)."""
    body = json.dumps(value, separators=(",", ":"), ensure_ascii=False)
    return Response(content=body, status_code=status_code, media_type="application/json")


class Query:
    """The query parameters of one request, read strictly."""

    def __init__(
        self, request: Request, allowed: Collection[str], *, unknown_unsupported: bool = False
    ) -> None:
        raw = request.scope.get("query_string", b"")
        if len(raw) > MAX_QUERY_BYTES:
            raise InvalidRequest(f"query string longer than {MAX_QUERY_BYTES} bytes", check=Check.FORMAT)
        self._items: dict[str, list[str]] = {}
        for name, value in request.query_params.multi_items():
            if name not in allowed:
                if unknown_unsupported:
                    raise UnsupportedParameter(
                        f"parameter {name[:100]!r} is not supported here (supported: {', '.join(allowed)})",
                        check=Check.FORMAT,
                    )
                continue  # §8: parameters that are not understood are ignored
            if len(value) > MAX_VALUE_CHARS:
                raise InvalidRequest(
                    f"{name} is longer than {MAX_VALUE_CHARS} characters", check=Check.FORMAT
                )
            if any(ord(c) < 0x20 or ord(c) == 0x7F for c in value):
                raise InvalidRequest(f"{name} contains control characters", check=Check.FORMAT)
            self._items.setdefault(name, []).append(value)

    def one(self, name: str, *, required: bool = False) -> str | None:
        """A single-valued parameter (present at most once; non-empty)."""
        values = self._items.get(name, [])
        if len(values) > 1:
            raise InvalidRequest(f"{name} must be given once", check=Check.FORMAT)
        if not values or values[0] == "":
            if required:
                raise InvalidRequest(f"required parameter {name} is missing", check=Check.FORMAT)
            return None
        return values[0]

    def required(self, name: str) -> str:
        """A required single-valued parameter."""
        value = self.one(name, required=True)
        assert value is not None
        return value

    def many(self, name: str) -> list[str]:
        """A repeatable parameter, in order, each value once."""
        values = self._items.get(name, [])
        if len(values) > MAX_REPEATS:
            raise InvalidRequest(f"{name} is repeated more than {MAX_REPEATS} times", check=Check.FORMAT)
        if any(v == "" for v in values):
            raise InvalidRequest(f"{name} must not be empty", check=Check.FORMAT)
        return list(dict.fromkeys(values))

    def flag(self, name: str) -> bool | None:
        """A boolean parameter: ``true`` or ``false``."""
        value = self.one(name)
        if value is None:
            return None
        if value not in ("true", "false"):
            raise InvalidRequest(f"{name} must be true or false, not {value[:50]!r}", check=Check.FORMAT)
        return value == "true"

    def entity_id(self, name: str, *, required: bool = True) -> str | None:
        """A single entity ID (an http(s) URL with no query or fragment)."""
        value = self.one(name, required=required)
        if value is not None and not is_entity_id(value):
            raise InvalidRequest(f"{name} is not an entity ID: {value[:200]!r}", check=Check.FORMAT)
        return value

    def entity_ids(self, name: str, *, required: bool = False) -> list[str]:
        """A repeatable entity ID parameter."""
        values = self.many(name)
        if required and not values:
            raise InvalidRequest(f"required parameter {name} is missing", check=Check.FORMAT)
        for value in values:
            if not is_entity_id(value):
                raise InvalidRequest(f"{name} is not an entity ID: {value[:200]!r}", check=Check.FORMAT)
        return values


async def json_body(request: Request, model: type[_M]) -> _M:
    """The request's JSON object body, validated by ``model`` (unknown members refused)."""
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type != "application/json":
        raise InvalidRequest("the body must be application/json", check=Check.FORMAT)
    declared = request.headers.get("content-length")
    if declared is not None and (not declared.isdigit() or int(declared) > MAX_BODY_BYTES):
        raise InvalidRequest(f"the body is larger than {MAX_BODY_BYTES} bytes", check=Check.TOO_LARGE)
    body = bytearray()
    async for chunk in request.stream():
        body.extend(chunk)
        if len(body) > MAX_BODY_BYTES:
            raise InvalidRequest(f"the body is larger than {MAX_BODY_BYTES} bytes", check=Check.TOO_LARGE)
    try:
        data = json.loads(bytes(body).decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise InvalidRequest("the body is not valid JSON", check=Check.FORMAT) from None
    if not isinstance(data, dict):
        raise InvalidRequest("the body must be a JSON object", check=Check.FORMAT)
    if b"\\u0000" in body and contains_nul(data):
        raise InvalidRequest("the body must not contain NUL characters (\\u0000)", check=Check.FORMAT)
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "body"
        raise InvalidRequest(f"{where}: {first['msg']}", check=Check.FORMAT) from None
