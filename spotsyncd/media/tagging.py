"""Read and write tags with mutagen: ID3 (MP3, WAV), MP4 atoms (M4A) and Vorbis comments
(Opus, Ogg Vorbis, FLAC). With ``tag_extras`` (an episode's comment and chapters), the only
modules that import mutagen.

Why not ``mediafile`` (beets', ytdl-sub's): tried (0.17) on the tests' track, it cannot write
what these writers do without as many custom fields as it would replace. Its ID3 styles set
``text``, so WOAS (a URL frame) comes out empty, silently; its ``artists`` go to
TXXX:ARTISTS/ARTISTS, not Picard's multi-valued TPE1/©ART/ARTIST; ``date`` takes only a
``datetime.date``; ID3v2.3 is applied to MP3 only (a WAV stays v2.4); custom fields are
registered on its class, process-wide. Reading into ``TrackMeta`` would stay per format.
"""

from __future__ import annotations

import base64
import logging
from dataclasses import replace
from pathlib import Path
from typing import Any

import mutagen
from mutagen import id3 as _id3_module
from mutagen import mp4 as _mp4_module
from mutagen.aiff import AIFF
from mutagen.flac import FLAC
from mutagen.flac import Picture as _Picture
from mutagen.mp3 import MP3
from mutagen.mp4 import MP4, MP4Tags
from mutagen.oggopus import OggOpus
from mutagen.oggvorbis import OggVorbis
from mutagen.wave import WAVE

from spotsyncd.core.errors import PermanentError
from spotsyncd.core.models import Identity, Lyrics, Processed, TrackMeta
from spotsyncd.media import identity_tags
from spotsyncd.media import tag_extras as extras
from spotsyncd.media.lyrics import format_lrc, parse_lrc
from spotsyncd.media.tag_values import clean_text as _clean
from spotsyncd.media.tag_values import image_mime as _image_mime
from spotsyncd.media.tag_values import number_pair as _pair
from spotsyncd.media.tag_values import replaygain_values as _replaygain
from spotsyncd.media.tag_values import split_pair as _split_pair
from spotsyncd.media.tag_values import tag_fields as _fields
from spotsyncd.media.tag_values import write_error as _write_error

log = logging.getLogger(__name__)

KEY_FIELD = "SPOTSYNCD_KEY"
_FREEFORM = "----:com.apple.iTunes:"
# mutagen's functions carry no type hints; these aliases keep mypy --strict honest elsewhere.
id3: Any = _id3_module
MP4Cover: Any = _mp4_module.MP4Cover
MP4FreeForm: Any = _mp4_module.MP4FreeForm
Picture: Any = _Picture


class MutagenTagger:
    """The ``Tagger`` for MP3, M4A, Opus, Ogg Vorbis and FLAC files."""

    def write(
        self,
        path: Path,
        meta: TrackMeta,
        *,
        key: str,
        cover: bytes | None = None,
        replaygain: Processed | None = None,
        id3_version: int = 4,
        keep_replaygain: bool = False,
        identity: Identity | None = None,
    ) -> None:
        """``keep_replaygain``: without new figures, leave the file's ReplayGain tags as they
        are (a retag knows no new level) instead of removing them. ``identity``: the
        MusicBrainz and AcoustID IDs (identity_tags.py; those it does not know are removed);
        without, the file's own stay as they are."""
        audio = self._open(path)
        if not isinstance(audio, (MP4, MP3, WAVE, AIFF, FLAC, OggOpus, OggVorbis)):
            log.warning("%s: format not taggable by spotsyncd; leaving it untagged", path)
            return
        audio_any: Any = audio
        fields = _fields(meta, key)
        rg = _replaygain(replaygain)
        if rg is None and keep_replaygain:
            rg = _existing_replaygain(audio_any)
        mime = _image_mime(cover) if cover else None
        if cover and mime is None:
            log.warning("%s: cover art is not JPEG/PNG/WebP/GIF; skipping it", path)
        picture = (cover, mime) if cover and mime else None
        length = float(getattr(audio_any.info, "length", 0.0) or 0.0)
        try:
            if audio_any.tags is None:
                audio_any.add_tags()
            if isinstance(audio, MP4):
                _write_mp4(audio_any.tags, fields, meta, picture, rg)
                extras.write_mp4_extras(audio_any.tags, meta.comment)
                if identity is not None:
                    identity_tags.write_mp4(audio_any.tags, identity)
                audio_any.save()
            elif isinstance(audio, (MP3, WAVE, AIFF)):
                _write_id3(audio_any.tags, fields, meta, picture, rg)
                extras.write_id3_extras(audio_any.tags, meta.comment, meta.chapters, length)
                if identity is not None:
                    identity_tags.write_id3(audio_any.tags, identity)
                if id3_version == 3:
                    audio_any.tags.update_to_v23()  # mutagen does not convert TDRC etc. on save
                audio_any.save(v2_version=3 if id3_version == 3 else 4)
            else:
                _write_vorbis(audio_any, fields, meta, picture, rg)
                extras.write_vorbis_extras(audio_any.tags, meta.comment, meta.chapters, length)
                if identity is not None:
                    identity_tags.write_vorbis(audio_any.tags, identity)
                audio_any.save()
        except (OSError, mutagen.MutagenError) as exc:
            raise _write_error(exc, path) from exc

    def read(self, path: Path) -> TrackMeta:
        return self._meta_of(self._open(path), path)

    def read_key(self, path: Path) -> str | None:
        return self._key_of(self._open(path))

    def read_recording_id(self, path: Path) -> str | None:
        """The MusicBrainz recording ID in ``path``'s tags (what ``retag`` looks for)."""
        audio = self._open(path)
        return identity_tags.read_recording_id(None if audio is None else audio.tags)

    def inspect(self, path: Path) -> tuple[str | None, TrackMeta]:
        """``read_key`` and ``read`` with one look at the file."""
        audio = self._open(path)
        return self._key_of(audio), self._meta_of(audio, path)

    @staticmethod
    def _meta_of(audio: Any, path: Path) -> TrackMeta:
        if audio is None or audio.tags is None:
            return TrackMeta()
        try:
            if isinstance(audio.tags, id3.ID3):
                comment, chapters = extras.read_id3_extras(audio.tags)
                return replace(_read_id3(audio.tags), comment=comment, chapters=chapters)
            if isinstance(audio.tags, MP4Tags):
                comment = extras.read_mp4_comment(audio.tags)
                return replace(_read_mp4(audio.tags), comment=comment)
            comment, chapters = extras.read_vorbis_extras(audio.tags)
            return replace(_read_vorbis(audio.tags), comment=comment, chapters=chapters)
        except (ValueError, TypeError, KeyError, IndexError) as exc:
            log.warning("%s: unreadable tags (%s); ignoring them", path, exc)
            return TrackMeta()

    @staticmethod
    def _key_of(audio: Any) -> str | None:
        tags: Any = None if audio is None else audio.tags
        if tags is None:
            return None
        if isinstance(tags, id3.ID3):
            frame = tags.get(f"TXXX:{KEY_FIELD}")
            return str(frame.text[0]) if frame and frame.text else None
        if isinstance(audio, MP4):
            values = tags.get(_FREEFORM + KEY_FIELD)
            return bytes(values[0]).decode("utf-8", "replace") if values else None
        values = tags.get(KEY_FIELD)
        return str(values[0]) if values else None

    def write_lyrics(self, path: Path, lyrics: Lyrics) -> None:
        """Embed plain lyrics (USLT, ©lyr, LYRICS) and, in ID3, the synced lines (SYLT)."""
        audio: Any = self._open(path)
        if audio is None:
            raise PermanentError(f"cannot write lyrics to {path}: not an audio file mutagen reads")
        plain = _clean(lyrics.plain.replace("\r\n", "\n")) if lyrics.plain else None
        try:
            if audio.tags is None:
                audio.add_tags()
            tags = audio.tags
            if isinstance(tags, id3.ID3):
                v23 = tags.version[:2] == (2, 3)
                _write_id3_lyrics(tags, plain, lyrics.synced)
                if v23:
                    tags.update_to_v23()
                audio.save(v2_version=3 if v23 else 4)
                return
            name = "\xa9lyr" if isinstance(audio, MP4) else "LYRICS"
            if name in tags:
                del tags[name]
            if plain:
                tags[name] = [plain]
            audio.save()
        except (OSError, mutagen.MutagenError) as exc:
            raise _write_error(exc, path) from exc

    def read_lyrics(self, path: Path) -> Lyrics:
        """The lyrics embedded in ``path`` (synced ones rebuilt as LRC text from SYLT)."""
        audio: Any = self._open(path)
        tags = None if audio is None else audio.tags
        if tags is None:
            return Lyrics()
        if isinstance(tags, id3.ID3):
            plain = [str(f.text) for f in tags.getall("USLT") if f.text]
            synced = [f for f in tags.getall("SYLT") if f.format == 2 and f.text]
            lines = [(int(ms), str(words)) for words, ms in synced[0].text] if synced else []
            return Lyrics(plain=plain[0] if plain else None, synced=format_lrc(lines) or None)
        values = tags.get("\xa9lyr" if isinstance(audio, MP4) else "LYRICS")
        return Lyrics(plain=str(values[0]) if values else None)

    @staticmethod
    def _open(path: Path) -> Any:
        try:
            return mutagen.File(path)
        except (mutagen.MutagenError, OSError, ValueError) as exc:
            log.debug("%s: mutagen cannot open it: %s", path, exc)
            return None


def _existing_replaygain(audio: Any) -> tuple[str, str] | None:
    tags = audio.tags
    if tags is None:
        return None
    if isinstance(tags, id3.ID3):
        frames = [tags.get(f"TXXX:REPLAYGAIN_TRACK_{n}") for n in ("GAIN", "PEAK")]
        texts = [str(f.text[0]) if f is not None and f.text else None for f in frames]
    elif isinstance(audio, MP4):
        atoms = [tags.get(f"{_FREEFORM}replaygain_track_{n}") for n in ("gain", "peak")]
        texts = [bytes(a[0]).decode("utf-8", "replace") if a else None for a in atoms]
    else:
        texts = [(tags.get(f"REPLAYGAIN_TRACK_{n}") or [None])[0] for n in ("GAIN", "PEAK")]
    return (texts[0], texts[1]) if texts[0] and texts[1] else None


# --- ID3 (MP3, WAV) -------------------------------------------------------------------------

_ID3_TEXT: dict[str, Any] = {
    "title": id3.TIT2, "album": id3.TALB, "album_artist": id3.TPE2, "date": id3.TDRC,
    "genre": id3.TCON, "isrc": id3.TSRC,
}  # fmt: skip


def _write_id3(
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


def _write_id3_lyrics(tags: Any, plain: str | None, synced: str | None) -> None:
    utf8 = id3.Encoding.UTF8
    tags.delall("USLT")
    tags.delall("SYLT")
    if plain:
        tags.add(id3.USLT(encoding=utf8, lang="eng", desc="", text=plain))
    lines = parse_lrc(synced) if synced else []
    if lines:  # format 2: times in milliseconds; type 1: lyrics
        text = [(_clean(words) or "", ms) for ms, words in lines]
        tags.add(id3.SYLT(encoding=utf8, lang="eng", format=2, type=1, desc="", text=text))


def _read_id3(tags: Any) -> TrackMeta:
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


def _write_mp4(
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
        put(_FREEFORM + name, [MP4FreeForm(value.encode("utf-8"))] if value else None)

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


def _read_mp4(tags: Any) -> TrackMeta:
    def text(atom: str) -> str | None:
        values = tags.get(atom)
        return str(values[0]) if values else None

    def numbers(atom: str) -> tuple[int | None, int | None]:
        values = tags.get(atom)
        if not values:
            return None, None
        number, total = (tuple(values[0]) + (0, 0))[:2]
        return int(number) or None, int(total) or None

    isrc = tags.get(_FREEFORM + "ISRC")
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


def _write_vorbis(
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


def _read_vorbis(tags: Any) -> TrackMeta:
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


def read_picture(path: Path) -> bytes | None:
    """The front cover embedded in a file (any picture if none is marked front), or None."""
    audio: Any = MutagenTagger._open(path)
    tags: Any = None if audio is None else audio.tags
    try:
        if isinstance(tags, id3.ID3):
            frames = tags.getall("APIC")
            front = [f for f in frames if f.type == id3.PictureType.COVER_FRONT] or frames
            return bytes(front[0].data) if front else None
        if isinstance(tags, MP4Tags):
            covers: Any = tags.get("covr")  # type: ignore[no-untyped-call]
            return bytes(covers[0]) if covers else None
        pictures = list(getattr(audio, "pictures", None) or [])
        for value in (tags.get("METADATA_BLOCK_PICTURE") or []) if tags is not None else []:
            pictures.append(Picture(base64.b64decode(value)))
        front = [p for p in pictures if p.type == 3] or pictures
        return bytes(front[0].data) if front else None
    except (ValueError, TypeError, KeyError, IndexError, mutagen.MutagenError) as exc:
        log.debug("%s: unreadable cover: %s", path, exc)
        return None
