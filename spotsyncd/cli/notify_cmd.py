"""``spotsyncd notify test``: send one notification to every ``notify.urls`` entry."""

from __future__ import annotations

import argparse

from spotsyncd.cli.command import Command
from spotsyncd.cli.common import config_from


def _arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "action", choices=["test"], help="test: send a test notification to every URL"
    )


def cmd_notify(args: argparse.Namespace) -> int:
    import socket

    from spotsyncd.core.errors import UserError
    from spotsyncd.system.notify import send_apprise

    config = config_from(args)
    urls = config.notify.urls
    if not urls:
        raise UserError(
            "notify.urls is empty: add Apprise URLs (ntfy://…, mailto://…, json://…) to the "
            "config (see config.example.yaml), then run 'spotsyncd notify test' again"
        )
    body = (
        f"A test from spotsyncd on {socket.gethostname()}: notifications work. You will hear "
        f"about: {', '.join(config.notify.on) or 'nothing (notify.on is empty)'}."
    )
    deliveries = send_apprise(urls, "spotsyncd: test notification", body)
    for delivery in deliveries:
        if delivery.ok:
            print(f"sent a test notification to {delivery.url}")
        else:
            print(f"FAILED to notify {delivery.url}: {delivery.detail}")
    failed = sum(not d.ok for d in deliveries)
    if failed:
        print(f"{failed} of {len(deliveries)} URLs failed: check them in notify.urls")
        return 1
    return 0


NOTIFY = Command(
    "notify",
    "send a test notification to notify.urls",
    _arguments,
    cmd_notify,
    exits={0: "every URL took the notification", 1: "a URL failed, or notify.urls is empty"},
)
