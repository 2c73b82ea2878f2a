"""What every reader produces, and the pieces readers share: metadata checking, body splitting.

A reader takes a file's text and returns a ``Parsed``: its articles (before they get ids and
paths) and its ``Problem``s, each with the line it is on. A reader raises ``FormatError`` when
the file as a whole holds nothing it can index (a ``.json`` that is not an article, a page with
no article text).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from newssearch.formats.dates import DateError, normalise_date
from newssearch.models import Caption, Paragraph, Section

ERROR = "error"  # something (a file, a record) could not be read and is left out of the index
WARNING = "warning"  # read, with something off (replaced bytes, a date not read); or nothing in it

_BLANK_LINES = re.compile(r"\n[ \t\u00a0\r]*\n")
_INDENTED = re.compile(r"^[ \t]+\S")
_MAX_TAGS = 100
_MAX_TITLE = 120


@dataclass
class ParsedArticle:
    """An article before it gets its id and path."""

    title: str
    line: int
    sections: list[Section] = field(default_factory=list)
    captions: list[Caption] = field(default_factory=list)
    doc_id: str | None = None
    date: str | None = None
    source: str | None = None
    url: str | None = None
    tags: tuple[str, ...] = ()

    def add_caption(self, text: str, line: int) -> None:
        """A caption, once: a repeated caption is one caption."""
        text = " ".join(text.split())
        if text and all(c.text != text for c in self.captions):
            self.captions.append(Caption(text, line))

    @property
    def is_empty(self) -> bool:
        return not self.title and not self.captions and not any(s.paragraphs or s.heading for s in self.sections)


@dataclass(frozen=True)
class Problem:
    reason: str
    line: int | None = None
    level: str = ERROR


@dataclass
class Parsed:
    articles: list[ParsedArticle] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)


class FormatError(Exception):
    """The file holds nothing to index; ``reason`` says why, ``line`` where (when known)."""

    def __init__(self, reason: str, line: int | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.line = line


def paragraphs_of(text: str, line: int) -> list[Paragraph]:
    """A body given as one string → paragraphs, all at ``line`` (the format has no finer lines).

    Paragraphs are separated by blank lines; in a block without blank lines whose paragraphs
    start on indented lines (newswire style), each indented line starts a paragraph. The lines
    of a paragraph are joined with single spaces."""
    paragraphs = []
    for block in _BLANK_LINES.split(text.replace("\r\n", "\n")):
        lines = [raw for raw in block.split("\n") if raw.strip()]
        indented = sum(1 for raw in lines[1:] if _INDENTED.match(raw))
        current: list[str] = []
        for raw in lines:
            if current and indented and _INDENTED.match(raw):
                paragraphs.append(Paragraph(" ".join(current), line))
                current = []
            current.append(" ".join(raw.split()))
        if current:
            paragraphs.append(Paragraph(" ".join(current), line))
    return paragraphs


class Metadata:
    """Checks the metadata a record gives (JSON keys, front matter) and applies it to an article;
    what cannot be used becomes a warning at ``line``, never a guess."""

    def __init__(self, problems: list[Problem], line: int | None, key_lines: dict[str, int] | None = None) -> None:
        self.problems = problems
        self.line = line
        self.key_lines = key_lines or {}  # where each key is, when the format says (front matter)

    def warn(self, reason: str, key: str | None = None) -> None:
        self.problems.append(Problem(reason, self.key_lines.get(key or "", self.line), WARNING))

    def text(self, record: dict[str, Any], key: str) -> str | None:
        """A one-line text value; numbers are taken as text (``"id": 17``)."""
        value = record.get(key)
        if value is None:
            return None
        if isinstance(value, int | float) and not isinstance(value, bool):
            value = str(value)
        if isinstance(value, dict) and isinstance(value.get("name"), str):  # "source": {"name": …}
            value = value["name"]
        if not isinstance(value, str):
            self.warn(f'"{key}" is not text; ignored', key)
            return None
        return " ".join(value.split()) or None

    def tags(self, value: Any, key: str = "tags") -> tuple[str, ...]:
        """A list of tags, or one string of comma-separated tags."""
        if value is None:
            return ()
        if isinstance(value, str):
            items: list[Any] = value.split(",")
        elif isinstance(value, list):
            items = value
        else:
            self.warn("the tags are neither a list nor comma-separated text; ignored", key)
            return ()
        tags: list[str] = []
        for item in items[:_MAX_TAGS]:
            if isinstance(item, str | int | float) and not isinstance(item, bool):
                tag = " ".join(str(item).split())
                if tag and tag not in tags:
                    tags.append(tag)
        return tuple(tags)

    def date(self, value: Any, key: str = "date") -> str | None:
        try:
            return normalise_date(value)
        except DateError as exc:
            self.warn(f"{exc}; the article is kept without a date", key)
            return None

    def apply(self, article: ParsedArticle, record: dict[str, Any]) -> None:
        """Set ``doc_id``, ``date``, ``source``, ``url`` and ``tags`` from a record's keys."""
        article.doc_id = self.text(record, "id")
        date_key = first_present(record, DATE_KEYS)
        article.date = self.date(record[date_key], date_key) if date_key else None
        article.source = self.text(record, "source")
        article.url = self.text(record, "url") or self.text(record, "link")
        tags_key = first_present(record, TAG_KEYS)
        article.tags = self.tags(record[tags_key], tags_key) if tags_key else ()


# Other names the same thing goes by in scrapers' and feeds' exports, in order of preference.
DATE_KEYS = ("date", "published", "published_at", "publishedAt", "datePublished", "pubDate")
TAG_KEYS = ("tags", "keywords", "categories", "category", "topics")


def first_present(record: dict[str, Any], keys: tuple[str, ...]) -> str | None:
    """The first of ``keys`` that the record gives a value for."""
    for key in keys:
        if record.get(key) not in (None, "", []):
            return key
    return None


def title_from(sections: list[Section]) -> str:
    """An untitled article's title: the start of its first paragraph (which stays in the body)."""
    first = next((p for s in sections for p in s.paragraphs), None)
    if first is None:
        return next((s.heading for s in sections if s.heading), "")
    if len(first.text) <= _MAX_TITLE:
        return first.text
    return first.text[:_MAX_TITLE].rsplit(" ", 1)[0] + " …"


def lead_and_sections(lead: list[Paragraph], sections: list[Section]) -> list[Section]:
    """The lead section (when it has paragraphs) followed by the given sections."""
    out = [Section(None, lead[0].line, tuple(lead))] if lead else []
    return out + sections
