"""The flow driver of :mod:`bench.idp`: one complete login as a browser and a relying party make it,
request by request over :mod:`bench._load` connections (cheap enough that the server's cost, not
the client's, is what a run measures).

A :class:`Flow` is a small state machine: :meth:`Flow.next` gives the next request, :meth:`Flow.accept`
reads its response. The browser part follows the provider's redirects, keeps its cookies and submits
each page's form (hidden fields such as the CSRF token read with a regular expression; the username
and password filled in; the approving button pressed) until the provider redirects to the client
with a code (OpenID Connect Core §3.1.2.5, with ``iss``: RFC 9207). The client part redeems the code
with PKCE (RFC 7636) at the token endpoint, verifies the ID token's signature and claims (Core
§3.1.3.7) outside the server, and calls userinfo with the access token (Core §5.3).
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import html
import re
import secrets
import statistics
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, quote, urlencode, urljoin, urlsplit

from joserfc.jwk import ECKey, KeySet

from bench._load import Connection, LoadFigures, Response, encode, on_connections
from federation.jose import AlgorithmPolicy, sign_jwt, verify_jws

__all__ = [
    "ASSERTION_TYPE",
    "BenchClient",
    "Flow",
    "FlowError",
    "PageForm",
    "Target",
    "flows_for",
    "page_forms",
    "refresh_tokens",
    "run_flows",
    "run_staged",
    "step_label",
]

ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
_REDIRECTS = (301, 302, 303, 307, 308)
_FORM = re.compile(r"<form\b([^>]*)>(.*?)</form>", re.IGNORECASE | re.DOTALL)
_FIELD = re.compile(r"<(input|button)\b([^>]*)>", re.IGNORECASE)
_ATTRIBUTE = re.compile(r"""([a-zA-Z_:][-\w:.]*)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>]+)))?""")
_APPROVE = ("allow", "approve", "accept", "consent", "yes", "agree", "continue", "confirm")
_USERNAME_FIELDS = ("username", "login", "email")
_RANDOM_SEGMENT = re.compile(r"/[A-Za-z0-9_-]{16,}")


class FlowError(RuntimeError):
    """The provider answered something a login does not expect."""


def step_label(method: str, path: str) -> str:
    """A request's step name: method and path, query dropped and random path segments as ``:id``."""
    return f"{method} {_RANDOM_SEGMENT.sub('/:id', path.split('?', 1)[0])}"


def _attributes(text: str) -> dict[str, str]:
    found: dict[str, str] = {}
    for match in _ATTRIBUTE.finditer(text):
        name, *values = match.groups()
        found.setdefault(name.lower(), html.unescape(next((v for v in values if v is not None), "")))
    return found


@dataclass
class PageForm:
    """A page's form: where it goes, its fields, its named buttons, its password and username fields."""

    action: str
    method: str
    fields: dict[str, str]
    buttons: list[tuple[str, str]]
    password: str | None
    username: str | None


def page_forms(page: str) -> list[PageForm]:
    """Every form of ``page`` (hidden fields with their values; the username field left empty)."""
    forms = []
    for match in _FORM.finditer(page):
        attributes = _attributes(match.group(1))
        form = PageForm(
            attributes.get("action", ""), attributes.get("method", "get").lower(), {}, [], None, None
        )
        for tag, raw in _FIELD.findall(match.group(2)):
            attrs = _attributes(raw)
            name, kind = attrs.get("name"), attrs.get("type", "submit" if tag.lower() == "button" else "text")
            if not name:
                continue
            if kind == "submit":
                form.buttons.append((name, attrs.get("value", "")))
            elif kind == "password":
                form.password = name
            elif kind in ("checkbox", "radio"):
                if "checked" in attrs:
                    form.fields[name] = attrs.get("value", "on")
            elif name in _USERNAME_FIELDS and not attrs.get("value"):
                form.username = name
            else:
                form.fields[name] = attrs.get("value", "")
        forms.append(form)
    return forms


@dataclass(frozen=True)
class Target:
    """The provider under test as a flow sees it (from its discovery document)."""

    port: int
    issuer: str
    authorization_endpoint: str
    token_endpoint: str
    userinfo_endpoint: str
    jwks_uri: str
    keys: KeySet = field(repr=False)
    metadata: dict[str, Any] = field(repr=False, default_factory=dict)
    #: Whether the authorization response must carry ``iss`` (RFC 9207).
    require_iss: bool = True

    @classmethod
    def from_discovery(cls, port: int, metadata: dict[str, Any], keys: KeySet) -> Target:
        return cls(
            port,
            metadata["issuer"],
            metadata["authorization_endpoint"],
            metadata["token_endpoint"],
            metadata["userinfo_endpoint"],
            metadata["jwks_uri"],
            keys,
            metadata,
            bool(metadata.get("authorization_response_iss_parameter_supported")),
        )


def path_of(url: str) -> str:
    """The path and query of ``url`` (what a request line carries)."""
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


@dataclass(frozen=True)
class BenchClient:
    """A relying party of the benchmark: ``client_secret_basic`` (``secret``) or ``private_key_jwt``
    (``key``: a fresh assertion with a new ``jti`` per request, RFC 7523 §3)."""

    client_id: str
    redirect_uri: str
    secret: str | None = None
    key: ECKey | None = field(default=None, repr=False)

    @property
    def method(self) -> str:
        """The client authentication method (``token_endpoint_auth_method``)."""
        return "client_secret_basic" if self.secret is not None else "private_key_jwt"

    def assertion(self, audience: str) -> str:
        """A client assertion for ``audience`` (the token endpoint), valid for five minutes."""
        assert self.key is not None
        now = int(time.time())
        claims: dict[str, Any] = {"iss": self.client_id, "sub": self.client_id, "aud": audience}
        claims |= {"jti": uuid.uuid4().hex, "iat": now, "exp": now + 300}
        return sign_jwt(claims, self.key, "JWT", alg="ES256")

    def assertions(self, audience: str, count: int) -> Iterator[str]:
        """``count`` assertions signed now, ahead of the requests that use them."""
        return iter([self.assertion(audience) for _ in range(count)])

    def token_request(self, url: str, form: dict[str, str], assertion: str | None = None) -> bytes:
        """A token request to ``url`` with this client's authentication (RFC 6749 §2.3.1; RFC 7523
        §2.2: ``assertion``, made by :meth:`assertion`)."""
        host, path = urlsplit(url).netloc, path_of(url)
        if self.secret is not None:
            pair = f"{quote(self.client_id, safe='')}:{quote(self.secret, safe='')}"
            basic = base64.b64encode(pair.encode()).decode()
            return encode("POST", path, host=host, headers={"Authorization": f"Basic {basic}"}, form=form)
        if assertion is None:
            raise ValueError("a private_key_jwt token request needs a client assertion")
        form = {**form, "client_assertion_type": ASSERTION_TYPE, "client_assertion": assertion}
        return encode("POST", path, host=host, form=form)


class Flow:
    """One complete login: authorize, sign in, consent, token, ID token check, userinfo."""

    def __init__(self, target: Target, client: BenchClient, username: str, password: str, scope: str) -> None:
        self.target, self.client = target, client
        self.username, self.password = username, password
        self.cookies: dict[str, str] = {}
        self.verifier = secrets.token_urlsafe(48)
        self.state, self.nonce = secrets.token_urlsafe(16), secrets.token_urlsafe(16)
        challenge = base64.urlsafe_b64encode(hashlib.sha256(self.verifier.encode()).digest())
        query = {
            "response_type": "code",
            "client_id": client.client_id,
            "redirect_uri": client.redirect_uri,
            "scope": scope,
            "state": self.state,
            "nonce": self.nonce,
            "code_challenge": challenge.rstrip(b"=").decode(),
            "code_challenge_method": "S256",
        }
        if "offline_access" in scope.split():
            query["prompt"] = "consent"  # Core §11: offline access needs consent asked for
        self.url = f"{target.authorization_endpoint}?{urlencode(query)}"
        self.phase, self.label = "browser", ""
        self.pending: bytes | None = self._browser("GET", self.url)
        self.id_token: dict[str, Any] = {}
        self.tokens: dict[str, Any] = {}
        self.userinfo: dict[str, Any] = {}
        self.steps: list[str] = []

    @property
    def done(self) -> bool:
        return self.pending is None

    def next(self) -> tuple[str, bytes]:
        """The next step's label and request."""
        assert self.pending is not None, "the flow is complete"
        return self.label, self.pending

    def _browser(self, method: str, url: str, form: dict[str, str] | None = None) -> bytes:
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())} if self.cookies else {}
        self.label = step_label(method, path_of(url))
        return encode(method, path_of(url), host=urlsplit(url).netloc, headers=headers, form=form)

    def _keep_cookies(self, response: Response) -> None:
        for cookie in response.all("set-cookie"):
            pair, *attributes = cookie.split(";")
            name, _, value = pair.strip().partition("=")
            expired = any(a.strip().lower() in ("max-age=0", "max-age=-1") for a in attributes)
            if expired or not value.strip('"'):
                self.cookies.pop(name, None)
            else:
                self.cookies[name] = value

    def accept(self, response: Response) -> None:
        """Read the response to the last request and prepare the next one (none when complete)."""
        self.steps.append(self.label)
        if self.phase == "browser":
            self._keep_cookies(response)
            self.pending = self._page(response)
        elif self.phase == "token":
            self._tokens(response.expect(200).json())
            self.phase = "userinfo"
            self.label = step_label("GET", path_of(self.target.userinfo_endpoint))
            bearer = {"Authorization": f"Bearer {self.tokens['access_token']}"}
            userinfo = self.target.userinfo_endpoint
            self.pending = encode("GET", path_of(userinfo), host=urlsplit(userinfo).netloc, headers=bearer)
        else:
            self.userinfo = response.expect(200).json()
            if self.userinfo.get("sub") != self.id_token["sub"]:
                raise FlowError(f"userinfo sub {self.userinfo.get('sub')!r} is not the ID token's")
            self.pending = None

    def _page(self, response: Response) -> bytes:
        if response.status in _REDIRECTS:
            location = urljoin(self.url, response.header("location") or "")
            if location.startswith(self.client.redirect_uri):
                return self._callback(location)
            self.url = location
            return self._browser("GET", location)
        if response.status != 200:
            raise FlowError(f"{self.label}: {response.status} {response.text[:500]}")
        forms = [f for f in page_forms(response.text) if f.method == "post"] or page_forms(response.text)
        if not forms:
            raise FlowError(f"{self.label}: a page without a form: {response.text[:500]}")
        form = next((f for f in forms if f.password), forms[0])
        values = dict(form.fields)
        if form.password:
            values[form.password] = self.password
            values[form.username or "username"] = self.username
        if form.buttons:
            name, value = next((b for b in form.buttons if b[1].lower() in _APPROVE), form.buttons[0])
            values[name] = value
        target = urljoin(self.url, form.action or self.url)
        if form.method == "post":
            self.url = target
            return self._browser("POST", target, values)
        self.url = f"{target.split('?', 1)[0]}?{urlencode(values)}"
        return self._browser("GET", self.url)

    def _callback(self, location: str) -> bytes:
        query = {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}
        if "error" in query:
            raise FlowError(f"authorization error: {query}")
        if query.get("state") != self.state:
            raise FlowError(f"state {query.get('state')!r} is not the one sent")
        absent = None if self.target.require_iss else self.target.issuer
        if query.get("iss", absent) != self.target.issuer:
            raise FlowError(f"iss {query.get('iss')!r} is not the issuer (RFC 9207)")
        self.phase = "token"
        path = path_of(self.target.token_endpoint)
        self.label = step_label("POST", path)
        form = {
            "grant_type": "authorization_code",
            "code": query["code"],
            "redirect_uri": self.client.redirect_uri,
            "code_verifier": self.verifier,
        }
        return self.client.token_request(self.target.token_endpoint, form, self._assertion())

    def _assertion(self) -> str | None:
        return self.client.assertion(self.target.token_endpoint) if self.client.key is not None else None

    def _tokens(self, tokens: dict[str, Any]) -> None:
        self.tokens = tokens
        self.id_token = verify_id_token(self.target, self.client, tokens["id_token"], nonce=self.nonce)
        if tokens.get("token_type", "").lower() != "bearer":
            raise FlowError(f"token_type {tokens.get('token_type')!r} is not Bearer")


def verify_id_token(target: Target, client: BenchClient, token: str, *, nonce: str | None) -> dict[str, Any]:
    """The ID token's claims, its signature and claims checked (OpenID Connect Core §3.1.3.7)."""
    algorithms = AlgorithmPolicy(("ES256", "PS256", "RS256"))
    claims = verify_jws(token, target.keys, ("JWT", None), policy=algorithms).claims
    aud = claims.get("aud")
    now = time.time()
    if claims.get("iss") != target.issuer:
        raise FlowError(f"ID token iss {claims.get('iss')!r} is not the issuer")
    if aud != client.client_id and not (isinstance(aud, list) and client.client_id in aud):
        raise FlowError(f"ID token aud {aud!r} does not name the client")
    if not isinstance(claims.get("exp"), int) or claims["exp"] < now - 60 or "sub" not in claims:
        raise FlowError("ID token expired or without sub")
    if nonce is not None and claims.get("nonce") != nonce:
        raise FlowError("ID token nonce is not the one sent")
    return claims


def flows_for(
    target: Target, client: BenchClient, accounts: Sequence[tuple[str, str]], count: int, scope: str
) -> list[Flow]:
    """``count`` flows of ``client``, round-robin over ``accounts`` (username, password)."""
    return [Flow(target, client, *accounts[i % len(accounts)], scope) for i in range(count)]


def refresh_tokens(flows: Sequence[Flow]) -> list[str]:
    """The refresh tokens the flows obtained (``offline_access``)."""
    tokens = [flow.tokens.get("refresh_token") for flow in flows]
    if not all(isinstance(t, str) for t in tokens):
        raise FlowError("the token response has no refresh_token: offline_access was not granted")
    return [t for t in tokens if isinstance(t, str)]


async def run_flows(port: int, flows: Sequence[Flow], concurrency: int) -> LoadFigures:
    """Complete every flow, ``concurrency`` at a time on keep-alive connections; latency per flow."""
    pending = iter(flows)
    latencies: list[float] = []
    sizes: list[int] = []

    async def job(connection: Connection, _index: int) -> None:
        for flow in pending:
            start = time.perf_counter_ns()
            while not flow.done:
                response = await connection.send(flow.next()[1])
                sizes.append(len(response.body))
                flow.accept(response)
            latencies.append((time.perf_counter_ns() - start) / 1000)

    started = time.perf_counter()
    await on_connections(port, min(concurrency, len(flows)), job)
    return LoadFigures(latencies, time.perf_counter() - started, concurrency, round(statistics.mean(sizes)))


async def _advance(connection: Connection, flows: Iterator[Flow], latencies: list[float]) -> None:
    for flow in flows:
        start = time.perf_counter_ns()
        response = await connection.send(flow.next()[1])
        latencies.append((time.perf_counter_ns() - start) / 1000)
        flow.accept(response)


async def run_staged(
    port: int, flows: Sequence[Flow], concurrency: int, cpu: Callable[[], float]
) -> list[tuple[str, LoadFigures, float]]:
    """Advance every flow one step at a time (``concurrency`` connections); for each step its label,
    latencies and the server's CPU milliseconds per flow (``cpu()``: the server's CPU seconds)."""
    connections = [await Connection.open(port) for _ in range(concurrency)]
    steps: list[tuple[str, LoadFigures, float]] = []
    used = cpu()  # one reading per boundary: work a server does after answering counts for the next step
    try:
        while not flows[0].done:
            labels = {"(complete)" if flow.done else flow.next()[0] for flow in flows}
            if len(labels) != 1:
                raise FlowError(f"the flows took different paths at step {len(steps) + 1}: {sorted(labels)}")
            queue, latencies = iter(flows), list[float]()
            started = time.perf_counter()
            await asyncio.gather(*(_advance(c, queue, latencies) for c in connections))
            seconds, before, used = time.perf_counter() - started, used, cpu()
            figures = LoadFigures(latencies, seconds, concurrency, 0)
            steps.append((labels.pop(), figures, (used - before) * 1000 / len(flows)))
    finally:
        for connection in connections:
            await connection.close()
    return steps
