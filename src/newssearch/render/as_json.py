"""JSON and JSON Lines output (SPEC §4), written straight to stdout: never wrapped, never styled."""

from __future__ import annotations

import json
import sys
from dataclasses import asdict
from typing import Any, TextIO

from newssearch.documents import article_to_json
from newssearch.highlight import Terms, spans
from newssearch.models import Article, IndexStats, IndexSummary, SearchResult


def dumps(obj: Any) -> str:
    return json.dumps(obj, ensure_ascii=False)


def write(obj: Any, out: TextIO | None = None) -> None:
    (out or sys.stdout).write(dumps(obj) + "\n")


def search_result(result: SearchResult) -> dict[str, Any]:
    return asdict(result)


def search_lines(result: SearchResult) -> list[str]:
    """--jsonl: one result object a line."""
    return [dumps(asdict(hit)) for hit in result.results]


def article(art: Article, terms: Terms | None = None) -> dict[str, Any]:
    """``show --json``; with ``--highlight``, ``highlights`` offsets are added to the title,
    every caption and every section (``heading_highlights`` for its heading)."""
    out = article_to_json(art)
    if terms is not None:
        out["title_highlights"] = spans(art.title, terms.get("title", set()))
        for caption in out["captions"]:
            caption["highlights"] = spans(caption["text"], terms.get("caption", set()))
        for section in out["sections"]:
            section["heading_highlights"] = spans(section["heading"] or "", terms.get("section", set()))
            section["highlights"] = spans(section["text"], terms.get("body", set()))
            for paragraph in section["paragraphs"]:
                paragraph["highlights"] = spans(paragraph["text"], terms.get("body", set()))
    return out


def stats(s: IndexStats) -> dict[str, Any]:
    return asdict(s)


def index_summary(s: IndexSummary) -> dict[str, Any]:
    return asdict(s)
