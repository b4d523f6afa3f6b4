"""Benchmark: the council's whole login, federation-resolved, end to end over loopback.

The federation runs as ``ukid up`` runs it (:class:`ukid._up_stack.Federation`: trust anchor, health
intermediate, IdP, council and GP as separate processes on free ports, SQLite, onboarded). Each flow is
a new browser (cookie jar) applying for a resident parking permit as the low persona:

    council page -> choose a provider -> POST start (PAR at the IdP) -> IdP authorize -> sign-in page ->
    sign in -> (consent, first flow only) -> council callback (code exchange, ID token, UserInfo,
    verified_claims, policy) -> the permit page (its gazetteer check of the verified address)

``--returning`` measures a citizen whose IdP session is still open (single sign-on: no sign-in page).
The provider is resolved through the anchor's resolve endpoint when the council's cache is empty and
kept ``UKID_RP_PROVIDER_CACHE_SECONDS`` (default 300 s) after; ``--cold`` sets it to 0, so every login
resolves and verifies the IdP's chain and certification mark again.

Figures: flows per second and latency (p50/p95) seen by the browsers, and the CPU time per flow of each
service process (from ``/proc``, so the load generator's own CPU is left out), and each one's memory.
Passwords use the ``fast`` hashing setting: the standard argon2id cost (about 150 ms CPU per sign-in,
``bench/idp_signin.py``) would otherwise be all that is measured.

    python -m bench.rp_login [--flows 200] [--concurrency 4] [--returning] [--cold]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import tempfile
import time
from pathlib import Path
from urllib.parse import urljoin

import httpx

from bench._idp_flow import page_forms
from idp.core.personas import DEV_PASSWORD
from ukid._up_services import Ports
from ukid._up_stack import Federation

USERNAME = "low@example.test"
_TICKS = os.sysconf("SC_CLK_TCK")


class FlowFailed(RuntimeError):
    """A flow that did not end on the permit page."""


def cpu_seconds(pid: int) -> float:
    """User and system CPU time of process ``pid``."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / _TICKS


def rss_mib(pid: int) -> float:
    """Resident memory of process ``pid``."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


async def _follow(browser: httpx.AsyncClient, response: httpx.Response) -> httpx.Response:
    while response.is_redirect:
        response = await browser.get(urljoin(str(response.url), response.headers["location"]))
    return response


async def _submit(browser: httpx.AsyncClient, page: httpx.Response, values: dict[str, str]) -> httpx.Response:
    form = next(f for f in page_forms(page.text) if f.method == "post")
    data = {**form.fields, **values}
    if form.buttons:
        name, value = next((b for b in form.buttons if b[1] == "agree"), form.buttons[0])
        data[name] = value
    return await browser.post(urljoin(str(page.url), form.action or str(page.url)), data=data)


async def one_flow(browser: httpx.AsyncClient, council: str, idp: str) -> None:
    """A parking permit login in ``browser``; :class:`FlowFailed` unless it ends on the permit page."""
    page = await _follow(browser, await browser.get(f"{council}/parking-permit/apply"))
    start = next((f for f in page_forms(page.text) if f.fields.get("issuer") == idp), None)
    if start is None:
        raise FlowFailed(f"no provider to choose: {page.text[:300]}")
    page = await browser.post(urljoin(str(page.url), start.action), data=start.fields)
    page = await _follow(browser, page)
    if 'name="password"' in page.text:
        page = await _follow(
            browser, await _submit(browser, page, {"username": USERNAME, "password": DEV_PASSWORD})
        )
    if 'value="agree"' in page.text:
        page = await _follow(browser, await _submit(browser, page, {}))
    # the permit page (the low persona lives outside the council's area: it says so, after the login)
    if page.status_code != 200 or page.url.path != "/parking-permit/apply":
        raise FlowFailed(f"the flow ended on {page.url} ({page.status_code}): {page.text[:300]}")


async def run(council: str, idp: str, flows: int, concurrency: int, returning: bool) -> list[float]:
    """``flows`` logins over ``concurrency`` browsers; the latency of each."""
    latencies: list[float] = []
    queue = iter(range(flows))
    limits = httpx.Limits(max_keepalive_connections=4)

    async def worker() -> None:
        browser = httpx.AsyncClient(timeout=30, limits=limits)
        try:
            for _ in queue:
                if not returning:
                    await browser.aclose()
                    browser = httpx.AsyncClient(timeout=30, limits=limits)
                else:
                    for name in [k for k in browser.cookies if k.startswith("ukid-rp-")]:
                        browser.cookies.delete(name)  # a new session at the council, the IdP's kept
                began = time.perf_counter()
                await one_flow(browser, council, idp)
                latencies.append(time.perf_counter() - began)
        finally:
            await browser.aclose()

    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return latencies


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--flows", type=int, default=200)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--returning", action="store_true", help="keep the IdP session between flows")
    parser.add_argument("--cold", action="store_true", help="no provider cache at the council")
    args = parser.parse_args()
    env = {"UKID_IDP_PASSWORD_HASHING": "fast"}
    if args.cold:
        env["UKID_RP_PROVIDER_CACHE_SECONDS"] = "0"
    with tempfile.TemporaryDirectory() as data, Federation(Path(data), Ports.free(), env=env) as federation:
        council, idp = federation.url("council"), federation.url("idp")
        print(
            f"federation healthy in {federation.healthy_after:.1f} s, "
            f"trust marks in {federation.ready_after:.1f} s"
        )
        asyncio.run(
            run(council, idp, 1 if args.returning else 2, 1, args.returning)
        )  # consent given, caches warm
        pids = federation.pids
        before = {key: cpu_seconds(pid) for key, pid in pids.items()}
        began = time.perf_counter()
        latencies = asyncio.run(run(council, idp, args.flows, args.concurrency, args.returning))
        elapsed = time.perf_counter() - began
        spent = {key: cpu_seconds(pid) - before[key] for key, pid in pids.items()}
        latencies.sort()
        p50, p95 = statistics.median(latencies) * 1000, latencies[int(len(latencies) * 0.95)] * 1000
        count = len(latencies)
        mode = "returning citizen (IdP session open)" if args.returning else "new browser (sign-in each time)"
        cache = "cold (resolved every login)" if args.cold else "warm"
        print(f"council parking-permit login, {mode}, provider cache {cache}")
        print(
            f"  {count} flows, {args.concurrency} browsers: {count / elapsed:,.1f} flows/s, "
            f"p50 {p50:.1f} ms, p95 {p95:.1f} ms"
        )
        total = sum(spent.values())
        print(f"  server CPU per flow: {total / count * 1000:.2f} ms in all")
        for key, seconds in spent.items():
            print(f"    {key:<8} {seconds / count * 1000:6.2f} ms/flow   RSS {rss_mib(pids[key]):6.1f} MiB")


if __name__ == "__main__":
    main()
