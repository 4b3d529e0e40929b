"""Which metadata a filed track carries: Spotify's beats everything, a search's find beats the
video, a file's own tags beat yt-dlp's guess, a YouTube Music album page's facts beat the video;
gaps are filled from the others."""

from __future__ import annotations

from spotsyncd.core.models import JobState, LinkKind, Source, TrackMeta
from spotsyncd.engine.jobs.metadata import chapters_after_trim, merged_meta
from spotsyncd.ledger import TrackRow

VIDEO = TrackMeta(title="Song (Official Video)", artists=("Uploader",), date="2020",
                  source_url="https://www.youtube.com/watch?v=abc")  # fmt: skip
TAGS = TrackMeta(title="Song", artists=("Band",), genre="Rock")


def _track(source: Source, url: str = "https://example.org/x") -> TrackRow:
    return TrackRow(
        id=1, key=f"{source}:x", url=url, source=source, kind=LinkKind.TRACK,
        state=JobState.RUNNING, attempts=1, title=None, artist=None, album=None, path=None,
        replaces_path=None, error_class=None, error=None, retry_at=None, override_url=None,
        meta=TrackMeta(), options={}, size_bytes=None, duration_s=None, done_at=None,
        created_at=0.0, progress=None,
    )  # fmt: skip


def test_spotify_beats_the_file_and_the_video_and_names_its_own_page() -> None:
    url = "https://open.spotify.com/track/4uLU6hMCjMI75M1A2tKUQC"
    wanted = TrackMeta(title="Song", artists=("Band", "Guest"), album="Album")
    meta = merged_meta(_track(Source.SPOTIFY, url), wanted, TAGS, VIDEO)
    assert (meta.title, meta.artists, meta.album) == ("Song", ("Band", "Guest"), "Album")
    assert meta.genre == "Rock" and meta.date == "2020"  # gaps filled from the file, the video
    assert meta.source_url == url


def test_the_file_s_own_tags_beat_yt_dlp_s_guess() -> None:
    meta = merged_meta(_track(Source.GENERIC), TrackMeta(), TAGS, VIDEO)
    assert (meta.title, meta.artists, meta.date) == ("Song", ("Band",), "2020")
    assert meta.source_url == VIDEO.source_url


def test_a_playlist_file_s_title_beats_yt_dlp_s_guess_from_a_file_name() -> None:
    """An M3U line '#EXTINF:5,Loop Artist - Loop Song' before http://host/song.mp3: yt-dlp can
    only guess 'song' from the file name; the playlist's title wins, the file's own tags most."""
    listed = TrackMeta(title="Loop Song", artists=("Loop Artist",), duration_s=5.0)
    guess = TrackMeta(title="song")
    meta = merged_meta(_track(Source.GENERIC), listed, TrackMeta(), guess)
    assert (meta.title, meta.artists) == ("Loop Song", ("Loop Artist",))
    meta = merged_meta(_track(Source.GENERIC), listed, TAGS, guess)
    assert (meta.title, meta.artists) == ("Song", ("Band",))


def test_a_search_s_find_beats_the_video() -> None:
    found = TrackMeta(title="Found", artists=("Found Artist",))
    meta = merged_meta(_track(Source.SEARCH), found, TAGS, VIDEO)
    assert (meta.title, meta.artists) == ("Found", ("Found Artist",))


def test_an_album_page_s_facts_beat_the_video_and_a_link_without_a_page_names_itself() -> None:
    listed = TrackMeta(title="Track", album="LP", track_number=3)
    meta = merged_meta(_track(Source.YOUTUBE), listed, TrackMeta(), TrackMeta(title="Video"))
    assert (meta.title, meta.album, meta.track_number) == ("Track", "LP", 3)
    assert meta.source_url == "https://example.org/x"


def test_a_podcast_episode_s_feed_beats_the_file_s_tags() -> None:
    track = _track(Source.GENERIC)
    episode = TrackRow(**{**track.__dict__, "key": "podcast:0123456789ab:0123456789abcdef0123"})
    feed = TrackMeta(title="Episode 1: Pilot", artists=("Host",), album="Show", genre="Podcast",
                     source_url="https://cdn.example/ep1.mp3")  # fmt: skip
    junk = TrackMeta(title="ep1", artists=("Encoder",), album="Unknown", date="2019")
    meta = merged_meta(episode, feed, junk, TrackMeta(title="ep1"))
    assert (meta.title, meta.artists, meta.album) == ("Episode 1: Pilot", ("Host",), "Show")
    assert meta.date == "2019" and meta.source_url == "https://cdn.example/ep1.mp3"


def test_only_an_episode_keeps_a_comment_and_chapters_from_its_file() -> None:
    embedded = TrackMeta(title="Song", comment="Encoded by X", chapters=((0.0, "Intro"),))
    song = merged_meta(_track(Source.GENERIC), TrackMeta(), embedded, VIDEO)
    assert song.comment is None and song.chapters == ()
    track = _track(Source.GENERIC)
    episode = TrackRow(**{**track.__dict__, "key": "podcast:0123456789ab:0123456789abcdef0123"})
    meta = merged_meta(episode, TrackMeta(title="Ep", comment="Show notes"), embedded, VIDEO)
    assert meta.comment == "Show notes" and meta.chapters == ((0.0, "Intro"),)


def test_chapters_move_with_the_silence_cut_from_the_start() -> None:
    meta = TrackMeta(chapters=((0.0, "Silence"), (1.0, "Intro"), (5.0, "Story")))
    moved = chapters_after_trim(meta, 1.5)
    assert moved.chapters == ((0.0, "Intro"), (3.5, "Story"))  # Intro played at the cut
    assert chapters_after_trim(meta, 0.0) is meta
