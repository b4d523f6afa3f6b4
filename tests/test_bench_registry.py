"""The registry benchmark (``bench/registry.py``) still runs: seeding a small SQLite registry with real
signed subordinate statements (OpenID Federation 1.0 §3.1), serving them from a uvicorn subprocess
through the fetch endpoint (§8.1.1), and measuring a short load, so that the bench does not rot."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from urllib.parse import quote

from sqlalchemy import create_engine, func, select

from bench._load import one_get
from bench._registry_seed import database, member_id, seed_database, sign_rows
from bench.registry import Anchor, measure_fetch
from federation.statements import verify_subordinate_statement
from trust_registry.tables import member_entity_types, members, trust_marks

SIZE = 200


def test_seeded_registry_serves_real_statements_and_the_fetch_measurement_gives_figures(
    tmp_path: Path,
) -> None:
    anchor = Anchor.create(tmp_path)
    with database("sqlite", tmp_path) as url:
        rows = sign_rows(anchor.settings(url), anchor.keys, SIZE)
        timing = seed_database(url, rows)
        engine = create_engine(url)
        with engine.connect() as connection:
            counted = [
                connection.execute(select(func.count()).select_from(table)).scalar_one()
                for table in (members, member_entity_types, trust_marks)
            ]
        engine.dispose()
        # 200 members, each with federation_entity and (for 190 of them) one protocol type; 10% marked
        assert counted == [SIZE, SIZE + 190, 20]
        assert rows.sign_seconds > 0 and timing.migrate_seconds > 0 and timing.insert_seconds > 0

        with anchor.server(url) as server:
            sub = member_id(7)
            _ms, body = asyncio.run(one_get(anchor.port, f"/ta/fetch?sub={quote(sub, safe='')}"))
            statement = verify_subordinate_statement(
                body.decode(),
                issuer=anchor.entity_id,
                subject=sub,
                issuer_keys=anchor.keys.key_set(),
                now=time.time(),
            )
            assert (statement.iss, statement.sub) == (anchor.entity_id, sub)

            figures = asyncio.run(measure_fetch(anchor, rows.entity_ids, 100, concurrency=4))
            memory = server.memory()

    assert len(figures.latencies_us) == 100
    assert figures.concurrency == 4
    assert figures.body_bytes > 1000  # a signed statement with the profile's metadata policy
    assert figures.per_s > 0
    assert 0 < figures.p50_ms <= figures.p95_ms <= figures.p99_ms
    assert 0 < memory.rss_mib <= memory.peak_mib
