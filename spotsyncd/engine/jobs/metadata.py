"""Which metadata a filed track carries, when its sources disagree.

Spotify's metadata, for a Spotify link, beats everything; for a search line, what the search
found beats the video's info; for a podcast episode, what its feed says beats the file's tags
(often stale or empty: ``ep1``); otherwise the tags embedded in the downloaded file beat yt-dlp's
info (which may be a guess from the file name), except a YouTube Music album page's album facts;
for a link of another site, what a playlist file said of it comes between the two.
Gaps are filled from the others. Pure functions, so the rule can be read and tested on its own.
"""

from __future__ import annotations

from dataclasses import replace

from spotsyncd.core.models import EPISODE_KEY_PREFIX, Source, TrackMeta
from spotsyncd.intake import search_lines
from spotsyncd.ledger import TrackRow


def typed_meta(track: TrackRow) -> TrackMeta:
    """What the user typed on a search line, as metadata, with what a playlist file said of it
    besides (its album, length and ISRC: the matcher's hints)."""
    query = search_lines.query_of_url(track.url)
    hints = track.meta
    return TrackMeta(
        title=query.title,
        artists=(query.artist,),
        album=hints.album,
        duration_s=hints.duration_s,
        isrc=hints.isrc,
    )


def merged_meta(
    track: TrackRow, wanted: TrackMeta, embedded: TrackMeta, downloaded: TrackMeta
) -> TrackMeta:
    """``wanted``: what the link or the search said; ``embedded``: the downloaded file's own
    tags; ``downloaded``: yt-dlp's info about it."""
    from_source = embedded.merged_over(downloaded)
    if not track.key.startswith(EPISODE_KEY_PREFIX):  # a song keeps no source's comment
        from_source = replace(from_source, comment=None, chapters=(), chapters_url=None)
    if track.source == Source.SPOTIFY:
        meta = wanted.merged_over(from_source)
        # Spotify's own page for the track, not the YouTube video.
        return replace(meta, source_url=wanted.source_url or track.url)
    if track.source == Source.SEARCH:  # what the search found beats the video's info
        return wanted.merged_over(from_source)
    if track.key.startswith(
        EPISODE_KEY_PREFIX
    ):  # a feed's episode: the feed names it, not its file
        return wanted.merged_over(from_source)
    if wanted.album and wanted.track_number:
        # Listed from a YouTube Music album page: its album facts beat the video's.
        meta = wanted.merged_over(from_source)
    elif track.source == Source.GENERIC:
        # What a playlist file said of the link beats yt-dlp's info, often a guess from the
        # file's name ('song'); the file's own tags beat both.
        tags = replace(embedded, comment=None, chapters=(), chapters_url=None)
        meta = tags.merged_over(wanted.merged_over(from_source))
    else:
        meta = from_source.merged_over(wanted)
    if not meta.source_url:
        meta = replace(meta, source_url=track.url)
    return meta


def chapters_after_trim(meta: TrackMeta, lead_s: float) -> TrackMeta:
    """Chapter times are the source's: silence cut from the start moves them earlier (a chapter
    that started inside the cut starts at 0)."""
    if not meta.chapters or lead_s <= 0:
        return meta
    moved = {max(0.0, round(start - lead_s, 3)): title for start, title in meta.chapters}
    return replace(meta, chapters=tuple(sorted(moved.items())))
