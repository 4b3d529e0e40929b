"""``doctor``: whether AcoustID takes ``acoustid.api_key``.

A wrong key does not stop anything: every track is filed ``unverified`` with the reason
"invalid API key", which a user may only notice weeks later. So ``doctor`` asks once: a lookup
with the key and no fingerprint. AcoustID checks the key first and answers error code 4
("invalid API key") for a key it does not know, and another error (a missing fingerprint) for
one it does. Nothing about the user's music is sent.

A common slip is the *user* API key from the AcoustID profile page instead of an application's
key: the fix says which one to copy.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from urllib.parse import urlencode

from spotsyncd.core.config import Config
from spotsyncd.engine.health.checks import Check
from spotsyncd.system.http import HttpClient, HttpError

NAME = "acoustid key"
TIMEOUT_S = 10.0
_INVALID_KEY = 4  # AcoustID's error code for an application key it does not know
FIX = ("copy the API key of an application you registered at acoustid.org ('My applications' "
        "→ 'Register a new application'), not the user API key of your profile, into "
        "acoustid.api_key")  # fmt: skip

Ask = Callable[[str, bytes], bytes]  # (url, form) → the answer's body, whatever its status


def acoustid_key_check(config: Config, *, ask: Ask | None = None) -> Iterator[Check]:
    """Nothing when no key is set; else one finding: taken, refused, or not asked (offline)."""
    if not config.acoustid.api_key:
        return
    try:
        refused = key_refused(config, ask=ask)
    except (HttpError, OSError, ValueError) as exc:
        yield Check(NAME, "warn", f"could not ask AcoustID whether it takes the key: {exc}",
                    "run doctor again when the network is back")  # fmt: skip
        return
    if refused is not None:
        yield Check(NAME, "fail", refused, FIX)
        return
    yield Check(NAME, "ok", "AcoustID takes the key")


def key_refused(config: Config, *, ask: Ask | None = None) -> str | None:
    """Why AcoustID refuses ``acoustid.api_key``, or None when it takes it. Raises
    ``HttpError`` (or ``OSError``, ``ValueError`` for an answer that is no JSON) when it could
    not be asked."""
    url = config.acoustid.api_url.rstrip("/") + "/lookup"
    form = urlencode({"client": config.acoustid.api_key or "", "format": "json",
                      "duration": "1"}).encode("ascii")  # fmt: skip
    answer = json.loads((ask or _ask)(url, form))
    error = answer.get("error") if isinstance(answer, dict) else None
    if isinstance(error, dict) and error.get("code") == _INVALID_KEY:
        message = str(error.get("message") or "invalid API key")
        return f"AcoustID refuses acoustid.api_key ({message}): every track is filed unverified"
    return None


def _ask(url: str, form: bytes) -> bytes:
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    answer = HttpClient(timeout_s=TIMEOUT_S).request(
        "POST", url, data=form, headers=headers, any_status=True
    )
    return answer.body
