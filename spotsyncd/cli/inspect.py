"""``spotsyncd status``, ``tracks``, ``why`` and ``report``: read-only views of the ledger."""

from __future__ import annotations

import argparse
import time
from typing import Any

from spotsyncd.cli.command import Command
from spotsyncd.cli.common import TRACK_STATES, config_from, open_ledger, print_json, track_key_of


def _json_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="machine-readable JSON")


def status_data(config: Any) -> dict[str, Any]:
    from spotsyncd.engine.health.status import status_data as collect

    ledger = open_ledger(config)
    try:
        return collect(config, ledger)
    finally:
        ledger.close()


def _ago(seconds: float) -> str:
    seconds = abs(seconds)
    if seconds < 120:
        return f"{seconds:.0f}s"
    if seconds < 7200:
        return f"{seconds / 60:.0f}m"
    if seconds < 172800:
        return f"{seconds / 3600:.1f}h"
    return f"{seconds / 86400:.1f}d"


def cmd_status(args: argparse.Namespace) -> int:
    from spotsyncd.core.retries import format_clock

    config = config_from(args)
    data = status_data(config)
    if args.json:
        print_json(data)
        return 0
    daemon = data["daemon"]
    if daemon["running"]:
        uptime = f", up {_ago(daemon['uptime_s'])}" if daemon.get("uptime_s") else ""
        print(f"daemon: running (pid {daemon['pid']}{uptime})")
    else:
        print("daemon: not running (start it with 'spotsyncd run')")
    jobs = data["jobs"]
    print(
        f"queue: {jobs['pending']} pending, {jobs['waiting']} waiting, {jobs['running']} running, "
        f"{jobs['done']} done, {jobs['failed']} failed"
        + (f", {jobs['review']} in review" if jobs.get("review") else "")
        + (f", {jobs['skipped']} set aside by follows" if jobs.get("skipped") else "")
    )
    if jobs.get("review"):
        print("  in review: no candidate's audio was the recording asked for; "
              "'spotsyncd tracks --state review' lists them, 'spotsyncd why KEY' shows "
              "the candidates")  # fmt: skip
    if data.get("next_slow_retry_at"):
        print(
            f"  {jobs['waiting']} waiting for a slow retry after repeated transient failures; "
            f"the next at {format_clock(data['next_slow_retry_at'])} ('spotsyncd tracks --state "
            "waiting' lists them, 'spotsyncd retry KEY' tries one now)"
        )
    for job in data["in_flight"]:
        pct = f"{job['percent']:.0f}%" if job.get("percent") is not None else "…"
        speed = f" {job['speed'] / 1e6:.1f} MB/s" if job.get("speed") else ""
        eta = f" eta {job['eta']:.0f}s" if job.get("eta") else ""
        stage = job.get("stage") or "downloading"
        if stage != "downloading":
            pct, speed, eta = "", "", ""
        print(f"  running {job['key']} {job.get('title') or ''} {stage} {pct}{speed}{eta}")
    today, overall = data["today"], data["overall"]
    print(
        f"today: {today['done']} done, {today['failed']} failed; overall: {overall['done']} "
        f"done ({overall['bytes'] / 1e6:.0f} MB)"
    )
    for lane, circuit in data["circuits"].items():
        if lane == "offline" and circuit.get("open"):
            print(
                f"{circuit.get('reason')}; "
                f"network work pauses, next check at {format_clock(circuit['open_until'])}"
            )
        elif circuit.get("open"):
            until = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(circuit["open_until"]))
            by = f" (seen by {circuit['opened_by']})" if circuit.get("opened_by") else ""
            print(f"circuit {lane}: OPEN until {until}{by}: {circuit.get('reason')}")
    for source, budget in data.get("budgets", {}).items():
        if budget.get("in_use"):
            most = budget.get("max_concurrent") or "no limit"
            print(f"{source}: {budget['in_use']} under way (at most {most}, all processes)")
    for worker in data.get("workers", []):
        why = f": {worker['reason']}" if worker.get("reason") else ""
        threads = f", {worker['concurrency']} threads" if worker["role"] == "worker" else ""
        print(
            f"{worker['role']} {worker['name']}: {worker['state']}{why} (seen "
            f"{_ago(time.time() - worker['seen_at'])} ago{threads})"
        )
    web = data["web"]
    if web["running"]:
        print(f"web: {web['url']} ('spotsyncd web' prints a login link)")
    elif web["enabled"] and daemon["running"]:
        print(f"web: off: {web['error']}")
    api = data.get("youtube_api")
    if api:
        print(
            f"YouTube Data API: {api['units_used']} of {api['daily_quota']} units used today "
            f"({api['day']}, Pacific time)"
        )
    cookies = data.get("cookies")
    if cookies and cookies["state"] != "ok":
        fix = f"; {cookies['fix']}" if cookies["fix"] else ""
        print(f"cookies: {cookies['message']}{fix}")
    print(yt_dlp_line(data["yt_dlp"]))
    for source in data["sources"]:
        print(source_line(source))
    for follow in data["follows_due"]:
        print(f"follow {follow['name']}: next poll in {_ago(follow['next_poll_at'] - time.time())}")
    for failure in data["recent_failures"]:
        print(f"  failed {failure['key']}: {failure['error_class']}: {failure['error']}")
    if data["disk_free_bytes"] is not None:
        print(f"library: {data['library_dir']} ({data['disk_free_bytes'] / 1e9:.1f} GB free)")
    print(f"inbox: {data['inbox_dir']}")
    return 0


def yt_dlp_line(info: dict[str, Any]) -> str:
    """``yt-dlp 2026.11.23 (as installed, 12 days old; 2026.11.30 is available)``"""
    parts = ["as installed" if info["where"] == "installed" else "updated by spotsyncd"]
    if info.get("age_days") is not None:
        parts.append(f"{info['age_days']} days old")
    text = f"yt-dlp {info['version']} ({', '.join(parts)}"
    if info.get("update_available"):
        text += f"; {info['newest']} is available: 'spotsyncd extractors update'"
    return text + ")"


def source_line(source: dict[str, Any]) -> str:
    """``source youtube: failing since 2026-12-05 03:10 (bot_check): … → fix``"""
    from spotsyncd.core.retries import format_clock

    if source["state"] == "ok":
        return f"source {source['name']}: ok (checked {format_clock(source['checked_at'])})"
    fix = f"; {source['fix']}" if source.get("fix") else ""
    return (
        f"source {source['name']}: FAILING since {format_clock(source['since'])} "
        f"({source['error_class']}: {source['error']}){fix}"
    )


STATUS = Command(
    "status", "daemon, queue, in-flight jobs, circuits, disk", _json_argument, cmd_status
)


def _tracks_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--state", choices=TRACK_STATES, help="only the tracks in this state")
    parser.add_argument(
        "--limit", type=int, metavar="N", help="at most N tracks, oldest first (default: all)"
    )
    _json_argument(parser)


def cmd_tracks(args: argparse.Namespace) -> int:
    from spotsyncd.core.models import JobState
    from spotsyncd.core.retries import format_clock

    config = config_from(args)
    ledger = open_ledger(config)
    try:
        rows = ledger.tracks(state=JobState(args.state) if args.state else None, limit=args.limit)
    finally:
        ledger.close()
    if args.json:
        print_json([r.to_json() for r in rows])
        return 0
    for row in rows:
        what = row.path or row.error or ""
        if row.state in ("pending", "waiting") and row.retry_at:
            what = f"next attempt at {format_clock(row.retry_at)}" + (f"; {what}" if what else "")
        name = " - ".join(x for x in (row.artist, row.title) if x) or row.url
        print(f"{row.state:<8} {row.key}  {name}  {what}")
    return 0


TRACKS = Command("tracks", "list tracks and their states", _tracks_arguments, cmd_tracks)


def _why_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("key", help="a track key (spotify:track:…, youtube:…) or its link")
    _json_argument(parser)


def cmd_why(args: argparse.Namespace) -> int:
    from spotsyncd.core.errors import UserError
    from spotsyncd.core.retries import format_clock
    from spotsyncd.engine.health.status import why_data

    config = config_from(args)
    ledger = open_ledger(config)
    try:
        data = why_data(ledger, config.library_dir, track_key_of(args.key))
    finally:
        ledger.close()
    if data is None:
        raise UserError(f"no track {args.key} in the ledger (see 'spotsyncd tracks')")
    track, children = data.pop("row"), data.pop("children")
    history, candidates = data["events"], data["candidates"]
    if args.json:
        data.pop("file_present")
        data.pop("override_url")
        print_json({**data, "items": [c.to_json() for c in children]})
        return 0
    print(f"{track.key}: {track.state} (attempts {track.attempts})")
    print(f"  url: {track.url}")
    if track.override_url:
        print(f"  audio chosen by hand: {track.override_url}")
    if track.title:
        print(
            f"  {track.artist or '?'} - {track.title}"
            + (f" [{track.album}]" if track.album else "")
        )
    if track.path:
        print(f"  file: {config.library_dir / track.path}")
    if track.identity is not None:
        found = track.identity
        print(f"  identity: {found.verdict}: {found.reason}")
        if found.recording_id:
            print(f"    MusicBrainz recording {found.recording_id}"
                  + (f", release {found.release_id}" if found.release_id else ""))  # fmt: skip
        if found.acoustid_id:
            print(f"    AcoustID {found.acoustid_id}")
    if track.error:
        print(f"  last error ({track.error_class}): {track.error}")
    if track.retry_at and track.state in ("pending", "waiting"):
        print(
            f"  next attempt in {_ago(track.retry_at - time.time())} "
            f"(at {format_clock(track.retry_at)})"
        )
    elif track.state == "failed":
        print(f"  failed for good; 'spotsyncd retry {track.key}' queues it again")
    elif track.state == "review":
        print(f"  waits for you: 'spotsyncd accept {track.key} [URL]' files a candidate anyway,"
              f" 'spotsyncd match {track.key} URL' uses other audio")  # fmt: skip
    if candidates:
        print("  candidates (best first):")
        for c in candidates:
            who = ", ".join(c.get("artists") or []) or c.get("channel") or "?"
            print(f"    {c['score']:.2f}  {who} - {c['title']}  {c['url']}")
            if c.get("verdict"):
                print(f"          {c['verdict']}: {c.get('verdict_reason', '')}")
            if c.get("reasons"):
                print(f"          {c['reasons']}")
    if children:
        print(f"  items: {len(children)}")
        for child in children[:50]:
            print(f"    {child.state:<8} {child.key} {child.title or ''}")
    print("  history:")
    for event in history:
        stamp = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(event["ts"]))
        print(f"    {stamp} {event['kind']}: {event['message']}")
    return 0


WHY = Command(
    "why",
    "history, last error and match candidates of one track",
    _why_arguments,
    cmd_why,
    exits={1: "no such track in the ledger"},
)


def _report_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--since", default="7d", help="period, e.g. 24h, 7d (default 7d)")
    _json_argument(parser)


def cmd_report(args: argparse.Namespace) -> int:
    from spotsyncd.core.config import parse_duration
    from spotsyncd.core.errors import UserError

    config = config_from(args)
    try:
        period = parse_duration(args.since)
    except ValueError as exc:
        raise UserError(f"--since: {exc}") from None
    ledger = open_ledger(config)
    try:
        data = ledger.summary(since=time.time() - period)
    finally:
        ledger.close()
    data["period"] = args.since
    if args.json:
        print_json(data)
        return 0
    print(
        f"last {args.since}: {data['done']} downloaded, {data['failed']} failed; "
        f"now {data['waiting']} waiting for a slow retry"
    )
    print(
        f"  size {data['bytes'] / 1e6:.1f} MB; download time {data['download_seconds']:.0f}s; "
        f"processing time {data['process_seconds']:.0f}s"
    )
    if data["average_speed_bps"]:
        print(f"  average download speed {data['average_speed_bps'] / 1e6:.2f} MB/s")
    for reason, count in sorted(data["failed_by_reason"].items(), key=lambda kv: -kv[1]):
        print(f"  failed: {count} × {reason}")
    return 0


REPORT = Command("report", "downloads and failures over a period", _report_arguments, cmd_report)
