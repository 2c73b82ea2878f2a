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

# Field weights for whole articles, measured on the TIME collection (benchmarks/relevance_time.py,
# benchmarks/README.md): with KindBM25F's statistics, a title weight of 1.5 cost 0.06 MAP against
# 1.0 (38 queries worse, 8 better, p = 0.0003), 2.0 and 3.0 cost more, and 0.5 was no better than
# 1.0. Scoring each field on its own and summing already rewards a headline match: a word in a
# short field gets a high BM25 score of its own, on top of its body score. Subheadings are short
# fields like headlines and get the same weight; captions, like the body, are plain text.
ARTICLE_WEIGHTS = {"title": 1.0, "section": 1.0, "caption": 1.0, "body": 1.0}
# Passages are ranked on their own text; the article title only serves ``title:`` filters.
PASSAGE_WEIGHTS = {"p_section": 1.0, "p_caption": 1.0, "p_body": 1.0}

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
