"""``spotsyncd run`` with a canned search provider, for end-to-end tests of Spotify links.

YouTube Music cannot be reached offline, so this launcher runs the real daemon with every real
adapter except the searchers, which answer from the JSON file named by ``FAKE_SEARCH_FILE``
(a list of candidate objects whose ``url`` points at loopback audio). Every query gets the whole
list: picking the right one among the decoys is the scorer's job, as it is for real results.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from spotsyncd.core.config import Config, load_config
from spotsyncd.core.models import Candidate
from spotsyncd.core.protocols import Adapters
from spotsyncd.engine.daemon import Daemon
from spotsyncd.engine.wiring import build_adapters
from spotsyncd.system.logsetup import setup_logging


class CannedSearcher:
    name = "canned"

    def __init__(self, path: Path) -> None:
        self.path = path

    def search(self, query: str, *, limit: int = 10) -> Sequence[Candidate]:
        data = json.loads(self.path.read_text(encoding="utf-8"))
        return [Candidate(**{**item, "artists": tuple(item.get("artists", ()))}) for item in data][
            :limit
        ]


def main() -> int:
    config = load_config(None)
    setup_logging(config)
    searcher = CannedSearcher(Path(os.environ["FAKE_SEARCH_FILE"]))

    def adapters(cfg: Config) -> Adapters:
        return build_adapters(cfg, searchers=[searcher])

    from spotsyncd.api.server import start_web  # served when the config turns the web on

    return Daemon(config, adapters_factory=adapters, web_factory=start_web).run()


if __name__ == "__main__":
    sys.exit(main())
