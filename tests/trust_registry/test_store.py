"""The store on SQLite and PostgreSQL: migrations, the start-up schema check, the append-only audit log."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import delete, insert, text, update
from sqlalchemy.exc import DBAPIError

from federation.keys import KeyStore
from trust_registry.migrate import check_schema, create_store_engine, current_revision, head_revision, migrate
from trust_registry.services import StartupError, open_services
from trust_registry.settings import RegistrySettings
from trust_registry.store import RegistryStore
from trust_registry.tables import audit_log

ANCHOR = "https://registry.example"
TOKEN = "store-test-admin-token-0123456789abcdef"


def settings(database_url: str, tmp_path: Path, **overrides: object) -> RegistrySettings:
    keys = tmp_path / "keys"
    KeyStore.open(keys)
    values: dict[str, object] = {
        "environment": "test",
        "entity_id": ANCHOR,
        "database_url": database_url,
        "keys_dir": keys,
        "admin_tokens": {"ops": TOKEN},
        **overrides,
    }
    return RegistrySettings(**values)  # type: ignore[arg-type]


def test_start_up_refuses_an_unmigrated_database(database_url: str, tmp_path: Path) -> None:
    with pytest.raises(StartupError, match=r"is not migrated: run `ukid registry migrate` first"):
        open_services(settings(database_url, tmp_path))


def test_start_up_refuses_a_schema_newer_than_the_software(database_url: str, tmp_path: Path) -> None:
    engine = create_store_engine(database_url)
    migrate(engine)
    with engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = '9999'"))
    with pytest.raises(StartupError, match=r"at schema revision 9999, newer than this software .*upgrade"):
        open_services(settings(database_url, tmp_path))
    engine.dispose()


def test_migrate_on_start_brings_an_empty_database_to_head(database_url: str, tmp_path: Path) -> None:
    services = open_services(settings(database_url, tmp_path, migrate_on_start=True))
    engine = services.registry.store.engine
    assert current_revision(engine) == head_revision()
    check_schema(engine)  # does not raise
    services.registry.store.close()


def test_start_up_without_keys_outside_dev_says_how_to_create_them(database_url: str, tmp_path: Path) -> None:
    values = settings(database_url, tmp_path, migrate_on_start=True, keys_dir=tmp_path / "empty")
    with pytest.raises(
        StartupError, match=r"no usable federation signing key in .*empty: create one with `ukid keys new"
    ):
        open_services(values)


def test_audit_log_entries_cannot_be_changed_or_deleted(database_url: str) -> None:
    engine = create_store_engine(database_url)
    migrate(engine)
    store = RegistryStore(engine)
    with store.write("ops", 1) as writer:
        writer.audit("add_subordinate", "https://x.example", None, {"a": 1})
    with (
        pytest.raises(DBAPIError, match="audit log entries cannot be changed or deleted"),
        engine.begin() as c,
    ):
        c.execute(update(audit_log).values(actor="someone else"))
    with (
        pytest.raises(DBAPIError, match="audit log entries cannot be changed or deleted"),
        engine.begin() as c,
    ):
        c.execute(delete(audit_log))
    entries = store.audit_entries()
    assert [(e.actor, e.action, e.after) for e in entries] == [("ops", "add_subordinate", {"a": 1})]
    store.close()


def test_a_failed_change_leaves_neither_the_change_nor_its_audit_entry(database_url: str) -> None:
    engine = create_store_engine(database_url)
    migrate(engine)
    store = RegistryStore(engine)
    with pytest.raises(RuntimeError), store.write("ops", 1) as writer:
        writer.audit("add_subordinate", "https://x.example", None, None)
        writer.connection.execute(insert(audit_log).values(at=1, actor="ops", action="x", target="y"))
        raise RuntimeError("the change failed half way")
    assert store.audit_entries() == []
    store.close()


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"entity_id": "http://registry.example"}, "entity IDs must be https URLs outside the development"),
        ({"admin_tokens": {}}, "admin_tokens is empty"),
        ({"admin_tokens": {"ops": "dev-admin-token"}}, "development default or shorter than 32"),
        ({"admin_tokens": {"ops": "short"}}, "development default or shorter than 32"),
        ({"generate_keys": True}, "generate_keys is a development switch"),
        ({"authority_hints": ["https://up.example"]}, "a trust anchor has no authority_hints"),
        ({"role": "intermediate"}, "an intermediate needs authority_hints"),
        ({"entity_id": "https://registry.example/?x=1"}, "must not have a query or fragment"),
    ],
)
def test_production_settings_refuse_unsafe_values(overrides: dict[str, object], message: str) -> None:
    values: dict[str, object] = {"entity_id": ANCHOR, "admin_tokens": {"ops": TOKEN}, **overrides}
    with pytest.raises(ValueError, match=message):
        RegistrySettings(**values)  # type: ignore[arg-type]


def test_dev_settings_allow_http_and_the_development_token() -> None:
    dev = RegistrySettings(environment="dev", entity_id="http://127.0.0.1:8000", generate_keys=True)
    assert dev.admin_tokens["admin"].get_secret_value() == "dev-admin-token"
    assert dev.migrate_on_start is True
    assert dev.store_url == "sqlite:///ukid-data/registry/registry.db"


def test_start_up_refuses_a_database_behind_the_software(database_url: str, tmp_path: Path) -> None:
    engine = create_store_engine(database_url)
    migrate(engine, "0001")
    with pytest.raises(
        StartupError, match=r"at schema revision 0001, behind 0002: run `ukid registry migrate`"
    ):
        open_services(settings(database_url, tmp_path))
    assert migrate(engine) == head_revision() == "0002"
    engine.dispose()
