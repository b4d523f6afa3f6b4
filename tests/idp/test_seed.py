"""Development personas (issue 6): seeded at start-up in ``dev`` (idempotently) at every level of
confidence GPG 45 defines for them (documents, knowledge-based questions, a vouch, none), with claims
and evidence that validate against the assurance schema, the published TOTP secrets and a voucher."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import TypeAdapter

from federation.service.database import create_store_engine
from idp.core import totp
from idp.core.identity import identity_of
from idp.core.passwords import PasswordHasher
from idp.core.personas import HIGH_TOTP_SECRET, VOUCHER
from idp.core.seed import DEV_PASSWORD, PERSONAS, Persona, seed_development_accounts
from idp.endpoints._pages import SESSION_COOKIE
from idp.migrate import MIGRATIONS
from idp.store.accounts import AccountStore
from schemas.claims import Claims
from schemas.evidence import Evidence
from tests.idp.idpkit import idp_kit
from tests.idp.securitykit import account_area_code, account_area_sign_in

EVIDENCE = TypeAdapter(Evidence)


def test_personas_validate_against_the_schema() -> None:
    for persona in PERSONAS:
        Claims.model_validate(dict(persona.claims))
        for kind, evidence, _scores in persona.evidence:
            assert EVIDENCE.validate_python(dict(evidence)).type == kind


def test_gpg45_each_persona_reaches_its_documented_level_once(database_url: str, tmp_path: Path) -> None:
    with idp_kit(database_url, tmp_path, seed_accounts=True) as kit:
        services = kit.services
        assert services.accounts.count() == 6
        levels = {}
        for persona in PERSONAS:
            account = services.accounts.by_username(persona.username)
            assert account is not None
            assert services.passwords.verify(account.password_hash, DEV_PASSWORD)
            level = identity_of(services.accounts, account, kit.now()).level
            levels[persona.username] = level.value if level is not None else None
            assert account.second_factor is (persona.totp_secret is not None)
            assert account.totp_secret == persona.totp_secret
        assert levels == {
            "low@example.test": "low",
            "medium@example.test": "medium",
            "high@example.test": "high",
            "thin-file@example.test": "low",
            "prison-leaver@example.test": "low",
            "unproven@example.test": None,
        }
        assert levels == {p.username: p.expected_level for p in PERSONAS}
        voucher = services.vouchers.by_username(VOUCHER.username)
        assert voucher is not None
        assert (voucher.name, voucher.occupation, voucher.organization) == (
            "Sam Okafor",
            "Hostel key worker",
            "Riverside Hostel",
        )
        assert services.passwords.verify(voucher.password_hash, DEV_PASSWORD)
        before = kit.snapshot()
        assert seed_development_accounts(services.accounts, services.passwords, services.vouchers) == []
        assert kit.snapshot() == before


def test_rfc6238_a_seeded_persona_signs_in_with_a_code_from_its_published_secret(
    database_url: str, tmp_path: Path
) -> None:
    with idp_kit(database_url, tmp_path, seed_accounts=True) as kit:
        account = kit.services.accounts.by_username("high@example.test")
        assert account is not None
        code = totp.code_at(HIGH_TOTP_SECRET, kit.now())
        assert totp.spend(kit.services.accounts, account, code, kit.now()) is None


def test_seeding_adds_only_missing_personas(database_url: str) -> None:
    engine = create_store_engine(database_url)
    try:
        MIGRATIONS.migrate(engine)
        accounts, passwords = AccountStore(engine), PasswordHasher("fast")
        accounts.create(PERSONAS[0].username, "not-a-hash", {})
        created = seed_development_accounts(accounts, passwords)
        assert created == [p.username for p in PERSONAS[1:]]
        first = accounts.by_username(PERSONAS[0].username)
        assert first is not None and accounts.evidence_of(first.id) == []
    finally:
        engine.dispose()


@pytest.mark.parametrize("persona", PERSONAS, ids=lambda p: p.username.split("@")[0])
def test_gpg45_each_persona_signs_in_and_its_account_page_shows_its_level(
    persona: Persona, tmp_path: Path
) -> None:
    """Issue 6 "done when": each persona signs in (with its published TOTP secret when it has one) and
    the account page states the level its evidence reaches."""
    with idp_kit(f"sqlite:///{tmp_path / 'idp.db'}", tmp_path, seed_accounts=True) as kit:
        answer = account_area_sign_in(kit, persona.username, DEV_PASSWORD, target="/account")
        if persona.totp_secret is not None:
            answer = account_area_code(kit, answer, totp.code_at(persona.totp_secret, kit.now()))
        assert answer.status_code == 303, answer.text
        assert answer.headers["location"].endswith("/account")
        session = kit.services.interactions.session(kit.client.cookies[SESSION_COOKIE])
        assert session is not None
        assert session.credential == ("Cl.Cm" if persona.totp_secret is not None else "Cl")
        page = kit.client.get("/account")
        assert page.status_code == 200, page.text
        account = kit.services.accounts.by_username(persona.username)
        assert account is not None
        level = identity_of(kit.services.accounts, account, kit.now()).level
        assert (level.value if level is not None else None) == persona.expected_level
        if level is not None:
            assert f"checked to a {level.label} level of confidence." in page.text
            assert f'data-level="{level.label}"' in page.text
        else:
            assert 'id="level-none"' in page.text
