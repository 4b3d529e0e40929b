"""Identity end to end: a real daemon matches four Spotify tracks over canned searches,
downloads their audio from loopback, looks them up on loopback stand-ins of MusicBrainz and
AcoustID answering recorded responses (tests/fakes/musicbrainz.py), and files them:

1. Focus - Hocus Pocus: MusicBrainz knows neither its ISRC nor finds it; AcoustID's recorded
   answer for the audio is Focus's Hocus Pocus (200 s): **verified**, its recording adopted;
2. Ed Sheeran - Nina: the matcher's choice is Hocus Pocus's audio (**mismatch**), the next
   candidate's is Nina: verified, filed from the second candidate;
3. the Mozart symphony movement: its ISRC names the recording on seven releases (after a 503),
   the audio is unknown to AcoustID: **unverified**, filed with MusicBrainz's IDs;
4. Ed Sheeran - Thinking Out Loud: its ISRC has three recordings, and every candidate's audio
   is another recording: **review**, then accepted from the API and filed.

The stand-in maps the fingerprints of the test's own audio (computed here with ffmpeg) to the
recorded answers: the verdicts are the daemon's.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import httpx
import pytest
from mutagen.id3 import ID3

from tests.e2e.harness import canned_search_daemon, spotify_env, wait_for
from tests.e2e.test_web import web_env, web_url
from tests.fakes import musicbrainz as mb
from tests.fakes.audio import FFMPEG
from tests.fakes.http_server import LoopbackServer
from tests.fakes.spotify_api import FakeSpotify

pytestmark = [
    pytest.mark.timeout(240),
    pytest.mark.skipif(not mb.available(), reason="../shared/realworld is not present"),
]

TOL_ISRC, MOZART_ISRC = "GBAHS1400099", "ATX770300040"
MOZART = 'Symphony no. 40 in G minor, K. 550 "Great": I. Allegro molto'


def make_sound(path: Path, source: str) -> Path:
    subprocess.run([FFMPEG, "-hide_banner", "-loglevel", "error", "-y", "-f", "lavfi", "-i",
                    source, "-ac", "2", "-c:a", "aac", "-b:a", "128k", str(path)],
                   check=True)  # fmt: skip
    return path


def fingerprint_of(path: Path) -> str:
    """What Chromaprint says of the first 120 s, computed here, apart from spotsyncd's code."""
    done = subprocess.run([FFMPEG, "-hide_banner", "-loglevel", "error", "-i", str(path),
                           "-t", "120", "-f", "chromaprint", "-fp_format", "base64", "-"],
                          capture_output=True, check=True)  # fmt: skip
    return done.stdout.decode("ascii").strip()


def spotify_track(spotify: FakeSpotify, album: str, artists: list[str], title: str,
                  seconds: int, isrc: str, date: str = "2014-06-20") -> str:  # fmt: skip
    (track_id,) = spotify.add_album(
        f"4LBUM{abs(hash(album)) % 10**17:017d}", album, artists, [title], release_date=date
    )
    spotify.tracks[track_id]["duration_ms"] = seconds * 1000
    spotify.tracks[track_id]["external_ids"] = {"isrc": isrc}
    return track_id


def candidate(title: str, artists: list[str], seconds: int, url: str, kind: str) -> dict[str, Any]:
    video = f"{abs(hash(url)) % 10**11:011d}"
    return {"video_id": video, "title": title, "artists": artists, "duration_s": seconds,
            "kind": kind, "url": url}  # fmt: skip


def test_verified_mismatch_unverified_and_review(tmp_path: Path) -> None:
    with FakeSpotify() as spotify, LoopbackServer() as audio, LoopbackServer() as services:
        brainz, acoustid = mb.FakeMusicBrainz(services), mb.FakeAcoustid(services)
        hocus = make_sound(tmp_path / "hocus.m4a", "sine=frequency=330:duration=6")
        nina = make_sound(tmp_path / "nina.m4a", "sine=frequency=1250:duration=6")
        unknown = make_sound(tmp_path / "unknown.m4a", "anoisesrc=d=6:c=pink:seed=7")
        prints = {fingerprint_of(p) for p in (hocus, nina, unknown)}
        assert len(prints) == 3, "the test's sounds must have distinct fingerprints"
        acoustid.answer(fingerprint_of(hocus), mb.hocus_pocus_lookup())
        acoustid.answer(fingerprint_of(nina), mb.nina_lookup())

        served = {name: audio.add(f"/{name}.m4a", path.read_bytes(), "audio/mp4") for name, path
                  in (("hocus", hocus), ("nina-wrong", hocus), ("nina", nina), ("mozart", unknown),
                      ("tol", hocus), ("tol-video", nina))}  # fmt: skip
        ids = {
            "hocus": spotify_track(spotify, "Moving Waves", ["Focus"], "Hocus Pocus", 200,
                                   "NLB157100010"),
            "nina": spotify_track(spotify, "x (Deluxe Edition)", ["Ed Sheeran"], "Nina", 225,
                                  "GBAHS1400101"),
            "mozart": spotify_track(spotify, "The Classic Composers, Volume 3: Musical "
                                    "Masterpieces", ["Hans Graf", "Mozarteum Orchester Salzburg"],
                                    MOZART, 458, MOZART_ISRC, date="2005-01-01"),
            "tol": spotify_track(spotify, "x", ["Ed Sheeran"], "Thinking Out Loud", 281,
                                 TOL_ISRC),
        }  # fmt: skip
        for unknown_isrc in ("NLB157100010", "GBAHS1400101"):
            brainz.add_isrc(unknown_isrc, [])  # MusicBrainz's 404: then a search
        brainz.add_isrc(MOZART_ISRC, [mb.mozart_on_seven_releases()])
        services.fail(f"/ws/2/isrc/{MOZART_ISRC}", [503])
        brainz.add_isrc(TOL_ISRC, [mb.thousand_nights(), mb.thinking_out_loud(),
                                   mb.the_enemy_video()])  # fmt: skip
        search = tmp_path / "candidates.json"
        search.write_text(json.dumps([
            candidate("Hocus Pocus", ["Focus"], 200, served["hocus"], "song"),
            candidate("Nina", ["Ed Sheeran"], 225, served["nina-wrong"], "song"),
            candidate("Ed Sheeran - Nina (Official Audio)", ["Ed Sheeran"], 225, served["nina"],
                      "video"),
            candidate(MOZART, ["Hans Graf"], 458, served["mozart"], "song"),
            candidate("Thinking Out Loud", ["Ed Sheeran"], 281, served["tol"], "song"),
            candidate("Ed Sheeran - Thinking Out Loud [Official Video]", ["Ed Sheeran"], 281,
                      served["tol-video"], "video"),
        ]), encoding="utf-8")  # fmt: skip

        env = spotify_env(
            tmp_path / "world", spotify,
            musicbrainz={"enabled": True, "api_url": brainz.api_url,
                         "contact": "tests@example.org"},
            acoustid={"api_url": acoustid.api_url, "api_key": acoustid.api_key},
        )  # fmt: skip
        web_env(env)
        keys = {name: f"spotify:track:{track_id}" for name, track_id in ids.items()}

        def states() -> dict[str, str]:
            rows = json.loads(env.cli("tracks", "--json", check=True).stdout)
            return {row["key"]: row["state"] for row in rows}

        with canned_search_daemon(env, search) as daemon:
            daemon.wait_ready()
            env.drop("identity.txt", [f"https://open.spotify.com/track/{i}" for i in ids.values()])
            wanted = {keys["hocus"]: "done", keys["nina"]: "done", keys["mozart"]: "done",
                      keys["tol"]: "review"}  # fmt: skip
            wait_for(lambda: states() == wanted, 150, daemon, what="three filed, one in review")

            review = env.cli("why", keys["tol"], check=True).stdout
            assert "review" in review and "mismatch: the audio is Focus - Hocus Pocus" in review
            url = web_url(env, daemon)
            auth = {"Authorization": f"Bearer {env.cli('web', 'token', check=True).stdout.strip()}"}
            detail = httpx.get(f"{url}/api/v1/tracks/{keys['tol']}", headers=auth).json()
            assert detail["state"] == "review" and detail["verdict"] == "mismatch"
            checked = [c for c in detail["candidates"] if c.get("verdict")]
            assert [c["url"] for c in checked][:2] == [served["tol"], served["tol-video"]]
            assert all(c["verdict"] == "mismatch" for c in checked)
            refused = httpx.post(f"{url}/api/v1/tracks/{keys['hocus']}/accept", headers=auth)
            assert refused.status_code == 409  # only a track in review is accepted
            accepted = httpx.post(f"{url}/api/v1/tracks/{keys['tol']}/accept", headers=auth)
            assert accepted.status_code == 202, accepted.text
            wait_for(lambda: states()[keys["tol"]] == "done", 60, daemon, what="accepted, filed")
            daemon.stop()

        assert audio.hits["/nina-wrong.m4a"] >= 1 and audio.hits["/nina.m4a"] >= 1
        assert services.hits[f"/ws/2/isrc/{MOZART_ISRC}"] == 2  # a 503, then the answer
        # One request a track: the two ISRCs MusicBrainz does not know are not searched for,
        # since AcoustID names their audio (the search waits for the fingerprint).
        paths = sorted(path.split("?")[0] for _at, path, _agent in brainz.requests)
        assert paths == sorted(
            f"/ws/2/isrc/{isrc}" for isrc in ("NLB157100010", "GBAHS1400101", MOZART_ISRC, TOL_ISRC)
        ), paths
        times = sorted(at for at, _path, _agent in brainz.requests)
        gaps = [b - a for a, b in zip(times, times[1:], strict=False)]
        assert min(gaps) >= 0.95, gaps  # one request a second at most
        assert all("tests@example.org" in agent for _at, _path, agent in brainz.requests)
        assert all(set(r) == {"client", "format", "duration", "fingerprint", "meta"}
                   for r in acoustid.requests)  # a fingerprint and a length: no audio  # fmt: skip

    rows = {row["key"]: row for row in json.loads(env.cli("tracks", "--json", check=True).stdout)}
    verdicts = {name: rows[key]["verdict"] for name, key in keys.items()}
    assert verdicts == {"hocus": "verified", "nina": "verified", "mozart": "unverified",
                        "tol": "mismatch"}  # fmt: skip

    def tags(name: str) -> ID3:
        return ID3(env.library / rows[keys[name]]["path"])

    def txxx(found: ID3, name: str) -> list[str]:
        frame = found.get(f"TXXX:{name}")
        return [str(v) for v in frame.text] if frame is not None else []

    def recording(found: ID3) -> str | None:
        frame = found.get("UFID:http://musicbrainz.org")
        return frame.data.decode() if frame is not None else None

    hocus_tags = tags("hocus")
    assert recording(hocus_tags) == "308d6e5a-52ff-41ca-aae8-7881e92472be"
    assert txxx(hocus_tags, "Acoustid Id") == ["38338eff-b530-498c-a2ef-07e01d642187"]
    assert txxx(hocus_tags, "MusicBrainz Artist Id") == ["821e11d6-cfec-44a7-9615-06a4e631c975"]

    nina_tags = tags("nina")
    assert recording(nina_tags) == "017830c1-d1cf-46f3-8801-aaaa0a930223"
    assert txxx(nina_tags, "MusicBrainz Release Group Id") == [
        "c24e5416-cd2e-4cff-851b-5faa78db98a2"
    ]
    assert rows[keys["nina"]]["identity"]["acoustid_id"] == "9ff43b6a-4f16-427c-93c2-92307ca505e0"

    mozart_tags = tags("mozart")
    assert recording(mozart_tags) == "d88ad1b4-73a7-4b3d-893a-9a6bfc8cf429"
    assert txxx(mozart_tags, "MusicBrainz Album Id") == ["10cd503c-2466-3ab3-8e5f-1d8632c0df88"]
    assert txxx(mozart_tags, "MusicBrainz Release Track Id") == [
        "17dfd781-0780-3d08-b3e0-809dda9d171f"
    ]
    assert txxx(mozart_tags, "MusicBrainz Artist Id") == [
        "b791b51c-03d0-427e-a96e-75090623d168",
        "a027c92f-0fe9-4a6d-af45-6f5fd18ed544",
    ]
    assert not txxx(mozart_tags, "Acoustid Id")  # AcoustID did not know the audio

    accepted_tags = tags("tol")  # another recording, filed because the user said so
    assert recording(accepted_tags) is None
    assert txxx(accepted_tags, "Acoustid Id") == ["38338eff-b530-498c-a2ef-07e01d642187"]
    assert "filed as chosen" in rows[keys["tol"]]["identity"]["reason"]
