"""How results are scored: field weights and BM25 with statistics of the right kind of document.

An article's score is BM25F in Whoosh's sense: BM25 computed per field, multiplied by the
field's weight, and summed over the fields a query word matches in. The idf is BM25's
(Robertson–Spärck Jones, in Lucene's form that stays positive), not Whoosh's
``log(N/(n+1)) + 1``: Whoosh's gives every word a weight of at least 1, so the common words of a
pasted question ("what", "number", "united") outweighed the rare ones that say what it is about.

The index holds articles, passages, manifest entries and a metadata document side by side
(see ``schema``). Whoosh's own BM25 counts all of them as "documents", and divides a field's
total length by that count for its average length. ``KindBM25F`` counts instead:

- for the average length of a field, the documents that have the field (a word in it after
  analysis; ``schema``'s ``has``), as Lucene's BM25 does (its ``docCount``). Dividing by every
  article shrank the average caption by the share of articles that have one: with one caption
  among 2,000 articles, it looked 2,000 times longer than average and scored 0.01 where a body
  sentence with the same word scored 11; subheadings, and the passages' fields, likewise;
- for the idf's N, the documents of the query's kind (articles, or passages), whichever field
  the word is in. Lucene takes the field's ``docCount`` here too, but then a word in the only
  caption of 2,000 articles has an idf of log(1 + 0.5/1.5) = 0.29 against 7.2 for a word in one
  body of 2,000: it is rare among the articles a user searches, and a caption could still hardly
  win. Lucene's own BM25F (``CombinedFieldQuery``, OpenSearch's ``combined_fields``) takes one N
  for all fields, the largest ``docCount``; the kind's count is that, or a little more (a
  caption passage has no body). On TIME and Cranfield, where every document has a title and a
  body and none has subheadings or captions, both choices score exactly as before
  (benchmarks/README.md).

An article then scores as it would in an index of articles alone, and a caption like a body of
its own length.
"""

from __future__ import annotations

import functools
from math import log
from typing import Any

from whoosh import scoring
from whoosh.codec.whoosh3 import LENGTHS_COLUMN, W3PerDocReader, _lenfield
from whoosh.columns import FixedBytesColumn
from whoosh.util.numeric import byte_to_length

from newssearch import weights as part_weights
from newssearch.engines.whoosh.schema import (
    ARTICLE_FIELDS,
    COUNTED_FIELDS,
    HAS_FIELD,
    KIND_ARTICLE,
    KIND_PASSAGE,
    PASSAGE_FIELDS,
)

# Field weights (``newssearch.weights``, by part of an article) under this engine's field names.
ARTICLE_WEIGHTS = {ARTICLE_FIELDS[part]: w for part, w in part_weights.ARTICLE.items()}
QUESTION_WEIGHTS = {ARTICLE_FIELDS[part]: w for part, w in part_weights.QUESTION.items()}
PASSAGE_WEIGHTS = {PASSAGE_FIELDS[part]: w for part, w in part_weights.PASSAGE.items()}


def weights(*, passages: bool, question: bool) -> dict[str, float]:
    """The field weights for a query: passages, a question (``--any``), or typed keywords."""
    if passages:
        return PASSAGE_WEIGHTS
    return QUESTION_WEIGHTS if question else ARTICLE_WEIGHTS


_PASSAGE_FIELD_NAMES = frozenset(PASSAGE_FIELDS.values())
# An article's or a passage's text, not its title: a word's idf in any of these fields counts the
# documents that have it in the one where it is most common (see the module's docstring).
_TEXT_PARTS = ("section", "caption", "body")
_TEXT_FIELDS = {
    KIND_ARTICLE: tuple(ARTICLE_FIELDS[part] for part in _TEXT_PARTS),
    KIND_PASSAGE: tuple(PASSAGE_FIELDS[part] for part in _TEXT_PARTS),
}
_TEXT_FIELD_NAMES = frozenset(_TEXT_FIELDS[KIND_ARTICLE] + _TEXT_FIELDS[KIND_PASSAGE])


def _kind(fieldname: str) -> str:
    return KIND_PASSAGE if fieldname in _PASSAGE_FIELD_NAMES else KIND_ARTICLE


def _kind_count(searcher: Any, fieldname: str) -> int:
    return int(searcher.doc_frequency("kind", _kind(fieldname))) or 1


def _field_count(searcher: Any, fieldname: str) -> int:
    """How many documents have the field (a word in it); for a field that ``has`` does not
    track (``source``), the documents of its kind. Like the field's total length, it counts
    deleted documents until their segment is merged, so their ratio stays an average."""
    if fieldname not in COUNTED_FIELDS:
        return _kind_count(searcher, fieldname)
    return int(searcher.doc_frequency(HAS_FIELD, fieldname)) or 1


class KindBM25F(scoring.BM25F):  # type: ignore[misc]
    """BM25F whose idf counts one kind of document, and whose average field length counts the
    documents that have the field (see the module's docstring)."""

    def idf(self, searcher: Any, fieldname: str, text: str) -> float:
        """``log(1 + (N - n + 0.5) / (n + 0.5))``: Robertson–Spärck Jones as Lucene writes it.
        The plain form (FTS5's) is 0 for a word in half the articles or more, which in a small
        corpus (the four articles of the seed) scores every result 0.00 and leaves the order to
        chance; this one keeps such a word small but positive. On TIME and Cranfield the two
        measure within 0.003 MAP of each other. N counts the documents of the field's kind; n,
        for a word in the text, those that have it in whichever text field says it most (see
        the module's docstring)."""
        parent = searcher.get_parent()
        shared = _TEXT_FIELDS[_kind(fieldname)] if fieldname in _TEXT_FIELD_NAMES else (fieldname,)
        n = max(parent.doc_frequency(name, text) for name in shared)
        total = _kind_count(parent, fieldname)
        return log(1 + (total - n + 0.5) / (n + 0.5))

    def scorer(self, searcher: Any, fieldname: str, text: str, qf: int = 1) -> Any:
        if not searcher.schema[fieldname].scorable:
            return super().scorer(searcher, fieldname, text, qf=qf)
        return KindBM25FScorer(searcher, fieldname, text, self._field_B.get(fieldname, self.B), self.K1, qf=qf)


class KindBM25FScorer(scoring.BM25FScorer):  # type: ignore[misc]
    """Whoosh's BM25F scorer with the average length of the field in the documents that have it,
    set before ``setup`` computes the term's best possible score from it. The top-k walk
    (``topk``) reads that bound; computed with another average than the scores, it was too low,
    and a search that skips postings dropped articles that belonged in the top 10.

    A score is Whoosh's ``bm25`` of the word's count and the document's length in the field,
    worked out with the same operations in the same order, so the very same number — but from
    the segment's lengths read once (``field_lengths``) and the part that depends on the length
    alone worked out once for each of the 256 lengths a byte stands for (``_length_parts``):
    every match of every query is scored this way, and Whoosh's own way is four calls and a
    column read a document."""

    def __init__(self, searcher: Any, fieldname: str, text: str, B: float, K1: float, qf: int = 1) -> None:
        parent = searcher.get_parent()  # statistics of the whole index, not of one segment
        self.idf = parent.idf(fieldname, text)
        self.avgfl = parent.field_length(fieldname) / _field_count(parent, fieldname) or 1
        self.B = B
        self.K1 = K1
        self.qf = qf
        self.setup(searcher, fieldname, text)
        self._lengths = field_lengths(searcher.reader(), fieldname)
        self._parts = _length_parts(K1, B, self.avgfl)
        self._k1_plus_1 = K1 + 1

    def score(self, matcher: Any) -> float:
        lengths = self._lengths
        if lengths is None:  # not a segment of Whoosh's own format: its way
            return float(super().score(matcher))
        tf = matcher.weight()
        return float(self.idf * ((tf * self._k1_plus_1) / (tf + self._parts[lengths[matcher.id()]])))


@functools.lru_cache(maxsize=256)  # a few a field and commit; a resident searcher lives through many
def _length_parts(k1: float, b: float, avgfl: float) -> tuple[float, ...]:
    """``bm25``'s ``K1 * ((1 - B) + B * fl / avgfl)`` for each length byte's length ``fl``."""
    return tuple(k1 * ((1 - b) + b * byte_to_length(n) / avgfl) for n in range(256))


def field_lengths(reader: Any, fieldname: str) -> bytes | None:
    """Each document's length in the field, in one segment: a byte each (Whoosh's column of
    them, read whole once for the life of the segment's reader); None for a reader that is not
    one segment of Whoosh's own format."""
    kept: dict[str, bytes | None] = reader.__dict__.setdefault("_newssearch_lengths", {})
    if fieldname not in kept:
        perdoc = getattr(reader, "_perdoc", None)
        kept[fieldname] = segment_lengths(perdoc, fieldname) if perdoc is not None else None
    return kept[fieldname]


def segment_lengths(perdoc: Any, fieldname: str) -> bytes | None:
    """The bytes of a segment's column of lengths of the field, read whole from its
    per-document reader; None for a reader or a column not of Whoosh's own format."""
    column = None
    if isinstance(perdoc, W3PerDocReader):
        column = perdoc._cached_reader(_lenfield(fieldname), LENGTHS_COLUMN)
    if not (isinstance(column, FixedBytesColumn.Reader) and column._fixedlen == 1):
        return None
    count: int = perdoc.doc_count_all()
    data = bytes(column._dbfile.get(column._basepos, min(column._count, count)))
    missing: bytes = column._defaultbytes * (count - len(data))  # documents past the column's end
    return data + missing
