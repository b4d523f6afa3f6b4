"""The ``ukid check idp`` options that make the checker a client of the provider, checked: a bad or
missing value is an :class:`OptionError` naming the option (``Error: --option: message``, exit 2).
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit

from federation.jose import AnyKey
from federation.keys import load_private_key_file
from schemas.vot import Vector, VectorError
from ukid.check.agent import Credentials
from ukid.check.client import ClientConfig, is_loopback_redirect

__all__ = ["OptionError", "build_config", "load_client_key"]


class OptionError(Exception):
    """A bad option value: the option and a one-line message (``Error: --option: message``)."""

    def __init__(self, option: str, message: str) -> None:
        super().__init__(f"{option}: {message}")
        self.option = option
        self.message = message


def _redirect_problem(uri: str, *, dev: bool) -> str | None:
    try:
        parts = urlsplit(uri)
        parts.port  # noqa: B018 - raises ValueError for a bad port
    except ValueError as exc:
        return f"{uri!r} is not a URL ({exc})"
    if parts.scheme not in ("https", "http") or not parts.hostname or parts.fragment:
        return f"{uri!r} is not an absolute http(s) URI without a fragment"
    if parts.scheme == "http" and not dev and not is_loopback_redirect(uri):
        return f"{uri} is plain http: use https, a loopback URI (http://127.0.0.1:PORT/...) or --dev"
    return None


def load_client_key(path: str) -> tuple[AnyKey, str]:
    """The private JWK (or PEM) in ``path`` and its algorithm; :class:`OptionError` saying why not."""
    try:
        return load_private_key_file(Path(path))
    except OSError as exc:
        raise OptionError("--client-key", f"cannot read {path}: {exc.strerror or exc}") from None
    except (ValueError, TypeError, KeyError, UnicodeDecodeError) as exc:
        raise OptionError("--client-key", f"{path} is not a private key (JWK or PEM): {exc}") from None
    except Exception as exc:  # joserfc raises its own errors for malformed keys
        raise OptionError(
            "--client-key", f"{path} is not a private key: {type(exc).__name__}: {exc}"
        ) from None


def build_config(
    *,
    client_id: str | None,
    client_key: str | None,
    client_secret: str | None,
    redirect_uri: str | None,
    username: str | None,
    password: str | None,
    totp_secret: str | None,
    interactive: bool,
    vtr: list[str] | None,
    dev: bool,
    login_timeout: float,
    http_timeout: float,
    say: Callable[[str], None],
) -> ClientConfig | None:
    """The client configuration from the ``ukid check idp`` options (None: no login asked for);
    :class:`OptionError` for a bad or missing value."""
    given = {
        "--client-key": client_key,
        "--client-secret": client_secret,
        "--redirect-uri": redirect_uri,
        "--username": username,
        "--password": password,
        "--totp-secret": totp_secret,
        "--vtr": vtr or None,
        "--interactive": interactive or None,
    }
    if client_id is None:
        stray = next((name for name, value in given.items() if value is not None), None)
        if stray is not None:
            raise OptionError(stray, "needs --client-id")
        return None
    if not client_id.strip():
        raise OptionError("--client-id", "must not be empty")
    if client_key is not None and client_secret is not None:
        raise OptionError("--client-secret", "give --client-key or --client-secret, not both")
    if client_key is None and client_secret is None:
        raise OptionError("--client-id", "needs --client-key FILE (private_key_jwt) or --client-secret")
    if redirect_uri is None:
        raise OptionError(
            "--redirect-uri", "needed with --client-id (a redirect URI registered at the provider)"
        )
    problem = _redirect_problem(redirect_uri, dev=dev)
    if problem is not None:
        raise OptionError("--redirect-uri", problem)
    credentials: Credentials | None = None
    if interactive:
        if not is_loopback_redirect(redirect_uri):
            raise OptionError(
                "--interactive",
                "needs a loopback --redirect-uri (http://127.0.0.1:PORT/... or http://localhost:PORT/...): "
                "the checker receives the redirect itself",
            )
        if username is not None or password is not None or totp_secret is not None:
            raise OptionError(
                "--interactive", "you sign in in the browser: drop --username/--password/--totp-secret"
            )
    else:
        if username is None or password is None:
            missing = "--username" if username is None else "--password"
            raise OptionError(missing, "needed with --client-id (or sign in in a browser with --interactive)")
        if totp_secret is not None:
            try:
                base64.b32decode(totp_secret.upper() + "=" * (-len(totp_secret) % 8), casefold=True)
            except (ValueError, binascii.Error):
                raise OptionError("--totp-secret", "is not a base32 TOTP secret (RFC 6238)") from None
        credentials = Credentials(username, password, totp_secret)
    vectors: tuple[str, ...] | None = None
    if vtr:
        try:
            vectors = tuple(Vector.parse(text).render() for text in vtr)
        except VectorError as exc:
            raise OptionError("--vtr", f"{exc} (a vector is e.g. Cl.Cm.P2, RFC 8485 §3)") from None
    if not (login_timeout > 0 and login_timeout < 86400):
        raise OptionError("--login-timeout", "must be a positive number of seconds")
    key, alg, secret = None, "ES256", client_secret
    if client_key is not None:
        key, alg = load_client_key(client_key)
    return ClientConfig(
        client_id=client_id,
        redirect_uri=redirect_uri,
        key=key,
        alg=alg,
        secret=secret,
        credentials=credentials,
        interactive=interactive,
        vtr=vectors,
        login_timeout=login_timeout,
        http_timeout=http_timeout,
        say=say,
    )
