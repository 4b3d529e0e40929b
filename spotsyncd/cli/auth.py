"""``spotsyncd auth spotify``: log in with Authorization Code + PKCE."""

from __future__ import annotations

import argparse

from spotsyncd.cli.common import config_from, nudge_daemon


def cmd_auth(args: argparse.Namespace) -> int:
    from spotsyncd.core.config import prepare_dirs
    from spotsyncd.sources.spotify.source import SpotifySource

    config = config_from(args)
    prepare_dirs(config)
    source = SpotifySource(config.spotify, config.token_cache)
    print(
        f"Add this redirect URI to your Spotify app: "
        f"http://127.0.0.1:{config.spotify.redirect_port}/callback"
    )
    name = source.login(not args.no_browser, timeout_s=args.timeout)
    print(f"logged in to Spotify as {name}; token saved in {config.token_cache} (mode 0600)")
    nudge_daemon(config)
    return 0
