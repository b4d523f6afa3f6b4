"""The relying party's store on SQLite and PostgreSQL: pending logins taken once (RFC 6749 §10.12:
``state`` binds a response to one request), sessions whose handle changes at every login (no
session fixation), expiry, forgetting a result and signing out."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import replace

import pytest
from sqlalchemy import Engine, select

from federation.service.database import create_store_engine
from relying_party.core.evaluate import evaluate
from relying_party.core.result import LoginResult
from relying_party.migrate import MIGRATIONS
from relying_party.store import PendingLogin, RpStore, digest
from relying_party.tables import logins, sessions
from tests.relying_party.rpkit import NOW, Clock, id_claims, make_provider, service_policy, verified_element


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    engine = create_store_engine(database_url)
    MIGRATIONS.migrate(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def store(engine: Engine, clock: Clock) -> RpStore:
    return RpStore(engine, clock=clock)


def pending(state: str = "state-1", **changes: object) -> PendingLogin:
    login = PendingLogin(
        state=state,
        session="session-handle",
        issuer="https://idp.example",
        service="parking",
        nonce="nonce-1",
        code_verifier="v" * 64,
        vtr=("P2.Cl", "P1.Cl", "Cl"),
        return_to="/parking/apply",
        created_at=NOW,
        expires_at=NOW + 900,
    )
    return replace(login, **changes)  # type: ignore[arg-type]


def result(service: str = "parking", level: str = "medium") -> LoginResult:
    policy = service_policy(level, name=service)
    userinfo = {"sub": "subject-1", "verified_claims": verified_element("council-resident-parking")}
    return evaluate(policy, make_provider(), id_claims(vot="P2.Cl"), userinfo, now=NOW)


# -- pending logins -----------------------------------------------------------------------------------
def test_rfc6749_10_12_a_pending_login_is_taken_once(store: RpStore) -> None:
    store.save_login(pending())
    taken = store.take_login("state-1")
    assert taken is not None
    login, session_hash = taken
    assert login == replace(pending(), session="")
    assert session_hash == digest("session-handle")
    assert store.take_login("state-1") is None


def test_rfc6749_10_12_an_unknown_state_is_not_a_login(store: RpStore) -> None:
    store.save_login(pending())
    assert store.take_login("state-2") is None
    assert store.take_login("") is None
    assert store.take_login("state-1") is not None


def test_only_digests_of_the_state_and_session_are_stored(store: RpStore, engine: Engine) -> None:
    store.save_login(pending())
    with engine.connect() as connection:
        row = connection.execute(select(logins)).one()
    assert row.state_hash == digest("state-1")
    assert row.session_hash == digest("session-handle")
    assert "state-1" not in row and "session-handle" not in row


def test_rfc6749_10_12_concurrent_callbacks_with_one_state_have_one_winner(store: RpStore) -> None:
    store.save_login(pending())
    barrier = threading.Barrier(10)
    winners: list[PendingLogin] = []
    errors: list[BaseException] = []

    def take() -> None:
        try:
            barrier.wait()
            taken = store.take_login("state-1")
            if taken is not None:
                winners.append(taken[0])
        except BaseException as exc:  # recorded for the assertion below, any kind
            errors.append(exc)

    threads = [threading.Thread(target=take) for _ in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert errors == []
    assert len(winners) == 1
    assert winners[0].nonce == "nonce-1"


def test_saving_a_login_forgets_the_expired_ones(store: RpStore, clock: Clock, engine: Engine) -> None:
    store.save_login(pending("old", expires_at=NOW + 10))
    clock.now = NOW + 11
    store.save_login(pending("new", created_at=NOW + 11, expires_at=NOW + 911))
    with engine.connect() as connection:
        assert connection.execute(select(logins.c.state_hash)).scalars().all() == [digest("new")]


def test_an_expired_login_is_still_returned_for_the_caller_to_refuse(store: RpStore, clock: Clock) -> None:
    store.save_login(pending())
    clock.now = NOW + 901
    taken = store.take_login("state-1")
    assert taken is not None
    assert taken[0].expires_at == NOW + 900


# -- sessions -----------------------------------------------------------------------------------------
def test_a_login_result_is_kept_under_a_new_handle(store: RpStore) -> None:
    kept = result()
    handle = store.keep_result(None, kept, 3600)
    assert len(handle) >= 43
    assert store.results(handle) == {"parking": kept}
    assert store.count_sessions() == 1


def test_a_new_login_replaces_the_handle_and_the_old_one_stops_working(store: RpStore) -> None:
    first = store.keep_result(None, result("parking"), 3600)
    second = store.keep_result(first, result("blue-badge", "high"), 3600)
    assert second != first
    assert store.results(first) == {}
    held = store.results(second)
    assert list(held) == ["parking", "blue-badge"]
    assert not held["blue-badge"].accepted
    assert store.count_sessions() == 1


def test_a_new_result_for_the_same_service_replaces_the_previous_one(store: RpStore) -> None:
    handle = store.keep_result(None, result("parking", "high"), 3600)
    handle = store.keep_result(handle, result("parking", "medium"), 3600)
    assert store.results(handle)["parking"].accepted


def test_an_unknown_handle_starts_a_new_session(store: RpStore) -> None:
    handle = store.keep_result("made-up-handle", result(), 3600)
    assert list(store.results(handle)) == ["parking"]
    assert store.results("made-up-handle") == {}
    assert store.results(None) == {}
    assert store.results("") == {}


def test_an_expired_session_gives_no_results(store: RpStore, clock: Clock) -> None:
    handle = store.keep_result(None, result(), 60)
    clock.now = NOW + 59
    assert list(store.results(handle)) == ["parking"]
    clock.now = NOW + 60
    assert store.results(handle) == {}
    assert store.count_sessions() == 0


def test_an_expired_session_is_not_carried_into_a_new_one(store: RpStore, clock: Clock) -> None:
    handle = store.keep_result(None, result("parking"), 60)
    clock.now = NOW + 61
    renewed = store.keep_result(handle, result("blue-badge"), 60)
    assert list(store.results(renewed)) == ["blue-badge"]


def test_forget_result_drops_one_service(store: RpStore) -> None:
    handle = store.keep_result(None, result("parking"), 3600)
    handle = store.keep_result(handle, result("blue-badge"), 3600)
    store.forget_result(handle, "parking")
    assert list(store.results(handle)) == ["blue-badge"]
    store.forget_result(handle, "not-a-service")
    assert list(store.results(handle)) == ["blue-badge"]
    store.forget_result("unknown-handle", "blue-badge")
    assert list(store.results(handle)) == ["blue-badge"]


def test_end_session_removes_the_session_and_its_results(store: RpStore, engine: Engine) -> None:
    handle = store.keep_result(None, result(), 3600)
    other = store.keep_result(None, result(), 3600)
    store.end_session(handle)
    assert store.results(handle) == {}
    assert list(store.results(other)) == ["parking"]
    with engine.connect() as connection:
        assert connection.execute(select(sessions.c.id_hash)).scalars().all() == [digest(other)]
