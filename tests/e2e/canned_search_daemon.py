"""``spotsyncd run`` (or ``spotsyncd worker``) with a canned search provider, for end-to-end
tests of Spotify links.

YouTube Music cannot be reached offline, so this launcher runs the real daemon with every real
adapter except the searchers, which answer from the JSON file named by ``FAKE_SEARCH_FILE``
(a list of candidate objects whose ``url`` points at loopback audio). Every query gets the whole
list: picking the right one among the decoys is the scorer's job, as it is for real results.
``{"bot_check": "message"}`` instead makes every search meet YouTube's bot check.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from spotsyncd.core.config import Config, load_config
from spotsyncd.core.errors import BotCheckError
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
        if isinstance(data, dict) and data.get("bot_check"):  # YouTube asks "are you a bot?"
            raise BotCheckError(f"YouTube Music search for {query!r}: {data['bot_check']}")
        return [Candidate(**{**item, "artists": tuple(item.get("artists", ()))}) for item in data][
            :limit
        ]


def main(argv: Sequence[str]) -> int:
    """``run`` (the default) or ``worker N`` (``spotsyncd worker --concurrency N``)."""
    config = load_config(None)
    searcher = CannedSearcher(Path(os.environ["FAKE_SEARCH_FILE"]))

    def adapters(cfg: Config) -> Adapters:
        return build_adapters(cfg, searchers=[searcher])

    if argv[:1] == ["worker"]:
        from spotsyncd.cli.run import end_process
        from spotsyncd.engine.scaleout.remote import run_worker

        setup_logging(config, to_file=False)
        code = run_worker(config, concurrency=int(argv[1]), adapters_factory=adapters)
        end_process(code)
    setup_logging(config)
    from spotsyncd.cli.run import _start_web  # the web too, when the config turns it on

    return Daemon(config, adapters_factory=adapters, web_factory=_start_web).run()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
