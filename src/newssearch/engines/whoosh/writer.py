"""An update of the Whoosh index: a writer that applies what ``newssearch index`` plans, its
worker processes, and the merge policy at its commit.

Whoosh writes a new table of contents only at commit, by an atomic rename, so a failed or
interrupted update leaves the previous index whole. Every writing run first removes what failed
runs left behind and refuses to build on a damaged index (``integrity``).
"""

from __future__ import annotations

import errno
import json
import os
import queue
import signal
import sys
from collections import Counter
from collections.abc import Iterator
from functools import partial
from pathlib import Path
from typing import Any

from whoosh import index as windex
from whoosh import query as wq
from whoosh import writing
from whoosh.filedb.filestore import FileStorage
from whoosh.multiproc import MpWriter, SubWriterTask
from whoosh.reading import SegmentReader
from whoosh.searching import Searcher

from newssearch.copies import Grouping, Member
from newssearch.engine import Update
from newssearch.engines.whoosh import integrity, patches
from newssearch.engines.whoosh.documents import article_documents, article_words, words_document
from newssearch.engines.whoosh.schema import KIND_ARTICLE, KIND_FILE, KIND_META, META_KEY, SCHEMA_VERSION, build_schema
from newssearch.engines.whoosh.store import (
    INDEX_NAME,
    LOCK_NAME,
    DurableStorage,
    exists,
    open_index,
    read_manifest,
    read_meta,
    update_lock,
)
from newssearch.errors import IndexUpdateError, display
from newssearch.manifest import IndexSummary, ManifestEntry
from newssearch.models import Article
from newssearch.names import article_name_terms
from newssearch.processes import die_with_parent

# Whoosh's writer holds this many MB of postings (by its own reckoning) before it sorts them into
# a run file on disk; the runs are merged into the segment at the end (``patches``, 4.).
WRITER_MEMORY_MB = 256
# Whoosh's writer changed (``patches``, 4. to 7.) before it is used.
patches.install_writing()
# Merge all segments at a commit once this share of the index's documents are deleted ones.
MERGE_DELETED_SHARE = 0.1
# Merge segments once this many are of the same order of size (see merge_tiers).
MERGE_FACTOR = 5


def update(index_dir: Path, apply: Update, *, rebuild: bool) -> IndexSummary:
    """Run ``apply`` with a writer on the index in ``index_dir``, under the update lock."""
    with update_lock(index_dir):
        reclaimed = _reclaim(index_dir)
        if not rebuild:
            _refuse_damaged(index_dir)
        try:
            try:
                summary = _update(index_dir, apply, rebuild, parallel=True)
            except _WorkersGone:  # nothing was committed: do the same in this process
                summary = _update(index_dir, apply, rebuild, parallel=False)
            if summary is None:
                # Whoosh's parallel writer commits without the documents of a worker that failed.
                # Never keep such an index: build it again in this process, which reports any error.
                summary = _update(index_dir, apply, True, parallel=False)
        except OSError as exc:
            if exc.errno != errno.ENOSPC:
                raise
            raise _disk_full(index_dir) from None
    assert summary is not None  # a run in one process always has its summary
    summary.reclaimed_bytes = reclaimed
    return summary


def _update(index_dir: Path, apply: Update, rebuild: bool, *, parallel: bool) -> IndexSummary | None:
    """One update under the lock; None when a parallel run committed fewer articles than it
    added."""
    ix, meta, manifest = _open_for_update(index_dir, rebuild)
    writer = WhooshWriter(ix, index_dir, meta={} if rebuild else meta, manifest=manifest, rebuilt=rebuild or not meta)
    writer.can_fork = parallel
    try:
        summary = apply(writer)
    except BaseException:
        writer.cancel()
        raise
    if writer.procs > 1 and _articles_in(ix) != summary.articles:
        return None
    return summary


class WhooshWriter:
    """The engine's writer (``engine.Writer``). Whoosh's own writer is opened on first use: a
    run that changes nothing writes nothing (an opened and cancelled writer leaves orphan
    segment files behind). With ``procs`` > 1, the documents are indexed by that many worker
    processes."""

    def __init__(
        self,
        ix: windex.Index,
        index_dir: Path,
        *,
        meta: dict[str, Any],
        manifest: dict[str, ManifestEntry],
        rebuilt: bool,
    ) -> None:
        self.ix = ix
        self.index_dir = index_dir
        self.meta = meta
        self.manifest = manifest
        self.rebuilt = rebuilt
        self.can_fork = True
        self.procs = 1
        self.writer: writing.IndexWriter | None = None
        self.deleted = 0
        # The spelling vocabulary of the files whose articles were added and whose manifest
        # entry is not yet written: for each word, how many of the file's articles hold it.
        self.words: dict[str, Counter[str]] = {}
        self.names: dict[str, Counter[str]] = {}  # and the names they write, the same way
        self.removed: set[str] = set()  # the paths whose committed articles this update removes
        self.grouping: Grouping | None = None  # the added articles' copy groups (``copies``)
        self.committed_searcher: Searcher | None = None  # where the index's copies are found
        self.committed_columns: tuple[Any, ...] = ()  # and its columns of ids and copy groups
        self.removed_read: set[str] = set()  # the removed paths whose committed articles were looked up
        self.removed_docnums: set[int] = set()  # and those articles

    def parallel(self, processes: int) -> None:
        self.procs = processes if self.can_fork else 1

    def remove_file(self, relpath: str) -> None:
        self.removed.add(relpath)
        self.deleted += self.get().delete_by_term("path", relpath)

    def add_article(self, article: Article) -> None:
        writer = self.get()
        if self.grouping is None:
            self.grouping = Grouping(None if self.rebuilt else self._committed_copies)
        (grouped,) = self.grouping.assign([article])
        for doc in article_documents(article, grouped):
            writer.add_document(**doc)
        self.words.setdefault(article.path, Counter()).update(article_words(article))
        self.names.setdefault(article.path, Counter()).update(article_name_terms(article))

    def put_entry(self, relpath: str, entry: ManifestEntry) -> None:
        """The file's manifest entry and, when its articles were added in this update, its
        vocabulary (a file entered unchanged keeps the one it has)."""
        writer = self.get()
        counts = self.words.pop(relpath, None)
        names = self.names.pop(relpath, Counter())
        if counts:
            writer.add_document(**words_document(relpath, counts, names))
        writer.update_document(kind=KIND_FILE, key=f"file:{relpath}", path=relpath, data=json.dumps(entry.to_json()))

    def _committed_copies(self, keys: list[str]) -> Iterator[tuple[Member, list[str]]]:
        """The committed articles that hold any of these band keys (``copies.Finder``), read
        from a searcher on the index as the update found it, less the files it removes: their
        ids and groups from the index's columns, their sketches (in the stored record, the
        larger read) only when ``copies.Grouping`` compares them."""
        if self.committed_searcher is None:
            self.committed_searcher = self.ix.searcher()
            self.committed_columns = tuple(
                self.committed_searcher.reader().column_reader(name, translate=False) for name in ("key", "copygroup")
            )
        searcher = self.committed_searcher
        reader = searcher.reader()
        for relpath in self.removed - self.removed_read:
            if ("path", relpath) in reader:
                self.removed_docnums.update(reader.postings("path", relpath).all_ids())
        self.removed_read |= self.removed
        held: dict[int, list[str]] = {}
        for k in keys:
            if ("bands", k) in reader:
                for docnum in reader.postings("bands", k).all_ids():
                    held.setdefault(docnum, []).append(k)
        key_column, group_column = self.committed_columns
        for docnum, found in sorted(held.items()):
            if reader.is_deleted(docnum) or docnum in self.removed_docnums:
                continue
            sketch = partial(_stored_sketch, searcher, docnum)
            yield Member(key_column[docnum].decode("utf-8"), group_column[docnum].decode("utf-8"), sketch), found

    def changed(self) -> bool:
        return self.writer is not None

    def commit(self, meta: dict[str, Any]) -> None:
        self._close_committed()
        writer = self.get()
        assert not self.words, f"articles added without their file's entry: {sorted(self.words)}"
        writer.update_document(kind=KIND_META, key=META_KEY, data=json.dumps({"schema": SCHEMA_VERSION, **meta}))
        if self.rebuilt:
            writer.commit(mergetype=writing.CLEAR)
        else:
            writer.commit(mergetype=writing.OPTIMIZE if _worth_merging(self.ix, self.deleted) else merge_tiers)
        integrity.record_checksums(self.index_dir)

    def get(self) -> writing.IndexWriter:
        if self.writer is None:
            try:
                if self.procs > 1:  # each worker writes a segment of its own: nothing to merge
                    self.writer = _ParallelWriter(
                        self.ix, procs=self.procs, multisegment=True, limitmb=WRITER_MEMORY_MB
                    )
                else:
                    self.writer = self.ix.writer(limitmb=WRITER_MEMORY_MB)
            except windex.LockError as exc:  # a writer outside newssearch holds Whoosh's own lock
                raise IndexUpdateError(
                    f"the index at {display(self.index_dir)} is locked by another program — close it and try again"
                ) from exc
        return self.writer

    def cancel(self) -> None:
        self._close_committed()
        if self.writer is not None:
            self.writer.cancel()

    def _close_committed(self) -> None:
        if self.committed_searcher is not None:
            self.committed_searcher.close()
            self.committed_searcher = None
            self.committed_columns = ()


class _ParallelWriter(MpWriter):  # type: ignore[misc]
    """Whoosh's parallel writer, except that it never waits forever for workers that are gone:
    it hands batches of documents to its workers through a bounded queue, and once every
    worker has died, putting one more batch in would block for good."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._queue: Any = self.jobqueue
        self.jobqueue: Any = self  # put() below; the workers are given the real queue

    def _new_task(self) -> Any:
        task = _Worker(self.storage, self.indexname, self._queue, self.resultqueue, self.subargs, self.multisegment)
        task.siblings = self.tasks
        task.parent = os.getpid()
        self.tasks.append(task)
        # A Ctrl-C while the worker is forked and starting is noted, not raised: raised in the
        # worker before its run() ignores Ctrl-C, it printed a traceback. The run raises it here.
        caught: list[int] = []
        previous = signal.signal(signal.SIGINT, lambda signum, frame: caught.append(signum))
        try:
            task.start()
        finally:
            signal.signal(signal.SIGINT, previous)
        if caught:
            raise KeyboardInterrupt
        return task

    def put(self, item: Any) -> None:
        """Hand a batch (or the end) to the workers. One worker dead is as bad as all: it may
        have died holding the queue's lock, which the others then wait for forever."""
        while True:
            _check_workers(self.tasks)
            try:
                self._queue.put(item, timeout=1)
                return
            except queue.Full:
                pass

    def cancel(self) -> None:
        """Stop the workers too (Whoosh's cancel only flags them in this process, and a worker
        left waiting for work would keep this process from exiting)."""
        for task in self.tasks:
            if task.pid is None:  # interrupted while it was being started
                continue
            task.terminate()
            SubWriterTask.join(task)  # not _Worker.join, which would see the others stopped
        # Each queue's feeder thread may be blocked writing to a worker that is gone; at exit,
        # multiprocessing would wait for it forever (a Ctrl-C'd run hung with no worker left).
        for q in (self._queue, self.resultqueue):
            q.cancel_join_thread()
        writing.SegmentWriter.cancel(self)


class _Worker(SubWriterTask):  # type: ignore[misc]
    """A worker process that does not outlive this one, nor keep its locks: forked, it holds
    this process's lock files open, so a worker left behind by a killed run (waiting for work
    forever) would keep every later run out."""

    siblings: list[Any]  # the writer's workers, this one among them
    parent: int  # the writer's process

    def run(self) -> None:
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
        if not os.environ.get("NEWSSEARCH_DEBUG"):
            # A failing worker's traceback would be written into the parent's progress bar (its
            # stderr is the bar's); the parent indexes again in one process and reports the error.
            sys.stderr = open(os.devnull, "w")  # noqa: SIM115 -- for the life of the process
        _close_lock_files(Path(self.storage.folder))
        die_with_parent(self.parent)  # elsewhere than Linux, the closed locks suffice
        super().run()

    def join(self, timeout: float | None = None) -> None:
        """Wait for this worker, unless another one has failed (see ``put``)."""
        while self.is_alive() and timeout is None:
            super().join(1)
            _check_workers(self.siblings)
        super().join(timeout)


def _stored_sketch(searcher: Searcher, docnum: int) -> bytes:
    sketch: bytes = searcher.stored_fields(docnum)["sketch"]
    return sketch


def _check_workers(tasks: list[Any]) -> None:
    if any(task.exitcode not in (None, 0) for task in tasks):
        raise _WorkersGone


def _close_lock_files(index_dir: Path) -> None:
    locks = set()
    for name in (LOCK_NAME, f"{INDEX_NAME}_WRITELOCK"):
        try:
            st = os.stat(index_dir / name)
            locks.add((st.st_dev, st.st_ino))
        except OSError:
            pass
    try:
        open_fds = os.listdir("/dev/fd")
    except OSError:
        return
    for fd in open_fds:
        try:
            st = os.fstat(int(fd))
            if (st.st_dev, st.st_ino) in locks:
                os.close(int(fd))
        except (OSError, ValueError):
            pass


class _WorkersGone(Exception):
    """Every worker process of a parallel run has died."""


def _reclaim(index_dir: Path) -> int:
    """Remove what killed, interrupted or failed runs left in the index folder (README,
    "newssearch index"): the bytes reclaimed. A table of contents that cannot be read leaves
    nothing to tell leftovers by; the run then starts the index again."""
    whoosh_lock = FileStorage(str(index_dir)).lock(f"{INDEX_NAME}_WRITELOCK")
    try:
        if not whoosh_lock.acquire(blocking=False):
            return 0  # a writer outside newssearch is at work: its new files are not leftovers
    except OSError:
        return 0
    try:
        return integrity.remove_leftovers(index_dir)
    except Exception:
        return 0
    finally:
        whoosh_lock.release()


def _refuse_damaged(index_dir: Path) -> None:
    """Never build on a damaged index: a file changed since it was written (its size or time,
    then its checksum, differ from what its commit recorded)."""
    try:
        found = integrity.damaged(index_dir, full=False)
    except Exception:
        return  # an unreadable table of contents: the run starts the index again
    if found:
        what = "; ".join(f"{d.name}: {d.reason}" for d in found[:3])
        raise IndexUpdateError(
            f"the index at {display(index_dir)} is damaged ({what}) — "
            f"run `newssearch index --rebuild` to build it again"
        )


def _disk_full(index_dir: Path) -> IndexUpdateError:
    """The disk filled up during the run: what it wrote is removed, the index is as it was."""
    written = integrity.remove_leftovers(index_dir)
    return IndexUpdateError(
        f"the disk holding {display(index_dir)} is full: this update had written {_mb(written)} when it ran out of "
        f"space — free more than that, or choose another --index folder, then run `newssearch index` again "
        f"(the index is as it was)"
    )


def _mb(n: int) -> str:
    return f"{n / 1e6:,.1f} MB"


def _articles_in(ix: windex.Index) -> int:
    """The articles in the index (not deleted ones, which the term's frequency still counts)."""
    with ix.searcher() as searcher:
        return sum(1 for _ in searcher.docs_for_query(wq.Term("kind", KIND_ARTICLE)))


def _worth_merging(ix: windex.Index, deleted_now: int) -> bool:
    """Whether to merge all segments at this commit. Deleted documents stay in Whoosh's term and
    length statistics until their segment is merged, so scores drift from a rebuilt index's as
    files change; past this share of deleted documents, merge them away."""
    with ix.reader() as reader:
        deleted = reader.doc_count_all() - reader.doc_count() + deleted_now
        return bool(deleted > MERGE_DELETED_SHARE * max(reader.doc_count_all(), 1))


def merge_tiers(writer: writing.SegmentWriter, segments: list[Any]) -> list[Any]:
    """Whoosh's merge policy at a commit, bounding the number of segments every query opens.

    Each update that changes something writes a segment or two. whoosh-reloaded's default
    (``MERGE_SMALL``) merges only when the five smallest segments are nearly empty, so segments
    piled up: 12 after five add-and-remove runs at 100,000 articles, which cost a query for a
    rare word 22 ms instead of 15, and ``countries~1`` 132 instead of 92 (in-process).

    Here, as in Lucene's log merge policy, a segment's tier is the power of ``MERGE_FACTOR`` its
    document count is at, and ``MERGE_FACTOR`` segments of one tier are merged (into this
    commit's segment) into one of a higher tier. A small update merges only small segments; each
    document is rewritten about log(N)/log(MERGE_FACTOR) times over the index's life; and there
    are fewer than ``MERGE_FACTOR`` segments in any tier after a commit, besides the commit's
    own (a parallel run adds one per process).

    A segment whose documents are all deleted (a file added by one update and removed or
    changed by a later one) is dropped, and with it its share of the statistics that scores
    are computed from, which Whoosh keeps for deleted documents until their segment goes."""
    tiers: dict[int, list[Any]] = {}
    for seg in segments:
        if seg.doc_count() == 0:
            continue
        tiers.setdefault(_tier(seg.doc_count_all()), []).append(seg)
    kept = []
    for members in tiers.values():
        if len(members) < MERGE_FACTOR:
            kept.extend(members)
            continue
        for seg in members:
            reader = SegmentReader(writer.storage, writer.schema, seg)
            writer.add_reader(reader)
            reader.close()
    return kept


def _tier(documents: int) -> int:
    tier = 0
    while documents >= MERGE_FACTOR:
        documents //= MERGE_FACTOR
        tier += 1
    return tier


def _open_for_update(index_dir: Path, rebuild: bool) -> tuple[windex.Index, dict[str, Any], dict[str, ManifestEntry]]:
    """The index to write to, its metadata and its manifest, read with one searcher. An index
    that is missing, unreadable or of another schema version is created empty (no metadata);
    for a rebuild the manifest is not read."""
    if exists(index_dir):
        try:
            ix = open_index(index_dir)
            with ix.searcher() as searcher:
                meta = read_meta(searcher)
                if meta.get("schema") == SCHEMA_VERSION:
                    return ix, meta, {} if rebuild else read_manifest(searcher)
        except Exception:
            pass  # unreadable: start again below
    try:
        index_dir.mkdir(parents=True, exist_ok=True)
        return DurableStorage(str(index_dir)).create_index(build_schema(), indexname=INDEX_NAME), {}, {}
    except OSError as exc:
        raise IndexUpdateError(f"cannot create the index at {display(index_dir)}: {exc.strerror or exc}") from exc
