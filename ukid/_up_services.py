"""The five services ``ukid up`` runs: who each is in the federation, its fixed port, its command line
and where its data lives under the data directory.

Entity IDs are ``http://localhost:PORT`` (a browser can open them; plain http is for a development
federation only, OpenID Federation 1.0 §1.2 wants https elsewhere). Services on one host share
cookies across ports (RFC 6265 §8.5), so their cookie names must differ: the identity provider's
start ``ukid_idp_``, each relying party's carries a digest of its entity ID, and the registries set
none.
"""

from __future__ import annotations

import json
import socket
import sys
from dataclasses import dataclass, fields
from pathlib import Path

from ukid._up_check_client import CHECK_DIRECTORY, ensure_check_client

__all__ = ["SERVICES", "Ports", "Service", "command", "entity_ids"]


@dataclass(frozen=True)
class Ports:
    """The port of each service (``http://localhost:PORT`` is also its entity ID)."""

    anchor: int = 8000
    health: int = 8100
    idp: int = 8300
    council: int = 8400
    gp: int = 8500

    @classmethod
    def free(cls, host: str = "127.0.0.1") -> Ports:
        """Ports free on ``host`` now (for tests and benchmarks beside a running ``ukid up``)."""
        socks = [socket.socket() for _ in fields(cls)]
        try:
            for sock in socks:
                sock.bind((host, 0))
            numbers = [sock.getsockname()[1] for sock in socks]
        finally:
            for sock in socks:
                sock.close()
        return cls(*numbers)

    def of(self, key: str) -> int:
        """The port of the service ``key`` (``anchor``, ``health``, ``idp``, ``council``, ``gp``)."""
        port: int = getattr(self, key)
        return port


@dataclass(frozen=True)
class Service:
    """One service of the local federation."""

    key: str  #: field of :class:`Ports`
    title: str  #: in messages: "port 8300 (identity provider) is already in use"
    role: str  #: in the table
    option: str  #: the ``ukid up`` option setting its port
    directory: str  #: its data directory, under the data directory
    database: str  #: its SQLite file, in its data directory
    key_dirs: tuple[str, ...]  #: directories that must hold a key file once it has run
    page: str  #: the page to open in a browser

    def url(self, ports: Ports) -> str:
        """Its base URL, which is also its entity ID."""
        return f"http://localhost:{ports.of(self.key)}"


SERVICES: tuple[Service, ...] = (
    Service(
        "anchor",
        "trust anchor",
        "trust anchor (trust registry)",
        "--anchor-port",
        "trust-anchor",
        "registry.db",
        ("keys",),
        "/",
    ),
    Service(
        "health",
        "health intermediate",
        "intermediate (trust registry)",
        "--health-port",
        "health-intermediate",
        "registry.db",
        ("keys",),
        "/",
    ),
    Service(
        "idp",
        "identity provider",
        "identity provider (DIATF certified)",
        "--idp-port",
        "identity-provider",
        "idp.db",
        ("keys/federation", "keys/ES256"),
        "/account",
    ),
    Service(
        "council",
        "council service",
        "relying party (council)",
        "--council-port",
        "council-service",
        "rp.db",
        ("keys/federation", "keys/ES256"),
        "/",
    ),
    Service(
        "gp",
        "GP practice service",
        "relying party (NHS, GP practice)",
        "--gp-port",
        "gp-service",
        "rp.db",
        ("keys/federation", "keys/ES256"),
        "/",
    ),
)


def entity_ids(ports: Ports) -> dict[str, str]:
    """The entity ID of each service, by key."""
    return {s.key: s.url(ports) for s in SERVICES}


def command(service: Service, ports: Ports, data_dir: Path) -> tuple[list[str], dict[str, str]]:
    """The command line (``python -m ukid ... serve --dev``) and the extra ``UKID_*`` variables that
    run ``service``: the settings of ``tests/e2e/stack.py`` (the anchor owns the NHS organisation
    mark and lets the health intermediate issue it; the provider holds the certification mark)."""
    ids = entity_ids(ports)
    anchor, health = ids["anchor"], ids["health"]
    own = ["--dev", "--host", "127.0.0.1", "--port", str(ports.of(service.key))]
    own += ["--data-dir", str(data_dir / service.directory)]
    python = [sys.executable, "-m", "ukid"]
    env: dict[str, str] = {}
    if service.key == "anchor":
        args = ["registry", "serve", "--entity-id", anchor]
        env["UKID_REGISTRY_TRUST_MARK_OWNERS"] = json.dumps(["nhs_organisation"])
        env["UKID_REGISTRY_TRUST_MARK_ISSUERS"] = json.dumps({"nhs_organisation": [health]})
    elif service.key == "health":
        args = ["registry", "serve", "--role", "intermediate", "--entity-id", health]
        args += ["--authority-hint", anchor, "--trust-anchor", anchor]
        env["UKID_REGISTRY_ORGANIZATION_NAME"] = "NHS Health Intermediate"
    elif service.key == "idp":
        args = ["idp", "serve", "--issuer", ids["idp"], "--authority-hint", anchor, "--trust-anchor", anchor]
        args += ["--trust-mark-type", "certified_identity_service_provider"]
        # the conformance checker's static client (ukid check idp --client-id ukid-check)
        check = ensure_check_client(data_dir / CHECK_DIRECTORY)
        env["UKID_IDP_STATIC_CLIENTS_FILE"] = str(check.clients_file.absolute())
        env["UKID_IDP_CONFORMANCE"] = "true"  # `ukid check rp` against the local services
    else:
        superior = health if service.key == "gp" else anchor
        args = ["rp", "serve", "--service", service.key, "--entity-id", ids[service.key]]
        args += ["--authority-hint", superior, "--trust-anchor", anchor]
    return [*python, *args, *own], env
