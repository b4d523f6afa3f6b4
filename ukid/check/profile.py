"""This federation's profile of entity metadata, as checks that return the problems they find.

Sources: OpenID Federation 1.0 §1.2 (https entity identifiers), §5.1 (metadata per entity type),
§12.1 (automatic registration: asymmetric client authentication, a signed request object or PAR);
OpenID Connect Discovery 1.0 §3 (required provider metadata); RFC 7636 §4.2 (PKCE ``S256``);
RFC 7523 (``private_key_jwt``); OpenID Connect for Identity Assurance 1.0 §8; and the algorithm
allow-list of this federation (``ES256`` for federation statements, ``ES256``/``PS256``/``RS256``
for protocol JWTs, as the registry's metadata policy allows; never ``none`` or HMAC).
Each problem is a pair: what is wrong, and a one-line fix.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from federation.jose import DEFAULT_ALGORITHMS

__all__ = [
    "FEDERATION_ALGORITHMS",
    "LOOPBACK_HOSTS",
    "PROTOCOL_ALGORITHMS",
    "Problem",
    "algorithm_problems",
    "assurance_problems",
    "client_auth_problems",
    "federation_entity_problems",
    "pkce_problems",
    "provider_problems",
    "registration_problems",
    "relying_party_problems",
    "request_problems",
    "url_problem",
    "url_problems",
]

Problem = tuple[str, str]

#: Algorithms for federation JWTs (entity statements, trust marks): the library's allow-list.
FEDERATION_ALGORITHMS: tuple[str, ...] = DEFAULT_ALGORITHMS
#: Algorithms for protocol JWTs (ID tokens, request objects, client assertions).
PROTOCOL_ALGORITHMS: tuple[str, ...] = ("ES256", "PS256", "RS256")
#: Hosts plain http may name in a development federation.
LOOPBACK_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})
_URL_SUFFIXES = ("_endpoint", "_uri", "_uris")


def url_problem(url: str, *, dev: bool) -> str | None:
    """Why ``url`` is not acceptable here: https, or plain http to a loopback host with ``dev``."""
    try:
        parts = urlsplit(url)
        host = parts.hostname
    except ValueError:
        return f"{url!r} is not a valid URL"
    if parts.scheme == "https" and host:
        return None
    if parts.scheme == "http" and host:
        if not dev:
            return f"{url} uses plain http (only allowed in a development federation: --dev)"
        if host not in LOOPBACK_HOSTS:
            return f"{url} uses plain http to {host}; a development federation allows it to localhost only"
        return None
    return f"{url!r} is not an https URL"


def _url_members(metadata: Mapping[str, Mapping[str, Any]]) -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []
    for etype, members in metadata.items():
        for name, value in members.items():
            if not (name == "issuer" or name.endswith(_URL_SUFFIXES)):
                continue
            values = value if isinstance(value, list) else [value]
            found.extend((f"{etype}.{name}", v) for v in values if isinstance(v, str))
    return found


def url_problems(metadata: Mapping[str, Mapping[str, Any]], *, dev: bool) -> list[Problem]:
    """Every endpoint and URI in ``metadata`` must be https (plain http to loopback with ``dev``)."""
    problems = []
    for where, url in _url_members(metadata):
        problem = url_problem(url, dev=dev)
        if problem is not None:
            problems.append((f"{where}: {problem}", f"Publish {where} as an https URL."))
    return problems


def algorithm_problems(metadata: Mapping[str, Mapping[str, Any]]) -> list[Problem]:
    """Every ``*_alg`` and ``*_alg_values_supported`` value is in :data:`PROTOCOL_ALGORITHMS`."""
    problems = []
    allowed = ", ".join(PROTOCOL_ALGORITHMS)
    for etype, members in metadata.items():
        for name, value in members.items():
            if name.endswith("_alg"):
                values = [value]
            elif name.endswith("_alg_values_supported"):
                values = value if isinstance(value, list) else [value]
            else:
                continue
            bad = [v for v in values if v not in PROTOCOL_ALGORITHMS]
            if bad:
                problems.append(
                    (
                        f"{etype}.{name}: {', '.join(map(repr, bad))} not in the allow-list ({allowed})",
                        f"Use only {allowed} in {etype}.{name}.",
                    )
                )
    return problems


def _strings(value: Any) -> list[str]:
    return [v for v in value if isinstance(v, str)] if isinstance(value, list) else []


def _missing(md: Mapping[str, Any], names: tuple[str, ...], etype: str) -> list[Problem]:
    return [(f"{etype}.{n} is missing", f"Add {n} to the {etype} metadata.") for n in names if n not in md]


def provider_problems(md: Mapping[str, Any], entity_id: str) -> list[Problem]:
    """An OpenID provider (§5.1.3, Discovery §3, RFC 7636, §12.1, Identity Assurance §8)."""
    etype = "openid_provider"
    problems = _missing(
        md,
        (
            "issuer",
            "authorization_endpoint",
            "token_endpoint",
            "response_types_supported",
            "subject_types_supported",
            "id_token_signing_alg_values_supported",
        ),
        etype,
    )
    if not any(k in md for k in ("jwks_uri", "jwks", "signed_jwks_uri")):
        problems.append((f"{etype} has no jwks_uri, jwks or signed_jwks_uri", "Publish the provider's keys."))
    if "issuer" in md and md["issuer"] != entity_id:
        problems.append(
            (
                f"{etype}.issuer {md['issuer']!r} is not the entity ID {entity_id}",
                "Use the entity ID as issuer.",
            )
        )
    if "code" not in _strings(md.get("response_types_supported")):
        problems.append(
            (f"{etype}.response_types_supported lacks code", "Support the authorization code flow.")
        )
    problems += pkce_problems(md, etype)
    problems += client_auth_problems(md, etype)
    problems += registration_problems(md, etype)
    if md.get("verified_claims_supported") is True:
        problems += assurance_problems(md, etype)
    return problems


def pkce_problems(md: Mapping[str, Any], etype: str = "openid_provider") -> list[Problem]:
    """PKCE ``S256`` is advertised (RFC 7636 §4.2) and ``plain`` is not (RFC 9700 §2.1.1)."""
    methods = _strings(md.get("code_challenge_methods_supported"))
    problems: list[Problem] = []
    if "S256" not in methods:
        problems.append(
            (f"{etype}.code_challenge_methods_supported lacks S256 (PKCE)", "Support and publish PKCE S256.")
        )
    if "plain" in methods:
        problems.append(
            (f"{etype}.code_challenge_methods_supported has plain", "Refuse plain PKCE; accept S256 only.")
        )
    return problems


def client_auth_problems(md: Mapping[str, Any], etype: str = "openid_provider") -> list[Problem]:
    """``private_key_jwt`` client authentication is accepted (RFC 7523)."""
    if "private_key_jwt" not in _strings(md.get("token_endpoint_auth_methods_supported")):
        return [
            (
                f"{etype}.token_endpoint_auth_methods_supported lacks private_key_jwt",
                "Accept private_key_jwt client authentication (RFC 7523).",
            )
        ]
    return []


def request_problems(md: Mapping[str, Any], etype: str = "openid_provider") -> list[Problem]:
    """Automatic registration needs a signed request object or PAR (OpenID Federation 1.0 §12.1.1)."""
    if (
        md.get("request_parameter_supported") is not True
        and "pushed_authorization_request_endpoint" not in md
    ):
        return [
            (
                f"{etype}: automatic registration needs request_parameter_supported true or a "
                "pushed_authorization_request_endpoint",
                "Accept signed request objects or pushed authorization requests (§12.1.1).",
            )
        ]
    return []


def registration_problems(md: Mapping[str, Any], etype: str = "openid_provider") -> list[Problem]:
    """Automatic registration offered (§12.1) with its request rule; explicit needs its endpoint (§12.2)."""
    problems: list[Problem] = []
    types = _strings(md.get("client_registration_types_supported"))
    if "automatic" not in types:
        problems.append(
            (
                f"{etype}.client_registration_types_supported lacks automatic",
                "Support automatic registration (OpenID Federation 1.0 §12.1).",
            )
        )
    else:
        problems += request_problems(md, etype)
    if "explicit" in types and "federation_registration_endpoint" not in md:
        problems.append(
            (
                f"{etype} offers explicit registration without a federation_registration_endpoint",
                "Publish federation_registration_endpoint (§12.2).",
            )
        )
    return problems


def assurance_problems(md: Mapping[str, Any], etype: str = "openid_provider") -> list[Problem]:
    """A ``verified_claims`` provider lists ``uk_diatf`` and the claims it verifies (IA §8)."""
    problems: list[Problem] = []
    if "uk_diatf" not in _strings(md.get("trust_frameworks_supported")):
        problems.append(
            (
                f"{etype}.trust_frameworks_supported lacks uk_diatf",
                "List uk_diatf in trust_frameworks_supported.",
            )
        )
    if not _strings(md.get("claims_in_verified_claims_supported")):
        problems.append(
            (
                f"{etype}.claims_in_verified_claims_supported is missing or empty",
                "List the claims the provider can verify (Identity Assurance §8).",
            )
        )
    return problems


def relying_party_problems(md: Mapping[str, Any]) -> list[Problem]:
    """A relying party (§5.1.2, §12.1, RFC 7523, RFC 9700 §2.1)."""
    etype = "openid_relying_party"
    problems: list[Problem] = []
    if not _strings(md.get("redirect_uris")):
        problems.append((f"{etype}.redirect_uris is missing or empty", "Publish the redirect URIs."))
    if md.get("token_endpoint_auth_method") != "private_key_jwt":
        problems.append(
            (
                f"{etype}.token_endpoint_auth_method is {md.get('token_endpoint_auth_method')!r}, "
                "not private_key_jwt",
                "Authenticate with private_key_jwt (RFC 7523); automatic registration needs it (§12.1).",
            )
        )
    if "automatic" not in _strings(md.get("client_registration_types")):
        problems.append(
            (
                f"{etype}.client_registration_types lacks automatic",
                "Declare client_registration_types: [automatic].",
            )
        )
    if not any(k in md for k in ("jwks", "jwks_uri", "signed_jwks_uri")):
        problems.append(
            (
                f"{etype} has no jwks, jwks_uri or signed_jwks_uri",
                "Publish the keys of your client assertions.",
            )
        )
    response_types = md.get("response_types", ["code"])
    if _strings(response_types) != ["code"]:
        problems.append(
            (f"{etype}.response_types is {response_types!r}, not [code]", "Use the code flow only.")
        )
    grants = [g for g in _strings(md.get("grant_types")) if g not in ("authorization_code", "refresh_token")]
    if grants:
        problems.append(
            (f"{etype}.grant_types has {grants!r}", "Use authorization_code (and refresh_token) only.")
        )
    return problems


def federation_entity_problems(
    metadata: Mapping[str, Mapping[str, Any]], *, is_anchor: bool, has_subordinates: bool
) -> list[Problem]:
    """``federation_entity`` (§5.1.1): present with an organisation name; an anchor or intermediate
    publishes its fetch and list endpoints (§8.1, §8.2)."""
    md = metadata.get("federation_entity")
    if md is None:
        return [("no federation_entity metadata", "Publish federation_entity metadata (organization_name).")]
    problems = _missing(md, ("organization_name",), "federation_entity")
    if is_anchor or has_subordinates:
        problems += _missing(
            md, ("federation_fetch_endpoint", "federation_list_endpoint"), "federation_entity"
        )
    return problems
