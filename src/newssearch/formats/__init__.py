"""Readers: one per input format, each turning a file into ``Article`` objects with line numbers.

``read_bytes`` is the one entry point: it decodes a file's bytes (invalid
UTF-8 is replaced, never fatal), gives every article its stable id, and reports a file it cannot
read as a ``FileProblem`` instead of raising.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

from newssearch.formats.export import ParsedArticle, parse_text
from newssearch.models import Article, FileProblem

# Extensions with a reader; every other file is skipped and counted (SPEC §2.1).
SUPPORTED = frozenset({".txt"})


@dataclass
class FileRead:
    """What one file gave: its articles, or the ``error`` that kept it out of the index, and
    ``warnings`` about a file that was indexed all the same."""

    articles: list[Article] = field(default_factory=list)
    error: FileProblem | None = None
    warnings: list[FileProblem] = field(default_factory=list)


def is_supported(path: Path) -> bool:
    return path.suffix.lower() in SUPPORTED


def article_id(relpath: str, key: str, occurrence: int) -> str:
    """Stable id: the file's path, the article's own key (title or input id) and which
    occurrence of that key in the file it is. Other files changing, or a rebuild, leave it be."""
    digest = hashlib.sha1(f"{relpath}\0{key}\0{occurrence}".encode()).hexdigest()
    return digest[:16]


def decode(data: bytes) -> tuple[str, bool]:
    """Text of a file's bytes and whether invalid UTF-8 had to be replaced."""
    try:
        return data.decode("utf-8-sig"), False
    except UnicodeDecodeError:
        return data.decode("utf-8-sig", errors="replace"), True


def read_bytes(data: bytes, relpath: str) -> FileRead:
    """The articles in one file's bytes; ``relpath`` (relative to the corpus) names them."""
    result = FileRead()
    if b"\0" in data[:8192]:
        result.error = FileProblem(relpath, "binary data, not text")
        return result
    text, replaced = decode(data)
    if replaced:
        result.warnings.append(FileProblem(relpath, "not valid UTF-8; undecodable bytes were replaced with \ufffd"))
    result.articles = _with_ids(relpath, parse_text(text))
    return result


def _with_ids(relpath: str, parsed: list[ParsedArticle]) -> list[Article]:
    seen: dict[str, int] = {}
    articles = []
    for p in parsed:
        key = p.title
        seen[key] = seen.get(key, 0) + 1
        articles.append(
            Article(
                id=article_id(relpath, key, seen[key]),
                path=relpath,
                line=p.line,
                title=p.title,
                sections=tuple(p.sections),
                captions=tuple(p.captions),
            )
        )
    return articles
