"""Pseudo-relevance feedback (RM3) for ``--any``: questions and pasted sentences.

A question names its subject in the reader's words, which are often not all the article's. RM3
takes the best few articles for the question as if a reader had marked them relevant, finds the
words that weigh most in them, and searches again with the question's words and those: articles
about the subject that use other words for it move up.

- Only plain-word ``--any`` queries of ``MIN_WORDS`` words or more get it: a query with phrases,
  fields, prefixes, fuzzy words or exclusions says exactly what it wants, and one or two words
  are a keyword search; both are searched as written.
- The second search only re-ranks: an article must still have one of the question's own words
  (``AndMaybe``), so every result shows a highlighted reason to be there; the total is unchanged.

Measured with ``benchmarks/relevance.py`` (MAP / nDCG@10, ``--any``): TIME 0.6638 / 0.7286 →
0.6801 / 0.7476 and Cranfield 0.3154 / 0.3768 → 0.3464 / 0.4049 with the settings below
(benchmarks/README.md lists those tried: 1–5 articles, 5–30 words, λ 0.5–0.9).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from typing import Any

from whoosh import query as wq
from whoosh import sorting
from whoosh.searching import Searcher

from newssearch.engines.whoosh import ranking
from newssearch.engines.whoosh.documents import stored_article
from newssearch.engines.whoosh.schema import ARTICLE_FIELDS, KIND_ARTICLE, STEMMED

# Feedback is for questions and pasted sentences: a query of fewer (distinct) words is searched
# as written, and stays as fast as it was (feedback costs a second search and a longer query:
# 1.7-2.2x on 21,578 Reuters articles, benchmarks/README.md).
MIN_WORDS = 3
# Nor does a small archive: among a few dozen articles the best two say more about themselves
# than about the subject (on the seed's four, feedback put the wrong article first).
MIN_ARTICLES = 100
# How many of the best articles are taken as relevant.
FEEDBACK_DOCS = 2
# How many of their heaviest words join the query.
FEEDBACK_TERMS = 10
# The share of the final query's weight that stays with the question's own words (RM3's λ).
ORIGINAL_WEIGHT = 0.7
# Feedback words shorter than this, or made of digits, are left out ("mr", "1963").
MIN_TERM_LENGTH = 3
# Feedback words in more than this share of the articles are left out.
MAX_SHARE = 0.1
# The fields a feedback word is searched in (the question's own words keep every field).
FEEDBACK_FIELDS = ("title", "body")
# Only so much of a long article is read for its words.
MAX_FEEDBACK_CHARS = 50_000

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
    return len(fields) >= MIN_WORDS and all(found == _FIELDS for found in fields.values())


def _only_terms(q: wq.Query) -> bool:
    if isinstance(q, wq.Term):
        return True
    return isinstance(q, wq.Or) and all(_only_terms(child) for child in q.children())


def with_feedback(searcher: Searcher, q: wq.Query, filtered: wq.Query) -> wq.Query:
    """``q`` (plain words) re-weighted RM3-style from the best ``FEEDBACK_DOCS`` articles of
    ``filtered`` (``q`` within the request's filters); ``q`` itself when nothing matches."""
    articles = searcher.doc_frequency("kind", KIND_ARTICLE)
    if articles < MIN_ARTICLES:
        return q
    top = searcher.search(filtered, limit=FEEDBACK_DOCS, sortedby=_BY_SCORE, terms=False)
    docs = [(-hit.score[0], stored_article(hit["data"])) for hit in top]
    original = Counter(_term_texts(q))
    if not docs or not original:
        return q
    total_score = sum(score for score, _ in docs) or 1.0
    model: defaultdict[str, float] = defaultdict(float)
    for score, article in docs:
        words = [t.text for t in STEMMED(f"{article.title}\n{article.body}"[:MAX_FEEDBACK_CHARS])]
        for word, count in Counter(words).items():
            if len(word) >= MIN_TERM_LENGTH and not word.isdigit():
                model[word] += (score / total_score) * count / max(len(words), 1)
    chosen: dict[str, float] = {}
    for word, value in sorted(model.items(), key=lambda item: (-item[1], item[0])):
        # Common words say little and cost a long posting list each; the heaviest rare ones are
        # looked up one by one until there are enough.
        if word in original or searcher.doc_frequency("body", word) <= MAX_SHARE * articles:
            chosen[word] = value
            if len(chosen) == FEEDBACK_TERMS:
                break
    chosen_total = sum(chosen.values()) or 1.0
    original_total = sum(original.values())
    weight: defaultdict[str, float] = defaultdict(float)
    for word, count in original.items():
        weight[word] += ORIGINAL_WEIGHT * count / original_total
    for word, value in chosen.items():
        weight[word] += (1 - ORIGINAL_WEIGHT) * value / chosen_total
    weights = ranking.QUESTION_WEIGHTS
    asked = _weighted(weights, {w: v for w, v in weight.items() if w in original})
    found = _weighted({f: weights[f] for f in FEEDBACK_FIELDS}, {w: v for w, v in weight.items() if w not in original})
    return wq.AndMaybe(asked, found) if found else asked


def _term_texts(q: wq.Query) -> list[str]:
    """The query's words, once per time the user wrote them (each word is an OR of one term per
    field; counted in the body field)."""
    return [leaf.text for leaf in q.leaves() if isinstance(leaf, wq.Term) and leaf.fieldname == "body"]


def _weighted(weights: dict[str, float], words: dict[str, float]) -> Any:
    terms = [
        wq.Term(field, word, boost=value * weight) for word, value in words.items() for field, weight in weights.items()
    ]
    return wq.Or(terms) if terms else None
