"""docs/reference/cli.md is what the parser says, and says it for every verb."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from spotsyncd.cli.main import COMMANDS, build_parser
from spotsyncd.cli.reference import (
    REGENERATE,
    documented_actions,
    invocation,
    main,
    render,
    subcommands,
)

ROOT = Path(__file__).resolve().parents[2]
PAGE = ROOT / "docs" / "reference" / "cli.md"


def test_the_committed_reference_is_what_the_parser_says() -> None:
    page = render(build_parser(), COMMANDS)
    assert PAGE.read_text(encoding="utf-8") == page, (
        f"{PAGE.relative_to(ROOT)} is out of date: run '{REGENERATE}' to regenerate it"
    )


def _section(page: str, name: str) -> str:
    match = re.search(rf"^## spotsyncd {re.escape(name)}\n(.*?)(?=^## |\Z)", page, re.M | re.S)
    assert match, f"no section for {name}"
    return match.group(1)


def test_each_verb_has_usage_arguments_and_exit_codes() -> None:
    parser = build_parser()
    page = render(parser, COMMANDS)
    assert page.startswith("# Command-line reference\n")
    for name, (help_text, sub) in subcommands(parser).items():
        section = _section(page, name)
        assert help_text and help_text[1:] in section
        assert f"```text\nspotsyncd {name} [-h] [--config PATH]" in section
        for action in documented_actions(sub):
            if action.dest not in ("help", "config"):
                assert f"- `{invocation(action)}`: {action.help}" in section, (name, action.dest)
        for code, meaning in COMMANDS[name].exit_codes().items():
            assert f"- `{code}`: {meaning}" in section


def test_the_page_does_not_depend_on_the_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    wide = render(build_parser(), COMMANDS)
    monkeypatch.setenv("COLUMNS", "40")
    assert render(build_parser(), COMMANDS) == wide


def test_check_says_when_the_page_drifted(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "cli.md"
    assert main(["--output", str(target)]) == 0
    assert main(["--check", str(target)]) == 0
    target.write_text(target.read_text(encoding="utf-8").replace("--new-only", "--new"), "utf-8")
    assert main(["--check", str(target)]) == 1
    assert f"{target} is out of date: run '{REGENERATE}'" in capsys.readouterr().err
