"""The published form of the schema: JSON Schema (draft 2020-12) files generated from the models.

One file per catalog entry, ``schemas/json/<name>.schema.json``, written deterministically
(sorted keys, two-space indent, trailing newline) so that a test and ``ukid schemas export
--check`` can tell when a committed file no longer matches the models.

Each file's ``$id`` is ``https://ukid-interop.github.io/schemas/<name>.schema.json``: a stable
identifier for ``$ref`` and for registries, not a promise that the URL serves the file.

JSON Schema Draft 2020-12 (https://json-schema.org/draft/2020-12); pydantic's JSON Schema
generation (https://docs.pydantic.dev/latest/concepts/json_schema/), adjusted as
:class:`PublishedJsonSchema` describes.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import GenerateJsonSchema, NoDefault
from pydantic_core import core_schema

import schemas
from schemas.catalog import CATALOG, CatalogEntry

__all__ = [
    "DRAFT_2020_12",
    "SCHEMA_ID_BASE",
    "PublishedJsonSchema",
    "default_json_dir",
    "export_json_schemas",
    "json_schema",
    "model_json_schema",
    "render_json_schema",
    "stale_json_schemas",
]

DRAFT_2020_12 = "https://json-schema.org/draft/2020-12/schema"
SCHEMA_ID_BASE = "https://ukid-interop.github.io/schemas/"


class PublishedJsonSchema(GenerateJsonSchema):
    """JSON Schema as the payloads really are.

    An optional member is declared ``Opt[T]`` (see ``schemas._base.Opt``): it may be left out
    but JSON ``null`` is rejected, so its schema is ``T`` alone. pydantic would still emit
    ``default: null`` for it, which would tell readers that ``null`` is the member's value when
    absent: that is not emitted. Members the standard lets be ``null`` are declared ``T | None``
    and keep ``null`` among their types. Per-member titles derived from the member name are not
    emitted (each member has a description); ``x-source`` is kept.
    """

    def get_default_value(self, schema: core_schema.WithDefaultSchema) -> Any:
        """No ``default`` for a member whose default is "absent" (``None``)."""
        default = super().get_default_value(schema)
        return NoDefault if default is None else default

    def field_title_should_be_set(self, schema: Any) -> bool:  # noqa: ARG002 (pydantic hook signature)
        """Members are described, not titled: ``Street Address`` adds nothing to ``street_address``."""
        return False


def model_json_schema(model: type[BaseModel]) -> dict[str, Any]:
    """The JSON Schema of ``model`` as :class:`PublishedJsonSchema` generates it (no envelope)."""
    return model.model_json_schema(schema_generator=PublishedJsonSchema, mode="validation")


def json_schema(item: CatalogEntry) -> dict[str, Any]:
    """The published JSON Schema document of a catalog entry: ``$schema``, ``$id``, title, description."""
    document = model_json_schema(item.model)
    model_description = document.get("description", "")
    document["$schema"] = DRAFT_2020_12
    document["$id"] = SCHEMA_ID_BASE + item.file_name
    document["title"] = item.title
    document["description"] = (
        f"{model_description}\n\nGenerated from the pydantic model "
        f"{item.model.__module__}.{item.model.__qualname__} by `ukid schemas export`; "
        "do not edit by hand."
    ).strip()
    return document


def render_json_schema(item: CatalogEntry) -> str:
    """The exact text of a published JSON Schema file: sorted keys, 2-space indent, final newline."""
    return json.dumps(json_schema(item), indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def default_json_dir() -> Path:
    """Where the committed JSON Schema files live: ``schemas/json/``."""
    return Path(schemas.__file__).resolve().parent / "json"


def export_json_schemas(out_dir: Path) -> list[Path]:
    """Write one ``<name>.schema.json`` per catalog entry into ``out_dir``; the paths written."""
    out_dir.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    for item in CATALOG:
        path = out_dir / item.file_name
        path.write_text(render_json_schema(item), encoding="utf-8")
        written.append(path)
    return written


def stale_json_schemas(directory: Path) -> list[str]:
    """What in ``directory`` does not match the models, one line each (empty when all is fresh).

    A file is stale when it is missing, differs from what :func:`export_json_schemas` would
    write, or is a ``*.schema.json`` with no catalog entry any more.
    """
    problems: list[str] = []
    expected = {item.file_name: item for item in CATALOG}
    for file_name, item in expected.items():
        path = directory / file_name
        if not path.is_file():
            problems.append(f"{file_name}: missing")
        elif path.read_text(encoding="utf-8") != render_json_schema(item):
            problems.append(f"{file_name}: out of date")
    for path in sorted(directory.glob("*.schema.json")):
        if path.name not in expected:
            problems.append(f"{path.name}: no catalog entry (delete it)")
    return problems
