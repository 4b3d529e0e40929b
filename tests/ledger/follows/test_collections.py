"""Collections in the ledger (real SQLite and PostgreSQL): an imported file's playlists keep their
order, a track in several is one track, importing a list again replaces its items."""

from __future__ import annotations

from sqlalchemy import func, select

from spotsyncd.core.models import JobState, Link, LinkKind, Source, TrackMeta
from spotsyncd.ledger import Ledger
from spotsyncd.ledger.schema import tracks
from tests.ledger.follows.test_registry import finish


def song(n: int) -> Link:
    return Link(f"spotify:track:{n:022d}", f"https://open.spotify.com/track/{n:022d}",
                Source.SPOTIFY, LinkKind.TRACK)  # fmt: skip


def test_collections_keep_their_order_and_share_tracks(ledger: Ledger) -> None:
    links = [song(n) for n in (3, 1, 2, 4)]
    ledger.add_links(links, metas=[TrackMeta(title=f"Song {n}") for n in (3, 1, 2, 4)])
    road = ledger.save_collection("Road trip", [song(3).key, song(1).key, song(3).key],
                                  origin="Playlist1.json")  # fmt: skip
    liked = ledger.save_collection("Liked Songs", [song(n).key for n in (1, 2, 4)])
    assert road.size == 2 and liked.size == 3  # a repeat is listed once
    with ledger.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(tracks)).scalar() == 4
    assert [t.key for t in ledger.collection_tracks(road.id)] == [song(3).key, song(1).key]
    assert [(c.name, c.size, c.origin) for c in ledger.collections()] == [
        ("Liked Songs", 3, None),
        ("Road trip", 2, "Playlist1.json"),
    ]
    finish(ledger, song(1).key, "A/B/one.mp3")
    states = {t.key: (t.state, t.path) for t in ledger.collection_tracks(liked.id)}
    assert states[song(1).key] == (JobState.DONE, "A/B/one.mp3")
    assert states[song(2).key] == (JobState.PENDING, None)
    assert ledger.collection_states() == {
        liked.id: {"done": 1, "pending": 2},
        road.id: {"done": 1, "pending": 1},
    }


def test_importing_a_list_again_replaces_its_items(ledger: Ledger) -> None:
    ledger.add_links([song(n) for n in range(1, 5)])
    first = ledger.save_collection("Mix", [song(1).key, song(2).key])
    again = ledger.save_collection("Mix", [song(4).key, song(2).key, song(9).key])
    assert again.id == first.id and again.size == 2  # song 9 is not in the ledger
    assert [t.key for t in ledger.collection_tracks(again.id)] == [song(4).key, song(2).key]
    assert len(ledger.collections()) == 1


def test_a_file_s_hints_join_a_known_track_but_never_a_done_one(ledger: Ledger) -> None:
    """Metadata for tracks the ledger knows is merged in one statement: a pending track gains
    the file's title, album and length (as before: what is said last wins, gaps are kept), a
    done one is left as it was filed."""
    ledger.add_links([song(1), song(2)], metas=[TrackMeta(title="Own title"), None])
    finish(ledger, song(2).key, "A/two.mp3")
    hints = TrackMeta(title="File title", album="LP", duration_s=201.0)
    added = ledger.add_links([song(1), song(2), song(1)], metas=[hints, hints, hints])
    assert [a.created for a in added] == [False, False, False]
    one, two = ledger.track(song(1).key), ledger.track(song(2).key)
    assert one is not None and two is not None
    assert (one.meta.title, one.meta.album, one.meta.duration_s) == ("File title", "LP", 201.0)
    assert one.album == "LP" and two.meta.album is None


def test_a_follow_never_deletes_a_file_an_imported_playlist_lists(ledger: Ledger) -> None:
    """A follow with ``on_removed: delete`` drops a track that an imported playlist (here one
    ``get`` saved, so no inbox line asked for it) still lists: the file stays."""
    from tests.ledger.follows.test_registry import follow, listing, video

    fid = follow(ledger, "mix", on_removed="delete")
    ledger.apply_listing(fid, listing([1, 2]), now=1)
    finish(ledger, video(1).key, "Band/1.mp3")
    finish(ledger, video(2).key, "Band/2.mp3")
    ledger.save_collection("Road trip", [video(2).key], origin="road.m3u")
    ledger.apply_listing(fid, listing([]), now=2)
    assert [path for _, path in ledger.removable_files(fid)] == ["Band/1.mp3"]
