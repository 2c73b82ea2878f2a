"""The news-site export layout of ``.txt`` files (README, "Input formats"), and plain text as its fallback.

An exported article starts with a header block::

    Headline
    <blank>
    Caption (Reuters)          <- printed twice
    Caption (Reuters)
    TT                         <- a site artifact
    <blank>
    Headline                   <- again
    <blank>
    Caption (Reuters)          <- twice again
    Caption (Reuters)
    <blank>
    body …

Articles are found by that header (a headline that comes back within a few lines, or a ``TT``
line), not by counting blank lines: bodies hold runs of blank and no-break-space lines too.
A file with no header at all is one plain article whose first non-blank line is its title.
"""

from __future__ import annotations

import re

from newssearch.formats.parsed import Parsed, ParsedArticle
from newssearch.models import Caption, Paragraph, Section

# White space Python's str.isspace() misses but exports are full of.
_INVISIBLE = "\u200b\u200c\u200d\u2060\ufeff"
_ARTIFACT = "TT"
# How many non-blank lines after a headline may hold the header's captions and markers.
_HEADER_SPAN = 8

# A subheading written between dashes, its text maybe quoted: - 'Lifeline' -
_DASHES = "-\u2013\u2014"
_HEADING_QUOTES = "'\"\u2018\u2019\u201c\u201d"
_TRAILING_PAREN = re.compile(r"\(([^()]{1,120})\)\s*$")
_AGENCIES = re.compile(
    r"\b(AP|AFP|Reuters|REUTERS|EPA|EPA-EFE|Getty Images|Xinhua|Anadolu|WAFA|SPA|WAM|UPI|"
    r"Bloomberg|Shutterstock|Handout|Pool|File|White House|Photo|Photograph)\b"
)
# "Name/Agency" or "… via Agency": a credit, unlike "(24/7)" or "(via Zoom)"… mostly.
_CREDIT_SHAPE = re.compile(r"[A-Za-z]\s*/\s*[A-Z]|\bvia [A-Z]{2,}")
_QUOTES_OPEN = "\"'\u201c\u2018\u00ab"
_QUOTES_CLOSE = "\"'\u201d\u2019\u00bb"
_SENTENCE_END = ".:;,!\u2026"
_MAX_HEADING_WORDS = 12
_MAX_HEADING_CHARS = 100


def is_blank(line: str) -> bool:
    return not line.strip().strip(_INVISIBLE).strip()


def clean(line: str) -> str:
    return line.strip().strip(_INVISIBLE).strip()


def credit_of(line: str) -> str | None:
    """The photo credit a caption line ends with — ``(AP)``, ``(… via REUTERS)`` — or None."""
    m = _TRAILING_PAREN.search(line)
    if not m or m.start() == 0:
        return None
    credit = m.group(1).strip()
    if _AGENCIES.search(credit) or _CREDIT_SHAPE.search(credit):
        return credit
    return None


def _between_dashes(line: str) -> str | None:
    """The text of a ``- Heading -`` line (quotes dropped), or None. Not a regular expression: one
    with a lazy group and optional spaces took quadratic time on a long line of spaces."""
    if len(line) < 3 or line[0] not in _DASHES or line[-1] not in _DASHES:
        return None
    inner = line[1:-1].strip()
    unquoted = inner[1:] if inner[:1] in _HEADING_QUOTES else inner
    unquoted = unquoted[:-1] if unquoted[-1:] in _HEADING_QUOTES else unquoted
    return unquoted.strip() or inner or None


def heading_of(line: str) -> str | None:
    """The subheading text if ``line`` is a subheading, else None (it is a paragraph)."""
    dashed = _between_dashes(line)
    if dashed:
        return dashed
    if len(line) > _MAX_HEADING_CHARS or len(line.split()) > _MAX_HEADING_WORDS:
        return None
    if line[-1] in _SENTENCE_END or line[0] in _QUOTES_OPEN or line[-1] in _QUOTES_CLOSE:
        return None
    if not (line[0].isupper() or line[0].isdigit()):
        return None
    if not any(c.isalpha() for c in line):
        return None
    return line


def read_text(text: str) -> Parsed:
    return Parsed(articles=parse_text(text))


def parse_text(text: str) -> list[ParsedArticle]:
    """Every article in one ``.txt`` file's text, with 1-based line numbers."""
    lines = [raw.rstrip("\r") for raw in text.split("\n")]
    nonblank = [(i + 1, clean(line)) for i, line in enumerate(lines) if not is_blank(line)]
    if not nonblank:
        return []
    starts = _header_starts(nonblank, lines)
    if not starts:
        return [_plain_article(nonblank)]
    articles = []
    if starts[0][0] > 0:  # text before the first header: keep it, as a plain article
        articles.append(_plain_article(nonblank[: starts[0][0]]))
    for n, (first, body_from) in enumerate(starts):
        end = starts[n + 1][0] if n + 1 < len(starts) else len(nonblank)
        articles.append(_export_article(nonblank, first, body_from, end))
    return articles


def _header_starts(nonblank: list[tuple[int, str]], lines: list[str]) -> list[tuple[int, int]]:
    """(headline index, first body index) into ``nonblank`` for every article header."""
    starts: list[tuple[int, int]] = []
    i = 0
    while i < len(nonblank):
        lineno, title = nonblank[i]
        after_blank = lineno == 1 or is_blank(lines[lineno - 2])
        body_from = _header_end(nonblank, i) if after_blank else None
        if body_from is None:
            i += 1
            continue
        starts.append((i, body_from))
        i = body_from
    return starts


def _header_end(nonblank: list[tuple[int, str]], i: int) -> int | None:
    """If a header block starts at ``nonblank[i]``, the index of its first body line."""
    title = nonblank[i][1]
    if credit_of(title) or title == _ARTIFACT:  # a caption printed twice in a body
        return None
    window = [text for _, text in nonblank[i + 1 : i + 1 + _HEADER_SPAN]]
    # The header ends at the repeated headline, or at TT when the headline is not repeated.
    # Never look further: past it, a short article's window reaches the next article's header.
    if title in window:
        last = window.index(title)
    elif _ARTIFACT in window:
        last = window.index(_ARTIFACT)
    else:
        return None
    between = [text for text in window[:last] if text not in (title, _ARTIFACT)]
    header = set(between)
    if len(header) > 3:  # more than a few captions: this is prose, not a header
        return None
    # Header captions are printed twice or carry a credit; anything else is body prose.
    if any(between.count(text) < 2 and not credit_of(text) for text in header):
        return None
    k = i + 1 + last + 1
    # After the last marker the captions are printed again; they are header, not body.
    while k < len(nonblank) and (nonblank[k][1] in header or nonblank[k][1] == title):
        k += 1
    return k


def _export_article(nonblank: list[tuple[int, str]], first: int, body_from: int, end: int) -> ParsedArticle:
    lineno, title = nonblank[first]
    article = ParsedArticle(title=title, line=lineno)
    seen: set[str] = set()
    for capline, text in nonblank[first + 1 : body_from]:
        if text not in (title, _ARTIFACT) and text not in seen:
            seen.add(text)
            article.captions.append(Caption(text, capline))
    _parse_body(article, nonblank[body_from:end], seen)
    return article


def _plain_article(nonblank: list[tuple[int, str]]) -> ParsedArticle:
    lineno, title = nonblank[0]
    article = ParsedArticle(title=title, line=lineno)
    _parse_body(article, nonblank[1:], set())
    return article


def _parse_body(article: ParsedArticle, body: list[tuple[int, str]], seen: set[str]) -> None:
    heading: str | None = None
    heading_line = 0
    paragraphs: list[Paragraph] = []

    def close_section() -> None:
        if heading is not None or paragraphs:
            line = heading_line if heading is not None else paragraphs[0].line
            article.sections.append(Section(heading, line, tuple(paragraphs)))

    for lineno, text in body:
        if text == _ARTIFACT:
            continue
        if credit_of(text):
            if text not in seen:
                seen.add(text)
                article.captions.append(Caption(text, lineno))
            continue
        sub = heading_of(text)
        if sub is not None:
            close_section()
            heading, heading_line, paragraphs = sub, lineno, []
            continue
        paragraphs.append(Paragraph(text, lineno))
    close_section()
