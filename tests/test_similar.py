"""``newssearch similar ID`` (README, "newssearch similar"): stories like an article, best first,
the article itself and its copies left out."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from typer.testing import Result

from conftest import cli_in, one_line_error

Cli = Callable[..., Result]

GAZANS = "c3d004c6d3ccdf2d"  # "Gazans Long for Reopening of 'Lifeline' Rafah Crossing", in the seed
LIFELINE = "fd9fa8ecdedd92e0"  # "The Rafah Crossing Is Gaza's Lifeline to the World …"


def _similar(cli: Cli, *args: str) -> tuple[int, dict[str, Any]]:
    result = cli("similar", *args, "--json")
    assert result.exit_code in (0, 1), result.stderr
    return result.exit_code, json.loads(result.stdout)


def test_the_story_most_like_an_article_comes_first_and_the_article_is_left_out(seed_index_once: Path) -> None:
    with cli_in(seed_index_once.parent) as cli:
        code, found = _similar(cli, GAZANS[:8])
        terminal = cli("similar", GAZANS, "--color", "never", "--limit", "1")
    assert code == 0
    assert found["id"] == GAZANS and found["copies"] == []
    assert [hit["id"] for hit in found["results"]][0] == LIFELINE
    assert GAZANS not in [hit["id"] for hit in found["results"]]
    assert {"rafah", "crossing", "gaza"} <= set(found["words"])
    assert all(hit["matches"] for hit in found["results"])  # with snippets of the words they share
    assert terminal.stdout.startswith("  1. The Rafah Crossing Is Gaza")
    assert "Stories like 'Gazans Long for Reopening" in terminal.stderr and "rafah" in terminal.stderr


def _wire(tmp_path: Path) -> dict[str, str]:
    """A story, two copies of it (another headline and dateline; the last paragraph cut), and
    two other stories on the same subject; their ids by name."""
    story = [
        "Aid trucks began crossing into Gaza through the Rafah crossing on Monday, officials said.",
        "About 200 trucks carrying flour, medicine and fuel were inspected at Kerem Shalom before entering.",
        "The United Nations said the deliveries fell short of what the territory's 2.1 million people need.",
        "Egypt said it would keep the crossing open through the week if security allowed.",
    ]
    records = [
        {"id": "a", "title": "Aid trucks enter Gaza through Rafah", "body": "\n\n".join(story)},
        {"id": "b", "title": "Gaza aid convoy crosses at Rafah", "body": "CAIRO (AP) — " + "\n\n".join(story)},
        {"id": "c", "title": "Trucks roll into Gaza", "body": "\n\n".join(story[:3])},
        {
            "id": "d",
            "title": "Rafah crossing closed again",
            "body": "Egypt closed the Rafah crossing after shelling near the border, stranding aid trucks and "
            "travellers bound for Gaza. Officials said it would reopen when security allowed.",
        },
        {
            "id": "e",
            "title": "Fuel shortage hits Gaza hospitals",
            "body": "Hospitals in Gaza rationed fuel as aid deliveries through the crossing slowed, "
            "the United Nations said.",
        },
    ]
    (tmp_path / "corpus").mkdir()
    (tmp_path / "corpus" / "wire.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records))
    with cli_in(tmp_path) as cli:
        assert cli("index").exit_code == 0
        found = json.loads(cli("query", "gaza", "--json", "--limit", "10", "--all-copies").stdout)
    return {hit["doc_id"]: hit["id"] for hit in found["results"]}


def test_copies_are_left_out_and_named(tmp_path: Path) -> None:
    ids = _wire(tmp_path)
    with cli_in(tmp_path) as cli:
        code, found = _similar(cli, ids["a"])
        terminal = cli("similar", ids["a"])
    assert code == 0
    assert sorted(found["copies"]) == sorted([ids["b"], ids["c"]])
    assert {hit["doc_id"] for hit in found["results"]} == {"d", "e"}
    assert "2 copies of it left out: " in terminal.stderr


def test_unknown_or_ambiguous_ids_are_one_sentence(seed_index_once: Path) -> None:
    with cli_in(seed_index_once.parent) as cli:
        unknown = cli("similar", "zzzz")
        ambiguous = cli("similar", "")
    assert unknown.exit_code == 2 and "zzzz" in one_line_error(unknown)
    assert ambiguous.exit_code == 2
    one_line_error(ambiguous)


def test_an_article_with_no_words_to_go_by_says_so(tmp_path: Path) -> None:
    (tmp_path / "corpus").mkdir()
    records = [
        {"id": "n", "title": "2024", "body": "It is 12 and 40."},
        {"id": "w", "title": "Weather", "body": "Rain."},
    ]
    (tmp_path / "corpus" / "a.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records))
    with cli_in(tmp_path) as cli:
        assert cli("index").exit_code == 0
        ids = {h["doc_id"]: h["id"] for h in json.loads(cli("query", "rain", "--json").stdout)["results"]}
        numbers = json.loads(cli("query", "2024", "--json").stdout)["results"][0]["id"]
        result = cli("similar", numbers)
        zero = cli("similar", ids["w"], "--limit", "0")
    assert result.exit_code == 1 and "has no words to look for stories like it by" in result.stderr
    assert zero.exit_code == 2  # --limit must be 1 or more
