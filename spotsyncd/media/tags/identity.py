"""MusicBrainz and AcoustID IDs in tags, under the names Picard writes
(https://picard-docs.musicbrainz.org/en/appendices/tag_mapping.html), so that Navidrome,
Jellyfin, beets and Lidarr recognise the files:

========================  ==================================  =============================
value                     ID3 (MP3, WAV, AIFF)                Vorbis (FLAC, Opus) / MP4 (M4A)
========================  ==================================  =============================
recording                 UFID:http://musicbrainz.org         MUSICBRAINZ_TRACKID / Track Id
release                   TXXX:MusicBrainz Album Id           MUSICBRAINZ_ALBUMID
track artists             TXXX:MusicBrainz Artist Id          MUSICBRAINZ_ARTISTID
release artists           TXXX:MusicBrainz Album Artist Id    MUSICBRAINZ_ALBUMARTISTID
release group             TXXX:MusicBrainz Release Group Id   MUSICBRAINZ_RELEASEGROUPID
track on the release      TXXX:MusicBrainz Release Track Id   MUSICBRAINZ_RELEASETRACKID
AcoustID                  TXXX:Acoustid Id                    ACOUSTID_ID
========================  ==================================  =============================

MP4 keeps them as ``----:com.apple.iTunes:<the ID3 description>`` atoms ("MusicBrainz Track
Id" for the recording). An ID that is not known is removed, so a retag leaves no stale one.
"""

from __future__ import annotations

from typing import Any

from mutagen import id3 as _id3_module
from mutagen import mp4 as _mp4_module

from spotsyncd.core.models import Identity

id3: Any = _id3_module
MP4FreeForm: Any = _mp4_module.MP4FreeForm

UFID_OWNER = "http://musicbrainz.org"
_FREEFORM = "----:com.apple.iTunes:"
# (ID3 TXXX description / MP4 name, Vorbis name); the recording comes first.
NAMES = (
    ("MusicBrainz Track Id", "MUSICBRAINZ_TRACKID"),
    ("MusicBrainz Album Id", "MUSICBRAINZ_ALBUMID"),
    ("MusicBrainz Artist Id", "MUSICBRAINZ_ARTISTID"),
    ("MusicBrainz Album Artist Id", "MUSICBRAINZ_ALBUMARTISTID"),
    ("MusicBrainz Release Group Id", "MUSICBRAINZ_RELEASEGROUPID"),
    ("MusicBrainz Release Track Id", "MUSICBRAINZ_RELEASETRACKID"),
    ("Acoustid Id", "ACOUSTID_ID"),
)


def identity_values(identity: Identity | None) -> list[list[str]]:
    """The values of ``NAMES``, in order (an empty list: not known)."""
    if identity is None:
        return [[] for _ in NAMES]
    one = [identity.recording_id, identity.release_id]
    return [
        [one[0]] if one[0] else [],
        [one[1]] if one[1] else [],
        list(identity.artist_ids),
        list(identity.album_artist_ids),
        [identity.release_group_id] if identity.release_group_id else [],
        [identity.release_track_id] if identity.release_track_id else [],
        [identity.acoustid_id] if identity.acoustid_id else [],
    ]


def write_id3(tags: Any, identity: Identity | None) -> None:
    values = identity_values(identity)
    tags.delall(f"UFID:{UFID_OWNER}")
    if values[0]:
        tags.add(id3.UFID(owner=UFID_OWNER, data=values[0][0].encode("ascii")))
    for (name, _vorbis), value in list(zip(NAMES, values, strict=True))[1:]:
        tags.delall(f"TXXX:{name}")
        if value:
            tags.add(id3.TXXX(encoding=id3.Encoding.UTF8, desc=name, text=value))
    tags.delall("TXXX:MusicBrainz Track Id")  # the recording lives in the UFID frame


def write_mp4(tags: Any, identity: Identity | None) -> None:
    for (name, _vorbis), value in zip(NAMES, identity_values(identity), strict=True):
        tags.pop(_FREEFORM + name, None)
        if value:
            tags[_FREEFORM + name] = [MP4FreeForm(v.encode("utf-8")) for v in value]


def write_vorbis(tags: Any, identity: Identity | None) -> None:
    for (_name, vorbis), value in zip(NAMES, identity_values(identity), strict=True):
        if vorbis in tags:
            del tags[vorbis]
        if value:
            tags[vorbis] = value


def read_recording_id(tags: Any) -> str | None:
    """The MusicBrainz recording ID a file carries (any of the three forms), or None."""
    if tags is None:
        return None
    if isinstance(tags, id3.ID3):
        frame = tags.get(f"UFID:{UFID_OWNER}")
        return bytes(frame.data).decode("ascii", "replace") if frame is not None else None
    for name in (_FREEFORM + NAMES[0][0], NAMES[0][1]):
        values = tags.get(name)
        if values:
            value = values[0]
            return (
                bytes(value).decode("utf-8", "replace") if isinstance(value, bytes) else str(value)
            )
    return None
