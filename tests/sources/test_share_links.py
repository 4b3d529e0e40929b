"""Spotify short share links against the loopback Spotify stand-in served over real TLS.

The stand-in answers as ``spotify.link`` / ``spoti.fi`` / ``spotify.app.link`` (by Host header)
with a certificate made for those names; the resolver is told (test seams only) that those
names live on 127.0.0.1 and that loopback is allowed, and trusts the test certificate.
"""

from __future__ import annotations

import shutil
import ssl
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from spotsyncd.core.errors import LinkError
from spotsyncd.core.models import LinkKind, Source
from spotsyncd.intake.links import parse_line, parse_link, read_link_file
from spotsyncd.sources.share_links import ShortLinkResolver, is_public_address
from tests.fakes.spotify_api import FakeSpotify

TRACK = "4uLU6hMCjMI75M1A2tKUQC"
ALBUM = "1DFixLWuPkv3KT3TnV35m3"
NAMES = ("spotify.link", "spoti.fi", "spotify.app.link")


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, str]:
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.skip("no openssl to make a test certificate (apt-get install openssl)")
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        [openssl, "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
         "-nodes", "-days", "1", "-subj", "/CN=spotify.link", "-keyout", str(key), "-out",
         str(cert), "-addext", "subjectAltName=" + ",".join(f"DNS:{n}" for n in NAMES)],
        check=True, capture_output=True, timeout=60,
    )  # fmt: skip
    return str(cert), str(key)


@pytest.fixture
def fake(certificate: tuple[str, str]) -> Iterator[tuple[FakeSpotify, ShortLinkResolver]]:
    with FakeSpotify() as spotify:
        port = spotify.serve_tls(*certificate)
        tls = ssl.create_default_context(cafile=certificate[0])
        resolver = ShortLinkResolver(
            lookup=lambda host, _port: [("127.0.0.1", port)],
            address_allowed=lambda address: address == "127.0.0.1",
            tls=tls,
            timeout_s=5.0,
        )
        yield spotify, resolver


def test_spotify_link_resolves_to_the_track(fake: tuple[FakeSpotify, ShortLinkResolver]) -> None:
    spotify, resolver = fake
    spotify.add_short_link(
        "https://spotify.link/AbCdEf123", f"https://open.spotify.com/track/{TRACK}?si=x&_branch=1"
    )
    link = parse_link("https://spotify.link/AbCdEf123", short_links=resolver)
    assert (link.key, link.url) == (
        f"spotify:track:{TRACK}",
        f"https://open.spotify.com/track/{TRACK}",
    )
    assert (link.source, link.kind) == (Source.SPOTIFY, LinkKind.TRACK)
    assert spotify.hits["/AbCdEf123"] == 1
    parse_link("spotify.link/AbCdEf123", short_links=resolver)  # remembered: no second request
    assert spotify.hits["/AbCdEf123"] == 1


def test_spoti_fi_through_the_app_link_hop(fake: tuple[FakeSpotify, ShortLinkResolver]) -> None:
    spotify, resolver = fake
    spotify.add_short_link("https://spoti.fi/3xYz", "https://spotify.app.link/q1w2?_p=c", 301)
    spotify.add_short_link(
        "https://spotify.app.link/q1w2", f"https://open.spotify.com/album/{ALBUM}"
    )
    link = parse_line("follow https://spoti.fi/3xYz", short_links=resolver)
    assert (link.key, link.kind, link.follow) == (
        f"spotify:album:{ALBUM}",
        LinkKind.COLLECTION,
        True,
    )


def test_short_links_in_a_link_file(
    fake: tuple[FakeSpotify, ShortLinkResolver], tmp_path: Path
) -> None:
    spotify, resolver = fake
    spotify.add_short_link("https://spotify.link/one", f"https://open.spotify.com/track/{TRACK}")
    path = tmp_path / "links.txt"
    path.write_text(
        f"https://spotify.link/one\nhttps://open.spotify.com/track/{TRACK}\n"
        "https://spotify.link/missing\nhttps://youtu.be/dQw4w9WgXcQ?si=AbC\n"
    )
    results = list(read_link_file(path, short_links=resolver))
    keys = [r.link.key for r in results if r.link]
    assert keys == [f"spotify:track:{TRACK}", "youtube:dQw4w9WgXcQ"]  # the same track once
    errors = [r.error for r in results if r.error]
    assert len(errors) == 1 and "HTTP 404 instead of a redirect" in str(errors[0])


@pytest.mark.parametrize(
    ("location", "reason"),
    [
        ("https://169.254.169.254/latest/meta-data/", "leads to https://169.254.169.254"),
        ("https://evil.example/track/x", "leads to https://evil.example"),
        ("http://spotify.app.link/plain", "leads to http://spotify.app.link"),
        ("https://spotify.link/loop", "more than 4 redirects"),
    ],
)
def test_redirects_that_leave_spotify_are_refused(
    fake: tuple[FakeSpotify, ShortLinkResolver], location: str, reason: str
) -> None:
    spotify, resolver = fake
    spotify.add_short_link("https://spotify.link/bad", location)
    spotify.add_short_link("https://spotify.link/loop", "https://spotify.link/loop")
    with pytest.raises(LinkError, match=reason):
        parse_link("https://spotify.link/bad", short_links=resolver)


def test_a_host_resolving_to_a_private_address_is_never_contacted() -> None:
    contacted: list[str] = []

    def lookup(host: str, port: int) -> list[tuple[str, int]]:
        contacted.append(host)
        return [("10.0.0.7", port), ("127.0.0.1", port), ("fe80::1", port)]

    resolver = ShortLinkResolver(lookup=lookup, timeout_s=1.0)  # the real address policy
    with pytest.raises(LinkError, match="resolves to 10.0.0.7, 127.0.0.1, fe80::1, not a public"):
        resolver.resolve("https://spotify.link/abc")
    assert contacted == ["spotify.link"]  # looked up, never connected


@pytest.mark.parametrize(
    ("address", "public"),
    [
        ("127.0.0.1", False), ("10.1.2.3", False), ("172.16.0.1", False), ("192.168.1.1", False),
        ("169.254.169.254", False), ("0.0.0.0", False), ("::1", False), ("fe80::1", False),
        ("fc00::1", False), ("::ffff:127.0.0.1", False), ("224.0.0.1", False),
        ("100.64.0.1", False), ("35.186.224.25", True), ("2600:1901:0:9e8::", True),
    ],
)  # fmt: skip
def test_address_policy(address: str, public: bool) -> None:
    assert is_public_address(address) is public


def test_unreachable_short_link_says_to_try_again() -> None:
    def lookup(host: str, port: int) -> list[tuple[str, int]]:
        raise OSError("Name or service not known")

    with pytest.raises(LinkError, match="could not be resolved.*try again later"):
        ShortLinkResolver(lookup=lookup).resolve("https://spotify.link/abc")
