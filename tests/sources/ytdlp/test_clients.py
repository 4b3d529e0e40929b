"""youtube.player_clients and the PO-token provider's address, as yt-dlp's extractor arguments,
and the fallback from one client set to the next: yt-dlp's own YouTube extractor runs against
a loopback stand-in of YouTube's player API (tests/fakes/youtube_player.py) that meets one
client with a bot check and serves the other a real audio file, and the bgutil plugin (the
``pot`` extra, installed with the test extra) asks a loopback stand-in of its provider."""

from __future__ import annotations

import base64
import json
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import pytest

from spotsyncd.core.errors import BotCheckError
from spotsyncd.intake.links import parse_link
from spotsyncd.sources.ytdlp.client import YtDlpDownloader
from spotsyncd.sources.ytdlp.clients import POT_PROVIDER_ARGS, PlayerClients
from spotsyncd.system.netguard import AddressPolicy
from spotsyncd.system.tools import find_ffmpeg
from tests.fakes.audio import make_audio
from tests.fakes.http_server import LoopbackServer
from tests.fakes.youtube_player import FakeYouTubePlayer, make_certificate

pytestmark = pytest.mark.timeout(60)

WATCH = "https://www.youtube.com/watch?v=aBcDeFgHiJk"
POT = base64.urlsafe_b64encode(bytes(range(110))).decode()  # the shape of a real PO token
DEAD_PROVIDER = "http://127.0.0.1:9"  # discard: nothing answers there


class _ToLoopback(PlayerClients):
    """Our extractor arguments plus two of yt-dlp's own that send its YouTube extractor to the
    stand-in: ``innertube_host`` (the player API's address) and ``player_skip`` (no watch
    page: the clients' built-in configs, no JS player)."""

    host = ""

    def extractor_args(self, clients: tuple[str, ...] | None = None) -> dict[str, Any]:
        args = super().extractor_args(clients)
        # and no JS player: a web client would fetch it from www.youtube.com
        skip = ["webpage", "configs", "js"]
        args["youtube"] |= {"innertube_host": [self.host], "player_skip": skip}
        return args


class _SelfSigned(YtDlpDownloader):
    def _params(self) -> dict[str, Any]:
        return {**super()._params(), "nocheckcertificate": True}  # the stand-in's certificate


@pytest.fixture(scope="module")
def youtube(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FakeYouTubePlayer]:
    folder = tmp_path_factory.mktemp("youtube")
    certificate = make_certificate(folder)
    if certificate is None:
        pytest.skip("no openssl to make a test certificate (apt-get install openssl)")
    audio = make_audio(folder / "tone.m4a", seconds=2).read_bytes()
    with FakeYouTubePlayer(certificate, audio) as player:
        yield player


def downloader(
    youtube: FakeYouTubePlayer, sets: list[list[str]], pot_provider_url: str | None = None
) -> YtDlpDownloader:
    youtube.asked.clear()
    clients = _ToLoopback(sets, pot_provider_url=pot_provider_url)
    clients.host = youtube.host
    return _SelfSigned(
        link_of=parse_link,
        ffmpeg=find_ffmpeg().path,
        js_runtime=None,
        timeout_s=10,
        player_clients=clients,
        address_policy=AddressPolicy.from_setting(True),
    )


@pytest.mark.e2e
def test_a_bot_check_on_one_client_set_is_tried_again_with_the_next(
    youtube: FakeYouTubePlayer, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    youtube.blocked = {"VISIONOS"}
    loader = downloader(youtube, [["visionos"], ["ios_producer"]])
    with caplog.at_level(logging.WARNING):
        got = loader.download(WATCH, tmp_path / "one")
    assert got.path.read_bytes()[4:8] == b"ftyp" and got.meta.title == "Moments"
    assert youtube.asked == {"VISIONOS": 1, "IOS_PRODUCER": 1}
    assert "YouTube refused player clients visionos (bot_check); trying ios_producer" in caplog.text
    # The set that worked is asked first from now on: no second bot check per download.
    loader.download(WATCH, tmp_path / "two")
    assert youtube.asked == {"VISIONOS": 1, "IOS_PRODUCER": 2}
    assert loader.clients.order() == [("ios_producer",), ("visionos",)]


@pytest.mark.e2e
def test_a_bot_check_on_every_set_is_the_bot_check_that_opens_the_circuit(
    youtube: FakeYouTubePlayer, tmp_path: Path
) -> None:
    youtube.blocked = {"VISIONOS", "IOS_PRODUCER"}
    loader = downloader(youtube, [["visionos"], ["ios_producer"]])
    with pytest.raises(BotCheckError, match="every set of youtube.player_clients was tried"):
        loader.download(WATCH, tmp_path / "dest")
    assert youtube.asked == {"VISIONOS": 1, "IOS_PRODUCER": 1}


@pytest.fixture
def provider() -> Iterator[LoopbackServer]:
    """The bgutil provider's HTTP server as the plugin asks it: GET /ping, POST /get_pot."""
    with LoopbackServer() as server:
        server.add("/ping", json.dumps({"server_uptime": 3.5, "version": "2.0.2"}).encode(),
                   "application/json")  # fmt: skip
        server.add("/get_pot", json.dumps({"poToken": POT}).encode(), "application/json")
        yield server


@pytest.mark.e2e
def test_the_provider_s_po_token_reaches_the_media_request(
    youtube: FakeYouTubePlayer, provider: LoopbackServer, tmp_path: Path
) -> None:
    youtube.blocked = set()
    loader = downloader(youtube, [["mweb"]], pot_provider_url=provider.url(""))
    before = len(youtube.media.requests)
    got = loader.download(WATCH, tmp_path / "dest")
    assert got.path.is_file() and youtube.asked == {"MWEB": 1}
    assert provider.hits["/ping"] == 1 and provider.hits["/get_pot"] == 1
    [body] = provider.bodies["/get_pot"]
    assert json.loads(body)["innertube_context"]["client"]["clientName"] == "MWEB"
    media = [path for _, path, _ in youtube.media.requests[before:]]
    assert media and all(f"pot={POT}" in unquote(path) for path in media)


@pytest.mark.e2e
def test_a_po_token_error_tries_the_next_set(
    youtube: FakeYouTubePlayer, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """mweb's formats need a PO token; with no provider answering, yt-dlp skips them and finds
    no format: a PO-token error, so the next set is tried before any circuit opens."""
    youtube.blocked = set()
    loader = downloader(youtube, [["mweb"], ["ios_producer"]], pot_provider_url=DEAD_PROVIDER)
    with caplog.at_level(logging.WARNING):
        got = loader.download(WATCH, tmp_path / "dest")
    assert got.path.is_file() and youtube.asked == {"MWEB": 1, "IOS_PRODUCER": 1}
    assert "YouTube refused player clients mweb (bot_check); trying ios_producer" in caplog.text
    alone = downloader(youtube, [["mweb"]], pot_provider_url=DEAD_PROVIDER)
    with pytest.raises(BotCheckError, match="PO Token"):
        alone.download(WATCH, tmp_path / "again")


def test_one_client_set_is_one_try(youtube: FakeYouTubePlayer, tmp_path: Path) -> None:
    youtube.blocked = {"VISIONOS"}
    loader = downloader(youtube, [["visionos"]])
    with pytest.raises(BotCheckError):
        loader.download(WATCH, tmp_path / "dest")
    assert youtube.asked == {"VISIONOS": 1}


def test_extractor_args_name_the_clients_and_the_provider() -> None:
    clients = PlayerClients([["default"], ["tv", "web_safari"]], "http://127.0.0.1:4416")
    assert clients.extractor_args() == {
        "youtube": {"player_client": ["default"]},
        POT_PROVIDER_ARGS: {"base_url": ["http://127.0.0.1:4416"]},
    }
    assert clients.extractor_args(("tv", "web_safari"))["youtube"] == {
        "player_client": ["tv", "web_safari"]
    }
    assert "youtubepot-bgutilhttp" not in PlayerClients([["tv"]]).extractor_args()


def test_yt_dlp_s_youtube_extractor_reads_what_we_pass() -> None:
    """The keys are yt-dlp's: its YouTube extractor reads player_client, and the bgutil
    plugin's namespace reads base_url, from the params we build."""
    import yt_dlp

    loader = YtDlpDownloader(
        link_of=parse_link,
        ffmpeg=find_ffmpeg().path,
        js_runtime=None,
        player_clients=PlayerClients([["tv", "web_safari"]], "http://127.0.0.1:4416"),
    )
    with yt_dlp.YoutubeDL(loader._params()) as ydl:
        youtube = ydl.get_info_extractor("Youtube")
        assert youtube._configuration_arg("player_client") == ["tv", "web_safari"]
        base = youtube._configuration_arg("base_url", ie_key="youtubepot-bgutilhttp")
        assert base == ["http://127.0.0.1:4416"]
