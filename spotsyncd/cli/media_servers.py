"""``spotsyncd media-servers test``: ask each configured media server for a scan now."""

from __future__ import annotations

import argparse

from spotsyncd.cli.command import Command
from spotsyncd.cli.common import config_from


def _arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("action", choices=["test"], help="test: ask each server for a scan now")


def cmd_media_servers(args: argparse.Namespace) -> int:
    from spotsyncd.core.errors import UserError
    from spotsyncd.mediaservers.http import ServerError
    from spotsyncd.mediaservers.servers import build_clients

    config = config_from(args)
    clients = build_clients(config)
    if not clients:
        where = config.source or "the config file"
        raise UserError(
            f"no media_servers in {where}: add one (see docs/guides/media-servers.md) "
            "and run this again"
        )
    failed = 0
    for client in clients:
        try:
            result = client.request_scan()
        except ServerError as exc:
            failed += 1
            print(f"[FAIL] {client.label}: {exc}")
            print("       fix: run 'spotsyncd doctor' for what to change")
            continue
        mark = "ok  " if result.started else "busy"
        print(f"[{mark}] {client.label}: {result.detail}")
    return 1 if failed else 0


MEDIA_SERVERS = Command(
    "media-servers",
    "ask the configured Navidrome/Jellyfin/Plex to scan now",
    _arguments,
    cmd_media_servers,
    exits={0: "every server answered", 1: "a server failed, or none is configured"},
)
