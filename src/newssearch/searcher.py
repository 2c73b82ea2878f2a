"""Run a request against the index and return plain data, detached from Whoosh.

Everything a result needs (stored article, snippets, highlights) is copied inside the
``with ix.searcher()`` block; a Whoosh ``Hit`` dies with its searcher.
"""

from __future__ import annotations

import json
from bisect import bisect_right
from collections import Counter
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import Any

from whoosh import query as wq
from whoosh import sorting
from whoosh.searching import Searcher

from newssearch import feedback, query, snippets
from newssearch.documents import article_from_json
from newssearch.errors import ArticleNotFoundError, UsageError
from newssearch.highlight import Terms
from newssearch.models import Article, Hit, IndexStats, PassageHit, SearchResult
from newssearch.schema import (
    ARTICLE_FIELDS,
    KIND_ARTICLE,
    KIND_PASSAGE,
    PASSAGE_FIELDS,
    SPELLING_FIELD,
    UNSTEMMED,
)
from newssearch.store import committed_at, manifest_totals, open_searcher, read_manifest

_PART_OF_FIELD = {real: part for mapping in (ARTICLE_FIELDS, PASSAGE_FIELDS) for part, real in mapping.items()}


@dataclass(frozen=True)
class SearchRequest:
    text: str
    limit: int = 10
    offset: int = 0
    any_words: bool = False
    passages: bool = False
    source: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    field: str | None = None  # --in: title | section | caption | body
    sort: str = "relevance"  # relevance | date
    facets: bool = True  # count all matches by source and month (--jsonl prints no counts)


def search(index_dir: Path, request: SearchRequest) -> SearchResult:
    parsed = query.parse_query(
        request.text, passages=request.passages, any_words=request.any_words, field=request.field
    )
    with open_searcher(index_dir) as (searcher, meta):
        if not parsed.findable:  # only words that are not indexed: nothing to look for
            if request.source is not None:
                _source_filter(request.source)  # a bad --source is a usage error here too
            facets = _facet_counts(searcher, []) if request.facets else {}
            return SearchResult(
                query=parsed.text,
                total=0,
                relaxed=False,
                suggestion=None,
                results=[],
                facets=facets,
                notes=list(parsed.notes),
            )
        reader = searcher.reader()
        relaxed = False
        q = query.expand(parsed.strict, reader)
        ranked = q
        if request.any_words and not request.passages and feedback.applies(parsed.strict):
            ranked = feedback.with_feedback(searcher, q, _within(q, request))
        page, total, facets = _run(searcher, _within(ranked, request), request)
        if total == 0 and parsed.relaxed is not None:
            q = query.expand(parsed.relaxed, reader)
            page, total, facets = _run(searcher, _within(q, request), request)
            relaxed = total > 0
        note = _filter_note(searcher, q, request) if total == 0 else None
        terms = _terms_by_part(query.highlight_terms(q))
        where = _Locator(meta.get("corpus"))
        start = request.offset + 1
        results: list[Any]
        if request.passages:
            results = [_passage_hit(start + n, score, stored, terms, where) for n, (score, stored) in enumerate(page)]
        else:
            results = [_article_hit(start + n, score, stored, terms, where) for n, (score, stored) in enumerate(page)]
        suggestion = query.suggest(parsed.text, searcher)
    return SearchResult(
        query=parsed.text,
        total=total,
        relaxed=relaxed,
        suggestion=suggestion,
        results=results,
        facets=facets,
        filter_note=note,
        notes=list(parsed.notes),
    )


class _Locator:
    """Paths as a user can open them and pass to another command: relative to the working
    directory when the corpus is below it (``corpus/000_….txt``; ``./-notes.md`` for a name that
    starts with ``-``), absolute otherwise."""

    def __init__(self, corpus: str | None) -> None:
        self.root = Path(corpus) if corpus else None
        self.cwd = Path.cwd()

    def __call__(self, relpath: str) -> str:
        if self.root is None:
            return relpath
        full = self.root / relpath
        try:
            shown = full.relative_to(self.cwd).as_posix()
        except ValueError:
            return str(full)
        # A name that starts with "-" would be read as an option by the command it is given to.
        return f"./{shown}" if shown.startswith("-") else shown


def _kind(request: SearchRequest) -> wq.Query:
    return wq.Term("kind", KIND_PASSAGE if request.passages else KIND_ARTICLE)


def _source_filter(source: str) -> wq.Query:
    """``--source``: the source's words in order, case and accents folded (``bbc`` finds
    "BBC News")."""
    words = [t.text for t in UNSTEMMED(source)]
    if not words:
        raise UsageError(f"--source {source!r} has no words to match — give a source's name, e.g. --source reuters")
    return wq.Phrase("source", words) if len(words) > 1 else wq.Term("source", words[0])


def _within(q: wq.Query, request: SearchRequest) -> wq.Query:
    """``q`` limited to the request's kind of document (articles or passages) and its filters.
    ``Require`` scores only its first part; filters passed as ``filter=`` would build a Python
    set of every matching document per query.

    The kind is left out when ``q`` can only match that kind anyway (its words are all in
    fields that only that kind has): intersecting with every article costs more than the rest
    of a selective query (``oil prices`` at 100,000 articles: 185 ms with it, 75 without)."""
    parts: list[wq.Query] = [] if query.one_kind(q, passages=request.passages) else [_kind(request)]
    if request.source is not None:
        parts.append(_source_filter(request.source))
    if request.since or request.until:
        parts.append(_date_filter(request))
    if not parts:
        return q
    return wq.Require(q, parts[0] if len(parts) == 1 else wq.And(parts))


def _date_filter(request: SearchRequest) -> wq.Query:
    return wq.DateRange("date", request.since, request.until)


def _filter_note(searcher: Searcher, q: wq.Query, request: SearchRequest) -> str | None:
    """Why filters left nothing: the filter that matches no article at all (and what there is
    instead), or how many articles match without the filters."""
    if request.source is None and not request.since and not request.until:
        return None
    noun = "passage" if request.passages else "article"
    kind = _kind(request)
    if request.source is not None and not _matches(searcher, wq.Require(kind, _source_filter(request.source)))[0]:
        sources = ", ".join(list(_matches(searcher, kind, facets=True)[1]["source"])[:8])  # most articles first
        there = f"the sources are: {sources}" if sources else f"no {noun} has a source"
        return f"no {noun} has the source {request.source!r} — {there}"
    if (request.since or request.until) and not _matches(searcher, wq.Require(kind, _date_filter(request)))[0]:
        months = list(_matches(searcher, kind, facets=True)[1]["month"])  # in date order
        there = f"dated {noun}s run from {months[0]} to {months[-1]}" if months else f"no {noun} has a date"
        return f"no {noun} is dated {_date_span(request)} — {there}"
    unfiltered = _matches(searcher, wq.Require(q, kind))[0]
    if not unfiltered:
        return None
    matches = f"1 {noun} matches" if unfiltered == 1 else f"{unfiltered:,} {noun}s match"
    return f"{matches} without --source/--since/--until"


def _date_span(request: SearchRequest) -> str:
    since = f"on or after {request.since:%Y-%m-%d}" if request.since else None
    until = f"on or before {request.until:%Y-%m-%d}" if request.until else None
    return " and ".join(part for part in (since, until) if part)


def _run(
    searcher: Searcher, matching: wq.Query, request: SearchRequest
) -> tuple[list[tuple[float, dict[str, Any]]], int, dict[str, dict[str, int]]]:
    """The requested page as (score, stored fields), the total number of matches, and the
    facet counts of all matches, from one walk through the matches.

    Every match is scored. Whoosh's top-N search, which skips the postings that cannot reach
    the page, returns wrong pages in whoosh-reloaded 2.7.5 (three faults in how it bounds the
    scores of ORs and filters; benchmarks/README.md), and scoring is what the total and the
    facets need the walk for anyway."""
    wanted = request.offset + request.limit
    if request.sort == "date":
        # With ``sortedby``, a hit's "score" is its sort key, whose score part is negated.
        keys = sorting.MultiFacet([sorting.FieldFacet("date", reverse=True), sorting.ScoreFacet(), _BY_KEY])
        found = searcher.search(matching, limit=None, sortedby=keys, terms=False)
        ranked = [(-key[1], docnum) for key, docnum in found.top_n]
    else:
        found = searcher.search(matching, limit=None, terms=False)
        ranked = _ties_by_key(searcher, found.top_n, wanted)
    page = [(score, searcher.stored_fields(docnum)) for score, docnum in ranked[request.offset : wanted]]
    facets = _facet_counts(searcher, [docnum for _, docnum in ranked]) if request.facets else {}
    return page, len(ranked), facets


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
        column = reader.column_reader("key", translate=False)
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


# Counted over every match of a query, not only the page shown; documents without a source or
# a date are not counted under either.
_FACET_FIELDS = {"source": "source_name", "month": "month"}
_BY_KEY = sorting.FieldFacet("key")


def _facet_counts(searcher: Searcher, docnums: list[int]) -> dict[str, dict[str, int]]:
    """Counts of these documents by source (most first, then by name) and by month (in date
    order)."""
    segments = _by_segment(searcher, docnums)
    counts = {}
    for name, fieldname in _FACET_FIELDS.items():
        counted: Counter[bytes] = Counter()
        for reader, _, found in segments:
            column = reader.column_reader(fieldname, translate=False)
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


def _terms_by_part(terms: Terms) -> Terms:
    """Highlight terms by part of an article (title, section, caption, body)."""
    parts: Terms = {}
    for field, texts in terms.items():
        part = _PART_OF_FIELD.get(field)
        if part:
            parts.setdefault(part, set()).update(texts)
    return parts


def _article_hit(rank: int, score: float, stored: dict[str, Any], terms: Terms, where: _Locator) -> Hit:
    article = article_from_json(stored["data"])
    return Hit(
        rank=rank,
        id=article.id,
        score=round(score, 4),
        title=article.title,
        path=where(article.path),
        line=article.line,
        doc_id=article.doc_id,
        date=article.date,
        source=article.source,
        matches=snippets.article_matches(article, terms),
    )


def _passage_hit(rank: int, score: float, stored: dict[str, Any], terms: Terms, where: _Locator) -> PassageHit:
    data = json.loads(stored["data"])
    text, spans, line = snippets.passage_match(data, terms)
    return PassageHit(
        rank=rank,
        id=data["id"],
        score=round(score, 4),
        title=data["title"],
        kind=data["kind"],
        section=data["section"],
        path=where(data["path"]),
        line=line,
        text=text,
        highlights=spans,
    )


def show(
    index_dir: Path, article_id: str, highlight_text: str | None = None
) -> tuple[Article, snippets.ArticleHighlights | None]:
    """The article with this id (or the one id that starts with it), with its path as a user
    can open it, and the offsets of ``highlight_text``'s words in it when that is given."""
    parsed = query.parse_query(highlight_text) if highlight_text else None
    with open_searcher(index_dir) as (searcher, meta):
        stored = searcher.document(key=article_id, kind=KIND_ARTICLE)
        if stored is None and article_id:
            q = wq.And([wq.Prefix("key", article_id), wq.Term("kind", KIND_ARTICLE)])
            found = [dict(hit.fields()) for hit in searcher.search(q, limit=6)]
            if len(found) > 1:
                ids = ", ".join(sorted(d["key"] for d in found)[:5])
                raise ArticleNotFoundError(
                    f"the id {article_id!r} is ambiguous: {ids}{' …' if len(found) > 5 else ''} — give more of it"
                )
            stored = found[0] if found else None
        if stored is None:
            raise ArticleNotFoundError(
                f"no article with id {article_id!r} — ids are in the output of `newssearch query … --json`"
            )
        article = article_from_json(stored["data"])
        where = _Locator(meta.get("corpus"))
        marks = None
        if parsed:
            terms = _terms_by_part(query.highlight_terms(query.expand(parsed.strict, searcher.reader())))
            marks = snippets.article_highlights(article, terms)
    return replace(article, path=where(article.path)), marks


def stats(index_dir: Path) -> IndexStats:
    from newssearch import integrity  # only stats reads the files' sizes: not every query

    with open_searcher(index_dir) as (searcher, _):
        articles, sections, captions, files = manifest_totals(read_manifest(searcher).values())
        terms = sum(1 for _ in searcher.reader().lexicon(SPELLING_FIELD))
        updated = committed_at(index_dir, searcher.reader().generation())
    return IndexStats(
        articles=articles,
        sections=sections,
        captions=captions,
        files=files,
        terms=terms,
        bytes=integrity.live_size(index_dir),
        updated=updated,
    )
