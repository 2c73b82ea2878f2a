"""Articles and passages as plain records (dicts of JSON values), the form engines store them in
so that ``show`` and the snippets read them back from the index alone, whatever has happened to
the files since. Engine-free; each engine wraps them in its own documents.

A record keeps all of an article, with paragraphs and lines, and nothing derived (``show
--json``'s section ``text`` is its paragraphs joined: ``render.as_json``). Records written
before kept that text too; ``article`` reads both.
"""

from __future__ import annotations

from typing import Any

from newssearch.models import Article, Caption, Paragraph, Passage, Section


def article_record(article: Article) -> dict[str, Any]:
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


def article(d: dict[str, Any]) -> Article:
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


def passage_records(article: Article) -> list[tuple[str, dict[str, Any]]]:
    """Each section's and caption's record, with its key suffix (``s000``, ``c000``), in order."""
    parts = [
        (f"s{n:03d}", "section" if s.heading else "body", s.heading, s.line, [[p.text, p.line] for p in s.paragraphs])
        for n, s in enumerate(article.sections)
    ]
    parts += [(f"c{n:03d}", "caption", None, c.line, [[c.text, c.line]]) for n, c in enumerate(article.captions)]
    return [
        (
            suffix,
            {
                "id": article.id,
                "title": article.title,
                "path": article.path,
                "kind": kind,
                "section": heading,
                "line": line,
                "paragraphs": paragraphs,
            },
        )
        for suffix, kind, heading, line, paragraphs in parts
    ]


def passage(d: dict[str, Any]) -> Passage:
    return Passage(
        id=d["id"],
        title=d["title"],
        path=d["path"],
        kind=d["kind"],
        section=d["section"],
        line=d["line"],
        paragraphs=tuple(Paragraph(text, line) for text, line in d["paragraphs"]),
    )
