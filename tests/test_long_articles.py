"""Long articles: a match deep inside one still gets its snippet and its highlights (Whoosh's own
highlighter gives up after 32 KiB; ours analyzes the stretches around possible matches)."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import Result

Cli = Callable[..., Result]

FILLER = "Council members discussed the budget for the coming year at length. "


@pytest.fixture
def long_corpus(tmp_path: Path, cli: Cli) -> Path:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    one_paragraph = FILLER * 15_000 + "Divers found the Zanzibar wreck near the reef. " + FILLER * 500
    many = "\n\n".join([FILLER * 20] * 700 + ["The Okavango flood reached the delta town."] + [FILLER * 20] * 50)
    (corpus / "long.txt").write_text(f"A Very Long Report\n\n{one_paragraph}\n")
    (corpus / "many.md").write_text(f"# A Report Of Many Paragraphs\n\n{many}\n")
    (corpus / "short.txt").write_text("Short Note\n\nThe council met about the reef.\n")
    assert len(one_paragraph) > 1_000_000 and len(many) > 1_000_000
    assert cli("index").exit_code == 0
    return corpus


@pytest.mark.parametrize(
    ("query", "title", "word"),
    [("zanzibar", "A Very Long Report", "Zanzibar"), ("okavango", "A Report Of Many Paragraphs", "Okavango")],
)
def test_a_match_a_megabyte_in_gets_a_highlighted_snippet(
    long_corpus: Path, cli: Cli, query: str, title: str, word: str
) -> None:
    started = time.monotonic()
    result = json.loads(cli("query", query, "--json").stdout)
    took = time.monotonic() - started

    [hit] = result["results"]
    assert hit["title"] == title
    [match] = hit["matches"]
    assert [match["text"][s:e] for s, e in match["highlights"]] == [word]
    assert len(match["text"]) < 400
    assert took < 10  # generous: it is about 0.1 s; the point is not analyzing a megabyte per hit


def test_show_highlights_a_match_a_megabyte_into_one_paragraph(long_corpus: Path, cli: Cli) -> None:
    hit = json.loads(cli("query", "zanzibar", "--json").stdout)["results"][0]
    shown = json.loads(cli("show", hit["id"], "--json", "--highlight", "zanzibar").stdout)
    [paragraph] = shown["sections"][0]["paragraphs"]
    assert [paragraph["text"][s:e] for s, e in paragraph["highlights"]] == ["Zanzibar"]
    assert paragraph["highlights"][0][0] > 1_000_000


def test_show_highlights_every_word_of_the_query_through_a_long_paragraph(long_corpus: Path, cli: Cli) -> None:
    hit = json.loads(cli("query", "zanzibar", "--json").stdout)["results"][0]
    shown = json.loads(cli("show", hit["id"], "--json", "--highlight", "council zanzibar").stdout)
    [paragraph] = shown["sections"][0]["paragraphs"]
    marked = [(paragraph["text"][s:e], s) for s, e in paragraph["highlights"]]
    assert ("Zanzibar", paragraph["text"].index("Zanzibar")) in marked
    assert sum(word == "Council" for word, _ in marked) > 10  # a common word: its first places


def test_a_megabytes_long_line_without_spaces_is_not_analyzed_whole() -> None:
    """A data dump (comma-separated, base64) has no space to end a stretch at."""
    from newssearch.engines.whoosh.schema import analyze
    from newssearch.snippets import find, snippet

    line = ",".join(f"v{n}" for n in range(600_000)) + ",rafah," + ",".join(f"w{n}" for n in range(100_000))
    started = time.monotonic()
    found, words = find(line, {"rafah"}, analyze)
    text, spans = snippet(line, found)
    took = time.monotonic() - started

    assert words == {"rafah"} and [line[s:e] for s, e in found] == ["rafah"]
    assert [text[s:e] for s, e in spans] == ["rafah"] and len(text) < 400
    assert took < 2  # about 0.05 s; analyzing the whole 6 MB took over 5 s
