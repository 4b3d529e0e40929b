"""Playlist files and exports dropped into the inbox, with the daemon as a real process: their
entries are queued like a link file's lines, and what cannot be fetched is reported with why."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from tests.e2e.harness import Daemon, Env, wait_for
from tests.fakes.http_server import LoopbackServer

pytestmark = pytest.mark.timeout(180)

SHARED = Path(__file__).resolve().parents[2].parent / "shared" / "realworld" / "playlists"


def _drop_bytes(env: Env, name: str, data: bytes) -> None:
    tmp = env.inbox / f".{name}.part"
    tmp.write_bytes(data)
    os.replace(tmp, env.inbox / name)


def test_an_xspf_playlist_is_fetched_and_reported(env: Env, audio_server: LoopbackServer) -> None:
    mp3, flac = audio_server.url("/mp3/tone.mp3"), audio_server.url("/flac/tone.flac")
    xspf = f"""<?xml version="1.0" encoding="UTF-8"?>
<playlist version="1" xmlns="http://xspf.org/ns/0/">
  <title>Road trip</title>
  <trackList>
    <track><location>{mp3}</location><title>One</title><creator>Someone</creator></track>
    <track><location>{flac}</location><duration>3000</duration></track>
    <track><location>{mp3}</location></track>
    <track><location>file:///home/me/Music/03%20-%20Song.flac</location></track>
  </trackList>
</playlist>"""
    with Daemon(env) as daemon:
        daemon.wait_ready()
        _drop_bytes(env, "trip.xspf", xspf.encode())
        report_file = env.inbox / "processed" / "trip.xspf.report.txt"
        wait_for(
            lambda: report_file.exists() and "in progress" not in report_file.read_text("utf-8"),
            120,
            daemon,
            what="both tracks of the playlist to be filed and the report to be final",
        )
    assert not (env.inbox / "trip.xspf").exists()
    report = report_file.read_text(encoding="utf-8")
    assert report.count("done →") == 2, report
    assert "refused →" in report and "local" in report, report
    assert len([p for p in env.library_files() if p.suffix == ".mp3"]) == 2


def test_a_spotify_account_export_is_queued_whole(env: Env) -> None:
    if not SHARED.is_dir():
        pytest.skip("../shared/realworld/playlists is not present")
    data = (SHARED / "spotify_account_Playlist1.json").read_bytes()
    document = json.loads(data)
    tracks = {
        item["track"]["trackUri"]
        for playlist in document["playlists"]
        for item in playlist["items"]
        if item.get("track")
    }
    episodes = sum(
        1 for playlist in document["playlists"] for item in playlist["items"] if item.get("episode")
    )
    with Daemon(env) as daemon:
        daemon.wait_ready()
        _drop_bytes(env, "Playlist1.json", data)
        wait_for(
            lambda: "Playlist1.json accepted" in daemon.output(),
            60,
            daemon,
            what="the export to be accepted",
        )
        output = daemon.output()
    assert (env.inbox / "processed" / "Playlist1.json").exists()
    ledger = env.ledger()
    try:
        keys = {row.key for row in ledger.tracks()}
    finally:
        ledger.close()
    assert {uri for uri in tracks} <= keys, tracks - keys
    assert f"{len(tracks)} links queued, {episodes} lines refused" in output


def test_a_file_that_is_no_playlist_moves_to_failed_with_the_reason(env: Env) -> None:
    with Daemon(env) as daemon:
        daemon.wait_ready()
        _drop_bytes(env, "colours.csv", b"colour,shape\nred,round\n")
        reason_file = env.inbox / "failed" / "colours.csv.reason.txt"
        wait_for(reason_file.exists, 30, daemon, what="the file to be refused")
    reason = (env.inbox / "failed" / "colours.csv.reason.txt").read_text(encoding="utf-8")
    assert "not a playlist file" in reason and "Exportify" in reason
