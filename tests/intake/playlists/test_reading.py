"""Every real playlist file gives every item it holds: counted here from the raw file by other
means (lines, rows, elements, JSON items), each item is one result (a link or a reason), and
each playlist of the file keeps its tracks in the file's order."""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path

import pytest

from spotsyncd.intake.playlists.formats import read_playlist_file
from spotsyncd.intake.playlists.reading import NamedList, entry_meta, playlist_results
from spotsyncd.intake.playlists.text import decode
from tests.intake.playlists.test_formats import EXPECTED


def _held(path: Path) -> int:
    """How many items the file holds, counted without the readers under test."""
    text = decode(path.read_bytes()).lstrip("\ufeff")
    name = path.name
    if name.endswith(".m3u"):
        return sum(1 for line in text.splitlines() if line.strip() and not line.startswith("#"))
    if name.endswith(".pls"):
        return len(re.findall(r"^File\d+=", text, re.MULTILINE | re.IGNORECASE))
    if name.endswith(".xspf"):
        return len(re.findall(r"<(?:\w+:)?track[\s>]", text))
    if name.startswith("listenbrainz_jspf"):
        document = json.loads(text)
        return len(document["playlist"].get("playlist", document["playlist"])["track"])
    if name == "spotify_account_Playlist1.json":
        return sum(len(p["items"]) for p in json.loads(text)["playlists"])
    if name == "spotify_account_YourLibrary.json":
        document = json.loads(text)
        return sum(len(document[k]) for k in ("tracks", "albums", "episodes"))
    if name.startswith("takeout"):
        lines = text.splitlines()
        start = next(i for i, line in enumerate(lines) if line.lower().startswith("video id"))
        return sum(1 for row in csv.reader(lines[start + 1 :]) if any(v.strip() for v in row))
    rows = list(csv.reader(io.StringIO(text)))
    return sum(1 for row in rows[1:] if any(v.strip() for v in row))


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_every_item_of_a_real_file_is_a_link_or_a_reason(playlists_dir: Path, name: str) -> None:
    parsed = read_playlist_file((playlists_dir / name).read_bytes(), name)
    assert parsed.entry_count + len(parsed.problems) == _held(playlists_dir / name)
    lists: list[NamedList] = []
    results = list(playlist_results(parsed, lists=lists, fallback_name="x"))
    links = [r for r in results if r.link is not None]
    assert len({r.link.key for r in links if r.link}) == len(links)  # each track once
    # Each result is a link or a reason; results and refused problems cover every item.
    assert all(r.error for r in results if r.link is None)
    assert len(results) >= len(parsed.problems) + len({r.link.key for r in links if r.link})
    for named in lists:
        assert set(named.keys) <= {r.link.key for r in links if r.link}


def test_a_real_account_export_keeps_each_playlist_in_order(playlists_dir: Path) -> None:
    data = (playlists_dir / "spotify_account_Playlist1.json").read_bytes()
    lists: list[NamedList] = []
    list(playlist_results(read_playlist_file(data, "Playlist1.json"), lists=lists))
    document = json.loads(data)
    expected = [
        (p["name"], [i["track"]["trackUri"] for i in p["items"] if i["track"]])
        for p in document["playlists"]
    ]
    assert [(n.name, n.keys) for n in lists] == [(n, k) for n, k in expected if k]


def test_a_real_exportify_file_gives_the_matcher_its_hints(playlists_dir: Path) -> None:
    name = "exportify_watsonbox_format_isrc.csv"
    parsed = read_playlist_file((playlists_dir / name).read_bytes(), name)
    rows = list(csv.DictReader(io.StringIO(decode((playlists_dir / name).read_bytes()))))
    entry, row = parsed.collections[0].entries[0], rows[0]
    meta = entry_meta(entry)
    assert meta is not None
    assert meta.duration_s == pytest.approx(int(row["Track Duration (ms)"]) / 1000)
    assert (meta.album, meta.isrc, meta.title) == (
        row["Album Name"],
        row["ISRC"],
        row["Track Name"],
    )
