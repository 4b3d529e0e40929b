"""What each way into Spotify can read, said in words (Spotify's rules as of 2026).

* ``embed`` (no credentials): the public embed page lists at most ~100 tracks of a playlist,
  with no album or ISRC, and says nothing of how many there are in all;
* ``app`` (client credentials): tracks and albums; a playlist's items only through the embed
  page (the Web API answers 403 for playlists of other people), its size when the API still says;
* ``user`` (``spotsyncd auth spotify``): every track of the playlists the user owns or
  collaborates on, and Liked Songs; other people's playlists as for ``app``.

Playlists made by Spotify (editorial ones such as Today's Top Hits, and the personalised Discover
Weekly, Release Radar, Daily Mixes) are unreadable to apps since November 2024 (the Web API
answers 404); only their public embed page may show them. A playlist read only in part says so
("read N of M tracks; …") and one that cannot be read at all gets a reason, never an empty list.
"""

from __future__ import annotations

from spotsyncd.sources.spotify.embed import EMBED_MAX_TRACKS

# Spotify's own playlists have IDs starting so (editorial 37i9dQZF1D…, personalised
# 37i9dQZEVX…/37i9dQZF1E…); their owner is "spotify" (its display name "Spotify").
_SPOTIFY_ID_PREFIX = "37i9dQZ"
LOGIN_HINT = "log in with `spotsyncd auth spotify` for the rest"
OWNED_ONLY = (
    "Spotify lets apps read every track only of playlists you own or collaborate on: copy "
    "its tracks into a playlist of yours and follow that one for the rest"
)


def is_spotify_made(playlist_id: str, owner: str | None = None) -> bool:
    """Whether the playlist is one of Spotify's own (editorial or personalised)."""
    return playlist_id.startswith(_SPOTIFY_ID_PREFIX) or (owner or "").lower() == "spotify"


def spotify_made_reason(playlist_id: str) -> str:
    """Why a playlist made by Spotify cannot be listed, and what the user can do."""
    return (
        f"spotify:playlist:{playlist_id} is a playlist made by Spotify (editorial, or "
        "personalised like Discover Weekly and the Daily Mixes): since November 2024 Spotify "
        "lets no app read those, and its public embed page showed no tracks. In Spotify, "
        "select its tracks, add them to a playlist of your own, and follow that one"
    )


def partial_note(
    *, read: int, listed: int, total: int | None, mode: str, spotify_made: bool = False
) -> str | None:
    """The note for a playlist read from its embed page when that is not all of it: ``read``
    tracks kept, ``listed`` rows the page had, ``total`` the size the Web API gave (None:
    unknown). None when the page evidently held the whole playlist."""
    if total is not None and read >= total:
        return None
    if total is None and listed < EMBED_MAX_TRACKS:
        return None  # under the page's cap: the whole playlist
    if total is not None:
        head = f"read {read} of {total} tracks"
    else:
        head = (
            f"read {read} tracks; the public embed page lists at most {EMBED_MAX_TRACKS}, so "
            "the playlist may have more"
        )
    if spotify_made:
        return f"{head}; a playlist made by Spotify: no app can read the rest"
    if mode == "user":
        return f"{head}; {OWNED_ONLY}"
    return f"{head}; {LOGIN_HINT} (if the playlist is yours or you collaborate on it)"
