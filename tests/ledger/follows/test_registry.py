"""Follows in the ledger (real SQLite and PostgreSQL): the diff of a poll, what may be deleted."""

from __future__ import annotations

import time
from collections.abc import Sequence

import pytest
from sqlalchemy import func, select, update

from spotsyncd.core.errors import UserError
from spotsyncd.core.models import JobState, Link, LinkKind, ListedItem, Listing, Source, TrackMeta
from spotsyncd.ledger import Ledger
from spotsyncd.ledger.follows.registry import default_follow_name
from spotsyncd.ledger.schema import events, jobs, tracks


def video(n: int) -> Link:
    vid = f"vid{n:08d}"
    return Link(f"youtube:{vid}", f"https://www.youtube.com/watch?v={vid}", Source.YOUTUBE,
                LinkKind.TRACK)  # fmt: skip


def playlist(name: str) -> Link:
    return Link(f"youtube:playlist:{name}", f"https://www.youtube.com/playlist?list={name}",
                Source.YOUTUBE, LinkKind.COLLECTION)  # fmt: skip


def listing(numbers: Sequence[int], title: str | None = "Mix") -> Listing:
    items = tuple(
        ListedItem(video(n), TrackMeta(title=f"Song {n}", artists=("Band",))) for n in numbers
    )
    return Listing(title=title, items=items, fingerprint="fp-" + ",".join(map(str, numbers)))


def follow(ledger: Ledger, name: str, **options: str) -> int:
    row = ledger.add_follow(playlist(name), name=name, interval_s=3600, options=dict(options),
                            origin="cli")  # fmt: skip
    return row.id


def finish(ledger: Ledger, key: str, path: str) -> None:
    """Mark a track downloaded, the way the worker does."""
    row = ledger.track(key)
    assert row is not None
    with ledger.engine.connect() as conn:
        job_id = conn.execute(select(jobs.c.id).where(jobs.c.track_id == row.id)).scalar_one()
    ledger.finish_job(job_id, row.id, path=path, size_bytes=10, duration_s=200.0,
                      meta=TrackMeta(title="t"), info=None, audio_settings="mp3",
                      loudness_lufs=None, download_s=1, process_s=1, message="ok")  # fmt: skip


def inbox_add(ledger: Ledger, link: Link) -> None:
    file_id = ledger.start_inbox_file("links.txt")
    ledger.add_inbox_lines(file_id, [(1, link.url, link, None)])


def state(ledger: Ledger, key: str) -> JobState:
    row = ledger.track(key)
    assert row is not None
    return row.state


def count(ledger: Ledger, table: object) -> int:
    with ledger.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())  # type: ignore[arg-type]


# ------------------------------------------------------------------ follows


def test_same_key_from_config_and_cli_is_one_follow(ledger: Ledger) -> None:
    first = ledger.add_follow(playlist("PLa"), name=None, interval_s=3600, options={},
                              origin="config")  # fmt: skip
    again = ledger.add_follow(playlist("PLa"), name=None, interval_s=600,
                              options={"subdir": "Mixes"}, origin="cli")  # fmt: skip

    assert again.id == first.id and len(ledger.follows()) == 1
    assert (again.interval_s, again.options, again.origin) == (600, {"subdir": "Mixes"}, "cli")
    assert again.name == first.name == "youtube-playlist-PLa"
    assert ledger.follow("youtube:playlist:PLa") == ledger.follow(first.name) == again
    assert ledger.follow(playlist("PLa").url) == again


def test_default_names_are_unique_and_explicit_names_must_be(ledger: Ledger) -> None:
    ledger.add_follow(playlist("PLb"), name="youtube-playlist-PLa", interval_s=60, options={},
                      origin="cli")  # fmt: skip
    derived = ledger.add_follow(playlist("PLa"), name=None, interval_s=60, options={},
                                origin="cli")  # fmt: skip
    assert derived.name == "youtube-playlist-PLa (2)"
    with pytest.raises(UserError, match="already exists"):
        ledger.add_follow(playlist("PLc"), name="youtube-playlist-PLa", interval_s=60,
                          options={}, origin="cli")  # fmt: skip
    assert default_follow_name("spotify:liked") == "Liked Songs"
    assert default_follow_name("url:https://feeds.example.com/show/rss") == (
        "feeds.example.com-show-rss"
    )


@pytest.mark.e2e
def test_first_poll_names_an_unnamed_follow_after_its_title(ledger: Ledger) -> None:
    unnamed = ledger.add_follow(playlist("PLa"), name=None, interval_s=60, options={},
                                origin="cli")  # fmt: skip
    named = follow(ledger, "mine")
    ledger.apply_listing(unnamed.id, listing([1], title="Road Trip"), now=1)
    ledger.apply_listing(named, listing([1], title="Road Trip"), now=1)
    ledger.apply_listing(unnamed.id, listing([1], title="Renamed Later"), now=2)

    assert {f.name for f in ledger.follows()} == {"Road Trip", "mine"}


def test_remove_follow_keeps_tracks(ledger: Ledger) -> None:
    fid = follow(ledger, "a")
    ledger.apply_listing(fid, listing([1, 2]), now=1)

    assert ledger.remove_follow("a") is True
    assert ledger.remove_follow("a") is False
    assert ledger.follows() == [] and len(ledger.tracks()) == 2


# ------------------------------------------------------------------ the diff


def test_first_poll_queues_every_new_track_once(ledger: Ledger) -> None:
    fid = follow(ledger, "a", subdir="Mixes", on_removed="delete")

    diff = ledger.apply_listing(fid, listing([3, 1, 2, 1]), now=100.0)

    assert diff.new == ("youtube:vid00000003", "youtube:vid00000001", "youtube:vid00000002")
    assert (diff.relinked, diff.removed, diff.returned) == ((), (), ())
    assert ledger.counts()["pending"] == 3
    track = ledger.track("youtube:vid00000001")
    assert track is not None and track.title == "Song 1" and track.artist == "Band"
    assert track.options == {"subdir": "Mixes"}  # the follow's own on_removed is not copied
    assert [t.key for t in ledger.follow_tracks(fid)] == list(diff.new)
    row = ledger.follow("a")
    assert row is not None and (row.last_poll_at, row.last_change_at) == (100.0, 100.0)
    assert (row.tracks_known, row.tracks_done, row.fingerprint) == (3, 0, "fp-3,1,2,1")


def test_unchanged_listing_changes_nothing_but_the_poll_time(ledger: Ledger) -> None:
    fid = follow(ledger, "a")
    ledger.apply_listing(fid, listing([1, 2, 3]), now=100.0)
    before = (count(ledger, tracks), count(ledger, jobs), count(ledger, events))

    diff = ledger.apply_listing(fid, listing([1, 2, 3]), now=200.0)

    assert not diff.changed
    assert (count(ledger, tracks), count(ledger, jobs), count(ledger, events)) == before
    row = ledger.follow("a")
    assert row is not None and (row.last_poll_at, row.last_change_at) == (200.0, 100.0)


@pytest.mark.e2e
def test_track_done_via_an_inbox_link_is_linked_not_queued_again(ledger: Ledger) -> None:
    inbox_add(ledger, video(1))
    finish(ledger, video(1).key, "Band/Song 1.mp3")
    fid = follow(ledger, "a")

    diff = ledger.apply_listing(fid, listing([1, 2]), now=1)

    assert diff.new == ("youtube:vid00000002",) and diff.relinked == ("youtube:vid00000001",)
    assert state(ledger, video(1).key) == JobState.DONE
    assert ledger.counts()["pending"] == 1
    row = ledger.follow("a")
    assert row is not None and (row.tracks_known, row.tracks_done) == (2, 1)


def test_failed_tracks_are_linked_and_left_alone(ledger: Ledger) -> None:
    ledger.add_links([video(1)])
    with ledger.engine.begin() as conn:
        conn.execute(update(jobs).values(state=JobState.FAILED, error="gone"))
    fid = follow(ledger, "a")

    diff = ledger.apply_listing(fid, listing([1]), now=1)

    assert diff.relinked == ("youtube:vid00000001",) and diff.new == ()
    assert state(ledger, video(1).key) == JobState.FAILED
    assert ledger.follows()[0].tracks_failed == 1


def test_removed_tracks_are_recorded_absent_and_come_back(ledger: Ledger) -> None:
    fid = follow(ledger, "a")
    ledger.apply_listing(fid, listing([1, 2, 3]), now=1)
    finish(ledger, video(2).key, "Band/Song 2.mp3")

    gone = ledger.apply_listing(fid, listing([1, 3]), now=2)
    back = ledger.apply_listing(fid, listing([2, 1, 3]), now=3)

    assert gone.removed == ("youtube:vid00000002",) and gone.new == ()
    assert back.returned == ("youtube:vid00000002",) and back.moved == 2
    assert state(ledger, video(2).key) == JobState.DONE  # never re-downloaded
    absent = [t for t in ledger.follow_tracks(fid, include_absent=True) if t.absent_since]
    assert absent == []
    assert [t.key for t in ledger.follow_tracks(fid)] == [video(n).key for n in (2, 1, 3)]
    track = ledger.track(video(2).key)
    assert track is not None and track.path == "Band/Song 2.mp3"


def test_absent_tracks_stay_in_the_ledger_by_default(ledger: Ledger) -> None:
    fid = follow(ledger, "a")
    ledger.apply_listing(fid, listing([1, 2]), now=1)
    ledger.apply_listing(fid, listing([2]), now=5)

    items = ledger.follow_tracks(fid, include_absent=True)
    assert [(t.key, t.absent_since) for t in items] == [(video(2).key, None), (video(1).key, 5)]
    row = ledger.follow("a")
    assert row is not None and (row.tracks_known, row.tracks_absent) == (1, 1)
    assert len(ledger.tracks()) == 2


# ------------------------------------------------------------------ deleting files


def test_removable_files_exclude_what_another_follow_or_a_link_wants(ledger: Ledger) -> None:
    a = follow(ledger, "a", on_removed="delete")
    b = follow(ledger, "b")  # keeps what it drops
    ledger.apply_listing(a, listing([1, 2, 3]), now=1)
    ledger.apply_listing(b, listing([2, 3]), now=1)
    inbox_add(ledger, video(4))
    ledger.apply_listing(a, listing([1, 2, 3, 4]), now=2)
    for n in (1, 2, 3, 4):
        finish(ledger, video(n).key, f"Band/{n}.mp3")

    ledger.apply_listing(a, listing([]), now=3)  # a drops everything
    ledger.apply_listing(b, listing([3]), now=3)  # b dropped 2, still lists 3

    # 1: only a wanted it. 2: b dropped it but keeps removed tracks. 3: b lists it.
    # 4: an inbox file asked for it.
    assert ledger.removable_files(a) == [(ledger.track(video(1).key).id, "Band/1.mp3")]  # type: ignore[union-attr]
    assert ledger.removable_files(b) == []


def test_forgotten_file_is_queued_again_when_listed_again(ledger: Ledger) -> None:
    fid = follow(ledger, "a", on_removed="delete")
    ledger.apply_listing(fid, listing([1]), now=1)
    finish(ledger, video(1).key, "Band/1.mp3")
    ledger.apply_listing(fid, listing([]), now=2)
    [(track_id, path)] = ledger.removable_files(fid)

    ledger.forget_file(track_id)
    assert ledger.removable_files(fid) == []
    ledger.apply_listing(fid, listing([1]), now=3)

    assert state(ledger, video(1).key) == JobState.PENDING


# ------------------------------------------------------------------ poll bookkeeping


def test_poll_errors_back_off_per_follow(ledger: Ledger) -> None:
    a, b = follow(ledger, "a"), follow(ledger, "b")  # both due from the start
    soon = time.time() + 500
    ledger.record_poll_error(a, "rate_limited", "429 from the API", backoff_until=soon - 100)
    ledger.record_poll_error(a, "rate_limited", "429 again", backoff_until=soon)

    row = ledger.follow("a")
    assert row is not None and (row.failures, row.error_class, row.backoff_until) == (
        2, "rate_limited", soon
    )  # fmt: skip
    assert [f.id for f in ledger.due_follows(now=soon - 50)] == [b]
    assert {f.id for f in ledger.due_follows(now=soon)} == {a, b}

    ledger.record_poll_unchanged(a, now=700.0)
    row = ledger.follow("a")
    assert row is not None and (row.failures, row.error, row.backoff_until) == (0, None, None)
    assert row.next_poll_at == 700.0 + 3600 and row.last_poll_at == 700.0


def test_bench_quick_runs_and_reports_timings() -> None:
    from bench.polling import main

    result = main(["--quick"])

    assert result["ledger_tracks"] == 2_000 and result["playlist_tracks"] == 200
    assert 0 < result["unchanged_ms"] < 5_000 and 0 < result["changed_ms"] < 5_000
