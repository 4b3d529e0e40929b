"""Build the clients for the configured media servers."""

from __future__ import annotations

from pathlib import Path

from spotsyncd.core.config import Config
from spotsyncd.core.config_media import MediaServerConfig
from spotsyncd.mediaservers.base import DEFAULT_TIMEOUT_S, MediaServerClient
from spotsyncd.mediaservers.jellyfin import JellyfinClient
from spotsyncd.mediaservers.plex import PlexClient
from spotsyncd.mediaservers.subsonic import SubsonicClient

CLIENTS: dict[str, type[MediaServerClient]] = {
    "navidrome": SubsonicClient,
    "jellyfin": JellyfinClient,
    "plex": PlexClient,
}


def build_client(
    cfg: MediaServerConfig, library_dir: Path, *, timeout_s: float = DEFAULT_TIMEOUT_S
) -> MediaServerClient:
    return CLIENTS[cfg.type](cfg, library_dir, timeout_s=timeout_s)


def build_clients(
    config: Config, *, timeout_s: float = DEFAULT_TIMEOUT_S
) -> list[MediaServerClient]:
    return [build_client(s, config.library_dir, timeout_s=timeout_s) for s in config.media_servers]
