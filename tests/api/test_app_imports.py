"""``POST /api/v1/imports`` on the real app and a real ledger: a file's bytes are read and queued
per playlist, kept in the inbox's processed/ with a report path, and bad uploads get a reason and
change nothing."""

from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy import func, select

from spotsyncd.ledger.schema import inbox_files, tracks
from tests.api.conftest import Web

SHARED = Path(__file__).resolve().parents[2].parent / "shared" / "realworld" / "playlists"
URL = "/api/v1/imports"


def _export() -> bytes:
    song = {"trackName": "Both", "artistName": "Band", "albumName": "LP",
            "trackUri": "spotify:track:0000000000000000000001"}  # fmt: skip
    other = {"trackName": "One", "artistName": "Band", "albumName": "LP",
             "trackUri": "spotify:track:0000000000000000000002"}  # fmt: skip
    local = {"track": None, "localTrack": {"uri": "spotify:local:a:b:c:1"}}
    return json.dumps({"playlists": [
        {"name": "Morning", "items": [{"track": song}, {"track": other}, local]},
        {"name": "Evening", "items": [{"track": song}]},
    ]}).encode()  # fmt: skip


def _count(web: Web, table: object) -> int:
    with web.ledger.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar() or 0)  # type: ignore[arg-type]


def test_an_export_is_queued_per_playlist(web: Web) -> None:
    response = web.client.post(URL, params={"name": "Playlist1.json"}, content=_export())
    assert response.status_code == 202, response.text
    body = response.json()
    assert body["format"] == "Spotify playlist export"
    assert (body["queued"], body["known"], body["refused"]) == (2, 0, 1)
    assert body["collections"] == [
        {"name": "Morning", "tracks": 2, "queued": 2},
        {"name": "Evening", "tracks": 1, "queued": 1},
    ]
    assert "local file" in body["refusals"][0]["reason"]
    stored = Path(body["file"])
    assert stored.parent == web.config.inbox_dir / "processed" and stored.read_bytes() == _export()
    assert web.nudges
    again = web.client.post(
        URL, content=_export(), headers={"Content-Disposition": 'attachment; filename="P.json"'}
    ).json()
    assert (again["queued"], again["known"]) == (0, 2) and Path(again["file"]).name == "P.json"
    assert _count(web, tracks) == 2 and len(web.ledger.collections()) == 2
    listed = web.client.get("/api/v1/collections").json()
    assert [(c["name"], c["tracks"], c["states"], c["playlist"]) for c in listed] == [
        ("Evening", 1, {"pending": 1}, "Playlists/Evening.m3u8"),
        ("Morning", 2, {"pending": 2}, "Playlists/Morning.m3u8"),
    ]
    assert listed[0]["origin"] == "P.json"


def test_real_exports_upload(web: Web) -> None:
    if not SHARED.is_dir():
        return
    for name in ("exportify_2024_city_pop_80s.csv", "spotify_account_YourLibrary.json"):
        response = web.client.post(URL, params={"name": name}, content=(SHARED / name).read_bytes())
        assert response.status_code == 202, response.text
    names = {c.name for c in web.ledger.collections()}
    assert {"exportify_2024_city_pop_80s", "Liked Songs"} <= names


def test_bad_uploads_get_a_reason_and_change_nothing(web: Web) -> None:
    cases = [
        ({"name": "colours.csv"}, b"colour,shape\nred,round\n", 415, "not a playlist file"),
        ({"name": "x.png"}, b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", 415, "binary"),
        ({"name": "broken.json"}, b'{"playlists": [', 400, "not valid JSON"),
        ({}, b"#EXTM3U\nhttps://example.org/a.mp3\n", 400, "name the file"),
        ({"name": "../"}, b"#EXTM3U\nhttps://example.org/a.mp3\n", 400, "name the file"),
        ({"name": "empty.m3u"}, b"  \n", 400, "empty"),
        ({"name": "StreamingHistory0.json"},
         b'[{"endTime": "2024-01-01 10:00", "msPlayed": 1000}]', 415, "history"),
    ]  # fmt: skip
    for params, data, status, why in cases:
        response = web.client.post(URL, params=params, content=data)
        assert response.status_code == status, (params, response.text)
        assert why in response.json()["error"]["message"], response.text
    assert _count(web, inbox_files) == 0 and _count(web, tracks) == 0
    assert not (web.config.inbox_dir / "processed").exists() or not any(
        (web.config.inbox_dir / "processed").iterdir()
    )


def test_the_body_cap_is_the_route_s_own(web: Web) -> None:
    big = b"#EXTM3U\n" + b"#" * (2 * 1024 * 1024)  # over the usual 1 MiB cap, under 16 MiB
    response = web.client.post(URL, params={"name": "big.m3u"}, content=big)
    assert response.status_code == 202, response.text
    huge = b"#" * (16 * 1024 * 1024 + 1)
    response = web.client.post(URL, params={"name": "huge.m3u"}, content=huge)
    assert response.status_code == 413 and "split the file" in response.text
    links = web.client.post("/api/v1/links", content=b"{" + b" " * (2 * 1024 * 1024) + b"}")
    assert links.status_code == 413


def test_an_upload_needs_the_token(web: Web) -> None:
    response = web.anonymous.post(URL, params={"name": "a.m3u"}, content=b"#EXTM3U\n")
    assert response.status_code == 401


def test_an_inbox_that_cannot_keep_the_file_is_a_503_and_changes_nothing(web: Web) -> None:
    processed = web.config.inbox_dir / "processed"
    if processed.is_dir():
        processed.rmdir()
    processed.write_text("not a folder", encoding="utf-8")
    response = web.client.post(URL, params={"name": "Playlist1.json"}, content=_export())
    assert response.status_code == 503 and "cannot keep the file" in response.text
    assert _count(web, inbox_files) == 0 and _count(web, tracks) == 0
