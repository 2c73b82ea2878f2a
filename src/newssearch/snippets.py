"""What of an article a query matched: labelled snippets for results, and every highlight for
``show --highlight``. Plain data with offsets; the analyzer runs once per piece of text.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from newssearch.highlight import Span, Terms, find, snippet
from newssearch.models import Article, Match

MAX_MATCHES = 3


def article_matches(article: Article, terms: Terms, limit: int = MAX_MATCHES) -> list[Match]:
    """The best ``limit`` labelled snippets of an article: the title when it matches, then the
    parts that match the most distinct query terms, in reading order among equals. With no
    match at all (``*``, a date range), the lead paragraph, unhighlighted."""
    candidates: list[tuple[int, int, Match]] = []  # (distinct terms, order, match)
    title_spans, _ = find(article.title, terms.get("title", set()))
    if title_spans:  # a title is short, unless a file's one long line made it: then a snippet
        text, spans = snippet(article.title, title_spans)
        candidates.append((1_000, 0, Match("title", None, article.line, text, spans)))
    order = 1
    for section in article.sections:
        heading_spans, heading_terms = find(section.heading or "", terms.get("section", set()))
        kind = "section" if section.heading else "body"
        matched_paragraph = False
        for paragraph in section.paragraphs:
            order += 1
            found, distinct = find(paragraph.text, terms.get("body", set()))
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
        found, distinct = find(caption.text, terms.get("caption", set()))
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


def passage_match(passage: dict[str, Any], terms: Terms) -> tuple[str, list[Span], int]:
    """A passage's snippet: (text, highlights, line) of its best-matching paragraph, else of its
    heading when only that matched, else of its first paragraph."""
    part = "caption" if passage["kind"] == "caption" else "body"
    best: tuple[int, str, list[Span], int] | None = None
    for text, line in passage["paragraphs"]:
        found, distinct = find(text, terms.get(part, set()))
        if found and (best is None or len(distinct) > best[0]):
            snip, spans = snippet(text, found)
            best = (len(distinct), snip, spans, line)
    if best is None and passage["section"]:
        spans, _ = find(passage["section"], terms.get("section", set()))
        if spans:
            best = (0, passage["section"], spans, passage["line"])
    if best is None:
        text, line = passage["paragraphs"][0] if passage["paragraphs"] else ("", passage["line"])
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


def article_highlights(article: Article, terms: Terms) -> ArticleHighlights:
    return ArticleHighlights(
        title=find(article.title, terms.get("title", set()))[0],
        captions=[find(c.text, terms.get("caption", set()))[0] for c in article.captions],
        headings=[find(s.heading or "", terms.get("section", set()))[0] for s in article.sections],
        paragraphs=[[find(p.text, terms.get("body", set()))[0] for p in s.paragraphs] for s in article.sections],
    )
