"""Spotify collections carry their artwork: the largest of the Web API's ``images`` (playlist or
album), or the embed page's image when the API refuses or there are no credentials."""

from __future__ import annotations

from spotsyncd.sources.spotify.source import SpotifySource
from tests.fakes.spotify_api import FakeSpotify
from tests.sources.spotify.test_source import app, fake, user  # noqa: F401 - the shared fixtures


def test_playlist_and_album_artwork(fake: FakeSpotify, user: SpotifySource) -> None:  # noqa: F811
    ids = fake.add_album("alb8", "A", ["Ada"], ["One", "Two"])
    fake.add_playlist("pl8", ids)
    assert user.list("spotify:playlist:pl8").image_url == "https://i.scdn.co/image/pl8-640"
    assert user.list("spotify:album:alb8").image_url == "https://i.scdn.co/image/alb8-640"


def test_embed_fallback_artwork(fake: FakeSpotify, app: SpotifySource) -> None:  # noqa: F811
    ids = fake.add_album("alb9", "A", ["Ada"], ["One"])
    fake.add_playlist("pl9", ids, owner="someone-else")  # the API answers 403: embed page
    listing = app.list("spotify:playlist:pl9")
    assert fake.hits["/embed/playlist/pl9"] == 1
    assert listing.image_url is not None and listing.image_url.startswith("https://")
