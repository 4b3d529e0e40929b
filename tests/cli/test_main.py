"""The parser ``main`` builds from the commands' own declarations: every verb and argument is
documented, and building it imports nothing but the standard library and the CLI's modules."""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

from spotsyncd.cli.command import Command
from spotsyncd.cli.main import COMMANDS, build_parser
from spotsyncd.cli.reference import invocation

ROOT = Path(__file__).resolve().parents[2]


def undocumented(parser: argparse.ArgumentParser, path: str = "spotsyncd") -> list[str]:
    """Every verb and argument under ``parser`` without help text, as ``spotsyncd VERB ARG``."""
    missing: list[str] = []
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            helps = {choice.dest: choice.help for choice in action._choices_actions}
            for name, sub in action.choices.items():
                if not helps.get(name):
                    missing.append(f"{path} {name}")
                missing += undocumented(sub, f"{path} {name}")
        elif not action.help or action.help == argparse.SUPPRESS:
            missing.append(f"{path} {invocation(action)}")
    return missing


def _verbs(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    (dispatch,) = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    return dict(dispatch.choices)


def test_every_argument_of_every_verb_has_help_text() -> None:
    parser = build_parser()
    assert list(_verbs(parser)) == list(COMMANDS), "the walk sees every verb, in order"
    assert undocumented(parser) == []


def test_the_walk_finds_an_argument_without_help() -> None:
    parser = argparse.ArgumentParser(prog="spotsyncd")
    sub = parser.add_subparsers(dest="command")

    def arguments(p: argparse.ArgumentParser) -> None:
        p.add_argument("url")
        p.add_argument("--name", help="")
        p.add_argument("--every", help="poll interval")

    Command("demo", "a verb", arguments, lambda args: 0).register(sub)
    Command("bare", "", lambda p: None, lambda args: 0).register(sub)
    assert undocumented(parser) == [
        "spotsyncd demo url",
        "spotsyncd demo --name NAME",
        "spotsyncd bare",
    ]


def test_each_verb_runs_its_own_handler() -> None:
    for name, command in COMMANDS.items():
        assert command.name == name
        assert command.handler.__module__ == command.arguments.__module__, (
            f"{name}: its arguments are declared next to its handler"
        )


def test_every_verb_takes_config_after_its_name() -> None:
    parser = build_parser()
    for name, sub in _verbs(parser).items():
        assert any(a.dest == "config" for a in sub._actions), name
    args = parser.parse_args(["status", "--config", "/x/c.yaml", "--json"])
    assert args.config == Path("/x/c.yaml") and args.json
    assert not hasattr(parser.parse_args(["status"]), "handler")


def test_building_the_parser_imports_only_the_standard_library_and_the_cli() -> None:
    """What keeps ``spotsyncd --help`` fast: the command modules leave every other import
    (config, ledger, engine, yaml, rich, …) to their handlers."""
    code = (
        "import sys; before = set(sys.modules)\n"
        "from spotsyncd.cli.main import build_parser\n"
        "build_parser().format_help()\n"
        "print('\\n'.join(sorted(set(sys.modules) - before)))\n"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("SPOTSYNCD_")}
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    imported = done.stdout.split()
    assert "spotsyncd.cli.follow" in imported and "spotsyncd.cli.get" in imported
    ours = ("spotsyncd", "spotsyncd.cli")
    outside = [
        m
        for m in imported
        if m not in ours
        and not m.startswith("spotsyncd.cli.")
        and m.split(".")[0] not in sys.stdlib_module_names
    ]
    assert outside == [], (
        f"imported while building the parser (import them in the handler): {outside}"
    )
    assert "spotsyncd.cli.get_view" not in imported
    # Standard modules that cost --help several ms each (dataclasses pulls in inspect): the
    # handlers that need them import them.
    costly = {"dataclasses", "inspect", "json", "logging", "socket", "threading", "sqlite3"}
    assert costly.isdisjoint(imported), costly & set(imported)
