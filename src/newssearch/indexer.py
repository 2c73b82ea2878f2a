"""Bring the index up to date with the corpus folder.

The index keeps a manifest entry (a ``file`` document: size, mtime, SHA-1, counts) per corpus
file, committed in the same Whoosh commit as the articles it produced. An update compares the
folder with the manifest: unchanged files (same size and mtime, or same hash) are not parsed;
changed and new files are parsed and replace their old articles; deleted files lose theirs.
Whoosh writes a new table of contents only at commit, by an atomic rename, so a failed or
interrupted run leaves the previous index whole.
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import queue
import signal
import stat
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Protocol

from whoosh import index as windex
from whoosh import query as wq
from whoosh import writing
from whoosh.filedb.filestore import FileStorage
from whoosh.multiproc import MpWriter, SubWriterTask
from whoosh.reading import SegmentReader

from newssearch import integrity
from newssearch.documents import article_documents
from newssearch.errors import CorpusMissingError, IndexUpdateError
from newssearch.formats import is_supported, read_bytes, read_file
from newssearch.models import FileProblem, IndexSummary
from newssearch.schema import KIND_ARTICLE, KIND_FILE, KIND_META, META_KEY, SCHEMA_VERSION, build_schema
from newssearch.store import (
    INDEX_NAME,
    LOCK_NAME,
    DurableStorage,
    display,
    exists,
    manifest_totals,
    open_index,
    read_manifest,
    read_meta,
    update_lock,
)


class Progress(Protocol):
    """What a run reports while it goes: ``reading`` as files are parsed and their articles added,
    then ``writing`` once, when the commit (with its merge) begins."""

    def reading(self, done: int, total: int, path: str, articles: int) -> None:
        """``done`` of ``total`` bytes of the files to parse (so that one large .jsonl moves the
        bar as its articles are added); ``path``: the file now; ``articles`` added so far."""

    def writing(self) -> None:
        """The commit began: nothing more to count until it ends."""


# Whoosh's writer buffers this many MB of postings before it flushes a segment to disk.
WRITER_MEMORY_MB = 256
# Merge all segments at a commit once this share of the index's documents are deleted ones.
MERGE_DELETED_SHARE = 0.1
# Merge segments once this many are of the same order of size (see merge_tiers).
MERGE_FACTOR = 5
# Within a file, report progress after every this many articles.
PROGRESS_EVERY = 50
# A run with at least this many bytes of files to parse indexes them in worker processes, one per
# core (Whoosh's MpWriter, one new segment each); a smaller run is not worth starting them.
PARALLEL_FROM_BYTES = 4 << 20


@dataclass(frozen=True)
class CorpusFile:
    path: Path
    relpath: str
    size: int
    mtime_ns: int


@dataclass
class Scan:
    """What the corpus folder holds: supported files, skipped ones, and what could not be looked
    at (an unreadable folder, a broken link, a FIFO) — reported, and its articles kept."""

    files: list[CorpusFile] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    problems: list[FileProblem] = field(default_factory=list)
    unreadable: list[str] = field(default_factory=list)  # folders and files whose articles stay

    def keeps(self, relpath: str) -> bool:
        """Whether an indexed file that the scan did not find may only be out of sight."""
        return any(relpath == u or relpath.startswith(u + "/") for u in self.unreadable)


def scan_corpus(corpus_dir: Path, *, follow: bool = False) -> Scan:
    """Supported regular files under the corpus, sorted by path. Hidden files and folders
    (``.git``, ``.DS_Store``) are not part of the corpus. Symbolic links are not followed, as
    ripgrep does not follow them: each is reported (a link can lead anywhere — ``/etc`` — or
    back into the corpus); with ``follow``, links to files and folders are followed, inside the
    corpus or out of it, and a link back to a folder already walked is reported, not followed
    again."""
    if not corpus_dir.is_dir():
        raise CorpusMissingError(
            f"no corpus folder at {display(corpus_dir)} — create it and put articles in it, "
            f"or point --corpus (or NEWSSEARCH_CORPUS) at your articles"
        )
    scan = Scan()

    def unreadable_folder(exc: OSError) -> None:
        folder = Path(exc.filename or corpus_dir)
        if folder.resolve() == corpus_dir.resolve():
            raise CorpusMissingError(
                f"cannot read the corpus folder {display(corpus_dir)}: {exc.strerror or exc} — check its permissions"
            )
        relpath = folder.relative_to(corpus_dir).as_posix()
        scan.unreadable.append(relpath)
        scan.problems.append(FileProblem(relpath + "/", f"cannot read this folder: {exc.strerror or exc}"))

    home = corpus_dir.resolve()
    walked = {home}

    def inside(target: Path) -> bool:  # read under its own name anyway
        return target == home or home in target.parents

    for root, dirs, names in os.walk(corpus_dir, onerror=unreadable_folder, followlinks=follow):
        kept = []
        for d in sorted(dirs):
            folder = Path(root) / d
            if d.startswith("."):
                continue
            if folder.is_symlink():
                relpath = folder.relative_to(corpus_dir).as_posix()
                if not follow:
                    scan.problems.append(_link_problem(relpath + "/", folder))
                    continue
                target = folder.resolve()
                if inside(target) or target in walked:  # the corpus's own, a loop, or a second way
                    reason = f"a link to {target}, a folder read under its own name — not followed"
                    scan.problems.append(FileProblem(relpath + "/", reason, level="warning"))
                    continue
                walked.add(target)
            elif follow:
                walked.add(folder.resolve())
            kept.append(d)
        dirs[:] = kept
        for name in sorted(names):
            if name.startswith("."):
                continue
            path = Path(root) / name
            relpath = path.relative_to(corpus_dir).as_posix()
            if not _utf8(relpath):  # an index stores names as UTF-8; shown with \x escapes
                shown = relpath.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
                scan.problems.append(
                    FileProblem(shown, "its name is not valid UTF-8 — rename it (e.g. with convmv) to index it")
                )
                continue
            if not is_supported(path):
                scan.skipped.append(relpath)
                continue
            link = False
            try:  # one lstat a file; a second stat only for a link
                st = path.lstat()
                link = stat.S_ISLNK(st.st_mode)
                if link:
                    st = path.stat()
            except OSError as exc:
                reason = "a link to nothing" if link else f"cannot read: {exc.strerror or exc}"
                scan.problems.append(FileProblem(relpath, reason))
                scan.unreadable.append(relpath)
                continue
            if link and not follow:
                scan.problems.append(_link_problem(relpath, path))
                continue
            if link and inside(path.resolve()):  # the corpus's own file: read under its own name
                reason = f"a link to {path.resolve()}, a file read under its own name — not followed"
                scan.problems.append(FileProblem(relpath, reason, level="warning"))
                continue
            if not stat.S_ISREG(st.st_mode):  # a FIFO would block the read forever
                scan.problems.append(FileProblem(relpath, "not a regular file"))
                continue
            scan.files.append(CorpusFile(path, relpath, st.st_size, st.st_mtime_ns))
    scan.files.sort(key=lambda f: f.relpath)
    return scan


def _link_problem(relpath: str, link: Path) -> FileProblem:
    """A symbolic link left out: where it points, and how to follow it."""
    try:
        target = os.readlink(link)
    except OSError:
        target = "?"
    return FileProblem(
        relpath,
        f"a symbolic link to {target}: not followed — `newssearch index --follow` follows links",
        level="warning",
    )


def _utf8(name: str) -> bool:
    """Whether a file name decoded from the file system is UTF-8 (undecodable bytes come
    through as lone surrogates)."""
    try:
        name.encode("utf-8")
        return True
    except UnicodeEncodeError:
        return False


class _LazyWriter:
    """A Whoosh writer opened on first use: a run that changes nothing writes nothing (an
    opened and cancelled writer leaves orphan segment files behind). With ``procs`` > 1, the
    documents are indexed by that many worker processes."""

    def __init__(self, ix: windex.Index, index_dir: Path, procs: int = 1) -> None:
        self.ix = ix
        self.index_dir = index_dir
        self.procs = procs
        self.writer: writing.IndexWriter | None = None
        self.deleted = 0

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

    def delete_path(self, relpath: str) -> None:
        self.deleted += self.get().delete_by_term("path", relpath)

    def cancel(self) -> None:
        if self.writer is not None:
            self.writer.cancel()


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

    def run(self) -> None:
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
        if not os.environ.get("NEWSSEARCH_DEBUG"):
            # A failing worker's traceback would be written into the parent's progress bar (its
            # stderr is the bar's); the parent indexes again in one process and reports the error.
            sys.stderr = open(os.devnull, "w")  # noqa: SIM115 -- for the life of the process
        _close_lock_files(Path(self.storage.folder))
        _die_with_parent()
        super().run()

    def join(self, timeout: float | None = None) -> None:
        """Wait for this worker, unless another one has failed (see ``put``)."""
        while self.is_alive() and timeout is None:
            super().join(1)
            _check_workers(self.siblings)
        super().join(timeout)


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


def _die_with_parent() -> None:
    """Ask Linux to kill this process when its parent dies (elsewhere the closed locks suffice)."""
    try:
        import ctypes

        pr_set_pdeathsig = 1
        ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, signal.SIGKILL)
    except (OSError, AttributeError):
        pass
    if os.getppid() == 1:  # the parent died before the request was made
        os._exit(1)


class _WorkersGone(Exception):
    """Every worker process of a parallel run has died."""


def update_index(
    corpus_dir: Path,
    index_dir: Path,
    *,
    rebuild: bool = False,
    progress: Progress | None = None,
    procs: int | None = None,
    follow: bool = False,
) -> IndexSummary:
    """Bring the index at ``index_dir`` up to date with ``corpus_dir``. ``procs``: how many
    processes index (default: one per core, up to 4, when there is enough to parse);
    ``follow``: follow symbolic links (see ``scan_corpus``)."""
    started = time.monotonic()
    scan = scan_corpus(corpus_dir, follow=follow)
    with update_lock(index_dir):
        reclaimed = _reclaim(index_dir)
        if not rebuild:
            _refuse_damaged(index_dir)
        try:
            try:
                summary = _update(corpus_dir, index_dir, scan, rebuild, progress, procs)
            except _WorkersGone:  # nothing was committed: do the same in this process
                summary = _update(corpus_dir, index_dir, scan, rebuild, progress, 1)
            if summary is None:
                # Whoosh's parallel writer commits without the documents of a worker that failed.
                # Never keep such an index: build it again in this process, which reports any error.
                summary = _update(corpus_dir, index_dir, scan, True, progress, 1)
        except OSError as exc:
            if exc.errno != errno.ENOSPC:
                raise
            raise _disk_full(index_dir) from None
    assert summary is not None  # a run in one process always has its summary
    summary.reclaimed_bytes = reclaimed
    summary.seconds = round(time.monotonic() - started, 3)
    return summary


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


def _update(
    corpus_dir: Path, index_dir: Path, scan: Scan, rebuild: bool, progress: Progress | None, procs: int | None
) -> IndexSummary | None:
    """One update under the lock; None when a parallel run committed fewer articles than it
    added."""
    summary = IndexSummary(skipped=len(scan.skipped), skipped_files=list(scan.skipped))
    summary.failed = sum(1 for p in scan.problems if p.level == "error" and not p.path.endswith("/"))
    ix, meta, manifest = _open_for_update(index_dir, rebuild)
    summary.rebuilt = rebuild or not meta
    new_meta = _meta(corpus_dir, scan)
    # What the scan finds wrong (a name, a link, a folder) is new until a run has recorded it.
    said = meta.get("scan_problems", []) if not rebuild else []
    summary.problems = [replace(p, new=[p.path, p.reason] not in said) for p in scan.problems]
    writer = _LazyWriter(ix, index_dir, procs=procs or _processes_for(scan, manifest))
    try:
        _apply_changes(writer, scan, manifest, summary, progress)
        if writer.writer is not None or summary.rebuilt or any(meta.get(k) != v for k, v in new_meta.items()):
            if progress:
                progress.writing()
            w = writer.get()
            w.update_document(kind=KIND_META, key=META_KEY, data=json.dumps(new_meta))
            if summary.rebuilt:
                w.commit(mergetype=writing.CLEAR)
            else:
                w.commit(mergetype=writing.OPTIMIZE if _worth_merging(ix, writer.deleted) else merge_tiers)
            integrity.record_checksums(index_dir)
    except BaseException:
        writer.cancel()
        raise
    if writer.procs > 1 and _articles_in(ix) != summary.articles:
        return None
    return summary


def _processes_for(scan: Scan, manifest: dict[str, dict[str, Any]]) -> int:
    """How many processes to index with: one per core when there is enough to parse."""
    return min(os.cpu_count() or 1, 4) if _bytes_to_read(scan.files, manifest) >= PARALLEL_FROM_BYTES else 1


def _bytes_to_read(files: list[CorpusFile], manifest: dict[str, dict[str, Any]]) -> int:
    """The bytes of the files a run reads: those not unchanged on disk."""
    return sum(f.size for f in files if not same_stat(f, manifest.get(f.relpath)))


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


def _open_for_update(index_dir: Path, rebuild: bool) -> tuple[windex.Index, dict[str, Any], dict[str, dict[str, Any]]]:
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


def _apply_changes(
    writer: _LazyWriter,
    scan: Scan,
    manifest: dict[str, dict[str, Any]],
    summary: IndexSummary,
    progress: Progress | None,
) -> None:
    """Write what changed and fill in ``summary``. Every corpus file ends up in exactly one of
    added, changed, unchanged and failed."""
    files = scan.files
    failed_before = summary.failed  # files the scan could not look at; not in ``files``
    present = {f.relpath for f in files}
    entries: dict[str, dict[str, Any]] = {}
    for relpath in sorted(set(manifest) - present):
        if scan.keeps(relpath):  # out of sight, not gone: keep its articles
            entries[relpath] = manifest[relpath]
            continue
        writer.delete_path(relpath)
        summary.removed += 1
    reading = _Reading(progress, _bytes_to_read(files, manifest)) if progress else None
    for cfile in files:
        old = manifest.get(cfile.relpath)
        within = reading.within(cfile) if reading and not same_stat(cfile, old) else None
        parsed_before = summary.added + summary.changed
        entry = _update_file(writer, cfile, old, summary, within)
        if entry is not None:
            entries[cfile.relpath] = entry
        if reading and within:  # a file's articles count as done once added by this run
            parsed = summary.added + summary.changed > parsed_before
            reading.file_done(cfile, entry.get("articles", 0) if parsed and entry else 0)
    summary.articles, summary.sections, summary.captions, summary.files = manifest_totals(entries.values())
    summary.unchanged = len(files) - summary.added - summary.changed - (summary.failed - failed_before)


class _Reading:
    """Progress through the files a run reads: bytes (of those files only, so that unchanged
    files do not rush the bar ahead of the work) and the articles added so far."""

    def __init__(self, progress: Progress, total: int) -> None:
        self.progress = progress
        self.total = total
        self.done = 0
        self.articles = 0

    def within(self, cfile: CorpusFile) -> Callable[[int, int], None]:
        """Progress through one file, given as articles added of the articles it has."""

        def report(added: int, of: int) -> None:
            share = added / of if of else 0.0
            self.progress.reading(self.done + int(cfile.size * share), self.total, cfile.relpath, self.articles + added)

        report(0, 0)
        return report

    def file_done(self, cfile: CorpusFile, articles: int) -> None:
        self.done += cfile.size
        self.articles += articles
        self.progress.reading(self.done, self.total, cfile.relpath, self.articles)


def _update_file(
    writer: _LazyWriter,
    cfile: CorpusFile,
    old: dict[str, Any] | None,
    summary: IndexSummary,
    within: Callable[[int, int], None] | None = None,
) -> dict[str, Any] | None:
    """Bring one file up to date; its manifest entry (None: nothing to keep of it)."""
    if old and same_stat(cfile, old):
        return _unchanged(cfile, old, summary)
    try:
        data = read_file(cfile.path)  # a file past the limit on size is not read
    except OSError as exc:  # keep what the index had of it; the next run tries again
        summary.failed += 1
        summary.problems.append(FileProblem(cfile.relpath, f"cannot read: {exc.strerror or exc}"))
        return old
    entry: dict[str, Any] = {"size": cfile.size, "mtime_ns": cfile.mtime_ns, "sha1": hashlib.sha1(data).hexdigest()}
    if old and old.get("sha1") == entry["sha1"]:  # touched, not changed: nothing to parse
        entry = {**old, **entry}
        _unchanged(cfile, entry, summary)
    else:
        if old:
            writer.delete_path(cfile.relpath)
        entry.update(_add_articles(writer.get(), cfile.relpath, data, summary, within))
        if "error" in entry:
            summary.failed += 1
        elif old:
            summary.changed += 1
        else:
            summary.added += 1
    writer.get().update_document(
        kind=KIND_FILE, key=f"file:{cfile.relpath}", path=cfile.relpath, data=json.dumps(entry)
    )
    return entry


def same_stat(cfile: CorpusFile, entry: dict[str, Any] | None) -> bool:
    """Whether a file has the size and modification time its manifest entry recorded: then it
    is taken as unchanged without reading it."""
    return entry is not None and (entry.get("size"), entry.get("mtime_ns")) == (cfile.size, cfile.mtime_ns)


def _unchanged(cfile: CorpusFile, entry: dict[str, Any], summary: IndexSummary) -> dict[str, Any]:
    """An unchanged file's problems, known from the run that read it, stay in the summary
    (``new`` false): the list is what is wrong with the corpus now; the terminal counts them."""
    summary.problems.extend(replace(p, new=False) for p in problems_from(cfile.relpath, entry))
    if "error" in entry:
        summary.failed += 1
    return entry


def _add_articles(
    writer: writing.IndexWriter,
    relpath: str,
    data: bytes,
    summary: IndexSummary,
    within: Callable[[int, int], None] | None = None,
) -> dict[str, Any]:
    """Parse one file's bytes and add its articles; the counts, problems (and error) for its
    manifest entry."""
    read = read_bytes(data, relpath)
    entry: dict[str, Any] = {}
    if read.problems:
        entry["problems"] = [[p.line, p.reason, p.level] for p in read.problems]
    if read.error:
        entry["error"] = [read.error.line, read.error.reason]
    summary.problems.extend(problems_from(relpath, entry))
    if read.error:
        return entry
    for n, article in enumerate(read.articles, start=1):
        for doc in article_documents(article):
            writer.add_document(**doc)
        if within and n % PROGRESS_EVERY == 0:
            within(n, len(read.articles))
    entry["articles"] = len(read.articles)
    entry["sections"] = sum(len(a.sections) for a in read.articles)
    entry["captions"] = sum(len(a.captions) for a in read.articles)
    return entry


def problems_from(relpath: str, entry: dict[str, Any]) -> list[FileProblem]:
    """A manifest entry's problems, then the error that kept the file out, if any."""
    found = [FileProblem(relpath, reason, line, level) for line, reason, level in entry.get("problems", [])]
    if "error" in entry:
        line, reason = entry["error"]
        found.append(FileProblem(relpath, reason, line))
    return found


def _meta(corpus_dir: Path, scan: Scan) -> dict[str, Any]:
    """The index's metadata. The time of the last update is not in it: that is when the commit
    completed (``store.committed_at``), minutes after this is written for a large first run.
    ``scan_problems``: what the scan found wrong, so that the next run says only what is new."""
    return {
        "schema": SCHEMA_VERSION,
        "corpus": str(corpus_dir.resolve()),
        "scan_problems": [[p.path, p.reason] for p in scan.problems],
    }
