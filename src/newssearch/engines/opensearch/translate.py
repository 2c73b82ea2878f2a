"""The query tree (``querytree``) → OpenSearch's query DSL: the engine's half of reading a query
(README, "Query syntax"), as the embedded engine reads it.

- A word or phrase is analyzed by the index's own analyzer (``Analysis``: one ``_analyze``
  request for all of a query's texts); a word that analyzes to nothing (a stop word) drops out of
  its group, and a word that is two tokens (``al-Batsh``) is both (all words) or either (``--any``).
- A leaf without a field is an OR of it in each part, weighted (``newssearch.weights``); scores
  add up over the parts and words that match (BM25 per field, summed, as the embedded engine's).
- ``"a b"`` is ``match_phrase``; ``"a b"~N`` is an unordered ``span_near`` (the words within N
  positions, in either order); ``prefix*``, ``wild*card`` and ``fuzzy~`` match the unstemmed
  ``plain`` subfields, each matching word scored (``top_terms`` rewrite).
- ``NOT`` becomes ``must_not``; in an OR (``--any``, a relaxed query) it stays an exclusion,
  ``(a OR b) ANDNOT c``; ``ANDMAYBE`` a ``should``; ``REQUIRE`` a ``filter``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from opensearchpy import OpenSearch

from newssearch import querytree
from newssearch.engines.opensearch.mapping import (
    ANALYZER,
    ARTICLE_FIELDS,
    FOLD_ANALYZER,
    PASSAGE_FIELDS,
    PLAIN,
    PLAIN_ANALYZER,
)
from newssearch.errors import QuerySyntaxError, UsageError
from newssearch.models import Terms, Token
from newssearch.querytext import ONLY_EXCLUDES, date_bound, writes_exclusion

# The most index words one prefix*, wildcard or fuzzy~ word is scored over.
MAX_EXPANSION = 1024
# How much text one _analyze request carries: at most one token in two characters, well under the
# index's ANALYZE_MAX_TOKENS.
_ANALYZE_CHARS = 200_000
DATE_ERROR = (
    "could not read a date in the query — write dates as YYYY, YYYY-MM or YYYY-MM-DD, "
    "e.g. date:[2025-01-01 TO 2025-06-30]"
)

DSL = dict[str, Any]
# A character past U+FFFF: found by a regular expression, at C speed (texts are long).
_ASTRAL = re.compile("[\U00010000-\U0010ffff]")


class Analysis:
    """Texts as the index's analyzers read them, fetched in batches and remembered: a query's
    words, and the texts of the articles a page shows (for their snippets)."""

    def __init__(self, client: OpenSearch, index: str) -> None:
        self.client = client
        self.index = index
        self._known: dict[tuple[str, str], list[Token]] = {}

    def prepare(self, analyzer: str, texts: Iterable[str]) -> None:
        """Analyze every text not analyzed yet, in as few requests as the sizes allow."""
        missing = [t for t in dict.fromkeys(texts) if (analyzer, t) not in self._known]
        batch: list[str] = []
        size = 0
        for text in missing:
            if len(text) > _ANALYZE_CHARS and analyzer != FOLD_ANALYZER:
                self._known[(analyzer, text)] = self._long(analyzer, text)
                continue
            if batch and size + len(text) > _ANALYZE_CHARS:
                self._analyze(analyzer, batch)
                batch, size = [], 0
            batch.append(text)
            size += len(text) + 1
        if batch:
            self._analyze(analyzer, batch)

    def _long(self, analyzer: str, text: str) -> list[Token]:
        """A text longer than one request carries (a megabyte-long paragraph), in pieces cut at
        white space, which no token crosses."""
        pieces, start = [], 0
        while start < len(text):
            end = min(start + _ANALYZE_CHARS, len(text))
            if end < len(text):
                cut = max(text.rfind(" ", start, end), text.rfind("\n", start, end))
                end = cut + 1 if cut > start else end
            pieces.append((start, text[start:end]))
            start = end
        self.prepare(analyzer, [piece for _, piece in pieces])
        return [
            Token(t.text, t.start + offset, t.end + offset)
            for offset, piece in pieces
            for t in self._known[(analyzer, piece)]
        ]

    def tokens(self, analyzer: str, text: str) -> list[Token]:
        if (analyzer, text) not in self._known:
            self.prepare(analyzer, [text])
        return self._known[(analyzer, text)]

    def words(self, analyzer: str, text: str) -> list[str]:
        return [t.text for t in self.tokens(analyzer, text)]

    def _analyze(self, analyzer: str, texts: list[str]) -> None:
        if analyzer == FOLD_ANALYZER:  # one token per text (the keyword tokenizer), empty ones none
            shown = [t for t in texts if t]
            answer = self.client.indices.analyze(index=self.index, body={"analyzer": analyzer, "text": shown})
            folded = iter(answer["tokens"])
            for text in texts:
                self._known[(analyzer, text)] = [Token(next(folded)["token"], 0, len(text))] if text else []
            return
        # The texts joined by line breaks, which no token crosses; each token goes to its text.
        joined = "\n".join(texts)
        answer = self.client.indices.analyze(index=self.index, body={"analyzer": analyzer, "text": joined})
        to_python = _utf16_to_python(joined)
        starts, offset = [], 0
        for text in texts:
            starts.append(offset)
            offset += len(text) + 1
        found: list[list[Token]] = [[] for _ in texts]
        n = 0
        for token in answer["tokens"]:
            start, end = to_python(token["start_offset"]), to_python(token["end_offset"])
            while n + 1 < len(starts) and start >= starts[n + 1]:
                n += 1
            found[n].append(Token(token["token"], start - starts[n], end - starts[n]))
        for text, tokens in zip(texts, found, strict=True):
            self._known[(analyzer, text)] = tokens


def _utf16_to_python(text: str) -> Any:
    """Java counts offsets in UTF-16 units: a character past U+FFFF is two of them."""
    if _ASTRAL.search(text) is None:
        return lambda offset: offset
    index = []
    for n, c in enumerate(text):
        index.append(n)
        if ord(c) > 0xFFFF:
            index.append(n)
    index.append(len(text))
    return lambda offset: index[offset] if offset < len(index) else len(text)


def prepare(analysis: Analysis, trees: Iterable[querytree.Query | None]) -> None:
    """Analyze every text of the trees' leaves at once (one request per analyzer)."""
    by_analyzer: dict[str, list[str]] = {}
    for tree in trees:
        for leaf in querytree.leaves(tree):
            if isinstance(leaf, (querytree.Word, querytree.Phrase)):
                analyzer = PLAIN_ANALYZER if leaf.field == "source" else ANALYZER
                by_analyzer.setdefault(analyzer, []).append(leaf.text)
            elif isinstance(leaf, (querytree.Prefix, querytree.Fuzzy)):
                by_analyzer.setdefault(FOLD_ANALYZER, []).append(leaf.text)
            elif isinstance(leaf, querytree.Wildcard):
                by_analyzer.setdefault(FOLD_ANALYZER, []).append(leaf.pattern)
    for analyzer, texts in by_analyzer.items():
        analysis.prepare(analyzer, texts)


@dataclass
class _Q:
    dsl: DSL
    finds: bool  # false: it only leaves documents out (a NOT)


class Translation:
    """One reading of the tree: all words required (``group`` "all") or any (``"any"``), in the
    fields of articles or of passages, each leaf without a field searched in ``defaults`` (field
    → weight). ``terms`` collects what the query looks for, by field, to highlight."""

    def __init__(self, analysis: Analysis, *, passages: bool, defaults: dict[str, float], group: str) -> None:
        self.analysis = analysis
        self.names = PASSAGE_FIELDS if passages else ARTICLE_FIELDS
        self.defaults = defaults
        self.any = group == "any"
        self.terms: Terms = {}
        self.patterns = False  # whether a prefix, wildcard or fuzzy word is in it

    def translate(self, tree: querytree.Query | None, text: str) -> DSL | None:
        """The query, or None when nothing in it can be found (only stop words). Raises
        ``QuerySyntaxError`` when what is left only leaves articles out (``text``: as written)."""
        q = self._query(tree, positive=True) if tree is not None else None
        if q is None:
            if writes_exclusion(text):  # "the -gaza": the stop word drops, the exclusion stays
                raise QuerySyntaxError(ONLY_EXCLUDES)
            return None
        if not q.finds:
            raise QuerySyntaxError(ONLY_EXCLUDES)
        return q.dsl

    def _query(self, node: querytree.Query, positive: bool) -> _Q | None:
        if isinstance(node, (querytree.And, querytree.Or)):
            subs = [q for q in (self._query(child, positive) for child in node.children) if q is not None]
            if not subs:
                return None
            if len(subs) == 1 and node.boost == 1.0:
                return subs[0]
            return self._group(node, subs)
        if isinstance(node, querytree.Not):
            child = self._query(node.child, positive=False)
            return _Q({"bool": {"must_not": [child.dsl]}}, finds=False) if child else None
        if isinstance(node, (querytree.AndNot, querytree.AndMaybe, querytree.Require)):
            a = self._query(node.a, positive)
            b = self._query(node.b, positive and not isinstance(node, querytree.AndNot))
            # A side of stop words only: as the embedded engine, nothing is found without the first
            # side, nor without what REQUIRE requires; without the second, the first is the query.
            if a is None or (b is None and isinstance(node, querytree.Require)):
                return None
            if b is None:
                return a
            if isinstance(node, querytree.AndNot):
                return _Q({"bool": {"must": [a.dsl], "must_not": [b.dsl]}}, a.finds)
            if isinstance(node, querytree.AndMaybe):
                return _Q({"bool": {"must": [a.dsl], "should": [b.dsl]}}, a.finds)
            return _Q({"bool": {"must": [a.dsl], "filter": [b.dsl]}}, a.finds)
        if isinstance(node, querytree.Everything):
            return _Q({"match_all": {}}, True)
        if node.field is not None:
            q = self._leaf(node, self.names.get(node.field, node.field), node.boost, positive)
            return _Q(q, True) if q is not None else None
        subs_dsl = _flattened(
            [q for q in (self._leaf(node, name, weight, positive) for name, weight in self.defaults.items()) if q],
            "should",
        )
        if not subs_dsl:
            return None
        clause = {"should": subs_dsl, "minimum_should_match": 1}
        if node.boost != 1.0:
            clause["boost"] = node.boost
        return _Q({"bool": clause}, True)

    def _group(self, node: querytree.And | querytree.Or, subs: list[_Q]) -> _Q:
        """An AND or OR of what its parts translate to. A part that only leaves documents out is
        an exclusion of the group (``must_not``; in an OR too: ``(a OR b) ANDNOT c``, not every
        document without c); one that is more than exclusions (``NOT a OR NOT b``) filters an
        AND and is one more choice of an OR, which then finds nothing by itself."""
        occur = "must" if isinstance(node, querytree.And) else "should"
        found = _flattened([q.dsl for q in subs if q.finds], occur)
        excluded: list[DSL] = []
        others: list[DSL] = []
        # An OR of exclusions alone (the relaxed reading of "NOT a NOT b") is a choice of them: the
        # documents without a, or without b.
        apart = isinstance(node, querytree.And) or bool(found)
        for q in subs:
            if not q.finds:
                inner = q.dsl.get("bool", {})
                if apart and set(inner) == {"must_not"}:
                    excluded.extend(inner["must_not"])
                else:
                    others.append(q.dsl)
        clause: DSL = {}
        if isinstance(node, querytree.And):
            if found:
                clause["must"] = found
            if others:
                clause["filter"] = others
        elif found or others:
            clause["should"] = [*found, *others]
            clause["minimum_should_match"] = 1
        if excluded:
            clause["must_not"] = _unique(excluded)
        if node.boost != 1.0:
            clause["boost"] = node.boost
        finds = bool(found) and (isinstance(node, querytree.And) or not others)
        return _Q({"bool": clause}, finds)

    def _leaf(self, leaf: querytree.Query, field: str, boost: float, positive: bool) -> DSL | None:
        if isinstance(leaf, querytree.Range):
            return self._range(leaf, field, boost)
        if field == "date":  # date:2025-03 and date:2025-03* are that month
            if isinstance(leaf, (querytree.Word, querytree.Prefix)) and leaf.text:
                return _date_range(field, leaf.text, leaf.text, boost=boost)
            raise QuerySyntaxError(DATE_ERROR)
        if field == "tags":
            text = str(getattr(leaf, "text", None) or getattr(leaf, "pattern", ""))
            if isinstance(leaf, querytree.Prefix):
                return {"prefix": {field: {"value": text.lower(), "boost": boost}}}
            if isinstance(leaf, querytree.Wildcard):
                return {"wildcard": {field: {"value": text.lower(), "boost": boost}}}
            return {"term": {field: {"value": text.lower(), "boost": boost}}}
        if isinstance(leaf, querytree.Word):
            words = self.analysis.words(PLAIN_ANALYZER if field == "source" else ANALYZER, leaf.text)
            if not words:
                return None
            if positive:
                self.terms.setdefault(field, set()).update(words)
            terms = [{"term": {field: {"value": w, "boost": boost}}} for w in words]
            if len(terms) == 1:
                return terms[0]
            return {"bool": {"should": terms, "minimum_should_match": 1} if self.any else {"must": terms}}
        if isinstance(leaf, querytree.Phrase):
            words = self.analysis.words(PLAIN_ANALYZER if field == "source" else ANALYZER, leaf.text)
            if not words:
                return None
            if len(words) == 1:
                if positive:
                    self.terms.setdefault(field, set()).add(words[0])
                return {"term": {field: {"value": words[0], "boost": boost}}}
            if leaf.slop <= 1:
                if positive:
                    self.terms.setdefault(field, set()).add(tuple(words))
                return {"match_phrase": {field: {"query": leaf.text, "boost": boost}}}
            if positive:
                self.terms.setdefault(field, set()).update(words)
            # Lucene's slop counts the positions between the words: the embedded engine's ~N
            # (the words within N positions) is Lucene's N - 1.
            spans = [{"span_term": {field: w}} for w in words]
            return {"span_near": {"clauses": spans, "slop": leaf.slop - 1, "in_order": False, "boost": boost}}
        if isinstance(leaf, (querytree.Prefix, querytree.Wildcard, querytree.Fuzzy)):
            return self._pattern(leaf, field, boost)
        raise TypeError(f"not a leaf of the query tree: {leaf!r}")

    def _pattern(self, leaf: querytree.Prefix | querytree.Wildcard | querytree.Fuzzy, field: str, boost: float) -> DSL:
        self.patterns = True
        plain = f"{field}.{PLAIN}" if field in self.names.values() else field
        rewrite = f"top_terms_{MAX_EXPANSION}"
        if isinstance(leaf, querytree.Wildcard):
            if leaf.pattern == "*":  # title:* — any article with a word in its title (not only stop words)
                return {"wildcard": {field: {"value": "*", "boost": boost}}}
            pattern = self._fold(leaf.pattern)
            return {"wildcard": {plain: {"value": pattern, "rewrite": rewrite, "boost": boost}}}
        text = self._fold(leaf.text)
        if isinstance(leaf, querytree.Prefix):
            return {"prefix": {plain: {"value": text, "rewrite": rewrite, "boost": boost}}}
        return {
            "fuzzy": {
                plain: {
                    "value": text,
                    "fuzziness": leaf.maxdist,
                    "prefix_length": leaf.prefix,
                    "transpositions": True,
                    "max_expansions": MAX_EXPANSION,
                    "rewrite": rewrite,
                    "boost": boost,
                }
            }
        }

    def _fold(self, text: str) -> str:
        tokens = self.analysis.tokens(FOLD_ANALYZER, text)
        return tokens[0].text if tokens else text.lower()

    def _range(self, leaf: querytree.Range, field: str, boost: float) -> DSL:
        if field == "date":
            return _date_range(field, leaf.start, leaf.end, leaf.start_excluded, leaf.end_excluded, boost)
        bounds: DSL = {"boost": boost}
        if leaf.start is not None:
            bounds["gt" if leaf.start_excluded else "gte"] = leaf.start.lower()
        if leaf.end is not None:
            bounds["lt" if leaf.end_excluded else "lte"] = leaf.end.lower()
        target = f"{field}.{PLAIN}" if field in self.names.values() else field
        return {"range": {target: bounds}}


def _flattened(clauses: list[DSL], occur: str) -> list[DSL]:
    """Clauses as the embedded engine normalizes its queries: a group of the same kind inside a
    group (an OR in an OR, an AND in an AND, unboosted) is spliced into it, and a clause that is
    there twice counts once — ``communist … non-communist`` scores "communist" once, as on disk."""
    out: list[DSL] = []
    for clause in clauses:
        inner = clause.get("bool")
        if inner is not None and set(inner) <= {occur, "minimum_should_match"} and occur in inner:
            out.extend(_flattened(inner[occur], occur))
        else:
            out.append(clause)
    return _unique(out)


def _unique(clauses: list[DSL]) -> list[DSL]:
    seen: dict[str, DSL] = {}
    for clause in clauses:
        seen.setdefault(json.dumps(clause, sort_keys=True), clause)
    return list(seen.values())


def _date_range(
    field: str,
    start: str | None,
    end: str | None,
    start_excluded: bool = False,
    end_excluded: bool = False,
    boost: float = 1.0,
) -> DSL:
    """``date:2025-03`` (that month), ``date:[2025 TO 2025-06]`` (from the start of the first
    period to the end of the last), an end left open; as on disk, ``{`` and ``}`` leave out only
    the first and last instants (``date:{2025 TO 2026}`` runs to the end of 2026)."""
    bounds: DSL = {"boost": boost}
    try:
        if start is not None:
            bounds["gt" if start_excluded else "gte"] = _iso(date_bound(start, "date:"))
        if end is not None:
            bounds["lt" if end_excluded else "lte"] = _iso(date_bound(end, "date:", end=True))
    except UsageError:
        raise QuerySyntaxError(DATE_ERROR) from None
    return {"range": {field: bounds}}


def _iso(when: datetime | None) -> str:
    assert when is not None
    return when.isoformat(timespec="seconds")
