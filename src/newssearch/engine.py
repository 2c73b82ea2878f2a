"""The seam between newssearch and the engine that keeps its index (README, "Engines").

newssearch reads the corpus, plans updates, checks query text, makes snippets and renders
results; an engine stores articles and searches them. This module is the whole of what the one
asks of the other, in plain data (``models``): an engine opens a ``Reader`` to search and a
``Writer`` to apply an update. Engines are found by the index location a user gives
(``--index``): ``engines.engine_at``.

An engine never sees Typer or Rich, and nothing outside an engine's package imports what the
engine is built on.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterator
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING, Any, Protocol, TypeAlias

from newssearch.models import Article, NameCounts, Page, SearchRequest, Terms, Token
from newssearch.querytext import ParsedQuery

if TYPE_CHECKING:  # loaded by index and its checks only: a query does not need it (``manifest``)
    from newssearch.manifest import IndexContents, IndexStats, IndexSummary, ManifestEntry


class Reader(Protocol):
    """A consistent view of the index, for one command."""

    @property
    def corpus(self) -> str | None:
        """The corpus folder the index was built from (absolute), if known."""

    def search(self, request: SearchRequest, query: ParsedQuery) -> Page:
        """The page of ``request``: ``query`` is the request's text, checked and read."""

    def article(self, article_id: str) -> Article:
        """The article with this id, or the one whose id starts with it. Raises
        ``ArticleNotFoundError`` (none, or several) with a sentence that says what to do."""

    def copies(self, article_id: str) -> list[Article]:
        """The other articles of this article's copy group (README, "Wire copies folded"), in
        the order of their ids, at most ``COPIES_LISTED``."""

    def highlight_terms(self, query: ParsedQuery) -> Terms:
        """What ``query`` matches in an article, by part, to highlight (``show --highlight``)."""

    def analyze(self, text: str) -> Iterator[Token]:
        """``text`` as the index's analyzer reads it: the words that ``Terms`` are made of."""

    def name_counts(self, keys: Collection[str], words: Collection[str]) -> NameCounts:
        """For "Names in every spelling" (``names``): the names the index holds under each of
        ``keys`` (``names.key``), each with the number of articles that write it as a name; and
        the number of articles that hold each of ``words`` and of those names."""

    def manifest(self) -> dict[str, ManifestEntry]:
        """What the index knows of each corpus file, by path."""

    def stats(self) -> IndexStats:
        """Counts, size and the time of the last update."""


class Writer(Protocol):
    """One update of the index: nothing is searched until ``commit``, and an update that ends
    without it leaves the index as it was."""

    @property
    def meta(self) -> dict[str, Any]:
        """The metadata the last update committed ({} for a new or rebuilt index)."""

    @property
    def manifest(self) -> dict[str, ManifestEntry]:
        """The manifest as committed ({} for a new or rebuilt index)."""

    @property
    def rebuilt(self) -> bool:
        """Whether this update starts from an empty index."""

    def parallel(self, processes: int) -> None:
        """Index with this many processes, if the engine can (called before anything is
        written; an engine may use fewer)."""

    def remove_file(self, relpath: str) -> None:
        """Remove the articles of a corpus file and its manifest entry."""

    def add_article(self, article: Article) -> None:
        """Add an article (its file's old articles were removed first)."""

    def put_entry(self, relpath: str, entry: ManifestEntry) -> None:
        """Record a corpus file's manifest entry."""

    def changed(self) -> bool:
        """Whether anything was written since the writer opened."""

    def commit(self, meta: dict[str, Any]) -> None:
        """Make the update, with this metadata, what every later reader sees."""


# An update: applies the changes through the writer, commits, and returns what it did. An
# engine may call it again with a new writer (after a failure that committed nothing).
Update: TypeAlias = "Callable[[Writer], IndexSummary]"


class Engine(Protocol):
    """An index at one location."""

    name: str

    def reader(self) -> AbstractContextManager[Reader]:
        """Open the index for reading. Raises ``IndexMissingError`` or ``IndexOutdatedError``
        with a sentence that says which command fixes it."""

    def update(self, apply: Update, *, rebuild: bool) -> IndexSummary:
        """Run ``apply`` with a writer, alone: a second update at the same time is refused
        (``IndexBusyError``). With ``rebuild``, the writer starts from an empty index."""

    def contents(self) -> IndexContents:
        """Read the whole index back, for ``index --check``; never writes."""


class Resident(Protocol):
    """An engine whose index a resident searcher can keep open (``newssearch serve``; README, "A
    resident searcher"): the index on this machine, read by processes the server forks."""

    def keep(self) -> bool:
        """Keep the index open in this process for every later ``reader()``, and reopen it when
        a newer update has committed; True when it was (re)opened. Raises as ``reader()`` does."""

    def sample_word(self) -> str | None:
        """A word that a few articles of the kept index hold (None in an empty one): a resident
        searcher warms each process it readies with a query of it, which costs little."""
