"""The published form of the schema: JSON Schema files, examples and SPEC.md, all from the models."""

from __future__ import annotations

import json
import typing
from enum import Enum
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator
from pydantic import BaseModel

from schemas.catalog import CATALOG, detect
from schemas.check import check_file, format_result
from schemas.export import DRAFT_2020_12, SCHEMA_ID_BASE, default_json_dir, stale_json_schemas
from schemas.gpg45 import profile
from schemas.spec import default_spec_path, render_spec
from schemas.verified_claims import VerifiedClaimsPayload
from tests.schemas.oidf import REPO, oidf_errors

EXAMPLES = REPO / "schemas" / "examples"
VALID = sorted((EXAMPLES / "valid").glob("*.json"))
INVALID = sorted((EXAMPLES / "invalid").glob("*.json"))
VERIFIED_CLAIMS_VALID = [p for p in VALID if "verified_claims" in json.loads(p.read_text(encoding="utf-8"))]


def _load(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def _published(name: str) -> dict[str, Any]:
    document: dict[str, Any] = _load(default_json_dir() / f"{name}.schema.json")
    return document


def test_json_schema_files_are_fresh() -> None:
    stale = stale_json_schemas(default_json_dir())
    assert not stale, "schemas/json/ is stale; run `ukid schemas export`:\n" + "\n".join(stale)


@pytest.mark.parametrize("item", CATALOG, ids=lambda item: item.name)
def test_json_schema_file_is_draft_2020_12_with_stable_id(item: Any) -> None:
    document = _published(item.name)
    Draft202012Validator.check_schema(document)
    assert document["$schema"] == DRAFT_2020_12
    assert document["$id"] == f"{SCHEMA_ID_BASE}{item.name}.schema.json"
    assert document["title"] == item.title


def _walk(node: Any, path: str = "$") -> typing.Iterator[tuple[str, Any]]:
    yield path, node
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _walk(value, f"{path}.{key}")
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _walk(value, f"{path}[{index}]")


@pytest.mark.parametrize("item", CATALOG, ids=lambda item: item.name)
def test_json_schema_shows_optional_members_as_not_nullable_and_keeps_x_source(item: Any) -> None:
    document = _published(item.name)
    nulls = [path for path, node in _walk(document) if node in ({"type": "null"}, ["string", "null"])]
    if item.name == "claims-request":  # a request leaf is null or an object (IDA §6): null is a value there
        assert nulls
    else:
        assert all(".access_token." in path for path in nulls), nulls  # the one member null is a value for
    assert not [
        path for path, node in _walk(document) if isinstance(node, dict) and node.get("default", 0) is None
    ]
    for path, node in _walk(document):
        if path.endswith(".properties") and isinstance(node, dict):
            for member, schema in node.items():
                assert "x-source" in schema and "description" in schema, f"{path}.{member}"


@pytest.mark.parametrize("path", VALID, ids=lambda p: p.name)
def test_valid_example_passes_check_file(path: Path) -> None:
    result = check_file(path, None)
    assert result.valid, "\n".join(format_result(path.name, result))


@pytest.mark.parametrize("path", VALID, ids=lambda p: p.name)
def test_valid_example_validates_against_published_json_schema(path: Path) -> None:
    payload = _load(path)
    item = detect(payload)
    assert item is not None
    validator = Draft202012Validator(
        _published(item.name), format_checker=Draft202012Validator.FORMAT_CHECKER
    )
    assert [error.message for error in validator.iter_errors(payload)] == []


@pytest.mark.parametrize("path", VERIFIED_CLAIMS_VALID, ids=lambda p: p.name)
def test_valid_verified_claims_example_and_its_to_json_dict_validate_against_oidf_schema(path: Path) -> None:
    payload = _load(path)
    assert oidf_errors(payload) == []
    assert oidf_errors(VerifiedClaimsPayload.model_validate(payload).to_json_dict()) == []


@pytest.mark.parametrize("path", VERIFIED_CLAIMS_VALID, ids=lambda p: p.name)
def test_valid_example_gpg45_scores_meet_its_procedure_at_its_assurance_level(path: Path) -> None:
    for element in VerifiedClaimsPayload.model_validate(_load(path)).elements():
        verification = element.verification
        process = verification.assurance_process
        assert process is not None and process.procedure is not None
        result = verification.gpg45_result()
        assert result is not None
        assert process.procedure.upper() in result.profiles
        assert profile(process.procedure).level.value == verification.assurance_level
        assert result.level is not None and result.level.value == verification.assurance_level


def test_valid_examples_cover_council_gp_vouching_and_gpg45_scores() -> None:
    assert {p.name for p in VALID} >= {
        "council-resident-parking.json",
        "gp-registration.json",
        "vouching-prison-leaver.json",
        "gpg45-scores-m1b.json",
    }


def test_every_invalid_example_has_an_expected_file_and_no_expected_file_is_orphaned() -> None:
    examples = {p.stem for p in INVALID}
    expected = {p.stem for p in (EXAMPLES / "invalid").glob("*.expected")}
    assert examples == expected


@pytest.mark.parametrize("path", INVALID, ids=lambda p: p.name)
def test_invalid_example_output_equals_its_expected_lines(path: Path) -> None:
    lines = path.with_suffix(".expected").read_text(encoding="utf-8").splitlines()
    assert lines[0].startswith("# why: ") and len(lines[0]) > len("# why: ")
    relative = path.relative_to(REPO).as_posix()
    assert format_result(relative, check_file(path, None)) == lines[1:]


def test_spec_md_is_fresh() -> None:
    path = default_spec_path()
    assert path.is_file(), "schemas/SPEC.md is missing; run `ukid schemas spec`"
    assert path.read_text(encoding="utf-8") == render_spec(), (
        "schemas/SPEC.md is stale; run `ukid schemas spec`"
    )


def _reachable_models() -> list[type[BaseModel]]:
    """Every pydantic model reachable from the catalog, found from the Python type annotations."""
    found: list[type[BaseModel]] = []

    def visit(annotation: Any) -> None:
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            if annotation not in found:
                found.append(annotation)
                for field in annotation.model_fields.values():
                    visit(field.annotation)
            return
        for argument in typing.get_args(annotation):
            visit(argument)

    for item in CATALOG:
        visit(item.model)
    return found


def _reachable_enums() -> list[type[Enum]]:
    enums: list[type[Enum]] = []

    def visit(annotation: Any) -> None:
        if isinstance(annotation, type) and issubclass(annotation, Enum) and annotation not in enums:
            enums.append(annotation)
        for argument in typing.get_args(annotation):
            visit(argument)

    for model in _reachable_models():
        for field in model.model_fields.values():
            visit(field.annotation)
    return enums


def test_spec_mentions_every_member_of_every_model_reachable_from_the_catalog() -> None:
    spec = default_spec_path().read_text(encoding="utf-8")
    models = _reachable_models()
    assert len(models) > 20
    missing = [
        f"{model.__name__}.{field.alias or name}"
        for model in models
        for name, field in model.model_fields.items()
        if f"| `{field.alias or name}` |" not in spec
    ]
    assert missing == []
    without_section = {model for model in models if f"\n### {model.__name__}\n" not in spec}
    assert without_section <= {item.model for item in CATALOG}  # payload models: under their catalog name
    assert all(f"\n### {item.name}\n" in spec for item in CATALOG)


def test_spec_lists_every_value_of_every_enumeration_and_the_reference_tables() -> None:
    spec = default_spec_path().read_text(encoding="utf-8")
    for enum in _reachable_enums():
        for member in enum:
            assert f"`{member.value}`" in spec, f"{enum.__name__}.{member.name}"
    for heading in (
        "## Trust frameworks",
        "## GPG 45 profiles",
        "## UK profile rules",
        "## Mapping between frameworks",
    ):
        assert f"\n{heading}\n" in spec
    assert "| M1B | `m1b` | medium | 3/2 | 1 | 2 | 2 |" in spec
    assert "| `bvr` | biometric comparison with the photo, remote |" in spec
    assert (EXAMPLES / "valid" / "gp-registration.json").read_text(encoding="utf-8").rstrip() in spec
