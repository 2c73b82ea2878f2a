"""Awkward inputs found in review, one test each: what a user loses or sees wrongly otherwise.

Each file is written into a scratch corpus and read the way ``newssearch index`` reads it
(``read_bytes``), or indexed and queried through the real CLI where the user-facing behaviour is
the point.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import Result

from newssearch.formats import read_bytes
from newssearch.models import Article

Cli = Callable[..., Result]


def read(name: str, text: str | bytes) -> tuple[list[Article], list[tuple[int | None, str, str]]]:
    data = text.encode() if isinstance(text, str) else text
    got = read_bytes(data, name)
    problems = [(p.line, p.level, p.reason) for p in got.problems]
    if got.error:
        problems.append((got.error.line, "failed", got.error.reason))
    return got.articles, problems


def words(article: Article) -> str:
    parts = [article.title, *(c.text for c in article.captions), *(s.heading or "" for s in article.sections)]
    return " ".join([*parts, article.body])


# --------------------------------------------------------------------------- Markdown


def test_an_impossible_front_matter_date_costs_that_value_only() -> None:
    (article,), problems = read("x.md", "---\ntitle: Harbour Report\ndate: 2025-02-30\nsource: Gazette\n---\n\nBody.\n")
    assert (article.title, article.source, article.date) == ("Harbour Report", "Gazette", None)
    assert [(line, level) for line, level, _ in problems] == [(3, "warning")]


def test_a_leading_thematic_break_is_not_front_matter() -> None:
    (article,), problems = read("hr.md", "---\n\nFirst paragraph about Rafah.\n\n---\n\nSecond part.\n")
    assert problems == []
    assert "Rafah" in words(article) and "Second part." in words(article)


def test_unclosed_front_matter_is_reported_and_the_text_kept() -> None:
    (article,), problems = read("u.md", "---\ntitle: Foo\n\n# Heading\n\nBody text about zanzibar.\n")
    assert [(line, level) for line, level, _ in problems] == [(1, "warning")]
    assert "no closing" in problems[0][2]
    assert "zanzibar" in words(article)


def test_html_written_into_markdown_keeps_its_text_and_captions() -> None:
    text = (
        '# T\n\nLead.\n\n<figure>\n<img src="a.jpg">\n<figcaption>Rescuers at the site (AP)</figcaption>\n'
        "</figure>\n\n<p>A paragraph written as HTML with <b>important</b> words.</p>\n\nEnd.\n"
    )
    (article,), _ = read("h.md", text)
    assert [(c.text, c.line) for c in article.captions] == [("Rescuers at the site (AP)", 5)]
    assert "A paragraph written as HTML with important words." in article.body


def test_a_linked_image_is_a_caption_too() -> None:
    (article,), _ = read("l.md", "# T\n\nLead.\n\n[![Crowds at the gate (AP)](img.jpg)](https://example.org)\n")
    assert [c.text for c in article.captions] == ["Crowds at the gate (AP)"]
    assert "Crowds" not in article.body


def test_markdown_lines_match_the_files_lines_whatever_the_line_endings() -> None:
    text = "# Storm hits coast\r\r\n\r\r\nThe storm arrived.\r\r\n\r\r\n## Damage\r\r\n\r\r\nRoofs torn off.\r\r\n"
    (article,), _ = read("d.md", text.encode())
    assert [(s.heading, s.line) for s in article.sections] == [(None, 3), ("Damage", 5)]


def test_an_untitled_note_takes_its_first_line_as_title_and_keeps_the_rest() -> None:
    text = "This is the first line of a long paragraph\nand this is its second line.\n\nSecond paragraph.\n"
    (article,), _ = read("n.md", text)
    assert article.title == "This is the first line of a long paragraph"
    assert [p.text for s in article.sections for p in s.paragraphs] == [
        "and this is its second line.",
        "Second paragraph.",
    ]


# --------------------------------------------------------------------------- HTML


def test_words_stay_apart_across_line_breaks_and_blocks() -> None:
    page = (
        "<article><h1>Br test</h1><p>Gaza City<br>Khan Younis<br/>Rafah</p><figure><img src=a.jpg>"
        "<figcaption>Crowds at the gate<br>(AP)</figcaption></figure><ul><li><div>First</div><div>Second</div></li>"
        "</ul></article>"
    )
    (article,), _ = read("b.html", page)
    assert article.body.split("\n") == ["Gaza City Khan Younis Rafah", "First Second"]
    assert [c.text for c in article.captions] == ["Crowds at the gate (AP)"]


@pytest.mark.parametrize(
    "classes",
    ['class="article-body has-ads"', 'class="content tonal tonal--tone-comment"', 'class="story paywall"'],
)
def test_an_article_named_like_page_furniture_is_still_the_article(classes: str) -> None:
    long = "The council voted on Tuesday to keep the library open on Sundays, after a long campaign. " * 3
    page = (
        f"<body><article class='teaser'><h3>Other story</h3><p>Teaser text.</p></article>"
        f"<article {classes}><h1>Real headline</h1><div {classes}><p>{long}</p><p>{long}</p></div></article>"
        f"<article class='teaser'><h3>Another</h3><p>More teaser.</p></article></body>"
    )
    (article,), problems = read("f.html", page)
    assert article.title == "Real headline" and "council voted" in article.body
    assert "Teaser" not in words(article) and problems == []


def test_a_teaser_article_does_not_beat_the_main_story_outside_any_article_tag() -> None:
    long = "Main story paragraph, which is long enough to be the article's text and not a card. " * 3
    page = (
        f"<body><div class='story' itemprop='articleBody'><h1>Main story headline</h1><p>{long}</p><p>{long}</p>"
        f"</div><div class='more-stories'><article class='card'><h3>Another story</h3><p>Card blurb.</p>"
        f"</article></div></body>"
    )
    (article,), _ = read("c.html", page)
    assert article.title == "Main story headline"
    assert "Main story paragraph" in article.body and "Card blurb" not in words(article)


def test_text_written_straight_into_a_container_is_kept() -> None:
    page = (
        "<article><h1>Old site story</h1><p class='byline'>By Jane Doe</p><div class='story-text'>"
        "The council voted to close the pier after the winter storms damaged its supports.<br><br>"
        "Fishermen protested outside the town hall, saying the pier is their only safe landing.</div></article>"
    )
    (article,), _ = read("o.html", page)
    assert "council voted to close the pier" in article.body and "Fishermen protested" in article.body


def test_a_gallery_of_captions_is_an_article() -> None:
    page = (
        "<article><h1>In pictures: floods</h1><figure><img src=1.jpg><figcaption>Residents wade through water "
        "(AP)</figcaption></figure><figure><img src=2.jpg><figcaption>A boat rescue (Reuters)</figcaption>"
        "</figure></article>"
    )
    (article,), problems = read("g.html", page)
    assert [c.text for c in article.captions] == ["Residents wade through water (AP)", "A boat rescue (Reuters)"]
    assert problems == []


@pytest.mark.parametrize(
    ("head", "data"),
    [
        ('<?xml version="1.0" encoding="ISO-8859-1"?>', "Café".encode("latin-1")),
        ('\ufeff<meta charset="windows-1252">', "Café".encode()),  # the byte-order mark wins
        ('<meta charset="utf-16">', "Café".encode()),  # browsers read this as UTF-8
    ],
)
def test_html_encodings_as_browsers_read_them(head: str, data: bytes) -> None:
    page = head.encode() + b"<html><body><article><h1>" + data + b"</h1><p>Text.</p></article></body></html>"
    (article,), problems = read("e.html", page)
    assert article.title == "Café" and problems == []


# --------------------------------------------------------------------------- JSON and dates


def test_a_lead_paragraph_is_not_dropped_for_appearing_inside_a_section() -> None:
    record = {
        "title": "T",
        "body": "Gaza.\n\nOfficials met today.",
        "sections": [{"heading": "Talks", "text": "Officials met today in Cairo to discuss Gaza."}],
    }
    (article,), _ = read("s.json", json.dumps(record))
    assert [(s.heading, [p.text for p in s.paragraphs]) for s in article.sections] == [
        (None, ["Gaza.", "Officials met today."]),
        ("Talks", ["Officials met today in Cairo to discuss Gaza."]),
    ]


def test_a_long_json_list_gives_every_object_its_line() -> None:
    records = [{"id": str(n), "title": f"Story {n}", "body": "Text."} for n in range(3000)]
    text = "[\n" + ",\n".join(json.dumps(r) for r in records) + "\n]\n"
    articles, _ = read("list.json", text)
    assert [a.line for a in articles] == list(range(2, 3002))


@pytest.mark.parametrize(("written", "kept"), [("2025-03", "2025-03"), ("2025", "2025"), ("20250314", "2025-03-14")])
def test_reduced_and_basic_iso_dates_are_kept_as_precise_as_given(written: str, kept: str) -> None:
    (article,), problems = read("d.jsonl", json.dumps({"title": "T", "body": "B.", "date": written}) + "\n")
    assert (article.date, problems) == (kept, [])


# --------------------------------------------------------------------------- through the CLI


def test_a_reader_failure_costs_one_file_not_the_run(cli: Cli, tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "deep.json").write_text("[" * 100_000 + "]" * 100_000)
    (corpus / "good.md").write_text("# Good note\n\nThe quillfeather survey is done.\n")
    result = cli("index", "--json")
    assert result.exit_code == 0
    summary = json.loads(result.stdout)
    assert (summary["articles"], summary["failed"]) == (1, 1)
    assert cli("query", "quillfeather").exit_code == 0


def test_an_inverted_date_range_is_a_usage_error(cli: Cli, tmp_path: Path) -> None:
    (tmp_path / "corpus").mkdir()
    (tmp_path / "corpus" / "a.txt").write_text("Title\n\nText about rafah.\n")
    assert cli("index").exit_code == 0
    result = cli("query", "rafah", "--since", "2026", "--until", "2025")
    assert result.exit_code == 2 and "--since 2026 is after --until 2025" in result.stderr


def test_thousands_of_bad_lines_are_summarised_on_the_terminal_and_all_listed_in_json(cli: Cli, tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "feed.jsonl").write_text('{"story": 1}\n' * 500 + '{"title": "Kept", "body": "Fine."}\n')
    human = cli("index")
    assert human.exit_code == 0
    lines = human.stderr.splitlines()
    assert len(lines) < 30 and any("480 more problems in this file" in line for line in lines)
    listed = json.loads(cli("index", "--json").stdout)["problems"]
    assert len(listed) == 500 and {p["line"] for p in listed} == set(range(1, 501))
