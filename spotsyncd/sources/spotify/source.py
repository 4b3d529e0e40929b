"""Spotify as a source of track metadata and collection listings (the only spotipy user).

Three ways in, chosen per call from what is configured:

* ``user``: a PKCE login (``spotsyncd auth spotify``) cached in the token file: albums, owned
  playlists and Liked Songs;
* ``app``: client credentials (id + secret): tracks and albums; other people's playlists
  answer 403 since 2026 and fall back to the embed page;
* ``embed``: no credentials: the public embed page (no album/ISRC, ~100 tracks at most).

What each can read, and how a playlist read only in part says so, is in ``limits.py``.

spotipy is built so that it never sleeps on a 429: we raise RateLimitedError with the
server's Retry-After, and refuse further calls without a request until that time has passed.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

import requests
import spotipy
from spotipy.exceptions import SpotifyException, SpotifyOauthError

from spotsyncd.core.config import SpotifyConfig
from spotsyncd.core.errors import (
    AuthError,
    ConfigError,
    CredentialsError,
    LinkError,
    NetworkDownError,
    PermanentError,
    RateLimitedError,
    SpotsyncError,
    TransientError,
    network_down_cause,
)
from spotsyncd.core.models import Listing, TrackMeta
from spotsyncd.sources.spotify.artist import (
    ARTIST_PAGE_LIMIT,
    artist_listing,
    embed_artist_listing,
    release_identity,
)
from spotsyncd.sources.spotify.auth import (
    FileTokenCache,
    client_credentials_manager,
    pkce_manager,
    quiet_spotipy_debug_logs,
    wait_for_callback,
)
from spotsyncd.sources.spotify.embed import (
    EMBED_NOTE,
    EmbedEntity,
    EmbedPageError,
    parse_embed_page,
)
from spotsyncd.sources.spotify.limits import is_spotify_made, partial_note, spotify_made_reason
from spotsyncd.sources.spotify.parse import (
    entries_to_items,
    listed_item,
    listing,
    to_int,
    to_text,
    track_meta,
)

Mode = Literal["user", "app", "embed"]
LOGIN_EXPIRED = "Spotify login expired: re-run 'spotsyncd auth spotify'"
PAGE_LIMIT = 50
DEFAULT_RETRY_AFTER_S = 60.0
_KEY = re.compile(r"^spotify:(?:(?P<kind>track|album|playlist|artist):(?P<id>[A-Za-z0-9]+)|liked)$")
_BROWSER_UA = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124"


class _Refused(Exception):
    """The API said 403/404 where the caller has another way (the embed page)."""

    def __init__(self, status: int) -> None:
        super().__init__(status)
        self.status = status


class SpotifySource:
    def __init__(
        self,
        cfg: SpotifyConfig,
        token_cache: Path,
        *,
        session: requests.Session | None = None,
        timeout_s: float = 15.0,
        clock: Callable[[], float] = time.time,
        artist_include: tuple[str, ...] = ("album", "single"),
    ) -> None:
        self._cfg = cfg
        self._artist_include = artist_include
        self._tokens = FileTokenCache(token_cache)
        self._embed_session = session
        self._timeout_s = timeout_s
        self._clock = clock
        self._api_session: requests.Session | None = None
        self._client: Any = None
        self._client_mode: Mode | None = None
        self._blocked_until: float | None = None
        self._expired_token_mtime: float | None = None  # the token file that failed to refresh
        quiet_spotipy_debug_logs()

    # ------------------------------------------------------------------ public API
    @property
    def mode(self) -> Mode:
        if self._cfg.client_id and self._tokens.has_login():
            return "user"
        if self._cfg.client_id and self._cfg.client_secret:
            return "app"
        return "embed"

    def blocked_until(self) -> float | None:
        """Epoch seconds until which Spotify asked us to stay away (None: not blocked)."""
        if self._blocked_until is not None and self._clock() >= self._blocked_until:
            self._blocked_until = None
        return self._blocked_until

    def track(self, track_id: str) -> TrackMeta:
        track_id = track_id.rsplit(":", 1)[-1].rsplit("/", 1)[-1]
        if self.mode == "embed":
            return self._embed("track", track_id).meta
        data = self._get(f"tracks/{track_id}", f"track {track_id}", market=self._cfg.market)
        return track_meta(data)

    def list(self, key: str) -> Listing:
        kind, item_id = _parse_key(key)
        if kind == "album":
            return self._list_album(item_id)
        if kind == "playlist":
            return self._list_playlist(item_id)
        if kind == "liked":
            return self._list_liked()
        if kind == "artist":
            return self._list_artist(item_id)
        raise LinkError(f"{key} is a single track, not a collection")

    def snapshot(self, key: str) -> str | None:
        """The playlist's snapshot_id (an artist's release-list identity) in one small request;
        None when it cannot be known."""
        kind, item_id = _parse_key(key)
        if kind not in ("playlist", "artist") or self.mode == "embed":
            return None
        if kind == "artist":
            try:
                first = self._artist_first_page(item_id, f"the releases of artist {item_id}")
            except _Refused:
                return None
            return release_identity(first, self._artist_include)
        try:
            data = self._get(
                f"playlists/{item_id}", f"playlist {item_id}", soft=(403, 404), fields="snapshot_id"
            )
        except _Refused:
            return None
        snapshot = data.get("snapshot_id")
        return snapshot if isinstance(snapshot, str) and snapshot else None

    def login(
        self,
        open_browser: bool,
        *,
        timeout_s: float = 300.0,
        show_url: Callable[[str], None] | None = None,
    ) -> str:
        """Authorization Code with PKCE via a loopback redirect; returns the display name."""
        if not self._cfg.client_id:
            raise ConfigError("needed for 'spotsyncd auth spotify'", key="spotify.client_id")
        manager = pkce_manager(self._cfg, self._tokens, self._session())
        code = wait_for_callback(
            manager,
            self._cfg.redirect_port,
            open_browser=open_browser,
            timeout_s=timeout_s,
            show_url=show_url or _print_url,
        )
        try:
            manager.get_access_token(code=code, check_cache=False)
        except (SpotifyOauthError, requests.RequestException) as exc:
            raise self._translate(exc, "the Spotify login") from None
        self._client = None
        self._expired_token_mtime = None
        me = self._get("me", "your Spotify profile")
        return str(me.get("display_name") or me.get("id") or "unknown user")

    def close(self) -> None:
        if self._api_session is not None:
            self._api_session.close()
            self._api_session = None
        self._client = None

    # ------------------------------------------------------------------ listings
    def _list_album(self, album_id: str) -> Listing:
        if self.mode == "embed":
            return self._embedlisting("album", album_id)
        what = f"album {album_id}"
        album = self._get(f"albums/{album_id}", what, market=self._cfg.market)
        first = album.get("tracks")
        if not (isinstance(first, dict) and isinstance(first.get("items"), list)):
            first = self._get(
                f"albums/{album_id}/tracks", what, limit=PAGE_LIMIT, market=self._cfg.market
            )
        rows = [t for t in self._pages(first, what) if isinstance(t, dict) and t.get("id")]
        discs = [to_int(t.get("disc_number")) or 1 for t in rows]
        per_disc = {d: discs.count(d) for d in set(discs)}
        items = []
        for row, disc in zip(rows, discs, strict=True):
            meta = track_meta(row, album=album)
            meta = TrackMeta.from_dict(
                meta.to_dict() | {"track_total": per_disc[disc], "disc_total": max(discs)}
            )
            items.append(listed_item(str(row["id"]), meta))
        return listing(to_text(album.get("name")), items, None, images=album.get("images"))

    def _list_playlist(self, playlist_id: str) -> Listing:
        if self.mode == "embed":
            return self._embed_playlist(playlist_id)
        what = f"playlist {playlist_id}"
        try:
            playlist = self._get(
                f"playlists/{playlist_id}",
                what,
                soft=(403, 404),
                market=self._cfg.market,
                additional_types="track",
            )
        except _Refused:  # 404: one of Spotify's own playlists (or none at all)
            return self._embed_playlist(playlist_id)
        snapshot = to_text(playlist.get("snapshot_id"))
        first = playlist.get("items", playlist.get("tracks"))  # 2026 name first, then the old one
        if not (isinstance(first, dict) and isinstance(first.get("items"), list)):
            # Someone else's playlist: metadata only (its size, where the API still gives it).
            total = to_int(first.get("total")) if isinstance(first, dict) else None
            owner = to_text((playlist.get("owner") or {}).get("id"))
            try:
                first = self._playlist_first_page(playlist_id, what)
            except _Refused:
                return self._embed_playlist(playlist_id, snapshot, total=total, owner=owner)
        entries = list(self._pages(first, what))
        name, images = to_text(playlist.get("name")), playlist.get("images")
        return listing(name, entries_to_items(entries), snapshot, images=images)

    def _playlist_first_page(self, playlist_id: str, what: str) -> dict[str, Any]:
        params: dict[str, Any] = {
            "limit": PAGE_LIMIT,
            "market": self._cfg.market,
            "additional_types": "track",
        }
        try:
            return self._get(f"playlists/{playlist_id}/items", what, soft=(403, 404), **params)
        except _Refused as refused:
            if refused.status != 404:
                raise
        # Servers (and proxies) from before 2026 only know the old endpoint.
        return self._get(f"playlists/{playlist_id}/tracks", what, soft=(403,), **params)

    def _list_artist(self, artist_id: str) -> Listing:
        if self.mode == "embed":
            return embed_artist_listing(self._embed("artist", artist_id), "no credentials")
        what = f"the releases of artist {artist_id}"
        try:
            first = self._artist_first_page(artist_id, what)
        except _Refused as refused:
            why = f"the Web API answered HTTP {refused.status}"
            return embed_artist_listing(self._embed("artist", artist_id), why)
        rows = list(self._pages(first, what))
        return artist_listing(artist_id, first, rows, self._artist_include)

    def _artist_first_page(self, artist_id: str, what: str) -> dict[str, Any]:
        return self._get(
            f"artists/{artist_id}/albums",
            what,
            soft=(403, 404),
            include_groups=",".join(self._artist_include),
            limit=ARTIST_PAGE_LIMIT,
            market=self._cfg.market,
        )

    def _list_liked(self) -> Listing:
        if self.mode != "user":
            raise AuthError("Liked Songs need a Spotify login: run 'spotsyncd auth spotify'")
        what = "your Liked Songs"
        first = self._get("me/tracks", what, limit=PAGE_LIMIT, market=self._cfg.market)
        return listing("Liked Songs", entries_to_items(list(self._pages(first, what))), None)

    def _pages(self, page: dict[str, Any], what: str) -> Iterator[Any]:
        while True:
            yield from page.get("items") or []
            next_url = page.get("next")
            if not isinstance(next_url, str) or not next_url:
                return
            page = self._get(next_url, what)  # absolute URL, used as given

    # ------------------------------------------------------------------ embed page
    def _embed_playlist(
        self,
        playlist_id: str,
        snapshot: str | None = None,
        *,
        total: int | None = None,
        owner: str | None = None,
    ) -> Listing:
        """A playlist from its embed page, saying what that leaves out (see ``limits``)."""
        try:
            entity = self._embed("playlist", playlist_id)
        except PermanentError:
            if is_spotify_made(playlist_id, owner):
                raise PermanentError(spotify_made_reason(playlist_id)) from None
            raise
        made = is_spotify_made(playlist_id, owner or entity.owner)
        items = [listed_item(t.track_id, t.meta) for t in entity.tracks]
        if not items and made:
            raise PermanentError(spotify_made_reason(playlist_id))
        partial = partial_note(
            read=len(items), listed=entity.listed, total=total, mode=self.mode, spotify_made=made
        )
        notes = (partial, EMBED_NOTE) if partial else (EMBED_NOTE,)
        cover = [{"url": entity.meta.cover_url}] if entity.meta.cover_url else None
        return listing(entity.name, items, snapshot, notes=notes, images=cover)

    def _embedlisting(self, kind: str, item_id: str, snapshot: str | None = None) -> Listing:
        entity = self._embed(kind, item_id)
        items = [listed_item(t.track_id, t.meta) for t in entity.tracks]
        cover = [{"url": entity.meta.cover_url}] if entity.meta.cover_url else None
        return listing(entity.name, items, snapshot, notes=(EMBED_NOTE,), images=cover)

    def _embed(self, kind: str, item_id: str) -> EmbedEntity:
        self._check_rate_gate()
        if self._embed_session is None:
            self._embed_session = requests.Session()
        url = f"{self._cfg.embed_url}{kind}/{item_id}"
        what = f"the Spotify embed page of {kind} {item_id}"
        try:
            response = self._embed_session.get(
                url, timeout=self._timeout_s, headers={"User-Agent": _BROWSER_UA}
            )
        except requests.RequestException as exc:
            raise _unreachable(exc, what, url) from None
        if response.status_code != 200:
            raise self._status_error(response.status_code, response.headers, what)
        try:
            return parse_embed_page(response.text)
        except EmbedPageError as exc:
            raise PermanentError(f"{what}: {exc}") from None

    # ------------------------------------------------------------------ API calls
    def _session(self) -> requests.Session:
        if self._api_session is None:
            # A plain Session has no retry adapter: spotipy would otherwise mount one that
            # sleeps on 429 for as long as Retry-After says.
            self._api_session = requests.Session()
        return self._api_session

    def _spotipy(self) -> Any:
        mode = self.mode
        if self._client is None or self._client_mode != mode:
            if mode == "user":
                manager: Any = pkce_manager(self._cfg, self._tokens, self._session())
            else:
                manager = client_credentials_manager(self._cfg, self._session())
            client = spotipy.Spotify(
                auth_manager=manager,
                requests_session=self._session(),
                requests_timeout=self._timeout_s,
                retries=0,
                status_retries=0,
                backoff_factor=0,
            )
            client.prefix = self._cfg.api_url.rstrip("/") + "/"
            self._client, self._client_mode = client, mode
        return self._client

    def _get(
        self, path: str, what: str, *, soft: tuple[int, ...] = (), **params: Any
    ) -> dict[str, Any]:
        self._check_rate_gate()
        self._check_login_gate()
        client = self._spotipy()
        for attempt in range(2):
            try:
                data = client._get(path, **params)  # spotipy's request path: auth, JSON, errors
            except SpotifyException as exc:
                if exc.http_status == 401 and attempt == 0:
                    self._refresh(client, what)
                    continue
                if exc.http_status in soft:
                    raise _Refused(exc.http_status) from None
                raise self._translate(exc, what) from None
            except (SpotifyOauthError, requests.RequestException, AuthError) as exc:
                raise self._translate(exc, what) from None
            if not isinstance(data, dict):
                raise TransientError(f"Spotify answered {what} with something other than JSON")
            return data
        raise CredentialsError(
            f"Spotify refused our token for {what} even after a refresh: re-run "
            "'spotsyncd auth spotify' or check spotify.client_id/client_secret",
            service="spotify",
        )

    def _refresh(self, client: Any, what: str) -> None:
        """One forced token refresh after a 401 (the token expired or was revoked early)."""
        manager = client.auth_manager
        try:
            if self._client_mode == "user":
                token = self._tokens.get_cached_token() or {}
                manager.refresh_access_token(token.get("refresh_token"))
            else:
                manager.get_access_token(as_dict=False, check_cache=False)
        except (SpotifyOauthError, requests.RequestException) as exc:
            raise self._translate(exc, what) from None

    def _check_rate_gate(self) -> None:
        until = self.blocked_until()
        if until is not None:
            wait = until - self._clock()
            raise RateLimitedError(
                f"Spotify rate limit: not asking again for {wait:.0f} s",
                retry_after=wait,
                service="spotify",
            )

    def _check_login_gate(self) -> None:
        if self._expired_token_mtime is None:
            return
        if self._token_mtime() == self._expired_token_mtime:
            raise CredentialsError(LOGIN_EXPIRED, service="spotify")
        self._expired_token_mtime = None  # a new login replaced the file: try again

    def _token_mtime(self) -> float | None:
        try:
            return self._tokens.path.stat().st_mtime
        except OSError:
            return None

    def _translate(self, exc: Exception, what: str) -> SpotsyncError:
        """Our error for a spotipy/requests one; never echoes tokens or the client secret."""
        if isinstance(exc, SpotsyncError):
            return exc
        if isinstance(exc, SpotifyException):
            return self._status_error(exc.http_status, exc.headers or {}, what)
        if isinstance(exc, SpotifyOauthError):
            if exc.error == "invalid_grant" and self._client_mode == "user":
                self._expired_token_mtime = self._token_mtime()
                return CredentialsError(LOGIN_EXPIRED, service="spotify")
            if exc.error in ("invalid_client", "invalid_grant", "unauthorized_client"):
                return CredentialsError(
                    f"Spotify refused our credentials ({exc.error}) for {what}: "
                    "check spotify.client_id and spotify.client_secret",
                    service="spotify",
                )
            return TransientError(f"Spotify's token service failed for {what}: try again later")
        return _unreachable(exc, f"Spotify for {what}", self._cfg.api_url)

    def _status_error(self, status: int, headers: Any, what: str) -> SpotsyncError:
        if status == 429:
            retry_after = _retry_after(headers.get("Retry-After"))
            self._blocked_until = self._clock() + retry_after
            return RateLimitedError(
                f"Spotify rate limit on {what}: retry after {retry_after:.0f} s",
                retry_after=retry_after,
                service="spotify",
            )
        if status in (401, 403):
            return AuthError(
                f"Spotify refused access to {what} (HTTP {status}): check the "
                "credentials or re-run 'spotsyncd auth spotify'"
            )
        if status in (400, 404):
            return PermanentError(f"Spotify has no {what} (HTTP {status})")
        return TransientError(f"Spotify answered HTTP {status} for {what}: try again later")


def _parse_key(key: str) -> tuple[str, str]:
    match = _KEY.match(key.strip())
    if match is None:
        raise LinkError(
            f"not a Spotify key: {key!r} (expected spotify:album:ID, spotify:playlist:ID, "
            "spotify:artist:ID, spotify:track:ID or spotify:liked)"
        )
    return (match["kind"], match["id"]) if match["kind"] else ("liked", "")


def _retry_after(value: Any) -> float:
    try:
        seconds = float(value)
    except (TypeError, ValueError):
        return DEFAULT_RETRY_AFTER_S
    return seconds if seconds >= 0 else DEFAULT_RETRY_AFTER_S


def _print_url(url: str) -> None:
    print(f"Open this link to allow spotsyncd to read your Spotify library:\n{url}", flush=True)


def _unreachable(exc: BaseException, what: str, url: str) -> TransientError:
    """A connection-level failure: network-down (DNS, refused, unreachable) or transient."""
    cause = network_down_cause(exc)
    if cause is None:
        return TransientError(f"cannot reach {what}: {type(exc).__name__}")
    host = urlsplit(url).netloc
    return NetworkDownError(f"cannot reach {what} ({host}): {cause}", host=host)
