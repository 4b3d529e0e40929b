"""One small, cheap canary per source the user actually uses (no download): what the source
health table (``status``, ``GET /api/v1/health/sources``, ``/metrics``) and its notifications
are made of.

- each site the user downloaded from lately (``youtube``, ``soundcloud.com``…): yt-dlp, as the
  daemon runs it, extracts one recent download's page (in a subprocess: extractors/trial.py);
- ``youtube_music``: one search, when the user has Spotify links or search lines (they are
  matched by searching);
- ``spotify``: one recent Spotify track read the way the user reads Spotify (Web API or embed);
- ``lrclib``: one lookup, when lyrics are on;
- each media server: reachable and accepting the credentials;
- ``po_token_provider``: the PO-token provider answers, when youtube.pot_provider_url is set;
- ``acoustid``: AcoustID takes acoustid.api_key, when one is set (one lookup with no
  fingerprint, in a turn of AcoustID's shared budget): a refused key would otherwise file every
  track ``unverified`` without a word.

A canary is a name and a function that returns None when the source works, or raises (a
``SpotsyncError`` names its class). More can be added (``extra``); ``doctor``'s checks (a
``Check`` per finding) become canaries through :func:`from_checks`.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from spotsyncd.core.config import Config
from spotsyncd.core.errors import SpotsyncError
from spotsyncd.core.models import Source, TrackMeta
from spotsyncd.core.protocols import Adapters, SharedTurn
from spotsyncd.engine.health.acoustid_key import FIX as ACOUSTID_KEY_FIX
from spotsyncd.engine.health.acoustid_key import key_refused
from spotsyncd.engine.health.checks import Check
from spotsyncd.identity.pacing import ACOUSTID
from spotsyncd.ledger import Ledger

UPDATE_YT_DLP = "update yt-dlp: 'spotsyncd extractors update' (or extractors.auto_update: install)"
FIXES = {
    "bot_check": "YouTube wants proof this is no bot: export fresh YouTube cookies to "
    "download.cookies_file, or set up a PO-token provider; then " + UPDATE_YT_DLP,
    "credentials": "log in again: 'spotsyncd auth spotify'",
    "auth": "log in again: 'spotsyncd auth spotify'",
    "rate_limited": "the service asks for fewer requests: it passes by itself",
    "network_down": "check the network connection; work waits for it by itself",
    "invalid_key": ACOUSTID_KEY_FIX,
}


class CanaryFailed(SpotsyncError):
    """A canary's own finding (no exception of the source's to pass on)."""

    error_class = "failing"

    def __init__(self, message: str, error_class: str = "failing") -> None:
        super().__init__(message)
        self.error_class = error_class


@dataclass(frozen=True)
class Canary:
    name: str
    check: Callable[[], None]
    fix: str = ""  # what to do when it fails and its error class says nothing better


def fix_for(canary: Canary, error_class: str) -> str:
    if error_class == "network_down" and canary.fix:  # or the source's address is wrong
        return f"{FIXES[error_class]}; if it works: {canary.fix}"
    return FIXES.get(error_class) or canary.fix


def canaries_for(
    config: Config,
    ledger: Ledger,
    adapters: Adapters,
    extra: Sequence[Canary] = (),
    *,
    turn: SharedTurn | None = None,
) -> list[Canary]:
    """The canaries of the sources this user uses now (asked again before every round);
    ``turn``: the shared budgets' (a request to a rate-limited service waits its turn)."""
    found = _yt_dlp_sites(config, ledger)
    in_use = ledger.sources_in_use()
    if in_use & {Source.SPOTIFY, Source.SEARCH}:
        found += _youtube_music(adapters)
    if Source.SPOTIFY in in_use and adapters.spotify is not None:
        found += _spotify(ledger, adapters)
    if config.lyrics.enabled:
        found.append(_lrclib(config))
    found += _media_servers(config)
    if config.youtube.pot_provider_url:
        found.append(_pot_provider(config))
    if config.acoustid.api_key:
        found.append(_acoustid(config, turn))
    return [*found, *extra]


def _yt_dlp_sites(config: Config, ledger: Ledger) -> list[Canary]:
    from spotsyncd.extractors.trial import canary_urls, try_release
    from spotsyncd.sources.ytdlp.releases import Releases

    releases = Releases(config.state_dir)
    canaries = []
    for url in canary_urls(ledger.recent_audio_urls(limit=100), 1):

        def check(url: str = url) -> None:
            trial = try_release(
                releases.active_folder(), [url], expect=None,
                allow_private=config.network.allow_private,
                cookies_file=config.download.cookies_file, timeout_s=120,
            )  # fmt: skip
            if trial.ok:
                return
            first = trial.results[0] if trial.results else {}
            raise CanaryFailed(
                f"yt-dlp {trial.version or ''} could not read {url}: "
                f"{first.get('error') or trial.problem}",
                str(first.get("error_class") or "failing"),
            )

        from spotsyncd.sources.ytdlp.runtime import source_of

        canaries.append(Canary(source_of(url), check, UPDATE_YT_DLP))
    return canaries


def _youtube_music(adapters: Adapters) -> list[Canary]:
    searcher = next((s for s in adapters.searchers if s.name == "ytmusic"), None)
    if searcher is None:
        return []

    def check() -> None:
        if not searcher.search("Daft Punk Around the World", limit=1):
            raise CanaryFailed("a search that always has answers found nothing")

    fix = "YouTube Music may have changed: update spotsyncd (it brings ytmusicapi); searches "
    fix += "fall back to YouTube meanwhile when matching.youtube_fallback is on"
    return [Canary("youtube_music", check, fix)]


def _spotify(ledger: Ledger, adapters: Adapters) -> list[Canary]:
    keys = ledger.recent_keys(Source.SPOTIFY)
    spotify = adapters.spotify
    if not keys or spotify is None:
        return []

    def check() -> None:
        meta = spotify.track(keys[0])
        if not meta.title:
            raise CanaryFailed(f"Spotify said nothing about {keys[0]}")

    return [Canary("spotify", check, "check spotify.client_id/client_secret, or log in again")]


def _lrclib(config: Config) -> Canary:
    from spotsyncd.media.lyrics import LrclibClient

    client = LrclibClient(config.lyrics.api_url, timeout_s=15.0)

    def check() -> None:  # a miss (404) is an answer too: only no answer is a failure
        client.find(TrackMeta(title="Around the World", artists=("Daft Punk",)), 429.0)

    return Canary("lrclib", check, "check lyrics.api_url, or set lyrics.enabled: false")


def _media_servers(config: Config) -> list[Canary]:
    from spotsyncd.mediaservers.servers import build_clients

    canaries = []
    for client in build_clients(config):

        def check(client: object = client) -> None:
            findings = client.diagnose([])  # type: ignore[attr-defined]
            failed = [f for f in findings if f.status == "fail"]
            if failed:
                raise CanaryFailed(failed[0].detail, "unreachable")

        canaries.append(
            Canary(
                f"media server {client.cfg.name}",
                check,
                "check its url and credentials in media_servers ('spotsyncd media-servers test')",
            )
        )
    return canaries


def from_checks(name: str, checks: Callable[[], Iterable[Check]], error_class: str) -> Canary:
    """A canary made of ``doctor`` checks: failing when one of them is not ok."""

    def check() -> None:
        for found in checks():
            if found.status != "ok":
                raise CanaryFailed(found.detail, error_class)

    return Canary(name, check)


def _pot_provider(config: Config) -> Canary:
    from spotsyncd.engine.health.youtube import pot_provider_check

    canary = from_checks("po_token_provider", lambda: pot_provider_check(config), "unreachable")
    fix = "start the PO-token provider, or fix youtube.pot_provider_url ('When YouTube breaks')"
    return Canary(canary.name, canary.check, fix)


def _acoustid(config: Config, turn: SharedTurn | None) -> Canary:
    def check() -> None:  # not asked (offline, down): what the request raised says why
        with turn(ACOUSTID) if turn is not None else contextlib.nullcontext():
            refused = key_refused(config)
        if refused is not None:
            raise CanaryFailed(refused, "invalid_key")

    return Canary(ACOUSTID, check, "check acoustid.api_url, and that AcoustID is up")
