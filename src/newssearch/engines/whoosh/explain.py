"""What each word added to a result's score (``query --explain``; README, "newssearch query").

A query's score is the sum of its words' and phrases' scores in each field (BM25F, ``ranking``;
a phrase scores as the sum of its words), so each one is scored on its own, by its own Whoosh
matcher, at each result: the parts that score (``scoring``) are those a match's score adds up —
not what ``NOT`` or ``ANDNOT`` leaves out, nor ``REQUIRE``'s filter — and they add up to the
result's score (tests/test_explain.py checks it)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from whoosh import query as wq
from whoosh.searching import Searcher

from newssearch.engines.whoosh.schema import ARTICLE_FIELDS, PASSAGE_FIELDS
from newssearch.models import Contribution

_PART = {field: part for fields in (ARTICLE_FIELDS, PASSAGE_FIELDS) for part, field in fields.items()}


def explanations(
    searcher: Searcher, scored: wq.Query, page: list[tuple[float, dict[str, Any]]], feedback: wq.Query | None = None
) -> list[list[Contribution]]:
    """For each result of ``page`` (found by ``scored``), what each scoring part of ``scored``
    added, greatest first; ``feedback``: the part of ``scored`` that ``--any``'s feedback added."""
    added = {id(leaf) for leaf, _ in scoring(feedback)} if feedback is not None else set()
    leaves = list(scoring(scored))
    out = []
    for _, stored in page:
        docnum = searcher.document_number(key=stored["key"])
        found = []
        for leaf, boost in leaves:
            score = _score_at(searcher, leaf, docnum) if docnum is not None else None
            if score:
                term, part = _named(leaf)
                found.append(Contribution(term, part, round(score * boost, 4), feedback=id(leaf) in added))
        out.append(sorted(found, key=lambda c: -c.score))
    return out


def scoring(q: wq.Query, boost: float = 1.0) -> Iterator[tuple[wq.Query, float]]:
    """The parts of ``q`` whose scores a match's score adds up, each with the boost of the
    groups around it (Whoosh multiplies a group's score by its boost: ``(harbour tartus)^3``).
    A ``NOT`` part inside a group adds its own constant score to every match."""
    if q is wq.NullQuery:
        return
    if isinstance(q, (wq.Require, wq.AndNot)):
        yield from scoring(q.a, boost * q.boost)
    elif isinstance(q, wq.AndMaybe):
        yield from scoring(q.a, boost * q.boost)
        yield from scoring(q.b, boost * q.boost)
    elif isinstance(q, (wq.And, wq.Or)):
        for child in q.children():
            yield from scoring(child, boost * q.boost)
    else:
        yield q, boost


def _score_at(searcher: Searcher, leaf: wq.Query, docnum: int) -> float | None:
    matcher = leaf.matcher(searcher)
    if not matcher.is_active():
        return None
    if matcher.id() < docnum:
        matcher.skip_to(docnum)
    if not matcher.is_active() or matcher.id() != docnum:
        return None
    return float(matcher.score())


def _named(leaf: wq.Query) -> tuple[str, str]:
    """(how a part of the query is named, the part of an article it scores in)."""
    field = getattr(leaf, "fieldname", None)
    if isinstance(leaf, wq.Term):
        text = str(leaf.text)
    elif isinstance(leaf, wq.Phrase):
        text = '"' + " ".join(leaf.words) + '"'
    elif isinstance(leaf, (wq.NumericRange, wq.TermRange)):
        text = f"{field} range"
    else:  # NOT a word (a constant for every match), a proximity ("a b"~5), another query of words
        inner = [q for q in leaf.leaves() if isinstance(q, wq.Term)]  # in the order written
        terms = [(q.fieldname, q.text.decode() if isinstance(q.text, bytes) else str(q.text)) for q in inner]
        words = list(dict.fromkeys(t for _, t in terms))
        fields = {f for f, _ in terms}
        field = field or (fields.pop() if len(fields) == 1 else None)
        if isinstance(leaf, wq.Not):
            text = "NOT " + " ".join(words)
        elif words:
            slop = getattr(leaf, "slop", None)
            text = '"' + " ".join(words) + '"' + (f"~{slop}" if slop else "")
        else:
            text = str(leaf)
    return text, _PART.get(field or "", field or "any")
