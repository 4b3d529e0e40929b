"""Logging for the daemon and the CLI: a rotating file plus stderr, with secrets redacted.

Under journald (``JOURNAL_STREAM`` set) stderr lines carry no timestamp: the journal adds its own.
yt-dlp's and spotipy's loggers feed into ours; third-party chatter stays at WARNING.
"""

from __future__ import annotations

import logging
import os
import re
import sys
from collections.abc import Iterable

from spotsyncd.core.config import Config
from spotsyncd.system.logview import file_log_handler, syslog_priority

_QUERY_SECRETS = re.compile(
    r"(?i)((?:access_token|refresh_token|client_secret|code|token|sig|signature|key)=)[^&\s\"']+"
)
_BEARER = re.compile(r"(?i)(bearer\s+)[A-Za-z0-9._~+/-]+=*")


class JournalFormatter(logging.Formatter):
    """Plain lines with a ``<N>`` syslog priority prefix, which journald turns into the
    entry's priority (so ``journalctl -p warning`` works); the journal adds the timestamp."""

    def format(self, record: logging.LogRecord) -> str:
        return f"<{syslog_priority(record.levelno)}>{super().format(record)}"


class RedactingFilter(logging.Filter):
    """Replaces configured secrets and token-like URL parameters in every record."""

    def __init__(self, secrets: Iterable[str | None]) -> None:
        super().__init__()
        self.secrets = [s for s in secrets if s and len(s) >= 4]

    def redact(self, text: str) -> str:
        for secret in self.secrets:
            text = text.replace(secret, "***")
        text = _QUERY_SECRETS.sub(r"\1***", text)
        return _BEARER.sub(r"\1***", text)

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        redacted = self.redact(message)
        if redacted != message:
            record.msg, record.args = redacted, None
        if record.exc_text:
            record.exc_text = self.redact(record.exc_text)
        return True


def add_secrets(secrets: Iterable[str | None]) -> None:
    """Redact these too from now on (a reload brought new credentials); old ones stay."""
    for handler in logging.getLogger().handlers:
        for found in handler.filters:
            if isinstance(found, RedactingFilter):
                known = set(found.secrets)
                found.secrets += [s for s in secrets if s and len(s) >= 4 and s not in known]


def redactor_for(config: Config) -> RedactingFilter:
    """The filter that keeps ``config``'s secrets (Spotify credentials, media server tokens,
    Apprise URLs) out of a text."""
    return RedactingFilter(config.secrets)


def setup_logging(
    config: Config, *, to_file: bool = True, level: str | None = None, to_stderr: bool = True
) -> None:
    level_name = (level or config.log_level).upper()
    root = logging.getLogger()
    for handler in list(root.handlers):
        root.removeHandler(handler)
    root.setLevel(logging.DEBUG if level_name == "DEBUG" else logging.INFO)
    redactor = RedactingFilter(config.secrets)
    journald = bool(os.environ.get("JOURNAL_STREAM"))
    stderr = logging.StreamHandler(sys.stderr)
    if journald:
        stderr.setFormatter(JournalFormatter("%(levelname)s %(name)s: %(message)s"))
    else:
        stderr.setFormatter(
            logging.Formatter(
                "%(asctime)s %(levelname)s %(name)s: %(message)s", "%Y-%m-%d %H:%M:%S"
            )
        )
    stderr.setLevel(level_name)
    stderr.addFilter(redactor)
    if to_stderr:  # off for ``get``, whose progress owns the terminal; the file still logs
        root.addHandler(stderr)
    if to_file and config.log_file is not None:
        try:
            handler = file_log_handler(config.log_file, level_name.lower())
        except OSError as exc:
            logging.getLogger(__name__).warning(
                "cannot write the log file %s: %s", config.log_file, exc.strerror
            )
        else:
            handler.addFilter(redactor)
            root.addHandler(handler)
    for noisy in ("urllib3", "watchdog", "apscheduler", "spotipy", "requests", "ytmusicapi",
                  "celery", "kombu", "alembic"):  # fmt: skip
        logging.getLogger(noisy).setLevel(logging.WARNING)
