"""Articles ↔ the Whoosh documents that store them (see ``schema`` for the kinds).

The whole article is kept as JSON in the stored ``data`` field of its article document, so
``show``, the snippets and ``--passages`` results read it back from the index alone, whatever
has happened to the file since. That JSON is this engine's own format (``show --json`` is made
by ``render.as_json``); a change to it is a change of ``SCHEMA_VERSION``.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from datetime import datetime
from typing import TYPE_CHECKING, Any

from newssearch import records
from newssearch.engines.whoosh.schema import (
    COUNTED_FIELDS,
    HAS_FIELD,
    KIND_ARTICLE,
    KIND_PASSAGE,
    KIND_WORDS,
    NAMES_FIELD,
    SPELLING_FIELD,
    STEMMED,
    vocabulary,
)
from newssearch.models import Article, Passage

if TYPE_CHECKING:
    from newssearch.copies import Grouped


def article_documents(article: Article, grouped: Grouped) -> Iterator[dict[str, Any]]:
    """The article's own document (with its copy group, ``grouped``), then one passage document
    per section and per caption, each with the names of its text fields that hold a word (``has``,
    see ``schema``). Its words for the spelling vocabulary are its file's (``article_words``,
    ``words_document``)."""
    for doc in _documents(article, grouped):
        doc[HAS_FIELD] = " ".join(name for name in COUNTED_FIELDS if _has_words(doc.get(name)))
        yield doc


def _has_words(text: str | None) -> bool:
    """Whether the fields' analyzer keeps a word of ``text`` (a caption of stop words, like an
    empty one, has length 0 in the index). Reads only up to the first word kept."""
    return bool(text) and next(iter(STEMMED(text, mode="index")), None) is not None


def _documents(article: Article, grouped: Grouped) -> Iterator[dict[str, Any]]:
    shared: dict[str, Any] = {"id": article.id, "path": article.path}
    if article.source:
        shared["source"] = article.source
        shared["source_name"] = article.source
    if article.tags:
        shared["tags"] = ",".join(article.tags)
    when = parse_date(article.date)
    if when is not None:
        shared["date"] = when
        shared["month"] = when.strftime("%Y-%m")
    headings = [s.heading for s in article.sections if s.heading]
    captions = [c.text for c in article.captions]
    yield {
        **shared,
        "kind": KIND_ARTICLE,
        "key": article.id,
        "title": article.title,
        "section": "\n".join(headings),
        "caption": "\n".join(captions),
        "body": article.body,
        "data": json.dumps(_stored(article), ensure_ascii=False),
        "copygroup": grouped.group,
        "sketch": grouped.sketch,
        **({"bands": " ".join(grouped.bands)} if grouped.bands else {}),
    }
    for suffix, record in records.passage_records(article):
        fields = (
            {"p_caption": record["paragraphs"][0][0]}
            if record["kind"] == "caption"
            else {"p_section": record["section"] or "", "p_body": "\n".join(text for text, _ in record["paragraphs"])}
        )
        yield {
            **shared,
            "kind": KIND_PASSAGE,
            "key": f"{article.id}:{suffix}",
            "p_title": article.title,
            **fields,
        }


def article_words(article: Article) -> set[str]:
    """The distinct words of the article's title, headings, captions and body, unstemmed."""
    headings = (s.heading for s in article.sections if s.heading)
    return vocabulary([article.title, *headings, *(c.text for c in article.captions), article.body])


def words_document(relpath: str, counts: Counter[str], names: Counter[str]) -> dict[str, Any]:
    """The ``words`` document of a corpus file: each word with the number of the file's articles
    that hold it (``counts``), which Whoosh sums into the word's frequency, and each name with
    the number that write it as one (``names``; see ``schema``)."""
    text = " ".join(f"{word}^{n}" for word, n in counts.items())
    doc = {"kind": KIND_WORDS, "key": f"words:{relpath}", "path": relpath, SPELLING_FIELD: text}
    if names:
        doc[NAMES_FIELD] = " ".join(f"{term}^{n}" for term, n in names.items())
    return doc


def parse_date(value: str | None) -> datetime | None:
    """An article's (normalised ISO 8601) date as the index keeps it: see ``wall_time``."""
    if not value:
        return None
    # Imported here, not at the top: every query imports this module (to read stored articles)
    # and would otherwise load the readers' package for a function only indexing calls.
    from newssearch.formats.dates import wall_time

    try:
        return wall_time(value)
    except ValueError:
        return None


def _stored(article: Article) -> dict[str, Any]:
    """What an article document keeps of the article (``records``)."""
    return records.article_record(article)


def stored_article(data: str | dict[str, Any]) -> Article:
    """The article an article document keeps (``data``)."""
    return records.article(json.loads(data) if isinstance(data, str) else data)


def stored_passage(key: str, article_data: str) -> Passage:
    """The passage of a passage document (``key``: its article's key and its suffix), made
    from its article document's ``data``."""
    suffix = key.rpartition(":")[2]
    for own, record in records.passage_records(stored_article(article_data)):
        if own == suffix:
            return records.passage(record)
    raise KeyError(key)
