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
    added = {id(leaf) for leaf in scoring(feedback)} if feedback is not None else set()
    leaves = list(scoring(scored))
    out = []
    for _, stored in page:
        docnum = searcher.document_number(key=stored["key"])
        found = []
        for leaf in leaves:
            score = _score_at(searcher, leaf, docnum) if docnum is not None else None
            if score:
                found.append(
                    Contribution(
                        term=_term(leaf),
                        part=_PART.get(getattr(leaf, "fieldname", ""), getattr(leaf, "fieldname", None) or "any"),
                        score=round(score, 4),
                        feedback=id(leaf) in added,
                    )
                )
        out.append(sorted(found, key=lambda c: -c.score))
    return out


def scoring(q: wq.Query) -> Iterator[wq.Query]:
    """The parts of ``q`` whose scores a match's score adds up."""
    if q is wq.NullQuery or isinstance(q, wq.Not):
        return
    if isinstance(q, (wq.Require, wq.AndNot)):
        yield from scoring(q.a)
    elif isinstance(q, wq.AndMaybe):
        yield from scoring(q.a)
        yield from scoring(q.b)
    elif isinstance(q, (wq.And, wq.Or)):
        for child in q.children():
            yield from scoring(child)
    else:
        yield q


def _score_at(searcher: Searcher, leaf: wq.Query, docnum: int) -> float | None:
    matcher = leaf.matcher(searcher)
    if not matcher.is_active():
        return None
    if matcher.id() < docnum:
        matcher.skip_to(docnum)
    if not matcher.is_active() or matcher.id() != docnum:
        return None
    return float(matcher.score())


def _term(leaf: wq.Query) -> str:
    if isinstance(leaf, wq.Term):
        return str(leaf.text)
    if isinstance(leaf, wq.Phrase):
        return '"' + " ".join(leaf.words) + '"'
    return str(leaf)
