"""One input must not block the run: the README's "Limits" on a file's size, a record's length
and an article's text, sections, captions and paragraphs, and what happens past each.

Every input is written just past its limit (the limits are read from ``newssearch.formats.limits``)
into a scratch corpus, indexed by the real CLI, and looked at with ``query`` and ``show``.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from typer.testing import Result

from conftest import ROOT, clean_env, entry_point
from newssearch.formats import limits

Cli = Callable[..., Result]

GOOD = ("good.txt", "Harbour Note\n\nThe zqgoodword harbour stayed open all week.\n")
# Text the tokenizer has almost nothing to do with, so that an article of megabytes indexes quickly.
FILLER = " -=" + "-=" * 45


def corpus_with(tmp_path: Path, files: dict[str, str]) -> Path:
    corpus = tmp_path / "corpus"
    corpus.mkdir(exist_ok=True)
    for name, text in {**dict([GOOD]), **files}.items():
        (corpus / name).write_text(text, encoding="utf-8")
    return corpus


def index(cli: Cli) -> dict[str, Any]:
    result = cli("index", "--json")
    assert result.exit_code == 0, result.output
    summary: dict[str, Any] = json.loads(result.stdout)
    return summary


def hits(cli: Cli, word: str) -> list[dict[str, Any]]:
    result = cli("query", word, "--json")
    assert result.exit_code in (0, 1), result.output
    found: list[dict[str, Any]] = json.loads(result.stdout)["results"]
    return found


def shown(cli: Cli, word: str) -> dict[str, Any]:
    (hit,) = hits(cli, word)
    result = cli("show", hit["id"], "--json")
    assert result.exit_code == 0, result.output
    article: dict[str, Any] = json.loads(result.stdout)
    return article


def problems_of(summary: dict[str, Any], path: str) -> list[dict[str, Any]]:
    return [p for p in summary["problems"] if p["path"] == path]


def paragraphs(article: dict[str, Any]) -> list[str]:
    return [p["text"] for s in article["sections"] for p in s["paragraphs"]]


# --------------------------------------------------------------------------- one file


@pytest.mark.parametrize(
    ("name", "limit", "start"),
    [
        ("export.jsonl", limits.MAX_FILE_BYTES, b'{"title": "Too big", "body": "zqbigword"}\n'),
        ("page.html", limits.MAX_PAGE_BYTES, b"<html><body><p>The zqbigword page.</p>"),
    ],
)
def test_a_file_past_the_size_limit_is_reported_with_its_size_and_never_read(
    tmp_path: Path, name: str, limit: int, start: bytes
) -> None:
    """A sparse file one byte past the limit: reported with its size and the limit, the rest of
    the corpus indexed, and the run's memory stays far below the file's size."""
    corpus = corpus_with(tmp_path, {})
    with (corpus / name).open("wb") as f:
        f.write(start)
        f.truncate(limit + 1)
    # The peak memory of the index run alone: a fresh Python that runs it and reports its child's.
    probe = (
        "import resource, subprocess, sys; "
        "done = subprocess.run(sys.argv[1:], capture_output=True, text=True); "
        "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss); "
        "print(done.returncode); print(done.stdout)"
    )
    run = subprocess.run(
        [sys.executable, "-c", probe, str(entry_point()), "index", "--json"],
        cwd=tmp_path,
        env=clean_env(),
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    peak_kb, code, stdout = run.stdout.split("\n", 2)
    assert code == "0", run.stdout
    summary = json.loads(stdout)
    (problem,) = problems_of(summary, name)
    assert problem["level"] == "error"
    assert f"{limit + 1:,} bytes" in problem["reason"] and f"{limit >> 20} MB" in problem["reason"]
    assert ("split it" in problem["reason"]) == (limit == limits.MAX_FILE_BYTES)
    assert (summary["articles"], summary["failed"]) == (1, 1)
    # Python and the index take some 30 MB: only the larger limit stands out from that.
    assert int(peak_kb) * 1024 < limits.MAX_FILE_BYTES // 2, "the file past the limit was read into memory"


# --------------------------------------------------------------------------- one record


def test_a_jsonl_line_past_the_record_limit_is_reported_and_the_rest_of_the_file_indexed(
    tmp_path: Path, cli: Cli
) -> None:
    before = json.dumps({"title": "Before", "body": "The zqbeforeline record."})
    after = json.dumps({"title": "After", "body": "The zqafterline record."})
    head = json.dumps({"title": "Huge zqhugeline", "body": ""})[:-2]
    huge = head + "x" * (limits.MAX_RECORD_CHARS + 1 - len(head) - 2) + '"}'
    assert len(huge) == limits.MAX_RECORD_CHARS + 1
    corpus_with(tmp_path, {"feed.jsonl": f"{before}\n{huge}\n{after}\n"})
    summary = index(cli)
    (problem,) = problems_of(summary, "feed.jsonl")
    assert (problem["line"], problem["level"]) == (2, "error")
    assert f"{limits.MAX_RECORD_CHARS:,}" in problem["reason"] and "line skipped" in problem["reason"]
    assert [Path(h["path"]).name for h in hits(cli, "zqbeforeline")] == ["feed.jsonl"]
    assert [Path(h["path"]).name for h in hits(cli, "zqafterline")] == ["feed.jsonl"]
    assert hits(cli, "zqhugeline") == []


# --------------------------------------------------------------------------- one article


def _long_article(ext: str, text: str) -> str:
    """An article in the format of ``ext`` whose body is ``text`` (paragraphs split by blank lines)."""
    if ext == ".txt":
        return f"Long Report zqlongtitle\n\n{text}"
    if ext == ".md":
        return f"# Long Report zqlongtitle\n\n{text}"
    if ext == ".jsonl":
        return json.dumps({"title": "Long Report zqlongtitle", "body": text}) + "\n"
    body = "".join(f"<p>{p}</p>\n" for p in text.split("\n\n"))
    return f"<html><body><article><h1>Long Report zqlongtitle</h1>\n{body}</article></body></html>\n"


@pytest.mark.parametrize("ext", [".txt", ".md", ".jsonl", ".html"])
def test_an_article_past_the_text_limit_keeps_its_start_and_says_so(tmp_path: Path, cli: Cli, ext: str) -> None:
    paragraph = FILLER * 100
    count = limits.MAX_ARTICLE_CHARS // len(paragraph) + 1
    filler = [f"Part {n}{paragraph}." for n in range(count)]  # each different: a .txt header repeats its line
    text = "\n\n".join(["The zqlongstart paragraph.", *filler, "The zqlongend paragraph."])
    corpus_with(tmp_path, {f"long{ext}": _long_article(ext, text)})
    summary = index(cli)
    (problem,) = [p for p in problems_of(summary, f"long{ext}") if f"{limits.MAX_ARTICLE_CHARS:,}" in p["reason"]]
    assert problem["level"] == "warning"
    article = shown(cli, "zqlongstart")
    assert sum(map(len, paragraphs(article))) <= limits.MAX_ARTICLE_CHARS
    assert hits(cli, "zqlongend") == []
    assert [Path(h["path"]).name for h in hits(cli, "zqgoodword")] == ["good.txt"]


def test_an_article_past_the_limit_on_different_words_keeps_its_start_and_says_so(tmp_path: Path, cli: Cli) -> None:
    """Numbers, codes, a word list: text of many different words, each of which costs the index."""
    words = [f"zqw{n}" for n in range(limits.MAX_ARTICLE_WORDS + 10)]
    body = "\n\n".join(" ".join(words[n : n + 100]) for n in range(0, len(words), 100))
    corpus_with(tmp_path, {"codes.jsonl": json.dumps({"title": "Codes", "body": body}) + "\n"})
    summary = index(cli)
    (problem,) = problems_of(summary, "codes.jsonl")
    assert problem["level"] == "warning" and f"{limits.MAX_ARTICLE_WORDS:,} different words" in problem["reason"]
    last_kept = limits.MAX_ARTICLE_WORDS - 2  # the title's word is one of them
    assert [Path(h["path"]).name for h in hits(cli, f"zqw{last_kept}")] == ["codes.jsonl"]
    assert hits(cli, f"zqw{last_kept + 1}") == [] and hits(cli, words[-1]) == []


def test_a_title_past_its_limit_is_cut_and_kept_whole_as_text(tmp_path: Path, cli: Cli) -> None:
    line = "Opening " + "word " * (limits.MAX_TITLE_CHARS // 5) + "zqtitletail"
    corpus_with(tmp_path, {"one-line.txt": line + "\n"})
    summary = index(cli)
    (problem,) = problems_of(summary, "one-line.txt")
    assert problem["level"] == "warning" and "title" in problem["reason"]
    article = shown(cli, "zqtitletail")
    assert article["title"].startswith("Opening word") and len(article["title"]) <= limits.MAX_TITLE_CHARS
    assert paragraphs(article)[0] == line


def test_a_heading_past_its_limit_is_cut_kept_whole_and_reported(tmp_path: Path, cli: Cli) -> None:
    heading = "long " * (limits.MAX_TITLE_CHARS // 4) + "zqheadtail"
    corpus_with(tmp_path, {"a.md": f"# Title\n\nLead text.\n\n## {heading}\n\nSection text.\n"})
    summary = index(cli)
    (problem,) = problems_of(summary, "a.md")
    assert problem["level"] == "warning" and "heading" in problem["reason"]
    article = shown(cli, "zqheadtail")
    assert len(article["sections"][1]["heading"]) <= limits.MAX_TITLE_CHARS


def _many_sections(ext: str, count: int) -> str:
    if ext == ".md":
        return "# Many Sections\n\n" + "".join(f"## Part {n}\n\nText zqpart{n} here.\n\n" for n in range(count))
    if ext == ".txt":  # short lines without a full stop are subheadings
        return "Many Sections\n\n" + "".join(f"Part {n}\n\nText zqpart{n} here.\n\n" for n in range(count))
    sections = [{"heading": f"Part {n}", "text": f"Text zqpart{n} here."} for n in range(count)]
    return json.dumps({"title": "Many Sections", "sections": sections}) + "\n"


@pytest.mark.parametrize("ext", [".md", ".txt", ".jsonl"])
def test_sections_past_the_limit_are_kept_as_text_of_the_last_section(tmp_path: Path, cli: Cli, ext: str) -> None:
    count = limits.MAX_SECTIONS + 3
    corpus_with(tmp_path, {f"many{ext}": _many_sections(ext, count)})
    summary = index(cli)
    (problem,) = problems_of(summary, f"many{ext}")
    assert problem["level"] == "warning" and f"{limits.MAX_SECTIONS:,}" in problem["reason"]
    assert summary["sections"] == limits.MAX_SECTIONS + 1  # and the good file's one
    article = shown(cli, f"zqpart{count - 1}")
    assert len(article["sections"]) == limits.MAX_SECTIONS
    last = article["sections"][-1]
    assert last["heading"] == f"Part {limits.MAX_SECTIONS - 1}"
    assert f"Part {count - 1}" in last["text"] and f"zqpart{count - 1}" in last["text"]


def test_captions_past_the_limit_are_left_out(tmp_path: Path, cli: Cli) -> None:
    images = "".join(f"![Picture zqpic{n}](p{n}.jpg)\n\n" for n in range(limits.MAX_CAPTIONS + 2))
    corpus_with(tmp_path, {"gallery.md": f"# Gallery\n\nThe zqgallery pictures.\n\n{images}"})
    summary = index(cli)
    (problem,) = problems_of(summary, "gallery.md")
    assert problem["level"] == "warning" and f"{limits.MAX_CAPTIONS:,}" in problem["reason"]
    assert len(shown(cli, "zqgallery")["captions"]) == limits.MAX_CAPTIONS
    assert hits(cli, f"zqpic{limits.MAX_CAPTIONS - 1}") != []
    assert hits(cli, f"zqpic{limits.MAX_CAPTIONS}") == []


def test_paragraphs_past_the_limit_are_joined_into_the_last_one(tmp_path: Path, cli: Cli) -> None:
    count = limits.MAX_PARAGRAPHS + 2
    body = "".join(f"<p>Line zqline{n}.</p>\n" for n in range(count))
    corpus_with(tmp_path, {"lines.html": f"<html><body><article><h1>Lines</h1>\n{body}</article></body></html>"})
    summary = index(cli)
    (problem,) = problems_of(summary, "lines.html")
    assert problem["level"] == "warning" and f"{limits.MAX_PARAGRAPHS:,}" in problem["reason"]
    kept = paragraphs(shown(cli, f"zqline{count - 1}"))
    assert len(kept) == limits.MAX_PARAGRAPHS
    assert kept[-1].startswith(f"Line zqline{limits.MAX_PARAGRAPHS - 1}.") and kept[-1].endswith(f"zqline{count - 1}.")


# --------------------------------------------------------------------------- HTML


# Past libxml2's own limit on one value (10,000,000 bytes, counted with some of what is around it),
# which it applies unless a page may be "huge".
HUGE_VALUE = 10 << 20


@pytest.mark.parametrize(
    "beside",
    [
        f'<div data-state="{"x" * HUGE_VALUE}"></div>',
        f'<figure><img src="data:image/png;base64,{"A" * HUGE_VALUE}"></figure>',
    ],
    ids=["data-attribute", "inline-image"],
)
def test_article_text_beside_a_huge_attribute_is_kept(tmp_path: Path, cli: Cli, beside: str) -> None:
    page = (
        "<html><body><article><h1>Ferry Back zqferrytitle</h1>"
        f"{beside}<p>The zqferrybody ferry sailed again on Friday.</p></article></body></html>"
    )
    corpus_with(tmp_path, {"ferry.html": page})
    summary = index(cli)
    assert (summary["articles"], summary["failed"], summary["problems"]) == (2, 0, [])
    assert [Path(h["path"]).name for h in hits(cli, "zqferrybody")] == ["ferry.html"]


def nested_page(depth: int, word: str) -> str:
    """A page with a paragraph, one nested ``depth`` divs deep (on line 3) and one after them."""
    return (
        f"<html><body><article><h1>Deep Page</h1>\n<p>The {word}first paragraph.</p>\n"
        + "<div>" * depth
        + f"<p>The {word}inner paragraph.</p>"
        + "</div>" * depth
        + f"\n<p>The {word}after paragraph.</p></article></body></html>"
    )


def test_text_nested_deeper_than_the_walk_is_kept_and_so_is_what_follows(tmp_path: Path, cli: Cli) -> None:
    # deeper than the walk, and than the 256 levels libxml2 reads of a page not allowed to be "huge"
    corpus_with(tmp_path, {"deep.html": nested_page(limits.MAX_HTML_DEPTH + 100, "zqdeep")})
    summary = index(cli)
    assert (summary["failed"], summary["problems"]) == (0, [])
    for word in ("zqdeepfirst", "zqdeepinner", "zqdeepafter"):
        assert [Path(h["path"]).name for h in hits(cli, word)] == ["deep.html"], word


def test_a_page_nested_past_what_libxml2_reads_is_reported_where_it_stops(tmp_path: Path, cli: Cli) -> None:
    corpus_with(tmp_path, {"deeper.html": nested_page(2_100, "zqdeeper")})  # libxml2 reads 2,048 levels
    summary = index(cli)
    (problem,) = problems_of(summary, "deeper.html")
    assert (problem["line"], problem["level"]) == (3, "warning") and "the rest is left out" in problem["reason"]
    assert [Path(h["path"]).name for h in hits(cli, "zqdeeperfirst")] == ["deeper.html"]


def test_a_page_past_the_tag_limit_keeps_its_start_and_says_where_it_stops(tmp_path: Path, cli: Cli) -> None:
    empty = "<span></span>\n" * limits.MAX_PAGE_TAGS
    page = f"<html><body><article><h1>Busy Page</h1>\n<p>The zqbusyfirst text.</p>\n{empty}<p>The zqbusylast text.</p>"
    corpus_with(tmp_path, {"busy.html": page + "</article></body></html>\n"})
    summary = index(cli)
    (problem,) = problems_of(summary, "busy.html")
    assert problem["level"] == "warning" and f"{limits.MAX_PAGE_TAGS:,} tags" in problem["reason"]
    # five tags on the first two lines, then a <span> a line from line 3
    assert problem["line"] == 3 + limits.MAX_PAGE_TAGS - 5
    assert [Path(h["path"]).name for h in hits(cli, "zqbusyfirst")] == ["busy.html"]
    assert hits(cli, "zqbusylast") == []


def test_markdown_past_its_limit_is_read_as_plain_text(tmp_path: Path, cli: Cli) -> None:
    """Markdown up to its limit is parsed (a heading starts a section); past it, lines are text."""
    costly = "\n".join("[a " * 30 for _ in range(limits.MAX_MARKDOWN_CHARS // 90 + 1))
    late = "## Late Part\n\nThe zqlateword text.\n"
    note = f"# Costly Note\n\n## Early Part\n\nThe zqearlyword text.\n\n{costly}\n\n{late}"
    corpus_with(tmp_path, {"costly.md": note})
    summary = index(cli)
    (problem,) = problems_of(summary, "costly.md")
    lines = note.split("\n")
    assert problem["level"] == "warning" and f"{limits.MAX_MARKDOWN_CHARS:,}" in problem["reason"]
    markdown = lines[: problem["line"] - 1]  # up to the line where plain text starts
    assert markdown[-1] == "" and len("\n".join(markdown)) <= limits.MAX_MARKDOWN_CHARS
    article = shown(cli, "zqlateword")
    assert [s["heading"] for s in article["sections"]] == ["Early Part"]
    assert "## Late Part" in paragraphs(article) and "The zqlateword text." in paragraphs(article)


# --------------------------------------------------------------------------- README


def test_the_readme_states_every_limit() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Input formats", 1)[1].split("\n## ", 1)[0]
    stated = " ".join(section.split("**Limits**", 1)[1].split("\n\n", 1)[0].split())
    expected = [
        f"{limits.MAX_FILE_BYTES >> 20} MB",
        f"{limits.MAX_PAGE_BYTES >> 20} MB",
        f"first {limits.MAX_PAGE_TAGS:,} tags",
        f"{limits.MAX_RECORD_CHARS:,} characters",
        f"{limits.MAX_ARTICLE_CHARS:,} characters",
        f"{limits.MAX_ARTICLE_WORDS:,} different words",
        f"{limits.MAX_TITLE_CHARS:,} characters",
        f"{limits.MAX_SECTIONS:,} sections",
        f"{limits.MAX_CAPTIONS:,} captions",
        f"{limits.MAX_PARAGRAPHS:,} paragraphs",
        f"{limits.MAX_HTML_DEPTH:,} elements deep",
        f"{limits.MAX_MARKDOWN_CHARS:,} characters",
    ]
    missing = [text for text in expected if not re.search(re.escape(text), stated)]
    assert not missing, f"the README's Limits paragraph does not state {missing}"
