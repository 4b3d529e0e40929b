"""What each way into Spotify reads of a playlist larger than its embed page shows, and Spotify's
own playlists: against the loopback fake of the Web API and embed pages (tests/fakes), and a
real recorded embed page (../shared/realworld)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from spotsyncd.core.config import SpotifyConfig
from spotsyncd.core.errors import PermanentError
from spotsyncd.sources.spotify.embed import EMBED_NOTE
from spotsyncd.sources.spotify.limits import partial_note
from spotsyncd.sources.spotify.source import SpotifySource
from tests.fakes.http_server import LoopbackServer
from tests.fakes.spotify_api import FakeSpotify
from tests.sources.spotify.test_source import app, config, fake, user  # noqa: F401 - fixtures

LOGIN = "log in with `spotsyncd auth spotify` for the rest"
TOP_HITS = "37i9dQZF1DXcBWIGoYBM5M"  # Today's Top Hits, recorded in ../shared/realworld
EMBEDS = Path(__file__).resolve().parents[3].parent / "shared" / "realworld" / "spotify-embed"


@pytest.fixture
def anonymous(fake: FakeSpotify, tmp_path: Path) -> Iterator[SpotifySource]:  # noqa: F811
    with requests.Session() as session:
        source = SpotifySource(
            config(fake, client_id=False, secret=False), tmp_path / "t.json", session=session
        )
        yield source
        source.close()


def big_playlist(fake: FakeSpotify, size: int = 130) -> list[str]:  # noqa: F811
    ids = fake.add_album("big", "Big", ["Ada"], [f"T{i}" for i in range(size)])
    fake.add_playlist("plbig", ids, owner="someone-else")
    return ids


def test_without_credentials_a_long_playlist_says_the_rest_needs_a_login(
    fake: FakeSpotify,  # noqa: F811
    anonymous: SpotifySource,
) -> None:
    ids = big_playlist(fake)
    listing = anonymous.list("spotify:playlist:plbig")
    assert [i.link.key for i in listing.items] == [f"spotify:track:{i}" for i in ids[:100]]
    note = listing.notes[0]
    assert note.startswith("read 100 tracks; the public embed page lists at most 100")
    assert LOGIN in note and listing.notes[1] == EMBED_NOTE


def test_client_credentials_say_read_n_of_m(fake: FakeSpotify, app: SpotifySource) -> None:  # noqa: F811
    fake.size_of_others = True
    big_playlist(fake)
    listing = app.list("spotify:playlist:plbig")
    assert len(listing.items) == 100 and fake.hits["/v1/playlists/plbig/items"] == 1
    assert listing.notes[0].startswith(f"read 100 of 130 tracks; {LOGIN}")
    fake.size_of_others = False  # an API that withholds the size: the page's cap is said
    assert app.list("spotify:playlist:plbig").notes[0].startswith("read 100 tracks; the public")


def test_a_login_cannot_read_someone_else_s_playlist_and_says_so(
    fake: FakeSpotify,  # noqa: F811
    user: SpotifySource,  # noqa: F811
) -> None:
    fake.size_of_others = True
    big_playlist(fake)
    note = user.list("spotify:playlist:plbig").notes[0]
    assert note.startswith("read 100 of 130 tracks; Spotify lets apps read every track only")
    assert "spotsyncd auth spotify" not in note  # logged in already: no use saying it


def test_the_whole_playlist_read_says_nothing_extra(
    fake: FakeSpotify,  # noqa: F811
    anonymous: SpotifySource,
    user: SpotifySource,  # noqa: F811
) -> None:
    ids = fake.add_album("small", "Small", ["Ada"], [f"T{i}" for i in range(40)])
    fake.add_playlist("plsmall", ids, owner="someone-else")
    assert anonymous.list("spotify:playlist:plsmall").notes == (EMBED_NOTE,)
    fake.add_playlist("mine", ids + big_playlist(fake))  # the user's own: every track
    listing = user.list("spotify:playlist:mine")
    assert len(listing.items) == 170 and listing.notes == ()


@pytest.mark.parametrize("mode", ["anonymous", "app"])
def test_a_spotify_made_playlist_gets_a_reason_not_an_empty_list(
    fake: FakeSpotify,  # noqa: F811
    anonymous: SpotifySource,
    app: SpotifySource,  # noqa: F811
    mode: str,
) -> None:
    source = anonymous if mode == "anonymous" else app
    fake.add_playlist("37i9dQZEVXcQ9COmYvdajy", [], owner="spotify", api_visible=False)
    with pytest.raises(PermanentError, match="is a playlist made by Spotify") as raised:
        source.list("spotify:playlist:37i9dQZEVXcQ9COmYvdajy")
    assert "add them to a playlist of your own" in str(raised.value)
    # One the embed page does not know at all: the same reason, not "no such item".
    with pytest.raises(PermanentError, match="made by Spotify"):
        source.list("spotify:playlist:37i9dQZF1E4vanished0")


def test_a_recorded_spotify_playlist_reads_from_its_embed_page(tmp_path: Path) -> None:
    recorded = EMBEDS / "spotifyscraper_embed_playlist_next_data.json"
    if not recorded.is_file():
        pytest.skip("../shared/realworld/spotify-embed is not present")
    data = json.loads(recorded.read_text())
    page = (
        '<html><body><script id="__NEXT_DATA__" type="application/json">'
        f"{json.dumps(data)}</script></body></html>"
    )
    with LoopbackServer() as server:
        server.add(f"/embed/playlist/{TOP_HITS}", page.encode(), "text/html")
        cfg = SpotifyConfig(embed_url=server.url("/embed/"))
        source = SpotifySource(cfg, tmp_path / "t.json")
        listing = source.list(f"spotify:playlist:{TOP_HITS}")
    assert listing.title == "Today\u2019s Top Hits" and len(listing.items) == 50
    assert listing.notes == (EMBED_NOTE,)  # 50 rows, under the page's cap: all of it


@pytest.mark.parametrize(
    ("read", "listed", "total", "mode", "made", "expected"),
    [
        (100, 100, 130, "embed", False, f"read 100 of 130 tracks; {LOGIN}"),
        (98, 100, None, "app", False, "read 98 tracks; the public embed page lists at most 100"),
        (40, 40, None, "embed", False, None),
        (130, 130, 130, "user", False, None),
        (100, 100, 250, "app", True, "read 100 of 250 tracks; a playlist made by Spotify"),
    ],
)
def test_partial_note(
    read: int, listed: int, total: int | None, mode: str, made: bool, expected: str | None
) -> None:
    note = partial_note(read=read, listed=listed, total=total, mode=mode, spotify_made=made)
    assert (note is None) if expected is None else (note or "").startswith(expected), note
