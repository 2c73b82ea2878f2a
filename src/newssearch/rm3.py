"""Pseudo-relevance feedback (RM3) for ``--any``, engine-free: which words a question's best
articles add, and how much each word of the final query weighs (README, "Ranking").

A question names its subject in the reader's words, which are often not all the article's. RM3
takes the best few articles for the question as if a reader had marked them relevant, finds the
words that weigh most in them, and searches again with the question's words and those: articles
about the subject that use other words for it move up. Each engine finds the best articles,
reads their words with its analyzer and runs the second search; the model is here.

- Only plain-word ``--any`` queries of ``MIN_WORDS`` distinct words or more get it: a query with
  phrases, fields, prefixes, fuzzy words or exclusions says exactly what it wants, and one or
  two words are a keyword search; both are searched as written.
- The second search only re-ranks: an article must still have one of the question's own words,
  so every result shows a highlighted reason to be there; the total is unchanged.

Measured with ``benchmarks/relevance.py`` (MAP / nDCG@10, ``--any``, embedded engine): TIME
0.6638 / 0.7286 → 0.6801 / 0.7476 and Cranfield 0.3154 / 0.3768 → 0.3464 / 0.4049 with the
settings below (benchmarks/README.md lists those tried: 1–5 articles, 5–30 words, λ 0.5–0.9).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Iterable

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
# Feedback words in more than this share of the articles' bodies are left out.
MAX_SHARE = 0.1
# The fields a feedback word is searched in (the question's own words keep every field).
FEEDBACK_FIELDS = ("title", "body")
# Only so much of a long article is read for its words.
MAX_FEEDBACK_CHARS = 50_000
# Candidate words are asked about in batches of this many (an engine may look them up at once).
_BATCH = 40


def feedback_text(title: str, body: str) -> str:
    """What of a feedback article is read for its words."""
    return f"{title}\n{body}"[:MAX_FEEDBACK_CHARS]


def weights(
    original: Counter[str],
    docs: list[tuple[float, list[str]]],
    too_common: Callable[[list[str]], Iterable[str]],
) -> tuple[dict[str, float], dict[str, float]]:
    """The final query's words and weights: (the question's own words, the words feedback adds).

    ``original``: the question's analyzed words, each once (a query scores a repeated word
    once); ``docs``: the best articles' scores and analyzed words; ``too_common(words)``: those
    of ``words`` in more than ``MAX_SHARE`` of the articles' bodies (asked in batches, heaviest
    words first, until ``FEEDBACK_TERMS`` are chosen)."""
    total_score = sum(score for score, _ in docs) or 1.0
    model: defaultdict[str, float] = defaultdict(float)
    for score, words in docs:
        for word, count in Counter(words).items():
            if len(word) >= MIN_TERM_LENGTH and not word.isdigit():
                model[word] += (score / total_score) * count / max(len(words), 1)
    ranked = [word for word, _ in sorted(model.items(), key=lambda item: (-item[1], item[0]))]
    chosen: dict[str, float] = {}
    for start in range(0, len(ranked), _BATCH):
        batch = ranked[start : start + _BATCH]
        # Common words say little and cost a long posting list each.
        common = set(too_common([word for word in batch if word not in original]))
        for word in batch:
            if word in original or word not in common:
                chosen[word] = model[word]
                if len(chosen) == FEEDBACK_TERMS:
                    break
        if len(chosen) == FEEDBACK_TERMS:
            break
    chosen_total = sum(chosen.values()) or 1.0
    original_total = sum(original.values())
    weight: defaultdict[str, float] = defaultdict(float)
    for word, count in original.items():
        weight[word] += ORIGINAL_WEIGHT * count / original_total
    for word, value in chosen.items():
        weight[word] += (1 - ORIGINAL_WEIGHT) * value / chosen_total
    asked = {w: v for w, v in weight.items() if w in original}
    found = {w: v for w, v in weight.items() if w not in original}
    return asked, found
