"""Highlights as character offsets, and snippets: the sentence(s) around a match.

A span is where the analyzer (the same one that indexed the text) yields a token that is one of
the query's terms, so "crossings" lights up for the query "crossing". Offsets are ``[start, end)``
into the snippet's own text. No markup anywhere: renderers decide how a span looks.
"""

from __future__ import annotations

import re

from newssearch.schema import STEMMED

Span = tuple[int, int]
# What to highlight, by field or by part of an article: analyzed words, and phrases as tuples.
Terms = dict[str, set[str | tuple[str, ...]]]

# Snippets longer than this are cut around their first highlight, at word boundaries.
MAX_SNIPPET = 280
# A sentence shorter than this takes its neighbour along, so a snippet says something.
MIN_SNIPPET = 90
ELLIPSIS = "\u2026"
# Highlights are looked for in the first this many characters of a paragraph: a megabyte-long
# line (a data dump saved as .txt) must not make every query that hits it take seconds.
MAX_ANALYZED = 100_000

_SENTENCE_END = re.compile(r"(?<=[.!?])[\"'\u201d\u2019)\]]*\s+(?=[\"'\u201c\u2018(\[]?[A-Z0-9])")


def find(text: str, terms: set[str | tuple[str, ...]]) -> tuple[list[Span], set[str]]:
    """Where ``terms`` occur in ``text``, and the distinct analyzed words found there. A term is
    an analyzed word (``"cross"``), or a tuple of them for a phrase, which lights up only where
    its words stand together. One pass of the analyzer, over at most MAX_ANALYZED characters."""
    if not terms or not text:
        return [], set()
    tokens = [(t.text, t.startchar, t.endchar) for t in STEMMED(text[:MAX_ANALYZED], chars=True, mode="index")]
    found = [(word, start, end) for word, start, end in tokens if word in terms]
    for phrase in (t for t in terms if isinstance(t, tuple)):
        n = len(phrase)
        for i in range(len(tokens) - n + 1):
            if tuple(word for word, _, _ in tokens[i : i + n]) == phrase:
                found.extend(tokens[i : i + n])
    return sorted({(start, end) for _, start, end in found}), {word for word, _, _ in found}


def snippet(text: str, found: list[Span]) -> tuple[str, list[Span]]:
    """The best sentence(s) of ``text`` for the spans ``found``, and the spans moved into it."""
    if len(text) <= MAX_SNIPPET:
        return text, found
    sentences = _sentences(text[:MAX_ANALYZED])  # highlights lie within it, so snippets do too
    if not found:
        start, end = sentences[0]
    else:
        best = max(range(len(sentences)), key=lambda i: (_hits(sentences[i], found), -i))
        start, end = sentences[best]
        if end - start < MIN_SNIPPET and best + 1 < len(sentences):
            end = sentences[best + 1][1]
        if end - start < MIN_SNIPPET and best > 0:
            start = sentences[best - 1][0]
    return _cut(text, start, end, found)


def _sentences(text: str) -> list[Span]:
    bounds = []
    pos = 0
    for m in _SENTENCE_END.finditer(text):
        bounds.append((pos, m.start()))
        pos = m.end()
    bounds.append((pos, len(text)))
    return bounds


def _hits(sentence: Span, found: list[Span]) -> int:
    return sum(1 for s, e in found if s >= sentence[0] and e <= sentence[1])


def _cut(text: str, start: int, end: int, found: list[Span]) -> tuple[str, list[Span]]:
    inside = [(s, e) for s, e in found if s >= start and e <= end]
    if end - start > MAX_SNIPPET:
        focus = inside[0][0] if inside else start
        start = max(start, min(focus - MAX_SNIPPET // 3, end - MAX_SNIPPET))
        end = min(end, start + MAX_SNIPPET)
        start, end = _word_bounds(text, start, end)
        inside = [(s, e) for s, e in inside if s >= start and e <= end]
    prefix = ELLIPSIS if start > 0 else ""
    suffix = ELLIPSIS if end < len(text) else ""
    body = text[start:end].strip()
    shift = start + (len(text[start:end]) - len(text[start:end].lstrip())) - len(prefix)
    return prefix + body + suffix, [(s - shift, e - shift) for s, e in inside]


def _word_bounds(text: str, start: int, end: int) -> Span:
    if start > 0 and not text[start - 1].isspace():
        nxt = text.find(" ", start)
        if nxt != -1 and nxt < end:
            start = nxt + 1
    if end < len(text) and not text[end].isspace():
        prev = text.rfind(" ", start, end)
        if prev > start:
            end = prev
    return start, end
