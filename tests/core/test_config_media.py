"""``media_servers:`` and ``media_servers_debounce`` in the config: parsed, validated with the
key and line in the message, secrets hidden in ``redacted()``."""

from __future__ import annotations

from pathlib import Path

import pytest

from spotsyncd.core.config import load_config
from spotsyncd.core.errors import ConfigError

GOOD = """\
library_dir: {lib}
state_dir: {state}
media_servers_debounce: 2m
media_servers:
  - type: navidrome
    url: http://nas:4533/
    user: admin
    password: nd-secret-pw
  - type: jellyfin
    url: https://jf.example.org
    api_key: jf-secret-key
    name: living room
  - type: plex
    url: http://127.0.0.1:32400
    token: px-secret-token
    section: Music
    library_path: /data/music
"""


def _load(tmp_path: Path, text: str) -> object:
    path = tmp_path / "config.yaml"
    path.write_text(text.format(lib=tmp_path / "lib", state=tmp_path / "state"), encoding="utf-8")
    return load_config(path, env={})


def test_media_servers_parsed_and_redacted(tmp_path: Path) -> None:
    config = _load(tmp_path, GOOD)
    servers = config.media_servers  # type: ignore[attr-defined]
    assert [s.type for s in servers] == ["navidrome", "jellyfin", "plex"]
    assert servers[0].url == "http://nas:4533" and servers[1].name == "living room"
    assert servers[2].library_path == "/data/music" and servers[2].section == "Music"
    assert config.media_servers_debounce_s == 120  # type: ignore[attr-defined]
    shown = str(config.redacted())  # type: ignore[attr-defined]
    for secret in ("nd-secret-pw", "jf-secret-key", "px-secret-token"):
        assert secret not in shown
        assert secret in config.secrets  # type: ignore[attr-defined]
    assert shown.count("'***'") == 3


def test_defaults(tmp_path: Path) -> None:
    config = _load(tmp_path, "library_dir: {lib}\nstate_dir: {state}\n")
    assert config.media_servers == () and config.media_servers_debounce_s == 60  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("entry", "key", "words"),
    [
        ("  - type: kodi\n    url: http://x", "media_servers.type", "navidrome, jellyfin, plex"),
        ("  - type: plex\n    url: ftp://x\n    token: t", "media_servers.url", "http(s) URL"),
        ("  - type: plex\n    url: http://u:p@x\n    token: t", "media_servers.url", "own keys"),
        ("  - type: jellyfin\n    url: http://x", "media_servers.api_key", "API key"),
        ("  - type: plex\n    url: http://x", "media_servers.token", "X-Plex-Token"),
        ("  - type: navidrome\n    url: http://x\n    password: p", "media_servers.user", "user"),
        ("  - type: navidrome\n    url: http://x\n    user: a", "media_servers.password", "salt"),
        ("  - type: jellyfin\n    url: http://x\n    api_key: k\n    token: t",
         "media_servers.token", "not used by a jellyfin"),
        ("  - type: plex\n    url: http://x\n    token: t\n    passwrd: p",
         "media_servers.passwrd", "unknown key"),
        ("  - type: plex\n    url: http://x\n    token: t\n    library_path: music",
         "media_servers.library_path", "absolute"),
        ("  - http://x", "media_servers", "mapping"),
        ("  - type: plex\n    token: t", "media_servers.url", "required here"),
    ],
)  # fmt: skip
def test_bad_entries_name_the_key_and_line(
    tmp_path: Path, entry: str, key: str, words: str
) -> None:
    with pytest.raises(ConfigError) as caught:
        _load(tmp_path, "library_dir: {lib}\nmedia_servers:\n" + entry + "\n")
    message = str(caught.value)
    assert f"'{key}'" in message and ":3:" in message and words in message


def test_bad_debounce(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="media_servers_debounce"):
        _load(tmp_path, "library_dir: {lib}\nmedia_servers_debounce: soon\n")
    with pytest.raises(ConfigError, match="between 1"):
        _load(tmp_path, "library_dir: {lib}\nmedia_servers_debounce: 0\n")


def test_each_type_is_its_own_model_of_the_union(tmp_path: Path) -> None:
    from spotsyncd.core.config_media import JellyfinServer, NavidromeServer, PlexServer

    config = _load(tmp_path, GOOD.replace("type: plex", "type: Plex"))
    kinds = [type(server) for server in config.media_servers]  # type: ignore[attr-defined]
    assert kinds == [NavidromeServer, JellyfinServer, PlexServer]
    assert config.media_servers[2].type == "plex"  # type: ignore[attr-defined]
    assert config.media_servers[0].name == "navidrome"  # type: ignore[attr-defined]
    assert PlexServer.uses == ("token", "section") and JellyfinServer.uses == ("api_key",)


def test_server_secrets_never_show_in_repr(tmp_path: Path) -> None:
    config = _load(tmp_path, GOOD)
    for server in config.media_servers:  # type: ignore[attr-defined]
        assert "secret" not in repr(server) and "***" in repr(server)


def test_missing_type_names_the_key(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r":3: 'media_servers.type': expected one of navidrome"):
        _load(tmp_path, "library_dir: {lib}\nmedia_servers:\n  - url: http://x\n")
