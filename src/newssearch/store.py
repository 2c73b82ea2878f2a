"""Opening the index folder: existence, schema version, metadata and the update lock.

Every failure here is a sentence that says which command fixes it.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from whoosh import index as windex
from whoosh.filedb.filestore import FileStorage
from whoosh.searching import Searcher

from newssearch.errors import IndexBusyError, IndexMissingError, IndexOutdatedError, IndexUpdateError
from newssearch.ranking import KindBM25F
from newssearch.schema import KIND_FILE, META_KEY, SCHEMA_VERSION

INDEX_NAME = "MAIN"
_LOCK_NAME = "newssearch_UPDATE"


def display(path: Path) -> str:
    text = str(path)
    return text if path.is_absolute() or text.startswith(".") else f"./{text}"


def exists(index_dir: Path) -> bool:
    return index_dir.is_dir() and windex.exists_in(str(index_dir), indexname=INDEX_NAME)


@contextmanager
def open_searcher(index_dir: Path) -> Iterator[tuple[Searcher, dict[str, Any]]]:
    """A searcher on the index and its metadata, if it exists and has this schema version.
    One searcher per command: opening one reads the segment files."""
    if not exists(index_dir):
        raise IndexMissingError(f"no index at {display(index_dir)} — run `newssearch index` to build it")
    try:
        searcher = windex.open_dir(str(index_dir), indexname=INDEX_NAME).searcher(weighting=KindBM25F())
        meta = read_meta(searcher)
    except Exception as exc:
        raise IndexOutdatedError(
            f"the index at {display(index_dir)} cannot be read ({exc.__class__.__name__}) — "
            f"run `newssearch index --rebuild`"
        ) from exc
    with searcher:
        if meta.get("schema") != SCHEMA_VERSION:
            raise IndexOutdatedError(
                f"the index at {display(index_dir)} was built by another version of newssearch "
                f"(schema {meta.get('schema')}, this one reads {SCHEMA_VERSION}) — run `newssearch index` to rebuild it"
            )
        yield searcher, meta


def read_meta(searcher: Searcher) -> dict[str, Any]:
    stored = searcher.document(key=META_KEY)
    if not stored:
        return {}
    meta: dict[str, Any] = json.loads(stored["data"])
    return meta


def read_manifest(searcher: Searcher) -> dict[str, dict[str, Any]]:
    """The manifest entry of every corpus file (size, mtime, hash, counts or error), by path."""
    return {doc["path"]: json.loads(doc["data"]) for doc in searcher.documents(kind=KIND_FILE)}


def manifest_totals(entries: Iterable[dict[str, Any]]) -> tuple[int, int, int, int]:
    """(articles, sections, captions, files with articles) over manifest entries."""
    articles = sections = captions = files = 0
    for entry in entries:
        articles += entry.get("articles", 0)
        sections += entry.get("sections", 0)
        captions += entry.get("captions", 0)
        files += bool(entry.get("articles"))
    return articles, sections, captions, files


@contextmanager
def update_lock(index_dir: Path) -> Iterator[None]:
    """Held for a whole ``index`` run, so two runs never write at once; the second one is told."""
    lock = FileStorage(str(index_dir)).lock(_LOCK_NAME)
    try:
        index_dir.mkdir(parents=True, exist_ok=True)
        acquired = lock.acquire(blocking=False)
    except OSError as exc:
        raise IndexUpdateError(
            f"cannot write to the index folder {display(index_dir)}: {exc.strerror or exc} — "
            f"check its permissions, or choose another with --index"
        ) from exc
    if not acquired:
        raise IndexBusyError(
            f"the index at {display(index_dir)} is being updated by another `newssearch index` run — "
            f"wait for it to finish, then run this again"
        )
    try:
        yield
    finally:
        lock.release()


def size_on_disk(index_dir: Path) -> int:
    return sum(p.stat().st_size for p in index_dir.iterdir() if p.is_file() and not p.name.startswith("."))
