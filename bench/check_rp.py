"""Benchmark: the whole ``ukid check rp`` suite against the local relying parties.

The federation runs as ``ukid up`` runs it (:class:`ukid._up_stack.Federation`: five processes on free
ports, SQLite, the IdP in conformance mode). The suite (17 cases: the genuine login, the key rotation
and 14 broken answers, each a complete login through the RP) is run ``--runs`` times against the
council's parking permit and the GP practice's registration, as the CLI runs it: a new provider
session per run (the first case signs in), the ``low`` persona (password only, so no TOTP code is
spent). Figures: seconds per suite (p50, max), logins per second, and the IdP's and the RP's CPU per
suite (from ``/proc``). Passwords use the ``fast`` hashing setting, like ``bench/rp_login.py``.

    python -m bench.check_rp [--runs 5]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from pathlib import Path

from bench.rp_login import cpu_seconds, rss_mib
from idp.core.personas import DEV_PASSWORD
from ukid._up_services import Ports
from ukid._up_stack import Federation
from ukid.check.agent import Credentials
from ukid.check.cases import Status, run_suite
from ukid.check.rp import RpContext, rp_cases

LOGIN_PAGES = {"council": "/parking-permit/apply", "gp": "/register/apply"}


async def suite(login_url: str, idp: str) -> tuple[float, int]:
    """One run: its wall time and the number of cases that did not pass."""
    context = RpContext(
        login_url=login_url, idp=idp, credentials=Credentials("low@example.test", DEV_PASSWORD)
    )
    started = time.perf_counter()
    try:
        results = await run_suite(rp_cases(), context, deadline=60)
    finally:
        await context.aclose()
    return time.perf_counter() - started, sum(1 for r in results if r.status is not Status.PASS)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    env = {"UKID_IDP_PASSWORD_HASHING": "fast"}
    with tempfile.TemporaryDirectory() as data, Federation(Path(data), Ports.free(), env=env) as federation:
        idp = federation.url("idp")
        print(f"federation ready in {federation.ready_after:.1f} s; {len(rp_cases())} cases per suite")
        for service, page in LOGIN_PAGES.items():
            url = federation.url(service) + page
            asyncio.run(suite(url, idp))  # warm: consent given, caches filled
            pids = federation.pids
            before = {key: cpu_seconds(pids[key]) for key in ("idp", service)}
            times: list[float] = []
            for _ in range(args.runs):
                seconds, bad = asyncio.run(suite(url, idp))
                if bad:
                    raise SystemExit(f"{service}: {bad} cases did not pass")
                times.append(seconds)
            cpu = {key: (cpu_seconds(pids[key]) - before[key]) / args.runs for key in before}
            logins = (len(rp_cases()) - 1) / statistics.median(times)
            print(
                f"{service:8} {url}: suite p50 {statistics.median(times):.2f} s, max {max(times):.2f} s "
                f"({logins:.1f} logins/s); CPU per suite: IdP {cpu['idp'] * 1000:.0f} ms, "
                f"{service} {cpu[service] * 1000:.0f} ms; RSS IdP {rss_mib(pids['idp']):.0f} MiB, "
                f"{service} {rss_mib(pids[service]):.0f} MiB"
            )


if __name__ == "__main__":
    main()
