"""celery_queue.py is Celery's only door: the import contract names every other module."""

from __future__ import annotations

import tomllib
from pathlib import Path

from spotsyncd.engine.scaleout.celery_queue import QUEUE, TASK, make_app

ROOT = Path(__file__).resolve().parents[3]


def test_the_contract_keeps_celery_out_of_every_other_module() -> None:
    """The contract names the whole package and excuses only celery_queue, so a new module that
    imports Celery breaks it without anyone having to add the module to a list."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    (contract,) = [
        c
        for c in config["tool"]["importlinter"]["contracts"]
        if "celery" in c.get("forbidden_modules", [])
    ]
    assert contract["source_modules"] == ["spotsyncd"]
    assert {"celery", "kombu"} <= set(contract["forbidden_modules"])
    ignored = {line.split("->")[0].strip() for line in contract.get("ignore_imports", [])}
    assert ignored == {"spotsyncd.engine.scaleout.celery_queue"}


def test_tasks_are_acked_late_limited_and_outlive_no_visibility_timeout(tmp_path: Path) -> None:
    from spotsyncd.core.config import load_config

    config = load_config(None, env={"XDG_CONFIG_HOME": str(tmp_path),
                                    "SPOTSYNCD_QUEUE_JOB_TIME_LIMIT": "2h"})  # fmt: skip
    app = make_app(config)
    try:
        conf = app.conf
        assert conf.task_acks_late and conf.task_reject_on_worker_lost
        assert conf.task_soft_time_limit == 7200 and conf.task_time_limit > 7200
        assert conf.broker_transport_options["visibility_timeout"] > conf.task_time_limit
        assert conf.task_default_queue == QUEUE and TASK.startswith("spotsyncd.")
        assert conf.task_ignore_result  # the ledger, not a result backend, says what is done
    finally:
        app.close()
