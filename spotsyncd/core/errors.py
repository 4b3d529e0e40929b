"""The error vocabulary shared by every layer.

Each error carries an ``error_class`` (a short stable name stored in the ledger and shown by
``status``/``why``) and whether retrying can help.
"""

from __future__ import annotations

import errno
import logging
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from spotsyncd.core.models import Identity


class SpotsyncError(Exception):
    """Base class for every error spotsyncd raises on purpose."""

    error_class = "error"
    retryable = False


class ConfigError(SpotsyncError):
    """The configuration is invalid. Message names the key, file and line."""

    error_class = "config"

    def __init__(self, message: str, *, key: str = "", file: str = "", line: int | None = None):
        where = file
        if file and line:
            where = f"{file}:{line}"
        prefix = f"{where}: " if where else ""
        keypart = f"'{key}': " if key else ""
        super().__init__(f"{prefix}{keypart}{message}")
        self.key = key
        self.file = file
        self.line = line


class UserError(SpotsyncError):
    """The user asked for something that cannot be done; message says what to do."""

    error_class = "user"


class AlreadyRunningError(UserError):
    """Another spotsyncd holds this state directory."""

    error_class = "already_running"


class SystemProblem(SpotsyncError):
    """The machine is in the way, not the user's request: the ledger is locked, corrupt or
    read-only, a disk is full, a permission is missing, a server cannot be reached. The message
    names the problem and the fix (exit code 4)."""

    error_class = "system"


class LedgerError(SystemProblem):
    """The ledger (SQLite) cannot be opened, read or written."""

    error_class = "ledger"


class LedgerUnavailableError(LedgerError):
    """The ledger's database cannot be reached or opened (server down, wrong URL, newer schema).
    The message names the database (password redacted) and what to do."""

    error_class = "ledger_unavailable"
    retryable = True


class LinkError(SpotsyncError):
    """A line of a link file is not a link we accept."""

    error_class = "bad_link"


class JobError(SpotsyncError):
    """A job failed. Subclasses say whether to retry."""

    error_class = "failed"


class TransientError(JobError):
    """Network trouble, timeouts, HTTP 5xx: retry with backoff."""

    error_class = "transient"
    retryable = True


class RateLimitedError(TransientError):
    """The service said 429; ``retry_after`` seconds until it may be asked again."""

    error_class = "rate_limited"

    def __init__(self, message: str, retry_after: float | None = None, service: str = ""):
        super().__init__(message)
        self.retry_after = retry_after
        self.service = service


class BotCheckError(TransientError):
    """YouTube asked to 'confirm you're not a bot'. Opens the YouTube circuit."""

    error_class = "bot_check"


class DiskError(TransientError):
    """No space left / read-only library: retry once the disk is fixed."""

    error_class = "disk"


class PermanentError(JobError):
    """Unavailable video, unsupported URL, 404, DRM, geo-block: retrying will not help."""

    error_class = "permanent"


class NoConfidentMatchError(PermanentError):
    """No search candidate scored above the threshold for a Spotify track."""

    error_class = "no_confident_match"


class ReviewNeededError(JobError):
    """No candidate's audio was verified as the recording asked for (each was a different
    recording): the track waits in ``review`` for the user to pick one or accept it."""

    error_class = "review"

    def __init__(
        self,
        message: str,
        *,
        checked: list[dict[str, object]] | None = None,
        identity: Identity | None = None,
    ) -> None:
        super().__init__(message)
        self.checked = checked or []  # the ranked candidates, those checked with a verdict
        self.identity = identity  # models.Identity of the last candidate checked


class AuthError(JobError):
    """Credentials are missing, wrong or expired (e.g. Spotify refresh token revoked)."""

    error_class = "auth"
    retryable = True


class CredentialsError(AuthError):
    """The credentials themselves are expired, revoked or wrong: every call to that service
    will fail until the user acts, so the service's circuit opens instead of failing jobs one
    by one."""

    error_class = "credentials"

    def __init__(self, message: str, service: str = ""):
        super().__init__(message)
        self.service = service


class CancelledError(SpotsyncError):
    """The daemon is stopping; the job goes back to pending and resumes at next start."""

    error_class = "cancelled"
    retryable = True


class DeferredError(SpotsyncError):
    """Not now: a circuit is open or a service asked us to wait. The job goes back to pending
    until ``until`` (epoch seconds) without spending an attempt."""

    error_class = "deferred"
    retryable = True

    def __init__(self, message: str, until: float):
        super().__init__(message)
        self.until = until


class NetworkDownError(TransientError):
    """A host could not be reached at all: its name did not resolve, or the connection was
    refused or unreachable. One such host is a broken link; several at once mean this machine
    is offline (the offline circuit tells them apart by probing other hosts)."""

    error_class = "network_down"

    def __init__(self, message: str, host: str = ""):
        super().__init__(message)
        self.host = host


# errno values meaning "no way to that host": refused, unreachable, network down.
_NO_ROUTE_ERRNOS = frozenset(
    getattr(errno, name)
    for name in ("ECONNREFUSED", "EHOSTUNREACH", "ENETUNREACH", "ENETDOWN", "EHOSTDOWN")
    if hasattr(errno, name)
)
_NO_NAME = "name resolution failed"
# Message phrases (lower case) that mean the same when no errno says so, and what they mean.
_NETWORK_DOWN_PHRASES = {
    "name or service not known": _NO_NAME, "temporary failure in name resolution": _NO_NAME,
    "nodename nor servname provided": _NO_NAME, "failed to resolve": _NO_NAME,
    "getaddrinfo failed": _NO_NAME, "no address associated with hostname": _NO_NAME,
    "name resolution": _NO_NAME,
    "connection refused": "connection refused", "network is unreachable": "network is unreachable",
    "no route to host": "no route to host", "host is unreachable": "host is unreachable",
    "network is down": "network is down", "connect timeout": "connection timed out",
}  # fmt: skip


def network_down_cause(exc: BaseException) -> str | None:
    """Why ``exc`` means "could not reach the host at all" (DNS failure, refused, unreachable,
    a connection that could not be opened in time), or None. Walks the exception's causes;
    looks at errno values first, then the message."""
    import socket  # stdlib, cheap; kept local so importing core stays free of side effects

    seen: set[int] = set()
    pending: list[BaseException | None] = [exc]
    while pending:
        current = pending.pop()
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        if isinstance(current, socket.gaierror):
            return _NO_NAME
        number = getattr(current, "errno", None)
        if isinstance(current, ConnectionRefusedError) or number == errno.ECONNREFUSED:
            return "connection refused"
        if isinstance(current, OSError) and number in _NO_ROUTE_ERRNOS:
            return "host or network unreachable"
        # A connection that could not even be opened in time (the link is up but nothing gets
        # through); a read that timed out on an open connection is the host's slowness.
        if number == errno.ETIMEDOUT or "ConnectTimeout" in type(current).__name__:
            return "connection timed out"
        for attribute in ("reason", "cause", "orig"):
            inner = getattr(current, attribute, None)
            if isinstance(inner, BaseException):
                pending.append(inner)
        exc_info = getattr(current, "exc_info", None)
        if isinstance(exc_info, tuple) and len(exc_info) > 1:
            pending.append(exc_info[1])
        pending += [current.__cause__, current.__context__]
        for arg in getattr(current, "args", ()):
            if isinstance(arg, BaseException):
                pending.append(arg)
    text = str(exc).lower()
    return next((cause for phrase, cause in _NETWORK_DOWN_PHRASES.items() if phrase in text), None)


def log_problem(logger: logging.Logger, what: str, exc: BaseException) -> None:
    """Log a failure at a thread's boundary: an operational problem (locked ledger, full
    disk…) as one line naming it and its fix; anything else is a bug, with its traceback."""
    if isinstance(exc, SystemProblem | OSError):
        logger.error("%s: %s", what, exc)
    else:
        logger.error("%s (a bug, please report it)", what, exc_info=exc)
