"""Single use in the store (RFC 6238 §5.2; NIST SP 800-63B §5.1.2): a TOTP time step and a recovery
code are each accepted by one conditional ``UPDATE``, so concurrent uses cannot both win."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

from idp.core import totp
from tests.idp.flows import citizen
from tests.idp.idpkit import IdpKit
from tests.idp.securitykit import module_kit

shared = module_kit()


@pytest.fixture
def kit(shared: IdpKit) -> IdpKit:
    shared.client.cookies.clear()
    return shared


def _confirmed(kit: IdpKit, step: int) -> tuple[str, list[str]]:
    who = citizen(kit)
    secret = totp.new_secret()
    codes = totp.new_recovery_codes()
    accounts = kit.services.accounts
    assert accounts.begin_totp(who.id, secret)
    assert accounts.confirm_totp(who.id, secret, step, [totp.recovery_digest(c) for c in codes])
    return who.id, codes


def test_rfc6238_section_5_2_a_step_is_accepted_once_and_never_an_earlier_one(kit: IdpKit) -> None:
    account_id, _codes = _confirmed(kit, 100)
    accounts = kit.services.accounts
    assert not accounts.use_totp_step(account_id, 100)  # the confirming step
    assert not accounts.use_totp_step(account_id, 99)
    assert accounts.use_totp_step(account_id, 101)
    assert not accounts.use_totp_step(account_id, 101)
    found = accounts.by_id(account_id)
    assert found is not None
    assert found.totp_last_step == 101


def test_rfc6238_section_5_2_concurrent_uses_of_one_code_only_one_wins(kit: IdpKit) -> None:
    account_id, codes = _confirmed(kit, 100)
    accounts = kit.services.accounts
    with ThreadPoolExecutor(max_workers=8) as pool:
        steps = list(pool.map(lambda _n: accounts.use_totp_step(account_id, 101), range(16)))
        digest = totp.recovery_digest(codes[0])
        recoveries = list(pool.map(lambda _n: accounts.use_recovery_code(account_id, digest), range(16)))
    assert steps.count(True) == 1
    assert recoveries.count(True) == 1
    assert accounts.recovery_code_used(account_id, digest)
    assert accounts.recovery_codes_left(account_id) == 9


def test_confirm_counts_only_the_secret_being_set_up(kit: IdpKit) -> None:
    who = citizen(kit)
    accounts = kit.services.accounts
    assert accounts.begin_totp(who.id, "A" * 32)
    assert not accounts.confirm_totp(who.id, "B" * 32, 5, [])  # replaced in another window
    assert accounts.confirm_totp(who.id, "A" * 32, 5, [])
    assert not accounts.begin_totp(who.id, "C" * 32)  # a confirmed secret is never replaced here
    found = accounts.by_id(who.id)
    assert found is not None
    assert (found.totp_secret, found.second_factor) == ("A" * 32, True)
