"""SIGHUP: read the configuration again and hand it to the running parts, without a restart.

A config that does not load is refused whole and the running one kept. The directories (library,
inbox, state) stay as they are until a restart: the lock, the ledger and the watchers hold them.
Settings the adapters were built from (timeouts, cookies, ffmpeg, Spotify credentials, search
settings) rebuild the adapters; the number of download workers takes effect at the next start.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from spotsyncd.core.config import Config, load_config, prepare_dirs
from spotsyncd.core.protocols import Adapters
from spotsyncd.engine.daemon.services import Services
from spotsyncd.mediaservers.rescan import RescanDebouncer

log = logging.getLogger(__package__)

RELOADED = ("audio", "download", "library", "matching", "follows", "log_level")  # logged
FIXED = ("library_dir", "inbox_dir", "state_dir")  # until the next start
ADAPTERS_FROM = ("download", "spotify", "matching", "youtube")


@dataclass(frozen=True)
class NewConfig:
    config: Config  # as read, with the running directories kept
    changed: tuple[str, ...]  # the sections that changed, for the log line
    rebuild_adapters: bool


def read_new_config(running: Config, path: Path | None) -> NewConfig:
    """The configuration at ``path`` as the running daemon can take it; ``ConfigError`` if it
    does not load (the caller keeps the running one)."""
    new = load_config(path)
    prepare_dirs(new)
    changed = tuple(k for k in RELOADED if getattr(new, k) != getattr(running, k))
    fixed = [k for k in FIXED if getattr(new, k) != getattr(running, k)]
    if fixed:
        log.warning(
            "reload: %s changed; restart spotsyncd for that to take effect", ", ".join(fixed)
        )
        fixed_dirs = {k: getattr(running, k) for k in FIXED}
        new = new.model_copy(update=fixed_dirs)
    rebuild = any(getattr(new, k) != getattr(running, k) for k in ADAPTERS_FROM)
    if new.download.workers != running.download.workers:
        log.warning("reload: download.workers takes effect at the next restart")
    return NewConfig(new, changed, rebuild)


def apply_new_config(
    change: NewConfig,
    services: Services | None,
    rescans: RescanDebouncer | None,
    adapters_factory: Callable[[Config], Adapters],
) -> None:
    """Hand ``change`` to the running parts and to the log level."""
    new = change.config
    if services is not None:
        services.workers.config = new
        services.workers.pipeline.config = new
        if change.rebuild_adapters:
            services.workers.pipeline.adapters = adapters_factory(new)
        services.inbox.config = new
        if services.scheduler is not None:
            adapters = services.workers.pipeline.adapters if change.rebuild_adapters else None
            services.scheduler.reload(new, adapters)
    if rescans is not None:
        from spotsyncd.mediaservers.servers import build_clients
        from spotsyncd.system.logsetup import add_secrets

        add_secrets(new.secrets)  # credentials of servers this reload added

        rescans.clients = build_clients(new)
        rescans.quiet_s = new.media_servers_debounce_s
        rescans.start()  # servers added by this reload
    logging.getLogger().setLevel(logging.DEBUG if new.log_level == "debug" else logging.INFO)
    log.info("configuration reloaded (%s)", ", ".join(change.changed) or "no changes")
