"""Each format's own way of holding the common tags, with mutagen: ID3 frames (MP3, WAV, AIFF),
MP4 atoms (M4A) and Vorbis comments (Opus, Ogg Vorbis, FLAC): what ``MutagenTagger`` writes
(``write_*``) and reads back (``read_*``), ReplayGain and the cover included. Episode extras
live in ``extras``, MusicBrainz IDs in ``identity``.
"""

from __future__ import annotations

import base64
import logging
from typing import Any

from mutagen import id3 as _id3_module
from mutagen import mp4 as _mp4_module
from mutagen.flac import Picture as _Picture
from mutagen.mp4 import MP4

from spotsyncd.core.models import TrackMeta
from spotsyncd.media.tags.values import number_pair as _pair
from spotsyncd.media.tags.values import split_pair as _split_pair

log = logging.getLogger(__name__)

KEY_FIELD = "SPOTSYNCD_KEY"
FREEFORM = "----:com.apple.iTunes:"
# mutagen's functions carry no type hints; these aliases keep mypy --strict honest elsewhere.
id3: Any = _id3_module
MP4Cover: Any = _mp4_module.MP4Cover
MP4FreeForm: Any = _mp4_module.MP4FreeForm
Picture: Any = _Picture


def existing_replaygain(audio: Any) -> tuple[str, str] | None:
    """The ReplayGain track gain and peak the file's tags hold now, when both are there."""
    tags = audio.tags
    if tags is None:
        return None
    if isinstance(tags, id3.ID3):
        frames = [tags.get(f"TXXX:REPLAYGAIN_TRACK_{n}") for n in ("GAIN", "PEAK")]
        texts = [str(f.text[0]) if f is not None and f.text else None for f in frames]
    elif isinstance(audio, MP4):
        atoms = [tags.get(f"{FREEFORM}replaygain_track_{n}") for n in ("gain", "peak")]
        texts = [bytes(a[0]).decode("utf-8", "replace") if a else None for a in atoms]
    else:
        texts = [(tags.get(f"REPLAYGAIN_TRACK_{n}") or [None])[0] for n in ("GAIN", "PEAK")]
    return (texts[0], texts[1]) if texts[0] and texts[1] else None


# --- ID3 (MP3, WAV) -------------------------------------------------------------------------

_ID3_TEXT: dict[str, Any] = {
    "title": id3.TIT2, "album": id3.TALB, "album_artist": id3.TPE2, "date": id3.TDRC,
    "genre": id3.TCON, "isrc": id3.TSRC,
}  # fmt: skip


def write_id3(
    tags: Any,
    f: dict[str, Any],
    meta: TrackMeta,
    picture: tuple[bytes, str] | None,
    rg: tuple[str, str] | None,
) -> None:
    utf8 = id3.Encoding.UTF8

    def txxx(desc: str, value: str | None) -> None:
        tags.delall(f"TXXX:{desc}")
        if value:
            tags.add(id3.TXXX(encoding=utf8, desc=desc, text=[value]))

    for name, frame in _ID3_TEXT.items():
        tags.delall(frame.__name__)
        if f[name]:
            tags.add(frame(encoding=utf8, text=[f[name]]))
    numbered = (
        ("TPE1", f["artists"]),
        ("TRCK", _pair(meta.track_number, meta.track_total)),
        ("TPOS", _pair(meta.disc_number, meta.disc_total)),
    )
    for frame_id, value in numbered:
        tags.delall(frame_id)
        if value:
            tags.add(getattr(id3, frame_id)(encoding=utf8, text=value))
    tags.delall("WOAS")
    tags.delall("COMM:source")
    if f["source_url"]:
        tags.add(id3.WOAS(url=f["source_url"]))
        tags.add(id3.COMM(encoding=utf8, lang="eng", desc="source", text=[f["source_url"]]))
    txxx(KEY_FIELD, f["key"])
    explicit = None if meta.explicit is None else ("1" if meta.explicit else "0")
    txxx("ITUNESADVISORY", explicit)
    txxx("REPLAYGAIN_TRACK_GAIN", rg[0] if rg else None)
    txxx("REPLAYGAIN_TRACK_PEAK", rg[1] if rg else None)
    if picture:
        tags.delall("APIC")
        tags.add(id3.APIC(encoding=utf8, mime=picture[1], type=id3.PictureType.COVER_FRONT,
                          desc="Cover", data=picture[0]))  # fmt: skip


def read_id3(tags: Any) -> TrackMeta:
    def text(frame_id: str) -> str | None:
        frame = tags.get(frame_id)
        return str(frame.text[0]) if frame is not None and frame.text else None

    artists: tuple[str, ...] = ()
    if tags.get("TPE1") is not None:
        artists = tuple(str(a) for a in tags["TPE1"].text if str(a))
    track = _split_pair(text("TRCK"))
    disc = _split_pair(text("TPOS"))
    return TrackMeta(
        title=text("TIT2"), artists=artists, album=text("TALB"), album_artist=text("TPE2"),
        track_number=track[0], track_total=track[1], disc_number=disc[0], disc_total=disc[1],
        date=text("TDRC") or text("TYER"), genre=text("TCON"), isrc=text("TSRC"),
    )  # fmt: skip


# --- MP4 atoms (M4A) ------------------------------------------------------------------------

_MP4_TEXT = {"title": "\xa9nam", "album": "\xa9alb", "album_artist": "aART", "date": "\xa9day",
             "genre": "\xa9gen"}  # fmt: skip


def write_mp4(
    tags: Any,
    f: dict[str, Any],
    meta: TrackMeta,
    picture: tuple[bytes, str] | None,
    rg: tuple[str, str] | None,
) -> None:
    def put(atom: str, value: Any) -> None:
        tags.pop(atom, None)
        if value:
            tags[atom] = value

    def freeform(name: str, value: str | None) -> None:
        put(FREEFORM + name, [MP4FreeForm(value.encode("utf-8"))] if value else None)

    for name, atom in _MP4_TEXT.items():
        put(atom, [f[name]] if f[name] else None)
    put("\xa9ART", f["artists"])
    put("trkn", [(meta.track_number, meta.track_total or 0)] if meta.track_number else None)
    put("disk", [(meta.disc_number, meta.disc_total or 0)] if meta.disc_number else None)
    tags.pop("rtng", None)
    if meta.explicit is not None:
        tags["rtng"] = [1 if meta.explicit else 2]  # iTunes: 1 explicit, 2 clean
    freeform("ISRC", f["isrc"])
    freeform(KEY_FIELD, f["key"])
    freeform("SOURCE_URL", f["source_url"])
    freeform("replaygain_track_gain", rg[0] if rg else None)
    freeform("replaygain_track_peak", rg[1] if rg else None)
    if picture and picture[1] in ("image/jpeg", "image/png"):
        kind = MP4Cover.FORMAT_JPEG if picture[1] == "image/jpeg" else MP4Cover.FORMAT_PNG
        tags["covr"] = [MP4Cover(picture[0], imageformat=kind)]
    elif picture:
        log.warning("M4A holds only JPEG/PNG covers; skipping a %s cover", picture[1])


def read_mp4(tags: Any) -> TrackMeta:
    def text(atom: str) -> str | None:
        values = tags.get(atom)
        return str(values[0]) if values else None

    def numbers(atom: str) -> tuple[int | None, int | None]:
        values = tags.get(atom)
        if not values:
            return None, None
        number, total = (tuple(values[0]) + (0, 0))[:2]
        return int(number) or None, int(total) or None

    isrc = tags.get(FREEFORM + "ISRC")
    track, disc = numbers("trkn"), numbers("disk")
    return TrackMeta(
        title=text("\xa9nam"), artists=tuple(str(a) for a in tags.get("\xa9ART", [])),
        album=text("\xa9alb"), album_artist=text("aART"), track_number=track[0],
        track_total=track[1], disc_number=disc[0], disc_total=disc[1], date=text("\xa9day"),
        genre=text("\xa9gen"),
        isrc=bytes(isrc[0]).decode("utf-8", "replace") if isrc else None,
    )  # fmt: skip


# --- Vorbis comments (Opus, Ogg Vorbis, FLAC) -----------------------------------------------

_VORBIS_TEXT = {
    "title": "TITLE", "album": "ALBUM", "album_artist": "ALBUMARTIST", "date": "DATE",
    "genre": "GENRE", "isrc": "ISRC", "source_url": "WEBSITE", "key": KEY_FIELD,
}  # fmt: skip


def write_vorbis(
    audio: Any,
    f: dict[str, Any],
    meta: TrackMeta,
    picture: tuple[bytes, str] | None,
    rg: tuple[str, str] | None,
) -> None:
    tags = audio.tags

    def put(name: str, value: str | list[str] | int | None) -> None:
        if name in tags:
            del tags[name]
        if isinstance(value, list):
            if value:
                tags[name] = value
        elif value:
            tags[name] = [str(value)]

    for name, field in _VORBIS_TEXT.items():
        put(field, f[name])
    put("SOURCE", f["source_url"])
    put("ARTIST", f["artists"])
    put("TRACKNUMBER", meta.track_number)
    put("TRACKTOTAL", meta.track_total)
    put("DISCNUMBER", meta.disc_number)
    put("DISCTOTAL", meta.disc_total)
    put("ITUNESADVISORY", None if meta.explicit is None else ("1" if meta.explicit else "0"))
    put("REPLAYGAIN_TRACK_GAIN", rg[0] if rg else None)
    put("REPLAYGAIN_TRACK_PEAK", rg[1] if rg else None)
    if picture:
        pic = Picture()
        pic.type, pic.mime, pic.desc, pic.data = 3, picture[1], "Cover", picture[0]
        if hasattr(audio, "add_picture"):  # FLAC keeps pictures in their own metadata block
            audio.clear_pictures()
            audio.add_picture(pic)
        else:
            put("METADATA_BLOCK_PICTURE", base64.b64encode(pic.write()).decode("ascii"))


def read_vorbis(tags: Any) -> TrackMeta:
    def text(name: str) -> str | None:
        values = tags.get(name)
        return str(values[0]) if values else None

    def number(*names: str) -> int | None:
        for name in names:
            value = _split_pair(text(name))[0]
            if value:
                return value
        return None

    track = _split_pair(text("TRACKNUMBER"))
    disc = _split_pair(text("DISCNUMBER"))
    return TrackMeta(
        title=text("TITLE"), artists=tuple(str(a) for a in tags.get("ARTIST", [])),
        album=text("ALBUM"), album_artist=text("ALBUMARTIST"), track_number=track[0],
        track_total=number("TRACKTOTAL", "TOTALTRACKS") or track[1], disc_number=disc[0],
        disc_total=number("DISCTOTAL", "TOTALDISCS") or disc[1],
        date=text("DATE"), genre=text("GENRE"), isrc=text("ISRC"),
    )  # fmt: skip
