"""A login, from the service's button to the policy decision.

**Start** (:meth:`RelyingParty.start`): the provider must be trusted for the service's level
(:mod:`relying_party.core.providers`); the request carries ``state`` (CSRF, RFC 6749 §10.12),
``nonce`` (Core §3.1.2.1), PKCE ``S256`` (RFC 7636), the service's ``vtr`` (RFC 8485 §6.1) and its
``claims`` request for ``verified_claims`` (IDA §6); it is pushed (RFC 9126) with client
authentication when the provider has a PAR endpoint, and the browser goes to the authorization
endpoint with the ``request_uri`` only.

**Finish** (:meth:`RelyingParty.finish`): ``state`` must be a pending login of this browser's session,
unused and unexpired; ``iss`` (RFC 9207 §2.4) must be the provider the login went to (mix-up); an
error response is shown politely (and logged); the code is exchanged with the ``code_verifier``;
the ID token is validated completely (:mod:`relying_party.core.id_token`) with the keys of the
provider's resolved metadata (fetched again once for an unknown ``kid``: key rotation); UserInfo must
be about the same ``sub`` (Core §5.3.2); its ``verified_claims`` are parsed with the assurance schema
and evaluated against the service's policy (:mod:`relying_party.core.evaluate`).
"""

from __future__ import annotations

import json
import logging
import secrets
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from federation.jose import AnyKey, decode_unverified
from relying_party.core.config import RpConfig
from relying_party.core.errors import LoginError, Refusal
from relying_party.core.evaluate import evaluate
from relying_party.core.id_token import Expected, check_vot, validate_id_token
from relying_party.core.oauth import ClientAuth, OAuthClient, pkce_pair
from relying_party.core.policy import ServicePolicy
from relying_party.core.providers import Provider, ProviderDirectory
from relying_party.core.result import LoginResult
from relying_party.store import PendingLogin, RpStore, digest

__all__ = ["Finished", "RelyingParty"]

log = logging.getLogger("relying_party.login")

_ERROR_WORDS = {
    "access_denied": "You chose not to share your information, so the service could not sign you in.",
    "unmet_authentication_requirements": "Your identity provider could not confirm your identity to the "
    "level this service needs.",
    "login_required": "You need to sign in at your identity provider first.",
    "interaction_required": "Your identity provider needs you to do something before you can continue.",
    "temporarily_unavailable": "Your identity provider is not available at the moment. Try again later.",
}


@dataclass(frozen=True)
class Finished:
    """A completed login: the result and where the citizen was going."""

    result: LoginResult
    return_to: str


def _state_error(description: str, check: str = "state") -> LoginError:
    return LoginError(Refusal.INVALID_STATE, description, check=check)


class RelyingParty:
    """The relying party: its configuration, providers, keys, store and HTTP client."""

    def __init__(
        self,
        config: RpConfig,
        *,
        directory: ProviderDirectory,
        store: RpStore,
        oauth: OAuthClient,
        key: AnyKey,
        alg: str = "ES256",
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.config = config
        self.directory = directory
        self.store = store
        self.oauth = oauth
        self.key = key
        self.alg = alg
        self.clock = clock

    def now(self) -> int:
        """The clock, in whole seconds."""
        return int(self.clock())

    def policy(self, name: str) -> ServicePolicy:
        """The service policy ``name``; :class:`LoginError` ``invalid_request`` when unknown."""
        policy = self.config.policy(name)
        if policy is None:
            raise LoginError(
                Refusal.INVALID_REQUEST, f"there is no service called {name[:64]!r}", check="service"
            )
        return policy

    def client_auth(self, provider: Provider) -> ClientAuth:
        """The client authentication at ``provider``: the entity ID and ``private_key_jwt`` in the
        federation (OpenID Federation 1.0 §12.1), the configured credentials for a static provider."""
        static = provider.static
        if static is None:
            return ClientAuth(self.config.client_id, key=self.key, alg=self.alg, audience=provider.issuer)
        if static.auth_method == "client_secret_basic":
            return ClientAuth(static.client_id, secret=static.client_secret)
        return ClientAuth(static.client_id, key=self.key, alg=self.alg)

    # -- start -----------------------------------------------------------------------------------------
    async def start(
        self, service: str, issuer: str, *, session: str, return_to: str, step_up: bool = False
    ) -> str:
        """Record a pending login and return the URL to send the browser to."""
        policy = self.policy(service)
        provider = await self.directory.provider(issuer, level=policy.minimum_level)
        auth = self.client_auth(provider)
        state, nonce = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
        verifier, challenge = pkce_pair()
        vtr = policy.vtr() if step_up else policy.request_vtr()
        params = {
            "response_type": "code",
            "client_id": auth.client_id,
            "redirect_uri": self.config.redirect_uri,
            "scope": "openid",
            "state": state,
            "nonce": nonce,
            "code_challenge": challenge,
            "code_challenge_method": "S256",
            "vtr": _json(vtr),
            "claims": _json(policy.claims_request()),
        }
        if step_up:
            params["prompt"] = "login"
        now = self.now()
        authorize = provider.endpoint("authorization_endpoint")
        par = provider.metadata.get("pushed_authorization_request_endpoint")
        if isinstance(par, str) and par:
            pushed = await self.oauth.post_form(
                "The pushed authorization request", par, params, auth, now=now, expect=201
            )
            request_uri = pushed.get("request_uri")
            if not isinstance(request_uri, str) or not request_uri:
                raise LoginError(
                    Refusal.TOKEN_REQUEST_FAILED,
                    "The pushed authorization request failed: no request_uri",
                    check="par",
                )
            query = {"client_id": auth.client_id, "request_uri": request_uri}
        else:
            query = params
        self.store.save_login(
            PendingLogin(
                state=state,
                session=session,
                issuer=provider.issuer,
                service=policy.name,
                nonce=nonce,
                code_verifier=verifier,
                vtr=tuple(vtr),
                return_to=return_to,
                created_at=now,
                expires_at=now + self.config.login_lifetime,
            )
        )
        separator = "&" if "?" in authorize else "?"
        return f"{authorize}{separator}{urlencode(query)}"

    # -- finish ----------------------------------------------------------------------------------------
    async def finish(self, params: Mapping[str, str], *, session: str | None) -> Finished:
        """Check the authorization response and complete the login (module documentation)."""
        state = params.get("state")
        if not state:
            raise _state_error(
                "The response from the identity provider has no state, so it cannot be matched to a login."
            )
        taken = self.store.take_login(state)
        if taken is None:
            raise _state_error(
                "This sign-in link is not one this service started, or it has already been used. Start again."
            )
        pending, session_hash = taken
        if session is None or digest(session) != session_hash:
            raise _state_error(
                "This sign-in was started in a different browser or session. Start again from the service.",
                "session",
            )
        if pending.expires_at <= self.now():
            raise _state_error("This sign-in took too long and has expired. Start again.", "expired")
        provider = await self.directory.provider(pending.issuer)
        self._check_issuer(provider, params.get("iss"))
        error = params.get("error")
        if error:
            described = (params.get("error_description") or "")[:300]
            log.info("provider %s answered %s: %s", provider.issuer, error[:64], described)
            words = _ERROR_WORDS.get(error, f"Your identity provider could not sign you in ({error[:64]}).")
            raise LoginError(Refusal.PROVIDER_ERROR, words, check=error[:64], detail=described)
        code = params.get("code")
        if not code:
            raise LoginError(
                Refusal.PROVIDER_ERROR, "The identity provider's response has no code.", check="code"
            )
        policy = self.policy(pending.service)
        result = await self._complete(provider, policy, pending, code)
        return Finished(result, pending.return_to)

    def _check_issuer(self, provider: Provider, iss: str | None) -> None:
        """RFC 9207 §2.4: ``iss`` must be the provider the request went to; required when it says it
        sends one (``authorization_response_iss_parameter_supported``)."""
        if iss is None:
            if provider.metadata.get("authorization_response_iss_parameter_supported") is True:
                raise LoginError(
                    Refusal.ISSUER_MISMATCH,
                    f"The response has no iss, but {provider.issuer} always sends one (RFC 9207).",
                    check="iss",
                )
            return
        if iss != provider.issuer:
            raise LoginError(
                Refusal.ISSUER_MISMATCH,
                f"The response says it comes from {iss[:200]!r}, but this login was sent to "
                f"{provider.issuer} (a mix-up attack, RFC 9207).",
                check="iss",
            )

    async def _complete(
        self, provider: Provider, policy: ServicePolicy, pending: PendingLogin, code: str
    ) -> LoginResult:
        auth = self.client_auth(provider)
        tokens = await self.oauth.post_form(
            "The token request",
            provider.endpoint("token_endpoint"),
            {
                "grant_type": "authorization_code",
                "code": code,
                "redirect_uri": self.config.redirect_uri,
                "code_verifier": pending.code_verifier,
            },
            auth,
            now=self.now(),
        )
        id_token, access_token = tokens.get("id_token"), tokens.get("access_token")
        if not isinstance(id_token, str) or not isinstance(access_token, str):
            raise LoginError(
                Refusal.TOKEN_REQUEST_FAILED,
                "The token response has no ID token or access token.",
                check="token",
            )
        if str(tokens.get("token_type", "")).lower() != "bearer":
            raise LoginError(
                Refusal.TOKEN_REQUEST_FAILED,
                "The token response's token_type is not Bearer.",
                check="token_type",
            )
        claims = await self.id_token(
            provider,
            id_token,
            nonce=pending.nonce,
            vtr=pending.vtr,
            access_token=access_token,
            client_id=auth.client_id,
        )
        userinfo = await self.oauth.get_bearer(
            "The UserInfo request", provider.endpoint("userinfo_endpoint"), access_token
        )
        if userinfo.get("sub") != claims["sub"]:
            raise LoginError(
                Refusal.INVALID_USERINFO,
                "The UserInfo response is about someone else (sub differs, Core §5.3.2).",
                check="sub",
            )
        return evaluate(policy, provider, claims, userinfo, now=self.clock())

    async def id_token(
        self,
        provider: Provider,
        token: str,
        *,
        nonce: str,
        vtr: tuple[str, ...],
        access_token: str | None,
        client_id: str,
    ) -> dict[str, Any]:
        """The validated ID token claims (keys fetched again once for an unknown ``kid``)."""
        expected = Expected(
            issuer=provider.issuer,
            client_id=client_id,
            nonce=nonce,
            algorithms=_algorithms(provider),
            access_token=access_token,
            leeway=self.config.leeway,
        )
        keys = await self.directory.keys(provider)
        try:
            claims = validate_id_token(token, keys, expected, now=self.clock())
        except LoginError as exc:
            if exc.check != "kid":
                raise
            kid = decode_unverified(token)[0].get("kid")
            keys = await self.directory.keys(
                provider, refresh=True, kid=kid if isinstance(kid, str) else None
            )
            claims = validate_id_token(token, keys, expected, now=self.clock())
        trustmark = None
        vtm = claims.get("vtm")
        if vtr and isinstance(vtm, str):
            try:
                trustmark = await self.directory.trustmark(provider, vtm)
            except ValueError as exc:
                raise LoginError(
                    Refusal.INVALID_ID_TOKEN, f"the ID token was refused: {exc}", check="vtm"
                ) from exc
        check_vot(claims, vtr, issuer=provider.issuer, trustmark=trustmark)
        return claims


def _json(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"))


def _algorithms(provider: Provider) -> tuple[str, ...]:
    """ID token algorithms accepted: ES256 and PS256 (this federation's profile), never ``none`` or HMAC."""
    offered = provider.metadata.get("id_token_signing_alg_values_supported")
    allowed = ("ES256", "PS256", "RS256")
    if isinstance(offered, list):
        chosen = tuple(a for a in allowed if a in offered)
        if chosen:
            return chosen
    return ("ES256",)
