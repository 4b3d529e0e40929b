"""``spotsyncd doctor``: check the set-up and explain every problem with a fix.

The set-up's own checks (config, directories, ffmpeg, yt-dlp, the JavaScript runtime,
Spotify, the ledger, media servers, the network, the service) live here; ``run_checks`` adds the
scale-out checks (doctor_scale.py), the web checks (webcheck.py), YouTube's cookies and
PO-token provider (youtube.py) and whether AcoustID takes the key (acoustid_key.py). All yield
``Check`` (checks.py).
"""

from __future__ import annotations

import stat
import subprocess
from collections.abc import Callable, Iterator
from datetime import date

from spotsyncd.core.config import Config, prepare_dirs
from spotsyncd.core.errors import ConfigError
from spotsyncd.engine.health.acoustid_key import acoustid_key_check
from spotsyncd.engine.health.checks import Check
from spotsyncd.engine.health.doctor_scale import scale_checks
from spotsyncd.engine.health.webcheck import web_checks
from spotsyncd.engine.health.youtube import cookie_checks, pot_provider_check


def run_checks(
    config: Config, *, repair: bool = False, today: Callable[[], date] = date.today
) -> list[Check]:
    checks: list[Check] = [Check("config", "ok", str(config.source or "defaults (no file)"))]
    checks += _config_permissions(config)
    checks += _dirs(config)
    checks += _ffmpeg(config)
    checks += _identity(config)
    checks += acoustid_key_check(config)
    checks += _ytdlp(config, today())
    checks += _js_runtime()
    checks += cookie_checks(config)
    checks += pot_provider_check(config)
    checks += _spotify(config)
    checks += scale_checks(config)
    checks += _ledger(config, repair)
    checks += _media_servers(config)
    checks += _network(config)
    checks += _service()
    checks += web_checks(config)
    return checks


def _network(config: Config) -> Iterator[Check]:
    """Name resolution and HTTPS reach to the hosts the config needs, and the daemon's offline
    circuit. Unreachable is a warning: the daemon waits for the network by itself."""
    from spotsyncd.engine.resilience.circuits import OFFLINE, Circuits
    from spotsyncd.system.netcheck import check_https

    offline = Circuits.read(config.state_dir / "circuits.json").get(OFFLINE)
    if offline and offline.get("open"):
        yield Check(
            "network",
            "warn",
            f"the daemon is {offline.get('reason')}",
            "check the network connection; downloads resume by themselves once it is back",
        )
    failed: dict[tuple[str, str], list[str]] = {}  # (stage, detail) -> the hosts failing so
    for result in check_https(config.check_urls()):
        if result.ok:
            yield Check(f"reach {result.host}", "ok", f"{result.detail} ({result.seconds:.2f}s)")
        else:
            failed.setdefault((result.stage, result.detail), []).append(result.host)
    stages = {"dns": "cannot resolve", "connect": "cannot connect to", "https": "no HTTPS from"}
    for (stage, detail), hosts in failed.items():  # no internet: one warning, not one per host
        yield Check(
            f"reach {hosts[0]}" if len(hosts) == 1 else "reach",
            "warn",
            f"{stages[stage]} {', '.join(hosts)}: {detail}",
            "check the network connection, DNS and any firewall or proxy; spotsyncd waits "
            "for the network by itself (set network.check_urls to the hosts you can reach)",
        )


def _config_permissions(config: Config) -> Iterator[Check]:
    if config.source is None or not config.secrets:
        return
    try:
        mode = config.source.stat().st_mode
    except OSError:
        return
    text = config.source.read_text(encoding="utf-8", errors="replace")
    if "client_secret" not in text and not config.media_servers:
        return
    if mode & (stat.S_IROTH | stat.S_IRGRP):
        yield Check(
            "config permissions",
            "warn",
            f"{config.source} holds secrets (spotify.client_secret or media_servers "
            "credentials) and is readable by others "
            f"(mode {stat.filemode(mode)})",
            f"chmod 600 {config.source}",
        )


def _dirs(config: Config) -> Iterator[Check]:
    try:
        prepare_dirs(config)
    except ConfigError as exc:
        yield Check(
            "directories",
            "fail",
            str(exc),
            "fix the path or its permissions, or choose another in the config",
        )
        return
    yield Check(
        "directories",
        "ok",
        f"library {config.library_dir}, inbox {config.inbox_dir}, state {config.state_dir}",
    )


def _ffmpeg(config: Config) -> Iterator[Check]:
    from spotsyncd.system.tools import find_ffmpeg

    try:
        program = find_ffmpeg(config.download.ffmpeg)
        version = subprocess.run(
            [str(program.path), "-hide_banner", "-version"],
            capture_output=True,
            text=True,
            timeout=20,
        ).stdout
        encoders = subprocess.run(
            [str(program.path), "-hide_banner", "-encoders"],
            capture_output=True,
            text=True,
            timeout=20,
        ).stdout
    except (OSError, subprocess.SubprocessError, RuntimeError) as exc:
        yield Check(
            "ffmpeg",
            "fail",
            f"no usable ffmpeg: {exc}",
            "reinstall spotsyncd (it bundles ffmpeg via imageio-ffmpeg) or set "
            "download.ffmpeg to a system ffmpeg",
        )
        return
    first = version.splitlines()[0] if version else "unknown version"
    if config.download.ffmpeg and program.origin != "configured":
        yield Check(
            "ffmpeg",
            "warn",
            f"download.ffmpeg {config.download.ffmpeg} is not "
            f"executable; using the bundled one ({program.path})",
            "fix download.ffmpeg or remove it",
        )
    if "libmp3lame" not in encoders:
        yield Check(
            "ffmpeg",
            "fail",
            f"{program.path} ({first}) has no MP3 encoder (libmp3lame)",
            "use an ffmpeg built with libmp3lame, or the bundled one",
        )
        return
    yield Check("ffmpeg", "ok", f"{program.origin}: {program.path} ({first}); MP3 encoder present")


def _identity(config: Config) -> Iterator[Check]:
    """MusicBrainz and AcoustID: on or off, and whether ffmpeg can fingerprint."""
    key, brainz = config.acoustid.api_key, config.musicbrainz.enabled
    if not key:
        what = "MusicBrainz IDs on" if brainz else "off"
        yield Check("identity", "ok", f"{what}; no fingerprint check (no acoustid.api_key: "
                    "see the Identity guide to get a free key)")  # fmt: skip
        return
    from spotsyncd.identity.fingerprint import identity_problem
    from spotsyncd.system.tools import find_ffmpeg

    problem = identity_problem(find_ffmpeg(config.download.ffmpeg).path)
    if problem is not None:
        yield Check("identity", "fail", problem, "unset download.ffmpeg (the bundled one has it)")
        return
    yield Check("identity", "ok", "fingerprints checked on AcoustID"
                + (", MusicBrainz IDs on" if brainz else ""))  # fmt: skip


def ytdlp_check(config: Config, today: date) -> Check:
    """yt-dlp's version and age as one finding (the dashboard's health page shows it)."""
    return next(_ytdlp(config, today))


def _ytdlp(config: Config, today: date) -> Iterator[Check]:
    """The yt-dlp in use (a release under the state dir after an update, else the installed
    one) and its age: YouTube breaks old releases within weeks."""
    from spotsyncd.extractors.updater import Updater
    from spotsyncd.sources.ytdlp.releases import age_days

    info = Updater(config, None).status()
    version = info["version"]
    if version is None:
        yield Check("yt-dlp", "fail", "yt-dlp is not installed", "pip install -U 'yt-dlp[default]'")
        return
    where = "as installed" if info["where"] == "installed" else f"from {info['folder']}"
    age = age_days(version, today)
    newest = f"; {info['newest']} is available" if info["update_available"] else ""
    if age is None:
        yield Check("yt-dlp", "ok", f"version {version} ({where}){newest}")
    elif age > config.extractors.max_age_days:
        yield Check(
            "yt-dlp",
            "warn",
            f"version {version} ({where}) is {age} days old{newest}; YouTube breaks old versions",
            "run 'spotsyncd extractors update' (or set extractors.auto_update: install)",
        )
    else:
        yield Check("yt-dlp", "ok", f"version {version} ({where}, {age} days old){newest}")


def _js_runtime() -> Iterator[Check]:
    from spotsyncd.system.tools import find_js_runtime

    runtime = find_js_runtime()
    if runtime is None:
        yield Check(
            "javascript runtime",
            "fail",
            "no deno/node found: YouTube downloads will fail (yt-dlp needs one to solve "
            "YouTube's player challenges)",
            "pip install deno (in spotsyncd's venv)",
        )
        return
    try:
        out = subprocess.run(
            [str(runtime.path), "--version"], capture_output=True, text=True, timeout=20
        ).stdout.splitlines()
    except (OSError, subprocess.SubprocessError) as exc:
        yield Check(
            "javascript runtime",
            "fail",
            f"{runtime.path} does not run: {exc}",
            "reinstall the deno package",
        )
        return
    first = out[0] if out else "unknown version"
    yield Check("javascript runtime", "ok", f"{runtime.path} ({first}): YouTube downloads can work")


def _spotify(config: Config) -> Iterator[Check]:
    cfg = config.spotify
    logged_in = config.token_cache.is_file()
    if cfg.client_id and logged_in:
        yield Check(
            "spotify",
            "ok",
            "logged in (user token cached): tracks, albums, your own and "
            "collaborative playlists, Liked Songs",
        )
    elif cfg.client_id and cfg.client_secret:
        yield Check(
            "spotify",
            "ok",
            "client credentials: tracks and albums; other people's "
            "playlists via the public embed page (first ~100 tracks)",
            "run 'spotsyncd auth spotify' to read your own playlists and Liked Songs",
        )
    else:
        yield Check(
            "spotify",
            "ok",
            "no credentials: public embed pages only (title, artists, "
            "duration; playlists up to ~100 tracks; no album or ISRC)",
            "set spotify.client_id/client_secret for full metadata",
        )
    if logged_in:
        mode = config.token_cache.stat().st_mode & 0o777
        if mode & 0o077:
            yield Check(
                "spotify token",
                "warn",
                f"{config.token_cache} has mode {oct(mode)}",
                f"chmod 600 {config.token_cache}",
            )


def _ledger(config: Config, repair: bool) -> Iterator[Check]:
    from spotsyncd.ledger import Ledger
    from spotsyncd.ledger.consistency import repair_missing_files

    try:
        ledger = Ledger(config.ledger_target)
    except Exception as exc:  # noqa: BLE001 - doctor reports, never crashes
        yield Check(
            "ledger",
            "fail",
            str(exc) if config.ledger.url else f"{config.ledger_path} cannot be opened: {exc}",
            "start the database server or correct 'ledger.url'"
            if config.ledger.url
            else "restore it from a backup, or move it aside to start a fresh ledger",
        )
        return
    try:
        problems = ledger.integrity_check()
        if problems:
            yield Check(
                "ledger",
                "fail",
                "integrity check: " + "; ".join(problems[:5]),
                "stop spotsyncd and restore the ledger from a backup",
            )
        else:
            counts = ledger.counts()
            yield Check(
                "ledger",
                "ok",
                f"{ledger.where}: integrity ok; "
                + ", ".join(f"{n} {s}" for s, n in counts.items()),
            )
        missing = repair_missing_files(ledger, config.library_dir, repair=repair)
        if missing:
            yield Check(
                "library files",
                "ok" if repair else "warn",
                f"{len(missing)} done tracks have no file any more (e.g. {missing[0]})"
                + ("; queued again" if repair else ""),
                "" if repair else "run 'spotsyncd doctor --repair' to download them again",
            )
        else:
            yield Check("library files", "ok", "every done track has its file")
    finally:
        ledger.close()


def _media_servers(config: Config) -> Iterator[Check]:
    """Each media server: reachable, credentials accepted, scanning spotsyncd's library."""
    if not config.media_servers:
        return
    from spotsyncd.mediaservers.base import SampleTrack
    from spotsyncd.mediaservers.servers import build_clients

    samples: list[SampleTrack] = []
    try:
        from spotsyncd.core.models import JobState
        from spotsyncd.ledger import Ledger

        ledger = Ledger(config.ledger_path)
        try:
            rows = ledger.tracks(state=JobState.DONE, limit=3)
        finally:
            ledger.close()
        samples = [SampleTrack(r.title, r.artist, r.path) for r in rows if r.title and r.path]
    except Exception:  # noqa: BLE001 - the ledger check above reports ledger trouble
        samples = []
    for client in build_clients(config):
        for finding in client.diagnose(samples):
            yield Check(f"media server {client.label}", finding.status, finding.detail, finding.fix)


def _service() -> Iterator[Check]:
    from spotsyncd.system import service

    try:
        platform = service.detect_platform()
    except Exception:  # noqa: BLE001 - unsupported platform: nothing to check
        return
    if not service.is_installed(platform):
        yield Check(
            "service",
            "ok",
            "not installed (optional)",
            "run 'spotsyncd service install' to run spotsyncd in the background",
        )
        return
    try:
        state = service.status(platform)
    except Exception as exc:  # noqa: BLE001
        yield Check("service", "warn", f"installed, state unknown: {exc}")
        return
    yield Check(
        "service",
        "ok" if state.active else "warn",
        f"{state.path}: {state.state}",
        "" if state.active else "spotsyncd service start",
    )
