"""Plain data that flows between the layers: what a reader makes, what a search asks and
returns, and what an update of the index reports (its plan and the manifest: ``manifest``).

Nothing here knows about a search engine, Typer or Rich; every type converts to JSON with
``asdict``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import NamedTuple


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
class Passage:
    """One section or caption of an article, as ``--passages`` ranks it. ``kind``: section,
    caption, or body (the lead section, which has no heading)."""

    id: str  # the article's
    title: str
    path: str
    kind: str
    section: str | None
    line: int
    paragraphs: tuple[Paragraph, ...]


@dataclass(frozen=True)
class SearchRequest:
    text: str
    limit: int = 10
    offset: int = 0
    any_words: bool = False
    passages: bool = False
    source: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    field: str | None = None  # --in: title | section | caption | body
    sort: str = "relevance"  # relevance | date
    facets: bool = True  # count all matches by source and month (--jsonl prints no counts)
    feedback: bool = True  # re-rank --any questions by their best articles' words (README, "Ranking")
    snippets: bool = True  # the results' snippets (measuring ranking alone needs none)
    exact_total: bool = False  # count every match, however many (README, "Large result sets")
    explain: bool = False  # what each word added to each result's score (``Page.explanations``)
    respell: bool = True  # names in every spelling the index has (README, "Names in every spelling")
    fold_copies: bool = True  # one result a story, its copies under it (README, "Wire copies folded")


# The most copies listed under one result (a story re-sent a hundred times lists its first hundred).
COPIES_LISTED = 100

# A query's total is counted exactly up to this many matches; past it, it may be a lower bound
# (``total_exact`` false) unless ``exact_total`` asks for every match (README, "Large result sets").
EXACT_UP_TO = 10_000


# What an index holds of names (``Reader.name_counts``): by key, each name with the number of
# articles that write it as one; and by word, the number of articles that hold it.
NameCounts = tuple[dict[str, dict[str, int]], dict[str, int]]


# What to highlight, by part of an article (title, section, caption, body): analyzed words, and
# exact phrases as tuples of them.
Terms = dict[str, set[str | tuple[str, ...]]]


def terms_by_part(terms: Terms, *fields: dict[str, str]) -> Terms:
    """An engine's highlight terms by field → by part of an article; ``fields``: the engine's
    field for each part (of articles, of passages). Fields of no part (``source``) are left out."""
    part_of = {name: part for mapping in fields for part, name in mapping.items()}
    parts: Terms = {}
    for name, texts in terms.items():
        part = part_of.get(name)
        if part:
            parts.setdefault(part, set()).update(texts)
    return parts


class Token(NamedTuple):
    """A word as the index's analyzer yields it, and where it stands in the text analyzed."""

    text: str
    start: int
    end: int


class EmptyFilter(NamedTuple):
    """Why a request's filters left nothing: ``filter`` ("source" or "date") matches no
    article (or passage) at all, and ``there`` is what there is instead (the sources, most
    articles first; the months, in date order); or, with ``filter`` None, every filter matches
    something and ``unfiltered`` documents match the query without them."""

    filter: str | None
    there: tuple[str, ...] = ()
    unfiltered: int = 0


@dataclass(frozen=True)
class Page:
    """What an engine found for a request: the page's articles (or passages) with their scores,
    best first, and what a result list says about all the matches.

    ``total_exact``: whether ``total`` counts every match, or is a lower bound.
    ``relaxed``: no article has every word, and these have some of them.
    ``searchable``: false when no word of the query can be searched for (all too common to be
    indexed). ``terms``: what the query matched, to highlight in the results'
    text. ``suggestion``: the
    query with each word the index lacks replaced by the closest one it has ("did you mean")."""

    hits: list[tuple[float, Article | Passage]]
    total: int
    terms: Terms
    total_exact: bool = True
    searchable: bool = True
    relaxed: bool = False
    suggestion: str | None = None
    facets: dict[str, dict[str, int]] = field(default_factory=dict)
    empty_filter: EmptyFilter | None = None  # when filters left nothing
    # With ``explain``: for each hit, what each word added to its score, greatest first.
    explanations: list[list[Contribution]] | None = None
    # With ``fold_copies``, for each article hit, the other matching articles of its copy group
    # (at most ``COPIES_LISTED``), best first; ``total`` then counts the groups.
    copies: list[list[Article]] | None = None
    folded: int = 0  # matching articles folded as copies (of all matches, with an exact total)


@dataclass(frozen=True)
class Match:
    """A snippet of a result: where it matched and the highlighted spans (``[start, end)``)."""

    kind: str  # title | section | caption | body
    section: str | None
    line: int
    text: str
    highlights: list[tuple[int, int]]


@dataclass(frozen=True)
class Contribution:
    """What one word (as indexed: ``cross`` for "crossings"), or one phrase (its words in
    quotes), added to a result's score in one part of it (title, section, caption, body, or a
    field such as source); ``feedback``: a word that ``--any``'s feedback added to the query."""

    term: str
    part: str
    score: float
    feedback: bool = False


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
    # The other matching articles of its copy group, best first (README, "Wire copies folded").
    copies: list[Copy] = field(default_factory=list)
    explanation: list[Contribution] | None = None  # with --explain


@dataclass(frozen=True)
class Copy:
    """A copy of a result's story: another article of its copy group."""

    id: str
    doc_id: str | None
    title: str
    source: str | None
    date: str | None
    path: str
    line: int


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
    explanation: list[Contribution] | None = None  # with --explain


@dataclass(frozen=True)
class SimilarResult:
    """``similar ID``: the article's stories like it, best first. ``words``: the words it was
    searched by; ``copies``: the ids of articles left out as copies of it (the same words)."""

    id: str
    title: str
    words: list[str]
    copies: list[str]
    results: list[Hit]


@dataclass(frozen=True)
class SearchResult:
    """``total_exact``: false when ``total`` is a lower bound (more matches than were counted);
    ``facets``: counts of all matches (not only this page) by ``source`` and by ``month``
    (``YYYY-MM``), only when the total is exact; ``filter_note``: when filters left nothing,
    which one and what there is; ``notes``: how the query was read where that may not be what
    was meant (a lower-case ``or``, a query of words too common to be indexed); ``variants``:
    the other spellings of names searched, by word as written ("Names in every spelling")."""

    query: str
    total: int
    total_exact: bool
    relaxed: bool
    suggestion: str | None
    results: list[Hit] | list[PassageHit]
    facets: dict[str, dict[str, int]] = field(default_factory=dict)
    filter_note: str | None = None
    notes: list[str] = field(default_factory=list)
    # Names in every spelling: for each word as written, the other spellings searched.
    variants: dict[str, list[str]] = field(default_factory=dict)
    # Wire copies folded: how many matching articles are copies under the results (counted with
    # an exact total; 0 with --all-copies).
    folded: int = 0


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
