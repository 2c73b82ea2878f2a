"""Readers: one per input format, each turning a file into ``Article`` objects with line numbers.

``read_bytes`` is the one entry point: it picks the reader by the file's extension, decodes the
bytes (invalid UTF-8 is replaced, never fatal), gives every article its stable id, and reports
what it could not read as ``FileProblem``s instead of raising: an ``error`` when something was
left out, a ``warning`` when it was indexed all the same.
"""

from __future__ import annotations

import codecs
import hashlib
import importlib
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from newssearch.formats.limits import TooLarge, within_limits
from newssearch.formats.limits import read_file as read_file  # the indexer reads files with it
from newssearch.formats.parsed import ERROR, WARNING, FormatError, Parsed, ParsedArticle
from newssearch.models import Article, FileProblem

# Extension → (module in this package, reader function). Modules are imported when a file
# needs them: ``query`` never pays for lxml, PyYAML or markdown-it.
READERS: dict[str, tuple[str, str]] = {
    ".txt": ("export", "read_text"),
    ".md": ("markdown", "read_markdown"),
    ".markdown": ("markdown", "read_markdown"),
    ".json": ("records", "read_json"),
    ".jsonl": ("records", "read_jsonl"),
    ".ndjson": ("records", "read_jsonl"),
    ".html": ("html", "read_html"),
    ".htm": ("html", "read_html"),
}
# Extensions with a reader; every other file is skipped and named (README, "Input formats").
SUPPORTED = frozenset(READERS)
# How far into an HTML page to look for its <meta charset>.
_CHARSET_WINDOW = 4096
_CHARSET = re.compile(
    rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)|<\?xml[^>]+encoding\s*=\s*["']([A-Za-z0-9_.:-]+)""",
    re.IGNORECASE,
)


@dataclass
class FileRead:
    """What one file gave: its articles, or the ``error`` that kept all of it out of the index,
    and the ``problems`` (with lines) of a file that was indexed."""

    articles: list[Article] = field(default_factory=list)
    error: FileProblem | None = None
    problems: list[FileProblem] = field(default_factory=list)


def is_supported(path: Path) -> bool:
    return path.suffix.lower() in SUPPORTED


def article_id(relpath: str, key: str, occurrence: int) -> str:
    """Stable id: the file's path, the article's own key (its input id, else its title) and
    which occurrence of that key in the file it is. Other files changing, or a rebuild, leave
    it be."""
    digest = hashlib.sha1(f"{relpath}\0{key}\0{occurrence}".encode()).hexdigest()
    return digest[:16]


def decode(data: bytes, encoding: str = "utf-8-sig") -> tuple[str, bool]:
    """Text of a file's bytes and whether undecodable bytes had to be replaced."""
    try:
        return data.decode(encoding), False
    except UnicodeDecodeError:
        return data.decode(encoding, errors="replace"), True


def read_bytes(data: bytes, relpath: str) -> FileRead:
    """The articles in one file's bytes (as ``read_file`` gives them: a file too large to read is
    reported); ``relpath`` (relative to the corpus) names them."""
    result = FileRead()
    if isinstance(data, TooLarge):  # ``read_file`` did not read it
        result.error = FileProblem(relpath, data.reason())
        return result
    if b"\0" in data[:8192]:
        result.error = FileProblem(relpath, "binary data, not text; skipped")
        return result
    suffix = Path(relpath).suffix.lower()
    encoding = _declared_charset(data) if suffix in (".html", ".htm") else None
    text, replaced = decode(data, encoding or "utf-8-sig")
    if replaced:
        name = encoding or "UTF-8"
        result.problems.append(
            FileProblem(relpath, f"not valid {name}; undecodable bytes were replaced with \ufffd", level=WARNING)
        )
    if not text.strip():  # the same for every format: nothing to index, said once
        result.problems.append(FileProblem(relpath, "empty file; nothing to index", level=WARNING))
        return result
    try:
        parsed = reader(suffix)(text)
    except FormatError as exc:
        result.error = FileProblem(relpath, exc.reason, exc.line)
        return result
    except RecursionError:
        result.error = FileProblem(relpath, "nested too deeply to read; skipped")
        return result
    except Exception as exc:  # a reader's bug must cost one file, never the whole run
        reason = f"could not be read ({exc.__class__.__name__}: {exc}); skipped — please report this file"
        result.error = FileProblem(relpath, reason)
        return result
    kept = [within_limits(article, parsed.problems) for article in parsed.articles]
    result.problems.extend(FileProblem(relpath, p.reason, p.line, p.level) for p in parsed.problems)
    result.articles = _with_ids(relpath, kept)
    if not result.articles and any(p.level == ERROR for p in parsed.problems):
        result.error = FileProblem(relpath, "no article in this file could be read (see the problems above)")
    return result


def reader(suffix: str) -> Callable[[str], Parsed]:
    module, function = READERS[suffix]
    found: Callable[[str], Parsed] = getattr(importlib.import_module(f"{__name__}.{module}"), function)
    return found


def _declared_charset(data: bytes) -> str | None:
    """The encoding an HTML page declares (``<meta charset>``, ``http-equiv``, an XML
    declaration), when Python knows it. A UTF-8 byte-order mark wins over any declaration, and a
    page that declares UTF-16 in ASCII is UTF-8, as browsers read it."""
    if data.startswith(codecs.BOM_UTF8):
        return None
    found = _CHARSET.search(data[:_CHARSET_WINDOW])
    if not found:
        return None
    try:
        name = codecs.lookup((found.group(1) or found.group(2)).decode("ascii")).name
    except LookupError:
        return None
    return None if name == "utf-8" or name.startswith(("utf-16", "utf-32")) else name


def _with_ids(relpath: str, parsed: list[ParsedArticle]) -> list[Article]:
    seen: dict[str, int] = {}
    articles = []
    for p in parsed:
        key = f"id:{p.doc_id}" if p.doc_id else p.title
        seen[key] = seen.get(key, 0) + 1
        articles.append(
            Article(
                id=article_id(relpath, key, seen[key]),
                path=relpath,
                line=p.line,
                title=p.title,
                sections=tuple(p.sections),
                captions=tuple(p.captions),
                doc_id=p.doc_id,
                date=p.date,
                source=p.source,
                url=p.url,
                tags=p.tags,
            )
        )
    return articles
