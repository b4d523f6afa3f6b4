"""Real servers for end-to-end tests: uvicorn on 127.0.0.1 ports, each in its own thread.

``reserve()`` binds a socket first, so the port (and so the entity ID) is known before the app
is built; ``running(app, sock)`` serves the app on that socket until the block ends.
"""

from __future__ import annotations

import datetime
import ipaddress
import socket
import ssl
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import uvicorn
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from fastapi import FastAPI

__all__ = ["Tls", "reserve", "running", "self_signed_tls"]


@dataclass(frozen=True)
class Tls:
    """A certificate for 127.0.0.1 and its key, as PEM files (the certificate is its own CA)."""

    certificate: Path
    key: Path

    def context(self) -> ssl.SSLContext:
        """A client context that trusts this certificate."""
        return ssl.create_default_context(cafile=str(self.certificate))


def self_signed_tls(directory: Path) -> Tls:
    """A fresh self-signed certificate for ``127.0.0.1`` and ``localhost``, valid for a day."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.IPAddress(ipaddress.ip_address("127.0.0.1")), x509.DNSName("localhost")]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    tls = Tls(directory / "tls-cert.pem", directory / "tls-key.pem")
    tls.certificate.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    tls.key.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    tls.key.chmod(0o600)
    return tls


def reserve() -> socket.socket:
    """A listening-ready socket bound to a free 127.0.0.1 port."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    return sock


def base_url(sock: socket.socket, *, tls: bool = False) -> str:
    """``http://127.0.0.1:PORT`` (``https`` with ``tls``) of a reserved socket."""
    return f"{'https' if tls else 'http'}://127.0.0.1:{sock.getsockname()[1]}"


@contextmanager
def running(
    app: FastAPI, sock: socket.socket, health_path: str = "/healthz", *, tls: Tls | None = None
) -> Iterator[str]:
    """Serve ``app`` on ``sock`` in a thread (over TLS with ``tls``); yields the base URL once
    ``health_path`` answers."""
    config = uvicorn.Config(
        app,
        log_level="warning",
        lifespan="on",
        access_log=False,
        ssl_certfile=str(tls.certificate) if tls else None,
        ssl_keyfile=str(tls.key) if tls else None,
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    url = base_url(sock, tls=tls is not None)
    verify: ssl.SSLContext | bool = tls.context() if tls else True
    deadline = time.monotonic() + 10
    while True:
        try:
            if httpx.get(url + health_path, timeout=1, verify=verify).status_code == 200:
                break
        except httpx.TransportError:
            pass
        if time.monotonic() > deadline or not thread.is_alive():
            server.should_exit = True
            raise RuntimeError(f"server on {url} did not become healthy")
        time.sleep(0.05)
    try:
        yield url
    finally:
        server.should_exit = True
        thread.join(10)
        sock.close()
