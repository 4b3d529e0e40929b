"""Which metadata a filed track carries, when its sources disagree.

Spotify's metadata, for a Spotify link, beats everything; for a search line, what the search
found beats the video's info; otherwise the tags embedded in the downloaded file beat yt-dlp's
info (which may be a guess from the file name), except a YouTube Music album page's album facts.
Gaps are filled from the others. Pure functions, so the rule can be read and tested on its own.
"""

from __future__ import annotations

from dataclasses import replace

from spotsyncd.core.models import Source, TrackMeta
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
    if track.source == Source.SPOTIFY:
        meta = wanted.merged_over(from_source)
        # Spotify's own page for the track, not the YouTube video.
        return replace(meta, source_url=wanted.source_url or track.url)
    if track.source == Source.SEARCH:  # what the search found beats the video's info
        return wanted.merged_over(from_source)
    if wanted.album and wanted.track_number:
        # Listed from a YouTube Music album page: its album facts beat the video's.
        meta = wanted.merged_over(from_source)
    else:
        meta = from_source.merged_over(wanted)
    if not meta.source_url:
        meta = replace(meta, source_url=track.url)
    return meta
