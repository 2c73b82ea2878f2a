"""Bring the index up to date with the corpus folder.

The index keeps a manifest entry (a ``file`` document: size, mtime, SHA-1, counts) per corpus
file, committed in the same Whoosh commit as the articles it produced. An update compares the
folder with the manifest: unchanged files (same size and mtime, or same hash) are not parsed;
changed and new files are parsed and replace their old articles; deleted files lose theirs.
Whoosh writes a new table of contents only at commit, by an atomic rename, so a failed or
interrupted run leaves the previous index whole.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from whoosh import index as windex
from whoosh import writing

from newssearch.documents import article_documents
from newssearch.errors import CorpusMissingError, IndexUpdateError
from newssearch.formats import is_supported, read_bytes
from newssearch.models import FileProblem, IndexSummary
from newssearch.schema import KIND_FILE, KIND_META, META_KEY, SCHEMA_VERSION, build_schema
from newssearch.store import INDEX_NAME, display, exists, read_meta, update_lock

# progress(done, total, current relative path)
Progress = Callable[[int, int, str], None]
# Whoosh's writer buffers this many MB of postings before it flushes a segment to disk.
WRITER_MEMORY_MB = 256


@dataclass(frozen=True)
class CorpusFile:
    path: Path
    relpath: str
    size: int
    mtime_ns: int


def scan_corpus(corpus_dir: Path) -> tuple[list[CorpusFile], list[str]]:
    """Supported files under the corpus, sorted by path, and the others (skipped). Hidden
    files and folders (``.git``, ``.DS_Store``) are not part of the corpus."""
    if not corpus_dir.is_dir():
        raise CorpusMissingError(
            f"no corpus folder at {display(corpus_dir)} — create it and put articles in it, "
            f"or point --corpus (or NEWSSEARCH_CORPUS) at your articles"
        )
    files: list[CorpusFile] = []
    skipped: list[str] = []
    for root, dirs, names in os.walk(corpus_dir, onerror=None):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in sorted(names):
            if name.startswith("."):
                continue
            path = Path(root) / name
            relpath = path.relative_to(corpus_dir).as_posix()
            if not is_supported(path):
                skipped.append(relpath)
                continue
            try:
                st = path.stat()
            except OSError:
                continue  # vanished or a dangling link; it is simply not there
            files.append(CorpusFile(path, relpath, st.st_size, st.st_mtime_ns))
    files.sort(key=lambda f: f.relpath)
    return files, skipped


def update_index(
    corpus_dir: Path, index_dir: Path, *, rebuild: bool = False, progress: Progress | None = None
) -> IndexSummary:
    started = time.monotonic()
    files, skipped = scan_corpus(corpus_dir)
    summary = IndexSummary(skipped=len(skipped))
    with update_lock(index_dir):
        ix, fresh = _open_for_update(index_dir, rebuild)
        summary.rebuilt = fresh or rebuild
        manifest = {} if summary.rebuilt else _read_manifest(ix)
        try:
            writer = ix.writer(limitmb=WRITER_MEMORY_MB)
        except windex.LockError as exc:  # a writer outside newssearch holds Whoosh's own lock
            raise IndexUpdateError(
                f"the index at {display(index_dir)} is locked by another program — close it and try again"
            ) from exc
        try:
            dirty = _apply_changes(writer, files, manifest, summary, progress)
            if dirty or summary.rebuilt:
                writer.update_document(kind=KIND_META, key=META_KEY, data=json.dumps(_meta(corpus_dir)))
                writer.commit(mergetype=writing.CLEAR if summary.rebuilt else None)
            else:
                writer.cancel()
        except BaseException:
            writer.cancel()
            raise
    summary.seconds = round(time.monotonic() - started, 3)
    return summary


def _open_for_update(index_dir: Path, rebuild: bool) -> tuple[windex.Index, bool]:
    """The index to write to, and whether it was (re)created empty."""
    if exists(index_dir):
        try:
            ix = windex.open_dir(str(index_dir), indexname=INDEX_NAME)
            with ix.searcher() as searcher:
                version = read_meta(searcher).get("schema")
            if version == SCHEMA_VERSION:
                return ix, False
        except Exception:
            pass  # unreadable or of another version: start again below
    try:
        index_dir.mkdir(parents=True, exist_ok=True)
        return windex.create_in(str(index_dir), build_schema(), indexname=INDEX_NAME), True
    except OSError as exc:
        raise IndexUpdateError(f"cannot create the index at {display(index_dir)}: {exc.strerror or exc}") from exc


def _read_manifest(ix: windex.Index) -> dict[str, dict[str, Any]]:
    with ix.searcher() as searcher:
        return {doc["path"]: json.loads(doc["data"]) for doc in searcher.documents(kind=KIND_FILE)}


def _apply_changes(
    writer: writing.IndexWriter,
    files: list[CorpusFile],
    manifest: dict[str, dict[str, Any]],
    summary: IndexSummary,
    progress: Progress | None,
) -> bool:
    """Write what changed; fill in ``summary``; return whether anything was written."""
    dirty = False
    present = {f.relpath for f in files}
    for relpath in sorted(set(manifest) - present):
        writer.delete_by_term("path", relpath)
        summary.removed += 1
        dirty = True
    entries: dict[str, dict[str, Any]] = {}
    for done, cfile in enumerate(files):
        if progress:
            progress(done, len(files), cfile.relpath)
        old = manifest.get(cfile.relpath)
        if old and old.get("size") == cfile.size and old.get("mtime_ns") == cfile.mtime_ns:
            entries[cfile.relpath] = old
            if "error" in old:  # still broken: say so on every run, without parsing it again
                summary.failed += 1
                summary.problems.append(FileProblem(cfile.relpath, old["error"]))
            continue
        try:
            data = cfile.path.read_bytes()
        except OSError as exc:  # keep what the index had of it; the next run tries again
            summary.failed += 1
            summary.problems.append(FileProblem(cfile.relpath, f"cannot read: {exc.strerror or exc}"))
            if old:
                entries[cfile.relpath] = old
            continue
        entry: dict[str, Any] = {"size": cfile.size, "mtime_ns": cfile.mtime_ns, "sha1": hashlib.sha1(data).hexdigest()}
        if old and old.get("sha1") == entry["sha1"]:  # touched, not changed: nothing to parse
            entry = {**old, **entry}
        else:
            if old:
                writer.delete_by_term("path", cfile.relpath)
                summary.changed += 1
            else:
                summary.added += 1
            entry.update(_add_articles(writer, cfile.relpath, data, summary))
        writer.update_document(kind=KIND_FILE, key=f"file:{cfile.relpath}", path=cfile.relpath, data=json.dumps(entry))
        entries[cfile.relpath] = entry
        dirty = True
    if progress:
        progress(len(files), len(files), "")
    for entry in entries.values():
        summary.articles += entry.get("articles", 0)
        summary.sections += entry.get("sections", 0)
        summary.captions += entry.get("captions", 0)
    summary.files = sum(1 for e in entries.values() if e.get("articles"))
    summary.unchanged = len(files) - summary.added - summary.changed - summary.failed
    return dirty


def _add_articles(writer: writing.IndexWriter, relpath: str, data: bytes, summary: IndexSummary) -> dict[str, Any]:
    """Parse one file's bytes and add its articles; the counts (or error) for its manifest entry."""
    read = read_bytes(data, relpath)
    summary.problems.extend(read.warnings)
    if read.error:
        summary.failed += 1
        summary.problems.append(read.error)
        return {"error": read.error.reason}
    for article in read.articles:
        for doc in article_documents(article):
            writer.add_document(**doc)
    return {
        "articles": len(read.articles),
        "sections": sum(len(a.sections) for a in read.articles),
        "captions": sum(len(a.captions) for a in read.articles),
    }


def _meta(corpus_dir: Path) -> dict[str, Any]:
    return {
        "schema": SCHEMA_VERSION,
        "corpus": str(corpus_dir.resolve()),
        "updated": datetime.now(UTC).isoformat(timespec="seconds"),
    }
