"""The error vocabulary shared by every layer.

Each error carries an ``error_class`` (a short stable name stored in the ledger and shown by
``status``/``why``) and whether retrying can help.
"""

from __future__ import annotations


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


class LedgerUnavailableError(SpotsyncError):
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
