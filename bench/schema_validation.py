"""Benchmark: parse and validate a realistic ``verified_claims`` payload, then evaluate it
against an assurance policy, on one core.

Prints operations per second, p50/p95 latency and memory, with ratios against baselines
measured in the same run (``json.loads`` alone, and the OpenID Foundation's JSON Schema
checked with ``jsonschema``) because the machine is noisy. Run: ``make bench``.
"""

from __future__ import annotations

import json
import os
import resource
import statistics
import time
import tracemalloc
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from schemas.policy import AssurancePolicy, evaluate_policy
from schemas.verified_claims import VerifiedClaimsPayload
from tests.schemas.uk_payloads import passport_m1a

NOW = datetime(2026, 11, 21, tzinfo=UTC)

PAYLOAD: dict[str, Any] = {"sub": "a8c1e3f0-4d52-4bb9-9f6e-2d1b7c3e9a10", **passport_m1a()}
"""A passport with a chip and a biometric check, fraud check record: GPG 45 M1A (see the tests)."""

POLICY = AssurancePolicy.model_validate(
    {
        "service": "Register with a GP practice",
        "minimum_level": "medium",
        "required_check_methods": [
            {"any_of": ["pvp", "pvr", "bvp", "bvr"], "description": "a photo comparison"}
        ],
        "required_claims": ["given_name", "family_name", "birthdate", "nhs_number"],
        "max_verification_age_days": 365,
    }
)


def measure(name: str, operation: Callable[[], object], seconds: float) -> dict[str, float]:
    """Run ``operation`` repeatedly for ``seconds``; per-call latencies in microseconds."""
    for _ in range(200):  # warm up caches
        operation()
    latencies: list[float] = []
    clock = time.perf_counter_ns
    deadline = time.perf_counter() + seconds
    while time.perf_counter() < deadline:
        start = clock()
        operation()
        latencies.append((clock() - start) / 1000)
    total = sum(latencies) / 1e6
    quantiles = statistics.quantiles(latencies, n=100)
    figures = {"ops_per_s": len(latencies) / total, "p50_us": quantiles[49], "p95_us": quantiles[94]}
    print(
        f"{name:<44} {figures['ops_per_s']:>10,.0f} ops/s   p50 {figures['p50_us']:7.1f} µs   "
        f"p95 {figures['p95_us']:7.1f} µs"
    )
    return figures


def oidf_validator() -> Callable[[object], None]:
    """The OpenID Foundation's ``verified_claims.json`` checked by jsonschema (as in the tests)."""
    from tests.schemas.oidf import oidf_verified_claims_validator  # noqa: PLC0415  (dev dependency)

    validate: Callable[[object], None] = oidf_verified_claims_validator().validate
    return validate


def main() -> None:
    """Run every measurement and print the figures and ratios."""
    seconds = float(os.environ.get("BENCH_SECONDS", "3"))
    text = json.dumps(PAYLOAD)
    os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})  # one core
    print(f"payload: {len(text)} bytes; {seconds:.0f} s per measurement, pinned to one core\n")

    baseline = measure("baseline: json.loads only", lambda: json.loads(text), seconds)
    parse = measure(
        "parse + validate (model_validate_json)",
        lambda: VerifiedClaimsPayload.model_validate_json(text),
        seconds,
    )
    parsed = VerifiedClaimsPayload.model_validate_json(text)
    assert evaluate_policy(POLICY, parsed, NOW).accepted
    policy = measure(
        "evaluate assurance policy (parsed)", lambda: evaluate_policy(POLICY, parsed, NOW), seconds
    )
    both = measure(
        "parse + validate + evaluate policy",
        lambda: evaluate_policy(POLICY, VerifiedClaimsPayload.model_validate_json(text), NOW),
        seconds,
    )
    validate = oidf_validator()
    oidf = measure(
        "OIDF JSON Schema via jsonschema (loads+check)", lambda: validate(json.loads(text)), seconds
    )

    tracemalloc.start()
    kept = [VerifiedClaimsPayload.model_validate_json(text) for _ in range(1000)]
    current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print(
        f"\nmemory: {current / len(kept) / 1024:.1f} KiB per parsed payload "
        f"(1000 kept, peak {peak / 2**20:.1f} MiB); "
        f"process max RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB"
    )
    print(
        f"ratio parse+validate / json.loads alone: {baseline['ops_per_s'] / parse['ops_per_s']:.1f}x slower"
    )
    speedup = parse["ops_per_s"] / oidf["ops_per_s"]
    print(f"ratio parse+validate vs OIDF jsonschema check: {speedup:.1f}x faster")
    print(f"policy evaluation alone: {policy['ops_per_s']:,.0f}/s")
    target = 20_000
    verdict = "meets" if both["ops_per_s"] >= target else "MISSES"
    print(
        f"target {target:,} validations/s (parse + validate + policy): {verdict} ({both['ops_per_s']:,.0f}/s)"
    )


if __name__ == "__main__":
    main()
