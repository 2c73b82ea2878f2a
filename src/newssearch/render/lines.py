"""Line formats for other programs (stdlib only): ``--csv`` for spreadsheets, ``--vimgrep`` for
editors' quickfix lists (``path:line:column:text``, as ripgrep's ``--vimgrep`` writes them).
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from typing import TextIO

from newssearch.models import Hit, PassageHit, SearchResult
from newssearch.render.text import safe, safe_name

CSV_COLUMNS = ("rank", "id", "score", "title", "path", "line", "date", "source", "doc_id", "kind", "section", "text")


def write_csv(result: SearchResult, out: TextIO) -> None:
    """A header, then a row a result: an article's first snippet, or the passage itself. Text is
    written as the terminal shows it (control characters as U+FFFD, a line break in a name as
    ``\\n``): a CSV printed to a terminal must not drive it."""
    rows = csv.writer(out, lineterminator="\n")
    rows.writerow(CSV_COLUMNS)
    for row in _rows(result):
        rows.writerow([safe_name(v) if isinstance(v, str) else v for v in row])


def _rows(result: SearchResult) -> Iterable[list[object]]:
    for hit in result.results:
        if isinstance(hit, PassageHit):
            yield [hit.rank, hit.id, hit.score, hit.title, hit.path, hit.line, "", "", "", hit.kind,
                   hit.section or "", hit.text]  # fmt: skip
            continue
        first = hit.matches[0] if hit.matches else None
        yield [
            hit.rank, hit.id, hit.score, hit.title, hit.path, hit.line, hit.date or "", hit.source or "",
            hit.doc_id or "", first.kind if first else "", (first.section or "") if first else "",
            first.text if first else "",
        ]  # fmt: skip


def write_vimgrep(result: SearchResult, out: TextIO) -> None:
    """``path:line:column:text``, a line a snippet. The column is the byte column of the first
    highlighted word in that line of the file, as editors count it; 1 when the file no longer
    has it there (changed since it was indexed, or the text is escaped in it, as in JSON)."""
    snippets = list(_snippets(result.results))
    wanted: dict[str, set[int]] = {}
    for path, line, _, _ in snippets:
        wanted.setdefault(path, set()).add(line)
    lines = {path: _read_lines(path, numbers) for path, numbers in wanted.items()}
    for path, line, text, first in snippets:
        column = _column(lines[path].get(line), first)
        flat = " ".join(text.split())  # one snippet, one line
        out.write(f"{safe_name(path)}:{line}:{column}:{safe(flat)}\n")


def _snippets(hits: Iterable[Hit | PassageHit]) -> Iterable[tuple[str, int, str, str | None]]:
    """(path, line, text, first highlighted word) of every snippet, in result order."""
    for hit in hits:
        if isinstance(hit, PassageHit):
            yield hit.path, hit.line, hit.text, _first(hit.text, hit.highlights)
        else:
            for match in hit.matches:
                yield hit.path, match.line, match.text, _first(match.text, match.highlights)


def _first(text: str, spans: list[tuple[int, int]]) -> str | None:
    return text[spans[0][0] : spans[0][1]] if spans else None


def _read_lines(path: str, numbers: set[int]) -> dict[int, bytes]:
    """The given lines of a file (1-based), read in one pass that stops after the last one."""
    found: dict[int, bytes] = {}
    last = max(numbers)
    try:
        with open(path, "rb") as f:
            for n, raw in enumerate(f, start=1):
                if n in numbers:
                    found[n] = raw
                if n >= last:
                    break
    except OSError:
        pass
    return found


def _column(raw: bytes | None, word: str | None) -> int:
    if raw is None or not word:
        return 1
    at = raw.find(word.encode("utf-8"))
    if at < 0:
        at = raw.lower().find(word.lower().encode("utf-8"))
    return at + 1 if at >= 0 else 1
