"""Highlights as character offsets, and snippets: the sentence(s) around a match.

A span is where the analyzer (the same one that indexed the text) yields a token that is one of
the query's terms, so "crossings" lights up for the query "crossing". Offsets are ``[start, end)``
into the snippet's own text. No markup anywhere: renderers decide how a span looks.
"""

from __future__ import annotations

import itertools
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
# A paragraph up to this long is analyzed whole. In a longer one (a megabyte-long line: a data
# dump saved as .txt), only the stretches around words that may be matches are: analyzing it all
# would make every query that hits it take seconds, and a match deep inside still lights up.
MAX_ANALYZED = 100_000
# Around each possible match in a long paragraph, this many characters either side are analyzed,
# in at most MAX_WINDOWS stretches and MAX_ANALYZED characters.
WINDOW = 300
MAX_WINDOWS = 200
# The sentences around a long paragraph's first highlight are looked for this far either side.
SNIPPET_REACH = 2_000
# Stretches of a long text end at a space, looked for at most this far.
MAX_WORD = 100

_SENTENCE_END = re.compile(r"(?<=[.!?])[\"'\u201d\u2019)\]]*\s+(?=[\"'\u201c\u2018(\[]?[A-Z0-9])")


def find(text: str, terms: set[str | tuple[str, ...]]) -> tuple[list[Span], set[str]]:
    """Where ``terms`` occur in ``text``, and the distinct analyzed words found there. A term is
    an analyzed word (``"cross"``), or a tuple of them for a phrase, which lights up only where
    its words stand together. One pass of the analyzer, over at most MAX_ANALYZED characters."""
    if not terms or not text:
        return [], set()
    found: list[tuple[str, int, int]] = []
    for start, end in _stretches(text, terms):
        tokens = [(t.text, start + t.startchar, start + t.endchar) for t in STEMMED(text[start:end], chars=True)]
        found.extend(token for token in tokens if token[0] in terms)
        for phrase in (t for t in terms if isinstance(t, tuple)):
            n = len(phrase)
            for i in range(len(tokens) - n + 1):
                if tuple(word for word, _, _ in tokens[i : i + n]) == phrase:
                    found.extend(tokens[i : i + n])
    return sorted({(start, end) for _, start, end in found}), {word for word, _, _ in found}


def _stretches(text: str, terms: set[str | tuple[str, ...]]) -> list[Span]:
    """The parts of ``text`` to analyze: all of it when it is short. In a long text, the words
    around the first places where each term's stem may begin (its first four letters, any case),
    so a common word does not crowd out a rare one; else the first MAX_ANALYZED characters (a
    stem can differ from the word's start: "ü" is "u")."""
    if len(text) <= MAX_ANALYZED:
        return [(0, len(text))]
    words = sorted({w[:4] for t in terms for w in (t if isinstance(t, tuple) else (t,))})
    each = max(MAX_WINDOWS // max(len(words), 1), 1)
    places = sorted(
        m.start() for w in words for m in itertools.islice(re.finditer(r"\b" + re.escape(w), text, re.IGNORECASE), each)
    )
    stretches: list[Span] = []
    budget = MAX_ANALYZED  # characters, over all the stretches
    for place in places:
        start, end = _word_bounds_out(text, place - WINDOW, place + WINDOW)
        if stretches and start <= stretches[-1][1]:
            budget -= max(end - stretches[-1][1], 0)
            stretches[-1] = (stretches[-1][0], max(end, stretches[-1][1]))
        else:
            budget -= end - start
            stretches.append((start, end))
        if budget <= 0:
            break
    return stretches or [(0, MAX_ANALYZED)]


def _word_bounds_out(text: str, start: int, end: int) -> Span:
    """``[start, end)`` widened to whole words (to the spaces around them), by at most
    MAX_WORD characters each way: a line of data can go on for megabytes without a space."""
    start, end = max(start, 0), min(end, len(text))
    low, high = max(start - MAX_WORD, 0), min(end + MAX_WORD, len(text))
    while start > low and not text[start - 1].isspace():
        start -= 1
    while end < high and not text[end].isspace():
        end += 1
    return start, end


def snippet(text: str, found: list[Span]) -> tuple[str, list[Span]]:
    """The best sentence(s) of ``text`` for the spans ``found``, and the spans moved into it."""
    if len(text) <= MAX_SNIPPET:
        return text, found
    # In a long text, only the sentences near the first highlight (or the opening ones).
    reach_start, reach_end = 0, len(text)
    if len(text) > MAX_ANALYZED:
        first = found[0][0] if found else 0
        reach_start, reach_end = _word_bounds_out(text, first - SNIPPET_REACH, first + SNIPPET_REACH)
    sentences = [(reach_start + s, reach_start + e) for s, e in _sentences(text[reach_start:reach_end])]
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
