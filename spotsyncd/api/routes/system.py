"""``/health`` (what the Health page shows: workers and their heartbeats, circuits, disk, media
servers, notifications, yt-dlp), ``/notifications/test`` (what ``spotsyncd notify test`` does)
and ``/settings`` (the effective configuration, secrets masked, with where each value came
from)."""

from __future__ import annotations

import shutil
import socket
from datetime import date
from typing import Any

from fastapi import APIRouter, Depends, HTTPException
from starlette.concurrency import run_in_threadpool

from spotsyncd.api.context import Ctx, require_auth
from spotsyncd.api.errors import RESPONSES
from spotsyncd.api.schemas import HealthReport, NotifyTest, Settings
from spotsyncd.core.config_values import redact_url
from spotsyncd.engine.health.doctor import ytdlp_check
from spotsyncd.engine.health.status import daemon_info, status_data

router = APIRouter(tags=["health"], dependencies=[Depends(require_auth)], responses=RESPONSES)

WORKER_SEEN_S = 120.0  # a remote worker heard from within this long counts as alive


@router.get("/health", response_model=HealthReport)
def health(ctx: Ctx) -> dict[str, Any]:
    config = ctx.config
    status = status_data(config, ctx.ledger, ctx.status_cache)
    workers = [
        vars(w)
        for role in ("coordinator", "worker")
        for w in ctx.ledger.live_workers(WORKER_SEEN_S, role=role)
    ]
    try:
        usage = shutil.disk_usage(config.library_dir)
        disk = {"path": str(config.library_dir), "free_bytes": usage.free,
                "total_bytes": usage.total}  # fmt: skip
    except OSError as exc:
        disk = {"path": str(config.library_dir), "error": str(exc)}
    check = ytdlp_check(config, date.today())
    known = {"daemon", "circuits", "jobs", "in_flight", "today", "overall", "recent_failures"}
    extra = {k: v for k, v in status.items() if k not in known and k not in _STATUS_PLAIN}
    return {
        **extra,  # what other parts add to the status (source health, cookies…), as it is
        "daemon": daemon_info(config),
        "queue_backend": config.queue.backend,
        "local_workers": {
            "workers": config.download.workers if config.queue.backend == "local" else 0,
            "running": len(status["in_flight"]),
        },
        "workers": workers,
        "circuits": status["circuits"],
        "disk": disk,
        "media_servers": [
            {"name": s.name, "type": s.type, "url": redact_url(s.url)} for s in config.media_servers
        ],
        "notifications": {
            "urls": [redact_url(u) for u in config.notify.urls],
            "on": list(config.notify.on),
        },
        "ytdlp": {"status": check.status, "detail": check.detail, "fix": check.fix or None},
    }


_STATUS_PLAIN = {"web", "disk_free_bytes", "inbox_dir", "library_dir", "follows_due",
                 "next_slow_retry_at"}  # fmt: skip


@router.post("/notifications/test", response_model=NotifyTest)
async def notify_test(ctx: Ctx) -> dict[str, Any]:
    """Send one test message to every ``notify.urls`` entry; each gets its own verdict."""
    from spotsyncd.system.notify import send_apprise

    config = ctx.config
    if not config.notify.urls:
        raise HTTPException(
            409,
            "notify.urls is empty: add Apprise URLs (ntfy://…, mailto://…, json://…) to the "
            "config (see config.example.yaml), then send a test again",
        )
    body = (
        f"A test from spotsyncd on {socket.gethostname()}: notifications work. You will hear "
        f"about: {', '.join(config.notify.on) or 'nothing (notify.on is empty)'}."
    )
    deliveries = await run_in_threadpool(
        send_apprise, config.notify.urls, "spotsyncd: test notification", body
    )
    failed = sum(not d.ok for d in deliveries)
    message = (
        f"{failed} of {len(deliveries)} failed: check them in notify.urls"
        if failed
        else f"sent to {len(deliveries)} of {len(deliveries)}"
    )
    return {"deliveries": [vars(d) for d in deliveries], "message": message}


@router.get("/settings", response_model=Settings)
def settings(ctx: Ctx) -> dict[str, Any]:
    """Every key of the effective configuration (secrets masked, by its name in the config
    file), and where it was set: the file and line, a variable, or the default."""
    from spotsyncd.core.config import SCHEMA

    config = ctx.config
    data = config.redacted()
    items = []
    for spec in SCHEMA.values():
        holder = data.get(spec.section, {}) if spec.section else data
        if spec.field not in holder:
            continue
        origin = config.origins.get(spec.dotted) or "default"
        items.append({"key": spec.dotted, "value": holder[spec.field], "origin": origin})
    for name in ("follows", "media_servers"):
        if data.get(name):
            items.append({"key": name, "value": data[name],
                          "origin": config.origins.get(name) or "default"})  # fmt: skip
    source = str(config.source) if config.source else None
    return {"source": source, "items": items}
