"""Loopback stand-ins for Navidrome (Subsonic API), Jellyfin and Plex that record requests.

They check credentials the way the real servers do and answer in the real shapes:
Subsonic ``{"subsonic-response": {"status", "version", "type", "serverVersion", "openSubsonic",
"scanStatus": {"scanning", "count", "folderCount", "lastScan"}}}`` (HTTP 200 even for errors,
``error: {code, message}``); Jellyfin's ``TaskInfo`` list (``Name``, ``State``, ``Key``, …),
``VirtualFolderInfo`` (``Name``, ``Locations``, ``CollectionType``, ``ItemId``) and 204 for
``POST /Library/Refresh``; Plex's ``<MediaContainer><Directory … refreshing="0"><Location
path=…/>`` XML. ``fail_with = 500`` makes every request answer that status.

    with FakeNavidrome("admin", "pw") as nd:
        ...
        assert nd.scans == 1
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit
from xml.sax.saxutils import quoteattr


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # clients that time out and hang up are expected in these tests


class FakeMediaServer:
    scan_path = ""  # the request path that starts a scan

    def __init__(self) -> None:
        self.requests: list[tuple[str, str, dict[str, list[str]], dict[str, str]]] = []
        self.fail_with: int | None = None
        self.delay_s = 0.0
        self.scanning = False
        self.lock = threading.Lock()
        owner = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
                pass

            def do_GET(self) -> None:  # noqa: N802
                owner._serve(self)

            def do_POST(self) -> None:  # noqa: N802
                owner._serve(self)

        self.httpd = _Server(("127.0.0.1", 0), Handler)
        self.port = self.httpd.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self._thread = threading.Thread(
            target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    def __enter__(self) -> FakeMediaServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self._thread.join(timeout=5)

    @property
    def scans(self) -> int:
        """Scan requests that reached the server (answered or not)."""
        with self.lock:
            return sum(1 for _, path, _, _ in self.requests if self._is_scan(path))

    def _is_scan(self, path: str) -> bool:
        return path == self.scan_path

    def paths(self) -> list[str]:
        with self.lock:
            return [path for _, path, _, _ in self.requests]

    def _serve(self, req: BaseHTTPRequestHandler) -> None:
        parts = urlsplit(req.path)
        query = parse_qs(parts.query)
        length = int(req.headers.get("Content-Length") or 0)
        if length:
            req.rfile.read(length)
        with self.lock:
            self.requests.append((req.command, parts.path, query, dict(req.headers)))
        if self.delay_s:
            threading.Event().wait(self.delay_s)
        if self.fail_with is not None:
            status, ctype, body = self.fail_with, "text/plain", b"Internal Server Error"
        else:
            status, ctype, body = self.answer(req.command, parts.path, query, req.headers)
        req.send_response(status)
        req.send_header("Content-Type", ctype)
        req.send_header("Content-Length", str(len(body)))
        req.end_headers()
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            req.wfile.write(body)

    def answer(
        self, method: str, path: str, query: dict[str, list[str]], headers: Any
    ) -> tuple[int, str, bytes]:
        raise NotImplementedError


def _json(status: int, data: Any) -> tuple[int, str, bytes]:
    return status, "application/json; charset=utf-8", json.dumps(data).encode()


class FakeNavidrome(FakeMediaServer):
    scan_path = "/rest/startScan"

    def __init__(self, user: str, password: str, *, admin: bool = True) -> None:
        super().__init__()
        self.user, self.password, self.admin = user, password, admin
        self.songs: list[dict[str, Any]] = []  # what search3 can find
        self.count = 1200

    def salts(self) -> list[str]:
        with self.lock:
            return [q.get("s", [""])[0] for _, _, q, _ in self.requests]

    def _body(self, **extra: Any) -> dict[str, Any]:
        return {
            "subsonic-response": {
                "status": "ok",
                "version": "1.16.1",
                "type": "navidrome",
                "serverVersion": "0.53.3 (13af8ed4)",
                "openSubsonic": True,
                **extra,
            }
        }

    def _error(self, code: int, message: str) -> tuple[int, str, bytes]:
        body = self._body(error={"code": code, "message": message})
        body["subsonic-response"]["status"] = "failed"
        return _json(200, body)

    def answer(
        self, method: str, path: str, query: dict[str, list[str]], headers: Any
    ) -> tuple[int, str, bytes]:
        q = {k: v[0] for k, v in query.items()}
        if not path.startswith("/rest/"):
            return 404, "text/plain", b"404 page not found"
        if not all(q.get(k) for k in ("u", "v", "c")):
            return self._error(10, "Required parameter is missing")
        expected = hashlib.md5((self.password + q.get("s", "")).encode()).hexdigest()
        if q["u"] != self.user or q.get("t") != expected or "p" in q:
            return self._error(40, "Wrong username or password")
        status = {
            "scanning": self.scanning,
            "count": self.count,
            "folderCount": 120,
            "lastScan": "2026-11-29T23:10:00Z",
        }
        method_name = path.removeprefix("/rest/").removesuffix(".view")
        if method_name == "ping":
            return _json(200, self._body())
        if method_name == "getScanStatus":
            return _json(200, self._body(scanStatus=status))
        if method_name == "startScan":
            if not self.admin:
                return self._error(50, "User not authorized")
            return _json(200, self._body(scanStatus={**status, "scanning": True}))
        if method_name == "search3":
            text = q.get("query", "").casefold()
            songs = [s for s in self.songs if text in str(s["title"]).casefold()]
            return _json(200, self._body(searchResult3={"song": songs} if songs else {}))
        return self._error(0, f"endpoint {method_name} not implemented here")


class FakeJellyfin(FakeMediaServer):
    scan_path = "/Library/Refresh"

    def __init__(self, api_key: str, locations: list[str]) -> None:
        super().__init__()
        self.api_key = api_key
        self.locations = locations

    def _key(self, headers: Any) -> str | None:
        match = re.search(r'Token="([^"]*)"', headers.get("Authorization") or "")
        return match.group(1) if match else headers.get("X-Emby-Token")

    def _is_scan(self, path: str) -> bool:
        return path == self.scan_path

    def answer(
        self, method: str, path: str, query: dict[str, list[str]], headers: Any
    ) -> tuple[int, str, bytes]:
        if path == "/System/Info/Public":
            return _json(200, {"ServerName": "loopback", "Version": "10.10.3", "Id": "f00d"})
        if self._key(headers) != self.api_key:
            return 401, "text/plain", b""
        if path == "/System/Info":
            return _json(
                200,
                {
                    "ServerName": "loopback",
                    "Version": "10.10.3",
                    "Id": "f00d",
                    "OperatingSystem": "Linux",
                },
            )
        if path == "/ScheduledTasks" and method == "GET":
            tasks = [
                self._task("Clean Cache Directory", "DeleteCacheFiles", False),
                self._task("Scan Media Library", "RefreshLibrary", self.scanning),
            ]
            return _json(200, tasks)
        if path == "/Library/Refresh" and method == "POST":
            return 204, "text/plain", b""
        if path == "/Library/VirtualFolders" and method == "GET":
            folder = {
                "Name": "Music",
                "Locations": self.locations,
                "CollectionType": "music",
                "ItemId": "7e64e319657a9516ec78490da03edccb",
                "RefreshStatus": "Idle",
            }
            return _json(200, [folder])
        return 404, "text/plain", b""

    @staticmethod
    def _task(name: str, key: str, running: bool) -> dict[str, Any]:
        return {
            "Name": name,
            "State": "Running" if running else "Idle",
            "CurrentProgressPercentage": 42.0 if running else None,
            "Id": hashlib.md5(key.encode()).hexdigest(),
            "LastExecutionResult": None,
            "Triggers": [],
            "Description": name,
            "Category": "Library",
            "IsHidden": False,
            "Key": key,
        }


class FakePlex(FakeMediaServer):
    def __init__(self, token: str, sections: list[tuple[str, str, str, list[str]]]) -> None:
        """``sections``: (key, type, title, locations)."""
        super().__init__()
        self.token = token
        self.sections = sections

    def _is_scan(self, path: str) -> bool:
        return bool(re.fullmatch(r"/library/sections/[^/]+/refresh", path))

    def refresh_paths(self) -> list[str]:
        with self.lock:
            return [q.get("path", [""])[0] for _, p, q, _ in self.requests if self._is_scan(p)]

    def answer(
        self, method: str, path: str, query: dict[str, list[str]], headers: Any
    ) -> tuple[int, str, bytes]:
        token = headers.get("X-Plex-Token") or query.get("X-Plex-Token", [""])[0]
        if path == "/identity":
            return (
                200,
                "text/xml",
                b'<MediaContainer size="0" machineIdentifier="abc" version="1.41.2"/>',
            )
        if token != self.token:
            return 401, "text/html", b"<html><head><title>Unauthorized</title></head></html>"
        if path == "/library/sections":
            return 200, "text/xml;charset=utf-8", self._sections_xml()
        match = re.fullmatch(r"/library/sections/([^/]+)/refresh", path)
        if match and any(key == match.group(1) for key, *_ in self.sections):
            return 200, "text/html", b""
        return 404, "text/html", b""

    def _sections_xml(self) -> bytes:
        dirs = []
        for key, kind, title, locations in self.sections:
            locs = "".join(
                f"<Location id={quoteattr(key)} path={quoteattr(p)} />" for p in locations
            )
            dirs.append(
                f'<Directory allowSync="1" art="/:/resources/{kind}-fanart.jpg" '
                f'composite="/library/sections/{key}/composite/1700000000" filters="1" '
                f'refreshing="{1 if self.scanning else 0}" thumb="/:/resources/{kind}.png" '
                f'key="{key}" type="{kind}" title={quoteattr(title)} agent="tv.plex.agents.music" '
                f'scanner="Plex Music" language="en" uuid="23f36440-3f75-4258-b4a9-aadee974f8e3" '
                f'updatedAt="1700000000" createdAt="1690000000" scannedAt="1700000000" '
                f'content="1" directory="1" contentChangedAt="657163" hidden="0">{locs}</Directory>'
            )
        body = (
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            f'<MediaContainer size="{len(dirs)}" allowSync="0" title1="Plex Library">'
            + "".join(dirs)
            + "</MediaContainer>"
        )
        return body.encode()
