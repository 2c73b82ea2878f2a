"""The query tree (``querytree``) → Whoosh query: the engine's half of reading a query (README,
"Query syntax"), relaxation, prefix/fuzzy expansion, highlight terms and spelling suggestions.

Fields are stemmed, so ``prefix*`` and ``fuzzy~`` are matched against the unstemmed word list
(``words``) and replaced by the stems of the words they match: ``crossin*`` finds "crossing".
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from whoosh import matching, qparser
from whoosh import query as wq
from whoosh.qparser import syntax
from whoosh.query.spans import SpanNear2
from whoosh.reading import IndexReader
from whoosh.searching import Searcher

from newssearch import querytree, spelling
from newssearch.engines.whoosh import ranking
from newssearch.engines.whoosh.schema import (
    ARTICLE_FIELDS,
    PASSAGE_FIELDS,
    SPELLING_FIELD,
    STEMMED,
    UNSTEMMED,
    build_schema,
)
from newssearch.errors import QuerySyntaxError
from newssearch.models import Terms
from newssearch.querytext import BINARY_OPERATORS, ONLY_EXCLUDES, WORD, ParsedQuery, writes_exclusion

# The most index words a single prefix*/fuzzy~ may expand to.
MAX_EXPANSION = 1024


@dataclass(frozen=True)
class WhooshQuery:
    """``strict`` is ``NullQuery`` when nothing in the text can be found (only stop words)."""

    strict: wq.Query  # all words required (or --any's ranked OR)
    relaxed: wq.Query | None  # any word, when that is a different query

    @property
    def findable(self) -> bool:
        return self.strict is not wq.NullQuery


def to_whoosh(parsed: ParsedQuery) -> WhooshQuery:
    """The Whoosh query of checked query text."""
    weights = ranking.weights(passages=parsed.passages, question=parsed.any_words)
    group = "any" if parsed.any_words else "all"
    try:
        strict = _parse(parsed.tree(), parsed.text, weights, group=group, field=parsed.field, passages=parsed.passages)
    except _NothingFindable:
        return WhooshQuery(strict=wq.NullQuery, relaxed=None)
    relaxed = None
    if not parsed.any_words:
        loose = _parse(
            parsed.tree(any_words=True), parsed.text, weights, group="any", field=parsed.field, passages=parsed.passages
        )
        if loose != strict:
            relaxed = loose
    return WhooshQuery(strict=strict, relaxed=relaxed)


class _NothingFindable(Exception):
    """Every word of the query is one that is not indexed: it can only match nothing."""


class _Parser(qparser.QueryParser):  # type: ignore[misc]
    """Whoosh's parser with prefix, wildcard and fuzzy terms kept unstemmed, to be expanded
    over the unstemmed word list by ``expand``."""

    def term_query(self, fieldname, text, termclass, boost=1.0, tokenize=True, removestops=True):  # type: ignore[no-untyped-def]
        if termclass is not wq.Term and fieldname in _TEXT_FIELDS:
            words = [t.text for t in UNSTEMMED(text, mode="query", tokenize=False)]
            return termclass(fieldname, words[0] if words else text.lower(), boost=boost)
        return super().term_query(fieldname, text, termclass, boost, tokenize, removestops)


_TEXT_FIELDS = frozenset({*ARTICLE_FIELDS.values(), *PASSAGE_FIELDS.values()})
_SCHEMA = build_schema()


def _parse(
    tree: querytree.Query | None,
    text: str,
    weights: dict[str, float],
    *,
    group: str,
    field: str | None,
    passages: bool,
) -> wq.Query:
    """The Whoosh query of ``tree``, read from ``text`` (``group``: "all" or "any"), checked for
    what it can find."""
    names = PASSAGE_FIELDS if passages else ARTICLE_FIELDS
    # A word without a field is searched in these, each with its weight (or only in --in's).
    defaults = {names[field]: weights.get(names[field], 1.0)} if field is not None else dict(weights)
    parser = _Parser(None, _SCHEMA, group=qparser.OrGroup if group == "any" else qparser.AndGroup)
    try:
        q = _Translation(parser, names, defaults).query(tree) if tree is not None else None
        q = (q if q else wq.NullQuery).normalize()
    except Exception as exc:  # Whoosh raises bare ValueErrors for, e.g., unreadable dates
        if "date:" in text:
            raise QuerySyntaxError(
                "could not read a date in the query — write dates as YYYY, YYYY-MM or YYYY-MM-DD, "
                "e.g. date:[2025-01-01 TO 2025-06-30]"
            ) from exc
        raise QuerySyntaxError("could not read the query — see `newssearch query --help` for the syntax") from exc
    for leaf in _leaves(q):
        error = getattr(leaf, "error", None)
        if error:
            raise QuerySyntaxError(f"could not read part of the query: {error}")
    if isinstance(q, type(wq.NullQuery)):
        words = [w for w in WORD.findall(text) if w not in BINARY_OPERATORS | {"NOT"}]
        if writes_exclusion(text):  # "-egypt" alone parses to nothing
            raise QuerySyntaxError(ONLY_EXCLUDES)
        if words:
            raise _NothingFindable
        raise QuerySyntaxError("the query has nothing to search for — give a word or a phrase")
    q = _exclusions_apart(q.accept(_unordered_proximity))
    if not _finds_something(q):  # "NOT egypt" alone parses to a Not
        raise QuerySyntaxError(ONLY_EXCLUDES)
    return q


class _Translation:
    """The query tree (``querytree``) → a Whoosh query, as Whoosh's own parser would build it
    from the same text: each leaf through Whoosh's syntax node of its kind (which analyzes its
    text with the field's analyzer: stems, stop words, a word that is two tokens); a leaf without
    a field as an OR of it in each default field, weighted, boosted as a whole; groups as
    Whoosh's groups make them (a part that analyzes to nothing drops out)."""

    def __init__(self, parser: qparser.QueryParser, names: dict[str, str], defaults: dict[str, float]) -> None:
        self.parser = parser
        self.names = names  # a query's field names → this mode's fields
        self.defaults = defaults

    def query(self, node: querytree.Query) -> wq.Query | None:
        if isinstance(node, (querytree.And, querytree.Or)):
            subs = [q for q in (self.query(child) for child in node.children) if q is not None]
            return (wq.And if isinstance(node, querytree.And) else wq.Or)(subs, boost=node.boost)
        if isinstance(node, querytree.Not):
            child = self.query(node.child)
            return wq.Not(child) if child else None
        if isinstance(node, (querytree.AndNot, querytree.AndMaybe, querytree.Require)):
            a, b = self.query(node.a), self.query(node.b)
            if a is None or b is None:
                return wq.NullQuery if a is None and b is None else a if b is None else b
            kind = {querytree.AndNot: wq.AndNot, querytree.AndMaybe: wq.AndMaybe, querytree.Require: wq.Require}
            return kind[type(node)](a, b)
        if isinstance(node, querytree.Everything):
            return wq.Every()
        if node.field is not None:
            return self._leaf(node, self.names.get(node.field, node.field), node.boost)
        subs = [q for q in (self._leaf(node, name, weight) for name, weight in self.defaults.items()) if q is not None]
        return wq.Or(subs, boost=node.boost)

    def _leaf(self, leaf: querytree.Leaf, fieldname: str, boost: float) -> wq.Query | None:
        node: Any
        if isinstance(leaf, querytree.Word):
            node = syntax.WordNode(leaf.text)
        elif isinstance(leaf, querytree.Phrase):
            node = qparser.PhrasePlugin.PhraseNode(leaf.text, 0, leaf.slop)
        elif isinstance(leaf, querytree.Prefix):
            node = qparser.PrefixPlugin.PrefixNode(leaf.text)
        elif isinstance(leaf, querytree.Wildcard):
            node = qparser.WildcardPlugin.WildcardNode(leaf.pattern)
        elif isinstance(leaf, querytree.Fuzzy):
            word = syntax.WordNode(leaf.text)
            word.startchar = word.endchar = 0
            node = qparser.FuzzyTermPlugin.FuzzyTermNode(word, leaf.maxdist, leaf.prefix)
        elif isinstance(leaf, querytree.Range):
            node = syntax.RangeNode(leaf.start, leaf.end, leaf.start_excluded, leaf.end_excluded)
        else:
            raise TypeError(f"not a leaf of the query tree: {leaf!r}")
        node.startchar = node.endchar = 0
        node.fieldname = fieldname
        node.boost = boost
        return node.query(self.parser)


def _exclusions_apart(q: wq.Query) -> wq.Query:
    """In an OR of words (``--any``, or a relaxed query), ``NOT egypt`` would match every article
    without "egypt": keep it an exclusion, ``(a OR b) ANDNOT egypt``."""
    if not q.is_leaf():
        q = q.apply(_exclusions_apart)
    if isinstance(q, wq.Or):
        excluded = [c.query for c in q.children() if isinstance(c, wq.Not)]
        kept = [c for c in q.children() if not isinstance(c, wq.Not)]
        if excluded and kept:
            found = kept[0] if len(kept) == 1 else wq.Or(kept, boost=q.boost)
            return wq.AndNot(found, excluded[0] if len(excluded) == 1 else wq.Or(excluded))
    return q


def _finds_something(q: wq.Query) -> bool:
    """Whether the query has a part that finds articles, not only parts that leave them out."""
    if isinstance(q, wq.Not):
        return False
    if isinstance(q, wq.AndNot):
        return _finds_something(q.a)
    if isinstance(q, wq.Or):
        return all(_finds_something(c) for c in q.children())
    if q.is_leaf():
        return True
    return any(_finds_something(c) for c in q.children())


_OWN_FIELDS = {False: frozenset(ARTICLE_FIELDS.values()), True: frozenset(PASSAGE_FIELDS.values())}


def one_kind(q: wq.Query, *, passages: bool = False) -> bool:
    """Whether ``q`` can only match articles (with ``passages``: passages): whether every
    document it matches has a word in a field that only that kind of document has. A shared
    field (``source:``, ``date:``, ``tags:``) or a bare ``NOT`` (which matches whatever lacks a
    word) can match other kinds."""
    return _needs_field(q, _OWN_FIELDS[passages])


def _needs_field(q: wq.Query, fields: frozenset[str]) -> bool:
    if q is wq.NullQuery:
        return True  # matches nothing
    if isinstance(q, (wq.AndNot, wq.AndMaybe, wq.Require)):
        return _needs_field(q.a, fields)  # its matches are some of the first part's
    if isinstance(q, wq.And):
        return any(_needs_field(c, fields) for c in q.children())
    if isinstance(q, wq.Or):
        return all(_needs_field(c, fields) for c in q.children())
    if isinstance(q, (wq.Term, wq.Phrase, wq.Every)):  # Every(None) matches every document
        return q.fieldname in fields
    return False  # a kind of query not looked into here: the filter stays


def _unordered_proximity(q: wq.Query) -> wq.Query:
    """``"a b"~5`` matches the words within 5 positions in either order (Whoosh's own sloppy
    phrase keeps the order: "crossing rafah"~4 would miss "Rafah crossing")."""
    if isinstance(q, wq.Phrase) and q.slop > 1 and len(q.words) > 1:
        near = SpanNear2([wq.Term(q.fieldname, w) for w in q.words], slop=q.slop, ordered=False, mindist=0)
        return near if q.boost == 1 else wq.Or([near], boost=q.boost)
    return q


def _leaves(q: wq.Query) -> Iterator[wq.Query]:
    if q.is_leaf():
        yield q
    else:
        for child in q.children():
            yield from _leaves(child)


def expand(q: wq.Query, reader: IndexReader, _stems: dict[tuple[object, ...], list[str]] | None = None) -> wq.Query:
    """Replace prefix, wildcard and fuzzy terms by the stems of the index words they match."""
    if isinstance(q, wq.Wildcard) and q.text == "*" and q.fieldname in _TEXT_FIELDS:
        return wq.Every(q.fieldname)  # title:* — any article with a title
    found = {} if _stems is None else _stems  # a word is searched in every field: expand it once
    if isinstance(q, (wq.Prefix, wq.Wildcard, wq.FuzzyTerm)) and q.fieldname in _TEXT_FIELDS:
        key = (type(q), q.text, getattr(q, "maxdist", None), getattr(q, "prefixlength", None))
        if key not in found:
            stems: dict[str, None] = {}
            for word in _expansions(q, reader):
                for token in STEMMED(word, mode="query", removestops=False):
                    stems[token.text] = None
            found[key] = sorted(stems)
        terms = [wq.Term(q.fieldname, s, boost=q.boost) for s in found[key]]
        if not terms:
            return wq.NullQuery
        return terms[0] if len(terms) == 1 else wq.Or(terms)
    if q.is_leaf():
        return q
    expanded = q.apply(lambda child: expand(child, reader, found))
    repaired = _REPAIRED.get(type(expanded))
    return repaired(expanded.a, expanded.b) if repaired else expanded


class _AndNotMatcher(matching.AndNotMatcher):  # type: ignore[misc]
    """Whoosh's, except at the start and at the end (whoosh-reloaded 2.7.5). At the start,
    Whoosh's returns the first match of ``a`` without asking ``b`` when ``b``'s first match comes
    before it, so ``rafah ANDNOT (egypt OR israel)`` found an article that says "Egypt". At the
    end, a skip past ``a``'s last match read a document number after it (an IndexError, said
    as a damaged index: ``pipeline -grain --since 2024-04 --sort date``)."""

    def _find_first(self) -> None:
        if self.a.is_active() and self.b.is_active():
            self._find_next()

    def _find_next(self) -> bool:
        if not self.a.is_active():
            return False
        return bool(super()._find_next())


class _AndNot(wq.AndNot):  # type: ignore[misc]
    """``a ANDNOT b`` through ``_AndNotMatcher``; the query is Whoosh's in every other way."""

    def matcher(self, searcher: Searcher, context: Any = None) -> Any:
        matches = self.a.matcher(searcher, context)
        left_out = self.b.matcher(searcher, searcher.boolean_context())
        return _AndNotMatcher(matches, left_out)


class _AndMaybeMatcher(matching.AndMaybeMatcher):  # type: ignore[misc]
    """Whoosh's, except when it skips: Whoosh's moves ``b`` to the document skipped to, not to
    the match of ``a`` it lands on, so that match lost ``b``'s score (whoosh-reloaded 2.7.5;
    only a search that skips, ``topk``, skips this matcher)."""

    def skip_to(self, id: int) -> bool:
        moved = bool(super().skip_to(id))
        a, b = self.a, self.b
        if a.is_active() and b.is_active() and b.id() < a.id():
            moved = bool(b.skip_to(a.id())) or moved
        return moved


class _AndMaybe(wq.AndMaybe):  # type: ignore[misc]
    """``a ANDMAYBE b`` through ``_AndMaybeMatcher``; the query is Whoosh's in every other way."""

    matcherclass = _AndMaybeMatcher


# The binary queries whose Whoosh matchers go wrong, and the ones used instead.
_REPAIRED: dict[type, Any] = {wq.AndNot: _AndNot, wq.AndMaybe: _AndMaybe}


def _expansions(q: wq.Query, reader: IndexReader) -> list[str]:
    """The unstemmed index words a prefix, wildcard or fuzzy term matches (at most MAX_EXPANSION)."""
    if isinstance(q, wq.FuzzyTerm):
        # Whoosh's automaton counts a swapped pair of letters as two edits, so "rafha~" would
        # miss "rafah": the swaps are looked up apart. At one edit, each swap is looked up as a
        # word; at two, each swap is the centre of a one-edit search (a swap and another edit
        # touch different letters, so doing the swap first finds them all), and two swaps are
        # looked up as words. An automaton of one more edit finds the same words at far greater
        # cost: 0.8 s for one word~2 among 2,225 BBC articles, against 0.1 s this way.
        prefix = min(q.prefixlength, len(q.text))
        leaves = [leaf for leaf, _ in reader.leaf_readers()]
        # Segment by segment: a segment's reader walks its word list with an automaton, while
        # Whoosh's reader of several segments computes the distance to every word in Python
        # (2.6 s instead of 0.3 s for "countries~1" over 10,000 articles in 11 segments).
        near = _within(leaves, q.text, q.maxdist, prefix)
        swapped = _swaps(q.text, prefix)
        if q.maxdist == 1:
            near.update(w for w in swapped if _in_index(leaves, w))
        else:
            for variant in swapped:
                near.update(_within(leaves, variant, 1, prefix))
            near.update(w for v in swapped for w in _swaps(v, prefix) if _in_index(leaves, w))
        words = sorted(w for w in near if spelling.edit_distance(q.text, w) <= q.maxdist)
        return words[:MAX_EXPANSION]
    probe = copy.copy(q)
    probe.fieldname = SPELLING_FIELD
    words = []
    for _, btext in probe.expanded_terms(reader):
        words.append(btext.decode("utf-8") if isinstance(btext, bytes) else btext)
        if len(words) >= MAX_EXPANSION:
            break
    return words


def _within(leaves: list[IndexReader], word: str, edits: int, prefix: int) -> set[str]:
    return {w for leaf in leaves for w in leaf.terms_within(SPELLING_FIELD, word, edits, prefix=prefix)}


def _in_index(leaves: list[IndexReader], word: str) -> bool:
    return any((SPELLING_FIELD, word) in leaf for leaf in leaves)


def _swaps(word: str, keep: int) -> set[str]:
    """The word with two adjacent letters swapped, the first ``keep`` letters left as they are."""
    return {word[:i] + word[i + 1] + word[i] + word[i + 2 :] for i in range(keep, len(word) - 1)} - {word}


def highlight_terms(q: wq.Query) -> Terms:
    """What to highlight, by field: term texts, and exact phrases as tuples of term texts
    (a sloppy ``"a b"~5`` highlights its words one by one). Terms under NOT are left out."""
    terms: Terms = {}

    def walk(node: wq.Query) -> None:
        if isinstance(node, wq.Not):
            return
        if isinstance(node, wq.AndNot):
            walk(node.a)
            return
        if isinstance(node, wq.Term):
            terms.setdefault(node.fieldname, set()).add(node.text)
        elif isinstance(node, wq.Phrase):
            if node.slop <= 1:
                terms.setdefault(node.fieldname, set()).add(tuple(node.words))
            else:
                terms.setdefault(node.fieldname, set()).update(node.words)
        elif not node.is_leaf():
            for child in node.children():
                walk(child)

    walk(q)
    return terms


def suggest(text: str, searcher: Searcher) -> str | None:
    """ "Did you mean" (``spelling.suggest``) from the index's unstemmed word list."""
    reader = searcher.reader()
    return spelling.suggest(
        text,
        fold=lambda word: [t.text for t in UNSTEMMED(word)],
        known=lambda token: (SPELLING_FIELD, token) in reader,
        closest=lambda token: _closest(reader, token),
    )


def _closest(reader: IndexReader, word: str) -> str | None:
    for dist in spelling.edits_allowed(word):
        # Segment by segment, as in _expansions: the reader of several segments measures every word.
        found = sorted(_within([leaf for leaf, _ in reader.leaf_readers()], word, dist, 1) - {word})
        if found:
            # A word's frequency in "words" is the number of articles that hold it (see schema).
            best: str = max(found, key=lambda w: (reader.frequency(SPELLING_FIELD, w), -abs(len(w) - len(word)), w))
            return best
    return None
