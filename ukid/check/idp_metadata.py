"""Rules on a provider's published documents behind ``ukid check idp``: its JWK set (RFC 7517, RFC 7518),
its identity assurance metadata (OpenID Connect for Identity Assurance 1.0 §8) and its Vectors of
Trust metadata (RFC 8485). Each rule returns the problems it finds, as :mod:`ukid.check.profile` does.

There is no schema of identity assurance *provider metadata* in :mod:`schemas` (only of
``verified_claims`` and requests), so :func:`assurance_problems` checks the members the
specification names, with the value sets :mod:`schemas` defines (evidence types, check methods).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from schemas.evidence import EVIDENCE_TYPES, CheckMethod
from schemas.vot import Vector, VectorError
from ukid.check import profile
from ukid.check.profile import Problem

__all__ = [
    "PRIVATE_MEMBERS",
    "assurance_problems",
    "key_fits",
    "key_problems",
    "signing_algorithms",
    "strings",
    "vot_problems",
]

#: Private (or symmetric) key members of a JWK (RFC 7518 §6.2.2, §6.3.2, §6.4.1).
PRIVATE_MEMBERS = ("d", "p", "q", "dp", "dq", "qi", "oth", "k")
_EC_CURVES = {"ES256": "P-256", "ES384": "P-384", "ES512": "P-521"}
#: Metadata naming algorithms the provider signs with its own keys (ID token, userinfo, JARM, introspection).
_SIGNING_MEMBERS = (
    "id_token_signing_alg_values_supported",
    "userinfo_signing_alg_values_supported",
    "authorization_signing_alg_values_supported",
    "introspection_signing_alg_values_supported",
)
#: Metadata naming algorithms clients encrypt to the provider's keys with (request objects).
_ENCRYPTION_MEMBERS = ("request_object_encryption_alg_values_supported",)
#: Identity assurance metadata: lists of strings when present (IA 1.0 §8).
_IA_LISTS = (
    "trust_frameworks_supported",
    "evidence_supported",
    "documents_supported",
    "documents_methods_supported",
    "documents_check_methods_supported",
    "electronic_records_supported",
    "attachments_supported",
    "claims_in_verified_claims_supported",
)


def strings(value: Any) -> list[str]:
    """The strings of a JSON array (anything else: none)."""
    return [v for v in value if isinstance(v, str)] if isinstance(value, list) else []


def signing_algorithms(md: Mapping[str, Any]) -> set[str]:
    """Algorithms the provider advertises signing with its own keys."""
    return {alg for name in _SIGNING_MEMBERS for alg in strings(md.get(name)) if alg != "none"}


def _kty_fits(key: Mapping[str, Any], alg: str) -> bool:
    kty, crv = key.get("kty"), key.get("crv")
    if alg in _EC_CURVES:
        return kty == "EC" and crv == _EC_CURVES[alg]
    if alg.startswith(("RS", "PS", "RSA")):
        return kty == "RSA"
    if alg == "EdDSA":
        return kty == "OKP" and crv in ("Ed25519", "Ed448")
    if alg.startswith("ECDH-ES"):
        return kty == "EC" or (kty == "OKP" and crv in ("X25519", "X448"))
    return False


def key_fits(key: Mapping[str, Any], alg: str, *, use: str) -> bool:
    """Whether ``key`` can be used with ``alg`` for ``use`` (``sig`` or ``enc``): its type and curve,
    and its ``alg``, ``use`` and ``key_ops`` when present (RFC 7517 §4.2-§4.4)."""
    if key.get("alg") not in (None, alg) or key.get("use") not in (None, use):
        return False
    ops = key.get("key_ops")
    if isinstance(ops, list) and ("verify" if use == "sig" else "encrypt") not in ops:
        return False
    return _kty_fits(key, alg)


def key_problems(keys: Sequence[Mapping[str, Any]], md: Mapping[str, Any]) -> list[str]:
    """Each key fits an algorithm the provider advertises for its use."""
    signing = sorted(signing_algorithms(md))
    encryption = sorted({a for n in _ENCRYPTION_MEMBERS for a in strings(md.get(n))})
    problems = []
    for key in keys:
        name = f"key {key.get('kid')!r} ({key.get('kty')}{', ' + str(key['crv']) if 'crv' in key else ''})"
        use = "enc" if key.get("use") == "enc" else "sig"
        algs = signing if use == "sig" else encryption
        if not any(key_fits(key, alg, use=use) for alg in algs):
            advertised = ", ".join(algs) or "none advertised"
            what = "signing" if use == "sig" else "request object encryption"
            problems.append(f"{name} fits no advertised {what} algorithm ({advertised})")
    return problems


def assurance_problems(md: Mapping[str, Any]) -> list[Problem]:
    """Identity assurance provider metadata (IA 1.0 §8; STANDARDS: ``uk_diatf``)."""
    if md.get("verified_claims_supported") is not True:
        return [
            (
                f"verified_claims_supported is {md.get('verified_claims_supported')!r}, not true",
                "Publish verified_claims_supported: true with the identity assurance metadata.",
            )
        ]
    problems = [
        (text.removeprefix("discovery."), fix) for text, fix in profile.assurance_problems(md, "discovery")
    ]
    for name in _IA_LISTS:
        value = md.get(name)
        if value is not None and (not isinstance(value, list) or len(strings(value)) != len(value)):
            problems.append(
                (f"{name} is not an array of strings", f"Publish {name} as a JSON array of strings.")
            )
    evidence = strings(md.get("evidence_supported"))
    if not evidence:
        problems.append(("evidence_supported is missing or empty", "List the evidence types you verify."))
    unknown = [e for e in evidence if e not in EVIDENCE_TYPES]
    if unknown:
        problems.append(
            (
                f"evidence_supported has {', '.join(map(repr, unknown))}, not an evidence type "
                f"({', '.join(EVIDENCE_TYPES)})",
                "Use the evidence type names of Identity Assurance 1.0 §5.1.1.",
            )
        )
    if "document" in evidence and not (
        strings(md.get("documents_supported")) or md.get("id_documents_supported")
    ):
        problems.append(
            (
                "evidence_supported has document but documents_supported is missing",
                "List documents_supported.",
            )
        )
    methods = [m for m in strings(md.get("documents_check_methods_supported")) if m not in set(CheckMethod)]
    if methods:
        problems.append(
            (
                f"documents_check_methods_supported has {', '.join(map(repr, methods))}: "
                "not predefined check methods",
                "Use the eKYC & IDA predefined check_method values.",
            )
        )
    unclaimed = [
        c
        for c in strings(md.get("claims_in_verified_claims_supported"))
        if c not in strings(md.get("claims_supported"))
    ]
    if "claims_supported" in md and unclaimed:
        problems.append(
            (
                f"claims_in_verified_claims_supported has {', '.join(unclaimed)}, not in claims_supported",
                "List every verifiable claim in claims_supported too.",
            )
        )
    return problems


def vot_problems(md: Mapping[str, Any], *, dev: bool) -> list[Problem]:
    """Vectors of Trust metadata: ``vtr_values_supported`` vectors, a ``trustmarks`` URL (RFC 8485 §3, §5)."""
    problems: list[Problem] = []
    values = md.get("vtr_values_supported")
    if values is not None:
        if not isinstance(values, list) or not values:
            problems.append(
                ("vtr_values_supported is not a non-empty array", "List the vectors you can assert.")
            )
        for value in values if isinstance(values, list) else []:
            if not isinstance(value, str):
                problems.append(
                    (f"vtr_values_supported: {value!r} is not a string", "List vectors as strings.")
                )
                continue
            try:
                Vector.parse(value)
            except VectorError as exc:
                problems.append(
                    (f"vtr_values_supported: {value!r}: {exc}", "Publish vectors as RFC 8485 §3.")
                )
    url = md.get("trustmarks")
    if not isinstance(url, str):
        problems.append(("no trustmarks URL", "Publish trustmarks: the URL of your trustmark document (§5)."))
    else:
        problem = profile.url_problem(url, dev=dev)
        if problem is not None:
            problems.append((f"trustmarks: {problem}", "Publish the trustmark document at an https URL."))
    return problems
