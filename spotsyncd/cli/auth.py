"""``spotsyncd auth spotify``: log in with Authorization Code + PKCE."""

from __future__ import annotations

import argparse

from spotsyncd.cli.command import Command
from spotsyncd.cli.common import config_from, nudge_daemon


def _arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("service", choices=["spotify"], help="the service to log in to")
    parser.add_argument("--no-browser", action="store_true", help="print the URL only")
    parser.add_argument(
        "--timeout",
        type=float,
        default=300.0,
        metavar="SECONDS",
        help="how long to wait for the browser to come back (default 300)",
    )


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


AUTH = Command(
    "auth",
    "log in to Spotify (PKCE, loopback redirect)",
    _arguments,
    cmd_auth,
    exits={0: "logged in; the token is saved", 1: "the login failed or timed out"},
)
