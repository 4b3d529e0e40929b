"""The CLI's error boundary helpers: OS errors in words, and the details for the log file."""

from __future__ import annotations

import argparse
import errno
import os
import time
import traceback


def describe_os_error(exc: OSError) -> str:
    """``exc`` as one line: what failed, on which file, and what to do."""
    name = exc.filename or ""
    what = f"{exc.strerror or exc}" + (f": {name}" if name else "")
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return f"the disk is full ({what}): free some space there and try again"
    if exc.errno == errno.EROFS:
        return f"the disk is read-only ({what}): mount it read-write or choose another folder"
    if exc.errno in (errno.EACCES, errno.EPERM):
        who = _user()
        return (
            f"permission denied ({what}): let {who} read and write it (check its owner and "
            "mode), or choose another folder in the config"
        )
    if exc.errno == errno.ENOENT:
        return f"not found ({what}): create it or fix the path in the config"
    if isinstance(exc, ConnectionError | TimeoutError) or exc.errno in (
        errno.ENETUNREACH,
        errno.EHOSTUNREACH,
    ):
        return f"cannot reach the server ({what}): check the network and try again"
    return f"the system refused: {what}"


def _user() -> str:
    import getpass

    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return f"uid {os.getuid()}"


def log_details(args: argparse.Namespace, exc: BaseException) -> str:
    """Append ``exc`` with its traceback to the log file (secrets redacted); returns where
    it went."""
    try:
        from spotsyncd.core.config import load_config
        from spotsyncd.system.logsetup import redactor_for

        config = load_config(getattr(args, "config", None))
    except Exception:  # noqa: BLE001 - a broken config has no log file to write to
        return "no log file (the config cannot be read)"
    path = config.log_file
    if path is None:
        return "no log file (log_file is off)"
    stamp = time.strftime("%Y-%m-%d %H:%M:%S")
    details = "".join(traceback.format_exception(exc)).rstrip()
    entry = f"{stamp} ERROR spotsyncd.cli: '{args.command}' failed: {exc}\n{details}\n"
    entry = redactor_for(config).redact(entry)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("a", encoding="utf-8") as handle:
            handle.write(entry)
    except OSError:
        return "no log file (it cannot be written)"
    return str(path)
