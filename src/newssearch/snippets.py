"""What of an article a query matched: labelled snippets for results, and every highlight for
``show --highlight``. Plain data with offsets; no markup anywhere: renderers decide how a span
looks.

A span is where the index's analyzer (passed in as ``analyze``: the engine's, the same one that
indexed the text) yields a word that is one of the query's terms, so "crossings" lights up for
the query "crossing". Offsets are ``[start, end)`` into the snippet's own text. The analyzer
runs once per piece of text.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from newssearch.models import Article, Match, Passage, Terms, Token

Span = tuple[int, int]
# The index's analyzer: a text's words, with where each stands in it.
Analyzer = Callable[[str], Iterable[Token]]
# The most snippets a result shows.
MAX_MATCHES = 3

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


def find(text: str, terms: set[str | tuple[str, ...]], analyze: Analyzer) -> tuple[list[Span], set[str]]:
    """Where ``terms`` occur in ``text``, and the distinct analyzed words found there. A term is
    an analyzed word (``"cross"``), or a tuple of them for a phrase, which lights up only where
    its words stand together. One pass of the analyzer, over at most MAX_ANALYZED characters."""
    if not terms or not text:
        return [], set()
    found: list[tuple[str, int, int]] = []
    for start, end in _stretches(text, terms):
        tokens = [(t.text, start + t.start, start + t.end) for t in analyze(text[start:end])]
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


def article_matches(article: Article, terms: Terms, analyze: Analyzer, limit: int = MAX_MATCHES) -> list[Match]:
    """The best ``limit`` labelled snippets of an article: the title when it matches, then the
    parts that match the most distinct query terms, in reading order among equals. With no
    match at all (``*``, a date range), the lead paragraph, unhighlighted."""
    candidates: list[tuple[int, int, Match]] = []  # (distinct terms, order, match)
    title_spans, _ = find(article.title, terms.get("title", set()), analyze)
    if title_spans:  # a title is short, unless a file's one long line made it: then a snippet
        text, spans = snippet(article.title, title_spans)
        candidates.append((1_000, 0, Match("title", None, article.line, text, spans)))
    order = 1
    for section in article.sections:
        heading_spans, heading_terms = find(section.heading or "", terms.get("section", set()), analyze)
        kind = "section" if section.heading else "body"
        matched_paragraph = False
        for paragraph in section.paragraphs:
            order += 1
            found, distinct = find(paragraph.text, terms.get("body", set()), analyze)
            if found:
                text, spans = snippet(paragraph.text, found)
                score = len(distinct) + len(heading_terms)
                candidates.append((score, order, Match(kind, section.heading, paragraph.line, text, spans)))
                matched_paragraph = True
        if heading_spans and not matched_paragraph and section.heading:
            match = Match("section", section.heading, section.line, section.heading, heading_spans)
            candidates.append((len(heading_terms), order, match))
    for caption in article.captions:
        order += 1
        found, distinct = find(caption.text, terms.get("caption", set()), analyze)
        if found:
            text, spans = snippet(caption.text, found)
            candidates.append((len(distinct), order, Match("caption", None, caption.line, text, spans)))
    candidates.sort(key=lambda c: (-c[0], c[1]))
    matches = [m for _, _, m in candidates[:limit]]
    if not matches:
        lead = next((s for s in article.sections if s.paragraphs), None)
        if lead is not None:
            text, _ = snippet(lead.paragraphs[0].text, [])
            matches = [Match("section" if lead.heading else "body", lead.heading, lead.paragraphs[0].line, text, [])]
    return matches


def passage_match(passage: Passage, terms: Terms, analyze: Analyzer) -> tuple[str, list[Span], int]:
    """A passage's snippet: (text, highlights, line) of its best-matching paragraph, else of its
    heading when only that matched, else of its first paragraph."""
    part = "caption" if passage.kind == "caption" else "body"
    best: tuple[int, str, list[Span], int] | None = None
    for paragraph in passage.paragraphs:
        text, line = paragraph.text, paragraph.line
        found, distinct = find(text, terms.get(part, set()), analyze)
        if found and (best is None or len(distinct) > best[0]):
            snip, spans = snippet(text, found)
            best = (len(distinct), snip, spans, line)
    if best is None and passage.section:
        spans, _ = find(passage.section, terms.get("section", set()), analyze)
        if spans:
            best = (0, passage.section, spans, passage.line)
    if best is None:
        first = passage.paragraphs[0] if passage.paragraphs else None
        text, line = (first.text, first.line) if first else ("", passage.line)
        snip, _ = snippet(text, [])
        best = (0, snip, [], line)
    return best[1], best[2], best[3]


@dataclass(frozen=True)
class ArticleHighlights:
    """Every highlight of a query in an article, as offsets into each piece of its text."""

    title: list[Span]
    captions: list[list[Span]]  # one list per caption, in order
    headings: list[list[Span]]  # one list per section (empty for the lead)
    paragraphs: list[list[list[Span]]]  # per section, per paragraph


def article_highlights(article: Article, terms: Terms, analyze: Analyzer) -> ArticleHighlights:
    return ArticleHighlights(
        title=find(article.title, terms.get("title", set()), analyze)[0],
        captions=[find(c.text, terms.get("caption", set()), analyze)[0] for c in article.captions],
        headings=[find(s.heading or "", terms.get("section", set()), analyze)[0] for s in article.sections],
        paragraphs=[
            [find(p.text, terms.get("body", set()), analyze)[0] for p in s.paragraphs] for s in article.sections
        ],
    )


def no_highlights(article: Article) -> ArticleHighlights:
    """An article's highlights when nothing is highlighted."""
    return ArticleHighlights(
        title=[],
        captions=[[] for _ in article.captions],
        headings=[[] for _ in article.sections],
        paragraphs=[[[] for _ in s.paragraphs] for s in article.sections],
    )
