"""The README is part of the contract: its commands and option reference must stay true."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from newssearch.cli import app

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")


def _commands() -> list[str]:
    """The README's indented command lines, in order."""
    return [line.strip() for line in README.splitlines() if line.startswith("    python3 -m venv")]


def test_readme_opens_with_the_install_and_the_test_command() -> None:
    install, test = _commands()[:2]
    assert "pip install ." in install and "newssearch index" in install and "newssearch query" in install
    assert '".[test]"' in test and test.endswith("pytest")


def test_ci_runs_the_readme_test_command_verbatim() -> None:
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert _commands()[1] in ci.splitlines()


@pytest.mark.parametrize("command", ["index", "query", "show", "stats"])
def test_every_option_of_a_command_is_in_the_readme(command: str) -> None:
    result = CliRunner().invoke(app, [command, "--help"], env={"COLUMNS": "200", "NO_COLOR": "1"})
    assert result.exit_code == 0
    options = set(re.findall(r"(?<![\w-])--[a-z][a-z-]+", result.stdout)) - {"--help"}
    assert options, "the help text lists options"
    missing = sorted(option for option in options if f"`{option}" not in README)
    assert not missing, f"`newssearch {command}` options missing from the README: {missing}"
