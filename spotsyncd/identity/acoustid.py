"""AcoustID's lookup (``/v2/lookup``, ``meta=recordings releasegroups``): which recordings a
fingerprint belongs to. Only the fingerprint and the audio's length are sent, never audio.
https://acoustid.org/webservice
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from spotsyncd.core.models import Fingerprint
from spotsyncd.identity.web import NOT_FOUND, NoAnswer, Service


@dataclass(frozen=True)
class Recording:
    """One recording AcoustID links to a fingerprint (its metadata may be missing)."""

    id: str
    title: str | None = None
    artists: tuple[str, ...] = ()
    artist_ids: tuple[str, ...] = ()
    duration_s: float | None = None
    release_group_ids: tuple[str, ...] = ()


@dataclass(frozen=True)
class Result:
    """One AcoustID track (``id``) whose fingerprint matched with ``score`` (0-1)."""

    id: str
    score: float
    recordings: tuple[Recording, ...]


class AcoustidClient:
    def __init__(self, service: Service, api_url: str, api_key: str) -> None:
        self.service = service
        self.api_url = api_url.rstrip("/") + "/"
        self.api_key = api_key

    def lookup(self, fingerprint: Fingerprint) -> list[Result]:
        """Best first. Raises ``NoAnswer`` (down, refusing the key, an error answer)."""
        form = {
            "client": self.api_key,
            "format": "json",
            "duration": str(round(fingerprint.duration_s)),
            "fingerprint": fingerprint.value,
            "meta": "recordings releasegroups",
        }
        digest = hashlib.sha256(fingerprint.value.encode("ascii", "replace")).hexdigest()
        key = f"lookup:{round(fingerprint.duration_s)}:{digest}"
        answer = self.service.fetch(
            key, "POST", f"{self.api_url}lookup", data=urlencode(form).encode("ascii"),
            not_found=(),
        )  # fmt: skip
        if answer is NOT_FOUND or not isinstance(answer, dict) or answer.get("status") != "ok":
            error = (answer or {}).get("error") if isinstance(answer, dict) else None
            message = (error or {}).get("message") if isinstance(error, dict) else None
            raise NoAnswer(f"AcoustID: {message or 'no usable answer'}")
        results = [parse_result(r) for r in answer.get("results") or [] if isinstance(r, dict)]
        return sorted((r for r in results if r is not None), key=lambda r: -r.score)


def parse_result(data: dict[str, Any]) -> Result | None:
    if not data.get("id"):
        return None
    recordings = tuple(
        _recording(r) for r in data.get("recordings") or [] if isinstance(r, dict) and r.get("id")
    )
    return Result(str(data["id"]), float(data.get("score") or 0.0), recordings)


def _recording(data: dict[str, Any]) -> Recording:
    artists = [a for a in data.get("artists") or [] if isinstance(a, dict)]
    duration = data.get("duration")
    return Recording(
        id=str(data["id"]),
        title=data.get("title"),
        artists=tuple(str(a.get("name")) for a in artists if a.get("name")),
        artist_ids=tuple(str(a.get("id")) for a in artists if a.get("id")),
        duration_s=float(duration) if isinstance(duration, int | float) else None,
        release_group_ids=tuple(
            str(g["id"])
            for g in data.get("releasegroups") or []
            if isinstance(g, dict) and g.get("id")
        ),  # fmt: skip
    )
