"""A search request against the Whoosh index: the page, its total and facets, detached into
plain data inside the searcher's lifetime (a Whoosh ``Hit`` dies with its searcher).
"""

from __future__ import annotations

from bisect import bisect_right
from collections import Counter
from collections.abc import Callable
from typing import Any

from whoosh import collectors, sorting
from whoosh import query as wq
from whoosh.searching import Searcher

from newssearch import models
from newssearch.engines.whoosh import explain, feedback, parallel, parse, topk
from newssearch.engines.whoosh.documents import stored_article, stored_passage
from newssearch.engines.whoosh.schema import (
    ARTICLE_FIELDS,
    KIND_ARTICLE,
    KIND_PASSAGE,
    PASSAGE_FIELDS,
    UNSTEMMED,
)
from newssearch.engines.whoosh.store import find_article
from newssearch.errors import UsageError
from newssearch.models import EmptyFilter, Page, SearchRequest, Terms
from newssearch.querytext import ParsedQuery

# How the matches of a query become the page: (page as (score, stored fields), total, facets,
# whether the total is exact, how many matches are folded as copies). A result's stored fields
# hold its folded copies' under ``COPIES``.
COPIES = "_copies"
Ranker = Callable[
    [Searcher, wq.Query, SearchRequest],
    tuple[list[tuple[float, dict[str, Any]]], int, dict[str, dict[str, int]], bool, int],
]


def search(
    searcher: Searcher,
    request: SearchRequest,
    parsed: ParsedQuery,
    *,
    ranker: Ranker | None = None,
    always_filter_kind: bool = False,
) -> Page:
    """The page of ``request``. ``ranker`` (default: ``rank``) and ``always_filter_kind`` are for
    checking this engine against a slower, simpler way of finding the same page."""
    rank_matches = ranker or rank
    query = parse.to_whoosh(parsed)
    if not query.findable:  # only words that are not indexed: nothing to look for
        if request.source is not None:
            _source_filter(request.source)  # a bad --source is a usage error here too
        facets = _facet_counts(searcher, []) if request.facets else {}
        return Page(hits=[], total=0, terms={}, searchable=False, facets=facets)
    reader = searcher.reader()
    relaxed = False
    q = parse.expand(query.strict, reader)
    ranked, added = q, None  # added: the part of ``ranked`` holding the words feedback added
    if request.any_words and not request.passages and request.feedback and feedback.applies(query.strict):
        ranked, added = feedback.with_feedback(searcher, q, _within(q, request, always_filter_kind))
    page, total, facets, exact, folded = rank_matches(searcher, _within(ranked, request, always_filter_kind), request)
    if total == 0 and query.relaxed is not None:
        q = ranked = parse.expand(query.relaxed, reader)
        added = None
        page, total, facets, exact, folded = rank_matches(searcher, _within(q, request, always_filter_kind), request)
        relaxed = total > 0
    empty = _empty_filter(searcher, q, request) if total == 0 else None
    why = None
    if request.explain:
        why = explain.explanations(searcher, ranked, page, feedback=added)
    hits: list[Any]
    copies = None
    if request.passages:
        hits = _passages(searcher, page)
    else:
        hits = [(score, stored_article(stored["data"])) for score, stored in page]
        copies = [[stored_article(copy["data"]) for copy in stored.get(COPIES, [])] for _, stored in page]
    return Page(
        hits=hits,
        total=total,
        total_exact=exact,
        terms=terms_by_part(parse.highlight_terms(q)),
        relaxed=relaxed,
        facets=facets,
        empty_filter=empty,
        suggestion=parse.suggest(parsed.text, searcher),
        explanations=why,
        copies=copies,
        folded=folded,
    )


def _passages(searcher: Searcher, page: list[tuple[float, dict[str, Any]]]) -> list[tuple[float, Any]]:
    """The page's passages, made from their articles' records (a passage stores none, see
    ``schema``), each article read once."""
    articles: dict[str, str] = {}
    hits = []
    for score, stored in page:
        article_id = stored["id"]
        if article_id not in articles:
            article = find_article(searcher, article_id)
            assert article is not None, f"passage {stored['key']} without its article"
            articles[article_id] = article["data"]
        hits.append((score, stored_passage(stored["key"], articles[article_id])))
    return hits


def highlight_terms(searcher: Searcher, parsed: ParsedQuery) -> Terms:
    query = parse.to_whoosh(parsed)
    if not query.findable:
        return {}
    return terms_by_part(parse.highlight_terms(parse.expand(query.strict, searcher.reader())))


def _kind(request: SearchRequest) -> wq.Query:
    return wq.Term("kind", KIND_PASSAGE if request.passages else KIND_ARTICLE)


def _source_filter(source: str) -> wq.Query:
    """``--source``: the source's words in order, case and accents folded (``bbc`` finds
    "BBC News")."""
    words = [t.text for t in UNSTEMMED(source)]
    if not words:
        raise UsageError(f"--source {source!r} has no words to match — give a source's name, e.g. --source reuters")
    return wq.Phrase("source", words) if len(words) > 1 else wq.Term("source", words[0])


def _within(q: wq.Query, request: SearchRequest, always_filter_kind: bool = False) -> wq.Query:
    """``q`` limited to the request's kind of document (articles or passages) and its filters.
    ``Require`` scores only its first part; filters passed as ``filter=`` would build a Python
    set of every matching document per query.

    The kind is left out when ``q`` can only match that kind anyway (its words are all in
    fields that only that kind has): intersecting with every article costs more than the rest
    of a selective query (``oil prices`` at 100,000 articles: 185 ms with it, 75 without)."""
    one_kind = not always_filter_kind and parse.one_kind(q, passages=request.passages)
    parts: list[wq.Query] = [] if one_kind else [_kind(request)]
    if request.source is not None:
        parts.append(_source_filter(request.source))
    if request.since or request.until:
        parts.append(_date_filter(request))
    if not parts:
        return q
    return wq.Require(q, parts[0] if len(parts) == 1 else wq.And(parts))


def _date_filter(request: SearchRequest) -> wq.Query:
    return wq.DateRange("date", request.since, request.until)


def _empty_filter(searcher: Searcher, q: wq.Query, request: SearchRequest) -> EmptyFilter | None:
    """Why filters left nothing: the filter that matches no article at all (and what there is
    instead), or how many articles match without the filters."""
    if request.source is None and not request.since and not request.until:
        return None
    kind = _kind(request)
    if request.source is not None and not _matches(searcher, wq.Require(kind, _source_filter(request.source)))[0]:
        return EmptyFilter("source", tuple(_matches(searcher, kind, facets=True)[1]["source"]))  # most first
    if (request.since or request.until) and not _matches(searcher, wq.Require(kind, _date_filter(request)))[0]:
        return EmptyFilter("date", tuple(_matches(searcher, kind, facets=True)[1]["month"]))  # in date order
    return EmptyFilter(None, unfiltered=_matches(searcher, wq.Require(q, kind))[0])


def rank(
    searcher: Searcher,
    matching: wq.Query,
    request: SearchRequest,
    exact_up_to: int = models.EXACT_UP_TO,
    parallel_from: int = parallel.PARALLEL_FROM,
    parallel_work: int = parallel.PARALLEL_WORK,
) -> tuple[list[tuple[float, dict[str, Any]]], int, dict[str, dict[str, int]], bool, int]:
    """The requested page as (score, stored fields), the total number of matches (of stories,
    with copies folded: README, "Wire copies folded"), the facet counts of all matching articles,
    whether the total is exact, and how many matches are folded as copies (with an exact total).

    Up to ``exact_up_to`` matches (or with ``--exact-total``), every match is scored in one
    walk that also counts them and their facets. Past it, the total is ``exact_up_to`` as a
    lower bound and there are no facets (README, "Large result sets"), and a query of words
    finds its page with ``topk`` (which scores only what may reach the page); any other query
    (a date range, ``--sort date``) still scores every match to find it. Whoosh's own top-N
    search, which also skips, returns wrong pages in whoosh-reloaded 2.7.5 (benchmarks/README.md)."""
    wanted = request.offset + request.limit
    fold = request.fold_copies and not request.passages
    words = topk.leaves(matching) if request.sort == "relevance" and not request.exact_total else None
    counts = topk.bounds(matching, searcher.reader()) if request.sort != "date" else (0, 0)  # fewest, most matches
    past, first = topk.exceeds(searcher, matching, exact_up_to, counts) if words is not None else (False, None)
    if words is not None and past:
        total = exact_up_to
        if fold:  # a lower bound on the stories (README, "Large result sets")
            counted = (first or topk.first_matches(searcher, matching, exact_up_to))[:exact_up_to]
            total = _stories(_groups(searcher, [(0.0, docnum) for docnum in counted]), counted)
        if not wanted:  # the count only (--limit 0)
            return [], total, {}, False, 0
        if fold:  # the best ``wanted`` copy groups, each group's first in order of key among ties
            found = topk.top(searcher, matching, words, wanted, group=_copy_groups, parallel_from=parallel_from)
            found = _ties_by_key(searcher, found, len(found))
            shown = _folded(found, _groups(searcher, found))[request.offset : wanted]
            page = _page(searcher, shown, matching, {docnum: score for score, docnum in found})
        else:
            found = topk.top(searcher, matching, words, wanted, parallel_from=parallel_from)
            found = _ties_by_key(searcher, found, wanted)
            page = _page(searcher, [(score, docnum, []) for score, docnum in found[request.offset : wanted]])
        return page, total, {}, False, 0
    if request.sort == "date":
        # With ``sortedby``, a hit's "score" is its sort key, whose score part is negated.
        keys = sorting.MultiFacet([sorting.FieldFacet("date", reverse=True), sorting.ScoreFacet(), _BY_KEY])
        found = searcher.search(matching, limit=None, sortedby=keys, terms=False)
        ranked = [(-key[1], docnum) for key, docnum in found.top_n]
        groups = _groups(searcher, ranked) if fold else {}
    else:
        segments = parallel.split(searcher, parallel_from, worth_it=counts[1] >= parallel_work)
        every = _score_every_match(searcher, matching, segments)
        groups = _groups(searcher, every) if fold else {}
        ranked = _ties_by_key(searcher, every, _page_end(every, groups, wanted) if fold else wanted)
    # Copies in the order of the results: by date, as ``ranked`` is, else by score and key.
    by_key = request.sort != "date"
    if len(ranked) > exact_up_to and not request.exact_total:  # as every query says past it
        if not fold:
            return _page(searcher, [(s, d, []) for s, d in ranked[request.offset : wanted]]), exact_up_to, {}, False, 0
        # Every match is scored here: every group's matches are in ``ranked``.
        stories = _stories(groups, [docnum for _, docnum in ranked[:exact_up_to]])
        return _page(searcher, _folded(ranked, groups)[request.offset : wanted], by_key=by_key), stories, {}, False, 0
    shown = _folded(ranked, groups) if fold else [(score, docnum, []) for score, docnum in ranked]
    facets = _facet_counts(searcher, [docnum for _, docnum in ranked]) if request.facets else {}
    page = _page(searcher, shown[request.offset : wanted], by_key=by_key)
    return page, len(shown), facets, True, len(ranked) - len(shown)


def _score_every_match(
    searcher: Searcher, q: wq.Query, segments: tuple[parallel.Segments, parallel.Segments]
) -> list[tuple[float, int]]:
    """Every match of ``q`` as (score, document number), best first and equal scores in document
    order: what Whoosh's ``search(q, limit=None)`` ranks, by its own collector, segment by
    segment. ``segments`` as ``parallel.split`` gives them: a forked process collects the second
    part."""
    here, there = segments
    with parallel.elsewhere((lambda: _collected(searcher, q, there)) if there else None) as away:
        found = _collected(searcher, q, here)
        theirs = away.result() if away is not None else None
    found += theirs if theirs is not None else _collected(searcher, q, there)
    found.sort(key=lambda hit: (0 - hit[0], hit[1]))  # as Whoosh's collector sorts them
    return found


class _SegmentsCollector(collectors.UnlimitedCollector):  # type: ignore[misc]
    """Whoosh's collector of every match, over some of the searcher's segments only."""

    def __init__(self, segments: parallel.Segments) -> None:
        super().__init__()
        self.segments = segments

    def run(self) -> None:
        try:
            for sub, offset in self.segments:
                self.set_subsearcher(sub, offset)
                self.collect_matches()
        finally:
            self.finish()


def _collected(searcher: Searcher, q: wq.Query, segments: parallel.Segments) -> list[tuple[float, int]]:
    if not segments:
        return []
    collector = _SegmentsCollector(segments)
    searcher.search_with_collector(q, collector)
    return list(collector.items)


def _copy_groups(reader: Any, offset: int) -> Callable[[int], bytes]:
    """A document's copy group (``topk.top``), in one segment: its reader and first number."""
    column = column_of(reader, "copygroup")
    return lambda docnum: bytes(column[docnum - offset])


def _page_end(ranked: list[tuple[float, int]], groups: dict[int, bytes], wanted: int) -> int:
    """How far down the matches a folded page of ``wanted`` results reaches: to the first match
    of its last group, so that ties are put in order of key that far (``_ties_by_key``)."""
    seen: set[bytes | int] = set()
    for n, (_, docnum) in enumerate(ranked):
        seen.add(groups[docnum] or docnum)
        if len(seen) >= wanted:
            return n + 1
    return len(ranked)


def _groups(searcher: Searcher, ranked: list[tuple[float, int]]) -> dict[int, bytes]:
    """The copy group of each of these documents (b"" for none)."""
    groups: dict[int, bytes] = {}
    for reader, start, docnums in _by_segment(searcher, [docnum for _, docnum in ranked]):
        column = column_of(reader, "copygroup")
        groups.update((start + docnum, column[docnum]) for docnum in docnums)
    return groups


# A shown result: its score, its document and its copies' (score, document), in order.
Shown = tuple[float, int, list[tuple[float, int]]]


def _folded(ranked: list[tuple[float, int]], groups: dict[int, bytes]) -> list[Shown]:
    """The matches with each copy group's first one shown and its other matches under it
    (README, "Wire copies folded"), all of them, in the order of ``ranked``; ``groups``: each
    document's group (``_groups``)."""
    shown: list[Shown] = []
    first: dict[bytes, list[tuple[float, int]]] = {}
    for hit in ranked:
        group = groups[hit[1]]
        copies = first.get(group) if group else None
        if copies is None:
            shown.append((hit[0], hit[1], []))
            if group:
                first[group] = shown[-1][2]
        else:
            copies.append(hit)
    return shown


def _copies_by_key(searcher: Searcher, copies: list[tuple[float, int]]) -> list[tuple[float, int]]:
    """A result's copies best first, equal scores in order of key as far as the last one listed,
    as the results are (``_ties_by_key``): the copies listed are the same, in the same order,
    however the index numbers its documents and whichever way the page was found."""
    return _ties_by_key(searcher, sorted(copies, key=lambda hit: -hit[0]), models.COPIES_LISTED)


def _stories(groups: dict[int, bytes], matches: list[int]) -> int:
    """The stories among these matches: their copy groups (``_groups``), an article of none its own."""
    return len({groups[docnum] or docnum for docnum in matches})


def _group_matches(
    searcher: Searcher, matching: wq.Query, shown: list[tuple[int, str | None]], scored: dict[int, float]
) -> dict[int, list[tuple[float, int]]]:
    """For each shown (document, its copy group), the group's other matches as (score,
    document): the groups' documents from their terms, then one pass of the query's matcher to
    each of them that is not already ``scored`` (the top-k's matches, scored by the same matcher)."""
    reader = searcher.reader()
    members: dict[int, int] = {}  # a group's document → the shown document of its group
    for docnum, group in shown:
        if group and ("copygroup", group) in reader:
            for other in reader.postings("copygroup", group).all_ids():
                if other != docnum and not reader.is_deleted(other):
                    members[other] = docnum
    found: dict[int, list[tuple[float, int]]] = {}
    for other in [other for other in members if other in scored]:
        found.setdefault(members.pop(other), []).append((scored[other], other))
    m = matching.matcher(searcher, searcher.context()) if members else None
    for other in sorted(members):
        if m is None or not m.is_active():
            break
        if m.id() < other:
            m.skip_to(other)
        if m.is_active() and m.id() == other:
            found.setdefault(members[other], []).append((m.score(), other))
    return found


def _page(
    searcher: Searcher,
    shown: list[Shown],
    matching: wq.Query | None = None,
    scored: dict[int, float] | None = None,
    *,
    by_key: bool = True,
) -> list[tuple[float, dict[str, Any]]]:
    """The page's stored fields, each with its first ``COPIES_LISTED`` copies' under ``COPIES``
    when it has some: ``by_key``, in order of score and key (``_copies_by_key``), else in the
    order given. With ``matching`` (past the exact count, where only the page's best were looked
    at), each result's copies are its group's matches, looked up (``_group_matches``) where not
    ``scored`` already."""
    stored = [searcher.stored_fields(docnum) for _, docnum, _ in shown]
    if matching is not None:
        groups = [(docnum, s.get("copygroup")) for (_, docnum, _), s in zip(shown, stored, strict=True)]
        found = _group_matches(searcher, matching, groups, scored or {})
        shown = [(score, docnum, found.get(docnum, [])) for score, docnum, _ in shown]
    page = []
    for (score, _, copies), fields in zip(shown, stored, strict=True):
        if copies:
            listed = (_copies_by_key(searcher, copies) if by_key else copies)[: models.COPIES_LISTED]
            fields[COPIES] = [searcher.stored_fields(copy) for _, copy in listed]
        page.append((score, fields))
    return page


def _ties_by_key(searcher: Searcher, ranked: list[tuple[float, int]], wanted: int) -> list[tuple[float, int]]:
    """Matches best first, with equal scores in the order of their key up to the last one
    shown. Whoosh orders equal scores by internal document number, which a rebuild or a
    parallel run changes; BM25 gives equal scores to equal texts, and a page must come back in
    the same order every time. Only the matches down to the last that ties with the page's last
    one are reordered: a key costs a lookup."""
    if not ranked or wanted <= 0:
        return ranked
    end = min(wanted, len(ranked))
    while end < len(ranked) and ranked[end][0] == ranked[end - 1][0]:
        end += 1
    head = ranked[:end]
    keys: dict[int, bytes] = {}  # UTF-8 bytes sort as the text does
    for reader, start, docnums in _by_segment(searcher, [docnum for _, docnum in head]):
        column = column_of(reader, "key")
        keys.update((start + docnum, column[docnum]) for docnum in docnums)
    return sorted(head, key=lambda hit: (-hit[0], keys[hit[1]])) + ranked[end:]


def _by_segment(searcher: Searcher, docnums: list[int]) -> list[tuple[Any, int, list[int]]]:
    """The documents grouped by segment: (segment's reader, its first document number, the
    documents' numbers within it). Columns are read segment by segment, raw (``translate=False``,
    the UTF-8 bytes Whoosh keeps; decoding each value costs 4 times the lookup): Whoosh's column
    reader over all segments failed with an IndexError after an update
    (tests/test_cli.py::test_index_drops_a_deleted_file)."""
    leaves = searcher.leaf_searchers()
    starts = [offset for _, offset in leaves]
    grouped: list[list[int]] = [[] for _ in leaves]
    for docnum in docnums:
        n = bisect_right(starts, docnum) - 1
        grouped[n].append(docnum - starts[n])
    return [(leaf.reader(), start, found) for (leaf, start), found in zip(leaves, grouped, strict=True) if found]


def column_of(reader: Any, name: str) -> Any:
    """A segment's column, raw (UTF-8 bytes), opened once for the life of the segment's reader:
    opening one reads an offset and a length for every document of the segment (20 ms for the
    three at 1,000,000 articles), which a resident searcher's kept reader does once, for every
    command it answers."""
    opened: dict[str, Any] = reader.__dict__.setdefault("_newssearch_columns", {})
    if name not in opened:
        opened[name] = reader.column_reader(name, translate=False)
    return opened[name]


# Counted over every match of a query, not only the page shown; documents without a source or
# a date are not counted under either.
_FACET_FIELDS = {"source": "source_name", "month": "month"}
# The columns a search reads: the key (ties) and the facets' fields.
COLUMNS = ("key", "copygroup", *_FACET_FIELDS.values())
_BY_KEY = sorting.FieldFacet("key")


def _facet_counts(searcher: Searcher, docnums: list[int]) -> dict[str, dict[str, int]]:
    """Counts of these documents by source (most first, then by name) and by month (in date
    order)."""
    segments = _by_segment(searcher, docnums)
    counts = {}
    for name, fieldname in _FACET_FIELDS.items():
        counted: Counter[bytes] = Counter()
        for reader, _, found in segments:
            column = column_of(reader, fieldname)
            counted.update([column[docnum] for docnum in found])
        counts[name] = {k.decode("utf-8"): n for k, n in counted.items() if k}
    return {
        "source": dict(sorted(counts["source"].items(), key=lambda item: (-item[1], item[0]))),
        "month": dict(sorted(counts["month"].items())),
    }


def _matches(searcher: Searcher, q: wq.Query, *, facets: bool = False) -> tuple[int, dict[str, dict[str, int]]]:
    """How many documents ``q`` matches (walked without scoring them), and with ``facets``
    their counts by source and month."""
    docnums = list(searcher.docs_for_query(q))
    return len(docnums), _facet_counts(searcher, docnums) if facets else {}


def terms_by_part(terms: Terms) -> Terms:
    """Highlight terms by part of an article (title, section, caption, body)."""
    return models.terms_by_part(terms, ARTICLE_FIELDS, PASSAGE_FIELDS)
