"""Pseudo-relevance feedback (RM3) for ``--any`` in the embedded engine: the model and its
settings are ``newssearch.rm3``'s; this finds the best articles, reads their words and builds the
second query."""

from __future__ import annotations

from collections import Counter
from typing import Any

from whoosh import query as wq
from whoosh import sorting
from whoosh.searching import Searcher

from newssearch import rm3
from newssearch.engines.whoosh import ranking
from newssearch.engines.whoosh.documents import stored_article
from newssearch.engines.whoosh.schema import ARTICLE_FIELDS, KIND_ARTICLE, STEMMED

_FIELDS = frozenset(ARTICLE_FIELDS.values())
_BY_SCORE = sorting.MultiFacet([sorting.ScoreFacet(), sorting.FieldFacet("key")])


def applies(q: wq.Query) -> bool:
    """Whether a parsed (not yet expanded) query is plain words: each word searched in every
    article field (no ``title:``, no ``--in``), joined by OR, nothing excluded, no phrase."""
    if not _only_terms(q):
        return False
    fields: dict[str, set[str]] = {}
    for leaf in q.leaves():
        fields.setdefault(leaf.text, set()).add(leaf.fieldname)
    return len(fields) >= rm3.MIN_WORDS and all(found == _FIELDS for found in fields.values())


def _only_terms(q: wq.Query) -> bool:
    if isinstance(q, wq.Term):
        return True
    return isinstance(q, wq.Or) and all(_only_terms(child) for child in q.children())


def with_feedback(searcher: Searcher, q: wq.Query, filtered: wq.Query) -> tuple[wq.Query, wq.Query | None]:
    """``q`` (plain words) re-weighted RM3-style from the best ``rm3.FEEDBACK_DOCS`` articles of
    ``filtered`` (``q`` within the request's filters), and the part of it that holds the words
    feedback added (None: none); ``q`` itself when nothing matches."""
    articles = searcher.doc_frequency("kind", KIND_ARTICLE)
    if articles < rm3.MIN_ARTICLES:
        return q, None
    top = searcher.search(filtered, limit=rm3.FEEDBACK_DOCS, sortedby=_BY_SCORE, terms=False)
    docs = [(-hit.score[0], stored_article(hit["data"])) for hit in top]
    original = Counter(_term_texts(q))
    if not docs or not original:
        return q, None

    def too_common(words: list[str]) -> list[str]:
        return [w for w in words if searcher.doc_frequency("body", w) > rm3.MAX_SHARE * articles]

    read = [(score, [t.text for t in STEMMED(rm3.feedback_text(a.title, a.body))]) for score, a in docs]
    asked_words, found_words = rm3.weights(original, read, too_common)
    weights = ranking.QUESTION_WEIGHTS
    asked = _weighted(weights, asked_words)
    found = _weighted({f: weights[f] for f in rm3.FEEDBACK_FIELDS}, found_words)
    return (wq.AndMaybe(asked, found), found) if found else (asked, None)


def _term_texts(q: wq.Query) -> list[str]:
    """The query's words, each once (the parsed query holds a repeated word once; each word is
    an OR of one term per field, counted in the body field)."""
    return [leaf.text for leaf in q.leaves() if isinstance(leaf, wq.Term) and leaf.fieldname == "body"]


def _weighted(weights: dict[str, float], words: dict[str, float]) -> Any:
    terms = [
        wq.Term(field, word, boost=value * weight) for word, value in words.items() for field, weight in weights.items()
    ]
    return wq.Or(terms) if terms else None
