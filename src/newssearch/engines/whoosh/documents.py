"""Articles ↔ the Whoosh documents that store them (see ``schema`` for the kinds).

The whole article is kept as JSON in the stored ``data`` field, so ``show`` and the snippets
read it back from the index alone, whatever has happened to the file since. That JSON is this
engine's own format (``show --json`` is made by ``render.as_json``); a change to it is a change
of ``SCHEMA_VERSION``.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime
from typing import Any

from newssearch.engines.whoosh.schema import COUNTED_FIELDS, HAS_FIELD, KIND_ARTICLE, KIND_PASSAGE, STEMMED
from newssearch.models import Article, Caption, Paragraph, Passage, Section


def article_documents(article: Article) -> Iterator[dict[str, Any]]:
    """The article's own document, then one passage document per section and per caption,
    each with the names of its text fields that hold a word (``has``, see ``schema``)."""
    for doc in _documents(article):
        doc[HAS_FIELD] = " ".join(name for name in COUNTED_FIELDS if _has_words(doc.get(name)))
        yield doc


def _has_words(text: str | None) -> bool:
    """Whether the fields' analyzer keeps a word of ``text`` (a caption of stop words, like an
    empty one, has length 0 in the index). Reads only up to the first word kept."""
    return bool(text) and next(iter(STEMMED(text, mode="index")), None) is not None


def _documents(article: Article) -> Iterator[dict[str, Any]]:
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
    words = "\n".join([article.title, *headings, *captions, article.body])
    yield {
        **shared,
        "kind": KIND_ARTICLE,
        "key": article.id,
        "title": article.title,
        "section": "\n".join(headings),
        "caption": "\n".join(captions),
        "body": article.body,
        "words": words,
        "data": json.dumps(_stored(article), ensure_ascii=False),
    }
    for n, section in enumerate(article.sections):
        passage = {
            "kind": "section" if section.heading else "body",
            "section": section.heading,
            "line": section.line,
            "paragraphs": [[p.text, p.line] for p in section.paragraphs],
        }
        yield {
            **shared,
            "kind": KIND_PASSAGE,
            "key": f"{article.id}:s{n:03d}",
            "p_title": article.title,
            "p_section": section.heading or "",
            "p_body": section.text,
            "data": json.dumps(_passage_data(article, passage), ensure_ascii=False),
        }
    for n, caption in enumerate(article.captions):
        passage = {
            "kind": "caption",
            "section": None,
            "line": caption.line,
            "paragraphs": [[caption.text, caption.line]],
        }
        yield {
            **shared,
            "kind": KIND_PASSAGE,
            "key": f"{article.id}:c{n:03d}",
            "p_title": article.title,
            "p_caption": caption.text,
            "data": json.dumps(_passage_data(article, passage), ensure_ascii=False),
        }


def _passage_data(article: Article, passage: dict[str, Any]) -> dict[str, Any]:
    return {"id": article.id, "title": article.title, "path": article.path, **passage}


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
    """What an article document keeps of the article: all of it, with paragraphs and lines, and
    nothing derived (``show --json``'s section ``text`` is its paragraphs joined: kept, it stored
    every paragraph twice and every result read it twice). Indexes written before kept it too;
    ``stored_article`` reads both."""
    return {
        "id": article.id,
        "doc_id": article.doc_id,
        "title": article.title,
        "path": article.path,
        "line": article.line,
        "date": article.date,
        "source": article.source,
        "url": article.url,
        "tags": list(article.tags),
        "captions": [{"text": c.text, "line": c.line} for c in article.captions],
        "sections": [
            {
                "heading": s.heading,
                "line": s.line,
                "paragraphs": [{"text": p.text, "line": p.line} for p in s.paragraphs],
            }
            for s in article.sections
        ],
    }


def stored_article(data: str | dict[str, Any]) -> Article:
    """The article an article document keeps (``data``)."""
    d = json.loads(data) if isinstance(data, str) else data
    return Article(
        id=d["id"],
        path=d["path"],
        line=d["line"],
        title=d["title"],
        sections=tuple(
            Section(s["heading"], s["line"], tuple(Paragraph(p["text"], p["line"]) for p in s["paragraphs"]))
            for s in d["sections"]
        ),
        captions=tuple(Caption(c["text"], c["line"]) for c in d["captions"]),
        doc_id=d.get("doc_id"),
        date=d.get("date"),
        source=d.get("source"),
        url=d.get("url"),
        tags=tuple(d.get("tags") or ()),
    )


def stored_passage(data: str) -> Passage:
    """The passage a passage document keeps (``data``)."""
    d = json.loads(data)
    return Passage(
        id=d["id"],
        title=d["title"],
        path=d["path"],
        kind=d["kind"],
        section=d["section"],
        line=d["line"],
        paragraphs=tuple(Paragraph(text, line) for text, line in d["paragraphs"]),
    )
