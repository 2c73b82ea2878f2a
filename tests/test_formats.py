"""The .md, .json, .jsonl and .html/.htm readers, through the real CLI on a real index.

The hand-made corpus in ``fixtures/formats`` gives every good article words found nowhere else
(``zephyrine``, ``ravelsprig`` …), so a test finds one article by one word; the boilerplate of the
HTML pages (menus, ads, scripts, comments …) has words of its own that must find nothing. Lines are
looked up in the fixture files rather than written down, so editing a fixture cannot make a test
pass by accident: a test still asks for the line that holds the heading, caption or record.
"""

from __future__ import annotations

import copy
import json
import shutil
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import Result

from conftest import cli_in
from newssearch.formats import SUPPORTED, read_bytes

Cli = Callable[..., Result]

FORMATS = Path(__file__).resolve().parent / "fixtures" / "formats"
PROBLEM_KEYS = {"path", "reason", "line", "level"}
SUMMARY_KEYS = {
    "articles", "sections", "captions", "files", "added", "changed", "removed",
    "unchanged", "skipped", "failed", "seconds", "rebuilt", "problems",
}  # fmt: skip

# A word found in exactly one good article, and the file that article is in.
UNIQUE_WORDS = {
    "zephyrine": "html/harbour-strike.html",  # lead paragraph
    "quillback": "html/harbour-strike.html",  # first <h2> section
    "marrowgate": "html/harbour-strike.html",  # second <h2> section
    "halcyrope": "html/budget-vote.htm",  # lead paragraph
    "wrenfallow": "html/budget-vote.htm",  # figcaption
    "fennimore": "html/budget-vote.htm",  # <h3> section
    "zinnoberite": "md/front-matter.md",  # lead, with **bold** and a [link](url) around it
    "wickerlight": "md/front-matter.md",  # ## section
    "fernhollow": "md/front-matter.md",  # bullet list
    "saltmarrow": "md/no-front-matter.md",
    "oakenshaw": "md/no-front-matter.md",
    "lumenvarre": "md/broken-front-matter.md",
    "pipplewort": "md/bad-date.md",
    "grindlestone": "md/latin1.md",
    "ravelsprig": "json/one.json",  # body
    "sleetmoor": "json/one.json",  # sections[].text
    "penmarrow": "json/one.json",  # captions[] as a string
    "dunmere": "json/one.json",  # captions[] as {"text": …}
    "tarnwhistle": "json/list.json",
    "skerrymoss": "json/list.json",
    "brindlewick": "json/feed.jsonl",
    "cobbleraith": "json/feed.jsonl",
    "dunmarrow": "json/feed.jsonl",
    "ellowisp": "json/feed.jsonl",
}

# Words that stand only in a page's boilerplate: none of them may find anything.
BOILERPLATE_WORDS = {
    "snoutwidget": "an inline <script>",
    "glimmerquartz": "a <style>",
    "biscotterie": "the cookie banner",
    "ostlerbury": "the site header's tagline",
    "marlinspike": "a <nav> menu item",
    "quenchfizz": "an ad slot (div.ad.ad-slot)",
    "plumbrella": "an ad iframe (div#google_ads_iframe_1)",
    "thistlecombe": "the related-stories <aside> inside the <article>",
    "tidewrangle": "the newsletter promo inside the <article>",
    "grumbleton": "the comments section",
    "copperwick": "the site footer",
    "pintailmetrics": "an inline <script> in <head> (budget-vote.htm)",
    "lapwingdale": "the <nav> in the masthead (budget-vote.htm)",
    "stoatbridge": "the 'Most read' box outside the story body (budget-vote.htm)",
    "dunlin": "the footer (budget-vote.htm)",
    "jetty": "a broken .jsonl line",
}

# What each good article's date is normalised to (ISO 8601), or None when it cannot be read.
DATES = {
    "zephyrine": "2025-03-14T09:30:00+01:00",  # JSON-LD datePublished, offset kept
    "halcyrope": "2024-11-02T18:05:00+00:00",  # article:published_time with Z
    "zinnoberite": "2025-02-03",  # a bare YAML date
    "ravelsprig": "2025-01-06T07:15:00+00:00",  # RFC 2822
    "tarnwhistle": "2024-09-09",  # "September 9, 2024"
    "skerrymoss": "2024-08-12",  # "12 August 2024"
    "brindlewick": "2025-01-20",
    "cobbleraith": "2024-06-30T12:00:00+00:00",
    "dunmarrow": None,  # "31/31/2025"
    "ellowisp": None,  # "03/04/2025": April or March? not guessed
    "pipplewort": None,  # "sometime last spring"
    "saltmarrow": None,  # no date at all
}

GOOD_ARTICLES = 14  # 2 HTML, 5 Markdown, 1 + 2 JSON, 4 JSONL
FILES_WITH_ARTICLES = 10
FAILED_FILES = {"html/not-found.html", "json/settings.json", "json/binary.json"}


# --------------------------------------------------------------------------- helpers


def as_json(result: Result) -> dict[str, Any]:
    assert result.stdout.count("\n") == 1, "--json must be exactly one line"
    data: dict[str, Any] = json.loads(result.stdout)
    return data


def fixture_lines(relpath: str) -> list[str]:
    return (FORMATS / relpath).read_bytes().decode("utf-8", errors="replace").split("\n")


def line_of(relpath: str, needle: str) -> int:
    """The 1-based line of ``relpath`` that holds ``needle`` (which must stand on one line only)."""
    found = [n for n, line in enumerate(fixture_lines(relpath), 1) if needle in line]
    assert len(found) == 1, f"{needle!r} is on lines {found} of {relpath}"
    return found[0]


def make_corpus(tmp_path: Path, *relpaths: str) -> Path:
    """./corpus holding the given fixture files (all of them when none are named), same layout."""
    corpus = tmp_path / "corpus"
    if not relpaths:
        shutil.copytree(FORMATS, corpus)
        return corpus
    for relpath in relpaths:
        (corpus / relpath).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(FORMATS / relpath, corpus / relpath)
    return corpus


def index_json(cli: Cli) -> dict[str, Any]:
    result = cli("index", "--json")
    assert result.exit_code == 0, result.stderr
    assert "Traceback" not in result.stderr
    return as_json(result)


def find(cli: Cli, *args: str) -> list[dict[str, Any]]:
    """The results of ``query ARGS --json`` (all of them), or [] when nothing matched."""
    result = cli("query", *args, "--limit", "100", "--json")
    assert result.exit_code in (0, 1), result.stderr
    results: list[dict[str, Any]] = as_json(result)["results"]
    return results


def show(cli: Cli, word: str) -> dict[str, Any]:
    """``show --json`` of the one article that ``word`` finds."""
    (hit,) = find(cli, word)
    result = cli("show", hit["id"], "--json")
    assert result.exit_code == 0, result.stderr
    return as_json(result)


def problems_of(summary: dict[str, Any], path: str) -> list[dict[str, Any]]:
    return sorted((p for p in summary["problems"] if p["path"] == path), key=lambda p: p["line"] or 0)


def headings(article: dict[str, Any]) -> list[tuple[str | None, int]]:
    return [(s["heading"], s["line"]) for s in article["sections"]]


def paragraphs(article: dict[str, Any]) -> list[dict[str, Any]]:
    return [p for s in article["sections"] for p in s["paragraphs"]]


def paragraph_with(article: dict[str, Any], needle: str) -> dict[str, Any]:
    (found,) = [p for p in paragraphs(article) if needle in p["text"]]
    return found


@pytest.fixture(scope="module")
def formats_indexed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    """A folder whose ./corpus holds every fixture, indexed once for the module; the folder and
    the ``index --json`` summary."""
    folder = tmp_path_factory.mktemp("formats")
    make_corpus(folder)
    with cli_in(folder) as cli:
        return folder, index_json(cli)


@pytest.fixture
def summary(formats_indexed: tuple[Path, dict[str, Any]], cli: Cli, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """Every fixture in ./corpus, indexed; the ``index --json`` summary. The folder is shared by
    the module's tests (which only read it): ``cli`` runs there."""
    folder, data = formats_indexed
    monkeypatch.chdir(folder)
    return copy.deepcopy(data)


@pytest.fixture
def own_summary(tmp_path: Path, cli: Cli) -> dict[str, Any]:
    """As ``summary``, in a folder of the test's own, for tests that write to the index."""
    make_corpus(tmp_path)
    return index_json(cli)


# --------------------------------------------------------------------------- the whole corpus


def test_index_summary_counts_articles_and_failed_files(summary: dict[str, Any]) -> None:
    assert set(summary) >= SUMMARY_KEYS
    assert summary["articles"] == GOOD_ARTICLES
    assert summary["files"] == FILES_WITH_ARTICLES
    assert summary["failed"] == len(FAILED_FILES)
    assert summary["added"] == FILES_WITH_ARTICLES  # a file with a bad line or a warning is still added
    assert summary["skipped"] == 0 and summary["removed"] == 0


def test_every_problem_is_listed_once_with_its_level(summary: dict[str, Any]) -> None:
    for problem in summary["problems"]:
        assert set(problem) >= PROBLEM_KEYS, problem
        assert problem["level"] in {"error", "warning"}, problem
        assert problem["reason"] and "Traceback" not in problem["reason"]
        assert problem["line"] is None or (isinstance(problem["line"], int) and problem["line"] >= 1)
    assert Counter((p["path"], p["level"]) for p in summary["problems"]) == Counter(
        {
            ("html/not-found.html", "error"): 1,
            ("json/settings.json", "error"): 1,
            ("json/binary.json", "error"): 1,
            ("json/list.json", "error"): 1,
            ("json/feed.jsonl", "error"): 1,
            ("json/feed.jsonl", "warning"): 3,
            ("md/broken-front-matter.md", "warning"): 1,
            ("md/bad-date.md", "warning"): 1,
            ("md/latin1.md", "warning"): 1,
        }
    )


def test_index_names_failed_files_on_stderr_and_in_the_summary_line(tmp_path: Path, cli: Cli) -> None:
    make_corpus(tmp_path)
    result = cli("index")
    assert result.exit_code == 0
    assert "Traceback" not in result.stderr
    for path in [*FAILED_FILES, "json/feed.jsonl", "json/list.json"]:
        assert path in result.stderr, path
    assert f"{GOOD_ARTICLES} articles" in result.stdout
    assert f"{len(FAILED_FILES)} failed" in result.stdout


def test_a_second_run_still_lists_the_failed_files_as_errors(own_summary: dict[str, Any], cli: Cli) -> None:
    again = index_json(cli)
    assert again["articles"] == GOOD_ARTICLES
    assert (again["added"], again["changed"], again["failed"]) == (0, 0, len(FAILED_FILES))
    errors = {p["path"] for p in again["problems"] if p["level"] == "error"}
    assert errors >= FAILED_FILES


@pytest.mark.parametrize(("word", "relpath"), UNIQUE_WORDS.items())
def test_every_good_article_is_found_by_its_word(summary: dict[str, Any], cli: Cli, word: str, relpath: str) -> None:
    assert [hit["path"] for hit in find(cli, word)] == [f"corpus/{relpath}"]


@pytest.mark.parametrize(("word", "where"), BOILERPLATE_WORDS.items())
def test_boilerplate_and_broken_input_are_not_indexed(summary: dict[str, Any], cli: Cli, word: str, where: str) -> None:
    result = cli("query", word, "--json")
    assert result.exit_code == 1, f"{word!r} (only in {where}) found {as_json(result)['results']}"
    assert as_json(result)["total"] == 0


@pytest.mark.parametrize(("word", "date"), DATES.items())
def test_dates_are_normalised_to_iso_8601_or_left_null(
    summary: dict[str, Any], cli: Cli, word: str, date: str | None
) -> None:
    (hit,) = find(cli, word)
    assert hit["date"] == date
    assert show(cli, word)["date"] == date


# --------------------------------------------------------------------------- filters and facets


def titles(hits: list[dict[str, Any]]) -> set[str]:
    return {hit["title"] for hit in hits}


# "residents" is in seven articles, each with a date and a source.
RESIDENTS = {
    "Dockworkers Walk Out as Harbour Talks Collapse": ("2025-03", "The Harbour Gazette"),
    "Ferry Fares Frozen for Island Residents": ("2024-09", "The Harbour Gazette"),
    "Council Passes Budget After All-Night Sitting": ("2024-11", "The Riverside Courier"),
    "Lantern Festival Draws Record Crowds to the Old Quay": ("2025-02", "Northern Lantern"),
    "Night Trains Return to the Coastal Line": ("2025-01", "Rail Weekly"),
    "Wind Farm Approved Off Brindlewick Point": ("2025-01", "Wire Desk"),
    "Fishing Quotas Cut for Cod": ("2024-06", "Wire Desk"),
}


def test_source_filter_matches_the_site_name(summary: dict[str, Any], cli: Cli) -> None:
    hits = find(cli, "residents", "--source", "Harbour Gazette")
    assert titles(hits) == {"Dockworkers Walk Out as Harbour Talks Collapse", "Ferry Fares Frozen for Island Residents"}
    assert {hit["source"] for hit in hits} == {"The Harbour Gazette"}
    assert titles(find(cli, "residents", "--source", "Rail Weekly")) == {"Night Trains Return to the Coastal Line"}


def test_since_and_until_cover_whole_periods(summary: dict[str, Any], cli: Cli) -> None:
    assert titles(find(cli, "residents", "--since", "2025", "--until", "2025-02")) == {
        "Lantern Festival Draws Record Crowds to the Old Quay",
        "Night Trains Return to the Coastal Line",
        "Wind Farm Approved Off Brindlewick Point",
    }
    assert titles(find(cli, "residents", "--since", "2025-03-14")) == {"Dockworkers Walk Out as Harbour Talks Collapse"}


def test_a_date_range_in_the_query(summary: dict[str, Any], cli: Cli) -> None:
    assert titles(find(cli, "residents date:[2024-01-01 TO 2024-12-31]")) == {
        "Ferry Fares Frozen for Island Residents",
        "Council Passes Budget After All-Night Sitting",
        "Fishing Quotas Cut for Cod",
    }


def test_sort_by_date_is_newest_first_and_undated_last(summary: dict[str, Any], cli: Cli) -> None:
    hits = find(cli, "saltmarrow tarnwhistle zephyrine ravelsprig", "--any", "--sort", "date")
    assert [(hit["title"], hit["date"]) for hit in hits] == [
        ("Dockworkers Walk Out as Harbour Talks Collapse", "2025-03-14T09:30:00+01:00"),
        ("Night Trains Return to the Coastal Line", "2025-01-06T07:15:00+00:00"),
        ("Ferry Fares Frozen for Island Residents", "2024-09-09"),
        ("Tidewater Mill Reopens After Restoration", None),
    ]


def test_facets_count_every_matching_article_not_just_the_page(summary: dict[str, Any], cli: Cli) -> None:
    data = as_json(cli("query", "residents", "--limit", "2", "--json"))
    assert data["total"] == len(RESIDENTS) and len(data["results"]) == 2
    assert data["facets"] == {
        "source": dict(Counter(source for _, source in RESIDENTS.values())),
        "month": dict(Counter(month for month, _ in RESIDENTS.values())),
    }


def test_facets_follow_the_filters(summary: dict[str, Any], cli: Cli) -> None:
    data = as_json(cli("query", "residents", "--since", "2025", "--limit", "1", "--json"))
    assert data["total"] == 4
    assert data["facets"]["month"] == {"2025-03": 1, "2025-02": 1, "2025-01": 2}
    assert sum(data["facets"]["source"].values()) == 4


def test_jsonl_results_are_the_json_results_without_counting_facets(summary: dict[str, Any], cli: Cli) -> None:
    whole = as_json(cli("query", "residents", "--json"))
    lines = cli("query", "residents", "--jsonl").stdout.splitlines()
    assert [json.loads(line) for line in lines] == whole["results"]
    assert whole["facets"]["source"]  # counted for --json; --jsonl has nowhere to print them


def test_a_source_that_no_article_has_is_named_with_the_sources_there_are(summary: dict[str, Any], cli: Cli) -> None:
    result = cli("query", "residents", "--source", "Associated Press", "--json")
    assert result.exit_code == 1
    note = as_json(result)["filter_note"]
    assert "'Associated Press'" in note and "Wire Desk" in note and "The Harbour Gazette" in note
    human = cli("query", "residents", "--source", "Associated Press")
    assert human.exit_code == 1 and "No article has the source 'Associated Press'" in human.stderr


def test_a_date_filter_that_no_article_meets_says_which_dates_there_are(summary: dict[str, Any], cli: Cli) -> None:
    result = cli("query", "residents", "--since", "2030", "--json")
    assert result.exit_code == 1
    assert as_json(result)["filter_note"] == (
        "no article is dated on or after 2030-01-01 — dated articles run from 2024-06 to 2025-03"
    )


def test_filters_that_each_match_but_not_together_say_how_many_match_without(summary: dict[str, Any], cli: Cli) -> None:
    result = cli("query", "residents", "--source", "Rail Weekly", "--since", "2025-02", "--json")
    assert result.exit_code == 1
    assert as_json(result)["filter_note"] == "7 articles match without --source/--since/--until"
    assert as_json(cli("query", "residents", "--json"))["filter_note"] is None


def test_human_results_end_with_counts_by_source_and_month(summary: dict[str, Any], cli: Cli) -> None:
    result = cli("query", "residents", "--limit", "1")
    assert result.exit_code == 0
    line = next(line for line in result.stderr.splitlines() if line.startswith("By source:"))
    assert "The Harbour Gazette 2" in line and "Wire Desk 2" in line
    assert "by month: 2025-01 2" in line and "(+" in line  # seven sources: the largest four shown


# --------------------------------------------------------------------------- HTML

HARBOUR = "html/harbour-strike.html"
BUDGET = "html/budget-vote.htm"


def test_html_saved_news_page(summary: dict[str, Any], cli: Cli) -> None:
    article = show(cli, "zephyrine")
    assert article["path"] == f"corpus/{HARBOUR}"
    assert (
        article["title"] == "Dockworkers Walk Out as Harbour Talks Collapse"
    )  # the <h1>, not "… | The Harbour Gazette"
    assert 1 <= article["line"] <= line_of(HARBOUR, "<h1")
    assert article["doc_id"] is None
    assert article["source"] == "The Harbour Gazette"
    assert article["url"] == "https://harbourgazette.example/news/2025/03/14/dockworkers-walk-out"
    assert set(article["tags"]) == {"ports", "labour", "strikes"}
    assert article["captions"] == [
        {
            "text": "Striking dockworkers gather at the east gate of Port Carrow on Friday morning (Reuters)",
            "line": line_of(HARBOUR, "<figcaption>"),
        }
    ]
    # The <h2> of the related-stories aside and the <h3> of the newsletter promo are not sections.
    assert headings(article) == [
        (None, article["sections"][0]["line"]),
        ("Why the talks broke down", line_of(HARBOUR, "<h2>Why the talks")),
        ("Ferries rerouted to Kelsby", line_of(HARBOUR, "<h2>Ferries")),
    ]


def test_html_paragraphs_are_plain_text_with_their_lines(summary: dict[str, Any], cli: Cli) -> None:
    article = show(cli, "zephyrine")
    lead = paragraph_with(article, "zephyrine")
    assert lead["line"] == line_of(HARBOUR, "<p>Hundreds of dockworkers")  # where the <p> starts
    # Link text kept, tags gone, the source's line breaks and indentation folded to single spaces.
    assert "talks with the Port Carrow Authority collapsed, leaving the zephyrine cranes idle" in lead["text"]
    assert "\u201can insult to people" in paragraph_with(article, "final")["text"]  # &ldquo;
    assert "Harrow & Quay Ltd" in paragraph_with(article, "Harrow")["text"]  # &amp;
    for paragraph in paragraphs(article):
        assert "<" not in paragraph["text"] and "&amp;" not in paragraph["text"], paragraph
        assert "  " not in paragraph["text"] and "\n" not in paragraph["text"], paragraph
    assert article["sections"][1]["paragraphs"][0]["line"] == line_of(HARBOUR, "<p>Negotiators")
    # The paragraph after the aside and the promo still belongs to the last section.
    assert "publish its offer in full" in article["sections"][2]["text"]
    assert not any("Related stories" in p["text"] or "Sign up" in p["text"] for p in paragraphs(article))


def test_html_matches_point_at_their_lines(summary: dict[str, Any], cli: Cli) -> None:
    (hit,) = find(cli, "caption:dockworkers")
    (match,) = [m for m in hit["matches"] if m["kind"] == "caption"]
    assert match["line"] == line_of(HARBOUR, "<figcaption>")
    (hit,) = find(cli, "quillback")
    (match,) = hit["matches"]
    assert (match["kind"], match["section"]) == ("section", "Why the talks broke down")
    assert match["line"] == line_of(HARBOUR, "<p>Negotiators")


def test_html_page_in_another_layout(summary: dict[str, Any], cli: Cli) -> None:
    article = show(cli, "halcyrope")
    assert article["path"] == f"corpus/{BUDGET}"
    assert article["title"] == "Council Passes Budget After All-Night Sitting"
    assert article["date"] == "2024-11-02T18:05:00+00:00"
    assert article["source"] == "The Riverside Courier"
    assert article["url"] == "https://riversidecourier.example/local/council-passes-budget"
    assert set(article["tags"]) == {"council", "budget"}
    assert article["captions"] == [
        {
            "text": "Councillors debate the wrenfallow amendment in the main chamber (Riverside Courier)",
            "line": line_of(BUDGET, "<figcaption>Councillors"),
        },
        {
            "text": "The central library on Mill Street will keep its Sunday opening (PA)",
            "line": line_of(BUDGET, "<figcaption>The central library"),
        },
    ]
    assert headings(article)[1:] == [
        ("Library hours saved", line_of(BUDGET, "<h3>Library")),
        ("Parking charges rise", line_of(BUDGET, "<h3>Parking")),
    ]
    assert headings(article)[0][0] is None
    assert "\u00a3400,000 for the fennimore bus link" in article["sections"][2]["text"]  # &pound;
    assert not any(c["text"] in p["text"] for c in article["captions"] for p in paragraphs(article))


def test_html_page_without_an_article_fails(tmp_path: Path, cli: Cli) -> None:
    make_corpus(tmp_path, "html/not-found.html", HARBOUR)
    data = index_json(cli)
    assert (data["articles"], data["files"], data["failed"]) == (1, 1, 1)
    (problem,) = data["problems"]
    assert (problem["path"], problem["level"]) == ("html/not-found.html", "error")
    assert not any(hit["path"].endswith("not-found.html") for hit in find(cli, "page"))


# --------------------------------------------------------------------------- Markdown

FRONT = "md/front-matter.md"
PLAIN_MD = "md/no-front-matter.md"


def test_markdown_front_matter_gives_the_metadata(summary: dict[str, Any], cli: Cli) -> None:
    article = show(cli, "zinnoberite")
    assert article["path"] == f"corpus/{FRONT}"
    assert article["doc_id"] == "nl-2025-0042"
    assert article["title"] == "Lantern Festival Draws Record Crowds to the Old Quay"
    assert article["date"] == "2025-02-03"
    assert article["source"] == "Northern Lantern"
    assert article["url"] == "https://northern-lantern.example/2025/02/03/lantern-festival"
    assert article["tags"] == ["festivals", "tourism", "old quay"]
    (hit,) = find(cli, "zinnoberite")
    assert (hit["doc_id"], hit["source"]) == ("nl-2025-0042", "Northern Lantern")


def test_markdown_headings_are_sections_with_file_lines(summary: dict[str, Any], cli: Cli) -> None:
    article = show(cli, "zinnoberite")
    # "# <the title>" is the headline, not a section; lines count the front matter too.
    assert headings(article) == [
        (None, line_of(FRONT, "Organisers of")),
        ("How the festival began", line_of(FRONT, "## How the festival began")),
        ("What the council says", line_of(FRONT, "## What the council says")),
    ]
    lead = paragraph_with(article, "zinnoberite")
    assert lead["line"] == line_of(FRONT, "Organisers of")
    assert "wickerlight" in article["sections"][1]["text"]
    assert "fernhollow paper" in article["sections"][1]["text"]  # the bullet list
    assert "We have never seen the quay this busy" in article["sections"][2]["text"]  # the > quote


def test_markdown_paragraphs_are_plain_text(summary: dict[str, Any], cli: Cli) -> None:
    article = show(cli, "zinnoberite")
    lead = paragraph_with(article, "zinnoberite")["text"]
    assert "crossed the Old Quay bridge" in lead  # **Old Quay**
    assert "floating on the harbour basin, and residents" in lead  # [harbour basin](url)
    for paragraph in paragraphs(article):
        text = paragraph["text"]
        assert "**" not in text and "](" not in text and "northern-lantern.example" not in text, text
        assert not text.startswith((">", "- ", "#")), text


def test_markdown_emphasised_line_under_an_image_is_its_caption(summary: dict[str, Any], cli: Cli) -> None:
    article = show(cli, "zinnoberite")
    assert article["captions"] == [
        {
            "text": "Lanterns drift past the customs house on Saturday evening (AP)",
            "line": line_of(FRONT, "*Lanterns drift"),
        }
    ]
    assert not any("customs house" in p["text"] for p in paragraphs(article))  # not also a paragraph
    assert [h["title"] for h in find(cli, "caption:customs")] == [article["title"]]
    assert find(cli, "body:customs") == []


def test_markdown_without_front_matter(summary: dict[str, Any], cli: Cli) -> None:
    article = show(cli, "saltmarrow")
    assert article["title"] == "Tidewater Mill Reopens After Restoration"
    assert (article["doc_id"], article["date"], article["source"], article["url"]) == (None, None, None, None)
    assert article["tags"] == []
    assert headings(article) == [
        (None, line_of(PLAIN_MD, "The Tidewater grain mill")),
        ("Restoring the wheel", line_of(PLAIN_MD, "## Restoring the wheel")),
    ]
    # The image's alt text is the caption; the paragraph after the image stays in its section.
    assert article["captions"] == [
        {"text": "Volunteers fit the last paddle to the restored wheel (Reuters)", "line": line_of(PLAIN_MD, "![")}
    ]
    assert "first bags of flour" in article["sections"][1]["text"]
    assert not any("paddle to the restored wheel" in p["text"] for p in paragraphs(article))


def test_markdown_broken_front_matter_is_a_warning(summary: dict[str, Any], cli: Cli) -> None:
    (problem,) = problems_of(summary, "md/broken-front-matter.md")
    assert problem["level"] == "warning"
    assert problem["line"] in {1, 2, 3}  # the front matter, or the YAML error in it
    article = show(cli, "lumenvarre")
    assert article["title"] == "Glassblowers Guild Elects First Woman Chair"
    assert (article["doc_id"], article["date"], article["source"], article["url"]) == (None, None, None, None)
    # The front matter that could not be read is kept as text of the lead, at its line: nothing
    # in the file is lost, and its metadata is not guessed from it.
    (kept,) = [p for p in paragraphs(article) if "unclosed" in p["text"]]
    assert kept["line"] == 2 and "---" not in kept["text"]


def test_markdown_unreadable_date_is_a_warning(summary: dict[str, Any], cli: Cli) -> None:
    (problem,) = problems_of(summary, "md/bad-date.md")
    assert problem["level"] == "warning"
    assert "date" in problem["reason"].lower()
    assert "sometime last spring" in problem["reason"]
    article = show(cli, "pipplewort")
    assert article["title"] == "Allotment Holders Win Fight Over Water Rates"
    assert article["date"] is None
    assert article["source"] == "Valley Post"  # the rest of the front matter still counts


def test_markdown_with_invalid_utf8_is_indexed_with_replacement(summary: dict[str, Any], cli: Cli) -> None:
    (problem,) = problems_of(summary, "md/latin1.md")
    assert problem["level"] == "warning"
    assert "UTF-8" in problem["reason"]
    article = show(cli, "grindlestone")
    assert article["title"] == "Caf\ufffd Owners on the Quayside Protest Rent Rise"
    assert article["source"] == "Quayside Times"
    assert "The caf\ufffd owners" in article["sections"][0]["text"]


# --------------------------------------------------------------------------- JSON and JSONL

ONE = "json/one.json"
LIST = "json/list.json"
FEED = "json/feed.jsonl"


def test_json_article_object(summary: dict[str, Any], cli: Cli) -> None:
    article = show(cli, "ravelsprig")
    assert article["path"] == f"corpus/{ONE}"
    assert article["line"] == 1
    assert article["doc_id"] == "rw-2025-117"
    assert article["title"] == "Night Trains Return to the Coastal Line"
    assert article["source"] == "Rail Weekly"
    assert article["url"] == "https://railweekly.example/2025/01/night-trains"
    assert article["tags"] == ["rail", "transport"]
    assert [c["text"] for c in article["captions"]] == [
        "The sleeper leaves Penmarrow station at dusk on its last run in 2020 (Rail Weekly)",
        "A restored couchette carriage in the Dunmere depot (AP)",  # given as {"text": …}
    ]
    assert all(isinstance(c["line"], int) and c["line"] >= 1 for c in article["captions"])
    lead, timetable, fares = article["sections"]
    assert [s["heading"] for s in article["sections"]] == [None, "Timetable", "Fares"]
    body = json.loads((FORMATS / ONE).read_text(encoding="utf-8"))["body"]
    assert [p["text"] for p in lead["paragraphs"]] == body.split("\n\n")  # split at blank lines
    assert "sleetmoor terminus" in timetable["text"]
    assert "59 euros" in fares["text"]


def test_json_list_of_articles_skips_the_one_that_is_not(summary: dict[str, Any], cli: Cli) -> None:
    ferry = show(cli, "tarnwhistle")
    assert ferry["line"] == 2  # the line of its "{"
    assert ferry["doc_id"] == "101"  # a number id, as a string
    assert ferry["title"] == "Ferry Fares Frozen for Island Residents"
    assert [p["text"] for p in ferry["sections"][0]["paragraphs"]] == [
        "Island residents will pay the same tarnwhistle ferry fares next year, the harbour board said.",
        "Visitors will pay 5 per cent more.",
    ]
    cottages = show(cli, "skerrymoss")
    assert cottages["line"] == line_of(LIST, '"lg-3"') - 1
    assert (cottages["doc_id"], cottages["source"]) == ("lg-3", "Coastal Property News")
    (problem,) = problems_of(summary, LIST)
    assert (problem["level"], problem["line"]) == ("error", line_of(LIST, '"foo"'))


def test_jsonl_records_keep_their_line_numbers(summary: dict[str, Any], cli: Cli) -> None:
    expected = {"brindlewick": (1, "wd-1"), "cobbleraith": (2, "wd-2"), "dunmarrow": (5, "wd-5"), "ellowisp": (7, "7")}
    for word, (line, doc_id) in expected.items():
        article = show(cli, word)
        assert (article["path"], article["line"], article["doc_id"]) == (f"corpus/{FEED}", line, doc_id), word
        assert fixture_lines(FEED)[line - 1].startswith("{") and word in fixture_lines(FEED)[line - 1].lower()
    cod = show(cli, "cobbleraith")
    assert cod["captions"] == [{"text": "Trawlers moored at the quay (AFP)", "line": 2}]
    assert show(cli, "ellowisp")["tags"] == ["arts"]


def test_jsonl_bad_lines_are_reported_and_the_rest_indexed(summary: dict[str, Any]) -> None:
    broken, empty, bad_date, ambiguous = problems_of(summary, FEED)
    assert (broken["line"], broken["level"]) == (3, "error")
    assert "json" in broken["reason"].lower()
    assert (empty["line"], empty["level"]) == (4, "warning")  # skipped, but nothing was in it
    assert (bad_date["line"], bad_date["level"]) == (5, "warning")
    assert "date" in bad_date["reason"].lower() and "31/31/2025" in bad_date["reason"]
    assert (ambiguous["line"], ambiguous["level"]) == (7, "warning")
    assert "03/04/2025" in ambiguous["reason"]


def test_json_that_is_not_an_article_fails(tmp_path: Path, cli: Cli) -> None:
    make_corpus(tmp_path, "json/settings.json", ONE)
    data = index_json(cli)
    assert (data["articles"], data["files"], data["failed"]) == (1, 1, 1)
    (problem,) = data["problems"]
    assert (problem["path"], problem["level"]) == ("json/settings.json", "error")
    assert find(cli, "newsroom") == []


def test_binary_data_with_a_text_extension_fails(tmp_path: Path, cli: Cli) -> None:
    make_corpus(tmp_path, "json/binary.json", FRONT)
    data = index_json(cli)
    assert (data["articles"], data["failed"]) == (1, 1)
    (problem,) = data["problems"]
    assert (problem["path"], problem["level"]) == ("json/binary.json", "error")
    assert "binary" in problem["reason"]


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("empty.json", b""),
        ("null.json", b"null"),
        ("number.json", b"42\n"),
        ("strings.json", b'["a", "b"]\n'),
        ("empty.jsonl", b"\n\n"),
        ("empty.md", b""),
        ("only-front-matter.md", b"---\ntitle: x\n---\n"),
        ("empty.html", b""),
        ("truncated.html", b"<html><body><article><h1>Half a p"),
    ],
)
def test_odd_files_never_crash_the_index(tmp_path: Path, cli: Cli, name: str, content: bytes) -> None:
    corpus = make_corpus(tmp_path, FRONT)
    (corpus / name).write_bytes(content)
    data = index_json(cli)
    assert data["articles"] >= 1
    assert [hit["title"] for hit in find(cli, "zinnoberite")] == [
        "Lantern Festival Draws Record Crowds to the Old Quay"
    ]


# --------------------------------------------------------------------------- small cases, written here


def write_corpus(tmp_path: Path, files: dict[str, str]) -> None:
    corpus = tmp_path / "corpus"
    for name, text in files.items():
        (corpus / name).parent.mkdir(parents=True, exist_ok=True)
        (corpus / name).write_text(text, encoding="utf-8")


def test_index_stderr_names_each_problem_with_its_level_and_line(tmp_path: Path, cli: Cli) -> None:
    make_corpus(tmp_path)
    result = cli("index", "--json")
    problems, stderr = as_json(result)["problems"], result.stderr
    for problem in problems:
        where = f"{problem['path']}:{problem['line']}" if problem["line"] else problem["path"]
        (said,) = [line for line in stderr.splitlines() if where in line and problem["reason"][:20] in line]
        label = said.split(where)[0].lower()
        assert problem["level"] in label, f"{problem['level']} shown as {said!r}"
        if problem["level"] == "error":
            assert "warning" not in label, said


@pytest.mark.parametrize(
    ("written", "expected"),
    [
        ("2025-02-03", "2025-02-03"),
        ("2025-03-14T09:30:00+01:00", "2025-03-14T09:30:00+01:00"),
        ("2025-03-14T09:30:00Z", "2025-03-14T09:30:00+00:00"),
        ("Fri, 14 Mar 2025 09:30:00 +0000", "2025-03-14T09:30:00+00:00"),
        ("14 March 2025", "2025-03-14"),
        ("March 14, 2025", "2025-03-14"),
        ("31/31/2025", None),
        ("03/04/2025", None),
        ("2025-02-30", None),
        ("sometime last spring", None),
    ],
)
def test_dates_as_inputs_write_them(tmp_path: Path, cli: Cli, written: str, expected: str | None) -> None:
    record = {
        "id": "d1",
        "title": "Quayside clock restored",
        "body": "The vorpalline clock ticks again.",
        "date": written,
    }
    write_corpus(tmp_path, {"dates.jsonl": json.dumps(record) + "\n"})
    data = index_json(cli)
    assert data["articles"] == 1
    (hit,) = find(cli, "vorpalline")
    assert hit["date"] == expected
    if expected is None:
        (problem,) = data["problems"]
        assert (problem["path"], problem["line"], problem["level"]) == ("dates.jsonl", 1, "warning")
        assert written in problem["reason"]
    else:
        assert data["problems"] == []


def test_markdown_tags_as_a_comma_separated_string(tmp_path: Path, cli: Cli) -> None:
    write_corpus(
        tmp_path,
        {"tags.md": "---\ntitle: Gull Count Falls\ntags: birds, coast , surveys\n---\n\nThe quorlington gulls fell.\n"},
    )
    assert index_json(cli)["problems"] == []
    article = show(cli, "quorlington")
    assert article["tags"] == ["birds", "coast", "surveys"]


def test_markdown_title_falls_back_to_the_first_line(tmp_path: Path, cli: Cli) -> None:
    write_corpus(
        tmp_path,
        {"plain.md": "\n\nHarbour Wall Repaired Before Storms\n\nMasons finished the brastleby wall on Sunday.\n"},
    )
    index_json(cli)
    article = show(cli, "brastleby")
    assert (article["title"], article["line"]) == ("Harbour Wall Repaired Before Storms", 3)
    assert not any("Harbour Wall Repaired" in p["text"] for p in paragraphs(article))


def test_markdown_headings_other_than_the_title_are_sections(tmp_path: Path, cli: Cli) -> None:
    text = (
        "---\n"  # 1
        "title: Tide Gauge Moved\n"  # 2
        "---\n"  # 3
        "# Tide gauge moves to the north pier\n"  # 4: not the title, so a section
        "\n"  # 5
        "The old gauge was wobbly.\n"  # 6
        "\n"  # 7
        "### Why it moved\n"  # 8
        "\n"  # 9
        "Silt from the dredging of the crumplehorn channel.\n"  # 10
        "\n"  # 11
        "![Engineers lift the gauge](gauge.jpg)\n"  # 12
        "_The gauge on its new mount (Harbour Board)_\n"  # 13
        "\n"  # 14
        "_An emphasised paragraph on its own is text, not a caption._\n"  # 15
    )
    write_corpus(tmp_path, {"gauge.md": text})
    index_json(cli)
    article = show(cli, "crumplehorn")
    assert article["title"] == "Tide Gauge Moved"
    assert [(s["heading"], s["line"]) for s in article["sections"]] == [
        ("Tide gauge moves to the north pier", 4),
        ("Why it moved", 8),
    ]
    assert article["captions"] == [{"text": "The gauge on its new mount (Harbour Board)", "line": 13}]
    assert paragraph_with(article, "An emphasised paragraph")["line"] == 15


def test_html_title_and_date_fall_backs(tmp_path: Path, cli: Cli) -> None:
    pages = {
        "og.html": (
            '<html><head><title>Site</title><meta property="og:title" content="Ferry Timetable Changes">'
            "</head><body><p>The glimwharf ferry leaves earlier.</p>"
            '<p>Posted <time datetime="2025-05-06">6 May</time></p></body></html>'
        ),
        "ld.html": (
            '<html><head><script type="application/ld+json">{"@type": "NewsArticle", "headline": '
            '"Beach Huts Repainted", "datePublished": "2025-04-01T08:00:00Z"}</script></head>'
            "<body><main><p>The skelderby beach huts are blue again.</p></main></body></html>"
        ),
        "title.html": (
            "<html><head><title>Crab Season Opens</title></head><body><p>Crabbers at rundlewick.</p></body></html>"
        ),
    }
    write_corpus(tmp_path, pages)
    data = index_json(cli)
    assert data["articles"] == 3 and data["failed"] == 0, data["problems"]
    (og,) = find(cli, "glimwharf")
    assert (og["title"], og["date"]) == ("Ferry Timetable Changes", "2025-05-06")
    (ld,) = find(cli, "skelderby")
    assert (ld["title"], ld["date"]) == ("Beach Huts Repainted", "2025-04-01T08:00:00+00:00")
    (plain,) = find(cli, "rundlewick")
    assert plain["title"] == "Crab Season Opens"


def test_html_page_without_any_headline_still_gets_a_title(tmp_path: Path, cli: Cli) -> None:
    """Like a .md or .json article without a title: never a blank title in the results."""
    write_corpus(tmp_path, {"bare.html": "<html><body><p>Snow closed the vellbury road overnight.</p></body></html>"})
    assert index_json(cli)["articles"] == 1
    (hit,) = find(cli, "vellbury")
    assert hit["title"].strip()


def test_a_date_with_an_offset_is_filed_under_the_day_it_shows(tmp_path: Path, cli: Cli) -> None:
    """Results show "2025-03-01T00:30:00+01:00"; filters and facets must agree it is 1 March,
    not the 28 February it is in UTC."""
    record = {"title": "Midnight Ferry", "body": "The plinkerton ferry left.", "date": "2025-03-01T00:30:00+01:00"}
    write_corpus(tmp_path, {"night.jsonl": json.dumps(record) + "\n"})
    index_json(cli)
    assert [h["date"] for h in find(cli, "plinkerton", "--since", "2025-03-01")] == ["2025-03-01T00:30:00+01:00"]
    assert find(cli, "plinkerton", "--until", "2025-02") == []
    assert as_json(cli("query", "plinkerton", "--json"))["facets"]["month"] == {"2025-03": 1}


def test_html_page_in_a_declared_legacy_charset(tmp_path: Path, cli: Cli) -> None:
    page = (
        '<html><head><meta charset="windows-1252"><title>x</title></head><body>'
        "<h1>Caf\xe9 Reopens on the Quay</h1><p>The caf\xe9 at tromsley pier reopened \x96 at last.</p></body></html>"
    )
    (tmp_path / "corpus").mkdir()
    (tmp_path / "corpus" / "cp1252.html").write_bytes(page.encode("latin-1"))
    assert index_json(cli)["problems"] == []
    article = show(cli, "tromsley")
    assert article["title"] == "Caf\u00e9 Reopens on the Quay"
    assert "pier reopened \u2013 at last" in article["sections"][0]["text"]


def test_editing_a_jsonl_file_reindexes_only_its_records(tmp_path: Path, cli: Cli) -> None:
    corpus = make_corpus(tmp_path, FEED, ONE)
    first = index_json(cli)
    assert first["articles"] == 5
    lines = (corpus / FEED).read_text(encoding="utf-8").split("\n")
    lines[2] = json.dumps({"id": "wd-3", "title": "Jetty Rebuilt", "body": "The jetty reopened."})
    (corpus / FEED).write_text("\n".join(lines), encoding="utf-8")
    second = index_json(cli)
    assert (second["articles"], second["changed"], second["unchanged"]) == (6, 1, 1)
    assert not any(p["line"] == 3 for p in problems_of(second, FEED))
    (jetty,) = find(cli, "jetty")
    assert (jetty["path"], jetty["line"], jetty["doc_id"]) == (f"corpus/{FEED}", 3, "wd-3")


# --------------------------------------------------------------------------- no input crashes a reader

FRAGMENTS = [
    "---\n", "...\n", "title: Tide\n", "date: 2025-02-30\n", "tags: [a, b\n", "# Heading\n", "## Sub\n",
    "![alt (AP)](p.jpg)\n", "*Caption (AP)*\n", "> quote\n", "- item\n", "```\n", "text words\n", "\n", "\n\n",
    "<h1>", "</h1>", "<h2>S</h2>", "<p>", "</p>", "<figure><figcaption>", "</figcaption>", "<script>", "</script>",
    "<article>", "<nav>", "<!--", "-->", "&amp;", "&#0;", '<meta property="og:title" content="T">',
    '<script type="application/ld+json">', '{"headline": 3, "datePublished": []}',
    "{", "}", "[", "]", '"title": "T"', '"body": "b\\n\\nc"', '"date": 12', '"tags": "x"', '"captions": [{}]',
    '"sections": [null]', '"id": {"a": 1}', ", ", ":", '"', "\\", "\u00e9", "\u2028", "\ufeff", "\r\n", "\t",
]  # fmt: skip


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    suffix=st.sampled_from(sorted(SUPPORTED)),
    data=st.one_of(
        st.binary(max_size=200),
        st.lists(st.sampled_from(FRAGMENTS), max_size=40).map(lambda parts: "".join(parts).encode()),
        st.text(max_size=200).map(str.encode),
    ),
)
def test_no_input_crashes_a_reader_and_every_line_is_in_the_file(suffix: str, data: bytes) -> None:
    read = read_bytes(data, f"folder/file{suffix}")
    lines = max(1, data.count(b"\n") + 1)
    assert read.articles == [] or read.error is None
    for problem in [*read.problems, *([read.error] if read.error else [])]:
        assert problem.reason and problem.path == f"folder/file{suffix}"
        assert problem.line is None or 1 <= problem.line <= lines, problem
    for article in read.articles:
        places = [article.line, *(c.line for c in article.captions)]
        places += [s.line for s in article.sections] + [p.line for s in article.sections for p in s.paragraphs]
        assert all(1 <= line <= lines for line in places), (article, lines)
