"""The OpenSearch engine: the index on a cluster, at ``--index http(s)://HOST:PORT/NAME`` (README,
"Past one machine").

Everything of newssearch that knows OpenSearch is in this package, and it loads only for such a
location (``engines``):

- ``connection``: the location, the client (``opensearch-py``), and failures as sentences;
- ``mapping``: the analysis (mirroring the embedded engine's), the fields, ``SCHEMA_VERSION``;
- ``documents``: articles ↔ documents, and which documents a generation sees;
- ``translate``: the query tree → query DSL, and analysis through the index's own analyzers;
- ``search``: a request's page, total, facets, feedback and spelling;
- ``writer``: updates (generations, bulk requests, the alias switch, the lock).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from newssearch.errors import UsageError

try:
    from opensearchpy import OpenSearch, helpers
except ImportError:  # the optional extra is not installed
    raise UsageError(
        "this index is on an OpenSearch cluster, and the OpenSearch client is not installed — "
        "install it with: pip install 'newssearch[opensearch]'"
    ) from None

from newssearch import records  # noqa: E402
from newssearch.engines.opensearch import documents, search  # noqa: E402
from newssearch.engines.opensearch.connection import Location, connect, parse_location, reaching  # noqa: E402
from newssearch.engines.opensearch.mapping import (  # noqa: E402
    ANALYZER,
    GROUP,
    KIND_ARTICLE,
    NAMES_FIELD,
    SCHEMA_VERSION,
    SPELLING_FIELD,
)
from newssearch.engines.opensearch.translate import Analysis  # noqa: E402
from newssearch.errors import ArticleNotFoundError, IndexMissingError, IndexOutdatedError  # noqa: E402
from newssearch.models import COPIES_LISTED, Article, NameCounts, Page, SearchRequest, Terms, Token  # noqa: E402
from newssearch.querytext import ParsedQuery  # noqa: E402

if TYPE_CHECKING:
    from newssearch.engine import Update
    from newssearch.manifest import IndexContents, IndexStats, IndexSummary, ManifestEntry

__all__ = ["OpenSearchEngine"]


class OpenSearchEngine:
    """An index on an OpenSearch cluster."""

    name = "opensearch"

    def __init__(self, location: str) -> None:
        self.location: Location = parse_location(location)
        self.client = connect(self.location)

    @contextmanager
    def reader(self) -> Iterator[OpenSearchReader]:
        with reaching(self.location):
            index, meta = self._open()
            yield OpenSearchReader(self, index, meta)

    def _open(self) -> tuple[str, dict[str, Any]]:
        """The physical index the alias names, and its committed metadata."""
        shown = self.location.shown
        found = documents.committed(self.client, self.location)
        if found is None:
            raise IndexMissingError(f"no index at {shown} — run `newssearch index --index {shown}` to build it")
        index, meta = found
        if meta.get("schema") != SCHEMA_VERSION:
            raise IndexOutdatedError(
                f"the index at {shown} was built by another version of newssearch (schema {meta.get('schema')}, "
                f"this one reads {SCHEMA_VERSION}) — run `newssearch index --index {shown}` to rebuild it"
            )
        return index, meta

    def update(self, apply: Update, *, rebuild: bool) -> IndexSummary:
        from newssearch.engines.opensearch.writer import update

        return update(self.location, self.client, apply, rebuild=rebuild)

    def contents(self) -> IndexContents:
        from newssearch.manifest import IndexContents

        with self.reader() as reader:
            result = IndexContents(manifest=reader.manifest(), verified_bytes=None)
            query = {"bool": {"filter": documents.visible(reader.generation, KIND_ARTICLE)}}
            found: Counter[str] = Counter()
            for hit in helpers.scan(
                self.client, index=reader.index, query={"query": query, "_source": ["path", "data"]}, size=500
            ):
                source = hit["_source"]
                found[source.get("path", "")] += 1
                try:
                    records.article(source["data"])
                except (KeyError, TypeError, ValueError):
                    result.unreadable += 1
            result.articles_by_path = dict(found)
            health = self.client.cluster.health(index=reader.index)
            if health.get("status") == "red":
                result.read_error = f"the cluster reports the index {reader.index} red: some of its shards are lost"
            return result


class OpenSearchReader:
    """One command's view of the index: the generation its ``meta`` named when it opened."""

    def __init__(self, engine: OpenSearchEngine, index: str, meta: dict[str, Any]) -> None:
        self.engine = engine
        self.client: OpenSearch = engine.client
        self.index = index
        self.meta = meta
        self.generation = int(meta["generation"])
        self.analysis = Analysis(self.client, index)
        self.shown: Article | None = None  # the last article ``article`` read, for its highlights

    @property
    def corpus(self) -> str | None:
        return self.meta.get("corpus")

    def call_search(self, body: dict[str, Any]) -> dict[str, Any]:
        """One search request; scored ones with the whole index's statistics on every shard."""
        search_type = "dfs_query_then_fetch" if body.get("size", 10) else "query_then_fetch"
        answer: dict[str, Any] = self.client.search(index=self.index, body=body, search_type=search_type)
        return answer

    def search(self, request: SearchRequest, query: ParsedQuery) -> Page:
        return search.search(self, request, query)

    def article(self, article_id: str) -> Article:
        visible = documents.visible(self.generation, KIND_ARTICLE)
        found = self.call_search(
            {"query": {"bool": {"filter": [*visible, {"term": {"key": article_id}}]}}, "size": 1, "_source": ["data"]}
        )["hits"]["hits"]
        if not found and article_id:
            found = self.call_search(
                {
                    "query": {"bool": {"filter": [*visible, {"prefix": {"key": article_id}}]}},
                    "size": 6,
                    "sort": [{"key": "asc"}],
                    "_source": ["data"],
                }
            )["hits"]["hits"]
            if len(found) > 1:
                ids = ", ".join(hit["_source"]["data"]["id"] for hit in found[:5])
                raise ArticleNotFoundError(
                    f"the id {article_id!r} is ambiguous: {ids}{' …' if len(found) > 5 else ''} — give more of it"
                )
        if not found:
            raise ArticleNotFoundError(
                f"no article with id {article_id!r} — ids are in the output of `newssearch query … --json`"
            )
        self.shown = records.article(found[0]["_source"]["data"])
        return self.shown

    def copies(self, article_id: str) -> list[Article]:
        visible = documents.visible(self.generation, KIND_ARTICLE)
        found = self.call_search(
            {"query": {"bool": {"filter": [*visible, {"term": {"key": article_id}}]}}, "size": 1, "_source": [GROUP]}
        )["hits"]["hits"]
        group = found[0]["_source"].get(GROUP) if found else None
        if not group:
            return []
        body = {
            "query": {
                "bool": {"filter": [*visible, {"term": {GROUP: group}}], "must_not": [{"term": {"key": article_id}}]}
            },
            "size": COPIES_LISTED,
            "sort": [{"key": "asc"}],
            "_source": ["data"],
        }
        return [records.article(hit["_source"]["data"]) for hit in self.call_search(body)["hits"]["hits"]]

    def highlight_terms(self, query: ParsedQuery) -> Terms:
        if self.shown is not None:  # its texts are analyzed next, to place the highlights: in one request
            self.analysis.prepare(ANALYZER, search.texts_of(self.shown))
        return search.highlight_terms(self, query, self.shown.id if self.shown else None)

    def analyze(self, text: str) -> Iterator[Token]:
        return iter(self.analysis.tokens(ANALYZER, text))

    def name_counts(self, keys: Collection[str], words: Collection[str]) -> NameCounts:
        """Two requests: the names of ``keys`` (a terms aggregation over the articles' ``names``,
        ``key=word``), then how many articles hold each word (a filters aggregation on ``words``)."""
        visible = documents.visible(self.generation, KIND_ARTICLE)
        names: dict[str, dict[str, int]] = {}
        if keys:
            ordered = sorted(keys)
            body = {
                "size": 0,
                "query": {
                    "bool": {
                        "filter": [
                            *visible,
                            {"bool": {"should": [{"prefix": {NAMES_FIELD: f"{k}="}} for k in ordered]}},
                        ]
                    }
                },
                "aggs": {
                    "names": {
                        "terms": {
                            "field": NAMES_FIELD,
                            "include": "(" + "|".join(_regex_literal(k) for k in ordered) + ")=.*",
                            "size": 1000,
                        }
                    }
                },
            }
            for bucket in self.call_search(body)["aggregations"]["names"]["buckets"]:
                k, _, word = str(bucket["key"]).partition("=")
                names.setdefault(k, {})[word] = int(bucket["doc_count"])
        wanted = sorted(set(words).union(*(found.keys() for found in names.values())))
        articles: dict[str, int] = {}
        if wanted:
            body = {
                "size": 0,
                "query": {"bool": {"filter": visible}},
                "aggs": {"words": {"filters": {"filters": {w: {"term": {SPELLING_FIELD: w}} for w in wanted}}}},
            }
            buckets = self.call_search(body)["aggregations"]["words"]["buckets"]
            articles = {w: int(buckets[w]["doc_count"]) for w in wanted}
        return names, articles

    def manifest(self) -> dict[str, ManifestEntry]:
        return documents.read_manifest(self.client, self.index, self.generation)

    def stats(self) -> IndexStats:
        from newssearch.manifest import IndexStats, manifest_totals

        articles, sections, captions, files = manifest_totals(list(self.manifest().values()))
        store = self.client.indices.stats(index=self.index, metric="store")
        size = store["indices"][self.index]["primaries"]["store"]["size_in_bytes"]
        return IndexStats(
            articles=articles,
            sections=sections,
            captions=captions,
            files=files,
            terms=None,
            bytes=int(size),
            updated=self.meta.get("updated"),
        )


def _regex_literal(text: str) -> str:
    """``text`` matched as written in a Lucene regular expression (each character quoted)."""
    return "".join(f"\\{c}" if not c.isalnum() else c for c in text)


if TYPE_CHECKING:  # mypy checks that these fit the interfaces
    from newssearch.engine import Engine, Reader, Writer
    from newssearch.engines.opensearch.writer import OpenSearchWriter

    _engine: Engine = OpenSearchEngine("http://localhost:9200/news")
    _reader: type[Reader] = OpenSearchReader
    _writer: type[Writer] = OpenSearchWriter
