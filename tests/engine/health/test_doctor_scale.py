"""``doctor`` on a scaled-out set-up: real PostgreSQL and a real Redis of the test's own."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from spotsyncd.core.config import load_config
from spotsyncd.engine.health.doctor_scale import scale_checks
from spotsyncd.ledger import Ledger
from spotsyncd.ledger.migrate import head_revision
from tests.servers import RedisServer, free_port


def _config(tmp_path: Path, ledger_url: str, broker_url: str) -> object:
    return load_config(
        None,
        env={
            "XDG_CONFIG_HOME": str(tmp_path),
            "SPOTSYNCD_STATE_DIR": str(tmp_path / "state"),
            "SPOTSYNCD_LEDGER_URL": ledger_url,
            "SPOTSYNCD_QUEUE_BACKEND": "celery",
            "SPOTSYNCD_QUEUE_BROKER_URL": broker_url,
        },
    )


@pytest.mark.e2e
def test_everything_up_but_no_worker_yet_then_one(tmp_path: Path, postgres_url: str) -> None:
    with RedisServer() as redis:
        config = _config(tmp_path, postgres_url, redis.url)
        Ledger(postgres_url).close()
        checks = {c.name: c for c in scale_checks(config)}  # type: ignore[arg-type]
        assert checks["database"].status == "ok" and "PostgreSQL" in checks["database"].detail
        assert (
            checks["migrations"].status == "ok" and head_revision() in checks["migrations"].detail
        )
        assert checks["broker"].status == "ok" and "Redis" in checks["broker"].detail
        assert checks["workers"].status == "warn" and "spotsyncd worker" in checks["workers"].fix

        ledger = Ledger(postgres_url)
        ledger.register_worker("box:1:ab", role="worker", host="box", pid=1, version="t",
                               concurrency=2)  # fmt: skip
        ledger.close()
        checks = {c.name: c for c in scale_checks(config)}  # type: ignore[arg-type]
        assert (
            checks["workers"].status == "ok" and "box:1:ab (2 threads" in checks["workers"].detail
        )


@pytest.mark.e2e
def test_unreachable_servers_and_an_old_schema_each_come_with_a_fix(
    tmp_path: Path, postgres_url: str
) -> None:
    Ledger(postgres_url).close()
    engine = create_engine(postgres_url)
    with engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '0001_baseline'"))
    engine.dispose()
    dead_redis = f"redis://:hunter22@127.0.0.1:{free_port()}/0"
    checks = {c.name: c for c in scale_checks(_config(tmp_path, postgres_url, dead_redis))}  # type: ignore[arg-type]
    assert checks["migrations"].status == "warn"
    assert "spotsyncd ledger migrate" in checks["migrations"].fix
    assert checks["broker"].status == "fail" and "start Redis" in checks["broker"].fix
    assert "hunter22" not in checks["broker"].detail

    dead_pg = f"postgresql+psycopg://u:pw@127.0.0.1:{free_port()}/x"
    checks = {c.name: c for c in scale_checks(_config(tmp_path, dead_pg, dead_redis))}  # type: ignore[arg-type]
    assert checks["database"].status == "fail" and "start PostgreSQL" in checks["database"].fix
    assert "pw@" not in checks["database"].detail
