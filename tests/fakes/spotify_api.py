"""A loopback fake of Spotify: Web API, accounts service (tokens, PKCE) and embed pages.

    with FakeSpotify() as fake:
        ids = fake.add_album("alb1", "Album", ["Artist"], ["One", "Two"])
        fake.add_playlist("pl1", ids)                    # owned by fake.user_id
        cfg = SpotifyConfig(client_id=fake.client_id, client_secret=fake.client_secret,
                            api_url=fake.api_url, token_url=fake.token_url,
                            auth_url=fake.auth_url, embed_url=fake.embed_url)

``shape="2026"`` (default) serves ``items``/``item`` and ``/playlists/{id}/items`` (page limit
50; other people's playlists answer 403); ``shape="2024"`` serves ``tracks``/``track`` and only
``/playlists/{id}/tracks``. Every request is counted in ``hits`` (by path); ``fault()`` scripts
answers such as a 429 with any Retry-After (``fault_api()``: to the next Web API requests, any
path), and ``api_calls`` keeps when each Web API request came. Stops and closes its port on exit.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Sequence
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

from tests.fakes.spotify_embed_page import collection_entity, embed_html, track_entity

Json = dict[str, Any]
OPEN = "https://open.spotify.com"
USER_SCOPES = "playlist-read-private playlist-read-collaborative user-library-read"


class FakeSpotify:
    client_id = "fake-client-id"
    client_secret = "fake-client-secret-d0n7-l34k"
    user_id = "fakeuser"
    display_name = "Fake User"

    def __init__(self, shape: str = "2026") -> None:
        self.shape = shape
        self.inline_first_page = True  # the playlist/album object carries its first page
        # Whether the object of someone else's playlist still says its size (items.total, no
        # items): reports of 2026 apps differ, so both are served.
        self.size_of_others = False
        self.local_images = False  # serve cover art from this server (for end-to-end tests)
        self._cover: bytes | None = None
        self.refresh_mode = "ok"  # "invalid_grant": the refresh token was revoked
        self.tracks: dict[str, Json] = {}
        self.albums: dict[str, Json] = {}
        self.album_tracks: dict[str, list[str]] = {}
        self.playlists: dict[str, Json] = {}
        self.liked: list[str] = []
        self.access_tokens: dict[str, str | None] = {}  # token -> user id (None: the app)
        self.refresh_tokens: dict[str, str] = {}
        self.codes: dict[str, Json] = {}
        self.grants: list[str] = []
        self.faults: dict[str, list[tuple[int, dict[str, str]]]] = defaultdict(list)
        self.hits: Counter[str] = Counter()
        self.api_calls: list[tuple[float, str]] = []  # (when, path) of every Web API request
        self.api_faults: list[tuple[int, dict[str, str]]] = []  # for the next /v1/ requests
        self.short_links: dict[str, tuple[int, str]] = {}  # "host/code" -> (status, Location)
        self.artists: dict[str, Json] = {}
        self.artist_albums: dict[str, list[str]] = {}  # artist id -> album ids
        self.album_groups: dict[str, str] = {}  # album id -> its album_group for the artist
        self.lock = threading.RLock()
        self._counter = 0
        owner = self

        class _Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
                pass

            def do_GET(self) -> None:  # noqa: N802
                owner._dispatch(self, "GET")

            def do_POST(self) -> None:  # noqa: N802
                owner._dispatch(self, "POST")

        self._handler = _Handler
        self._tls_servers: list[tuple[ThreadingHTTPServer, threading.Thread]] = []
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self.httpd.daemon_threads = True
        self.base = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(
            target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    # ------------------------------------------------------------------ lifecycle
    def __enter__(self) -> FakeSpotify:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        for httpd, thread in [(self.httpd, self.thread), *self._tls_servers]:
            httpd.shutdown()
            httpd.server_close()
            thread.join(timeout=5)

    def serve_tls(self, certfile: str, keyfile: str) -> int:
        """The same fake over HTTPS on another loopback port (for the short-link resolver,
        which speaks https only); returns the port."""
        import ssl

        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(certfile, keyfile)
        httpd = ThreadingHTTPServer(("127.0.0.1", 0), self._handler)
        httpd.daemon_threads = True
        httpd.socket = context.wrap_socket(httpd.socket, server_side=True)
        thread = threading.Thread(
            target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        thread.start()
        self._tls_servers.append((httpd, thread))
        return int(httpd.server_address[1])

    def add_short_link(self, short_url: str, location: str, status: int = 307) -> None:
        """``https://spotify.link/CODE`` answers ``status`` with ``Location: location``
        (Branch's plain redirect for curl-like clients; spoti.fi answers 301)."""
        parts = urlsplit(short_url)
        self.short_links[f"{parts.hostname}{parts.path}"] = (status, location)

    @property
    def api_url(self) -> str:
        return f"{self.base}/v1/"

    @property
    def token_url(self) -> str:
        return f"{self.base}/api/token"

    @property
    def auth_url(self) -> str:
        return f"{self.base}/authorize"

    @property
    def embed_url(self) -> str:
        return f"{self.base}/embed/"

    # ------------------------------------------------------------------ catalogue
    def cover_jpeg(self) -> bytes:
        """A small real JPEG (made once with the bundled ffmpeg)."""
        if self._cover is None:
            import subprocess

            from tests.fakes.audio import FFMPEG

            self._cover = subprocess.run(
                [
                    FFMPEG,
                    "-hide_banner",
                    "-loglevel",
                    "error",
                    "-f",
                    "lavfi",
                    "-i",
                    "color=c=red:s=64x64",
                    "-frames:v",
                    "1",
                    "-f",
                    "mjpeg",
                    "pipe:1",
                ],
                capture_output=True,
                check=True,
            ).stdout
        return self._cover

    def _new_id(self, prefix: str) -> str:
        self._counter += 1
        return f"{prefix}{self._counter:0>{22 - len(prefix)}}"

    def add_album(
        self,
        album_id: str,
        name: str,
        artists: list[str],
        titles: list[str],
        *,
        discs: int = 1,
        release_date: str = "2021-03-04",
    ) -> list[str]:
        """An album and its tracks (split evenly over ``discs``); returns the track IDs."""
        base = f"{self.base}/image" if self.local_images else None
        images = [
            _image(300, album_id, base),
            _image(640, album_id, base),
            _image(64, album_id, base),
        ]
        album = {
            "album_type": "album",
            "id": album_id,
            "name": name,
            "type": "album",
            "artists": [_artist(a) for a in artists],
            "images": images,
            "release_date": release_date,
            "release_date_precision": "day",
            "total_tracks": len(titles),
            "uri": f"spotify:album:{album_id}",
            "external_urls": {"spotify": f"{OPEN}/album/{album_id}"},
        }
        per_disc = -(-len(titles) // discs)
        ids = []
        for index, title in enumerate(titles):
            track_id = self._new_id("trk")
            self.tracks[track_id] = {
                "album": album,
                "artists": [_artist(a) for a in artists],
                "disc_number": index // per_disc + 1,
                "track_number": index % per_disc + 1,
                "duration_ms": 180_000 + index * 1000,
                "explicit": index % 2 == 1,
                "external_ids": {"isrc": f"QZFAKE{index:06d}"},
                "id": track_id,
                "external_urls": {"spotify": f"{OPEN}/track/{track_id}"},
                "is_local": False,
                "name": title,
                "type": "track",
                "uri": f"spotify:track:{track_id}",
            }
            ids.append(track_id)
        self.albums[album_id] = album
        self.album_tracks[album_id] = ids
        return ids

    @staticmethod
    def artist_id(name: str) -> str:
        return str(_artist(name)["id"])

    def add_release(
        self,
        artist: str,
        album_id: str,
        name: str,
        titles: list[str],
        *,
        group: str = "album",
        release_date: str = "2021-03-04",
    ) -> list[str]:
        """A release of ``artist`` (album_group ``album``, ``single``, ``compilation`` or
        ``appears_on``), listed by ``/artists/{id}/albums``; returns its track IDs."""
        ids = self.add_album(album_id, name, [artist], titles, release_date=release_date)
        album_type = {"appears_on": "album"}.get(group, group)
        self.albums[album_id]["album_type"] = album_type
        self.artist_albums.setdefault(self.artist_id(artist), []).append(album_id)
        self.artists[self.artist_id(artist)] = _artist(artist)
        self.album_groups[album_id] = group
        return ids

    def add_playlist(
        self,
        playlist_id: str,
        tracks: Sequence[str | None],
        owner: str | None = None,
        name: str | None = None,
        *,
        api_visible: bool = True,
    ) -> None:
        """Entries are track IDs, ``"local:Name"``, ``"episode:ID"`` or None (a removed track).
        ``api_visible=False`` makes the Web API answer 404 (editorial ``37i9…`` lists)."""
        with self.lock:
            self.playlists[playlist_id] = {
                "name": name or f"Playlist {playlist_id}",
                "owner": owner or self.user_id,
                "entries": list(tracks),
                "api_visible": api_visible,
            }
            self._touch(playlist_id)

    def add_tracks_to_playlist(self, playlist_id: str, track_ids: Sequence[str]) -> None:
        with self.lock:
            self.playlists[playlist_id]["entries"].extend(track_ids)
            self._touch(playlist_id)

    def remove_track_from_playlist(self, playlist_id: str, track_id: str) -> None:
        with self.lock:
            entries = self.playlists[playlist_id]["entries"]
            entries[:] = [e for e in entries if e != track_id]
            self._touch(playlist_id)

    def _touch(self, playlist_id: str) -> None:
        self.playlists[playlist_id]["snapshot_id"] = base64.b64encode(
            secrets.token_bytes(18)
        ).decode()

    def fault(
        self, path: str, status: int, *, retry_after: str | None = None, times: int = 1
    ) -> None:
        """Answer the next ``times`` requests to ``path`` (no query) with ``status`` (200: an
        HTML page instead of JSON)."""
        headers = {"Retry-After": retry_after} if retry_after is not None else {}
        self.faults[path].extend([(status, headers)] * times)

    def fault_api(self, status: int, *, retry_after: str | None = None, times: int = 1) -> None:
        """Answer the next ``times`` Web API requests (any /v1/ path) with ``status``."""
        headers = {"Retry-After": retry_after} if retry_after is not None else {}
        with self.lock:
            self.api_faults.extend([(status, headers)] * times)

    def issue_user_token(self) -> Json:
        """A token cache entry as a finished ``spotsyncd auth spotify`` would have saved it."""
        with self.lock:
            token = self._issue(self.user_id, USER_SCOPES)
        return token | {"expires_at": int(time.time()) + token["expires_in"]}

    def expire_tokens(self) -> None:
        """Every access token handed out so far stops working (the API answers 401)."""
        with self.lock:
            self.access_tokens.clear()

    # ------------------------------------------------------------------ dispatch
    def _dispatch(self, req: BaseHTTPRequestHandler, method: str) -> None:
        url = urlsplit(req.path)
        query = {k: v[0] for k, v in parse_qs(url.query).items()}
        length = int(req.headers.get("Content-Length") or 0)
        form = {k: v[0] for k, v in parse_qs(req.rfile.read(length).decode()).items()}
        with self.lock:
            self.hits[url.path] += 1
            fault = self.faults[url.path].pop(0) if self.faults.get(url.path) else None
            if url.path.startswith("/v1/"):
                self.api_calls.append((time.time(), url.path))
                if fault is None and self.api_faults:
                    fault = self.api_faults.pop(0)
        if fault is not None and fault[0] == 200:  # a captive portal or proxy page: 200 + HTML
            _send_html(req, "<html><body>Please log in to the hotel Wi-Fi</body></html>")
            return
        if fault is not None:
            _send(req, fault[0], {"error": {"status": fault[0], "message": "scripted"}}, fault[1])
            return
        parts = [p for p in url.path.split("/") if p]
        host = (req.headers.get("Host") or "").split(":")[0].lower()
        if host in ("spotify.link", "spoti.fi", "spotify.app.link"):
            self._short_link(req, f"{host}{url.path}")
            return
        if method == "POST" and url.path == "/api/token":
            status, body = self._token(req, form)
            _send(req, status, body)
        elif parts[:1] == ["image"]:
            body = self.cover_jpeg()
            req.send_response(200)
            req.send_header("Content-Type", "image/jpeg")
            req.send_header("Content-Length", str(len(body)))
            req.end_headers()
            req.wfile.write(body)
        elif url.path == "/authorize":
            self._authorize(req, query)
        elif parts[:1] == ["embed"] and len(parts) == 3:
            _send_html(req, embed_html(self._embed_entity(parts[1], parts[2])))
        elif parts[:1] == ["v1"]:
            user = self._bearer(req)
            if user is False:
                _send(req, 401, {"error": {"status": 401, "message": "The access token expired"}})
                return
            status, body = self._api(parts[1:], query, user if isinstance(user, str) else None)
            _send(
                req,
                status,
                body
                if status < 400
                else {"error": {"status": status, "message": body.get("message", "error")}},
            )
        else:
            _send(req, 404, {"error": {"status": 404, "message": "no such path"}})

    def _short_link(self, req: BaseHTTPRequestHandler, where: str) -> None:
        with self.lock:
            found = self.short_links.get(where)
        if found is None:
            _send_html(req, "<html><body>Link not found</body></html>", status=404)
            return
        status, location = found
        req.send_response(status)
        req.send_header("Location", location)
        req.send_header("Content-Length", "0")
        req.end_headers()

    def _bearer(self, req: BaseHTTPRequestHandler) -> str | None | bool:
        header = req.headers.get("Authorization") or ""
        token = header.removeprefix("Bearer ")
        with self.lock:
            if not header.startswith("Bearer ") or token not in self.access_tokens:
                return False
            return self.access_tokens[token]

    # ------------------------------------------------------------------ accounts service
    def _issue(self, user: str | None, scope: str = "") -> Json:
        token = secrets.token_urlsafe(24)
        self.access_tokens[token] = user
        body: Json = {"access_token": token, "token_type": "Bearer", "expires_in": 3600}
        if user is not None:
            refresh = secrets.token_urlsafe(24)
            self.refresh_tokens[refresh] = user
            body |= {"refresh_token": refresh, "scope": scope}
        return body

    def _token(self, req: BaseHTTPRequestHandler, form: dict[str, str]) -> tuple[int, Json]:
        grant = form.get("grant_type", "")
        with self.lock:
            self.grants.append(grant)
            if grant == "client_credentials":
                expected = base64.b64encode(f"{self.client_id}:{self.client_secret}".encode())
                if req.headers.get("Authorization") != f"Basic {expected.decode()}":
                    return 400, {"error": "invalid_client", "error_description": "Invalid client"}
                return 200, self._issue(None)
            if grant == "authorization_code":
                code = self.codes.pop(form.get("code", ""), None)
                verifier = form.get("code_verifier", "")
                digest = hashlib.sha256(verifier.encode()).digest()
                challenge = base64.urlsafe_b64encode(digest).decode().rstrip("=")
                if (
                    code is None
                    or code["challenge"] != challenge
                    or form.get("client_id") != self.client_id
                    or code["redirect_uri"] != form.get("redirect_uri")
                ):
                    return 400, {"error": "invalid_grant", "error_description": "Invalid code"}
                return 200, self._issue(self.user_id, code["scope"])
            if grant == "refresh_token":
                user = self.refresh_tokens.get(form.get("refresh_token", ""))
                if user is None or self.refresh_mode == "invalid_grant":
                    return 400, {
                        "error": "invalid_grant",
                        "error_description": "Refresh token revoked",
                    }
                return 200, self._issue(user, USER_SCOPES)
        return 400, {"error": "unsupported_grant_type"}

    def _authorize(self, req: BaseHTTPRequestHandler, query: dict[str, str]) -> None:
        """Stands in for the user clicking "Agree": redirect back with a code and the state."""
        if query.get("client_id") != self.client_id or query.get("code_challenge_method") != "S256":
            _send(req, 400, {"error": "invalid_request"})
            return
        code = secrets.token_urlsafe(16)
        with self.lock:
            self.codes[code] = {
                "challenge": query.get("code_challenge"),
                "scope": query.get("scope", ""),
                "redirect_uri": query.get("redirect_uri"),
            }
        target = (
            f"{query['redirect_uri']}?{urlencode({'code': code, 'state': query.get('state', '')})}"
        )
        req.send_response(302)
        req.send_header("Location", target)
        req.send_header("Content-Length", "0")
        req.end_headers()

    # ------------------------------------------------------------------ Web API
    def _api(self, parts: list[str], query: dict[str, str], user: str | None) -> tuple[int, Json]:
        with self.lock:
            if parts[:1] == ["tracks"] and len(parts) == 2 and parts[1] in self.tracks:
                return 200, self.tracks[parts[1]]
            if parts[:1] == ["albums"] and len(parts) >= 2 and parts[1] in self.albums:
                return self._album(parts[1], parts[2:], query)
            if parts[:1] == ["artists"] and parts[2:] == ["albums"]:
                return self._artist_albums(parts[1], query)
            if parts[:1] == ["playlists"] and len(parts) >= 2:
                return self._playlist(parts[1], parts[2:], query, user)
            if parts == ["me"]:
                if user is None:
                    return 401, {"message": "Only valid bearer authentication supported"}
                return 200, {"id": user, "display_name": self.display_name, "type": "user"}
            if parts == ["me", "tracks"]:
                if user is None:
                    return 401, {"message": "Only valid bearer authentication supported"}
                entries = [self._entry(t, "track") for t in self.liked]
                return 200, self._page("me/tracks", entries, query, 50)
        return 404, {"message": "Resource not found"}

    def _artist_albums(self, artist_id: str, query: dict[str, str]) -> tuple[int, Json]:
        """2026: at most 10 per page; grouped (album, single, compilation, appears_on), newest
        first; ``next`` is absolute and keeps the query."""
        if artist_id not in self.artists:
            return 404, {"message": "Resource not found"}
        order = ["album", "single", "compilation", "appears_on"]
        wanted = (query.get("include_groups") or ",".join(order)).split(",")
        rows = []
        for album_id in self.artist_albums[artist_id]:
            group = self.album_groups[album_id]
            if group in wanted:
                rows.append(self.albums[album_id] | {"album_group": group})
        rows.sort(key=lambda a: a["release_date"], reverse=True)
        rows.sort(key=lambda a: order.index(a["album_group"]))
        offset = int(query.get("offset", 0))
        limit = min(int(query.get("limit", 10)), 10)
        more = offset + limit < len(rows)
        keep = {k: v for k, v in query.items() if k not in ("offset", "limit")}
        path = f"{self.api_url}artists/{artist_id}/albums"

        def page_url(start: int) -> str:
            return f"{path}?{urlencode(keep | {'offset': start, 'limit': limit})}"

        return 200, {
            "href": page_url(offset),
            "items": rows[offset : offset + limit],
            "limit": limit,
            "next": page_url(offset + limit) if more else None,
            "offset": offset,
            "previous": page_url(max(0, offset - limit)) if offset else None,
            "total": len(rows),
        }

    def _album(self, album_id: str, rest: list[str], query: dict[str, str]) -> tuple[int, Json]:
        simple = [
            {k: v for k, v in self.tracks[t].items() if k not in ("album", "external_ids")}
            for t in self.album_tracks[album_id]
        ]
        path = f"albums/{album_id}/tracks"
        if rest == ["tracks"]:
            return 200, self._page(path, simple, query, 50)
        if rest:
            return 404, {"message": "Resource not found"}
        return 200, self.albums[album_id] | {
            "tracks": self._page(path, simple, {"limit": "50"}, 50)
        }

    def _playlist(
        self, playlist_id: str, rest: list[str], query: dict[str, str], user: str | None
    ) -> tuple[int, Json]:
        playlist = self.playlists.get(playlist_id)
        if playlist is None or not playlist["api_visible"]:
            return 404, {"message": "Resource not found"}
        if query.get("fields") == "snapshot_id":
            return 200, {"snapshot_id": playlist["snapshot_id"]}
        new = self.shape == "2026"
        readable = not new or user == playlist["owner"]
        field, endpoint, limit = ("items", "items", 50) if new else ("tracks", "tracks", 100)
        entries = [self._entry(e, "item" if new else "track") for e in playlist["entries"]]
        if rest == [endpoint]:
            if not readable:
                return 403, {"message": "Forbidden"}
            return 200, self._page(f"playlists/{playlist_id}/{endpoint}", entries, query, limit)
        if rest:
            return 404, {"message": "Resource not found"}
        body: Json = {
            "id": playlist_id,
            "name": playlist["name"],
            "type": "playlist",
            "snapshot_id": playlist["snapshot_id"],
            "uri": f"spotify:playlist:{playlist_id}",
            "owner": {"id": playlist["owner"], "display_name": playlist["owner"]},
            "images": [_image(640, playlist_id)],
        }
        if readable and self.inline_first_page:
            body[field] = self._page(
                f"playlists/{playlist_id}/{endpoint}", entries, {"limit": str(limit)}, limit
            )
        elif not readable and self.size_of_others:
            href = f"{self.api_url}playlists/{playlist_id}/{endpoint}"
            body[field] = {"href": href, "total": len(entries)}
        return 200, body

    def _entry(self, entry: str | None, field: str) -> Json:
        if entry is None:
            return {"added_at": "2024-01-01T00:00:00Z", "is_local": False, field: None}
        if entry.startswith("local:"):
            local = {
                "id": None,
                "name": entry[6:],
                "type": "track",
                "is_local": True,
                "uri": f"spotify:local:::{entry[6:]}:0",
            }
            return {"added_at": "2024-01-01T00:00:00Z", "is_local": True, field: local}
        if entry.startswith("episode:"):
            episode = {"id": entry[8:], "name": "An episode", "type": "episode"}
            return {"added_at": "2024-01-01T00:00:00Z", "is_local": False, field: episode}
        return {"added_at": "2024-01-01T00:00:00Z", "is_local": False, field: self.tracks[entry]}

    def _page(self, path: str, items: list[Any], query: dict[str, str], max_limit: int) -> Json:
        offset = int(query.get("offset", 0))
        limit = min(int(query.get("limit", 20 if max_limit == 50 else max_limit)), max_limit)
        chunk = items[offset : offset + limit]
        more = offset + limit < len(items)
        href = f"{self.api_url}{path}?offset={offset}&limit={limit}"
        next_url = f"{self.api_url}{path}?offset={offset + limit}&limit={limit}" if more else None
        return {
            "href": href,
            "items": chunk,
            "limit": limit,
            "next": next_url,
            "offset": offset,
            "previous": None,
            "total": len(items),
        }

    # ------------------------------------------------------------------ embed pages
    def _embed_entity(self, kind: str, item_id: str) -> Json | None:
        with self.lock:
            if kind == "track" and item_id in self.tracks:
                return track_entity(self.tracks[item_id])
            if kind == "album" and item_id in self.albums:
                album = self.albums[item_id]
                rows = [self.tracks[t] for t in self.album_tracks[item_id]]
                return collection_entity(
                    "album",
                    item_id,
                    album["name"],
                    ", ".join(a["name"] for a in album["artists"]),
                    rows,
                    album["images"],
                    f"{album['release_date']}T00:00:00Z",
                )
            if kind == "artist" and item_id in self.artists:
                # The artist's embed shows their top tracks (here: the first ten), no releases.
                top = [t for a in self.artist_albums[item_id] for t in self.album_tracks[a]][:10]
                artist = self.artists[item_id]
                return collection_entity(
                    "artist",
                    item_id,
                    artist["name"],
                    "",
                    [self.tracks[t] for t in top],
                    [_image(640, item_id)],
                    None,
                )
            if kind == "playlist" and item_id in self.playlists:
                playlist = self.playlists[item_id]
                rows = [self.tracks[e] for e in playlist["entries"] if e in self.tracks]
                return collection_entity(
                    "playlist",
                    item_id,
                    playlist["name"],
                    playlist["owner"],
                    rows,
                    [_image(640, item_id)],
                    None,
                )
        return None


def _send(
    req: BaseHTTPRequestHandler, status: int, body: Json, headers: dict[str, str] | None = None
) -> None:
    data = json.dumps(body).encode()
    req.send_response(status)
    req.send_header("Content-Type", "application/json; charset=utf-8")
    req.send_header("Content-Length", str(len(data)))
    for name, value in (headers or {}).items():
        req.send_header(name, value)
    req.end_headers()
    req.wfile.write(data)


def _send_html(req: BaseHTTPRequestHandler, page: str, status: int = 200) -> None:
    data = page.encode()
    req.send_response(status)
    req.send_header("Content-Type", "text/html; charset=utf-8")
    req.send_header("Content-Length", str(len(data)))
    req.end_headers()
    req.wfile.write(data)


def _artist(name: str) -> Json:
    artist_id = hashlib.sha1(name.encode()).hexdigest()[:22]
    return {
        "id": artist_id,
        "name": name,
        "type": "artist",
        "uri": f"spotify:artist:{artist_id}",
        "external_urls": {"spotify": f"{OPEN}/artist/{artist_id}"},
    }


def _image(size: int, seed: str, base: str | None = None) -> Json:
    root = base or "https://i.scdn.co/image"
    return {"url": f"{root}/{seed}-{size}", "width": size, "height": size}
