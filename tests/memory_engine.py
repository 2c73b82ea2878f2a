"""A minimal engine that keeps its index in this process's memory: what adding an engine takes.

It is one module and one ``engines.register`` call (``register_memory_engine``); the CLI, the
renderers, the corpus scan, the update plan and the query tree are newssearch's own. It is not
a product feature: it evaluates the query tree's words and phrases (case folded, no stemming)
with AND, OR, NOT, ANDNOT and ANDMAYBE, refuses the rest, and scores an article by how often
the words occur in it.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Collection, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from newssearch import engines, querytree
from newssearch.engine import Engine, Reader, Update, Writer
from newssearch.errors import ArticleNotFoundError, IndexBusyError, IndexMissingError, QuerySyntaxError
from newssearch.manifest import IndexContents, IndexStats, IndexSummary, ManifestEntry, manifest_totals
from newssearch.models import Article, NameCounts, Page, SearchRequest, Terms, Token
from newssearch.names import article_name_terms
from newssearch.querytext import ParsedQuery

SCHEME = "memory:"
_WORD = re.compile(r"\w+")


def register_memory_engine() -> None:
    engines.register("memory", lambda location: location.startswith(SCHEME), "memory_engine:MemoryEngine")


@dataclass
class _Index:
    articles: dict[str, Article] = field(default_factory=dict)
    manifest: dict[str, ManifestEntry] = field(default_factory=dict)
    meta: dict[str, Any] = field(default_factory=dict)
    updating: bool = False


_INDEXES: dict[str, _Index] = {}  # by location, for the life of the process


def forget_all() -> None:
    _INDEXES.clear()


def _words(text: str) -> list[str]:
    return [w.lower() for w in _WORD.findall(text)]


class MemoryEngine:
    name = "memory"

    def __init__(self, location: str) -> None:
        self.location = location

    @contextmanager
    def reader(self) -> Iterator[MemoryReader]:
        index = _INDEXES.get(self.location)
        if index is None or not index.meta:
            raise IndexMissingError(f"no index at {self.location} — run `newssearch index` to build it")
        yield MemoryReader(index)

    def update(self, apply: Update, *, rebuild: bool) -> IndexSummary:
        index = _INDEXES.setdefault(self.location, _Index())
        if index.updating:
            raise IndexBusyError(f"the index at {self.location} is being updated by another run")
        index.updating = True
        try:
            writer = MemoryWriter(index, rebuild)
            return apply(writer)
        finally:
            index.updating = False

    def contents(self) -> IndexContents:
        with self.reader() as reader:
            found = Counter(a.path for a in reader.index.articles.values())
            return IndexContents(manifest=dict(reader.index.manifest), articles_by_path=dict(found))


class MemoryWriter:
    """Changes are staged and take effect at ``commit``, so a failed update changes nothing."""

    def __init__(self, index: _Index, rebuild: bool) -> None:
        self.index = index
        self.rebuilt = rebuild or not index.meta
        self.meta: dict[str, Any] = {} if self.rebuilt else dict(index.meta)
        self.manifest: dict[str, ManifestEntry] = {} if self.rebuilt else dict(index.manifest)
        self.articles = {} if self.rebuilt else dict(index.articles)
        self.entries = dict(self.manifest)
        self.touched = False

    def parallel(self, processes: int) -> None:
        pass  # one process

    def remove_file(self, relpath: str) -> None:
        self.touched = True
        self.articles = {k: a for k, a in self.articles.items() if a.path != relpath}
        self.entries.pop(relpath, None)

    def add_article(self, article: Article) -> None:
        self.touched = True
        self.articles[article.id] = article

    def put_entry(self, relpath: str, entry: ManifestEntry) -> None:
        self.touched = True
        self.entries[relpath] = entry

    def changed(self) -> bool:
        return self.touched

    def commit(self, meta: dict[str, Any]) -> None:
        self.index.articles, self.index.manifest, self.index.meta = self.articles, self.entries, dict(meta)


class MemoryReader:
    def __init__(self, index: _Index) -> None:
        self.index = index

    @property
    def corpus(self) -> str | None:
        return self.index.meta.get("corpus")

    def search(self, request: SearchRequest, query: ParsedQuery) -> Page:
        tree = query.tree()
        scored = []
        for article in self.index.articles.values():
            text = "\n".join([article.title, *(c.text for c in article.captions), article.body])
            words = Counter(_words(text))
            if tree is not None and _matches(tree, words, " ".join(_words(text))):
                scored.append((float(sum(words[w] for w in _tree_words(tree))), article))
        scored.sort(key=lambda hit: (-hit[0], hit[1].id))
        sources = Counter(a.source for _, a in scored if a.source)
        return Page(
            hits=list(scored[request.offset : request.offset + request.limit]),
            total=len(scored),
            terms=self.highlight_terms(query),
            facets={"source": dict(sources.most_common()), "month": {}} if request.facets else {},
        )

    def article(self, article_id: str) -> Article:
        found = [a for key, a in self.index.articles.items() if key.startswith(article_id)]
        if len(found) != 1:
            raise ArticleNotFoundError(f"no article with id {article_id!r}")
        return found[0]

    def highlight_terms(self, query: ParsedQuery) -> Terms:
        tree = query.tree()
        found = _tree_words(tree) if tree is not None else set()
        return {part: set(found) for part in ("title", "section", "caption", "body")}

    def analyze(self, text: str) -> Iterator[Token]:
        for m in _WORD.finditer(text):
            yield Token(m.group().lower(), m.start(), m.end())

    def copies(self, article_id: str) -> list[Article]:
        return []  # this engine does not find copies: every article is a story of its own

    def name_counts(self, keys: Collection[str], words: Collection[str]) -> NameCounts:
        names: dict[str, dict[str, int]] = {}
        held: Counter[str] = Counter()
        for article in self.index.articles.values():
            for term in article_name_terms(article):
                k, _, word = term.partition("=")
                if k in keys:
                    names.setdefault(k, Counter())[word] += 1  # type: ignore[index]
            held.update(set(_words("\n".join([article.title, *(c.text for c in article.captions), article.body]))))
        wanted = set(words).union(*(found.keys() for found in names.values()))
        return names, {w: held[w] for w in wanted}

    def manifest(self) -> dict[str, ManifestEntry]:
        return dict(self.index.manifest)

    def stats(self) -> IndexStats:
        articles, sections, captions, files = manifest_totals(list(self.index.manifest.values()))
        vocabulary = {w for a in self.index.articles.values() for w in _words(a.title + "\n" + a.body)}
        return IndexStats(articles, sections, captions, files, terms=len(vocabulary), bytes=0, updated=None)


def _matches(node: querytree.Query, words: Counter[str], text: str) -> bool:
    """Whether an article (its words, and its text as words joined by spaces) matches."""
    if isinstance(node, querytree.Word):
        return all(words[w] for w in _words(node.text))
    if isinstance(node, querytree.Phrase):
        return f" {' '.join(_words(node.text))} " in f" {text} "
    if isinstance(node, querytree.And):
        return all(_matches(child, words, text) for child in node.children)
    if isinstance(node, querytree.Or):
        return any(_matches(child, words, text) for child in node.children)
    if isinstance(node, querytree.Not):
        return not _matches(node.child, words, text)
    if isinstance(node, querytree.AndNot):
        return _matches(node.a, words, text) and not _matches(node.b, words, text)
    if isinstance(node, querytree.AndMaybe):
        return _matches(node.a, words, text)
    raise QuerySyntaxError(f"the memory engine does not search {type(node).__name__.lower()} queries")


def _tree_words(node: querytree.Query) -> set[str]:
    """The words a query looks for (not those it leaves out)."""
    if isinstance(node, (querytree.Word, querytree.Phrase)):
        return set(_words(node.text))
    if isinstance(node, (querytree.And, querytree.Or)):
        return {w for child in node.children for w in _tree_words(child)}
    if isinstance(node, (querytree.AndNot, querytree.AndMaybe)):
        return _tree_words(node.a) | (_tree_words(node.b) if isinstance(node, querytree.AndMaybe) else set())
    return set()


if TYPE_CHECKING:  # mypy (pyproject's files) checks that these fit the interfaces
    _engine: Engine = MemoryEngine(SCHEME)
    _reader: Reader = MemoryReader(_Index())
    _writer: Writer = MemoryWriter(_Index(), rebuild=False)
