"""Articles ↔ the OpenSearch documents that store them (``mapping`` lists the fields), which
documents a reader of a generation sees, and the committed generation and manifest."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from opensearchpy import OpenSearch, helpers
from opensearchpy import exceptions as oe

from newssearch import records
from newssearch.engines.opensearch.connection import Location
from newssearch.engines.opensearch.mapping import (
    BANDS_FIELD,
    GROUP,
    KIND_ARTICLE,
    KIND_FILE,
    KIND_PASSAGE,
    META_ID,
    NAMES_FIELD,
    SKETCH,
)
from newssearch.models import Article
from newssearch.names import article_name_terms

if TYPE_CHECKING:
    from newssearch.copies import Grouped
    from newssearch.manifest import ManifestEntry


def article_documents(article: Article, generation: int, grouped: Grouped) -> Iterator[dict[str, Any]]:
    """The article's own document (with its copy group, ``grouped``), then one per section and
    per caption; each with its ``_id`` (the key and the generation: an article changed by an
    update has both versions until the update commits)."""
    shared: dict[str, Any] = {"id": article.id, "path": article.path, "born": generation}
    if article.source:
        shared["source"] = article.source
        shared["source_name"] = article.source
    if article.tags:
        shared["tags"] = list(article.tags)
    when = _date(article.date)
    if when is not None:
        shared["date"] = when
        shared["month"] = when[:7]
    headings = [s.heading for s in article.sections if s.heading]
    texts = {
        "title": article.title,
        "section": "\n".join(headings),
        "caption": "\n".join(c.text for c in article.captions),
        "body": article.body,
    }
    yield {
        **shared,
        "_id": f"{article.id}@{generation}",
        "kind": KIND_ARTICLE,
        "key": article.id,
        **{name: text for name, text in texts.items() if text},
        NAMES_FIELD: article_name_terms(article),
        BANDS_FIELD: grouped.bands,
        GROUP: grouped.group,
        SKETCH: base64.b64encode(grouped.sketch).decode("ascii"),
        "data": records.article_record(article),
    }
    for suffix, record in records.passage_records(article):
        fields = (
            {"p_caption": record["paragraphs"][0][0]}
            if record["kind"] == "caption"
            else {"p_section": record["section"] or "", "p_body": "\n".join(text for text, _ in record["paragraphs"])}
        )
        key = f"{article.id}:{suffix}"
        yield {
            **shared,
            "_id": f"{key}@{generation}",
            "kind": KIND_PASSAGE,
            "key": key,
            "p_title": article.title,
            **{name: text for name, text in fields.items() if text},
            "data": record,
        }


def _date(value: str | None) -> str | None:
    """An article's date as the index keeps it: its wall time (``formats.dates.wall_time``),
    ISO 8601 without an offset, as the embedded engine keeps it."""
    if not value:
        return None
    from newssearch.formats.dates import wall_time

    try:
        return wall_time(value).isoformat(timespec="seconds")
    except ValueError:
        return None


def visible(generation: int, kind: str | None = None) -> list[dict[str, Any]]:
    """Filters for the documents (of ``kind``, if given) a reader of ``generation`` sees:
    written by it or before, and not removed by it or before."""
    seen: list[dict[str, Any]] = [
        {"range": {"born": {"lte": generation}}},
        {"bool": {"must_not": [{"range": {"dies": {"lte": generation}}}]}},
    ]
    return [{"term": {"kind": kind}}, *seen] if kind else seen


def committed(client: OpenSearch, location: Location) -> tuple[str, dict[str, Any]] | None:
    """The physical index the alias ``NAME`` points at and its committed ``meta``; None when
    there is no alias yet (or its index never committed)."""
    try:
        found = client.get(index=location.name, id=META_ID)
    except oe.NotFoundError:
        return None
    meta: dict[str, Any] = found["_source"].get("data", {})
    return str(found["_index"]), meta


def read_manifest(client: OpenSearch, index: str, generation: int) -> dict[str, ManifestEntry]:
    """The manifest a reader of ``generation`` sees: each corpus file's entry, by path."""
    from newssearch.manifest import ManifestEntry  # index and its checks only: not every query

    query = {"bool": {"filter": visible(generation, KIND_FILE)}}
    found = helpers.scan(client, index=index, query={"query": query, "_source": ["path", "data"]}, size=1000)
    return {hit["_source"]["path"]: ManifestEntry.from_json(hit["_source"]["data"]) for hit in found}
