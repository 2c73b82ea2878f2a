""".jsonl corpora at full size, through the real CLI: Reuters-21578 (21,578 dated 1987 newswire
stories, with one empty record and one unreadable date) and BBC News (2,225 undated articles).

Each corpus is decompressed into pytest's temporary folder (never into the repository: the
licences forbid redistribution) and indexed once per module. The expectations are computed from
the data files themselves; see ../shared/data/*/PROVENANCE.md for what they hold.
"""

from __future__ import annotations

import gzip
import json
import random
import re
import shutil
from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner, Result

from conftest import SHARED_DATA
from newssearch.cli import app

REUTERS = SHARED_DATA / "reuters21578" / "reuters21578.jsonl.gz"
BBC = SHARED_DATA / "bbc" / "bbc.jsonl.gz"

pytestmark = pytest.mark.data
needs_reuters = pytest.mark.skipif(
    not REUTERS.is_file(), reason=f"the Reuters-21578 collection is not in {REUTERS.parent} (needs {REUTERS.name})"
)
needs_bbc = pytest.mark.skipif(
    not BBC.is_file(), reason=f"the BBC News collection is not in {BBC.parent} (needs {BBC.name})"
)

# Settings from the environment must not redirect the CLI: every call names its folders.
CLEAN_ENV: dict[str, str | None] = dict.fromkeys(("NEWSSEARCH_CORPUS", "NEWSSEARCH_INDEX", "NO_COLOR", "FORCE_COLOR"))


@dataclass(frozen=True)
class Record:
    line: int
    data: dict[str, Any]

    @property
    def text(self) -> str:
        return f"{self.data.get('title') or ''}\n{self.data.get('body') or ''}"

    @property
    def is_empty(self) -> bool:
        return not (self.data.get("title") or "").strip() and not (self.data.get("body") or "").strip()


@dataclass(frozen=True)
class Indexed:
    corpus_file: Path
    index: Path
    records: list[Record]
    summary: dict[str, Any]


def run(*args: str) -> Result:
    return CliRunner().invoke(app, list(args), env=CLEAN_ENV, catch_exceptions=False)


def json_of(result: Result) -> dict[str, Any]:
    assert result.stdout.count("\n") == 1, f"--json must print exactly one line; got {result.stdout[:500]!r}"
    return json.loads(result.stdout)


def query(index: Path, *args: str) -> tuple[int, dict[str, Any]]:
    result = run("query", *args, "--json", "--index", str(index))
    assert result.exit_code in (0, 1), f"query {args} exited {result.exit_code}: {result.stderr}"
    return result.exit_code, json_of(result)


def index_corpus(gz: Path, base: Path, name: str) -> Indexed:
    corpus = base / "corpus"
    corpus.mkdir()
    corpus_file = corpus / name
    with gzip.open(gz, "rb") as src, corpus_file.open("wb") as dst:
        shutil.copyfileobj(src, dst)
    records = [
        Record(lineno, json.loads(raw))
        for lineno, raw in enumerate(corpus_file.read_text(encoding="utf-8").split("\n"), start=1)
        if raw.strip()
    ]
    result = run("index", "--corpus", str(corpus), "--index", str(base / "index"), "--json")
    assert result.exit_code == 0, f"index exited {result.exit_code}: {result.stderr}"
    return Indexed(corpus_file, base / "index", records, json_of(result))


# --- Reuters-21578 -----------------------------------------------------------------------------

MARCH = ("--since", "1987-03-01", "--until", "1987-03-31", "--sort", "date")


@pytest.fixture(scope="module")
def reuters(tmp_path_factory: pytest.TempPathFactory) -> Indexed:
    return index_corpus(REUTERS, tmp_path_factory.mktemp("reuters"), "reuters.jsonl")


def _is_iso(value: Any) -> bool:
    try:
        datetime.fromisoformat(value)
    except (TypeError, ValueError):
        return False
    return True


@needs_reuters
def test_reuters_index_counts_articles_and_lists_exactly_the_two_known_problems(reuters: Indexed) -> None:
    summary = reuters.summary
    readable = [r for r in reuters.records if not r.is_empty]
    assert len(reuters.records) == 21_578
    assert summary["articles"] == len(readable) == 21_577
    assert summary["failed"] == 0
    assert summary["files"] == 1

    empty = [r for r in reuters.records if r.is_empty]
    bad_dates = [r for r in reuters.records if "date" in r.data and not _is_iso(r.data["date"])]
    assert [r.data["id"] for r in empty] == ["12793"], "PROVENANCE.md: NEWID 12793 is the one empty record"
    assert [r.data["id"] for r in bad_dates] == ["17192"], "PROVENANCE.md: NEWID 17192 has the one bad date"

    problems = sorted(summary["problems"], key=lambda p: p["line"] or 0)
    assert [(p["path"], p["line"], p["level"]) for p in problems] == [
        ("reuters.jsonl", empty[0].line, "warning"),
        ("reuters.jsonl", bad_dates[0].line, "warning"),
    ], problems
    assert "empty" in problems[0]["reason"]
    assert bad_dates[0].data["date"] in problems[1]["reason"], "the reason must quote the unreadable date"


@needs_reuters
def test_reuters_oil_in_march_1987_sorted_by_date(reuters: Indexed) -> None:
    code, got = query(reuters.index, "oil", *MARCH, "--limit", "50", "--all-copies")
    assert code == 0

    # The index stems ("oils", "oiled" match too): the total lies between the March records that
    # have the exact word and those with any word starting with "oil".
    march = [r for r in reuters.records if str(r.data.get("date", "")).startswith("1987-03")]
    exact = [r for r in march if re.search(r"\boil\b", r.text, re.IGNORECASE)]
    prefixed = [r for r in march if re.search(r"\boil\w*", r.text, re.IGNORECASE)]
    assert len(exact) <= got["total"] <= len(prefixed), (len(exact), got["total"], len(prefixed))
    assert got["facets"]["month"] == {"1987-03": got["total"]}
    assert got["facets"]["source"] == {"Reuters": got["total"]}
    assert got["relaxed"] is False
    assert got["filter_note"] is None

    results = got["results"]
    assert len(results) == min(50, got["total"])
    assert [r["rank"] for r in results] == list(range(1, len(results) + 1))
    assert {r["source"] for r in results} == {"Reuters"}
    assert all(str(r["date"]).startswith("1987-03") for r in results), [r["date"] for r in results]
    dates = [datetime.fromisoformat(r["date"]) for r in results]
    assert dates == sorted(dates, reverse=True), "--sort date must put the newest first"

    # Newest first over every match, not only within the page.
    def newest(records: list[Record]) -> datetime:
        return max(datetime.fromisoformat(r.data["date"]) for r in records)

    assert newest(prefixed) >= dates[0] >= newest(exact)


@needs_reuters
def test_reuters_offset_pages_continue_the_date_order(reuters: Indexed) -> None:
    _, first = query(reuters.index, "oil", *MARCH, "--limit", "50")
    _, second = query(reuters.index, "oil", *MARCH, "--limit", "50", "--offset", "50")
    _, whole = query(reuters.index, "oil", *MARCH, "--limit", "100")
    assert first["total"] == second["total"] == whole["total"] >= 100
    assert [r["rank"] for r in second["results"]] == list(range(51, 101))
    paged = [(r["id"], r["date"]) for r in first["results"] + second["results"]]
    assert paged == [(r["id"], r["date"]) for r in whole["results"]]


@needs_reuters
def test_reuters_a_word_in_most_stories_counts_to_ten_thousand_then_says_so(reuters: Indexed) -> None:
    """README, "Large result sets": past 10,000 matches the total is a lower bound and there
    are no facets; --exact-total counts every match; the page is the same either way."""
    code, capped = query(reuters.index, "said", "--limit", "20")
    assert code == 0
    # The stories among the first 10,000 matches, a lower bound (README, "Large result sets").
    assert (capped["total_exact"], capped["facets"]) == (False, {}) and 9_000 < capped["total"] <= 10_000
    _, every = query(reuters.index, "said", "--limit", "20", "--all-copies")
    assert (every["total"], every["total_exact"]) == (10_000, False)
    code, exact = query(reuters.index, "said", "--limit", "20", "--exact-total")
    assert code == 0 and exact["total_exact"] is True
    assert exact["total"] > 10_000
    # The facets count every matching article, the total the stories (README, "Wire copies folded").
    assert sum(exact["facets"]["month"].values()) <= exact["total"] + exact["folded"]
    assert exact["folded"] > 0
    assert "Reuters" in exact["facets"]["source"]
    assert [(r["id"], r["score"]) for r in capped["results"]] == [(r["id"], r["score"]) for r in exact["results"]]
    terminal = run("query", "said", "--index", str(reuters.index))
    assert f"1–10 of {capped['total']:,}+ articles." in terminal.stderr
    assert "--exact-total counts them all, by source and by month." in terminal.stderr
    counted = run("query", "said", "--index", str(reuters.index), "--exact-total")
    assert f"1–10 of {exact['total']:,} articles." in counted.stderr
    assert "By source: Reuters" in counted.stderr


@needs_reuters
def test_reuters_show_gives_the_records_newid_date_source_and_line(reuters: Indexed) -> None:
    _, got = query(reuters.index, "oil", *MARCH, "--limit", "1")
    hit = got["results"][0]
    result = run("show", hit["id"], "--json", "--index", str(reuters.index))
    assert result.exit_code == 0, result.stderr
    shown = json_of(result)

    by_newid = {r.data["id"]: r for r in reuters.records}
    assert shown["doc_id"] == hit["doc_id"]
    assert shown["doc_id"] in by_newid, f"show's doc_id {shown['doc_id']!r} is no NEWID in the file"
    record = by_newid[shown["doc_id"]]
    assert shown["line"] == record.line == hit["line"]
    assert shown["title"] == record.data["title"]
    assert shown["date"] is not None
    assert datetime.fromisoformat(shown["date"]) == datetime.fromisoformat(record.data["date"])
    assert shown["source"] == record.data["source"] == "Reuters"
    assert Path(shown["path"]).name == "reuters.jsonl"


# --- BBC News ----------------------------------------------------------------------------------

WORD = re.compile(r"\w+")
HEADLINES = 25


@pytest.fixture(scope="module")
def bbc(tmp_path_factory: pytest.TempPathFactory) -> Indexed:
    return index_corpus(BBC, tmp_path_factory.mktemp("bbc"), "bbc.jsonl")


def words(text: str) -> set[str]:
    """Lower-case words of 3 letters or more, numbers left out."""
    return {w for w in WORD.findall(text.lower()) if len(w) >= 3 and not w.isdigit()}


@needs_bbc
def test_bbc_index_counts_every_article(bbc: Indexed) -> None:
    assert bbc.summary["articles"] == sum(not r.is_empty for r in bbc.records) == 2_225
    assert bbc.summary["failed"] == 0
    assert bbc.summary["problems"] == []


@needs_bbc
def test_bbc_headline_found_first_by_its_rarest_words(bbc: Indexed) -> None:
    """The headline's three rarest words — more when another headline has those three too
    ("Cairn shares up on new oil find" / "Cairn shares slump on oil setback"): a query that
    cannot tell two headlines apart has no right answer."""
    doc_freq: Counter[str] = Counter()
    for record in bbc.records:
        doc_freq.update(words(record.text))
    # Distinct headlines in file order; duplicate articles share one (any of them may come first).
    headlines = list(dict.fromkeys(r.data["title"] for r in bbc.records))
    headline_words = {h: words(h) for h in headlines}
    failures = []
    for headline in random.Random(7).sample(headlines, HEADLINES):
        ranked = sorted(headline_words[headline], key=lambda w: (doc_freq[w], w))
        take = 3
        while take < len(ranked) and any(
            set(ranked[:take]) <= other for h, other in headline_words.items() if h != headline
        ):
            take += 1
        text = " ".join(ranked[:take])
        code, got = query(bbc.index, text)
        first = got["results"][0]["title"] if got["results"] else None
        if code != 0 or first != headline:
            failures.append(f"query {text!r} for {headline!r}: exit {code}, first {first!r} of {got['total']}")
    assert not failures, f"{len(failures)} of {HEADLINES} headlines not first:\n" + "\n".join(failures)


@needs_bbc
def test_bbc_source_filter_keeps_its_own_source_and_names_it_for_another(bbc: Indexed) -> None:
    code, plain = query(bbc.index, "economy")
    assert code == 0 and plain["total"] > 0
    code, kept = query(bbc.index, "economy", "--source", "BBC News")
    assert code == 0
    assert kept["total"] == plain["total"]
    assert [r["id"] for r in kept["results"]] == [r["id"] for r in plain["results"]]
    assert {r["source"] for r in kept["results"]} == {"BBC News"}
    assert kept["filter_note"] is None

    code, other = query(bbc.index, "economy", "--source", "reuters")
    assert code == 1
    assert other["total"] == 0 and other["results"] == []
    assert other["filter_note"] and "BBC News" in other["filter_note"], other["filter_note"]


@needs_bbc
def test_bbc_similar_leaves_out_each_listed_duplicate_and_finds_its_subject(bbc: Indexed) -> None:
    """README, "newssearch similar": for the first 20 of the exact duplicates BBC's data lists
    (``duplicates.tsv``), the duplicate is left out as a copy, never listed as a story; and the
    story most like the article is of its own category for at least 16 of them."""
    from newssearch.formats import article_id

    pairs = [line.split("\t") for line in (BBC.parent / "duplicates.tsv").read_text().splitlines()[1:21]]
    same_subject = 0
    for kept, duplicates in pairs:
        result = run("similar", article_id("bbc.jsonl", f"id:{kept}", 1), "--json", "--index", str(bbc.index))
        assert result.exit_code == 0, result.stderr
        found = json_of(result)
        copies = {article_id("bbc.jsonl", f"id:{d}", 1) for d in duplicates.split(",")}
        assert copies <= set(found["copies"]), (kept, duplicates, found["copies"])
        assert not copies & {hit["id"] for hit in found["results"]}
        same_subject += found["results"][0]["doc_id"].split("/")[0] == kept.split("/")[0]
    assert same_subject >= 16, f"{same_subject} of 20"


@needs_reuters
def test_reuters_beijing_finds_peking_and_says_so(reuters: Indexed) -> None:
    """README, "Names in every spelling": Reuters of 1987 wrote Peking (56 articles) where later
    news writes Beijing; the stories that say only Peking are found, and the output says so."""
    code, got = query(reuters.index, "Beijing", "--all-copies", "--limit", "200")
    assert code == 0 and got["variants"] == {"Beijing": ["Peking"]}
    only_peking = [
        r.data["id"]
        for r in reuters.records
        if re.search(r"\bPeking\b", r.text) and not re.search(r"\bBeijing\b", r.text)
    ]
    assert len(only_peking) > 20 and set(only_peking) <= {hit["doc_id"] for hit in got["results"]}
    _, as_spelled = query(reuters.index, "Beijing", "--as-spelled", "--all-copies", "--limit", "200")
    assert not set(only_peking) & {hit["doc_id"] for hit in as_spelled["results"]}
    terminal = run("query", "Beijing", "--index", str(reuters.index))
    assert 'Also searched Peking for Beijing ("Beijing" in quotes: only as written).' in terminal.stderr
