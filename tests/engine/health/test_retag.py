"""``retag``: tags rewritten from the ledger; a changed path template moves files, atomically,
with their .lrc and the follows' m3u8 playlists."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from mutagen.id3 import ID3

from spotsyncd.core.config import Config, LibraryConfig
from spotsyncd.core.models import (
    Fingerprint,
    Identity,
    Link,
    LinkKind,
    ListedItem,
    Listing,
    Lyrics,
    Processed,
    Source,
    TrackMeta,
    Verdict,
)
from spotsyncd.engine.health.retag import Retagger
from spotsyncd.follows.playlists import PlaylistWriter
from spotsyncd.identity import service
from spotsyncd.ledger import Ledger
from spotsyncd.media.lyrics import write_lrc
from spotsyncd.media.tags import MutagenTagger
from tests.fakes.filed import file_track

OLD = "{artist}/{album}/{title}.{ext}"
NEW = "{artist} - {title}.{ext}"


@pytest.fixture
def config(tmp_path: Path) -> Config:
    library = tmp_path / "library"
    library.mkdir()
    return Config(library_dir=library, inbox_dir=library / "inbox", state_dir=tmp_path / "state",
                  log_file=None, library=LibraryConfig(path_template=OLD))  # fmt: skip


@pytest.fixture
def ledger(config: Config) -> Iterator[Ledger]:
    config.state_dir.mkdir()
    led = Ledger(config.ledger_path)
    yield led
    led.close()


def meta(n: int) -> TrackMeta:
    return TrackMeta(title=f"Song {n}", artists=("Band",), album="Album", duration_s=3.0)


def with_template(config: Config, template: str) -> Config:
    return config.model_copy(update={"library": LibraryConfig(path_template=template)})


def followed(ledger: Ledger, config: Config, n: int) -> int:
    """A follow listing tracks 0..n-1, and its m3u8 as the daemon writes it."""
    link = Link("youtube:playlist:PLmix", "https://www.youtube.com/playlist?list=PLmix",
                Source.YOUTUBE, LinkKind.COLLECTION)  # fmt: skip
    follow = ledger.add_follow(link, name="mix", interval_s=3600, options={}, origin="cli")
    items = tuple(
        ListedItem(
            Link(
                f"youtube:vid{i:08d}",
                f"https://www.youtube.com/watch?v=vid{i:08d}",
                Source.YOUTUBE,
                LinkKind.TRACK,
            ),
            meta(i),
        )  # fmt: skip
        for i in range(n)
    )
    ledger.apply_listing(follow.id, Listing("Mix", items, "fp"), now=1.0)
    PlaylistWriter(config.library_dir).write("mix", ledger.follow_tracks(follow.id))
    return follow.id


def test_template_change_moves_files_lrc_and_playlists(config: Config, ledger: Ledger) -> None:
    lib = config.library_dir
    rows = [file_track(ledger, lib, n, f"Band/Album/Song {n}.mp3", meta(n)) for n in range(2)]
    followed(ledger, config, 2)
    write_lrc(lib / "Band/Album/Song 0.mp3", "[00:00.50] la la")
    playlist = lib / "Playlists/mix.m3u8"
    assert "../Band/Album/Song 0.mp3" in playlist.read_text(encoding="utf-8")

    new = with_template(config, NEW)
    dry = list(Retagger(new, ledger, MutagenTagger()).run())
    assert [o.action for o in dry] == ["would_move", "would_move"]
    assert dry[0].new_path == "Band - Song 0.mp3"
    assert (lib / "Band/Album/Song 0.mp3").exists()  # nothing moved without --move

    outcomes = list(Retagger(new, ledger, MutagenTagger(), move=True).run())
    assert [(o.action, o.new_path) for o in outcomes] == [
        ("moved", "Band - Song 0.mp3"), ("moved", "Band - Song 1.mp3")]  # fmt: skip
    for row, name in zip(rows, ("Band - Song 0.mp3", "Band - Song 1.mp3"), strict=True):
        after = ledger.track(row.key)
        assert after is not None and after.path == name and after.replaces_path is None
        assert MutagenTagger().read_key(lib / name) == row.key
    assert (lib / "Band - Song 0.lrc").read_text(encoding="utf-8").startswith("[00:00.50]")
    assert not (lib / "Band").exists()  # folders the move emptied are gone
    text = playlist.read_text(encoding="utf-8")
    assert "../Band - Song 0.mp3" in text and "../Band - Song 1.mp3" in text
    assert "Album" not in text
    assert not list(lib.rglob(".spotsyncd-*"))
    again = list(Retagger(new, ledger, MutagenTagger(), move=True).run())
    assert [o.action for o in again] == ["retagged", "retagged"]


def test_a_move_never_overwrites_another_file(config: Config, ledger: Ledger) -> None:
    lib = config.library_dir
    row = file_track(ledger, lib, 0, "Band/Album/Song 0.mp3", meta(0))
    (lib / "Band - Song 0.mp3").write_bytes(b"the user's own file")
    [outcome] = Retagger(with_template(config, NEW), ledger, MutagenTagger(), move=True).run()
    assert outcome.new_path == "Band - Song 0 (2).mp3"
    assert (lib / "Band - Song 0.mp3").read_bytes() == b"the user's own file"
    assert ledger.track(row.key).path == "Band - Song 0 (2).mp3"  # type: ignore[union-attr]


def test_tags_follow_the_ledger_and_keep_replaygain_and_lyrics(
    config: Config, ledger: Ledger
) -> None:
    lib = config.library_dir
    row = file_track(ledger, lib, 0, "Band/Album/Song 0.mp3", meta(0))
    path = lib / "Band/Album/Song 0.mp3"
    tagger = MutagenTagger()
    level = Processed(path, 3.0, loudness_lufs=-12.0, true_peak_db=-0.5)
    tagger.write(path, meta(0), key=row.key, replaygain=level)
    tagger.write_lyrics(path, Lyrics(plain="la la", synced="[00:00.50] la la"))
    ledger.update_meta(row.id, TrackMeta(title="Song 0 (Remastered)", genre="Pop"))
    [outcome] = Retagger(config, ledger, tagger).run([row.key])
    assert outcome.action == "would_move"  # a new title is a new file name too
    assert outcome.new_path == "Band/Album/Song 0 (Remastered).mp3"
    tags = tagger.read(path)
    assert tags.title == "Song 0 (Remastered)" and tags.genre == "Pop" and tags.album == "Album"
    assert tagger.read_lyrics(path).plain == "la la"
    assert str(ID3(path)["TXXX:REPLAYGAIN_TRACK_GAIN"].text[0]) == "-6.00 dB"


def test_interrupted_move_is_finished_not_refetched(config: Config, ledger: Ledger) -> None:
    lib = config.library_dir
    row = file_track(ledger, lib, 0, "Band/Album/Song 0.mp3", meta(0))
    assert ledger.begin_move(row.id, "Band/Album/Song 0.mp3", "Band - Song 0.mp3")  # then: crash
    [outcome] = Retagger(with_template(config, NEW), ledger, MutagenTagger(), move=True).run()
    assert outcome.action == "moved" and (lib / "Band - Song 0.mp3").exists()
    assert ledger.track(row.key).replaces_path is None  # type: ignore[union-attr]


def test_a_file_of_another_track_is_not_retagged(config: Config, ledger: Ledger) -> None:
    lib = config.library_dir
    row = file_track(ledger, lib, 0, "a.mp3", meta(0))
    MutagenTagger().write(lib / "a.mp3", TrackMeta(title="Other"), key="youtube:someoneelse")
    [outcome] = Retagger(config, ledger, MutagenTagger()).run([row.key])
    assert outcome.action == "skipped" and "youtube:someoneelse" in outcome.detail
    assert MutagenTagger().read(lib / "a.mp3").title == "Other"


def test_spotify_metadata_is_refreshed_when_credentials_allow(
    config: Config, ledger: Ledger
) -> None:
    from spotsyncd.core.config import SpotifyConfig
    from spotsyncd.sources.spotify.source import SpotifySource
    from tests.fakes.spotify_api import FakeSpotify

    with FakeSpotify() as fake:
        [track_id] = fake.add_album("alb1", "The Album", ["The Artist"], ["The Song"])
        link = Link(f"spotify:track:{track_id}", f"https://open.spotify.com/track/{track_id}",
                    Source.SPOTIFY, LinkKind.TRACK)  # fmt: skip
        thin = TrackMeta(title="The Song", artists=("The Artist",))  # e.g. from an embed page
        row = file_track(ledger, config.library_dir, 0, "The Artist/x.mp3", thin, link=link)
        cfg = SpotifyConfig(client_id=fake.client_id, client_secret=fake.client_secret,
                            api_url=fake.api_url, token_url=fake.token_url,
                            auth_url=fake.auth_url, embed_url=fake.embed_url)  # fmt: skip
        spotify = SpotifySource(cfg, config.state_dir / "token.json")
        [outcome] = Retagger(config, ledger, MutagenTagger(), spotify=spotify).run()
    assert outcome.action == "would_move"  # the album is known now: another folder
    tags = MutagenTagger().read(config.library_dir / "The Artist/x.mp3")
    assert tags.album == "The Album" and tags.isrc == "QZFAKE000000" and tags.track_number == 1
    stored = ledger.track(row.key)
    assert stored is not None and stored.meta.album == "The Album"


class CountingIdentity:
    """Names a recording for every song but 'Song 2', whose audio is another recording."""

    def __init__(self) -> None:
        self.looked_up: list[str] = []

    def recording_for(self, meta: TrackMeta, *, search: bool = True) -> Identity | None:
        self.looked_up.append(meta.title or "")
        return Identity(recording_id=f"0000000{len(self.looked_up)}-aaaa-4aaa-8aaa-000000000000")

    fingerprints = True

    def fingerprint(self, path: Path) -> Fingerprint | None:
        return Fingerprint("AQAA", 3.0)

    def check(self, fingerprint: Fingerprint | None, asked: Identity | None,
              meta: TrackMeta) -> Identity:  # fmt: skip
        assert asked is not None and fingerprint is not None
        verdict = Verdict.MISMATCH if meta.title == "Song 2" else Verdict.VERIFIED
        return replace(asked, verdict=verdict, reason=f"{meta.title}: {verdict}",
                       acoustid_id="38338eff-b530-498c-a2ef-07e01d642187")  # fmt: skip


def test_identify_tags_the_library_once_and_resumes(config: Config, ledger: Ledger) -> None:
    lib = config.library_dir
    rows = [file_track(ledger, lib, n, f"Band/Album/Song {n}.mp3", meta(n)) for n in range(3)]
    tagger, identity = MutagenTagger(), CountingIdentity()
    stopped = Retagger(config, ledger, tagger, identity=identity).run()
    next(stopped)  # the run stops after the first track (Ctrl-C)
    stopped.close()
    outcomes = list(Retagger(config, ledger, tagger, identity=identity).run())
    assert [o.action for o in outcomes] == ["retagged"] * 3
    assert identity.looked_up == ["Song 0", "Song 1", "Song 2"]  # each once
    first = ID3(lib / str(rows[0].path))
    assert first["UFID:http://musicbrainz.org"].data == b"00000001-aaaa-4aaa-8aaa-000000000000"
    assert str(first["TXXX:Acoustid Id"]) == "38338eff-b530-498c-a2ef-07e01d642187"
    wrong = ledger.track(rows[2].key)
    assert wrong is not None and wrong.identity is not None
    assert wrong.identity.verdict == Verdict.MISMATCH and wrong.identity.recording_id is None
    assert tagger.read_recording_id(lib / str(rows[2].path)) is None
    list(Retagger(config, ledger, tagger, identity=identity).run())
    assert len(identity.looked_up) == 3  # known now: nothing asked again


def test_identify_checks_again_what_was_never_checked(config: Config, ledger: Ledger) -> None:
    """Filed while the key was refused, or before there was one: checked now. Filed after
    AcoustID was asked and did not know the audio: not asked again."""
    lib = config.library_dir
    rows = [file_track(ledger, lib, n, f"Band/Album/Song {n}.mp3", meta(n)) for n in range(4)]
    reasons = [f"{service.NO_ANSWER}AcoustID: POST /v2/lookup answered HTTP 400: invalid API key",
               service.NO_KEY, "AcoustID does not know this audio"]  # fmt: skip
    for row, reason in zip(rows, reasons, strict=False):  # the last track: no identity yet
        ledger.set_identity(row.id, Identity(verdict=Verdict.UNVERIFIED, reason=reason))
    identity = CountingIdentity()

    list(Retagger(config, ledger, MutagenTagger(), identity=identity).run())

    assert identity.looked_up == ["Song 0", "Song 1", "Song 3"]
    for n in (0, 1, 3):
        checked = ledger.track(rows[n].key)
        assert checked is not None and checked.identity is not None
        assert checked.identity.verdict == Verdict.VERIFIED
    known = ledger.track(rows[2].key)
    assert known is not None and known.identity is not None
    assert known.identity.reason == "AcoustID does not know this audio"
