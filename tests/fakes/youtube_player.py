"""YouTube's player API (InnerTube ``POST /youtubei/v1/player``) on loopback, over TLS, for
yt-dlp's own YouTube extractor.

yt-dlp is pointed here with its own extractor arguments: ``innertube_host`` (where the player
API is) and ``player_skip=webpage,configs`` (no watch page, no ytcfg: the clients' built-in
configs). Each request names its client in ``context.client.clientName``; the server answers
that client with a bot check (``playabilityStatus.status: LOGIN_REQUIRED``, "Sign in to
confirm you're not a bot", as YouTube does) or with a playable response whose one audio format
is a file on a plain loopback server. The shapes are those yt-dlp's ``_video.py`` reads.
"""

from __future__ import annotations

import json
import shutil
import ssl
import subprocess
import threading
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from tests.fakes.http_server import LoopbackServer

BOT_CHECK_REASON = "Sign in to confirm you\u2019re not a bot"


def make_certificate(folder: Path) -> tuple[Path, Path] | None:
    """A self-signed certificate for 127.0.0.1 (None without openssl)."""
    openssl = shutil.which("openssl")
    if openssl is None:
        return None
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        [openssl, "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
         "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1", "-keyout", str(key), "-out",
         str(cert), "-addext", "subjectAltName=IP:127.0.0.1"],
        check=True, capture_output=True, timeout=60,
    )  # fmt: skip
    return cert, key


class FakeYouTubePlayer:
    """``blocked``: the InnerTube client names (``VISIONOS``, ``IOS``…) answered with a bot
    check; every other client gets ``audio`` as its one format, served by ``media`` (a plain
    loopback server, as googlevideo.com serves the media: its requests show the PO token)."""

    def __init__(self, certificate: tuple[Path, Path], audio: bytes) -> None:
        self.media = LoopbackServer()
        self.audio_url = self.media.add("/videoplayback", audio, "audio/mp4")
        self.audio_size = len(audio)
        self.blocked: set[str] = set()
        self.asked: Counter[str] = Counter()  # player requests by client name
        self.lock = threading.Lock()
        owner = self

        class _Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
                pass

            def do_POST(self) -> None:  # noqa: N802
                owner._player(self)

        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(str(certificate[0]), str(certificate[1]))
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self.httpd.daemon_threads = True
        self.httpd.socket = context.wrap_socket(self.httpd.socket, server_side=True)
        self.thread = threading.Thread(
            target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    @property
    def host(self) -> str:
        return f"127.0.0.1:{self.httpd.server_address[1]}"

    def __enter__(self) -> FakeYouTubePlayer:
        self.media.__enter__()
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(timeout=5)
        self.media.close()

    def _player(self, req: BaseHTTPRequestHandler) -> None:
        length = int(req.headers.get("Content-Length") or 0)
        body = json.loads(req.rfile.read(length) or b"{}")
        client = str(body.get("context", {}).get("client", {}).get("clientName", ""))
        video_id = str(body.get("videoId", ""))
        if req.path.startswith("/youtubei/v1/next"):  # the watch page's data: nothing in it
            answer: dict[str, Any] = {
                "responseContext": {},
                "contents": {"twoColumnWatchNextResults": {"results": {"results": {}}}},
            }
        else:
            with self.lock:
                self.asked[client] += 1
                blocked = client in self.blocked
            answer = self._bot_check() if blocked else self._playable(video_id)
        data = json.dumps(answer).encode()
        req.send_response(200)
        req.send_header("Content-Type", "application/json; charset=UTF-8")
        req.send_header("Content-Length", str(len(data)))
        req.end_headers()
        req.wfile.write(data)

    @staticmethod
    def _bot_check() -> dict[str, Any]:
        return {
            "responseContext": {},
            "playabilityStatus": {
                "status": "LOGIN_REQUIRED",
                "reason": BOT_CHECK_REASON,
                "errorScreen": {
                    "playerErrorMessageRenderer": {
                        "reason": {"simpleText": BOT_CHECK_REASON},
                        "subreason": {
                            "runs": [{"text": "This helps protect our community. "},
                                     {"text": "Learn more"}]
                        },
                    }
                },
                "skip": {"playabilityErrorSkipConfig": {"skippableErrorFormats": []}},
                "contextParams": "Q0FFU0FnZ0I=",
            },
        }  # fmt: skip

    def _playable(self, video_id: str) -> dict[str, Any]:
        return {
            "responseContext": {},
            "playabilityStatus": {"status": "OK", "playableInEmbed": True},
            "streamingData": {
                "expiresInSeconds": "21540",
                "adaptiveFormats": [
                    {
                        "itag": 140,
                        "url": self.audio_url,
                        "mimeType": 'audio/mp4; codecs="mp4a.40.2"',
                        "bitrate": 130_000,
                        "averageBitrate": 128_000,
                        "contentLength": str(self.audio_size),
                        "approxDurationMs": "2000",
                        "lastModified": "1700000000000000",
                        "quality": "tiny",
                        "projectionType": "RECTANGULAR",
                        "audioQuality": "AUDIO_QUALITY_MEDIUM",
                        "audioSampleRate": "44100",
                        "audioChannels": 2,
                    }
                ],
            },
            "videoDetails": {
                "videoId": video_id,
                "title": "Moments",
                "lengthSeconds": "2",
                "channelId": "UCabcdefghijklmnopqrstuv",
                "isOwnerViewing": False,
                "shortDescription": "",
                "isCrawlable": True,
                "allowRatings": True,
                "viewCount": "12345",
                "author": "Lost Identities - Topic",
                "isPrivate": False,
                "isUnpluggedCorpus": False,
                "isLiveContent": False,
            },
        }
