"""The command-line reference (``docs/reference/cli.md``), written from the parser itself.

    python -m spotsyncd.cli.reference --output docs/reference/cli.md   # regenerate
    python -m spotsyncd.cli.reference --check docs/reference/cli.md    # exit 1 when it drifted

Usage lines and argument forms are formatted here rather than by argparse's help formatter, whose
wrapping follows the terminal's width and whose layout changes between Python versions: the page
must come out the same on every machine, or the test that compares it would flap.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path

from spotsyncd.cli.command import (
    COMMON_EXITS,
    EXIT_LOCKED,
    EXIT_TEMPFAIL,
    LOCKED_EXIT,
    TEMPFAIL_EXIT,
    Command,
)

WIDTH = 96
REGENERATE = "python -m spotsyncd.cli.reference --output docs/reference/cli.md"


def render(parser: argparse.ArgumentParser, commands: Mapping[str, Command]) -> str:
    """The whole page, Markdown for MkDocs."""
    verbs = subcommands(parser)
    locking = ", ".join(f"`{c.name}`" for c in commands.values() if EXIT_LOCKED in c.exits)
    later = ", ".join(f"`{c.name}`" for c in commands.values() if EXIT_TEMPFAIL in c.exits)
    every_code = {
        **COMMON_EXITS,
        EXIT_LOCKED: f"{LOCKED_EXIT} ({locking})",
        EXIT_TEMPFAIL: f"{TEMPFAIL_EXIT} ({later})",
    }
    lines = [
        "# Command-line reference",
        "",
        "<!-- Generated from the parser: edit the commands in spotsyncd/cli/, not this page,",
        f"     then run `{REGENERATE}`. -->",
        "",
        parser.description or "",
        "",
        *_usage_block(parser),
        "Every command also takes `-h`/`--help` and `--config PATH` (as below) after its name.",
        "",
        "## Global options",
        "",
        *_arguments(parser),
        "## Exit codes",
        "",
        "Every command exits with one of these codes; each command's section says what its own "
        "codes mean for it.",
        "",
        *_exit_codes(dict(sorted(every_code.items()))),
        "## Commands",
        "",
        *(f"- [`{name}`](#{_anchor(name)}): {help_text}" for name, (help_text, _) in verbs.items()),
        "",
    ]
    for name, (help_text, sub) in verbs.items():
        lines += [f"## spotsyncd {name}", "", _sentence(help_text), "", *_usage_block(sub)]
        lines += ["**Arguments**", "", *_arguments(sub, shared=False)]
        lines += ["**Exit codes**", "", *_exit_codes(commands[name].exit_codes())]
    return "\n".join(lines).rstrip("\n") + "\n"


def subcommands(parser: argparse.ArgumentParser) -> dict[str, tuple[str, argparse.ArgumentParser]]:
    """Each verb's help line and parser, in the order ``--help`` lists them."""
    found: dict[str, tuple[str, argparse.ArgumentParser]] = {}
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            helps = {choice.dest: choice.help or "" for choice in action._choices_actions}
            for name, sub in action.choices.items():
                found[name] = (helps.get(name, ""), sub)
    return found


def documented_actions(parser: argparse.ArgumentParser) -> Iterator[argparse.Action]:
    """The arguments a user can give this parser (not the sub-command dispatch itself)."""
    for action in parser._actions:
        if not isinstance(action, argparse._SubParsersAction):
            yield action


def invocation(action: argparse.Action) -> str:
    """How an argument is written: ``--every EVERY``, ``-f, --follow``, ``[KEY ...]``."""
    value = _value(action)
    if not action.option_strings:
        return value
    names = ", ".join(action.option_strings)
    return f"{names} {value}" if value else names


def _value(action: argparse.Action) -> str:
    if action.nargs == 0:
        return ""
    if action.metavar is not None:
        name = str(action.metavar)
    elif action.choices is not None:
        name = "{" + ",".join(str(c) for c in action.choices) + "}"
    else:
        name = action.dest.upper() if action.option_strings else action.dest
    return {"?": f"[{name}]", "*": f"[{name} ...]", "+": f"{name} [{name} ...]"}.get(
        str(action.nargs), name
    )


def _usage(parser: argparse.ArgumentParser) -> str:
    parts: list[str] = []
    for action in documented_actions(parser):
        if action.option_strings:
            first = action.option_strings[0]
            value = _value(action)
            parts.append(f"[{first} {value}]" if value else f"[{first}]")
    parts += [_value(a) for a in documented_actions(parser) if not a.option_strings]
    if any(isinstance(a, argparse._SubParsersAction) for a in parser._actions):
        parts.append("COMMAND ...")
    lines = [parser.prog]
    for part in parts:  # wrap between parts, never inside one
        if len(lines[-1]) + 1 + len(part) > WIDTH and lines[-1].strip():
            lines.append(" " * len(parser.prog))
        lines[-1] += " " + part
    return "\n".join(lines)


def _usage_block(parser: argparse.ArgumentParser) -> list[str]:
    return ["```text", _usage(parser), "```", ""]


def _arguments(parser: argparse.ArgumentParser, *, shared: bool = True) -> list[str]:
    """One line per argument; ``shared=False`` leaves out ``--help`` and ``--config``, which
    every verb takes and the page describes once."""
    return [
        f"- `{invocation(a)}`: {a.help or ''}"
        for a in documented_actions(parser)
        if shared or not (isinstance(a, argparse._HelpAction) or a.dest == "config")
    ] + [""]


def _exit_codes(codes: Mapping[int, str]) -> list[str]:
    return [f"- `{code}`: {meaning}" for code, meaning in codes.items()] + [""]


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:] + ("" if text.endswith(".") else ".")


def _anchor(name: str) -> str:
    """MkDocs' (Python-Markdown toc) id for the heading ``spotsyncd NAME``."""
    return f"spotsyncd-{name}"


def main(argv: Sequence[str] | None = None) -> int:
    from spotsyncd.cli.main import COMMANDS, build_parser

    cli = argparse.ArgumentParser(
        prog="python -m spotsyncd.cli.reference",
        description="Write the command-line reference (Markdown) from spotsyncd's parser.",
    )
    where = cli.add_mutually_exclusive_group()
    where.add_argument("--output", type=Path, metavar="PATH", help="write it here, not stdout")
    where.add_argument(
        "--check", type=Path, metavar="PATH", help="exit 1 if PATH differs from what it would be"
    )
    args = cli.parse_args(argv)
    page = render(build_parser(), COMMANDS)
    if args.check is not None:
        current = args.check.read_text(encoding="utf-8") if args.check.exists() else ""
        if current != page:
            print(f"{args.check} is out of date: run '{REGENERATE}'", file=sys.stderr)
            return 1
        print(f"{args.check} is up to date")
        return 0
    if args.output is not None:
        args.output.parent.mkdir(parents=True, exist_ok=True)
        args.output.write_text(page, encoding="utf-8")
        print(f"wrote {args.output}", file=sys.stderr)
        return 0
    sys.stdout.write(page)
    return 0


if __name__ == "__main__":
    sys.exit(main())
