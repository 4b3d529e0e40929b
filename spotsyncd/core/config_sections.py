"""The configuration's sections, one model each: every key declared once, with its default,
type, unit and help. The loader, ``config show`` and the reference (docs and
config.example.yaml, written by ``python -m spotsyncd.core.config_reference``) read them."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from pydantic import ValidationInfo, model_validator

from spotsyncd.core import config_values as v
from spotsyncd.core.config_fields import (
    APPRISE,
    BOOL,
    BYTES,
    DURATIONS,
    HTTP_URL,
    LOGS_ONLY,
    OPTIONAL_PATH,
    OPTIONAL_TEXT,
    TEXT,
    URL_PASSWORD,
    WHOLE,
    KeyProblem,
    Parse,
    Section,
    duration,
    from_people,
    key,
    number,
    one_of,
    some_of,
    whole,
)
from spotsyncd.core.retries import DEFAULT_SLOW_RETRIES

AUDIO_FORMATS = ("mp3", "m4a", "opus", "flac", "original")
NORMALIZE = ("loudness", "peak", "off")
ON_REMOVED = ("keep", "delete")
ARTIST_GROUPS = ("album", "single", "compilation", "appears_on")
QUEUE_BACKENDS = ("local", "celery")
NOTIFY_EVENTS = (
    "failed", "new_tracks", "review", "login_expired", "offline", "disk_low", "cookies",
    "digest", "yt_dlp", "sources",
)  # fmt: skip
AUTO_UPDATE = ("false", "notify", "install")
DEFAULT_TEMPLATE = "{artist}/{album}/{track_number:02d} - {title}.{ext}"
DEFAULT_PODCAST_TEMPLATE = "Podcasts/{show}/{date} - {title}.{ext}"

BITRATE = Parse(v.bitrate, "128k | 192k | 256k | 320k | v0 (320 and best mean 320k)")
TEMPLATE = Parse(v.template, "path template ending in .{ext}")
SHORT = duration(v.short_duration, "at least 1s")


class AudioConfig(Section):
    """How each file is processed: format, loudness, silence, tags."""

    format: Annotated[str, one_of(AUDIO_FORMATS)] = key(
        "mp3", "The file format; original keeps the source stream (no re-encode)."
    )
    bitrate: Annotated[str, BITRATE] = key(
        "192k",
        "Encoding bitrate; v0 is LAME VBR (~245k). Ignored for flac and original.",
        env=("DOWNLOAD_QUALITY",),
    )
    normalize: Annotated[str, one_of(NORMALIZE)] = key(
        "loudness",
        "loudness: EBU R128 to target_lufs with the true peak at most true_peak_db; peak; "
        "off (writes ReplayGain tags instead).",
    )
    target_lufs: Annotated[float, number(-40, -5)] = key(
        -14.0, "Integrated loudness target (-14 is streaming services' level).", unit="LUFS"
    )
    true_peak_db: Annotated[float, number(-9, 0)] = key(
        -1.0, "Highest true peak after normalising.", unit="dBTP"
    )
    trim_silence: Annotated[bool, BOOL] = key(True, "Cut silence at the start and the end.")
    silence_threshold_db: Annotated[float, number(-90, -10)] = key(
        -50.0, "What counts as silence.", unit="dBFS"
    )
    id3_version: Annotated[int, Parse(v.id3_version, "3 | 4")] = key(
        4, "ID3 version of MP3 tags: 4 (ID3v2.4), or 3 (ID3v2.3) for old players."
    )
    workers: Annotated[int, whole(0, 64)] = key(
        0,
        "Files processed (decoded, measured, encoded, tagged) at once; 0: one per CPU core. "
        "Downloads run beside them (download.workers). Takes effect at restart.",
        unit="files",
    )


class DownloadConfig(Section):
    """Downloads: how many at once, retries, timeouts, cookies, ffmpeg."""

    workers: Annotated[int, whole(1, 32)] = key(
        2,
        "Downloads (and playlist listings, Spotify matches) at once; they run ahead of the "
        "audio processing (audio.workers). Takes effect at restart.",
        unit="downloads",
    )
    max_retries: Annotated[int, whole(0, 100)] = key(
        3,
        "Fast retries of a transient failure (network, 5xx, timeouts, 429), across restarts.",
        env=("MAX_RETRIES",),
    )
    backoff_seconds: Annotated[float, duration(v.seconds_between(0, 3600), "0s to 1h")] = key(
        1.0,
        "First retry delay, doubling each time (1s, 2s, 4s), with jitter.",
        unit="seconds",
        name="backoff",
        old=("backoff_seconds",),
    )
    timeout_seconds: Annotated[float, duration(v.seconds_between(1, 3600), "1s to 1h")] = key(
        60.0,
        "Network timeout: a transfer stalled this long fails and is retried.",
        unit="seconds",
        name="timeout",
        old=("timeout_seconds",),
    )
    slow_retries: Annotated[tuple[float, ...], DURATIONS] = key(
        DEFAULT_SLOW_RETRIES,
        'After the fast retries, a transient failure waits (state "waiting") and is tried '
        "once more after each of these delays, then fails for good; [] turns this off.",
        unit="seconds",
    )
    cookies_file: Annotated[Path | None, OPTIONAL_PATH] = key(
        None,
        "Netscape cookies.txt exported from a logged-in browser, for YouTube's \"confirm you're "
        'not a bot" checks and members-only videos. Keep it chmod 600.',
        example="~/.config/spotsyncd/cookies.txt",
    )
    ffmpeg: Annotated[Path | None, OPTIONAL_PATH] = key(
        None,
        "A system ffmpeg to use instead of the bundled one (imageio-ffmpeg).",
        example="/usr/bin/ffmpeg",
    )


class LibraryConfig(Section):
    """How files are named inside library_dir."""

    path_template: Annotated[str, TEMPLATE] = key(
        DEFAULT_TEMPLATE,
        "Where files go inside library_dir. Fields: {artist} {artists} {album} {album_artist} "
        "{title} {track_number} {disc_number} {year} {date} {genre} {playlist} {key} {ext}. "
        'A missing album becomes "Singles"; missing numbers are dropped with their separator.',
    )
    podcast_template: Annotated[str, TEMPLATE] = key(
        DEFAULT_PODCAST_TEMPLATE,
        "Where podcast episodes go inside library_dir: the same fields, {show} being the "
        "podcast's title and {date} the episode's publication date (dropped when the feed "
        "gives none).",
    )


class SpotifyConfig(Section):
    """A Spotify app's credentials (https://developer.spotify.com/dashboard). Without them
    spotsyncd reads public embed pages."""

    client_id: Annotated[str | None, OPTIONAL_TEXT, LOGS_ONLY] = key(
        None, "The app's client ID.", env=("SPOTIFY_CLIENT_ID",), example="your-client-id"
    )
    client_secret: Annotated[str | None, OPTIONAL_TEXT, WHOLE] = key(
        None,
        "The app's client secret.",
        env=("SPOTIFY_CLIENT_SECRET",),
        example="your-client-secret",
    )
    api_url: Annotated[str, TEXT] = key(
        "https://api.spotify.com/v1/", "Advanced, for proxies: the Web API's base URL."
    )
    token_url: Annotated[str, TEXT] = key(
        "https://accounts.spotify.com/api/token", "The token endpoint (tests).", hidden=True
    )
    auth_url: Annotated[str, TEXT] = key(
        "https://accounts.spotify.com/authorize", "The login page (tests).", hidden=True
    )
    embed_url: Annotated[str, TEXT] = key(
        "https://open.spotify.com/embed/", "The public embed pages (tests).", hidden=True
    )
    redirect_port: Annotated[int, whole(1024, 65535)] = key(
        8765,
        "Loopback port for 'spotsyncd auth spotify' (redirect URI http://127.0.0.1:PORT/callback).",
    )
    market: Annotated[str | None, OPTIONAL_TEXT] = key(
        None, "Market (country code) for track relinking.", example="US"
    )


class MatchingConfig(Section):
    """How a Spotify track is matched to a YouTube Music or YouTube result."""

    threshold: Annotated[float, number(0.0, 1.0)] = key(
        0.70,
        "Minimum score for a result to be accepted; below it the track fails with "
        '"no confident match".',
    )
    youtube_fallback: Annotated[bool, BOOL] = key(
        True, "Also search YouTube (yt-dlp) when YouTube Music finds nothing good."
    )


class ArtistConfig(Section):
    """Artist links (open.spotify.com/artist/…, music.youtube.com/channel/UC…)."""

    include: Annotated[tuple[str, ...], some_of(ARTIST_GROUPS)] = key(
        ("album", "single"),
        "Which releases an artist link fetches and a followed artist watches.",
    )


class WebConfig(Section):
    """The HTTP API and dashboard inside the daemon ('spotsyncd web' prints a login link).
    The API can start downloads: every request needs the token in <state_dir>/web-token."""

    enabled: Annotated[bool, BOOL] = key(True, "Run the API and dashboard.")
    listen: Annotated[str, Parse(v.listen_address, "HOST:PORT")] = key(
        "127.0.0.1:8642", "Where it listens; port 0 picks any free port."
    )
    allow_remote: Annotated[bool, BOOL] = key(
        False,
        "Listening on a non-loopback address (0.0.0.0:8642 for your LAN) needs this on "
        "purpose; it is logged as a warning.",
    )
    allowed_hosts: Annotated[tuple[str, ...], Parse(v.host_list, "list of host names")] = key(
        (),
        "Extra Host header values accepted besides the listen address, localhost and "
        "127.0.0.1 (a LAN name, a reverse proxy); other Hosts are refused (DNS rebinding).",
    )

    @model_validator(mode="after")
    def _loopback_unless_allowed(self, info: ValidationInfo) -> WebConfig:
        if from_people(info) and not self.allow_remote and not v.is_loopback(self.host):
            raise KeyProblem(
                "listen",
                f"{self.host} is not a loopback address: the API can start downloads and write "
                "files, so set web.allow_remote: true to listen there on purpose (or use "
                "127.0.0.1)",
            )
        return self

    @property
    def host(self) -> str:
        return v.split_listen(self.listen)[0]

    @property
    def port(self) -> int:
        return v.split_listen(self.listen)[1]


class LyricsConfig(Section):
    """Lyrics from LRCLIB, embedded in each track. A miss never fails a track."""

    enabled: Annotated[bool, BOOL] = key(
        True,
        "Look up each track's lyrics on LRCLIB (by artist, title, album and duration, which "
        "must agree within 2 s) and embed them: plain text (ID3 USLT, MP4 ©lyr, Vorbis LYRICS) "
        "and time-synced lines where the format carries them (ID3 SYLT).",
    )
    api_url: Annotated[str, HTTP_URL] = key(
        "https://lrclib.net/api/", "Advanced: LRCLIB's API base URL."
    )
    lrc_files: Annotated[bool, BOOL] = key(
        False,
        "Also write the time-synced lyrics as NAME.lrc beside the audio file (foobar2000, "
        "MusicBee and Jellyfin read them).",
    )


class LedgerConfig(Section):
    """The ledger: the database of links, jobs and follows."""

    url: Annotated[str | None, Parse(v.database_url, "database URL"), URL_PASSWORD] = key(
        None,
        "Where the ledger lives; empty means the SQLite file <state_dir>/ledger.sqlite3. For "
        "several machines: postgresql+psycopg://spotsyncd:PASSWORD@db.example:5432/spotsyncd, "
        "best set in .env as SPOTSYNCD_LEDGER_URL so the password stays out of this file.",
    )


class QueueConfig(Section):
    """Who runs the jobs: threads in the daemon, or Celery workers on a Redis broker."""

    backend: Annotated[str, one_of(QUEUE_BACKENDS)] = key(
        "local",
        "local: download.workers threads inside the daemon (no server needed). celery: "
        "'spotsyncd worker' processes on this or other machines through a Redis broker; the "
        "daemon becomes the coordinator (needs ledger.url on PostgreSQL across machines).",
    )
    broker_url: Annotated[str, Parse(v.broker_url, "redis:// URL"), URL_PASSWORD] = key(
        "redis://127.0.0.1:6379/0",
        "The Redis broker for backend: celery (it carries wake-ups only: the ledger says what "
        "is done). A password goes in .env as SPOTSYNCD_QUEUE_BROKER_URL.",
    )
    job_time_limit_s: Annotated[int, duration(v.duration_between(60, 7 * 86400), "1m to 7d")] = key(
        3600,
        "The longest one job may take on a worker; the broker's visibility timeout is set "
        "above it.",
        unit="seconds",
        name="job_time_limit",
    )
    worker_timeout_s: Annotated[int, duration(v.duration_between(3, 3600), "3s to 1h")] = key(
        60,
        "A worker that has not heart-beaten for this long is taken for gone and its job is "
        "given to another worker.",
        unit="seconds",
        name="worker_timeout",
    )


class NetworkConfig(Section):
    """Knowing when the machine is offline, so network work pauses instead of failing."""

    check_urls: Annotated[tuple[str, ...], Parse(v.url_list, "list of http(s) URLs")] = key(
        (),
        "When a host cannot be reached, it is probed again with these URLs' hosts (DNS and "
        "a TCP connection); if they fail too, that host's jobs wait without spending "
        "attempts while jobs whose host answers go on. "
        "'spotsyncd doctor' checks them over HTTPS. Empty: the hosts this config needs "
        "(www.youtube.com, music.youtube.com, spotify.api_url, the Spotify embed pages).",
        example=["https://www.youtube.com/", "https://api.spotify.com/v1/"],
    )
    probe_every: Annotated[float, SHORT] = key(
        60.0,
        "While offline, the first probe comes this long after going offline, then backing "
        "off up to 5 times as long.",
        unit="seconds",
    )
    allow_private: Annotated[
        bool | tuple[str, ...], Parse(v.allowance, "true | false | list of hosts and networks")
    ] = key(
        False,
        "Whether links, feed and playlist entries, and their redirects may fetch from loopback, "
        "private, link-local and other internal addresses. false: never (a stranger's feed "
        "cannot make the daemon reach your router); true: always; a list: only these hosts "
        "and networks. Hosts this config names itself (media servers, check_urls…) always pass.",
        example=["nas.local", "192.168.1.0/24"],
    )


class NotifyConfig(Section):
    """Notifications through Apprise ('spotsyncd notify test' sends one)."""

    urls: Annotated[tuple[str, ...], Parse(v.apprise_urls, "list of Apprise URLs"), APPRISE] = key(
        (),
        "Apprise URLs to notify (mailto://, ntfy://, gotify://, tgram://, discord://, "
        "matrix://, json:// for a webhook…: https://github.com/caronc/apprise/wiki). "
        "Empty: no notifications.",
        example=["ntfy://my-spotsyncd-topic"],
    )
    on: Annotated[tuple[str, ...], some_of(NOTIFY_EVENTS)] = key(
        (
            "failed",
            "new_tracks",
            "review",
            "login_expired",
            "offline",
            "disk_low",
            "cookies",
            "yt_dlp",
            "sources",
        ),
        "Which events: failed (a track failed for good; when one source fails for many "
        "tracks at once, one summary), new_tracks (one message per poll "
        "that brought new tracks), review (no candidate's audio was the recording asked for: "
        "the track waits for you to pick one), login_expired (Spotify), offline (offline "
        "longer than offline_after), disk_low (free space under disk_free_below), cookies "
        "(download.cookies_file's YouTube login expires within 7 days, has expired, or the "
        "file is unusable), digest (a daily summary at digest_at), yt_dlp (a newer yt-dlp, a "
        "switch or a rollback), sources (a source turned failing or recovered).",
    )
    offline_after: Annotated[float, SHORT] = key(
        3600.0, "Notify once the machine has been offline this long.", unit="seconds"
    )
    disk_free_below: Annotated[int, BYTES] = key(
        1_000_000_000,
        "Notify when the library's disk has less free space than this.",
        unit="bytes",
    )
    digest_at: Annotated[str, Parse(v.clock_time, "time of day, HH:MM")] = key(
        "09:00", "Local time of the daily digest (with digest in on)."
    )
    batch_seconds: Annotated[float, SHORT] = key(
        60.0,
        "Messages are batched: at most one per kind of event in this window, so a storm of "
        "500 failures is one message.",
        unit="seconds",
        name="batch_window",
        old=("batch_seconds",),
    )


DEFAULT_PLAYER_CLIENTS = (("default",), ("tv", "web_safari"), ("ios_producer", "mweb"))


class YoutubeConfig(Section):
    """YouTube: how downloads ask for a video (yt-dlp's player clients, a PO-token provider),
    and the YouTube Data API v3, used for searches only when a key is set."""

    player_clients: Annotated[
        tuple[tuple[str, ...], ...],
        Parse(v.client_sets, "list of client sets (lists of yt-dlp player client names)"),
    ] = key(
        DEFAULT_PLAYER_CLIENTS,
        "yt-dlp's player clients (its player_client extractor argument), one set per attempt: "
        "a download that meets a bot check or a PO-token error with one set is tried at once "
        "with the next, and only when every set failed does the youtube circuit open. The "
        "set that worked is used first from then on. default is yt-dlp's own choice, which "
        "changes with its releases. See the page 'When YouTube breaks'.",
        example=[["default"], ["tv", "web_safari"], ["ios_producer", "mweb"]],
    )
    pot_provider_url: Annotated[
        str | None, Parse(v.optional_http_url, "http(s) URL, or empty for none")
    ] = key(
        None,
        "The HTTP server of the bgutil PO-token provider (install spotsyncd[pot]; the "
        "container image has the plugin): yt-dlp asks it for YouTube's proof-of-origin "
        "tokens. Empty: the plugin's own default (http://127.0.0.1:4416) when it is "
        "installed. 'spotsyncd doctor' checks that it answers.",
        example="http://127.0.0.1:4416",
    )

    api_key: Annotated[str | None, OPTIONAL_TEXT, WHOLE] = key(
        None,
        "An API key: searches then also use the official API after YouTube Music (no bot "
        "checks, but a daily quota: each search costs 101 units). Empty: the API is not used.",
        env=("YOUTUBE_API_KEY",),
    )
    api_url: Annotated[str, TEXT] = key(
        "https://www.googleapis.com/youtube/v3", "Advanced, for proxies: the API's base URL."
    )
    daily_quota: Annotated[int, whole(1, 1_000_000_000)] = key(
        10_000,
        "Units the key may spend per day (Google's default quota; its day starts at midnight "
        "Pacific time). Past it the API is left alone until the next day.",
        unit="units",
    )


class ExtractorsConfig(Section):
    """Keeping yt-dlp fresh: YouTube changes under it within weeks."""

    auto_update: Annotated[str, one_of(AUTO_UPDATE)] = key(
        "notify",
        "false: never look for a newer yt-dlp; notify: look daily and tell once per new "
        "release (log, event, notification); install: also install it into a folder under "
        "state_dir, try it (import, version, a canary extraction of recent downloads) and "
        "switch to it between jobs, rolling back if it fails where the old one worked.",
    )
    check_every_s: Annotated[int, duration(v.duration_between(3600, 30 * 86400), "1h to 30d")] = (
        key(86400, "How often a newer release is looked for.", unit="seconds", name="check_every")
    )
    index_url: Annotated[str | None, OPTIONAL_TEXT] = key(
        None,
        "The package index pip fetches yt-dlp from (a mirror, or a file:// folder). Empty: "
        "pip's own configuration.",
        example="https://mirror.example.org/simple",
    )
    probation_downloads: Annotated[int, whole(1, 50)] = key(
        3,
        "After a switch, a source whose first this-many downloads all fail (where the "
        "release before worked) rolls yt-dlp back.",
        unit="downloads",
    )
    canary_items: Annotated[int, whole(1, 10)] = key(
        2, "Recent downloads of each source a canary extracts (no download).", unit="items"
    )
    max_age_days: Annotated[int, whole(7, 3650)] = key(
        60, "'spotsyncd doctor' warns when the yt-dlp in use is older than this.", unit="days"
    )


INTERVAL = duration(v.interval_value, "0s to 1h; 0 for none")
CONCURRENT = whole(0, 1000)


class SourcesConfig(Section):
    """The sources: a cheap health canary per source the user uses (no download), and budgets
    per source kept across every process that shares the ledger (the daemon and all
    'spotsyncd worker's on any machine), so that many workers still look like one user:
    max_concurrent requests or transfers under way at once (0: no limit) and min_interval
    before the next one starts, counted from the last start and from the last end (so requests
    arrive at least that far apart however slow the connection). A YAML mapping per source works
    too (youtube: {max_concurrent: 3})."""

    check_every_s: Annotated[int, duration(v.duration_between(600, 30 * 86400), "10m to 30d")] = (
        key(
            86400,
            "How often each source's canary runs (also once at start): a YouTube extraction, "
            "a YouTube Music search, Spotify as you read it, LRCLIB, each media server.",
            unit="seconds",
            name="check_every",
        )
    )
    first_check_after_s: Annotated[float, SHORT] = key(
        30.0,
        "How long after start the first round runs (tests).",
        unit="seconds",
        name="first_check_after",
        hidden=True,
    )
    youtube_max_concurrent: Annotated[int, CONCURRENT] = key(
        3,
        "YouTube downloads and listings under way at once, across all processes.",
        name="youtube.max_concurrent",
    )
    youtube_min_interval_s: Annotated[float, INTERVAL] = key(
        0.0,
        "Least time from one YouTube download or listing starting or ending to the next starting.",
        unit="seconds",
        name="youtube.min_interval",
    )
    spotify_max_concurrent: Annotated[int, CONCURRENT] = key(
        1,
        "Spotify Web API calls under way at once. 1: a 429 met by one call stops every other "
        "caller before it asks (the Retry-After is then kept by all).",
        name="spotify.max_concurrent",
    )
    spotify_min_interval_s: Annotated[float, INTERVAL] = key(
        0.0,
        "Least time from one Spotify Web API call starting or ending to the next starting.",
        unit="seconds",
        name="spotify.min_interval",
    )
    musicbrainz_max_concurrent: Annotated[int, CONCURRENT] = key(
        1,
        "MusicBrainz lookups under way at once.",
        name="musicbrainz.max_concurrent",
    )
    musicbrainz_min_interval_s: Annotated[float, INTERVAL] = key(
        1.0,
        "Least time between two MusicBrainz lookups (its published limit: 1 request/s).",
        unit="seconds",
        name="musicbrainz.min_interval",
    )
    acoustid_max_concurrent: Annotated[int, CONCURRENT] = key(
        1, "AcoustID lookups under way at once.", name="acoustid.max_concurrent"
    )
    acoustid_min_interval_s: Annotated[float, INTERVAL] = key(
        0.34,
        "Least time between two AcoustID lookups (its published limit: 3 requests/s).",
        unit="seconds",
        name="acoustid.min_interval",
    )
    direct_max_concurrent: Annotated[int, CONCURRENT] = key(
        0,
        "Downloads from any other site (direct links, other sites yt-dlp knows) under way at "
        "once; 0: only download.workers limits them.",
        name="direct.max_concurrent",
    )
    direct_min_interval_s: Annotated[float, INTERVAL] = key(
        0.0,
        "Least time from one such download starting or ending to the next starting.",
        unit="seconds",
        name="direct.min_interval",
    )

    def limit_of(self, source: str) -> tuple[int, float]:
        """(max_concurrent, min_interval in seconds) of ``source``; (0, 0) for one unknown."""
        concurrent = getattr(self, f"{source}_max_concurrent", 0)
        interval = getattr(self, f"{source}_min_interval_s", 0.0)
        return int(concurrent), float(interval)


class MusicBrainzConfig(Section):
    """Who each track is on MusicBrainz: its recording and release, looked up by ISRC (or by
    artist, title and length), written as the tags Picard writes. At most one request per
    second, as MusicBrainz asks; answers are kept in the ledger."""

    enabled: Annotated[bool, BOOL] = key(
        True,
        "Look tracks up on MusicBrainz and tag them with their MusicBrainz IDs (only the ISRC, "
        "or the artist, title and length, are sent).",
    )
    api_url: Annotated[str, HTTP_URL] = key(
        "https://musicbrainz.org/ws/2/", "Advanced: the MusicBrainz web service's base URL."
    )
    contact: Annotated[str | None, OPTIONAL_TEXT] = key(
        None,
        "Your e-mail or a URL, added to the User-Agent MusicBrainz sees, so its operators can "
        "reach you rather than block you; empty: the project's address.",
        example="me@example.org",
    )


class AcoustidConfig(Section):
    """The fingerprint check: the first 120 s of each download are fingerprinted (Chromaprint)
    and looked up on AcoustID, which says which recording the audio is. Only the fingerprint
    and the length are sent, never audio."""

    api_key: Annotated[str | None, OPTIONAL_TEXT, WHOLE] = key(
        None,
        "An AcoustID application API key (free: sign in at acoustid.org, then 'Register a new "
        "application'). Empty: no fingerprint check; tracks are filed as unverified.",
        env=("ACOUSTID_API_KEY",),
    )
    api_url: Annotated[str, HTTP_URL] = key(
        "https://api.acoustid.org/v2/", "Advanced: the AcoustID web service's base URL."
    )
