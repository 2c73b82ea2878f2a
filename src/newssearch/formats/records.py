"""``.json`` (one article object, or a list of them) and ``.jsonl`` (one object a line).

Keys (README, "Input formats"): ``id``, ``title``, ``body``, and optionally ``date``, ``source``, ``url``,
``tags``, ``captions`` (strings, or objects with ``text`` and ``credit``) and ``sections``
(``{"heading", "text"}``). Common other names from scrapers and feeds are read too:
``headline``; ``text`` or ``content`` for the body; ``published``, ``publishedAt``,
``datePublished``, ``pubDate`` for the date; ``link`` for the url; ``keywords``, ``categories``,
``category``, ``topics`` for the tags; ``source`` may be ``{"name": …}``.

An article's line is its record's line (``.jsonl``) or the line of its opening brace
(``.json``); the format has no finer lines, so its sections and captions share it.
"""

from __future__ import annotations

import json
import sys
from typing import Any

from newssearch.formats.limits import MAX_RECORD_CHARS, record_too_long
from newssearch.formats.parsed import (
    WARNING,
    FormatError,
    Metadata,
    Parsed,
    ParsedArticle,
    Problem,
    first_present,
    lead_and_sections,
    paragraphs_of,
    title_from,
)
from newssearch.models import Section

TITLE_KEYS = ("title", "headline")
BODY_KEYS = ("body", "text", "content")
_ARTICLE_KEYS = frozenset({*TITLE_KEYS, *BODY_KEYS, "sections", "captions"})


def _number(text: str) -> int | str:
    """A JSON integer; one too long for Python to convert (``sys.get_int_max_str_digits()``,
    4,300 digits by default, a limit against slow conversions) is kept as its digits: a record
    holding one is still an article."""
    limit = sys.get_int_max_str_digits()
    return text if limit and len(text.lstrip("-")) > limit else int(text)


_DECODER = json.JSONDecoder(parse_int=_number)


def read_jsonl(text: str) -> Parsed:
    parsed = Parsed()
    for lineno, raw in enumerate(text.split("\n"), start=1):
        if len(raw) > MAX_RECORD_CHARS:
            parsed.problems.append(Problem(record_too_long(len(raw)), lineno))
            continue
        if not raw.strip():
            continue
        try:
            record = _DECODER.decode(raw)
        except json.JSONDecodeError as exc:
            parsed.problems.append(Problem(f"not valid JSON: {exc.msg} (column {exc.colno}); line skipped", lineno))
            continue
        except RecursionError:
            parsed.problems.append(Problem("JSON nested too deeply to read; line skipped", lineno))
            continue
        _add(parsed, record, lineno)
    return parsed


def read_json(text: str) -> Parsed:
    parsed = Parsed()
    try:
        items = _top_level(text)
    except json.JSONDecodeError as exc:
        raise FormatError(f"not valid JSON: {exc.msg} (column {exc.colno})", exc.lineno) from None
    except RecursionError:
        raise FormatError("JSON nested too deeply to read") from None
    if len(items) == 1 and not _looks_like_article(items[0][0]):
        record, line = items[0]
        raise FormatError(_not_an_article(record), line)
    for record, line in items:
        _add(parsed, record, line)
    return parsed


def _top_level(text: str) -> list[tuple[Any, int]]:
    """The file's article records with the line each starts on: the one top-level object, or the
    elements of a top-level list."""
    lines = _LineCounter(text)
    pos = _skip_space(text, 0)
    if not text.startswith("[", pos):
        value, end = _DECODER.raw_decode(text, pos)
        _expect_end(text, end)
        return [(value, lines.at(pos))]
    items: list[tuple[Any, int]] = []
    pos = _skip_space(text, pos + 1)
    if text.startswith("]", pos):
        _expect_end(text, pos + 1)
        return items
    while True:
        value, end = _DECODER.raw_decode(text, pos)
        items.append((value, lines.at(pos)))
        pos = _skip_space(text, end)
        if text.startswith(",", pos):
            pos = _skip_space(text, pos + 1)
        elif text.startswith("]", pos):
            _expect_end(text, pos + 1)
            return items
        else:
            raise json.JSONDecodeError("Expecting ',' delimiter", text, pos)


class _LineCounter:
    """Line numbers of increasing offsets, counted from the last one asked about (not from the
    start each time, which made a list of 60,000 articles take minutes)."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0
        self.line = 1

    def at(self, pos: int) -> int:
        self.line += self.text.count("\n", self.pos, pos)
        self.pos = pos
        return self.line


def _skip_space(text: str, pos: int) -> int:
    while pos < len(text) and text[pos] in " \t\r\n":
        pos += 1
    return pos


def _expect_end(text: str, pos: int) -> None:
    pos = _skip_space(text, pos)
    if pos < len(text):
        raise json.JSONDecodeError("Extra data", text, pos)


def _looks_like_article(record: Any) -> bool:
    return isinstance(record, dict) and bool(_ARTICLE_KEYS & record.keys())


def _not_an_article(record: Any) -> str:
    if not isinstance(record, dict):
        return f'not an article: a JSON {_kind(record)}, where an object with "title" and "body" was expected'
    keys = ", ".join(sorted(map(str, record))[:6]) or "none"
    return f'not an article: no "title" or "body" key (its keys: {keys})'


def _kind(value: Any) -> str:
    return {dict: "object", list: "list", str: "string", bool: "boolean", type(None): "null"}.get(type(value), "number")


def _add(parsed: Parsed, record: Any, line: int) -> None:
    if not _looks_like_article(record):
        parsed.problems.append(Problem(_not_an_article(record) + "; skipped", line))
        return
    article = article_of(record, line, parsed.problems)
    if article.is_empty:
        parsed.problems.append(Problem("empty article (no title and no text); skipped", line, WARNING))
        return
    parsed.articles.append(article)


def article_of(record: dict[str, Any], line: int, problems: list[Problem]) -> ParsedArticle:
    meta = Metadata(problems, line)
    body_key = first_present(record, BODY_KEYS)
    body = record[body_key] if body_key else None
    if body is not None and not isinstance(body, str):
        meta.warn(f"the body is a JSON {_kind(body)}, not text; ignored")
        body = None
    lead = paragraphs_of(body or "", line)
    sections = _sections(record.get("sections"), line, meta)
    if sections:
        # A body that holds the sections' paragraphs too is the whole text; keep only its lead.
        in_sections = {p.text for s in sections for p in s.paragraphs}
        lead = [p for p in lead if p.text not in in_sections]
    title = next((t for key in TITLE_KEYS if (t := meta.text(record, key))), None)
    all_sections = lead_and_sections(lead, sections)
    article = ParsedArticle(title=title or title_from(all_sections), line=line, sections=all_sections)
    for text in _captions(record.get("captions"), meta):
        article.add_caption(text, line)
    meta.apply(article, record)
    return article


def _list(value: Any, key: str, meta: Metadata) -> list[Any]:
    """An optional list value: missing is empty, anything else but a list is a warning."""
    if value is None:
        return []
    if not isinstance(value, list):
        meta.warn(f'"{key}" is not a list; ignored')
        return []
    return value


def _sections(value: Any, line: int, meta: Metadata) -> list[Section]:
    sections = []
    for item in _list(value, "sections", meta):
        if not isinstance(item, dict):
            meta.warn('a section is not an object with "heading" and "text"; ignored')
            continue
        raw_heading = item.get("heading")
        heading = (" ".join(raw_heading.split()) or None) if isinstance(raw_heading, str) else None
        text = item.get("text")
        paragraphs = paragraphs_of(text, line) if isinstance(text, str) else []
        if heading or paragraphs:
            sections.append(Section(heading, line, tuple(paragraphs)))
    return sections


def _captions(value: Any, meta: Metadata) -> list[str]:
    texts = []
    for item in _list(value, "captions", meta):
        if isinstance(item, dict):
            text, credit = item.get("text"), item.get("credit")
            if isinstance(text, str) and isinstance(credit, str) and credit.strip() and credit not in text:
                text = f"{text.strip()} ({credit.strip()})"
            item = text
        if isinstance(item, str) and item.strip():
            texts.append(item)
        else:
            meta.warn('a caption is not text (or an object with "text"); ignored')
    return texts
