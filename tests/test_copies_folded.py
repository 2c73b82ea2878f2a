"""Wire copies folded (README, "Wire copies folded"): a story filed by several outlets, or re-sent
trimmed or corrected, is one result with its copies under it; different stories on one subject,
and daily reports of different days, are not folded; the groups follow the index as files come
and go; `show` lists an article's copies; an alert does not show a copy of a story it showed."""

from __future__ import annotations

import gzip
import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from conftest import FIXTURES, SHARED_DATA, cli_in
from newssearch.indexer import update_index
from newssearch.searcher import show

WIRE = FIXTURES / "copies" / "wire.jsonl"
ECB = {"ecb-ap", "ecb-reuters", "ecb-afp"}  # one story: a dateline, a byline and a trimmed end, two words changed
BBC = SHARED_DATA / "bbc" / "bbc.jsonl.gz"


def _folder(root: Path, *records: dict[str, Any], name: str = "wire.jsonl") -> Path:
    (root / "corpus").mkdir(exist_ok=True)
    shutil.copy(WIRE, root / "corpus" / "wire.jsonl")
    if records:
        (root / "corpus" / name).write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return root


def _query(root: Path, *args: str) -> dict[str, Any]:
    with cli_in(root) as cli:
        result = cli("query", *args, "--json")
    assert result.exit_code in (0, 1), result.output
    data: dict[str, Any] = json.loads(result.stdout)
    return data


def _stories(found: dict[str, Any]) -> list[tuple[str, set[str]]]:
    return [(hit["doc_id"], {c["doc_id"] for c in hit["copies"]}) for hit in found["results"]]


@pytest.fixture(scope="module")
def wire(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = _folder(tmp_path_factory.mktemp("wire"))
    with cli_in(root) as cli:
        assert cli("index").exit_code == 0
    return root


def test_copies_of_a_story_are_one_result_with_its_copies_under_it(wire: Path) -> None:
    found = _query(wire, "central bank interest rate")
    stories = _stories(found)
    assert found["total"] == len(stories) == 2  # the story, and the analysis of it
    (first, copies), (other, none) = stories
    assert {first, *copies} == ECB and other == "ecb-analysis" and none == set()
    copy = found["results"][0]["copies"][0]
    assert set(copy) == {"id", "doc_id", "title", "source", "date", "path", "line"}
    assert copy["path"] == "corpus/wire.jsonl" and copy["line"] in (1, 2, 3)
    with cli_in(wire) as cli:
        shown = cli("query", "central bank interest rate").stdout
    assert "+2 copies:" in shown and "2025-03-06" in shown


def test_all_copies_lists_each_as_a_result(wire: Path) -> None:
    found = _query(wire, "central bank interest rate", "--all-copies")
    assert found["total"] == 4 and {hit["doc_id"] for hit in found["results"]} == ECB | {"ecb-analysis"}


def test_reports_of_different_days_and_stories_on_one_subject_are_not_folded(wire: Path) -> None:
    found = _query(wire, "copper tonne")
    assert found["total"] == 2 and all(not hit["copies"] for hit in found["results"])


def test_folded_pages_follow_each_other_and_sort_by_date(wire: Path) -> None:
    whole = [hit["doc_id"] for hit in _query(wire, "bank OR copper", "--limit", "10")["results"]]
    paged = [
        hit["doc_id"]
        for n in range(4)
        for hit in _query(wire, "bank OR copper", "-n", "1", "--offset", str(n))["results"]
    ]
    assert paged == whole and len(whole) == 4
    newest = _query(wire, "bank", "--sort", "date")
    assert [hit["doc_id"] for hit in newest["results"]] == ["ecb-analysis", "ecb-afp"]  # the group by its newest


def test_show_lists_an_articles_copies(wire: Path) -> None:
    article_id = next(
        h["id"] for h in _query(wire, "central bank", "--all-copies")["results"] if h["doc_id"] == "ecb-ap"
    )
    with cli_in(wire) as cli:
        data = json.loads(cli("show", article_id, "--json").stdout)
        text = cli("show", article_id).stdout
    assert {c["doc_id"] for c in data["copies"]} == {"ecb-reuters", "ecb-afp"}
    assert "2 copies of this story" in text and "Reuters" in text


def test_a_copy_added_later_joins_its_story_and_removed_ones_leave_it(tmp_path: Path) -> None:
    """The index finds a new article's copies by their stored keys, without reading them again;
    removing the article the group was named after leaves the others together."""
    lines = WIRE.read_text(encoding="utf-8").splitlines()
    (tmp_path / "corpus").mkdir()
    (tmp_path / "corpus" / "ap.jsonl").write_text(lines[0] + "\n", encoding="utf-8")
    (tmp_path / "corpus" / "rest.jsonl").write_text("\n".join(lines[3:]) + "\n", encoding="utf-8")
    assert update_index(tmp_path / "corpus", tmp_path / "index").articles == 4
    (tmp_path / "corpus" / "reuters.jsonl").write_text(lines[1] + "\n", encoding="utf-8")
    update_index(tmp_path / "corpus", tmp_path / "index")
    assert _story(tmp_path) == {"ecb-ap", "ecb-reuters"}
    (tmp_path / "corpus" / "ap.jsonl").unlink()
    (tmp_path / "corpus" / "afp.jsonl").write_text(lines[2] + "\n", encoding="utf-8")
    update_index(tmp_path / "corpus", tmp_path / "index")
    assert _story(tmp_path) == {"ecb-reuters", "ecb-afp"}
    (tmp_path / "corpus" / "afp.jsonl").unlink()
    update_index(tmp_path / "corpus", tmp_path / "index")
    assert _story(tmp_path) == {"ecb-reuters"}


def _story(root: Path) -> set[str]:
    """The ECB story's result and its copies (the total counts it once)."""
    found = _query(root, "central bank interest rate")
    assert found["total"] == 2  # the story and the analysis
    return next({first, *copies} for first, copies in _stories(found) if first != "ecb-analysis")


def test_an_alert_does_not_show_a_copy_of_a_story_it_showed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NEWSSEARCH_ALERTS", str(tmp_path / "alerts.json"))
    lines = WIRE.read_text(encoding="utf-8").splitlines()
    (tmp_path / "corpus").mkdir()
    (tmp_path / "corpus" / "first.jsonl").write_text(lines[0] + "\n", encoding="utf-8")
    with cli_in(tmp_path) as cli:
        assert cli("index").exit_code == 0
        assert cli("alert", "add", "ecb", "central bank").exit_code == 0
        assert cli("alert", "run").exit_code == 0
        (tmp_path / "corpus" / "copies.jsonl").write_text(lines[1] + "\n" + lines[3] + "\n", encoding="utf-8")
        assert cli("index").exit_code == 0
        ran = json.loads(cli("alert", "run", "--json").stdout)["alerts"][0]
    assert [hit["doc_id"] for hit in ran["results"]] == ["ecb-analysis"]  # the copy was not news


@pytest.mark.data
@pytest.mark.skipif(not BBC.is_file(), reason=f"the BBC News collection is not in {BBC.parent} (needs {BBC.name})")
def test_bbcs_listed_duplicates_are_folded_and_its_stories_are_not(tmp_path: Path) -> None:
    """BBC News lists 98 pairs of articles published twice: each pair is one group in the index;
    and of the rest, no two articles of different categories share one."""
    with gzip.open(BBC, "rt", encoding="utf-8") as lines:
        records = [{"id": r["id"], "title": r["title"], "body": r["body"]} for r in map(json.loads, lines)]
    (tmp_path / "corpus").mkdir()
    (tmp_path / "corpus" / "bbc.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    update_index(tmp_path / "corpus", tmp_path / "index")
    listed = [line.split("\t") for line in (BBC.parent / "duplicates.tsv").read_text().splitlines()[1:]]
    with cli_in(tmp_path) as cli:
        ids = {
            h["doc_id"]: h["id"]
            for h in json.loads(cli("query", "*:*", "--all-copies", "-n", "3000", "--json").stdout)["results"]
        }
    for kept, duplicate in listed:
        _, _, copies = show(tmp_path / "index", ids[kept])
        assert duplicate in {c.doc_id for c in copies}, (kept, duplicate)
    groups: dict[str, str] = {}
    folded = json.loads(_cli_stdout(tmp_path, "query", "*:*", "-n", "3000", "--json"))
    for hit in folded["results"]:
        for copy in hit["copies"]:
            groups[copy["doc_id"]] = hit["doc_id"]
    assert all(a.split("/")[0] == b.split("/")[0] for a, b in groups.items()), groups
    assert folded["total"] == len(records) - len(groups) and len(groups) >= len(listed)


def _cli_stdout(root: Path, *args: str) -> str:
    with cli_in(root) as cli:
        return cli(*args).stdout


def test_similar_stories_come_with_their_copies(wire: Path) -> None:
    every = _query(wire, "central bank", "--all-copies")["results"]
    analysis = next(hit["id"] for hit in every if hit["doc_id"] == "ecb-analysis")
    with cli_in(wire) as cli:
        found = json.loads(cli("similar", analysis, "--json").stdout)
    story = next(hit for hit in found["results"] if hit["doc_id"] in ECB)
    assert {story["doc_id"], *(c["doc_id"] for c in story["copies"])} == ECB
