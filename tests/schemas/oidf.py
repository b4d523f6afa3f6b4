"""The OpenID Foundation's eKYC & IDA JSON Schemas, loaded offline for tests.

Copied from the working group's repository (``openid/eKYC-IDA``, commit b410908) into
``tests/vectors/oidf-ida/schema/``; their ``$id``s are under
``https://bitbucket.org/openid/ekyc-ida/raw/master/schema/``, so they are put in a
``referencing.Registry`` and ``$ref``s resolve without the network.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator
from referencing import Registry, Resource

REPO = Path(__file__).resolve().parents[2]
OIDF_DIR = REPO / "tests" / "vectors" / "oidf-ida"
OIDF_SCHEMA_BASE = "https://bitbucket.org/openid/ekyc-ida/raw/master/schema/"


@cache
def oidf_verified_claims_validator() -> Any:
    """A draft 2020-12 validator for ``verified_claims.json``, checking formats (date, date-time)."""
    registry: Registry = Registry()
    for path in sorted((OIDF_DIR / "schema").glob("*.json")):
        resource = Resource.from_contents(json.loads(path.read_text(encoding="utf-8")))
        assert resource.id() == OIDF_SCHEMA_BASE + path.name, path
        registry = registry.with_resource(OIDF_SCHEMA_BASE + path.name, resource)
    schema = registry.contents(OIDF_SCHEMA_BASE + "verified_claims.json")
    return Draft202012Validator(schema, registry=registry, format_checker=Draft202012Validator.FORMAT_CHECKER)


def oidf_errors(payload: object) -> list[str]:
    """The OIDF schema's complaints about ``payload`` (empty when it validates), with their paths."""
    validator = oidf_verified_claims_validator()
    return [f"{error.json_path}: {error.message}" for error in validator.iter_errors(payload)]
