"""Benchmark: the trust registry's federation endpoints served by one uvicorn worker (OpenID
Federation 1.0 §8.1 fetch, §8.2 subordinate listing, §8.3 resolve), with many subordinates.

For each size (default 10,000 and 100,000 members) and each database (SQLite, and PostgreSQL when
``UKID_TEST_POSTGRES_URL`` is set; a dedicated schema, dropped at the end) the run:

1. signs one real subordinate statement per member with the registry's own ``sign_statement`` (and a
   real trust mark for 10% of them), migrates an empty database and bulk inserts the rows;
2. starts the registry as one uvicorn worker in a subprocess (pinned to one CPU; the load generator
   runs on the other) and a bare FastAPI app answering a constant 500-byte ``entity-statement+jwt``
   body the same way, as the baseline measured alongside (the machine is noisy: compare ratios);
3. measures fetch (``GET /fetch?sub=`` random members, 8 keep-alive connections, and on one
   connection), the list of all members and three filtered lists (sequential requests), and the
   resolve of a leaf under an intermediate registry (a second subprocess) whose entity
   configuration is served by the loopback test server: the first (cold) request of a fresh process,
   then warm from the resolve response cache, and again with ``resolve_cache_seconds=0`` (the chain
   re-validated from cached statements and the response signed each time);
4. reads the server's memory (``VmRSS``, peak ``VmHWM`` from ``/proc``) at start and after load.

Targets are printed as met / NOT met, and a miss does not fail the run: fetch p95 < 5 ms, under load
(8 connections: one worker queues, so the bare endpoint's p95 under the same load is printed next
to it) and unloaded (1 connection); the list of all members p95 < 200 ms at 100,000. Run:
``make bench`` or
``python -m bench.registry [--quick] [--sizes 10000,100000] [--databases sqlite,postgresql]``.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
import json
import os
import random
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

import httpx

from bench._load import LoadFigures, get_many, one_get
from bench._registry_seed import POSTGRES_ENV, SeedRows, database, seed_database, sign_rows
from bench._registry_server import BARE_PATH, Memory, ServerProcess, free_port
from federation.keys import KeyStore
from tests.federation.fedkit import TestFederation
from tests.federation.http_server import serve
from trust_registry.settings import RegistrySettings

ADMIN_TOKEN = "bench-admin-token-0123456789abcdefghijklmnopqrstuvwxyz"
FETCH_P95_TARGET_MS = 5.0
LIST_TARGET_MS = 200.0
LIST_TARGET_SIZE = 100_000
FILTERS: dict[str, dict[str, str]] = {
    "list entity_type=openid_provider": {"entity_type": "openid_provider"},
    "list trust_marked=true": {"trust_marked": "true"},
    "list openid_provider + trust_marked": {"entity_type": "openid_provider", "trust_marked": "true"},
}


@dataclass(frozen=True)
class Plan:
    """What one run measures and how many requests each part makes."""

    sizes: tuple[int, ...]
    databases: tuple[str, ...]
    fetch_requests: int
    single_requests: int
    list_runs: int
    resolve_requests: int
    leaves: int
    concurrency: int = 8

    @classmethod
    def of(cls, quick: bool, sizes: Sequence[int] | None, databases: Sequence[str]) -> Plan:
        if quick:
            return cls(tuple(sizes or (1000,)), tuple(databases), 1000, 300, 5, 500, 3)
        return cls(tuple(sizes or (10_000, 100_000)), tuple(databases), 5000, 1000, 20, 3000, 10)


@dataclass(frozen=True)
class Row:
    """One line of the summary: an operation on one database at one size."""

    database: str
    size: int
    operation: str
    figures: LoadFigures
    note: str = ""


@dataclass
class Anchor:
    """The trust anchor's identity for a whole run: one port, one key, one entity ID, so that the
    statements signed once per size serve every database, and every anchor process of the run
    (one per database, restarted for the uncached resolve) listens on the same port."""

    directory: Path
    port: int
    keys: KeyStore
    cpu: int | None

    @classmethod
    def create(cls, directory: Path, cpu: int | None = None) -> Anchor:
        keys_dir = directory / "anchor-keys"
        return cls(directory, free_port(stable=True), KeyStore.open(keys_dir), cpu)

    @property
    def entity_id(self) -> str:
        return f"http://127.0.0.1:{self.port}/ta"

    def settings(self, database_url: str) -> RegistrySettings:
        """The settings the anchor runs with (``dev``: plain http on loopback)."""
        return RegistrySettings(
            environment="dev",
            entity_id=self.entity_id,
            keys_dir=self.keys.directory,
            database_url=database_url,
            migrate_on_start=False,
        )

    def jwks_file(self) -> Path:
        """The anchor's public JWKS, pinned by the intermediate."""
        path = self.directory / "anchor-jwks.json"
        path.write_text(json.dumps(self.keys.public_jwks()))
        return path

    def server(self, database_url: str, cache_seconds: int = 60) -> ServerProcess:
        env = {
            "UKID_REGISTRY_ENVIRONMENT": "dev",
            "UKID_REGISTRY_ENTITY_ID": self.entity_id,
            "UKID_REGISTRY_DATA_DIR": str(self.directory / "anchor-data"),
            "UKID_REGISTRY_KEYS_DIR": str(self.keys.directory),
            "UKID_REGISTRY_DATABASE_URL": database_url,
            "UKID_REGISTRY_MIGRATE_ON_START": "false",
            "UKID_REGISTRY_ADMIN_TOKENS": json.dumps({"bench": ADMIN_TOKEN}),
            "UKID_REGISTRY_RESOLVE_CACHE_SECONDS": str(cache_seconds),
        }
        log = self.directory / "anchor.log"
        return ServerProcess(
            "bench._registry_server:registry_app", self.port, env, log, "/ta/healthz", self.cpu
        )


def fetch_paths(entity_ids: Sequence[str], count: int, seed: int) -> list[str]:
    """``count`` fetch requests for random members."""
    pick = random.Random(seed).choice
    return [f"/ta/fetch?sub={quote(pick(entity_ids), safe='')}" for _ in range(count)]


async def measure_fetch(
    anchor: Anchor, entity_ids: Sequence[str], count: int, concurrency: int
) -> LoadFigures:
    """``count`` fetches of random members over ``concurrency`` connections (after a warm-up)."""
    paths = fetch_paths(entity_ids, count + 200, seed=count)
    return await get_many(anchor.port, paths, concurrency=concurrency, warmup=200)


def admin_post(base: str, path: str, body: dict[str, Any]) -> None:
    """Call a registry's admin API; a refusal stops the run with the registry's answer."""
    response = httpx.post(
        f"{base}/admin{path}", json=body, headers={"Authorization": f"Bearer {ADMIN_TOKEN}"}, timeout=30
    )
    if response.status_code != 201:
        raise RuntimeError(f"POST {base}/admin{path}: {response.status_code} {response.text[:500]}")


def leaf_metadata(entity_id: str) -> dict[str, dict[str, Any]]:
    """A relying party that meets the federation profile."""
    return {
        "openid_relying_party": {
            "redirect_uris": [f"{entity_id}/callback"],
            "token_endpoint_auth_method": "private_key_jwt",
            "grant_types": ["authorization_code"],
            "response_types": ["code"],
            "client_registration_types": ["automatic"],
        }
    }


@dataclass
class Federation:
    """Everything around the anchor that lives for the whole run: the baseline server, the
    intermediate registry and the leaves below it (served by the loopback test server)."""

    anchor: Anchor
    bare: ServerProcess
    intermediate: str
    leaves: list[str] = field(default_factory=list)

    @classmethod
    @contextmanager
    def running(cls, anchor: Anchor, plan: Plan) -> Iterator[Federation]:
        directory = anchor.directory
        with ExitStack() as stack:
            bare_port = free_port()
            bare = ServerProcess(
                "bench._registry_server:bare_app",
                bare_port,
                {},
                directory / "bare.log",
                BARE_PATH,
                anchor.cpu,
            )
            stack.enter_context(bare.start())
            loopback = stack.enter_context(serve({}))
            fed = TestFederation(lifetime=86400)
            loopback.fallback = fed.loopback_handler(loopback.base_url)
            port = free_port()
            intermediate = f"http://127.0.0.1:{port}/mid"
            env = {
                "UKID_REGISTRY_ENVIRONMENT": "dev",
                "UKID_REGISTRY_ROLE": "intermediate",
                "UKID_REGISTRY_ENTITY_ID": intermediate,
                "UKID_REGISTRY_ORGANIZATION_NAME": "Bench Health Intermediate",
                "UKID_REGISTRY_DATA_DIR": str(directory / "intermediate"),
                "UKID_REGISTRY_GENERATE_KEYS": "true",
                "UKID_REGISTRY_AUTHORITY_HINTS": json.dumps([anchor.entity_id]),
                "UKID_REGISTRY_TRUST_ANCHORS": json.dumps(
                    [{"entity_id": anchor.entity_id, "jwks_file": str(anchor.jwks_file())}]
                ),
                "UKID_REGISTRY_ADMIN_TOKENS": json.dumps({"bench": ADMIN_TOKEN}),
            }
            log = directory / "intermediate.log"
            stack.enter_context(
                ServerProcess("bench._registry_server:registry_app", port, env, log, "/mid/healthz").start()
            )
            federation = cls(anchor, bare, intermediate)
            for index in range(plan.leaves):
                leaf = f"{loopback.base_url}/leaf-{index}"
                fed.add(leaf, metadata=leaf_metadata(leaf)).authority_hints = [intermediate]
                admin_post(intermediate, "/subordinates", {"entity_id": leaf})
                federation.leaves.append(leaf)
            yield federation

    def resolve_path(self, leaf: str) -> str:
        return "/ta/resolve?" + urlencode({"sub": leaf, "trust_anchor": self.anchor.entity_id})


class Bench:
    """Runs the plan and keeps every figure for the summary."""

    def __init__(self, plan: Plan, federation: Federation) -> None:
        self.plan = plan
        self.federation = federation
        self.rows: list[Row] = []
        self.memory: list[tuple[str, int, str, Memory]] = []
        self.seeding: list[str] = []

    def record(self, database: str, size: int, operation: str, figures: LoadFigures, note: str = "") -> Row:
        row = Row(database, size, operation, figures, note)
        self.rows.append(row)
        print(line(row), flush=True)
        return row

    def remember(self, database: str, size: int, when: str, server: ServerProcess) -> None:
        self.memory.append((database, size, when, server.memory()))

    async def one_database(self, kind: str, rows: SeedRows, size: int) -> None:
        anchor, fed = self.federation.anchor, self.federation
        with database(kind, anchor.directory) as url:
            timing = seed_database(url, rows)
            self.seeding.append(
                f"  {kind:<10} {size:>7,}  migrate {timing.migrate_seconds:5.2f} s, bulk insert of members, "
                f"entity types and trust marks {timing.insert_seconds:6.2f} s "
                f"({size / timing.insert_seconds:,.0f} members/s)"
            )
            print(self.seeding[-1], flush=True)
            with anchor.server(url) as server:
                self.remember(kind, size, "started", server)
                await self.fetch(kind, size, rows.entity_ids)
                self.remember(kind, size, "after fetch", server)
                await self.lists(kind, size)
                self.remember(kind, size, "after list", server)
                admin_post(anchor.entity_id, "/subordinates", {"entity_id": fed.intermediate})
                await self.resolve(kind, size, "resolve", cached=True)
                self.remember(kind, size, "after resolve", server)
            with anchor.server(url, cache_seconds=0):
                await self.resolve(kind, size, "resolve, cache 0", cached=False)

    async def fetch(self, kind: str, size: int, entity_ids: list[str]) -> None:
        plan, anchor, bare = self.plan, self.federation.anchor, self.federation.bare
        half = plan.fetch_requests // 2
        bare_paths = [BARE_PATH] * (half + 200)
        runs: dict[str, list[LoadFigures]] = {"bare": [], "fetch": []}
        for _ in range(2):  # interleaved, so that noise touches both alike
            runs["bare"].append(
                await get_many(bare.port, bare_paths, concurrency=plan.concurrency, warmup=200)
            )
            runs["fetch"].append(await measure_fetch(anchor, entity_ids, half, plan.concurrency))
        base, loaded = merge(runs["bare"]), merge(runs["fetch"])
        self.record(
            kind, size, f"bare FastAPI endpoint, {plan.concurrency} conn", base, f"{base.body_bytes} B"
        )
        ratio = loaded.per_s / base.per_s
        self.record(
            kind, size, f"fetch, {plan.concurrency} conn", loaded, f"{ratio:.2f}x bare; {loaded.body_bytes} B"
        )
        single = await measure_fetch(anchor, entity_ids, plan.single_requests, 1)
        self.record(kind, size, "fetch, 1 conn (unloaded)", single)

    async def lists(self, kind: str, size: int) -> None:
        port, runs = self.federation.anchor.port, self.plan.list_runs
        every = await get_many(port, ["/ta/list"] * (runs + 2), concurrency=1, warmup=2)
        self.record(kind, size, "list all members, sequential", every, f"{every.body_bytes / 1e6:.2f} MB")
        for name, params in FILTERS.items():
            found = await get_many(
                port, [f"/ta/list?{urlencode(params)}"] * (runs + 2), concurrency=1, warmup=2
            )
            self.record(kind, size, name, found, f"{found.body_bytes / 1e6:.3f} MB")

    async def resolve(self, kind: str, size: int, label: str, *, cached: bool) -> None:
        fed, plan = self.federation, self.plan
        port = fed.anchor.port
        first_ms, _ = await one_get(port, fed.resolve_path(fed.leaves[0]))
        self.record(kind, size, f"{label}: first request (cold)", single_figure(first_ms))
        if cached:
            others = [fed.resolve_path(leaf) for leaf in fed.leaves[1:]]
            if others:
                fresh = await get_many(port, others, concurrency=1)
                self.record(kind, size, f"{label}: first of another leaf", fresh, "intermediate cached")
        pick = random.Random(7).choice
        count = plan.resolve_requests if cached else plan.resolve_requests // 2
        paths = [fed.resolve_path(pick(fed.leaves)) for _ in range(count + 100)]
        warm = await get_many(port, paths, concurrency=plan.concurrency, warmup=100)
        note = "response cache" if cached else "chain from cached statements, signed each time"
        self.record(kind, size, f"{label}: warm, {plan.concurrency} conn", warm, note)


def merge(parts: Sequence[LoadFigures]) -> LoadFigures:
    """Figures of several runs of the same load taken together."""
    latencies = [x for part in parts for x in part.latencies_us]
    sizes = [part.body_bytes for part in parts]
    return LoadFigures(latencies, sum(p.seconds for p in parts), parts[0].concurrency, max(sizes))


def single_figure(ms: float) -> LoadFigures:
    return LoadFigures([ms * 1000], ms / 1000, 1, 0)


def line(row: Row) -> str:
    f = row.figures
    rate = f"{f.per_s:>9,.0f} /s" if len(f.latencies_us) > 1 else " " * 11
    text = (
        f"  {row.database:<10} {row.size:>7,}  {row.operation:<38} {rate}  p50 {f.p50_ms:8.2f} ms  "
        f"p95 {f.p95_ms:8.2f} ms  p99 {f.p99_ms:8.2f} ms  {row.note}"
    )
    return text.rstrip()


def server_stack() -> str:
    """What serves the requests: uvicorn picks uvloop and httptools when they are installed."""
    loop = "uvloop" if importlib.util.find_spec("uvloop") else "asyncio"
    parser = "httptools" if importlib.util.find_spec("httptools") else "h11"
    versions = ", ".join(f"{name} {metadata.version(name)}" for name in ("uvicorn", "fastapi", "sqlalchemy"))
    return f"{versions}, event loop {loop}, HTTP parser {parser}"


def verdict(ok: bool) -> str:
    return "met" if ok else "NOT met"


def summary(bench: Bench) -> None:
    print("\nseeding (statements and trust marks are signed once per size, then inserted in each database)")
    for text in bench.seeding:
        print(text)
    print("\nsummary (one uvicorn worker; latencies per request as the client saw them)")
    print(f"  {'database':<10} {'members':>7}  {'operation':<38} {'rate':>11}")
    for row in bench.rows:
        print(line(row))
    print("\nmemory of the registry process (MiB): VmRSS at each point, VmHWM = peak")
    for kind, size, when, memory in bench.memory:
        print(f"  {kind:<10} {size:>7,}  {when:<14} RSS {memory.rss_mib:7.1f}   peak {memory.peak_mib:7.1f}")
    baseline = bench.federation.bare.memory()
    print(f"  bare FastAPI baseline process: RSS {baseline.rss_mib:.1f}, peak {baseline.peak_mib:.1f}")
    print("\ntargets (noisy 2-core machine: reported, never fatal)")
    bare = {(r.database, r.size): r.figures for r in bench.rows if r.operation.startswith("bare")}
    for row in bench.rows:
        p95 = row.figures.p95_ms
        if row.operation.startswith("fetch,"):
            loaded = "unloaded" not in row.operation
            context = (
                f"; bare endpoint p95 under the same load {bare[row.database, row.size].p95_ms:.2f} ms, "
                f"fetch rate {row.note.split(';')[0]}"
                if loaded
                else ""
            )
            print(
                f"  {row.database} {row.size:,}: p95 fetch {p95:.2f} ms < {FETCH_P95_TARGET_MS:g} ms "
                f"({row.operation}): {verdict(p95 < FETCH_P95_TARGET_MS)}{context}"
            )
        if row.operation.startswith("list all") and row.size >= LIST_TARGET_SIZE:
            print(
                f"  {row.database} {row.size:,}: list {row.size // 1000}k p95 {p95:.1f} ms < "
                f"{LIST_TARGET_MS:g} ms: {verdict(p95 < LIST_TARGET_MS)} (p50 {row.figures.p50_ms:.1f} ms)"
            )


async def run(plan: Plan, directory: Path) -> Bench:
    cores = sorted(os.sched_getaffinity(0))
    server_cpu = cores[0] if len(cores) > 1 else None
    if server_cpu is not None:  # the load generator (this process) on the other CPUs
        os.sched_setaffinity(0, set(cores[1:]))
    anchor = Anchor.create(directory, server_cpu)
    try:
        return await measure_all(plan, anchor)
    finally:
        os.sched_setaffinity(0, set(cores))


async def measure_all(plan: Plan, anchor: Anchor) -> Bench:
    """Every size on every database, then the summary."""
    with Federation.running(anchor, plan) as federation:
        bench = Bench(plan, federation)
        for size in plan.sizes:
            print(f"\n== {size:,} members ==", flush=True)
            rows = sign_rows(anchor.settings("sqlite://"), anchor.keys, size)
            bench.seeding.append(
                f"  {'signing':<10} {size:>7,}  {size:,} subordinate statements + {len(rows.trust_marks):,} "
                f"trust marks signed in {rows.sign_seconds:.1f} s ({size / rows.sign_seconds:,.0f} members/s)"
            )
            print(bench.seeding[-1], flush=True)
            for kind in plan.databases:
                await bench.one_database(kind, rows, size)
        summary(bench)
    return bench


def main(argv: Sequence[str] | None = None) -> int:
    """Parse the options, run and print the tables; returns 0 (targets are reported, never fatal)."""
    parser = argparse.ArgumentParser(prog="python -m bench.registry", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="1,000 members, fewer requests (under a minute)")
    parser.add_argument("--sizes", help="comma-separated member counts (default 10000,100000; quick 1000)")
    parser.add_argument("--databases", default="sqlite,postgresql", help="sqlite and/or postgresql")
    args = parser.parse_args(argv)
    sizes = [int(s.replace("_", "")) for s in args.sizes.split(",")] if args.sizes else None
    databases = [d.strip() for d in args.databases.split(",") if d.strip()]
    unknown = set(databases) - {"sqlite", "postgresql"}
    if unknown:
        parser.error(f"unknown database(s): {', '.join(sorted(unknown))}")
    if "postgresql" in databases and not os.environ.get(POSTGRES_ENV):
        print(f"note: {POSTGRES_ENV} is not set: PostgreSQL is skipped")
        databases.remove("postgresql")
    plan = Plan.of(args.quick, sizes, databases)
    print(
        f"trust registry benchmark ({'quick' if args.quick else 'full'} run): sizes "
        f"{', '.join(f'{s:,}' for s in plan.sizes)}; databases {', '.join(plan.databases) or 'none'}\n"
        f"{os.cpu_count()} CPUs: each server is one uvicorn worker pinned to one CPU, the load generator "
        f"runs on the other; {server_stack()}; {plan.concurrency} keep-alive connections under load, "
        f"{plan.fetch_requests:,} fetches and {plan.fetch_requests:,} baseline requests per database and size"
    )
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="bench-registry-") as directory:
        asyncio.run(run(plan, Path(directory)))
    print(f"total {time.perf_counter() - started:.0f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
