"""How results are scored: field weights and BM25 with statistics of the right kind of document.

An article's score is BM25F in Whoosh's sense: BM25 computed per field, multiplied by the
field's weight, and summed over the fields a query word matches in.

The index holds articles, passages, manifest entries and a metadata document side by side
(see ``schema``). Whoosh's own BM25 counts all of them as "documents": the number behind the idf
and the average field length would then depend on how many sections and files the corpus has,
and the average body length would be a fraction of the real one. ``KindBM25F`` counts only
articles for article fields and only passages for passage fields, so an article scores as it
would in an index of articles alone.
"""

from __future__ import annotations

from math import log
from typing import Any

from whoosh import scoring

from newssearch.schema import KIND_ARTICLE, KIND_PASSAGE, PASSAGE_FIELDS

# Field weights for whole articles, chosen and checked on the TIME collection
# (benchmarks/relevance_time.py; see benchmarks/README.md for the numbers). A headline match is
# worth more than a body match, but not much more: with a short field BM25 already gives a title
# word a high score, and a title weight of 3 cost 0.1 MAP against 1. Subheadings say what a
# section is about, as a headline does for the article; captions describe a photo, as close to
# the story as the body.
ARTICLE_WEIGHTS = {"title": 1.5, "section": 1.5, "caption": 1.0, "body": 1.0}
# Passages are ranked on their own text; the article title only serves ``title:`` filters.
PASSAGE_WEIGHTS = {"p_section": 1.5, "p_caption": 1.0, "p_body": 1.0}

_PASSAGE_FIELD_NAMES = frozenset(PASSAGE_FIELDS.values())


def _kind_count(searcher: Any, fieldname: str) -> int:
    kind = KIND_PASSAGE if fieldname in _PASSAGE_FIELD_NAMES else KIND_ARTICLE
    return int(searcher.doc_frequency("kind", kind)) or 1


class KindBM25F(scoring.BM25F):  # type: ignore[misc]
    """BM25F whose document count and average field length count one kind of document."""

    def idf(self, searcher: Any, fieldname: str, text: str) -> float:
        parent = searcher.get_parent()
        n = parent.doc_frequency(fieldname, text)
        return float(log(_kind_count(parent, fieldname) / (n + 1)) + 1)

    def scorer(self, searcher: Any, fieldname: str, text: str, qf: int = 1) -> Any:
        scorer = super().scorer(searcher, fieldname, text, qf=qf)
        if isinstance(scorer, scoring.BM25FScorer):
            parent = searcher.get_parent()
            scorer.avgfl = parent.field_length(fieldname) / _kind_count(parent, fieldname) or 1
        return scorer
