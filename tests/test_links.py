"""Symbolic links in the corpus (README, "newssearch index"): not followed unless asked, as
ripgrep does, and every link left out is listed; with --follow, followed without looping."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import Result

Cli = Callable[..., Result]


@pytest.fixture
def linked(tmp_path: Path) -> Path:
    """A corpus with links to a file outside it (a secret), to a folder outside, back up to
    itself (a loop), to a file inside it, and to nothing."""
    outside = tmp_path / "outside"
    (outside / "folder").mkdir(parents=True)
    (outside / "secret.txt").write_text("Secret\n\nroot:x:0:0 zorblax\n", encoding="utf-8")
    (outside / "folder" / "far.txt").write_text("Far Away\n\nThe quokka report.\n", encoding="utf-8")
    corpus = tmp_path / "corpus"
    (corpus / "sub").mkdir(parents=True)
    (corpus / "sub" / "mine.txt").write_text("Mine\n\nThe numbat notes.\n", encoding="utf-8")
    (corpus / "secret.txt").symlink_to(outside / "secret.txt")
    (corpus / "far").symlink_to(outside / "folder")
    (corpus / "sub" / "loop").symlink_to("..")
    (corpus / "alias.txt").symlink_to("sub/mine.txt")
    (corpus / "gone.txt").symlink_to(tmp_path / "nothing-here")
    return corpus


def test_links_are_not_followed_and_each_is_listed(linked: Path, cli: Cli) -> None:
    result = cli("index", "--json")
    assert result.exit_code == 0
    summary = json.loads(result.stdout)
    assert summary["articles"] == 1 and summary["failed"] == 1  # the link to nothing
    listed = {p["path"]: p for p in summary["problems"]}
    assert set(listed) == {"secret.txt", "far/", "sub/loop/", "alias.txt", "gone.txt"}
    assert listed.pop("gone.txt")["reason"] == "a link to nothing"
    assert all(p["level"] == "warning" and "--follow" in p["reason"] for p in listed.values())
    assert str(linked.parent / "outside" / "secret.txt") in listed["secret.txt"]["reason"]
    assert cli("query", "zorblax").exit_code == 1  # what the link points at is not searched
    assert cli("query", "quokka").exit_code == 1
    terminal = cli("index", "--rebuild")
    assert "secret.txt: a symbolic link to" in terminal.stderr


def test_follow_follows_links_in_and_out_without_looping(linked: Path, cli: Cli) -> None:
    result = cli("index", "--follow", "--json")
    assert result.exit_code == 0
    summary = json.loads(result.stdout)
    found = {p["path"]: p["reason"] for p in summary["problems"]}
    assert set(found) == {"gone.txt", "sub/loop/", "alias.txt"}
    assert found["gone.txt"] == "a link to nothing"
    assert "read under its own name" in found["sub/loop/"]  # the loop
    assert "read under its own name" in found["alias.txt"]  # no article twice
    assert summary["articles"] == 3  # mine, secret, far/far.txt
    for word in ("zorblax", "quokka", "numbat"):
        assert cli("query", word).exit_code == 0, word
    assert cli("index", "--check", "--follow").exit_code == 0
    assert cli("index", "--follow", "--json").exit_code == 0
    dropped = json.loads(cli("index", "--json").stdout)  # without --follow: the links' articles go
    assert dropped["articles"] == 1 and dropped["removed"] == 2


def test_follow_never_reads_a_folder_of_the_corpus_twice_whatever_the_names(tmp_path: Path, cli: Cli) -> None:
    """A link that sorts before the folder it points to, and one that sorts after."""
    corpus = tmp_path / "corpus"
    (corpus / "m_real").mkdir(parents=True)
    (corpus / "m_real" / "x.txt").write_text("Harbour Wall\n\nMasons finished.\n", encoding="utf-8")
    (corpus / "a_alias").symlink_to("m_real")
    (corpus / "z_alias").symlink_to("m_real")
    summary = json.loads(cli("index", "--follow", "--json").stdout)
    assert summary["articles"] == 1
    found = json.loads(cli("query", "masons", "--json").stdout)["results"]
    assert [r["path"] for r in found] == ["corpus/m_real/x.txt"]
    assert {p["path"] for p in summary["problems"]} == {"a_alias/", "z_alias/"}
