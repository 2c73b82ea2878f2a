"""What `query` says about how it read the text: help, usage errors, notes, counts and exit codes
(README, "Commands" and "Query syntax"), through the real CLI on a real index of the seed."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import Result

from conftest import ROOT, clean_env, entry_point, run_in_terminal
from newssearch.engines.whoosh.schema import build_schema
from newssearch.engines.whoosh.store import INDEX_NAME, DurableStorage, update_lock

Cli = Callable[..., Result]
README = (ROOT / "README.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("command", ["index", "query", "show", "stats"])
def test_help_shows_every_help_text_whole(cli: Cli, command: str) -> None:
    """Help text is printed as written: nothing in brackets is taken for markup and dropped,
    and no type jargon ("<int range>", "x>=0", "{QUERY}") stands in for a plain metavar."""
    result = cli(command, "--help", env={"COLUMNS": "80"})
    assert result.exit_code == 0
    out = " ".join(result.stdout.split())
    assert "{" not in out.split("Options:")[0].replace("date:[2025", "")  # usage line and text
    assert "int range" not in out and "x>=" not in out
    if command == "index":
        assert "one per core, up to 4, when there is a lot to parse" in out
    if command == "query":
        assert "Usage: newssearch query [OPTIONS] QUERY" in result.stdout
        for metavar in ("--limit N", "--offset N", "--since DATE", "--source NAME", "--index DIR|URL"):
            assert metavar in out


def test_readme_tour_says_where_the_command_is() -> None:
    tour = README.split("## A short tour", 1)[1].split("    $ newssearch index", 1)[0]
    assert ".venv/bin" in tour


def test_a_query_that_starts_with_a_dash_is_pointed_to_double_dash(seed_index_once: Path, cli: Cli) -> None:
    result = cli("query", "--index", str(seed_index_once), "-egypt", "rafah")
    assert result.exit_code == 2
    assert "newssearch query -- -egypt" in " ".join(result.stderr.split())
    after = cli("query", "--index", str(seed_index_once), "--json", "--", "-egypt rafah")
    assert after.exit_code == 0
    found = json.loads(after.stdout)
    assert found["total"] >= 1
    assert all("egypt" not in json.dumps(hit).lower() for hit in found["results"])


def test_negative_counts_are_refused_plainly(seed_index_once: Path, cli: Cli) -> None:
    result = cli("query", "--index", str(seed_index_once), "rafah", "--limit", "-1")
    assert result.exit_code == 2
    assert "-1 is negative" in result.stderr


@pytest.mark.parametrize(
    ("lower", "upper", "word"),
    [("rafah or egypt", "rafah OR egypt", "or"), ("rafah not egypt", "rafah NOT egypt", "not")],
)
def test_lower_case_operators_are_searched_as_words_and_said_so(
    seed_index_once: Path, cli: Cli, lower: str, upper: str, word: str
) -> None:
    index = str(seed_index_once)
    read_as_words = cli("query", "--index", index, lower, "--json")
    as_operator = cli("query", "--index", index, upper, "--json")
    both = cli("query", "--index", index, "rafah egypt", "--json")
    words, operator = json.loads(read_as_words.stdout), json.loads(as_operator.stdout)
    # The lower-case word is a common word that is not indexed: the query is "rafah egypt".
    assert [h["id"] for h in words["results"]] == [h["id"] for h in json.loads(both.stdout)["results"]]
    assert [h["id"] for h in words["results"]] != [h["id"] for h in operator["results"]]
    assert len(words["notes"]) == 1 and f"'{word}'" in words["notes"][0] and upper in words["notes"][0]
    assert operator["notes"] == []
    terminal = cli("query", "--index", index, lower)
    assert upper in terminal.stderr
    assert cli("query", "--index", index, lower, "--quiet").stderr == ""


def test_or_in_a_question_is_not_a_mistake(seed_index_once: Path, cli: Cli) -> None:
    result = cli("query", "--index", str(seed_index_once), "will rafah open or stay shut", "--any", "--json")
    assert json.loads(result.stdout)["notes"] == []


@pytest.mark.parametrize("text", ["the", "the and of", "title:the"])
def test_a_query_of_only_stop_words_matches_nothing_and_says_why(seed_index_once: Path, cli: Cli, text: str) -> None:
    result = cli("query", "--index", str(seed_index_once), text)
    assert result.exit_code == 1
    assert "too common" in result.stderr and "add a more specific word" in result.stderr
    as_json = cli("query", "--index", str(seed_index_once), text, "--json")
    assert as_json.exit_code == 1
    data = json.loads(as_json.stdout)
    assert data["total"] == 0 and data["results"] == []
    assert "too common" in data["notes"][0]


def test_a_stop_word_query_still_needs_an_index(tmp_path: Path, cli: Cli) -> None:
    result = cli("query", "--index", str(tmp_path / "none"), "the")
    assert result.exit_code == 2
    assert "run `newssearch index`" in result.stderr


def test_counts_read_as_numbers_and_singular_when_one(seed_index_once: Path, cli: Cli) -> None:
    index = str(seed_index_once)
    one = cli("query", "--index", index, "Gvili", "--limit", "1", "--json")
    total = json.loads(one.stdout)["total"]
    assert total > 1  # the case below needs a page of one out of several
    page = cli("query", "--index", index, "Gvili", "--limit", "1", "--offset", "1")
    assert f"2 of {total} articles." in page.stderr
    single = cli("query", "--index", index, "Ran Gvili remains cemetery coordinates", "--json")
    assert json.loads(single.stdout)["total"] == 1
    said = cli("query", "--index", index, "Ran Gvili remains cemetery coordinates").stderr
    assert "1 of 1 article." in said and "1–1" not in said
    past = cli("query", "--index", index, "Ran Gvili remains cemetery coordinates", "--offset", "5").stderr
    assert "1 article match; none past --offset 5" in past


def test_quiet_leaves_only_the_results(seed_index_once: Path, cli: Cli) -> None:
    index = str(seed_index_once)
    loud = cli("query", "--index", index, "Rafha crosing")
    quiet = cli("query", "--index", index, "Rafha crosing", "-q")
    assert "Did you mean" in loud.stderr and quiet.stderr == ""
    assert quiet.stdout == loud.stdout and quiet.exit_code == loud.exit_code


def test_a_query_during_a_first_index_run_says_the_run_is_under_way(tmp_path: Path, cli: Cli) -> None:
    """The state a first `index` run is in until it commits: an index created with no articles
    yet (as the indexer creates it), and the run's update lock held (taken here as it takes it)."""
    index_dir = tmp_path / "index"
    index_dir.mkdir()
    DurableStorage(str(index_dir)).create_index(build_schema(), indexname=INDEX_NAME)
    with update_lock(index_dir):
        running = cli("query", "--index", str(index_dir), "rafah")
    assert running.exit_code == 2
    assert "has not finished yet" in running.stderr and "wait for it" in running.stderr
    stopped = cli("query", "--index", str(index_dir), "rafah")
    assert stopped.exit_code == 2
    assert "did not finish" in stopped.stderr and "run `newssearch index`" in stopped.stderr


def test_at_80_columns_no_item_or_word_is_cut(seed_index_once: Path, tmp_path: Path) -> None:
    args = [str(entry_point()), "query", "--index", str(seed_index_once), "rafah or egypt", "--color", "never"]
    code, out, _ = run_in_terminal(args, tmp_path, clean_env(TERM="xterm-256color"), columns=80, stderr_too=True)
    assert code == 0
    lines = out.splitlines()
    assert all(len(line) <= 80 for line in lines)
    ids = re.findall(r"\bid ([0-9a-f]{16})\b", out)
    assert len(ids) == 2  # "id" and the id stay on one line
    assert not any(line.rstrip().endswith((" id", " score")) for line in lines)
    # The note on stderr is wrapped between words: joined again, it reads as written.
    note = "'or' is searched as a word, and it is too common to be indexed; for either word write OR in capitals"
    assert note in " ".join(line.strip() for line in lines)


def test_a_stop_word_query_keeps_the_json_shape_and_checks_its_filters(seed_index_once: Path, cli: Cli) -> None:
    index = ["--index", str(seed_index_once)]
    data = json.loads(cli("query", *index, "the", "--passages", "--json").stdout)
    assert data["facets"] == {"source": {}, "month": {}}
    assert cli("query", *index, "the", "--source", "").exit_code == 2
