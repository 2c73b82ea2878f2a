"""JSON and JSON Lines output (README, "JSON"), written straight to stdout: never wrapped, never styled."""

from __future__ import annotations

import json
import sys
from dataclasses import asdict
from typing import TYPE_CHECKING, Any, TextIO

from newssearch import records
from newssearch.models import Article, Copy, SearchResult, SimilarResult
from newssearch.render.text import json_safe, writes_unicode
from newssearch.snippets import ArticleHighlights

if TYPE_CHECKING:  # loaded by index and its checks only: a query does not need it (``manifest``)
    from newssearch.alerts import Alert, Ran
    from newssearch.manifest import IndexCheck, IndexStats, IndexSummary, KnownProblems
    from newssearch.server import Status


def dumps(obj: Any) -> str:
    """JSON text for stdout: characters written as they are, or, where stdout's encoding cannot
    write them all, as \\u escapes, which a JSON reader turns back into the same text."""
    return json_safe(json.dumps(obj, ensure_ascii=not writes_unicode(sys.stdout)))


def write(obj: Any, out: TextIO | None = None) -> None:
    (out or sys.stdout).write(dumps(obj) + "\n")


def search_result(result: SearchResult | SimilarResult) -> dict[str, Any]:
    """``query --json``, and ``similar --json`` (README, "newssearch similar")."""
    out = asdict(result)
    out["results"] = [_hit(hit) for hit in out["results"]]
    return out


def _hit(hit: dict[str, Any]) -> dict[str, Any]:
    """A result object: ``explanation`` only when ``--explain`` asked for it."""
    if hit.get("explanation") is None:
        hit.pop("explanation", None)
    return hit


def alert_runs(ran: list[Ran]) -> dict[str, Any]:
    """``alert run --json`` (README, "newssearch alert"): each alert's new articles as ``query
    --json`` gives results, ``new`` counting them all and ``more`` those left for the next run."""
    return {
        "alerts": [
            {
                "name": r.alert.name,
                "query": r.alert.query,
                "options": r.alert.options(),
                "new": r.result.total if r.result else 0,
                "more": r.more,
                "notes": r.result.notes if r.result else [],
                "error": r.error,
                "results": [_hit(asdict(hit)) for hit in r.result.results] if r.result else [],
            }
            for r in ran
        ]
    }


def alert_list(index: str, alerts: list[Alert]) -> dict[str, Any]:
    """``alert list --json`` (README, "newssearch alert")."""
    listed = [
        {
            "name": a.name,
            "query": a.query,
            "options": a.options(),
            "added": a.added,
            "last_run": a.last_run,
            "shown": len(a.seen),
        }
        for a in alerts
    ]
    return {"index": index, "alerts": listed}


def search_lines(result: SearchResult) -> list[str]:
    """--jsonl: one result object a line."""
    return [dumps(_hit(asdict(hit))) for hit in result.results]


def article_to_json(article: Article) -> dict[str, Any]:
    """The ``show --json`` structure (README, "JSON"): the article's record (``records``), each
    section with its ``text`` (its paragraphs joined) before its paragraphs and their lines."""
    record = records.article_record(article)
    record["sections"] = [
        {"heading": s["heading"], "line": s["line"], "text": section.text, "paragraphs": s["paragraphs"]}
        for s, section in zip(record["sections"], article.sections, strict=True)
    ]
    return record


def article(art: Article, marks: ArticleHighlights | None = None, copies: list[Copy] | None = None) -> dict[str, Any]:
    """``show --json``, with its ``copies``; with ``--highlight``, ``[start, end)`` offsets are
    added: ``title_highlights``, and ``highlights`` in every caption, section (into its ``text``;
    ``heading_highlights`` for its heading) and paragraph."""
    out = article_to_json(art)
    out["copies"] = [asdict(c) for c in copies or []]
    if marks is None:
        return out
    out["title_highlights"] = marks.title
    for caption, found in zip(out["captions"], marks.captions, strict=True):
        caption["highlights"] = found
    for section, heading_found, paragraphs_found in zip(out["sections"], marks.headings, marks.paragraphs, strict=True):
        section["heading_highlights"] = heading_found
        section["highlights"] = []
        offset = 0  # a section's text is its paragraphs joined by newlines
        for paragraph, found in zip(section["paragraphs"], paragraphs_found, strict=True):
            paragraph["highlights"] = found
            section["highlights"].extend((start + offset, end + offset) for start, end in found)
            offset += len(paragraph["text"]) + 1
    return out


def stats(s: IndexStats) -> dict[str, Any]:
    return asdict(s)


def server_status(s: Status | None) -> dict[str, Any]:
    """``serve --status``: ``running`` false alone when no server answers; ``started`` in UTC."""
    if s is None:
        return {"running": False}
    from datetime import UTC, datetime

    started = datetime.fromtimestamp(s.started, UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
    return {"running": True, **asdict(s), "started": started}


def index_summary(s: IndexSummary) -> dict[str, Any]:
    """``problems``: every problem known of the corpus now, each with ``new`` (found by this
    run, in a file it read) true or false (known from an earlier run); ``skipped_files``: the
    files not of a supported format."""
    return asdict(s)


def known_problems(k: KnownProblems) -> dict[str, Any]:
    """``index --problems``: ``problems`` as in ``index --json`` without ``new``, and
    ``not_read``: files new or changed since the last run, whose problems are not known yet."""
    found = [{key: value for key, value in asdict(p).items() if key != "new"} for p in k.problems]
    return {"problems": found, "not_read": k.not_read}


def index_check(c: IndexCheck) -> dict[str, Any]:
    return {**asdict(c), "out_of_date": c.out_of_date, "damaged": c.damaged, "advice": c.advice}
