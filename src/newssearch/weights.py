"""How much each part of an article weighs in a score, engine-free (README, "Ranking").

Two sets for whole articles, because two kinds of query want different things:

- ``QUESTION``, for ``--any`` (pasted sentences, questions): measured with
  ``benchmarks/relevance.py`` on TIME and Cranfield (MAP / nDCG@10; benchmarks/README.md): title
  0.5 → TIME 0.6638 / 0.7286, Cranfield 0.3154 / 0.3768; 0.35 → 0.6571 / 0.7250 and 0.3135 /
  0.3735; 1.0 → 0.6225 / 0.6924 and 0.3120 / 0.3810 (with a floored idf). A question's words are
  spread over the article; scoring each part on its own and summing already rewards a headline
  that has them, so the title needs less weight.
- ``ARTICLE``, for typed keywords (all words required, relaxed to any): a few words are often a
  headline remembered ("US to rule on Yukos refuge call"), and a headline match should lead;
  with title 0.5, 1 of 25 BBC headlines (tests/test_data_formats.py) came second to an article
  that says "Yukos" more often.

Subheadings and captions are in neither collection: their weights are unmeasured and stay at 1.
Passages are ranked on their own text; the article's title only serves ``title:`` filters.
"""

from __future__ import annotations

ARTICLE = {"title": 1.0, "section": 1.0, "caption": 1.0, "body": 1.0}
QUESTION = {**ARTICLE, "title": 0.5}
PASSAGE = {"section": 1.0, "caption": 1.0, "body": 1.0}


def weights(*, passages: bool, question: bool) -> dict[str, float]:
    """The part weights for a query: passages, a question (``--any``), or typed keywords."""
    if passages:
        return PASSAGE
    return QUESTION if question else ARTICLE
