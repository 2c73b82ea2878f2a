"""`--index` names the folder newssearch owns (README, "Commands"): a file there is named as the
mistake it is, and a folder holding other things is never written into."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import Result

from conftest import one_line_error

Cli = Callable[..., Result]


@pytest.mark.parametrize(("command", "code"), [("query", 2), ("show", 2), ("stats", 2), ("index", 3)])
def test_index_at_a_file_is_named_as_a_file(seed_corpus: Path, cli: Cli, command: str, code: int) -> None:
    (seed_corpus.parent / "notes.txt").write_text("mine\n")
    args = {"query": ["query", "rafah"], "show": ["show", "c3d0"], "stats": ["stats"], "index": ["index"]}[command]
    result = cli(*args, "--index", "notes.txt")
    assert result.exit_code == code
    assert "is a file, not" in one_line_error(result)
    assert (seed_corpus.parent / "notes.txt").read_text() == "mine\n"


@pytest.mark.parametrize("flags", [[], ["--rebuild"]])
def test_index_never_writes_into_a_folder_of_other_files(seed_corpus: Path, cli: Cli, flags: list[str]) -> None:
    home = seed_corpus.parent / "home"
    home.mkdir()
    (home / "thesis.docx").write_bytes(b"PK\x03\x04")
    result = cli("index", "--index", "home", *flags)
    assert result.exit_code == 2
    assert "holds other files (thesis.docx)" in one_line_error(result)
    assert sorted(p.name for p in home.iterdir()) == ["thesis.docx"]


def test_index_writes_into_a_new_an_empty_or_its_own_folder(seed_corpus: Path, cli: Cli) -> None:
    (seed_corpus.parent / "empty").mkdir()
    (seed_corpus.parent / "empty" / ".gitignore").write_text("*\n")  # hidden files are not "other things"
    for folder in ("new/index", "empty"):
        assert cli("index", "--index", folder).exit_code == 0
        assert cli("index", "--index", folder).exit_code == 0  # its own index now
        assert cli("query", "rafah", "--index", folder).exit_code == 0
    (seed_corpus.parent / "empty" / "README.txt").write_text("my index\n")  # beside an index: fine
    assert cli("index", "--index", "empty", "--rebuild").exit_code == 0


def test_reading_a_folder_of_other_files_says_what_it_is(seed_corpus: Path, cli: Cli) -> None:
    (seed_corpus.parent / "other").mkdir()
    (seed_corpus.parent / "other" / "mine.txt").write_text("mine\n")
    for args in (["query", "rafah"], ["stats"], ["index", "--check"]):
        result = cli(*args, "--index", "other")
        assert result.exit_code == 2
        assert "holds other files (mine.txt) and no newssearch index" in one_line_error(result)
