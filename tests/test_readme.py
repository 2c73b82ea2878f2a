"""The README is part of the contract: its commands and option reference must stay true."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

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


@pytest.mark.parametrize(
    "command",
    ["index", "query", "show", "similar", "stats", "serve", "alert add", "alert list", "alert remove", "alert run"],
)
def test_every_option_of_a_command_is_in_the_readme(command: str) -> None:
    result = CliRunner().invoke(app, [*command.split(), "--help"], env={"COLUMNS": "200", "NO_COLOR": "1"})
    assert result.exit_code == 0
    options = set(re.findall(r"(?<![\w-])--[a-z][a-z-]+", result.stdout)) - {"--help"}
    assert options, "the help text lists options"
    missing = sorted(option for option in options if f"`{option}" not in README)
    assert not missing, f"`newssearch {command}` options missing from the README: {missing}"


def _format_examples() -> dict[str, str]:
    """The example file under each format's paragraph in "Input formats", by extension."""
    section = README.split("## Input formats", 1)[1].split("\n## ", 1)[0]
    examples: dict[str, list[str]] = {}
    current = None
    for line in section.splitlines():
        heading = re.match(r"\*\*`(\.\w+)`", line)
        if heading:
            current = heading.group(1)
        elif current and (line.startswith("    ") or (not line and current in examples)):
            examples.setdefault(current, []).append(line[4:])
        elif current in examples:
            current = None  # the example ended; the next paragraph is prose
    return {ext: "\n".join(lines).strip("\n") + "\n" for ext, lines in examples.items()}


def test_every_format_example_in_the_readme_indexes_as_it_says(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    examples = _format_examples()
    assert set(examples) == {".txt", ".md", ".json", ".html"}
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    names = {".txt": "wall.txt", ".md": "lanterns.md", ".json": "feed.jsonl", ".html": "strike.html"}
    for ext, text in examples.items():
        (corpus / names[ext]).write_text(text, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()

    indexed = runner.invoke(app, ["index", "--json"])
    assert indexed.exit_code == 0, indexed.output
    summary = json.loads(indexed.stdout)
    assert (summary["articles"], summary["failed"], summary["problems"]) == (4, 0, [])

    def only_hit(query: str) -> dict[str, Any]:
        found = runner.invoke(app, ["query", query, "--json"])
        assert found.exit_code == 0, found.output
        results = json.loads(found.stdout)["results"]
        assert len(results) == 1
        shown = runner.invoke(app, ["show", results[0]["id"], "--json"])
        return dict(json.loads(shown.stdout))

    wall = only_hit("masons")
    assert wall["title"] == "Harbour Wall Repaired Before Storms"
    lanterns = only_hit("lanterns")
    assert (lanterns["doc_id"], lanterns["date"], lanterns["source"]) == (
        "nl-2025-0042",
        "2025-02-03",
        "Northern Lantern",
    )
    assert lanterns["captions"][0]["text"].endswith("(AP)")
    assert [s["heading"] for s in lanterns["sections"]] == [None, "How the festival began"]
    wind = only_hit("planners")
    assert (wind["doc_id"], wind["source"], wind["tags"]) == ("wd-1", "Wire Desk", ["energy"])
    assert len(wind["sections"][0]["paragraphs"]) == 2
    strike = only_hit("dockworkers")
    assert (strike["date"], strike["source"]) == ("2025-03-14T09:30:00+01:00", "The Harbour Gazette")
    assert [c["text"] for c in strike["captions"]] == ["Strikers at the east gate (Reuters)"]
    assert [s["heading"] for s in strike["sections"]] == [None, "Why the talks broke down"]
    assert runner.invoke(app, ["query", "sport"]).exit_code == 1  # the page's navigation is not text
