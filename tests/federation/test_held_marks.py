"""Trust marks an entity holds (OpenID Federation 1.0 §7): fetched from the issuer the trust anchor lists
at its trust mark endpoint (§8.6), verified (§7.3), kept in a store, fetched again when due and published
in the entity configuration's ``trust_marks`` claim (§3)."""

from __future__ import annotations

import asyncio
import logging

import httpx
import pytest

from federation.errors import Check, InvalidTrustChain, InvalidTrustMark
from federation.held_marks import (
    HeldMark,
    HeldMarks,
    MemoryMarkStore,
    expand_trust_mark_type,
    fetch_trust_mark,
    trust_marks_claim,
    wanted_types,
)
from federation.resolver import TrustChainResolver
from federation.trust_marks import issue_trust_mark
from tests.federation.fedkit import IDP, INTERMEDIATE, TA, TestFederation, run

CERTIFIED = f"{TA}/trust-mark-types/certified_identity_service_provider"
UNLISTED = f"{TA}/trust-mark-types/unlisted"
ENDPOINT = f"{TA}/trust-mark?sub={IDP}"
NOW = 1_700_000_000


@pytest.fixture
def fed() -> TestFederation:
    """The three-level federation whose anchor issues the certified mark at its trust mark endpoint."""
    fed = TestFederation.three_level(now=NOW)
    anchor = fed.entities[TA]
    anchor.metadata["federation_entity"]["federation_trust_mark_endpoint"] = f"{TA}/trust-mark"
    anchor.trust_mark_issuers = {CERTIFIED: [TA]}
    return fed


def certify(fed: TestFederation, *, lifetime: int | None = 365 * 86400) -> str:
    """Serve (and return) a new certified mark about the IdP."""
    token = issue_trust_mark(
        fed.entities[TA].keys,
        issuer=TA,
        subject=IDP,
        trust_mark_type=CERTIFIED,
        iat=int(fed.now),
        lifetime=lifetime,
    )
    serve(
        fed,
        httpx.Response(200, content=token.encode(), headers={"content-type": "application/trust-mark+jwt"}),
    )
    return token


def serve(fed: TestFederation, response: httpx.Response) -> None:
    fed.serve_token(ENDPOINT, response)


def fetches(fed: TestFederation) -> int:
    return fed.requests.count(ENDPOINT)


def held_marks(fed: TestFederation, store: MemoryMarkStore, *types: str) -> HeldMarks:
    """The IdP's held marks of ``types`` (default: the certified mark) in ``fed``."""
    resolver = fed.resolver()

    async def current() -> TrustChainResolver:
        return resolver

    return HeldMarks(
        IDP,
        lambda: list(types or (CERTIFIED,)),
        store,
        current,
        fed.fetcher(),
        clock=lambda: fed.now,
    )


def test_7_a_mark_is_fetched_verified_held_and_published(fed: TestFederation) -> None:
    token = certify(fed)
    store = MemoryMarkStore(clock=lambda: fed.now)
    marks = held_marks(fed, store)
    expected = HeldMark(CERTIFIED, TA, token, NOW + 365 * 86400, NOW)
    assert run(marks.held()) == [expected]
    assert store.held_marks() == [expected]
    assert run(marks.trust_marks_claim()) == [{"trust_mark_type": CERTIFIED, "trust_mark": token}]
    assert fetches(fed) == 1


def test_7_a_mark_is_not_fetched_again_before_it_is_due(fed: TestFederation) -> None:
    first = certify(fed)
    marks = held_marks(fed, MemoryMarkStore(clock=lambda: fed.now))
    run(marks.held())
    second = certify(fed)
    assert second != first
    for step in (1, 59, 60, 3000, 3599):
        fed.now = NOW + step
        assert [m.trust_mark for m in run(marks.held())] == [first]
    assert fetches(fed) == 1
    fed.now = NOW + 3600  # held for an hour: fetched again
    assert [m.trust_mark for m in run(marks.held())] == [second]
    assert fetches(fed) == 2


def test_7_a_mark_expiring_within_the_refresh_window_is_fetched_again(fed: TestFederation) -> None:
    first = certify(fed, lifetime=5400)
    marks = held_marks(fed, MemoryMarkStore(clock=lambda: fed.now))
    assert [m.trust_mark for m in run(marks.held())] == [first]
    fed.now = NOW + 1799
    second = certify(fed)
    assert [m.trust_mark for m in run(marks.held())] == [first]
    fed.now = NOW + 1800  # expires within the hour
    assert [m.trust_mark for m in run(marks.held())] == [second]
    assert fetches(fed) == 2


def test_7_a_failure_keeps_the_held_mark_reports_it_and_is_retried_a_minute_later(
    fed: TestFederation, caplog: pytest.LogCaptureFixture
) -> None:
    first = certify(fed)
    store = MemoryMarkStore(clock=lambda: fed.now)
    marks = held_marks(fed, store)
    run(marks.held())
    serve(fed, httpx.Response(503, text="maintenance"))
    fed.now = NOW + 3600
    failure = f"{CERTIFIED}: from {TA}: {TA}/trust-mark: answered HTTP 503"
    with caplog.at_level(logging.WARNING, logger="federation.held_marks"):
        assert [m.trust_mark for m in run(marks.held())] == [first]
    assert [r.getMessage() for r in caplog.records] == [
        f"could not fetch every trust mark of {IDP} (keeping the 1 held): {failure}"
    ]
    assert run(marks.refresh()) == [failure]
    assert [(m.trust_mark, m.fetched_at) for m in store.held_marks()] == [(first, NOW)]
    assert fetches(fed) == 3
    second = certify(fed)
    fed.now = NOW + 3659  # a minute after the last attempt
    assert [m.trust_mark for m in run(marks.held())] == [first]
    fed.now = NOW + 3660
    assert [m.trust_mark for m in run(marks.held())] == [second]


def test_7_a_type_no_anchor_lists_is_an_explicit_failure(fed: TestFederation) -> None:
    certify(fed)
    store = MemoryMarkStore(clock=lambda: fed.now)
    marks = held_marks(fed, store, UNLISTED, CERTIFIED)
    assert run(marks.refresh()) == [f"{UNLISTED}: no trust anchor of {IDP} lists issuers of this type"]
    assert [m.trust_mark_type for m in store.held_marks()] == [CERTIFIED]
    with pytest.raises(InvalidTrustMark) as err:
        run(fetch_trust_mark(fed.resolver(), fed.fetcher(), subject=IDP, trust_mark_type=UNLISTED))
    assert err.value.check is Check.TRUST_MARK_ISSUER
    assert err.value.description == f"no trust anchor of {IDP} lists issuers of this type"


def test_8_6_an_issuer_without_a_trust_mark_endpoint_and_a_mark_that_does_not_verify(
    fed: TestFederation,
) -> None:
    fed.entities[TA].trust_mark_issuers = {CERTIFIED: [INTERMEDIATE, TA]}
    token = issue_trust_mark(
        fed.entities[TA].keys, issuer=TA, subject=INTERMEDIATE, trust_mark_type=CERTIFIED, iat=NOW
    )
    serve(
        fed,
        httpx.Response(200, content=token.encode(), headers={"content-type": "application/trust-mark+jwt"}),
    )
    with pytest.raises(InvalidTrustMark) as err:
        run(fetch_trust_mark(fed.resolver(), fed.fetcher(), subject=IDP, trust_mark_type=CERTIFIED))
    assert err.value.description == (
        f"from {INTERMEDIATE}: {INTERMEDIATE} publishes no federation_trust_mark_endpoint; "
        f"from {TA}: trust mark is about {INTERMEDIATE}, expected {IDP}"
    )


def test_7_3_fetch_trust_mark_returns_the_token_issuer_and_verified_mark(fed: TestFederation) -> None:
    token = certify(fed)
    found, issuer, mark = run(
        fetch_trust_mark(fed.resolver(), fed.fetcher(), subject=IDP, trust_mark_type=CERTIFIED)
    )
    assert (found, issuer, mark.iss, mark.sub, mark.trust_mark_type) == (token, TA, TA, IDP, CERTIFIED)


def test_10_an_unusable_resolver_is_reported_and_nothing_is_held(fed: TestFederation) -> None:
    async def broken() -> TrustChainResolver:
        raise InvalidTrustChain("no trust anchor is usable: down", check=Check.TRUST_ANCHOR)

    store = MemoryMarkStore(clock=lambda: fed.now)
    marks = HeldMarks(IDP, lambda: [CERTIFIED], store, broken, fed.fetcher(), clock=lambda: fed.now)
    assert run(marks.refresh()) == ["no trust anchor is usable: down"]
    assert run(marks.held()) == []


def test_7_held_marks_are_served_while_another_request_refreshes(fed: TestFederation) -> None:
    first = certify(fed)
    resolver = fed.resolver()
    gate = asyncio.Event()

    async def slow() -> TrustChainResolver:
        await gate.wait()
        return resolver

    marks = HeldMarks(
        IDP,
        lambda: [CERTIFIED],
        MemoryMarkStore(clock=lambda: fed.now),
        slow,
        fed.fetcher(),
        clock=lambda: fed.now,
    )

    async def scenario() -> tuple[list[str], list[str]]:
        gate.set()
        await marks.held()
        gate.clear()
        fed.now = NOW + 3600
        second = certify(fed)
        refreshing = asyncio.create_task(marks.held())
        await asyncio.sleep(0)
        meanwhile = [m.trust_mark for m in await marks.held()]
        gate.set()
        after = [m.trust_mark for m in await refreshing]
        assert after == [second]
        return meanwhile, after

    meanwhile, _after = run(scenario())
    assert meanwhile == [first]
    assert fetches(fed) == 2


def test_3_the_trust_marks_claim_leaves_out_expired_marks() -> None:
    marks = [
        HeldMark("https://a.example/t", TA, "a", None, NOW),
        HeldMark("https://b.example/t", TA, "b", NOW + 1, NOW),
        HeldMark("https://c.example/t", TA, "c", NOW, NOW),
    ]
    assert trust_marks_claim(marks, now=NOW) == [
        {"trust_mark_type": "https://a.example/t", "trust_mark": "a"},
        {"trust_mark_type": "https://b.example/t", "trust_mark": "b"},
    ]


def test_7_memory_store_keeps_one_mark_per_type() -> None:
    now = [NOW]
    store = MemoryMarkStore(clock=lambda: now[0])
    store.hold_mark("https://b.example/t", issuer=TA, trust_mark="b1", expires_at=None)
    store.hold_mark("https://a.example/t", issuer=TA, trust_mark="a1", expires_at=NOW + 10)
    now[0] += 5
    store.hold_mark("https://b.example/t", issuer=INTERMEDIATE, trust_mark="b2", expires_at=NOW + 20)
    assert store.held_marks() == [
        HeldMark("https://a.example/t", TA, "a1", NOW + 10, NOW),
        HeldMark("https://b.example/t", INTERMEDIATE, "b2", NOW + 20, NOW + 5),
    ]
    store.drop_mark("https://a.example/t")
    assert [m.trust_mark for m in store.held_marks()] == ["b2"]


def test_7_kind_names_are_expanded_under_each_anchor() -> None:
    assert expand_trust_mark_type(f"{TA}/", "council") == f"{TA}/trust-mark-types/council"
    assert expand_trust_mark_type(TA, "https://other.example/type") == "https://other.example/type"
    assert wanted_types(["council", "https://x.example/t", "council"], [TA, "https://ta2.example"]) == [
        f"{TA}/trust-mark-types/council",
        "https://ta2.example/trust-mark-types/council",
        "https://x.example/t",
    ]


def test_7_a_type_without_a_mark_is_retried_after_2_4_8_seconds_up_to_a_minute(fed: TestFederation) -> None:
    serve(fed, httpx.Response(404, json={"error": "not_found", "error_description": "not yet issued"}))
    store = MemoryMarkStore(clock=lambda: fed.now)
    marks = held_marks(fed, store)
    attempts = []
    for step in range(200):
        fed.now = NOW + step
        before = fetches(fed)
        assert run(marks.held()) == []
        if fetches(fed) > before:
            attempts.append(step)
    assert attempts == [0, 2, 6, 14, 30, 62, 122, 182]
    token = certify(fed)
    fed.now = NOW + 242
    assert [m.trust_mark for m in run(marks.held())] == [token]
    assert fetches(fed) == 9


def test_7_the_short_retry_starts_again_after_a_mark_is_held_and_expires(fed: TestFederation) -> None:
    first = certify(fed, lifetime=10)
    marks = held_marks(fed, MemoryMarkStore(clock=lambda: fed.now))
    assert [m.trust_mark for m in run(marks.held())] == [first]
    serve(fed, httpx.Response(503, text="maintenance"))
    fed.now = NOW + 59  # the mark expires within the refresh window, but a minute has not passed
    assert run(marks.trust_marks_claim()) == []
    assert fetches(fed) == 1
    fed.now = NOW + 60  # the mark has expired: nothing valid is held, so the next try is 2 s later
    assert run(marks.trust_marks_claim()) == []
    assert fetches(fed) == 2
    second = certify(fed)
    fed.now = NOW + 61
    assert run(marks.trust_marks_claim()) == []
    fed.now = NOW + 62
    assert run(marks.trust_marks_claim()) == [{"trust_mark_type": CERTIFIED, "trust_mark": second}]
    assert fetches(fed) == 3
