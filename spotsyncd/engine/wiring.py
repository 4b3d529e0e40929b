"""The wiring: the one place that builds the outside-world adapters from the configuration.

The daemon, ``spotsyncd get`` (its foreground run), ``spotsyncd worker`` and the end-to-end
launchers all build the same adapters, so they are built here and nowhere else: a new source or
a new setting is wired once. What is built here imports the heavy outside libraries (yt-dlp,
mutagen, spotipy, ytmusicapi), so every import happens inside the functions: importing the
engine stays cheap. Nothing here knows the engine's parts; they receive what is built.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence

from spotsyncd.core.config import Config
from spotsyncd.core.protocols import Adapters, Searcher
from spotsyncd.ledger import Ledger
from spotsyncd.mediaservers.rescan import RescanDebouncer
from spotsyncd.system.netguard import AddressPolicy


def address_policy(config: Config) -> AddressPolicy:
    """Which internal addresses a link, a feed entry, a playlist entry or a redirect may make
    the daemon fetch (``network.allow_private``); the hosts this config names itself (media
    servers, LRCLIB, check URLs, the APIs' addresses) are the user's own choice and pass."""
    from urllib.parse import urlsplit

    named = [
        config.lyrics.api_url,
        config.musicbrainz.api_url,
        config.acoustid.api_url,
        config.youtube.api_url,
        config.spotify.api_url,
        config.spotify.embed_url,
        *config.network.check_urls,
        *(server.url for server in config.media_servers),
        *([config.youtube.pot_provider_url] if config.youtube.pot_provider_url else []),
    ]
    hosts = [urlsplit(url).hostname or "" for url in named]
    return AddressPolicy.from_setting(
        config.network.allow_private, trusted_hosts=[h for h in hosts if h]
    )


def build_adapters(config: Config, *, searchers: Sequence[Searcher] | None = None) -> Adapters:
    """The real adapters for ``config`` (imports the heavy outside libraries)."""
    from spotsyncd.identity.service import identity_for
    from spotsyncd.intake.links import parse_link
    from spotsyncd.media.audio import FfmpegAudioProcessor
    from spotsyncd.media.covers import fetch_cover
    from spotsyncd.media.lyrics import lyrics_step_for
    from spotsyncd.media.tags import MutagenTagger
    from spotsyncd.sources.feeds.source import FeedSource
    from spotsyncd.sources.spotify.source import SpotifySource
    from spotsyncd.sources.ytdlp.client import YtDlpDownloader
    from spotsyncd.sources.ytdlp.clients import PlayerClients
    from spotsyncd.sources.ytdlp.cookies import require_youtube_cookies
    from spotsyncd.sources.ytdlp.releases import Releases
    from spotsyncd.sources.ytdlp.runtime import YtDlpRuntime
    from spotsyncd.sources.ytdlp.search import YtDlpSearcher
    from spotsyncd.sources.ytdlp.youtube_links import warm_up
    from spotsyncd.sources.ytmusic.catalog import YtMusicCatalog
    from spotsyncd.system.http import HttpClient
    from spotsyncd.system.tools import find_ffmpeg, find_js_runtime

    if config.download.cookies_file is not None:
        require_youtube_cookies(config.download.cookies_file)
    ffmpeg = find_ffmpeg(config.download.ffmpeg)
    js = find_js_runtime()
    tagger = MutagenTagger()
    policy = address_policy(config)
    covers = HttpClient(timeout_s=config.download.timeout_seconds, policy=policy)
    downloader = YtDlpDownloader(
        ffmpeg=ffmpeg.path,
        js_runtime=js.path if js else None,
        link_of=parse_link,
        cookies_file=config.download.cookies_file,
        timeout_s=config.download.timeout_seconds,
        cache_dir=config.state_dir / "yt-dlp-cache",
        address_policy=policy,
        player_clients=PlayerClients(
            config.youtube.player_clients, config.youtube.pot_provider_url
        ),
        # The release 'spotsyncd extractors update' made current, switched to between jobs.
        runtime=YtDlpRuntime(Releases(config.state_dir)),
    )
    if searchers is None:
        from spotsyncd.sources.ytmusic.search import YtMusicSearcher

        found: list[Searcher] = [YtMusicSearcher()]
        if config.youtube.api_key:  # the official API: no bot checks, but a daily quota
            from spotsyncd.sources.youtube_api import QUOTA_FILE, QuotaCounter, YouTubeApiSearcher

            quota = QuotaCounter(config.state_dir / QUOTA_FILE, config.youtube.daily_quota)
            found.append(
                YouTubeApiSearcher(config.youtube.api_key, quota, api_url=config.youtube.api_url)
            )
        if config.matching.youtube_fallback:
            found.append(YtDlpSearcher(downloader))
        searchers = found
    # After yt_dlp itself is imported above: the thread only adds its YouTube extractors.
    threading.Thread(target=warm_up, name="warm-up-links", daemon=True).start()
    return Adapters(
        downloader=downloader,
        processor=FfmpegAudioProcessor(ffmpeg.path),
        tagger=tagger,
        searchers=searchers,
        spotify=SpotifySource(
            config.spotify,
            config.token_cache,
            timeout_s=min(config.download.timeout_seconds, 30.0),
            artist_include=config.artist.include,
        ),
        youtube_music=YtMusicCatalog(include=config.artist.include),
        fetch_cover=lambda url: fetch_cover(url, http=covers),
        lyrics=lyrics_step_for(config, tagger.write_lyrics),
        feeds=FeedSource(
            HttpClient(timeout_s=config.download.timeout_seconds, policy=policy),
            cache_dir=config.state_dir / "feeds",
        ),
        # The pipeline builds the step with the budget every process shares (sources.musicbrainz)
        identity=identity_for(config),
    )


def build_rescans(config: Config, ledger: Ledger) -> RescanDebouncer:
    """The media servers to tell about new files (idle when none is configured), not started."""
    from spotsyncd.mediaservers.servers import build_clients

    return RescanDebouncer(
        build_clients(config), quiet_s=config.media_servers_debounce_s, probe=ledger.last_done_at
    )
