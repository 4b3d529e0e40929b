"""What the command modules share: the config from ``--config``, JSON output, nudging the daemon,
keys from what the user typed, the ledger.

Imported when the parser is built (by every command module), so it imports only the standard
library at import time; the rest is imported when a command runs."""

from __future__ import annotations

import argparse
import os
import sys
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from spotsyncd.core.config import Config

# Choices the parser offers. The parser must not import the config or the models (``--help``
# stays cheap), so they are spelled here; tests/cli/test_common.py keeps them equal to theirs.
AUDIO_FORMATS = ("mp3", "m4a", "opus", "flac", "original")  # core.config.AUDIO_FORMATS
LOG_LEVELS = ("debug", "info", "warning", "error")  # core.config.LOG_LEVELS
ON_REMOVED = ("keep", "delete")  # core.config.ON_REMOVED
NORMALIZE = ("loudness", "peak", "off")  # core.config_sections.NORMALIZE
TRACK_STATES = (
    "pending",
    "waiting",
    "running",
    "done",
    "failed",
    "review",
    "skipped",
)  # core.models.JobState


def config_from(args: argparse.Namespace) -> Config:
    from spotsyncd.core.config import load_config

    return load_config(getattr(args, "config", None))


def print_json(data: Any) -> None:
    import json

    json.dump(data, sys.stdout, indent=2, sort_keys=True, default=str)
    sys.stdout.write("\n")


def nudge_daemon(config: Config) -> bool:
    """Tell a running daemon to look at the ledger now (SIGUSR1). False if none runs."""
    import signal

    from spotsyncd.system.lock import holder_pid

    pid = holder_pid(config.state_dir)
    if not pid or pid <= 0 or pid == os.getpid():
        return False
    try:
        os.kill(pid, signal.SIGUSR1)
    except OSError:
        return False
    return True


def key_of(text: str) -> str:
    """Accept a ledger key (``spotify:track:…``, ``youtube:…``, ``url:…``), a follow name, or
    any link form of a key; text that is no link is returned as given."""
    from spotsyncd.core.errors import LinkError
    from spotsyncd.intake.links import parse_link

    if "://" not in text and not text.startswith("spotify:"):
        return text
    try:
        return parse_link(text).key
    except LinkError:
        return text


def track_key_of(text: str) -> str:
    """Like :func:`key_of`, and a search as typed ("Daft Punk - Veridis Quo") is its key."""
    key = key_of(text)
    if key != text or text.startswith(("search:", "spotify:", "youtube:", "url:")):
        return key
    from spotsyncd.core.errors import LinkError
    from spotsyncd.intake.search_lines import may_be_search, search_link

    if not may_be_search(text):
        return text
    try:
        return search_link(text).key
    except LinkError:
        return text


def open_ledger(config: Config) -> Any:
    from spotsyncd.core.config import prepare_dirs
    from spotsyncd.ledger import Ledger

    prepare_dirs(config)
    return Ledger(config.ledger_target)
