"""``docker-compose.yml`` is a valid Compose file (issue 8): ``docker-compose config`` (Debian's package,
which checks the file against the Compose Specification's JSON Schema) accepts it with the variables of
``.env.example`` once its secrets are filled, refuses it naming each secret left blank, and resolves it
exactly as these tests' own interpolation does (which the process test relies on). Without a Docker
engine: ``config`` only reads the file.

The URL design is checked without docker-compose: each federation service's entity ID is
``http://localhost:PORT`` on the port it listens on, which the anchor container publishes on the host
and every other service reaches through the anchor's network namespace.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.compose.compose import (
    COMPOSE_FILE,
    ENV_EXAMPLE,
    FEDERATION,
    REPO,
    SECRETS,
    docker_compose,
    filled,
    read_env_file,
    services,
)

_ENTITY_ID = {
    "anchor": "UKID_REGISTRY_ENTITY_ID",
    "health": "UKID_REGISTRY_ENTITY_ID",
    "idp": "UKID_IDP_ISSUER",
    "council": "UKID_RP_ENTITY_ID",
    "gp": "UKID_RP_ENTITY_ID",
}


def config(env_file: Path) -> subprocess.CompletedProcess[str]:
    """``docker-compose config`` on the file with ``env_file`` and no other variable of ours set."""
    environment = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(env_file.parent)}
    return subprocess.run(
        [docker_compose(), "--env-file", str(env_file), "-f", str(COMPOSE_FILE), "config"],
        cwd=REPO,
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def write_env(path: Path, variables: dict[str, str]) -> Path:
    path.write_text("".join(f"{k}={v}\n" for k, v in variables.items()), encoding="utf-8")
    return path


def test_issue8_docker_compose_config_accepts_the_file_with_the_variables_of_env_example(
    tmp_path: Path,
) -> None:
    variables = filled(read_env_file(ENV_EXAMPLE))
    result = config(write_env(tmp_path / ".env", variables))
    assert result.returncode == 0, result.stderr
    resolved: dict[str, Any] = yaml.safe_load(result.stdout)["services"]
    ours = services(variables)
    assert sorted(resolved) == sorted(["postgres", "db-init", *FEDERATION, "onboard"])
    for name in (*FEDERATION, "onboard"):
        assert resolved[name]["command"] == ours[name]["command"], name
        assert resolved[name]["environment"] == ours[name]["environment"], name
        assert resolved[name]["image"] == "ukid-interop:local"
    assert sorted(yaml.safe_load(result.stdout)["volumes"]) == sorted(
        ["postgres-data", *(f"{name}-keys" for name in FEDERATION)]
    )


@pytest.mark.parametrize("secret", SECRETS)
def test_issue8_docker_compose_config_refuses_a_blank_secret_naming_it(tmp_path: Path, secret: str) -> None:
    variables = {**filled(read_env_file(ENV_EXAMPLE)), secret: ""}
    result = config(write_env(tmp_path / ".env", variables))
    assert result.returncode == 1
    assert f"set {secret} in .env (see .env.example)" in result.stderr


def test_issue8_env_example_leaves_exactly_the_secrets_blank() -> None:
    variables = read_env_file(ENV_EXAMPLE)
    assert sorted(k for k, v in variables.items() if not v) == sorted(SECRETS)


def test_issue8_entity_ids_are_localhost_ports_published_by_the_anchor_and_shared_by_every_service() -> None:
    variables = {**filled(read_env_file(ENV_EXAMPLE)), "UKID_PORT_IDP": "18300"}
    found = services(variables)
    published = found["anchor"]["ports"]
    for name in FEDERATION:
        service = found[name]
        command: list[str] = service["command"]
        port = command[command.index("--port") + 1]
        assert command[command.index("--host") + 1] == "0.0.0.0"
        assert service["environment"][_ENTITY_ID[name]] == f"http://localhost:{port}"
        assert f"127.0.0.1:{port}:{port}" in published
        assert service["healthcheck"]["test"][-1] == f"http://localhost:{port}/readyz"
        if name != "anchor":
            assert service["network_mode"] == "service:anchor"
        environment = next(v for k, v in service["environment"].items() if k.endswith("_ENVIRONMENT"))
        assert environment == "dev"
    assert found["idp"]["environment"]["UKID_IDP_ISSUER"] == "http://localhost:18300"
    assert found["onboard"]["network_mode"] == "service:anchor"
    assert "--idp=http://localhost:18300" in found["onboard"]["command"]
