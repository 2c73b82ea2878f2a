"""The embedded engine: the index is a folder of Whoosh files (README, "Engines").

Everything of newssearch that knows Whoosh is in this package:

- ``patches``: a few changes to Whoosh, installed before any Whoosh module loads (below);
- ``schema``: the fields, analyzers and ``SCHEMA_VERSION``; ``ranking``: BM25F with the
  statistics of the right kind of document, and the field weights;
- ``documents``: articles ↔ the documents that store them; ``store``: opening the folder,
  durable writes, the manifest, the update lock; ``integrity``: live files, leftovers, checksums;
- ``parse``: the query tree (``querytree``) → Whoosh query, expansion, spelling; ``feedback``: RM3 for
  questions; ``search``: a request's page, total and facets;
- ``writer``: an update's writer, its worker processes and the merge policy.
"""

from __future__ import annotations

from newssearch.engines.whoosh import patches

# Before any other module imports Whoosh: see patches for what changes and why.
patches.install()

# The rest after the patches are in.
import itertools  # noqa: E402
import os  # noqa: E402
import re  # noqa: E402
from collections.abc import Collection, Iterator  # noqa: E402
from contextlib import AbstractContextManager, contextmanager  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import TYPE_CHECKING, Any, NamedTuple  # noqa: E402

from whoosh import query as wq  # noqa: E402
from whoosh.searching import Searcher  # noqa: E402

from newssearch import processes  # noqa: E402
from newssearch.engines.whoosh import ranking, search  # noqa: E402
from newssearch.engines.whoosh.documents import stored_article  # noqa: E402
from newssearch.engines.whoosh.schema import (  # noqa: E402
    COUNTED_FIELDS,
    KIND_ARTICLE,
    NAMES_FIELD,
    SPELLING_FIELD,
    analyze,
)
from newssearch.engines.whoosh.store import (  # noqa: E402
    DAMAGE,
    committed_at,
    damaged_error,
    find_article,
    open_searcher,
    read_manifest,
)
from newssearch.errors import ArticleNotFoundError, IndexOutdatedError  # noqa: E402
from newssearch.models import COPIES_LISTED, Article, NameCounts, Page, SearchRequest, Terms, Token  # noqa: E402
from newssearch.querytext import ParsedQuery  # noqa: E402

if TYPE_CHECKING:
    from newssearch.engine import Update
    from newssearch.manifest import IndexContents, IndexStats, IndexSummary, ManifestEntry

__all__ = ["WhooshEngine"]


class _Kept(NamedTuple):
    opened: AbstractContextManager[tuple[Searcher, dict[str, Any]]]  # closed when replaced
    searcher: Searcher
    meta: dict[str, Any]


# Searchers a resident searcher keeps open (README, "A resident searcher"), by the folder's real
# path: every reader of that folder in this process, and in the processes it forks, uses it.
_KEPT: dict[str, _Kept] = {}
# What ``sample_word`` looks for: a plain word of a few articles.
SAMPLE_WORD = re.compile(r"[a-z]{5,}")
SAMPLE_ARTICLES = 5
SAMPLE_TRIES = 1000  # words looked at


class WhooshEngine:
    """An index in a folder on this machine."""

    name = "whoosh"

    def __init__(
        self, location: str | Path, *, ranker: search.Ranker | None = None, always_filter_kind: bool = False
    ) -> None:
        """``ranker`` and ``always_filter_kind``: see ``search.search``."""
        self.folder = Path(location)
        self.ranker = ranker
        self.always_filter_kind = always_filter_kind

    @contextmanager
    def reader(self) -> Iterator[WhooshReader]:
        kept = _KEPT.get(os.path.realpath(self.folder)) if _KEPT else None
        if kept is not None and _up_to_date(kept.searcher):
            try:
                yield WhooshReader(self, kept.searcher, kept.meta)
            except DAMAGE as exc:
                raise damaged_error(self.folder, exc) from exc
            return
        with open_searcher(self.folder) as (searcher, meta):
            yield WhooshReader(self, searcher, meta)

    def keep(self) -> bool:
        """Keep the index open in this process for every later ``reader()``, reopened here when
        a newer commit exists; True when it was (re)opened. Raises as ``reader()`` does."""
        key = os.path.realpath(self.folder)
        kept = _KEPT.get(key)
        if kept is not None and _up_to_date(kept.searcher):
            return False
        opened = open_searcher(self.folder)
        searcher, meta = opened.__enter__()
        _KEPT[key] = _Kept(opened, searcher, meta)
        if kept is not None:
            kept.opened.__exit__(None, None, None)
        _warm(searcher)
        return True

    def sample_word(self) -> str | None:
        kept = _KEPT.get(os.path.realpath(self.folder))
        if kept is None:
            return None
        # The spelling vocabulary's words, each weighted by the articles that hold it (README,
        # "Did you mean"): the first plain word of a few articles from "a" on (figures come before).
        terms = kept.searcher.reader().iter_from(SPELLING_FIELD, "a")
        for (field, term), info in itertools.islice(terms, SAMPLE_TRIES):
            word: str = term.decode("utf-8")
            if field == SPELLING_FIELD and SAMPLE_WORD.fullmatch(word) and info.weight() <= SAMPLE_ARTICLES:
                return word
        return None

    def update(self, apply: Update, *, rebuild: bool) -> IndexSummary:
        # Imported here: the writer loads multiprocessing and Whoosh's writing modules, which a
        # query would pay for at start-up.
        from newssearch.engines.whoosh.writer import update

        return update(self.folder, apply, rebuild=rebuild)

    def contents(self) -> IndexContents:
        return _contents(self.folder)


class WhooshReader:
    """One searcher on the index, for one command."""

    def __init__(self, engine: WhooshEngine, searcher: Searcher, meta: dict[str, Any]) -> None:
        self.engine = engine
        self.folder = engine.folder
        self.searcher = searcher
        self.meta = meta

    @property
    def corpus(self) -> str | None:
        return self.meta.get("corpus")

    def search(self, request: SearchRequest, query: ParsedQuery) -> Page:
        engine = self.engine
        return search.search(
            self.searcher, request, query, ranker=engine.ranker, always_filter_kind=engine.always_filter_kind
        )

    def article(self, article_id: str) -> Article:
        stored = find_article(self.searcher, article_id)
        if stored is None and article_id:
            q = wq.And([wq.Prefix("key", article_id), wq.Term("kind", KIND_ARTICLE)])
            found = [dict(hit.fields()) for hit in self.searcher.search(q, limit=6)]
            if len(found) > 1:
                ids = ", ".join(sorted(d["key"] for d in found)[:5])
                raise ArticleNotFoundError(
                    f"the id {article_id!r} is ambiguous: {ids}{' …' if len(found) > 5 else ''} — give more of it"
                )
            stored = found[0] if found else None
        if stored is None:
            raise ArticleNotFoundError(
                f"no article with id {article_id!r} — ids are in the output of `newssearch query … --json`"
            )
        return stored_article(stored["data"])

    def copies(self, article_id: str) -> list[Article]:
        stored = find_article(self.searcher, article_id)
        group = stored.get("copygroup") if stored else None
        if not group:
            return []
        q = wq.And([wq.Term("copygroup", group), wq.Term("kind", KIND_ARTICLE)])
        found = [self.searcher.stored_fields(docnum) for docnum in self.searcher.docs_for_query(q)]
        others = sorted((f["key"], f["data"]) for f in found if f["key"] != article_id)
        return [stored_article(data) for _, data in others[:COPIES_LISTED]]

    def highlight_terms(self, query: ParsedQuery) -> Terms:
        return search.highlight_terms(self.searcher, query)

    def analyze(self, text: str) -> Iterator[Token]:
        return analyze(text)

    def name_counts(self, keys: Collection[str], words: Collection[str]) -> NameCounts:
        """The names of each key (``key=word`` terms of the files' vocabularies, see ``schema``),
        with how many articles write each as a name; and how many articles hold each of ``words``
        and of those names."""
        reader = self.searcher.reader()
        names: dict[str, dict[str, int]] = {}
        for k in keys:
            prefix = f"{k}="
            for term in reader.expand_prefix(NAMES_FIELD, prefix):
                text = term.decode("utf-8") if isinstance(term, bytes) else term
                names.setdefault(k, {})[text[len(prefix) :]] = int(reader.frequency(NAMES_FIELD, text))
        wanted = set(words).union(*(found.keys() for found in names.values()))
        articles = {w: int(reader.frequency(SPELLING_FIELD, w)) for w in wanted}
        return names, articles

    def manifest(self) -> dict[str, ManifestEntry]:
        return read_manifest(self.searcher)

    def stats(self) -> IndexStats:
        from newssearch.engines.whoosh import integrity  # only stats reads the files' sizes
        from newssearch.manifest import IndexStats, manifest_totals

        articles, sections, captions, files = manifest_totals(list(self.manifest().values()))
        reader = self.searcher.reader()
        return IndexStats(
            articles=articles,
            sections=sections,
            captions=captions,
            files=files,
            terms=sum(1 for _ in reader.lexicon(SPELLING_FIELD)),
            bytes=integrity.live_size(self.folder),
            updated=committed_at(self.folder, reader.generation()),
        )


def _up_to_date(searcher: Searcher) -> bool:
    try:
        return bool(searcher.up_to_date())
    except Exception:  # the folder went away, or a commit is being written: open it again
        return False


def _warm(searcher: Searcher) -> None:
    """Read once what every search reads (the lengths of the fields a query scores, the first
    stored fields, the columns of keys and facets), so that the processes a resident searcher
    forks find it in memory rather than each reading it again."""
    processes.prepare()  # for the searches its forks split
    for leaf, _ in searcher.reader().leaf_readers():
        if leaf.doc_count_all():
            for name in COUNTED_FIELDS:
                ranking.field_lengths(leaf, name)
            leaf.stored_fields(0)
            for name in search.COLUMNS:
                search.column_of(leaf, name)


def _contents(folder: Path) -> IndexContents:
    """The whole index read back: every stored article, and every file's bytes. A missing
    index, or one of another schema version, is refused as for every other command; one that
    cannot be opened because its files are damaged is reported as damaged."""
    from newssearch.engines.whoosh import integrity
    from newssearch.manifest import IndexContents

    result = IndexContents()
    try:
        with open_searcher(folder) as (searcher, _):
            try:
                result.manifest = read_manifest(searcher)
                for doc in searcher.documents(kind=KIND_ARTICLE):
                    path = doc.get("path", "")
                    result.articles_by_path[path] = result.articles_by_path.get(path, 0) + 1
                    try:
                        stored_article(doc["data"])
                    except (KeyError, TypeError, ValueError):
                        result.unreadable += 1
            except DAMAGE as exc:  # reported with the rest, not as a failure of the check
                result.read_error = f"{exc.__class__.__name__}: {exc}"
    except IndexOutdatedError as exc:  # not even opened: damage is reported, anything else refused
        result.damaged_files = integrity.damaged(folder, full=True)
        if not result.damaged_files:
            raise
        result.opened = False
        result.read_error = exc.message
        result.verified_bytes = integrity.live_size(folder)
        return result
    result.damaged_files = integrity.damaged(folder, full=True)
    result.verified_bytes = integrity.live_size(folder)
    return result


if TYPE_CHECKING:  # mypy checks that these fit the interfaces
    from newssearch.engine import Engine, Reader, Resident, Writer
    from newssearch.engines.whoosh.writer import WhooshWriter

    _engine: Engine = WhooshEngine(".")
    _resident: Resident = WhooshEngine(".")
    _reader: type[Reader] = WhooshReader
    _writer: type[Writer] = WhooshWriter
