"""Articles ↔ the OpenSearch documents that store them (``mapping`` lists the fields), and which
documents a reader of a generation sees."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from newssearch import records
from newssearch.engines.opensearch.mapping import KIND_ARTICLE, KIND_PASSAGE
from newssearch.models import Article


def article_documents(article: Article, generation: int) -> Iterator[dict[str, Any]]:
    """The article's own document, then one per section and per caption; each with its ``_id``
    (the key and the generation: an article changed by an update has both versions until the
    update commits)."""
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


def visible(generation: int) -> list[dict[str, Any]]:
    """Filters for the documents a reader of ``generation`` sees: written by it or before, and
    not removed by it or before."""
    return [
        {"range": {"born": {"lte": generation}}},
        {"bool": {"must_not": [{"range": {"dies": {"lte": generation}}}]}},
    ]
