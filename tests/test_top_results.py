"""The page of results, its total and its facets are those of sorting every match by its whole key.

A query scores every match in one walk, orders equal scores by key only where they meet the
page's edge, and counts the facets from the same matches. Here that is checked against Whoosh
sorting every match by (score, key) and grouping them itself, on an index made to be hard for
it: many articles repeated word for word (equal scores across the page's edge), more than one
segment, deleted articles, long and short texts, filters and every kind of query. (Whoosh's own
top-N search, which skips postings, failed these tests: see ``engines.whoosh.search.rank``.)
"""

from __future__ import annotations

import dataclasses
import functools
import itertools
import json
import random
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from whoosh import sorting

from newssearch.engines.whoosh import WhooshEngine, parallel, topk
from newssearch.engines.whoosh import search as whoosh_search
from newssearch.indexer import update_index
from newssearch.models import SearchRequest
from newssearch.searcher import search

WORDS = [
    "oil",
    "price",
    "crude",
    "barrel",
    "opec",
    "export",
    "tanker",
    "pipeline",
    "refinery",
    "gasoline",
    "bank",
    "rate",
    "loan",
    "credit",
    "bond",
    "yield",
    "dollar",
    "currency",
    "reserve",
    "deficit",
    "wheat",
    "grain",
    "corn",
    "harvest",
    "farmer",
    "export",
    "tonne",
    "shipment",
    "drought",
    "subsidy",
]
SOURCES = ("Reuters", "BBC News", "AP", "Kyodo")


def _article(rng: random.Random, n: int) -> dict[str, Any]:
    length = rng.choice((5, 20, 60, 200))  # short and long texts: block lengths differ
    body = " ".join(rng.choice(WORDS) for _ in range(length))
    return {
        "id": f"a{n}",
        "title": " ".join(rng.choice(WORDS) for _ in range(rng.randint(2, 6))),
        "body": body + ".",
        "source": rng.choice(SOURCES),
        "date": f"2024-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",
    }


@pytest.fixture(scope="module")
def index_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """1,500 articles in 3 files, a third of them repeated word for word under other ids, then
    one file rewritten and a small one added: several segments, some articles deleted."""
    rng = random.Random(6)
    root = tmp_path_factory.mktemp("top")
    corpus, index = root / "corpus", root / "index"
    corpus.mkdir()
    records = [_article(rng, n) for n in range(1000)]
    records += [{**rng.choice(records[:300]), "id": f"copy{n}"} for n in range(500)]
    rng.shuffle(records)
    for part in range(3):
        lines = [json.dumps(r) for r in records[part * 500 : (part + 1) * 500]]
        (corpus / f"part{part}.jsonl").write_text("\n".join(lines) + "\n")
    update_index(corpus, index, procs=1)
    (corpus / "part1.jsonl").write_text("\n".join(json.dumps(r) for r in records[500:850]) + "\n")
    summary = update_index(corpus, index, procs=1)
    assert summary.changed == 1 and summary.articles == 1350
    (corpus / "part3.jsonl").write_text("\n".join(json.dumps(r) for r in records[:3]) + "\n")
    assert update_index(corpus, index, procs=1).added == 1
    return index


def _sort_everything(searcher: Any, matching: Any, request: SearchRequest) -> tuple[Any, int, Any]:
    """The oracle: Whoosh sorts every match by its whole sort key (score, then key; or date,
    score, key) and groups them for the facets, all in its own collector."""
    keys: list[Any] = [sorting.ScoreFacet(), sorting.FieldFacet("key")]
    if request.sort == "date":
        keys.insert(0, sorting.FieldFacet("date", reverse=True))
    at = 1 if request.sort == "date" else 0
    groups = {"source": sorting.FieldFacet("source_name"), "month": sorting.FieldFacet("month")}
    results = searcher.search(matching, limit=None, sortedby=sorting.MultiFacet(keys), groupedby=groups, terms=False)
    wanted = request.offset + request.limit
    page = [(-hit.score[at], dict(hit.fields())) for hit in results[request.offset : wanted]]
    counted = {name: {k: len(v) for k, v in results.groups(name).items() if k} for name in groups}
    facets = {
        "source": dict(sorted(counted["source"].items(), key=lambda item: (-item[1], item[0]))),
        "month": dict(sorted(counted["month"].items())),
    }
    return page, len(results), facets, True, 0


def _both_ways(index_dir: Path, request: SearchRequest, parallel_from: int = parallel.PARALLEL_FROM) -> tuple[Any, Any]:
    """The page both ways, copies not folded: the oracle ranks every article as its own story
    (folding has its own tests, tests/test_copies_folded.py)."""
    request = replace(request, fold_copies=False)
    split = {"parallel_from": parallel_from, "parallel_work": 0 if parallel_from == 0 else parallel.PARALLEL_WORK}
    ranker = functools.partial(whoosh_search.rank, **split)
    fast = search(WhooshEngine(index_dir, ranker=ranker), request)
    slow = search(WhooshEngine(index_dir, ranker=_sort_everything, always_filter_kind=True), request)
    return fast, slow


QUERIES = [
    "oil",  # in most articles
    "export",
    "oil price",
    "crude OR wheat",
    '"crude oil"',
    "refin*",
    "pipelin~1",
    "bank -loan",
    "title:dollar",
    "reserve deficit yield",
]


@pytest.mark.parametrize("text", QUERIES)
@pytest.mark.parametrize(("limit", "offset"), [(1, 0), (10, 0), (7, 20), (50, 0)])
@pytest.mark.parametrize("parallel_from", [parallel.PARALLEL_FROM, 0], ids=["one process", "two processes"])
def test_the_page_total_and_facets_are_those_of_scoring_every_match(
    index_dir: Path, text: str, limit: int, offset: int, parallel_from: int
) -> None:
    """The same when the segments are collected in two processes, as they are from 50,000
    documents a segment."""
    request = SearchRequest(text, limit=limit, offset=offset)
    fast, slow = _both_ways(index_dir, request, parallel_from)
    assert slow.total > limit + offset, "the query should match more than the page"
    assert [(r.id, r.score) for r in fast.results] == [(r.id, r.score) for r in slow.results]
    assert (fast.total, fast.facets) == (slow.total, slow.facets)


@pytest.mark.parametrize(
    "request_",
    [
        SearchRequest("oil price tanker", any_words=True),  # with feedback words
        SearchRequest("grain harvest", source="BBC News"),
        SearchRequest("bank", since=datetime(2024, 3, 1), until=datetime(2024, 8, 31)),
        SearchRequest("oil", passages=True, limit=20),
        SearchRequest("credit", field="title", limit=20),
        SearchRequest("export", sort="date", limit=15),
        SearchRequest("source:kyodo"),  # a field passages have too: only articles count
        SearchRequest("source:kyodo", passages=True),
        SearchRequest("oil source:kyodo"),
        SearchRequest("title:*", sort="date"),
        SearchRequest("(wheat OR source:ap) -bank"),
    ],
    ids=[
        "any",
        "source",
        "dates",
        "passages",
        "in-title",
        "by-date",
        "source-field",
        "source-passages",
        "word-and-source",
        "every-title",
        "or-shared-not",
    ],
)
def test_filters_modes_and_sorting_agree_too(index_dir: Path, request_: SearchRequest) -> None:
    fast, slow = _both_ways(index_dir, request_)
    assert slow.total > 10
    assert [(r.id, r.score) for r in fast.results] == [(r.id, r.score) for r in slow.results]
    assert (fast.total, fast.facets) == (slow.total, slow.facets)


def test_equal_scores_come_in_order_of_id_across_the_page_edge(index_dir: Path) -> None:
    """Repeated articles score the same; every page cut through them is the same slice of one
    order, so paging never shows an article twice or skips one."""
    whole = search(index_dir, SearchRequest("opec", limit=200)).results
    assert any(a.score == b.score for a, b in zip(whole, whole[1:], strict=False)), "no ties to test"
    paged = []
    for start in range(0, 200, 8):  # 25 pages of 8
        paged += search(index_dir, SearchRequest("opec", limit=8, offset=start)).results
    assert [r.id for r in paged] == [r.id for r in whole]
    for a, b in zip(whole, whole[1:], strict=False):
        assert (-a.score, a.id) < (-b.score, b.id)


@pytest.mark.parametrize(
    "request_",
    [
        SearchRequest("oil", limit=0),  # the total and facets only
        SearchRequest("export", sort="date", limit=5, offset=7),
        SearchRequest("oil zzzqqq"),  # no article has both: relaxed to either word
        SearchRequest("oil", source="nosuch"),  # nothing: the filter note says why
        SearchRequest("oil", since=datetime(2030, 1, 1)),
        SearchRequest("wheat", offset=5000),  # past the last match
        # A NOT whose words run out inside a filter's walk: Whoosh's matcher read past its end.
        SearchRequest("pipeline -grain", since=datetime(2024, 4, 1), sort="date"),
        SearchRequest("pipeline -grain", since=datetime(2024, 4, 1)),
    ],
    ids=["limit-0", "date-offset", "relaxed", "no-source", "no-date", "past-the-end", "not-by-date", "not-dated"],
)
def test_edges_agree_too(index_dir: Path, request_: SearchRequest) -> None:
    fast, slow = _both_ways(index_dir, request_)
    assert [(r.id, r.score) for r in fast.results] == [(r.id, r.score) for r in slow.results]
    assert (fast.total, fast.facets, fast.relaxed, fast.filter_note) == (
        slow.total,
        slow.facets,
        slow.relaxed,
        slow.filter_note,
    )
    if request_.text == "oil zzzqqq":
        assert fast.relaxed and fast.total > 0
    if request_.text == "oil" and (request_.source or request_.since):
        assert fast.total == 0 and fast.filter_note


# --- past the exact count: the page found without scoring every match (README, "Large result sets")


def _random_request(rng: random.Random) -> SearchRequest:
    w = lambda: rng.choice(WORDS)  # noqa: E731
    text = rng.choice(
        [
            f"{w()}",
            f"{w()} {w()}",
            f"{w()} OR {w()}",
            f"{w()} OR {w()} OR {w()} OR {w()}",
            f"({w()} OR {w()}) {w()}",
            f"{w()} -{w()}",
            f"{w()} ANDMAYBE {w()}",
            f"{w()} ANDNOT ({w()} OR {w()})",
            f"title:{w()} OR {w()}",
            f"{w()[:3]}*",
            f"{w()}~1",
            f"{w()}^3 {w()}",
            f'"{w()} {w()}" OR {w()}',
            f'"{w()} {w()}"',
        ]
    )
    options: dict[str, Any] = rng.choice(
        [
            {},
            {},
            {"passages": True},
            {"source": rng.choice(SOURCES)},
            {"since": datetime(2024, rng.randint(1, 6), 1)},
            {"field": "title"},
            {"any_words": True},
        ]
    )
    limit, offset = rng.choice([(1, 0), (10, 0), (10, 10), (7, 33), (50, 0), (0, 0), (10, 5000)])
    return SearchRequest(text, limit=limit, offset=offset, **options)


CAP = 5


@pytest.mark.parametrize("parallel_from", [parallel.PARALLEL_FROM, 0], ids=["one process", "two processes"])
def test_past_the_exact_count_the_page_is_that_of_scoring_every_match(index_dir: Path, parallel_from: int) -> None:
    """With the exact count set as low as 5, most queries find their page by skipping: the
    same articles in the same order with the same scores as scoring every match of the same
    query, ties included, on 300 random queries; the total says it is a lower bound, and there
    are no facets. (Against the oracle above, which builds its query with one more filter, equal
    scores can differ in their last bits and so come in another order.) The same when the
    segments are walked in two processes, as they are at a million articles."""
    split = {"parallel_from": parallel_from, "parallel_work": 0 if parallel_from == 0 else parallel.PARALLEL_WORK}
    ranker = functools.partial(whoosh_search.rank, exact_up_to=CAP, **split)
    capped = WhooshEngine(index_dir, ranker=ranker)
    everything = WhooshEngine(index_dir, ranker=functools.partial(whoosh_search.rank, exact_up_to=10**12))
    rng = random.Random(16)
    skipped = 0
    for _ in range(300):
        request = _random_request(rng)
        fast = search(capped, request)
        slow = search(everything, request)
        assert [(r.id, r.score) for r in fast.results] == [(r.id, r.score) for r in slow.results], request
        # Each result's copies: its group's other matches, in the same order, whichever way they were found.
        assert [[c.id for c in getattr(r, "copies", [])] for r in fast.results] == [
            [c.id for c in getattr(r, "copies", [])] for r in slow.results
        ], request
        assert fast.total_exact == (slow.total <= CAP), request  # every one of these can skip
        if not fast.total_exact:
            skipped += 1
            # A lower bound: the stories among the first CAP matches (README, "Large result sets").
            assert 1 <= fast.total <= min(CAP, slow.total) and fast.facets == {}, request
        else:
            assert (fast.total, fast.total_exact, fast.facets) == (slow.total, True, slow.facets), request
        exact = search(capped, dataclasses.replace(request, exact_total=True))
        assert (exact.total, exact.total_exact, exact.facets) == (slow.total, True, slow.facets), request
        assert [(r.id, r.score) for r in exact.results] == [(r.id, r.score) for r in slow.results]
    assert skipped > 150, f"only {skipped} of 300 queries found their page by skipping"


def test_a_storys_equal_copies_are_listed_in_order_of_id_whichever_way_it_was_found(tmp_path: Path) -> None:
    """A story sent 130 times word for word: its copies tie, so the result is the copy of the
    lowest id and the 100 listed under it are those of the next lowest, in order of id (README,
    "Wire copies folded"). The same when its page was found by skipping as when every match was
    scored, and after a file rewritten in another order numbers the copies anew."""
    corpus, index = tmp_path / "corpus", tmp_path / "index"
    corpus.mkdir()
    text = (
        "Grain shipments from the northern port were delayed again on Tuesday as dock workers walked out "
        "over pay, leaving six bulk carriers waiting offshore with wheat and barley bound for the south, "
        "the port authority said, adding that talks with the union would resume on Thursday morning."
    )
    copies = [{"id": f"w{n:03d}", "title": "Grain shipments delayed at port", "body": text} for n in range(130)]
    others = [{"id": f"o{n}", "title": f"Harvest {n}", "body": f"A grain harvest of {n} tonnes."} for n in range(8)]
    random.Random(3).shuffle(copies)
    for name, part in (("a.jsonl", copies[:70] + others), ("b.jsonl", copies[70:])):
        (corpus / name).write_text("".join(json.dumps(r) + "\n" for r in part))
    update_index(corpus, index, procs=1)
    (corpus / "a.jsonl").write_text("".join(json.dumps(r) + "\n" for r in reversed(copies[:70] + others)))
    assert update_index(corpus, index, procs=1).changed == 1
    ids = sorted(
        hit.id for hit in search(WhooshEngine(index), SearchRequest("shipments", fold_copies=False, limit=200)).results
    )
    assert len(ids) == 130
    for exact_up_to in (1, 10**12):  # the page found by skipping; every match scored
        engine = WhooshEngine(index, ranker=functools.partial(whoosh_search.rank, exact_up_to=exact_up_to))
        for request in (SearchRequest("grain shipments"), SearchRequest("grain OR port", limit=3)):
            story = next(r for r in search(engine, request).results if r.id in ids)
            assert [story.id, *(c.id for c in story.copies)] == ids[:101], (exact_up_to, request)


def test_what_is_not_a_sum_of_words_is_scored_every_match(index_dir: Path) -> None:
    """A date range, every title, or a sort by date is scored every match, and past the exact
    count says so as every query does: a lower bound, no facets; --exact-total counts them."""
    capped = WhooshEngine(index_dir, ranker=functools.partial(whoosh_search.rank, exact_up_to=CAP))
    everything = WhooshEngine(index_dir, ranker=functools.partial(whoosh_search.rank, exact_up_to=10**12))
    for request in (
        SearchRequest("date:[2024-03-01 TO 2024-05-01]"),
        SearchRequest("title:*"),
        SearchRequest("oil", sort="date", limit=15),
    ):
        found, slow = search(capped, request), search(everything, request)
        assert slow.total > CAP
        assert (found.total_exact, found.facets) == (False, {}) and 1 <= found.total <= CAP  # stories among CAP
        assert [(r.id, r.score) for r in found.results] == [(r.id, r.score) for r in slow.results]
        exact = search(capped, dataclasses.replace(request, exact_total=True))
        assert (exact.total, exact.total_exact, exact.facets) == (slow.total, True, slow.facets)


def _stories_among_first(searcher: Any, matching: Any, counted: int) -> int:
    """The oracle of a lower bound past the exact count: the copy groups (an article of none is
    its own story) among the first ``counted`` matches that the query's own matcher walks to."""
    stories: set[Any] = set()
    for sub, offset in searcher.leaf_searchers():
        groups = sub.reader().column_reader("copygroup")
        for docnum in itertools.islice(matching.matcher(sub, searcher.context()).all_ids(), counted):
            stories.add(groups[docnum] or offset + docnum)
            counted -= 1
        if counted <= 0:
            break
    return len(stories)


@pytest.mark.parametrize("cap", [1, 5, 37, 400])
def test_past_the_exact_count_the_total_is_the_stories_among_the_first_matches(index_dir: Path, cap: int) -> None:
    """ "N+ stories" (README, "Large result sets"): the copy groups among the first N matches,
    however the query is made (words read from their postings, phrases walked), on a random mix."""
    expected: list[int] = []

    def ranker(searcher: Any, matching: Any, request: SearchRequest) -> Any:
        expected.append(_stories_among_first(searcher, matching, cap))
        return whoosh_search.rank(searcher, matching, request, exact_up_to=cap)

    engine = WhooshEngine(index_dir, ranker=ranker)
    rng = random.Random(cap)
    lower_bounds = 0
    for _ in range(60):
        request = replace(_random_request(rng), passages=False)
        expected.clear()
        found = search(engine, request)
        if not found.total_exact:
            lower_bounds += 1
            assert found.total == expected[-1], request
    assert lower_bounds > 20, f"only {lower_bounds} of 60 queries went past {cap} matches"


def test_a_words_score_is_whooshs_bm25_to_the_last_bit(index_dir: Path) -> None:
    """The scorer works each score out from the segment's lengths read once (``ranking``): for
    every posting of these words, in every field and segment, it is the very number Whoosh's own
    way gives (its ``bm25`` of the word's count and the field's length read from the column)."""
    from whoosh import index as windex
    from whoosh import scoring

    from newssearch.engines.whoosh import ranking

    with windex.open_dir(str(index_dir)).searcher(weighting=ranking.KindBM25F()) as searcher:
        compared = 0
        for sub, _ in searcher.leaf_searchers():
            for fieldname, word in itertools.product(("title", "body", "p_body"), ("oil", "export", "bank", "yield")):
                m = topk._postings(sub, fieldname, word, searcher.weighting)
                if m is None:
                    continue
                assert type(m.scorer) is ranking.KindBM25FScorer and m.scorer._lengths is not None
                while m.is_active():
                    assert m.score() == scoring.WeightLengthScorer.score(m.scorer, m)
                    m.next()
                    compared += 1
        assert compared > 1000


def test_a_forked_process_walks_segments_as_this_one_would(index_dir: Path) -> None:
    """The segments handed to a forked process (``parallel``) give there the very hits a walk
    here keeps: the comparisons above cannot tell a forked walk from one done here after the
    forked process failed."""
    from whoosh import index as windex

    from newssearch.engines.whoosh import ranking

    with windex.open_dir(str(index_dir)).searcher(weighting=ranking.KindBM25F()) as searcher:
        q = whoosh_search.wq.Or([whoosh_search.wq.Term("body", "oil"), whoosh_search.wq.Term("title", "bank")])
        words = topk.leaves(q)
        assert words is not None
        here, there = parallel.split(searcher, 0)
        assert len(here) == 1 and there
        context = searcher.context()

        def walked() -> list[list[tuple[float, int]]]:
            found = []
            for sub, offset in there:
                best = topk._Best(10)
                topk._walk_segment(sub, offset, q, words, None, context, best)
                found.append(best.kept)
            return found

        with parallel.elsewhere(walked) as forked:
            assert forked is not None
            hits = forked.result()
        assert hits == walked() and all(hits)


def test_a_phrases_first_matches_are_those_its_matcher_walks_to(index_dir: Path) -> None:
    """Past the exact count a phrase's first matches are found from its words' positions
    (``topk.first_matches``): the same documents, in the same order, as Whoosh's phrase matcher
    walks to, for phrases of two and three words in the articles' and the passages' text."""
    from whoosh import index as windex
    from whoosh import query as wq

    rng = random.Random(8)
    with windex.open_dir(str(index_dir)).searcher() as searcher:
        some = 0
        for _ in range(60):
            field = rng.choice(["body", "p_body", "title"])
            words = [rng.choice(WORDS) for _ in range(rng.choice([2, 2, 3]))]
            q = wq.Or([wq.Phrase(field, words), wq.Term("title", rng.choice(WORDS))]) if rng.random() < 0.3 else None
            q = q or wq.Phrase(field, words)
            walked = []
            for sub, offset in searcher.leaf_searchers():
                walked += [offset + d for d in q.matcher(sub, searcher.context()).all_ids()]
            for n in (1, 7, 100, 10_000):
                assert topk.first_matches(searcher, q, n) == walked[:n], (q, n)
            some += bool(walked)
        assert some > 20
