"""``query --explain`` (README, "newssearch query"): what each word added to each result's score,
in each field, and what feedback added — adding up to the score the result shows."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import Result

from conftest import cli_in, one_line_error, subject_archive

Cli = Callable[..., Result]


def _explained(cli: Cli, *args: str) -> list[dict[str, object]]:
    result = cli("query", *args, "--explain", "--json", "--limit", "20")
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)["results"]  # type: ignore[no-any-return]


@pytest.mark.parametrize(
    "args",
    [
        ["rafah crossing"],
        ['"rafah crossing"'],
        ["cross*"],
        ["rafha~"],
        ["gaza -hostage"],
        ["title:rafah OR body:egypt"],
        ["rafah ANDMAYBE egypt"],
        ["rafah", "--passages"],
        ["rafah", "--in", "body"],
        ["rafah crossing", "--sort", "date"],
        ["gaza NOT hostage"],
        ["rafah^3 crossing"],
        ["(rafah crossing)^2"],
        ['"rafah crossing"~3'],
    ],
    ids=lambda args: " ".join(args),
)
def test_the_parts_add_up_to_each_results_score(seed_index_once: Path, args: list[str]) -> None:
    with cli_in(seed_index_once.parent) as cli:
        results = _explained(cli, *args)
    assert results
    for hit in results:
        parts = hit["explanation"]
        assert isinstance(parts, list) and parts, hit
        assert sum(p["score"] for p in parts) == pytest.approx(hit["score"], abs=2e-3)
        assert all(p["part"] in {"title", "section", "caption", "body"} or p["term"].startswith("NOT ") for p in parts)
        assert not any(
            "(" in p["term"] or "Term" in p["term"] for p in parts
        )  # named as written, not as Whoosh's objects
        assert not any(p["feedback"] for p in parts)
        assert [p["score"] for p in parts] == sorted((p["score"] for p in parts), reverse=True)


def test_each_word_is_named_as_indexed_and_excluded_words_add_nothing(seed_index_once: Path) -> None:
    with cli_in(seed_index_once.parent) as cli:
        terms = {p["term"] for hit in _explained(cli, "crossings NOT trucks") for p in hit["explanation"]}
        phrase = {p["term"] for hit in _explained(cli, '"rafah crossing"') for p in hit["explanation"]}
        title_only = {p["part"] for hit in _explained(cli, "title:rafah") for p in hit["explanation"]}
    assert terms == {"cross", "NOT truck"}  # stemmed; "truck", left out, adds only the constant Whoosh gives a NOT
    assert phrase == {'"rafah cross"'}
    assert title_only == {"title"}


def test_the_terminal_says_why_under_each_result(seed_index_once: Path) -> None:
    with cli_in(seed_index_once.parent) as cli:
        plain = cli("query", "rafah crossing", "--color", "never")
        explained = cli("query", "rafah crossing", "--explain", "--color", "never")
        as_json = json.loads(cli("query", "rafah crossing", "--json").stdout)
    why = [line.strip() for line in explained.stdout.splitlines() if line.strip().startswith("why: ")]
    assert len(why) == len(as_json["results"]) and "why: " not in plain.stdout
    assert why[0].startswith("why: rafah ") or why[0].startswith("why: cross ")
    assert "(title " in why[0] and "body " in why[0]
    assert all("explanation" not in hit for hit in as_json["results"])  # only when asked


def test_explain_with_a_line_format_is_refused(seed_index_once: Path) -> None:
    with cli_in(seed_index_once.parent) as cli:
        refused = cli("query", "rafah", "--explain", "--csv")
    assert refused.exit_code == 2
    assert "--explain goes with" in one_line_error(refused)


def test_feedback_words_are_marked(tmp_path: Path) -> None:
    """A question (``--any``) on an archive big enough for feedback: the words feedback added
    are marked, and still everything adds up to the score."""
    # The best answers share two words few articles have: feedback adds them.
    body = "Ferry, quay, ferry, quay: the gangway and the mooring."
    subject_archive(tmp_path, [{"id": f"g{n}", "title": "Ferry quay", "body": body} for n in range(10)])
    with cli_in(tmp_path) as cli:
        results = _explained(cli, "why did the ferry stop at the quay", "--any")
    fed = {p["term"] for hit in results for p in hit["explanation"] if p["feedback"]}
    asked = {p["term"] for hit in results for p in hit["explanation"] if not p["feedback"]}
    assert {"gangwai", "moor"} <= fed
    assert asked <= {"ferri", "quai", "stop"}
    for hit in results:
        assert sum(p["score"] for p in hit["explanation"]) == pytest.approx(hit["score"], abs=2e-3)
