"""The search core (``newssearch.querytext`` / ``newssearch.searcher``) on real on-disk Whoosh indexes.

Expected line numbers are never typed in: they are looked up in the corpus file itself.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import pytest

from conftest import subject_archive
from newssearch.errors import ArticleNotFoundError, IndexMissingError, NewsSearchError, QuerySyntaxError, UsageError
from newssearch.indexer import update_index
from newssearch.models import Hit, PassageHit, SearchRequest, SearchResult
from newssearch.querytext import date_bound, parse_query
from newssearch.searcher import search, show, stats
from newssearch.snippets import ELLIPSIS

SEED_NAME = "000_f49d05269f99023b.txt"
KINDS = {"title", "section", "caption", "body"}


# --------------------------------------------------------------------------- helpers


def run(index_dir: Path, text: str, **options: object) -> SearchResult:
    options.setdefault("limit", 100)
    return search(index_dir, SearchRequest(text=text, **options))  # type: ignore[arg-type]


def seed_lines(seed_corpus: Path) -> list[str]:
    return (seed_corpus / SEED_NAME).read_text(encoding="utf-8").split("\n")


def first_line_of(lines: list[str], text: str) -> int:
    """1-based number of the first line that is exactly ``text`` (stripped)."""
    for n, line in enumerate(lines, start=1):
        if line.strip() == text:
            return n
    raise AssertionError(f"{text!r} is not a line of the corpus file")


def start_lines(result: SearchResult) -> list[int]:
    return [hit.line for hit in result.results]


def file_of(path: str) -> Path:
    """The file a result's ``path`` names (relative paths are relative to the working directory)."""
    p = Path(path)
    return p if p.is_absolute() else Path.cwd() / p


def file_line(path: str, line: int) -> str:
    return file_of(path).read_text(encoding="utf-8").split("\n")[line - 1]


def unellipsed(text: str) -> str:
    return text.removeprefix(ELLIPSIS).removesuffix(ELLIPSIS)


# Every test here only reads the seed's index and the awkward corpus's: each is built once for the
# module (conftest.py). A test that writes makes an index of its own.


@pytest.fixture(scope="module")
def seed_index(seed_index_once: Path) -> Path:
    return seed_index_once


@pytest.fixture(scope="module")
def seed_corpus(seed_index_once: Path) -> Path:
    return seed_index_once.parent / "corpus"


@pytest.fixture
def articles(seed_corpus: Path) -> dict[str, int]:
    """The seed's four articles by a short name → the line their headline starts on."""
    lines = seed_lines(seed_corpus)
    return {
        "iran": first_line_of(lines, "Russia and Iran Have a Troubled History Despite their Current Alliance"),
        "gazans": first_line_of(lines, "Gazans Long for Reopening of \u2018Lifeline\u2019 Rafah Crossing"),
        "lifeline": first_line_of(lines, "The Rafah Crossing Is Gaza\u2019s Lifeline to the World and Could Open Soon"),
        "hostage": first_line_of(lines, "Behind Israel\u2019s Recovery of Last Hostage Body in Gaza"),
    }


@pytest.fixture(scope="module")
def awkward_index(awkward_index_once: Path) -> Path:
    return awkward_index_once


def files_of(result: SearchResult) -> list[str]:
    return [Path(hit.path).name for hit in result.results]


# --------------------------------------------------------------------------- query semantics


def test_all_words_are_required_by_default(seed_index: Path, articles: dict[str, int]) -> None:
    rafah = run(seed_index, "rafah")
    both = run(seed_index, "rafah egypt")
    assert set(start_lines(rafah)) == {articles["gazans"], articles["lifeline"], articles["hostage"]}
    assert set(start_lines(both)) == {articles["gazans"], articles["lifeline"]}
    assert both.relaxed is False
    # The article left out really lacks the second word.
    hostage_id = next(hit.id for hit in rafah.results if hit.line == articles["hostage"])
    article, _, _ = show(seed_index, hostage_id)
    everything = " ".join([article.title, *(c.text for c in article.captions), article.body]).lower()
    assert "egypt" not in everything


def test_nothing_with_all_words_is_relaxed_to_any_word(seed_index: Path, articles: dict[str, int]) -> None:
    result = run(seed_index, "rafah putin")
    assert result.relaxed is True
    assert result.total == 4
    union = set(start_lines(run(seed_index, "rafah"))) | set(start_lines(run(seed_index, "putin")))
    assert set(start_lines(result)) == union == set(articles.values())


def test_relaxing_is_not_needed_when_all_words_match(seed_index: Path) -> None:
    result = run(seed_index, "rafah crossing")
    assert result.total == 3
    assert result.relaxed is False


def test_any_matches_any_word_without_calling_it_relaxed(seed_index: Path, articles: dict[str, int]) -> None:
    result = run(seed_index, "rafah putin", any_words=True)
    assert result.relaxed is False
    assert set(start_lines(result)) == set(articles.values())


def test_any_ranks_the_articles_about_the_words_first(seed_index: Path, articles: dict[str, int]) -> None:
    # The two crossing articles are about "rafah" and "crossing"; the Iran article has the rarer
    # "putin" (so BM25 weighs it more) and the hostage article mentions Rafah in passing.
    result = run(seed_index, "rafah crossing putin", any_words=True)
    assert result.total == 4
    assert set(start_lines(result)[:2]) == {articles["gazans"], articles["lifeline"]}


@pytest.mark.parametrize(
    "phrase", ['"limited reopening"', "\u201climited reopening\u201d", "\u201elimited reopening\u201c"]
)
def test_exact_phrase_straight_or_curly_quotes(seed_index: Path, articles: dict[str, int], phrase: str) -> None:
    result = run(seed_index, phrase)
    assert start_lines(result) == [articles["gazans"]]


def test_phrase_words_must_be_adjacent_and_in_order(seed_index: Path) -> None:
    assert run(seed_index, '"reopening limited"').total == 0
    # "vital Rafah border crossing": both words are there, but not next to each other.
    assert run(seed_index, '"vital crossing"').total == 0


def test_proximity_finds_words_near_each_other(seed_index: Path, articles: dict[str, int]) -> None:
    result = run(seed_index, '"vital crossing"~3')
    assert articles["gazans"] in start_lines(result)  # "vital Rafah border crossing", line 52


def test_proximity_is_in_any_order(seed_index: Path, articles: dict[str, int]) -> None:
    """README, "Query syntax": ``"words near"~5`` matches the words near each other *in any order*."""
    forward = set(start_lines(run(seed_index, '"vital crossing"~3')))
    backward = set(start_lines(run(seed_index, '"crossing vital"~3')))
    assert articles["gazans"] in forward
    assert backward == forward


@pytest.mark.parametrize("text", ["al-Batsh cemetery", "war-shattered", "US-brokered ceasefire", "Russia-Iran"])
def test_a_hyphen_inside_a_word_is_not_a_minus(
    seed_index: Path, seed_corpus: Path, articles: dict[str, int], text: str
) -> None:
    """``-word`` leaves out articles with the word; in ``al-Batsh`` the hyphen joins a name, and
    the query must find the articles that say it, never the ones that do not."""
    starts = sorted(articles.values())
    expected = {
        max(start for start in starts if start <= n)
        for n, line in enumerate(seed_lines(seed_corpus), 1)
        if text.lower() in line.lower()
    }
    assert expected
    assert set(start_lines(run(seed_index, text))) == expected


@pytest.mark.parametrize("text", ["rafah -egypt", "rafah NOT egypt"])
def test_not_leaves_out_articles_with_the_word(seed_index: Path, articles: dict[str, int], text: str) -> None:
    result = run(seed_index, text)
    assert start_lines(result) == [articles["hostage"]]


@pytest.mark.parametrize(
    ("text", "kept"),
    [
        ("rafah ANDNOT (tunnel OR reunite)", ["lifeline"]),
        ("rafah ANDNOT (egypt OR israel)", []),  # every article about Rafah names one of them
        ("rafah ANDNOT (israel OR egypt)", []),
    ],
)
def test_andnot_leaves_out_every_article_with_any_of_the_words(
    seed_index: Path, articles: dict[str, int], text: str, kept: list[str]
) -> None:
    """Whoosh's own ANDNOT kept the first article when a left-out word's first article came before it."""
    assert start_lines(run(seed_index, text)) == [articles[name] for name in kept]


@pytest.mark.parametrize("text", ["zebraxx NOT egypt", "zebraxx -egypt"])
@pytest.mark.parametrize("any_words", [False, True])
def test_an_exclusion_stays_an_exclusion_when_any_word_may_match(seed_index: Path, text: str, any_words: bool) -> None:
    # Relaxed (or --any), "NOT egypt" must not turn into "every article without egypt".
    result = run(seed_index, text, any_words=any_words)
    assert (result.total, result.results) == (0, [])


def test_any_word_with_an_exclusion_leaves_the_excluded_out(seed_index: Path, articles: dict[str, int]) -> None:
    result = run(seed_index, "tunnel hostage -egypt", any_words=True)
    assert start_lines(result) == [articles["hostage"]]


@pytest.mark.parametrize("text", ["NOT egypt", "-egypt", "NOT egypt NOT iran"])
def test_a_query_that_only_excludes_is_refused(seed_index: Path, text: str) -> None:
    with pytest.raises(QuerySyntaxError, match="only leaves articles out"):
        run(seed_index, text)


def test_a_field_wildcard_finds_every_article_with_that_field(seed_index: Path, articles: dict[str, int]) -> None:
    assert sorted(start_lines(run(seed_index, "title:*"))) == sorted(articles.values())
    assert start_lines(run(seed_index, "caption:* AND section:how*")) != []


def test_and_or_and_parentheses(seed_index: Path, articles: dict[str, int]) -> None:
    assert set(start_lines(run(seed_index, "putin OR cemetery"))) == {articles["iran"], articles["hostage"]}
    assert start_lines(run(seed_index, "crossing AND (putin OR cemetery)")) == [articles["hostage"]]
    assert run(seed_index, "putin AND cemetery").total == 0


@pytest.mark.parametrize(
    ("text", "field", "expected"),
    [
        ("title:rafah", None, {"gazans", "lifeline"}),
        ("rafah", "title", {"gazans", "lifeline"}),
        ("section:comes", None, {"lifeline"}),  # "What comes next" is a subheading
        ("comes", "section", {"lifeline"}),
        ("section:reopening", None, {"gazans"}),  # "- 'Limited reopening' -"
        ("lifeline", "section", {"lifeline"}),  # in two titles, but one subheading only
        ("caption:tunnel", None, {"hostage"}),
        ("tunnel", "caption", {"hostage"}),
        ("body:putin", None, {"iran"}),
        ("putin", "body", {"iran"}),
        ("putin", "title", set()),
        ("title:putin", None, set()),
    ],
)
def test_field_restrictions(
    seed_index: Path, articles: dict[str, int], text: str, field: str | None, expected: set[str]
) -> None:
    result = run(seed_index, text, field=field)
    assert set(start_lines(result)) == {articles[name] for name in expected}


def test_in_field_requires_every_word_in_that_field(seed_index: Path, articles: dict[str, int]) -> None:
    # Both titles with "Rafah" also say "Crossing"; only one title says "Lifeline".
    assert set(start_lines(run(seed_index, "rafah crossing", field="title"))) == {
        articles["gazans"],
        articles["lifeline"],
    }
    # "open" and "soon" are both in the Lifeline title, not both in any other.
    assert start_lines(run(seed_index, "open soon", field="title")) == [articles["lifeline"]]


def test_title_matches_are_highlighted_in_the_title(seed_index: Path) -> None:
    result = run(seed_index, "title:rafah")
    for hit in result.results:
        title_matches = [m for m in hit.matches if m.kind == "title"]
        assert title_matches, hit.title
        assert [m.text[s:e].lower() for m in title_matches for s, e in m.highlights] == ["rafah"]


def test_prefix_is_expanded_over_real_words(seed_index: Path, articles: dict[str, int]) -> None:
    result = run(seed_index, "crossin*")
    assert {articles["gazans"], articles["lifeline"]} <= set(start_lines(result))
    words = {m.text[s:e].lower() for hit in result.results for m in hit.matches for s, e in m.highlights}
    assert "crossing" in words


def test_prefix_that_matches_nothing_finds_nothing(seed_index: Path) -> None:
    assert run(seed_index, "qqzx*").total == 0


def test_fuzzy_with_two_edits(seed_index: Path, articles: dict[str, int]) -> None:
    assert {articles["gazans"], articles["lifeline"], articles["hostage"]} <= set(
        start_lines(run(seed_index, "rafha~2"))
    )


def test_fuzzy_finds_a_misspelt_word(seed_index: Path, articles: dict[str, int]) -> None:
    assert {articles["gazans"], articles["lifeline"]} <= set(start_lines(run(seed_index, "crosing~")))


def test_fuzzy_default_forgives_a_swapped_pair_of_letters(seed_index: Path, articles: dict[str, int]) -> None:
    """``rafha~`` is the fuzzy example of ``query --help``: the commonest typo (two letters
    swapped) must count as one edit, as in Elasticsearch's fuzzy queries."""
    result = run(seed_index, "rafha~")
    assert {articles["gazans"], articles["lifeline"], articles["hostage"]} <= set(start_lines(result))


@pytest.mark.parametrize("text", ["rafah~/2", "rafah~2/1", "ra~/5", "x~/10", "rafah~/9"])
def test_fuzzy_prefix_length_never_crashes(seed_index: Path, text: str) -> None:
    """``word~/N`` (Whoosh: the first N letters must match) gives results or a syntax error,
    even when N is longer than the word. Its results are the fuzzy word's: every article the
    word itself finds, and only words that begin with its first N letters highlighted."""
    match = re.fullmatch(r"(\w+)~\d*/(\d+)", text)
    assert match, text
    word, prefix = match[1], match[1][: int(match[2])]
    try:
        result = run(seed_index, text)
    except QuerySyntaxError as exc:
        assert exc.message
        return
    try:
        exact = {hit.id for hit in run(seed_index, word).results}
    except QuerySyntaxError:  # too short to be indexed: the fuzzy word may still find others
        exact = set()
    assert exact <= {hit.id for hit in result.results}, text
    assert result.total == len(result.results)
    highlighted = [m.text[s:e].lower() for hit in result.results for m in hit.matches for s, e in m.highlights]
    assert bool(highlighted) == bool(result.results)
    assert all(h.startswith(prefix) for h in highlighted), (text, highlighted)


@pytest.mark.parametrize(
    "variants",
    [
        ("T\u00fcrkiye", "turkiye", "TURKIYE", "T\u00dcRKIYE"),
        ("Hayya\u2019s", "Hayya's", "hayya\u2019s", "HAYYA'S"),
        ("crossing", "Crossing", "CROSSING", "crossings"),
    ],
)
def test_case_accents_quotes_and_stems_fold(seed_index: Path, variants: tuple[str, ...]) -> None:
    results = [start_lines(run(seed_index, v)) for v in variants]
    assert results[0], variants[0]
    assert all(r == results[0] for r in results), dict(zip(variants, results, strict=True))


def test_stemming_crossings_finds_crossing(seed_index: Path, articles: dict[str, int]) -> None:
    # Only one article says "crossings"; all three Gaza articles say "crossing".
    result = run(seed_index, "crossings")
    assert {articles["gazans"], articles["lifeline"], articles["hostage"]} <= set(start_lines(result))


# --------------------------------------------------------------------------- did you mean


def test_did_you_mean_suggests_real_words(seed_index: Path, seed_corpus: Path) -> None:
    result = run(seed_index, "rafha crosing")
    assert result.total == 0
    assert result.suggestion == "rafah crossing"
    corpus_words = set(re.findall(r"\w+", (seed_corpus / SEED_NAME).read_text(encoding="utf-8").lower()))
    assert set(result.suggestion.split()) <= corpus_words


def test_did_you_mean_keeps_the_users_capitals(seed_index: Path) -> None:
    assert run(seed_index, "Rafha crosing").suggestion == "Rafah crossing"


def test_did_you_mean_is_not_a_stem(seed_index: Path, seed_corpus: Path) -> None:
    suggestion = run(seed_index, "offical statment").suggestion
    assert suggestion is not None
    corpus_words = set(re.findall(r"\w+", (seed_corpus / SEED_NAME).read_text(encoding="utf-8").lower()))
    assert set(suggestion.split()) <= corpus_words, suggestion  # "official", never "offici"


def test_did_you_mean_prefers_the_spelling_more_articles_use_and_follows_updates(tmp_path: Path) -> None:
    """Two spellings one letter from "gadafi": the one more articles use is suggested, however
    often one article repeats the other, whichever files the articles are in; a touched file
    keeps its words; a removed file's words go with it. (As spelled: otherwise "gadafi" searches
    both, README "Names in every spelling", and there is nothing to suggest.)"""
    corpus, index = tmp_path / "corpus", tmp_path / "index"
    corpus.mkdir()

    def write(name: str, *bodies: str) -> None:
        lines = [json.dumps({"title": f"Report {n}", "body": body}) for n, body in enumerate(bodies)]
        (corpus / name).write_text("".join(line + "\n" for line in lines), encoding="utf-8")

    write("a.jsonl", "Gaddafi spoke in Tripoli.")
    write("b.jsonl", "Gaddafi left Sirte.")
    write("c.jsonl", "Gadhafi, Gadhafi, Gadhafi: the crowd chanted.", "Rain in Benghazi.")
    update_index(corpus, index)
    assert run(index, "gadafi", respell=False).suggestion == "gaddafi"  # 2 articles against 1
    respelled = run(index, "gadafi")
    assert (respelled.suggestion, respelled.variants) == (None, {"gadafi": ["Gaddafi", "Gadhafi"]})

    os.utime(corpus / "a.jsonl", ns=(1, 1))  # touched, not changed
    update_index(corpus, index)
    assert run(index, "gadafi", respell=False).suggestion == "gaddafi"

    (corpus / "b.jsonl").unlink()
    write("a.jsonl", "Tripoli was quiet.")
    update_index(corpus, index)
    assert run(index, "gadafi", respell=False).suggestion == "gadhafi"  # the only spelling left
    assert run(index, "gaddaf*").total == 0


@pytest.mark.parametrize("text", ["rafah crossing", "Rafah", "putin", "crossings"])
def test_no_suggestion_when_every_word_is_indexed(seed_index: Path, text: str) -> None:
    result = run(seed_index, text)
    assert result.results, text  # every word is indexed: the query finds its articles
    assert result.suggestion is None


# --------------------------------------------------------------------------- errors


@pytest.mark.parametrize(
    "text",
    [
        "title:(storm",
        "rafah AND",
        "AND",
        "OR gaza",
        "rafah NOT",
        '"unterminated',
        "foo:bar",
        "rafah)",
        "((rafah)",
        "",
        "   ",
        "date:[2025-01-01 TO 2025-12-31",
        "date:notadate",
    ],
)
def test_unusable_queries_raise_a_syntax_error(seed_index: Path, text: str) -> None:
    with pytest.raises(QuerySyntaxError) as caught:
        run(seed_index, text)
    message = caught.value.message
    assert message and "\n" not in message
    assert caught.value.exit_code == 2


@pytest.mark.parametrize("text", ["title:(storm", "rafah AND", "AND", '"unterminated', "foo:bar", ""])
def test_syntax_errors_are_caught_before_opening_the_index(tmp_path: Path, text: str) -> None:
    with pytest.raises(QuerySyntaxError):
        parse_query(text)
    with pytest.raises(QuerySyntaxError):
        run(tmp_path / "no-index-here", text)


def test_unknown_field_error_names_the_known_fields(seed_index: Path) -> None:
    with pytest.raises(QuerySyntaxError, match="foo") as caught:
        run(seed_index, "foo:bar")
    assert "title" in caught.value.message


def test_missing_index_says_how_to_build_one(tmp_path: Path) -> None:
    with pytest.raises(IndexMissingError) as caught:
        run(tmp_path / "index", "rafah")
    assert "newssearch index" in caught.value.message
    assert isinstance(caught.value, NewsSearchError) and caught.value.exit_code == 2


def test_a_word_that_is_nowhere_matches_nothing(seed_index: Path) -> None:
    result = run(seed_index, "xylophonist")
    assert result.total == 0 and result.results == [] and result.relaxed is False


# --------------------------------------------------------------------------- ranking and pages


QUERIES = ["rafah crossing", "gaza", "hamas", "israel", "crossing", "rafah putin", "tunnel OR cemetery"]


@pytest.mark.parametrize("text", QUERIES)
def test_order_is_the_same_in_every_process(seed_index: Path, text: str) -> None:
    """Two processes with different string-hash seeds (so sets and dicts of terms iterate in
    another order) give the same results, scores and snippets."""
    script = (
        "import json, sys; from dataclasses import asdict; from pathlib import Path;"
        "from newssearch.models import SearchRequest; from newssearch.searcher import search;"
        "print(json.dumps(asdict(search(Path(sys.argv[1]), SearchRequest(sys.argv[2])))))"
    )
    outputs = [
        subprocess.run(
            [sys.executable, "-c", script, str(seed_index), text],
            env={**os.environ, "PYTHONHASHSEED": seed},
            capture_output=True,
            text=True,
            check=True,
            timeout=120,
        ).stdout
        for seed in ("1", "2")
    ]
    assert outputs[0] == outputs[1]
    assert json.loads(outputs[0])["results"]


@pytest.mark.parametrize("text", QUERIES)
def test_results_are_ranked_best_first_with_ties_broken_by_id(seed_index: Path, text: str) -> None:
    result = run(seed_index, text)
    assert result.results and len(result.results) == result.total, text
    assert [hit.rank for hit in result.results] == list(range(1, len(result.results) + 1))
    keys = [(-hit.score, hit.id) for hit in result.results]
    assert keys == sorted(keys)


def test_order_survives_a_rebuild(seed_corpus: Path, tmp_path: Path) -> None:
    seed_index = tmp_path / "index"  # its own: the rebuild writes to it
    update_index(seed_corpus, seed_index)
    before = [hit.id for hit in run(seed_index, "gaza").results]
    update_index(seed_corpus, seed_index, rebuild=True)
    assert [hit.id for hit in run(seed_index, "gaza").results] == before


def test_a_duplicate_article_in_two_files_ties_and_is_ordered_by_id(awkward_index: Path) -> None:
    result = run(awkward_index, "mombasa")
    assert result.total == 2
    assert sorted(files_of(result)) == ["08_copy_one.txt", "09_copy_two.txt"]
    first, second = result.results
    assert first.title == second.title and first.id != second.id
    assert first.score == second.score
    assert first.id < second.id


@pytest.mark.parametrize("text", ["gaza", "rafah", "hamas OR putin"])
@pytest.mark.parametrize(("offset", "limit"), [(0, 1), (1, 1), (1, 2), (2, 5), (3, 1), (3, 0), (10, 3)])
def test_pages_are_slices_of_the_full_list(seed_index: Path, text: str, offset: int, limit: int) -> None:
    full = run(seed_index, text, limit=100)
    page = run(seed_index, text, offset=offset, limit=limit)
    assert full.results, text
    assert page.total == full.total == len(full.results)
    assert [hit.id for hit in page.results] == [hit.id for hit in full.results][offset : offset + limit]
    assert [hit.rank for hit in page.results] == list(range(offset + 1, offset + 1 + len(page.results)))


def test_limit_zero_counts_without_results(seed_index: Path) -> None:
    """The CLI accepts ``--limit 0`` (a count, as with ``grep -c``); it must not crash."""
    result = run(seed_index, "rafah", limit=0)
    assert result.total == 3
    assert result.results == []


def test_default_limit_is_ten(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for n in range(12):
        (corpus / f"{n:02d}.txt").write_text(f"Harbour report number {n}\n\nThe harbour pilots met on day {n}.\n")
    update_index(corpus, tmp_path / "index")
    result = search(tmp_path / "index", SearchRequest(text="harbour"))
    assert result.total == 12
    assert len(result.results) == 10


def test_sort_by_date_works_without_dates(seed_index: Path) -> None:
    by_relevance = run(seed_index, "gaza")
    by_date = run(seed_index, "gaza", sort="date")
    assert by_date.total == by_relevance.total == 4
    assert {hit.id for hit in by_date.results} == {hit.id for hit in by_relevance.results}
    assert all(hit.date is None for hit in by_date.results)
    # No dates to sort by: the order is still deterministic.
    assert [hit.id for hit in run(seed_index, "gaza", sort="date").results] == [hit.id for hit in by_date.results]


# --------------------------------------------------------------------------- matches, lines, highlights


SNIPPET_QUERIES = [
    "rafah crossing",
    "tunnel",
    "hayya",
    "putin",
    "lifeline",
    "reopening",
    "cemetery",
    "comes",
    "reuters",
    "gvili",
    "ceasefire",
]


@pytest.mark.parametrize("text", SNIPPET_QUERIES)
def test_matches_are_labelled_and_point_at_their_line(seed_index: Path, seed_corpus: Path, text: str) -> None:
    result = run(seed_index, text)
    assert result.results
    lines = seed_lines(seed_corpus)
    headings = {line.strip() for line in lines}
    for hit in result.results:
        assert isinstance(hit, Hit)
        assert Path(hit.path).name == SEED_NAME
        assert file_of(hit.path).resolve() == (seed_corpus / SEED_NAME).resolve()
        assert lines[hit.line - 1].strip() == hit.title
        assert 1 <= len(hit.matches) <= 3
        for match in hit.matches:
            assert match.kind in KINDS
            if match.kind == "section":
                assert match.section
                # A subheading is a line of its own ("- 'Limited reopening' -" keeps its dashes there).
                assert any(match.section in h for h in headings)
            else:
                assert match.section is None
            assert unellipsed(match.text) in file_line(hit.path, match.line), (match.kind, match.line)


@pytest.mark.parametrize("text", SNIPPET_QUERIES)
def test_highlights_are_offsets_of_the_query_words(seed_index: Path, text: str) -> None:
    words = [w for w in re.findall(r"\w+", text.lower())]
    result = run(seed_index, text)
    highlighted = 0
    for hit in result.results:
        for match in hit.matches:
            for start, end in match.highlights:
                assert 0 <= start < end <= len(match.text)
                fragment = match.text[start:end].lower()
                assert re.fullmatch(r"[\w’']+", fragment), fragment
                assert any(fragment.startswith(w[:4]) for w in words), (fragment, text)
                highlighted += 1
    assert highlighted


def test_rafah_crossing_highlights(seed_index: Path, articles: dict[str, int]) -> None:
    result = run(seed_index, "rafah crossing")
    best = result.results[0]
    assert best.line in (articles["gazans"], articles["lifeline"])
    for hit in result.results:
        for match in hit.matches:
            for start, end in match.highlights:
                assert match.text[start:end].lower().startswith(("rafah", "cross"))
    title = next(m for m in best.matches if m.kind == "title")
    assert {title.text[s:e].lower() for s, e in title.highlights} == {"rafah", "crossing"}


def test_a_section_match_names_its_heading(seed_index: Path, seed_corpus: Path) -> None:
    lines = seed_lines(seed_corpus)
    heading_line = first_line_of(lines, "What comes next")
    result = run(seed_index, "netanyahu", field="body")
    matches = [m for hit in result.results for m in hit.matches if m.section == "What comes next"]
    assert matches
    for match in matches:
        assert match.kind == "section"
        assert match.line > heading_line


def test_lead_paragraph_match_is_labelled_body(seed_index: Path, articles: dict[str, int], seed_corpus: Path) -> None:
    # "Putin is hosting his Iranian counterpart" is in the lead, before the first subheading.
    (hit,) = run(seed_index, "counterpart").results
    assert hit.line == articles["iran"]
    (match,) = hit.matches
    assert match.kind == "body" and match.section is None
    assert match.line == next(n for n, line in enumerate(seed_lines(seed_corpus), 1) if "Iranian counterpart" in line)


def test_caption_match_points_at_the_caption_line(seed_index: Path, seed_corpus: Path) -> None:
    result = run(seed_index, "caption:tunnel")
    captions = [m for hit in result.results for m in hit.matches if m.kind == "caption"]
    assert captions
    for match in captions:
        assert "tunnel" in match.text.lower()
        assert seed_lines(seed_corpus)[match.line - 1].strip() == match.text


def test_a_long_paragraph_gives_a_shorter_snippet_still_on_its_line(seed_index: Path, seed_corpus: Path) -> None:
    lines = seed_lines(seed_corpus)
    (line,) = [n for n, text in enumerate(lines, 1) if "Ubaida" in text]
    assert len(lines[line - 1]) > 500
    (hit,) = run(seed_index, "ubaida").results
    (match,) = hit.matches
    assert match.line == line
    assert len(match.text) < len(lines[line - 1])
    assert match.text.startswith(ELLIPSIS) or match.text.endswith(ELLIPSIS)
    assert unellipsed(match.text) in lines[line - 1]
    assert [match.text[s:e] for s, e in match.highlights] == ["Ubaida"]


# --------------------------------------------------------------------------- passages


def test_passages_are_sections_and_captions_with_lines(seed_index: Path, seed_corpus: Path) -> None:
    result = run(seed_index, "rafah crossing", passages=True)
    article_ids = {hit.id for hit in run(seed_index, "rafah crossing").results}
    lines = seed_lines(seed_corpus)
    assert result.total >= len(article_ids)
    for hit in result.results:
        assert isinstance(hit, PassageHit)
        assert hit.kind in {"section", "caption", "body"}
        assert hit.id in article_ids
        assert (hit.section is not None) == (hit.kind == "section")
        assert Path(hit.path).name == SEED_NAME
        assert unellipsed(hit.text) in lines[hit.line - 1]
        for start, end in hit.highlights:
            assert hit.text[start:end].lower().startswith(("rafah", "cross"))
    assert {hit.kind for hit in result.results} >= {"section", "body"}


def test_passages_rank_a_caption_on_its_own(seed_index: Path, seed_corpus: Path) -> None:
    result = run(seed_index, "tunnel", passages=True)
    captions = [hit for hit in result.results if hit.kind == "caption"]
    assert captions
    for hit in captions:
        assert seed_lines(seed_corpus)[hit.line - 1].strip() == hit.text


def test_passages_paginate_like_articles(seed_index: Path) -> None:
    full = run(seed_index, "rafah", passages=True)
    page = run(seed_index, "rafah", passages=True, offset=2, limit=3)
    assert len(full.results) >= 5  # the page is a full one, inside the list
    assert page.total == full.total
    assert [(h.id, h.line) for h in page.results] == [(h.id, h.line) for h in full.results][2:5]


# --------------------------------------------------------------------------- show and stats


def test_show_gives_the_whole_article(seed_index: Path, seed_corpus: Path, articles: dict[str, int]) -> None:
    lines = seed_lines(seed_corpus)
    hit = next(h for h in run(seed_index, "rafah").results if h.line == articles["lifeline"])
    article, marks, _ = show(seed_index, hit.id)
    assert marks is None
    assert article.id == hit.id and article.line == articles["lifeline"]
    assert article.title == lines[article.line - 1]
    assert article.sections[0].heading is None
    headings = [s.heading for s in article.sections]
    assert headings[1:] == ["What comes next", "A lifeline for Gaza", "Questions about the future"]
    for section in article.sections[1:]:
        assert lines[section.line - 1].strip() == section.heading
    for section in article.sections:
        for paragraph in section.paragraphs:
            assert lines[paragraph.line - 1].strip() == paragraph.text
    assert [c.line for c in article.captions] == [article.line + 2]
    assert lines[article.captions[0].line - 1] == article.captions[0].text


def test_show_with_highlight_gives_offsets_of_the_query_words(seed_index: Path) -> None:
    hit = run(seed_index, "rafah").results[0]
    article, marks, _ = show(seed_index, hit.id, "rafah crossing")
    assert marks is not None
    pieces = [(article.title, marks.title)]
    pieces += [(c.text, found) for c, found in zip(article.captions, marks.captions, strict=True)]
    for section, paragraphs in zip(article.sections, marks.paragraphs, strict=True):
        pieces += [(p.text, found) for p, found in zip(section.paragraphs, paragraphs, strict=True)]
    words = {text[start:end].lower() for text, found in pieces for start, end in found}
    assert words and words <= {"rafah", "crossing", "crossings"}
    assert marks.title  # the headline "… Rafah Crossing" is highlighted


@pytest.mark.parametrize("length", [4, 8, 15])
def test_show_accepts_a_unique_id_prefix(seed_index: Path, length: int) -> None:
    ids = sorted(hit.id for hit in run(seed_index, "gaza").results)
    assert len(ids) == 4
    unique = [i for i in ids if sum(other.startswith(i[:length]) for other in ids) == 1]
    assert unique  # four random 16-digit hex ids: at least one differs from the rest in 4 digits
    for article_id in unique:
        assert show(seed_index, article_id[:length])[0].id == article_id


def test_show_refuses_an_ambiguous_prefix(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for n in range(17):  # 17 ids, 16 hex digits: two of them share their first digit
        (corpus / f"{n:02d}.txt").write_text(f"Harbour report number {n}\n\nThe pilots met.\n", encoding="utf-8")
    update_index(corpus, tmp_path / "index")
    ids = [hit.id for hit in run(tmp_path / "index", "harbour").results]
    assert len(set(ids)) == 17
    shared = next(a[0] for a in ids for b in ids if a != b and a[0] == b[0])
    with pytest.raises(ArticleNotFoundError, match="ambiguous"):
        show(tmp_path / "index", shared)


def test_show_unknown_id(seed_index: Path) -> None:
    with pytest.raises(ArticleNotFoundError) as caught:
        show(seed_index, "nonexistent-id")
    assert "nonexistent-id" in caught.value.message and caught.value.exit_code == 2


def test_stats_counts_the_seed(seed_index: Path) -> None:
    s = stats(seed_index)
    assert (s.articles, s.sections, s.captions, s.files) == (4, 18, 7, 1)
    assert s.terms > 500
    assert s.bytes > 0
    assert s.updated and re.match(r"\d{4}-\d\d-\d\dT\d\d:\d\d", s.updated)


# --------------------------------------------------------------------------- the awkward corpus


def test_awkward_corpus_is_indexed_whole(awkward_index: Path) -> None:
    s = stats(awkward_index)
    assert s.articles == 8  # nine files; the blank one holds no article
    assert s.files == 8


@pytest.mark.parametrize("text", ["T\u00fcrkiye", "turkiye", "Turkiye", "TÜRKIYE"])
def test_accented_and_plain_spellings_find_each_other(awkward_index: Path, text: str) -> None:
    result = run(awkward_index, text)
    assert sorted(files_of(result)) == ["01_turkiye_accented.txt", "02_turkiye_plain.txt"]
    for hit in result.results:
        title = next(m for m in hit.matches if m.kind == "title")
        assert [title.text[s:e] for s, e in title.highlights] in (["T\u00fcrkiye"], ["Turkiye"])


@pytest.mark.parametrize(
    "text", ["Hayya\u2019s", "Hayya's", "Hayya's statement", "\u201cfragile beginning\u201d", '"fragile beginning"']
)
def test_curly_and_straight_quotes_are_one(awkward_index: Path, text: str) -> None:
    assert files_of(run(awkward_index, text)) == ["03_curly_quotes.txt"]


def test_brackets_in_text_are_searchable_and_kept(awkward_index: Path) -> None:
    result = run(awkward_index, "singapore")
    (hit,) = result.results
    assert hit.title == "[Reuters] Oil Prices Climb as [/b] Tags Leak Into Feeds"
    body = next(m for m in hit.matches if m.kind == "body")
    assert "[/b]" in body.text and "[bold]sharply[/bold]" in body.text
    assert files_of(run(awkward_index, "reuters")) == ["04_brackets.txt"]


def test_an_article_with_an_escape_byte_is_searchable(awkward_index: Path) -> None:
    (hit,) = run(awkward_index, "lisbon").results
    assert hit.title == "Terminal Escape Trick in Newsroom Feed"
    body = next(m for m in hit.matches if m.kind == "body")
    assert body.line == 3
    assert unellipsed(body.text) in file_line(hit.path, body.line)


def test_a_near_empty_article_is_found_by_its_title(awkward_index: Path) -> None:
    (hit,) = run(awkward_index, "zanzibar").results
    assert hit.title == "Zanzibar Ferry Notice" and hit.line == 1
    assert [m.kind for m in hit.matches] == ["title"]
    article, _, _ = show(awkward_index, hit.id)
    assert article.sections == () and article.captions == ()


def test_duplicate_articles_keep_their_own_paths_and_ids(awkward_index: Path) -> None:
    result = run(awkward_index, "harbour cranes")
    assert len({hit.id for hit in result.results}) == 2
    for hit in result.results:
        assert show(awkward_index, hit.id)[0].path == hit.path


@pytest.mark.parametrize(
    ("value", "end", "expected"),
    [
        ("2025", False, datetime(2025, 1, 1)),
        ("2025", True, datetime(2025, 12, 31, 23, 59, 59)),
        ("2025-12", True, datetime(2025, 12, 31, 23, 59, 59)),
        ("2024-02", True, datetime(2024, 2, 29, 23, 59, 59)),
        ("2025-03-09", True, datetime(2025, 3, 9, 23, 59, 59)),
        ("2025-03-09", False, datetime(2025, 3, 9)),
    ],
)
def test_since_and_until_cover_the_whole_period_named(value: str, end: bool, expected: datetime) -> None:
    assert date_bound(value, "--until" if end else "--since", end=end) == expected


@pytest.mark.parametrize("value", ["2025-13", "25-01-01", "yesterday", "2025-02-30", ""])
def test_a_date_that_is_not_one_is_a_usage_error(value: str) -> None:
    with pytest.raises(UsageError, match="is not a date"):
        date_bound(value, "--since")


def test_a_question_mark_is_punctuation_not_a_wildcard(seed_index: Path) -> None:
    plain = search(seed_index, SearchRequest("rafah"))
    asked = search(seed_index, SearchRequest("Rafah?"))
    assert asked.total == plain.total > 0
    assert [h.id for h in asked.results] == [h.id for h in plain.results]
    assert search(seed_index, SearchRequest("Rafha?")).suggestion == "Rafah?"  # the question stays a question


@pytest.fixture(scope="module")
def archive_index(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """150 articles on six subjects (``conftest.subject_archive``), indexed."""
    return subject_archive(tmp_path_factory.mktemp("archive"))


def test_a_question_is_re_ranked_by_feedback_but_finds_the_same_articles(archive_index: Path) -> None:
    question = "why did the ferry stop at the quay"
    with_feedback = search(archive_index, SearchRequest(question, any_words=True, limit=50))
    without = search(archive_index, SearchRequest(question, any_words=True, limit=50, feedback=False))
    assert [h.score for h in with_feedback.results] != [h.score for h in without.results]  # it did apply
    assert with_feedback.total == without.total > 0
    assert {h.id for h in with_feedback.results} == {h.id for h in without.results}
    # Every result still has one of the question's own words to show.
    assert all(any(m.highlights for m in hit.matches) for hit in with_feedback.results)  # type: ignore[union-attr]


def test_a_small_archive_gets_no_feedback(seed_index: Path) -> None:
    question = "how was the location of the hostage body identified"
    as_given = [(h.id, h.score) for h in search(seed_index, SearchRequest(question, any_words=True)).results]
    without = search(seed_index, SearchRequest(question, any_words=True, feedback=False))
    assert [(h.id, h.score) for h in without.results] == as_given


@pytest.mark.parametrize(
    "text", ["ferry quay", '"ferry quay" storm', "title:ferry quay storm", "ferry quay storm -budget"]
)
def test_keywords_and_queries_with_syntax_are_searched_as_written(archive_index: Path, text: str) -> None:
    as_given = [(h.id, h.score) for h in search(archive_index, SearchRequest(text, any_words=True)).results]
    assert as_given
    without = search(archive_index, SearchRequest(text, any_words=True, feedback=False))
    assert [(h.id, h.score) for h in without.results] == as_given
