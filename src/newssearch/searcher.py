"""``query``, ``show`` and ``stats`` through any engine: a request in, plain data out.

The engine finds the page; this module makes what a user reads of it: snippets and highlights
(with the engine's analyzer, ``snippets``) and paths a user can open.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from newssearch import snippets
from newssearch.engines import engine_at
from newssearch.models import (
    Article,
    Copy,
    EmptyFilter,
    Hit,
    Passage,
    PassageHit,
    SearchRequest,
    SearchResult,
    SimilarResult,
    Terms,
    Token,
)
from newssearch.querytext import ParsedQuery, parse_query

if TYPE_CHECKING:  # for annotations: a query does not load them
    from newssearch.engine import Engine, Reader
    from newssearch.manifest import IndexStats
    from newssearch.models import Page


def search(index: str | Path | Engine, request: SearchRequest) -> SearchResult:
    parsed = parse_query(request.text, passages=request.passages, any_words=request.any_words, field=request.field)
    with engine_at(index).reader() as reader:
        parsed = _respelled(parsed, reader, request.respell)
        page = reader.search(request, parsed)
        where = _Locator(reader.corpus)
        start = request.offset + 1
        copies = page.copies or [[] for _ in page.hits]
        results: list[Any] = [
            _passage_hit(start + n, score, found, page.terms, where, reader)
            if isinstance(found, Passage)
            else _article_hit(start + n, score, found, page.terms, where, reader, request.snippets, copies[n])
            for n, (score, found) in enumerate(page.hits)
        ]
        if request.explain:
            explained = page.explanations or [[] for _ in results]
            results = [replace(hit, explanation=why) for hit, why in zip(results, explained, strict=True)]
    return SearchResult(
        query=parsed.text,
        total=page.total,
        total_exact=page.total_exact,
        relaxed=page.relaxed,
        # A word's other spellings, searched, found what "did you mean" would suggest.
        suggestion=None if parsed.variants and page.total else page.suggestion,
        results=results,
        facets=page.facets,
        filter_note=_filter_note(page.empty_filter, request),
        notes=_notes(parsed, page),
        variants=_variants(parsed),
        folded=page.folded,
    )


def search_unseen(
    index: str | Path | Engine, request: SearchRequest, seen: dict[str, str], shown_at_most: int
) -> tuple[SearchResult, dict[str, str], int]:
    """An alert's run (README, "newssearch alert"): of the request's best ``EXACT_UP_TO``
    matches, in its order, those ``seen`` does not have as they are now (``seen``: article id →
    ``content_digest`` when it was shown). The first ``shown_at_most`` of them as a result (its
    ``total``: how many are new), their digests, and how many more new ones there are. A query
    that matches nothing as written matches nothing here: an alert is never relaxed to any
    word."""
    from newssearch.models import EXACT_UP_TO

    parsed = parse_query(request.text, any_words=request.any_words, field=request.field)
    wide = replace(request, limit=EXACT_UP_TO, offset=0, passages=False, snippets=False, facets=False)
    with engine_at(index).reader() as reader:
        parsed = _respelled(parsed, reader, request.respell)
        page = reader.search(wide, parsed)
        copies = page.copies or [[] for _ in page.hits]
        found = (
            []
            if page.relaxed
            else [(s, a, c) for (s, a), c in zip(page.hits, copies, strict=True) if isinstance(a, Article)]
        )
        # A story is new when none of its copies was shown as it is now: a wire copy of a story
        # shown before is not news (README, "Wire copies folded"). (A digest is made only of
        # what was shown before: an alert's first run of 10,000 matches makes none.)
        new = [(s, a, c) for s, a, c in found if not any(_shown_as_is(m, seen) for m in (a, *c))]
        where = _Locator(reader.corpus)
        shown = new[:shown_at_most]
        results = [
            _article_hit(n, score, a, page.terms, where, reader, True, c) for n, (score, a, c) in enumerate(shown, 1)
        ]
    result = SearchResult(
        query=parsed.text,
        total=len(new),
        total_exact=True,
        relaxed=False,
        suggestion=None,
        results=results,
        notes=_notes(parsed, page),
        variants=_variants(parsed),
    )
    return result, {m.id: content_digest(m) for _, a, c in shown for m in (a, *c)}, len(new) - len(shown)


# ``similar``: an article is searched by this many of its words, and another is a copy of it
# when this share of their words (by Jaccard's measure) is the same.
SIMILAR_WORDS = 25
COPY_SHARE = 0.8


def similar(index: str | Path | Engine, article_id: str, limit: int = 10) -> SimilarResult:
    """Stories like the article with this id (README, "newssearch similar"): its most telling
    words (``_telling_words``), searched for as ``query --any`` searches them, one result a story
    (README, "Wire copies folded"), less the article itself and its copies — its copy group, and
    articles that share ``COPY_SHARE`` of their words with it."""
    with engine_at(index).reader() as reader:
        article = reader.article(article_id)
        grouped = [a.id for a in reader.copies(article.id)]
        analyzed = _analyzed(article, reader)
        words = _telling_words(analyzed, reader)
        mine = {token.text for _, _, token in analyzed}
        if not words:
            return SimilarResult(article.id, article.title, [], [], [])
        parsed = parse_query(" ".join(words), any_words=True)
        # Room for copies: a wire story may have a few dozen.
        request = SearchRequest(" ".join(words), limit=limit + 50, any_words=True, feedback=False, facets=False)
        page = reader.search(request, parsed)
        where = _Locator(reader.corpus)
        results: list[Hit] = []
        copies: list[str] = list(grouped)
        folded = page.copies or [[] for _ in page.hits]
        for (score, found), its_copies in zip(page.hits, folded, strict=True):
            if not isinstance(found, Article) or found.id == article.id or found.id in grouped:
                continue
            if _jaccard(mine, {token.text for _, _, token in _analyzed(found, reader)}) >= COPY_SHARE:
                copies.append(found.id)
            elif len(results) < limit:
                rank = len(results) + 1
                results.append(_article_hit(rank, score, found, page.terms, where, reader, True, its_copies))
    return SimilarResult(article.id, article.title, words, copies, results)


def _analyzed(article: Article, reader: Reader) -> list[tuple[int, str, Token]]:
    """The words of the article's title (text 0), headings, captions and body as the index reads
    them: (which text, the text, the word)."""
    texts = [
        article.title,
        *(s.heading for s in article.sections if s.heading),
        *(c.text for c in article.captions),
        article.body,
    ]
    return [(n, text, token) for n, text in enumerate(texts) for token in reader.analyze(text)]


def _telling_words(analyzed: list[tuple[int, str, Token]], reader: Reader) -> list[str]:
    """An article's ``SIMILAR_WORDS`` most telling words as written (lower case), one for each
    analyzed word: of its most frequent ones (a title's count double; numbers and words under
    three letters left out), those with the highest count times idf (Lucene's ``1 + log(N /
    (n + 1))``, n counted by a search for the word); in an archive of 100 articles or more, a word
    in more than half of them says nothing."""
    import math

    counts: dict[str, int] = {}
    written: dict[str, str] = {}
    for n, text, token in analyzed:
        if len(token.text) < 3 or token.text.isdigit():
            continue
        counts[token.text] = counts.get(token.text, 0) + (2 if n == 0 else 1)
        written.setdefault(token.text, text[token.start : token.end].lower())
    frequent = sorted(counts, key=lambda word: -counts[word])[: SIMILAR_WORDS * 2]  # first seen first among equals
    articles = sum(entry.articles for entry in reader.manifest().values()) or 1
    weight = {}
    for word in frequent:
        having = reader.search(SearchRequest(written[word], limit=0, facets=False), parse_query(written[word])).total
        if having and (articles < 100 or having <= articles / 2):
            weight[word] = counts[word] * (1 + math.log(articles / (having + 1)))
    return [written[word] for word in sorted(weight, key=lambda word: -weight[word])[:SIMILAR_WORDS]]


def _jaccard(a: set[str], b: set[str]) -> float:
    return len(a & b) / len(a | b) if a or b else 1.0


def content_digest(article: Article) -> str:
    """What an article says — title, metadata, captions, headings, paragraphs — as a digest: an
    edit changes it, lines moving in its file or a rebuild do not."""
    import hashlib
    import json

    said = [
        article.title,
        article.doc_id,
        article.date,
        article.source,
        article.url,
        list(article.tags),
        [c.text for c in article.captions],
        [[s.heading, [p.text for p in s.paragraphs]] for s in article.sections],
    ]
    return hashlib.sha1(json.dumps(said, ensure_ascii=False).encode()).hexdigest()[:16]


NOTED_PROBLEMS = 3  # lines of the names files that could not be read, named in a query's notes


def _respelled(parsed: ParsedQuery, reader: Reader, wanted: bool = True) -> ParsedQuery:
    """The query with names searched in every spelling the index has (README, "Names in every
    spelling"), unless not ``wanted`` (the words as written)."""
    if not wanted:
        return parsed
    from newssearch.names import respell

    variants, problems = respell(parsed.tree(), reader)
    notes = tuple(f"left out of the names table: {problem}" for problem in problems[:NOTED_PROBLEMS])
    if len(problems) > NOTED_PROBLEMS:
        notes += (f"and {len(problems) - NOTED_PROBLEMS:,} more lines of it — fix the file or remove it",)
    respelled = parsed.respelled(variants)
    return replace(respelled, notes=(*respelled.notes, *notes), _trees=respelled._trees) if notes else respelled


def _shown_as_is(article: Article, seen: dict[str, str]) -> bool:
    return article.id in seen and seen[article.id] == content_digest(article)


def _variants(parsed: ParsedQuery) -> dict[str, list[str]]:
    """The other spellings searched, by word as written (``SearchResult.variants``)."""
    return {written: list(spellings) for written, spellings in parsed.variants}


def _notes(parsed: ParsedQuery, page: Page) -> list[str]:
    """How the query was read; for a query with no word to search for, why, and only that."""
    return list(parsed.notes) if page.searchable else [_too_common(parsed.text)]


def _too_common(text: str) -> str:
    return (
        f"every word of {text!r} is too common (or too short) to be indexed, so nothing can match it — "
        f"add a more specific word"
    )


def _filter_note(empty: EmptyFilter | None, request: SearchRequest) -> str | None:
    """Why the filters left nothing: the filter that matches no article at all (and what there
    is instead), or how many articles match without the filters."""
    if empty is None:
        return None
    noun = "passage" if request.passages else "article"
    if empty.filter == "source":
        there = f"the sources are: {', '.join(empty.there[:8])}" if empty.there else f"no {noun} has a source"
        return f"no {noun} has the source {request.source!r} — {there}"
    if empty.filter == "date":
        there = (
            f"dated {noun}s run from {empty.there[0]} to {empty.there[-1]}" if empty.there else f"no {noun} has a date"
        )
        return f"no {noun} is dated {_date_span(request)} — {there}"
    if not empty.unfiltered:
        return None
    matches = f"1 {noun} matches" if empty.unfiltered == 1 else f"{empty.unfiltered:,} {noun}s match"
    return f"{matches} without --source/--since/--until"


def _date_span(request: SearchRequest) -> str:
    since = f"on or after {request.since:%Y-%m-%d}" if request.since else None
    until = f"on or before {request.until:%Y-%m-%d}" if request.until else None
    return " and ".join(part for part in (since, until) if part)


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


def _article_hit(
    rank: int,
    score: float,
    article: Article,
    terms: Terms,
    where: _Locator,
    reader: Reader,
    with_snippets: bool,
    copies: Sequence[Article] = (),
) -> Hit:
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
        matches=snippets.article_matches(article, terms, reader.analyze) if with_snippets else [],
        copies=[_copy(a, where) for a in copies],
    )


def _copy(article: Article, where: _Locator) -> Copy:
    return Copy(
        article.id, article.doc_id, article.title, article.source, article.date, where(article.path), article.line
    )


def _passage_hit(
    rank: int, score: float, passage: Passage, terms: Terms, where: _Locator, reader: Reader
) -> PassageHit:
    text, spans, line = snippets.passage_match(passage, terms, reader.analyze)
    return PassageHit(
        rank=rank,
        id=passage.id,
        score=round(score, 4),
        title=passage.title,
        kind=passage.kind,
        section=passage.section,
        path=where(passage.path),
        line=line,
        text=text,
        highlights=spans,
    )


def show(
    index: str | Path | Engine, article_id: str, highlight_text: str | None = None
) -> tuple[Article, snippets.ArticleHighlights | None, list[Copy]]:
    """The article with this id (or the one id that starts with it), with its path as a user
    can open it, the offsets of ``highlight_text``'s words in it when that is given, and its
    copies (README, "Wire copies folded")."""
    parsed = parse_query(highlight_text) if highlight_text else None
    with engine_at(index).reader() as reader:
        article = reader.article(article_id)
        where = _Locator(reader.corpus)
        marks = None
        if parsed:
            parsed = _respelled(parsed, reader)
            marks = snippets.article_highlights(article, reader.highlight_terms(parsed), reader.analyze)
        copies = [_copy(a, where) for a in reader.copies(article.id)]
    return replace(article, path=where(article.path)), marks, copies


def stats(index: str | Path | Engine) -> IndexStats:
    with engine_at(index).reader() as reader:
        return reader.stats()
