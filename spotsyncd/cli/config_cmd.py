"""``spotsyncd config check|show``."""

from __future__ import annotations

import argparse
import sys

from spotsyncd.cli.command import Command
from spotsyncd.cli.common import config_from, print_json


def _arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "action",
        choices=["check", "show"],
        help="check: load the config and create its folders; "
        "show: print the effective configuration, secrets hidden",
    )
    parser.add_argument("--json", action="store_true", help="machine-readable JSON")


def cmd_config(args: argparse.Namespace) -> int:
    import yaml

    from spotsyncd.core.config import default_config_path, prepare_dirs

    config = config_from(args)
    if args.action == "check":
        prepare_dirs(config)
        source = config.source or f"defaults (no file at {default_config_path()})"
        print(f"config OK: {source}")
        print(f"  library {config.library_dir}, inbox {config.inbox_dir}, state {config.state_dir}")
        if config.renamed:
            print(f"warning: {config.renamed_warning()}", file=sys.stderr)
        return 0
    data = config.redacted()
    if args.json:
        print_json(data)
    else:
        print(f"# effective configuration (from {config.source or 'defaults'}; secrets hidden)")
        print(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), end="")
    return 0


CONFIG = Command(
    "config",
    "check or show the configuration",
    _arguments,
    cmd_config,
    exits={0: "the configuration is valid", 2: "the configuration is not valid (the line says "
           "which key, in which file)"},
)  # fmt: skip
