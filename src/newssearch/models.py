"""Plain data that flows between the layers: what a reader makes and what a search returns.

Nothing here knows about Whoosh, Typer or Rich; every type converts to JSON with ``asdict``.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Paragraph:
    text: str
    line: int


@dataclass(frozen=True)
class Section:
    """A run of paragraphs under one subheading; the lead section has ``heading=None``.

    ``line`` is the heading's line, or the first paragraph's for the lead section.
    """

    heading: str | None
    line: int
    paragraphs: tuple[Paragraph, ...]

    @property
    def text(self) -> str:
        return "\n".join(p.text for p in self.paragraphs)


@dataclass(frozen=True)
class Caption:
    text: str
    line: int


@dataclass(frozen=True)
class Article:
    """One article as read from a file. ``path`` is relative to the corpus, with ``/``."""

    id: str
    path: str
    line: int
    title: str
    sections: tuple[Section, ...]
    captions: tuple[Caption, ...]
    doc_id: str | None = None
    date: str | None = None
    source: str | None = None
    url: str | None = None
    tags: tuple[str, ...] = ()

    @property
    def body(self) -> str:
        return "\n\n".join(s.text for s in self.sections if s.paragraphs)


@dataclass(frozen=True)
class Match:
    """A snippet of a result: where it matched and the highlighted spans (``[start, end)``)."""

    kind: str  # title | section | caption | body
    section: str | None
    line: int
    text: str
    highlights: list[tuple[int, int]]


@dataclass(frozen=True)
class Hit:
    rank: int
    id: str
    score: float
    title: str
    path: str
    line: int
    doc_id: str | None
    date: str | None
    source: str | None
    matches: list[Match]


@dataclass(frozen=True)
class PassageHit:
    rank: int
    id: str
    score: float
    title: str
    kind: str  # section | caption | body (the lead section)
    section: str | None
    path: str
    line: int
    text: str
    highlights: list[tuple[int, int]]


@dataclass(frozen=True)
class SearchResult:
    """``facets``: counts of all matches (not only this page) by ``source`` and by ``month``
    (``YYYY-MM``); ``filter_note``: when filters left nothing, which one and what there is;
    ``notes``: how the query was read where that may not be what was meant (a lower-case
    ``or``, a query of words too common to be indexed)."""

    query: str
    total: int
    relaxed: bool
    suggestion: str | None
    results: list[Hit] | list[PassageHit]
    facets: dict[str, dict[str, int]] = field(default_factory=dict)
    filter_note: str | None = None
    notes: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class FileProblem:
    """Something about a corpus file: ``level`` is ``error`` when something (the file, a record)
    could not be read and is left out of the index; ``warning`` when it was read with something
    off (bytes replaced, a date not read, front matter ignored) or held nothing (an empty
    record)."""

    path: str
    reason: str
    line: int | None = None
    level: str = "error"
    new: bool = True  # in an index run: found by this run (false: known from an earlier run)


@dataclass
class IndexSummary:
    articles: int = 0
    sections: int = 0
    captions: int = 0
    files: int = 0
    added: int = 0
    changed: int = 0
    removed: int = 0
    unchanged: int = 0
    skipped: int = 0
    failed: int = 0
    seconds: float = 0.0
    rebuilt: bool = False
    reclaimed_bytes: int = 0  # left in the index folder by failed runs, removed before this one
    problems: list[FileProblem] = field(default_factory=list)
    skipped_files: list[str] = field(default_factory=list)  # not of a supported format


@dataclass
class KnownProblems:
    """``index --problems``: what the index knows is wrong with the corpus, without reading it
    again. ``not_read``: files new or changed since the last run, whose problems are not known."""

    problems: list[FileProblem] = field(default_factory=list)
    not_read: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class IndexStats:
    articles: int
    sections: int
    captions: int
    files: int
    terms: int
    bytes: int
    updated: str | None
