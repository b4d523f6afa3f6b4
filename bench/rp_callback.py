"""Benchmark: the relying party's callback work with a warm federation cache, on one core.

What a callback does after the code exchange: validate the ID token (ES256 signature through
``federation.jose.verify_jws``, the claims of OpenID Connect Core §3.1.3.7, ``vot`` within
``vtr`` and allowed by the trusted ``vtm``), parse the ``verified_claims`` with the assurance schema
and evaluate them against the service's policy, keeping the requested claims
(``relying_party.core.evaluate``). Target: at least 5,000 per second.

Baselines in the same run: the bare ES256 signature check through joserfc (``verify_jws``'s
general path), so the figure can be read as a multiple of it on a noisy machine, and the same check
through ``verify_jws`` (its ECDSA path: ``cryptography`` directly), the floor of the callback.

    python -m bench.rp_callback [--seconds 3]
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from federation import jose
from federation.jose import sign_jwt, verify_jws
from federation.keys import generate_key, public_jwk
from federation.statements import key_set
from relying_party.core.evaluate import evaluate
from relying_party.core.id_token import Expected, check_vot, validate_id_token
from relying_party.core.providers import Provider
from relying_party.services.policies import council_policies
from schemas.gpg45 import LevelOfConfidence
from schemas.vot import gov_uk_one_login_trustmark

ISSUER = "https://idp.example"
ANCHOR = "https://ta.example"
CLIENT = "https://council.example"
EXAMPLE = Path(__file__).resolve().parents[1] / "schemas/examples/valid/council-resident-parking.json"


def _measure(name: str, work: Callable[[], object], seconds: float) -> float:
    samples: list[float] = []
    deadline = time.perf_counter() + seconds
    while time.perf_counter() < deadline:
        start = time.perf_counter()
        work()
        samples.append(time.perf_counter() - start)
    samples.sort()
    rate = len(samples) / sum(samples)
    p50 = statistics.median(samples) * 1e6
    p95 = samples[int(len(samples) * 0.95)] * 1e6
    print(f"{name:<46} {rate:>9,.0f}/s   p50 {p50:>7.1f} us   p95 {p95:>7.1f} us")
    return rate


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=3.0)
    args = parser.parse_args()
    key = generate_key("ES256")
    keys = key_set({"keys": [public_jwk(key, "ES256")]})
    example: dict[str, Any] = json.loads(EXAMPLE.read_text())
    userinfo = {"sub": "subject-1", **example}
    policy = council_policies()[0]  # resident parking permit: the verified address
    provider = Provider(
        issuer=ISSUER,
        name="Sample IdP",
        kind="federation",
        metadata={"issuer": ISSUER, "trustmarks": f"{ISSUER}/trustmark"},
        levels=frozenset(LevelOfConfidence),
        expires_at=time.time() + 3600,
    )
    trustmark = gov_uk_one_login_trustmark(ISSUER, ANCHOR)
    now = int(time.time())
    access_token = "access-token-value"
    claims = {
        "iss": ISSUER,
        "sub": "subject-1",
        "aud": CLIENT,
        "exp": now + 600,
        "iat": now,
        "nonce": "nonce-value",
        "vot": "P1.Cl",
        "vtm": f"{ISSUER}/trustmark",
    }
    from authlib.oidc.core.util import create_half_hash  # noqa: PLC0415

    claims["at_hash"] = create_half_hash(access_token, "ES256").decode()
    token = sign_jwt(claims, key, "JWT")
    expected = Expected(issuer=ISSUER, client_id=CLIENT, nonce="nonce-value", access_token=access_token)
    vtr = tuple(policy.request_vtr())

    def callback() -> object:
        checked = validate_id_token(token, keys, expected, now=time.time())
        check_vot(checked, vtr, issuer=ISSUER, trustmark=trustmark)
        result = evaluate(policy, provider, checked, userinfo, now=time.time())
        assert result.accepted, result.decision.reasons
        return result

    def signature_only() -> object:
        return jose._verify_jws_joserfc(token, keys, ("JWT",), policy=None, require_kid=True)

    def fast_signature_only() -> object:
        return verify_jws(token, keys, ("JWT",))

    print("relying-party callback work, one core, warm cache (bench/rp_callback.py)")
    base = _measure("baseline: ES256 signature check only", signature_only, args.seconds)
    _measure("  the same, verify_jws (ECDSA path)", fast_signature_only, args.seconds)
    rate = _measure("callback: ID token + verified_claims + policy", callback, args.seconds)
    parse_only = _measure(
        "  of which verified_claims + policy",
        lambda: evaluate(policy, provider, claims, userinfo, now=time.time()),
        args.seconds,
    )
    print(
        f"callback / signature-only: {rate / base:.2f}x; "
        f"target 5,000/s: {'met' if rate >= 5000 else 'NOT met'}"
    )
    print(f"verified_claims + policy alone: {parse_only:,.0f}/s")
    print(f"max RSS: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB")


if __name__ == "__main__":
    main()
