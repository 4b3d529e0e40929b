"""Read and write tags with mutagen: ID3 (MP3, WAV), MP4 atoms (M4A) and Vorbis comments
(Opus, Ogg Vorbis, FLAC). ``MutagenTagger`` opens the file and picks its format's writers:
the common tags in ``formats``, an episode's comment and chapters in ``extras``,
MusicBrainz IDs in ``identity``; lyrics and the embedded cover are read and written here.

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
from spotsyncd.media.lyrics import format_lrc, parse_lrc
from spotsyncd.media.tags import extras, formats
from spotsyncd.media.tags import identity as identity_tags
from spotsyncd.media.tags.formats import FREEFORM as _FREEFORM
from spotsyncd.media.tags.formats import KEY_FIELD
from spotsyncd.media.tags.values import clean_text as _clean
from spotsyncd.media.tags.values import image_mime as _image_mime
from spotsyncd.media.tags.values import replaygain_values as _replaygain
from spotsyncd.media.tags.values import tag_fields as _fields
from spotsyncd.media.tags.values import write_error as _write_error

log = logging.getLogger(__name__)

# mutagen's functions carry no type hints; these aliases keep mypy --strict honest elsewhere.
id3: Any = _id3_module
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
        MusicBrainz and AcoustID IDs (identity.py; those it does not know are removed);
        without, the file's own stay as they are."""
        audio = self._open(path)
        if not isinstance(audio, (MP4, MP3, WAVE, AIFF, FLAC, OggOpus, OggVorbis)):
            log.warning("%s: format not taggable by spotsyncd; leaving it untagged", path)
            return
        audio_any: Any = audio
        fields = _fields(meta, key)
        rg = _replaygain(replaygain)
        if rg is None and keep_replaygain:
            rg = formats.existing_replaygain(audio_any)
        mime = _image_mime(cover) if cover else None
        if cover and mime is None:
            log.warning("%s: cover art is not JPEG/PNG/WebP/GIF; skipping it", path)
        picture = (cover, mime) if cover and mime else None
        length = float(getattr(audio_any.info, "length", 0.0) or 0.0)
        try:
            if audio_any.tags is None:
                audio_any.add_tags()
            if isinstance(audio, MP4):
                formats.write_mp4(audio_any.tags, fields, meta, picture, rg)
                extras.write_mp4_extras(audio_any.tags, meta.comment)
                if identity is not None:
                    identity_tags.write_mp4(audio_any.tags, identity)
                audio_any.save()
            elif isinstance(audio, (MP3, WAVE, AIFF)):
                formats.write_id3(audio_any.tags, fields, meta, picture, rg)
                extras.write_id3_extras(audio_any.tags, meta.comment, meta.chapters, length)
                if identity is not None:
                    identity_tags.write_id3(audio_any.tags, identity)
                if id3_version == 3:
                    audio_any.tags.update_to_v23()  # mutagen does not convert TDRC etc. on save
                audio_any.save(v2_version=3 if id3_version == 3 else 4)
            else:
                formats.write_vorbis(audio_any, fields, meta, picture, rg)
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
                return replace(formats.read_id3(audio.tags), comment=comment, chapters=chapters)
            if isinstance(audio.tags, MP4Tags):
                comment = extras.read_mp4_comment(audio.tags)
                return replace(formats.read_mp4(audio.tags), comment=comment)
            comment, chapters = extras.read_vorbis_extras(audio.tags)
            return replace(formats.read_vorbis(audio.tags), comment=comment, chapters=chapters)
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
