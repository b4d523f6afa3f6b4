"""Development accounts: seeded at start-up in ``dev`` (idempotently), at low, medium and high
confidence, with claims and evidence that validate against the assurance schema."""

from __future__ import annotations

from pathlib import Path

from pydantic import TypeAdapter

from federation.service.database import create_store_engine
from idp.core.identity import identity_of
from idp.core.passwords import PasswordHasher
from idp.core.seed import DEV_PASSWORD, PERSONAS, seed_development_accounts
from idp.migrate import MIGRATIONS
from idp.store.accounts import AccountStore
from schemas.claims import Claims
from schemas.evidence import Evidence
from tests.idp.idpkit import idp_kit

EVIDENCE = TypeAdapter(Evidence)


def test_personas_validate_against_the_schema() -> None:
    for persona in PERSONAS:
        Claims.model_validate(dict(persona.claims))
        for kind, evidence, _scores in persona.evidence:
            assert EVIDENCE.validate_python(dict(evidence)).type == kind


def test_startup_seeds_three_levels_once(database_url: str, tmp_path: Path) -> None:
    with idp_kit(database_url, tmp_path, seed_accounts=True) as kit:
        services = kit.services
        assert services.accounts.count() == 3
        for persona in PERSONAS:
            account = services.accounts.by_username(persona.username)
            assert account is not None
            assert services.passwords.verify(account.password_hash, DEV_PASSWORD)
            level = identity_of(services.accounts, account, kit.now()).level
            assert level is not None and level.value == persona.expected_level
        before = kit.snapshot()
        assert seed_development_accounts(services.accounts, services.passwords) == []
        assert kit.snapshot() == before


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
