"""Reading ``docker-compose.yml`` and ``.env.example`` as docker compose does, for tests that cannot run
a Docker engine: the ``.env`` file format, and variable interpolation (the Compose Specification,
"Interpolation": ``${VAR}``, ``${VAR:-default}``, ``${VAR-default}``, ``${VAR:?error}``,
``${VAR?error}``, ``$VAR``, and ``$$`` for a literal ``$``).
"""

from __future__ import annotations

import os
import re
import secrets
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml

__all__ = [
    "COMPOSE_FILE",
    "ENV_EXAMPLE",
    "FEDERATION",
    "REPO",
    "REQUIRE_COMPOSE_ENV",
    "SECRETS",
    "MissingVariable",
    "docker_compose",
    "filled",
    "interpolate",
    "read_env_file",
    "services",
]

REPO = Path(__file__).resolve().parents[2]
COMPOSE_FILE = REPO / "docker-compose.yml"
ENV_EXAMPLE = REPO / ".env.example"
REQUIRE_COMPOSE_ENV = "UKID_REQUIRE_COMPOSE"
#: The federation's services (the ``ukid up`` keys), and the secrets ``.env.example`` leaves blank.
FEDERATION = ("anchor", "health", "idp", "council", "gp")
SECRETS = ("POSTGRES_PASSWORD", "UKID_ADMIN_TOKEN", "UKID_PAIRWISE_SALT")

_VARIABLE = re.compile(
    r"\$(?:(?P<escaped>\$)"
    r"|\{(?P<braced>[A-Za-z_][A-Za-z0-9_]*)(?:(?P<operator>:?[-?])(?P<argument>[^}]*))?\}"
    r"|(?P<named>[A-Za-z_][A-Za-z0-9_]*))"
)


class MissingVariable(LookupError):
    """A ``${VAR:?error}`` whose variable is unset (or empty): compose refuses the file."""


def read_env_file(path: Path) -> dict[str, str]:
    """``KEY=VALUE`` lines (comments and blank lines skipped; no quoting is used in ours)."""
    values: dict[str, str] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        key, separator, value = stripped.partition("=")
        assert separator, f"{path}: not KEY=VALUE: {line!r}"
        values[key.strip()] = value.strip()
    return values


def filled(variables: dict[str, str]) -> dict[str, str]:
    """``variables`` with each blank secret set to a random one (as the ``.env.example`` recipe does)."""
    return {k: (secrets.token_hex(32) if k in SECRETS and not v else v) for k, v in variables.items()}


def _substitute(text: str, variables: dict[str, str]) -> str:
    def replace(match: re.Match[str]) -> str:
        if match["escaped"]:
            return "$"
        name = match["braced"] or match["named"]
        value = variables.get(name)
        operator, argument = match["operator"], match["argument"] or ""
        unset = value is None or (operator is not None and operator.startswith(":") and value == "")
        if operator in (":?", "?") and unset:
            raise MissingVariable(f"{name}: {argument}")
        if operator in (":-", "-") and unset:
            return argument
        return value or ""

    return _VARIABLE.sub(replace, text)


def interpolate(node: Any, variables: dict[str, str]) -> Any:
    """Every string value of a loaded compose file, interpolated with ``variables``."""
    if isinstance(node, str):
        return _substitute(node, variables)
    if isinstance(node, list):
        return [interpolate(item, variables) for item in node]
    if isinstance(node, dict):
        return {key: interpolate(value, variables) for key, value in node.items()}
    return node


def services(variables: dict[str, str]) -> dict[str, dict[str, Any]]:
    """The ``services`` of ``docker-compose.yml`` (YAML merge keys applied), interpolated."""
    loaded = yaml.safe_load(COMPOSE_FILE.read_text(encoding="utf-8"))
    found: dict[str, dict[str, Any]] = interpolate(loaded["services"], variables)
    return found


def docker_compose() -> str:
    """The ``docker-compose`` program (Debian's package); skipped (failed under ``UKID_REQUIRE_COMPOSE``)
    when it is missing."""
    program = shutil.which("docker-compose")
    if program is None:
        reason = "validating docker-compose.yml needs docker-compose (apt install docker-compose)"
        if os.environ.get(REQUIRE_COMPOSE_ENV):
            pytest.fail(f"{reason}; {REQUIRE_COMPOSE_ENV} is set, so skipping is a failure")
        pytest.skip(reason)
    return program
