"""``newssearch index``: bring the index up to date with the corpus folder, through any engine.

The index keeps a manifest entry per corpus file (size, mtime, SHA-1, counts, problems),
committed with the articles the file produced. An update plans from the scan and the manifest
(``corpus.plan_update``): unchanged files (same size and mtime, or same hash) are not parsed;
changed and new files are parsed and replace their old articles; deleted files lose theirs. The
engine makes the update atomic: a failed or interrupted run leaves the previous index whole.
"""

from __future__ import annotations

import hashlib
import os
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from newssearch.corpus import Scan, plan_update, scan_corpus
from newssearch.engines import engine_at
from newssearch.formats import read_bytes, read_file
from newssearch.manifest import CorpusFile, IndexSummary, ManifestEntry, UpdatePlan, manifest_totals
from newssearch.models import FileProblem

if TYPE_CHECKING:  # annotations only: not loaded at run time
    from newssearch.engine import Engine, Writer


class Progress(Protocol):
    """What a run reports while it goes: ``reading`` as files are parsed and their articles added,
    then ``writing`` once, when the commit (with its merge) begins."""

    def reading(self, done: int, total: int, path: str, articles: int) -> None:
        """``done`` of ``total`` bytes of the files to parse (so that one large .jsonl moves the
        bar as its articles are added); ``path``: the file now; ``articles`` added so far."""

    def writing(self) -> None:
        """The commit began: nothing more to count until it ends."""


# Within a file, report progress after every this many articles.
PROGRESS_EVERY = 50
# A run with at least this many bytes of files to parse indexes them in several processes, one
# per core (up to MAX_PROCESSES), when the engine can; a smaller run is not worth starting them.
PARALLEL_FROM_BYTES = 4 << 20
MAX_PROCESSES = 4


def update_index(
    corpus_dir: Path,
    index: str | Path | Engine,
    *,
    rebuild: bool = False,
    progress: Progress | None = None,
    procs: int | None = None,
    follow: bool = False,
) -> IndexSummary:
    """Bring the index at ``index`` up to date with ``corpus_dir``. ``procs``: how many
    processes index (default: one per core, up to 4, when there is enough to parse);
    ``follow``: follow symbolic links (see ``scan_corpus``)."""
    started = time.monotonic()
    scan = scan_corpus(corpus_dir, follow=follow)

    def apply(writer: Writer) -> IndexSummary:
        return _apply(writer, corpus_dir, scan, progress, procs)

    summary = engine_at(index).update(apply, rebuild=rebuild)
    summary.seconds = round(time.monotonic() - started, 3)
    return summary


def _apply(writer: Writer, corpus_dir: Path, scan: Scan, progress: Progress | None, procs: int | None) -> IndexSummary:
    """One update through ``writer``: what changed is written and committed, and the summary
    says what was done. Every corpus file ends up in exactly one of added, changed, unchanged
    and failed."""
    summary = IndexSummary(skipped=len(scan.skipped), skipped_files=list(scan.skipped), rebuilt=writer.rebuilt)
    summary.failed = sum(1 for p in scan.problems if p.level == "error" and not p.path.endswith("/"))
    new_meta = _meta(corpus_dir, scan)
    # What the scan finds wrong (a name, a link, a folder) is new until a run has recorded it.
    said = writer.meta.get("scan_problems", [])
    summary.problems = [replace(p, new=[p.path, p.reason] not in said) for p in scan.problems]
    plan = plan_update(scan, writer.manifest)
    writer.parallel(procs or _processes_for(plan))
    entries = dict(plan.kept)
    for relpath in plan.removed:
        writer.remove_file(relpath)
        summary.removed += 1
    failed_before = summary.failed  # files the scan could not look at; not in ``scan.files``
    unchanged = {cfile.relpath: entry for cfile, entry in plan.unchanged}
    reading = _Reading(progress, plan.bytes_to_read) if progress else None
    for cfile in scan.files:  # in the order of their paths, as their problems are listed
        found: ManifestEntry | None = unchanged.get(cfile.relpath)
        if found is not None:
            entries[cfile.relpath] = _unchanged(cfile.relpath, found, summary)
            continue
        within = reading.within(cfile) if reading else None
        parsed_before = summary.added + summary.changed
        found = _update_file(writer, cfile, writer.manifest.get(cfile.relpath), summary, within)
        if found is not None:
            entries[cfile.relpath] = found
        if reading:  # a file's articles count as done once added by this run
            parsed = summary.added + summary.changed > parsed_before
            reading.file_done(cfile, found.articles if parsed and found else 0)
    summary.articles, summary.sections, summary.captions, summary.files = manifest_totals(list(entries.values()))
    summary.unchanged = len(scan.files) - summary.added - summary.changed - (summary.failed - failed_before)
    if writer.changed() or summary.rebuilt or any(writer.meta.get(k) != v for k, v in new_meta.items()):
        if progress:
            progress.writing()
        writer.commit(new_meta)
    return summary


def _processes_for(plan: UpdatePlan) -> int:
    """How many processes to index with: one per core when there is enough to parse."""
    return min(os.cpu_count() or 1, MAX_PROCESSES) if plan.bytes_to_read >= PARALLEL_FROM_BYTES else 1


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
    writer: Writer,
    cfile: CorpusFile,
    old: ManifestEntry | None,
    summary: IndexSummary,
    within: Callable[[int, int], None] | None = None,
) -> ManifestEntry | None:
    """Bring one new or changed file up to date; its manifest entry (None: nothing to keep of it)."""
    try:
        data = read_file(cfile.path)  # a file past the limit on size is not read
    except OSError as exc:  # keep what the index had of it; the next run tries again
        summary.failed += 1
        summary.problems.append(FileProblem(cfile.relpath, f"cannot read: {exc.strerror or exc}"))
        return old
    sha1 = hashlib.sha1(data).hexdigest()
    if old and old.sha1 == sha1:  # touched, not changed: nothing to parse
        entry = _unchanged(cfile.relpath, replace(old, size=cfile.size, mtime_ns=cfile.mtime_ns), summary)
    else:
        if old:
            writer.remove_file(cfile.relpath)
        entry = _add_articles(writer, cfile, sha1, data, summary, within)
        if entry.error is not None:
            summary.failed += 1
        elif old:
            summary.changed += 1
        else:
            summary.added += 1
    writer.put_entry(cfile.relpath, entry)
    return entry


def _unchanged(relpath: str, entry: ManifestEntry, summary: IndexSummary) -> ManifestEntry:
    """An unchanged file's problems, known from the run that read it, stay in the summary
    (``new`` false): the list is what is wrong with the corpus now; the terminal counts them."""
    summary.problems.extend(replace(p, new=False) for p in entry.file_problems(relpath))
    if entry.error is not None:
        summary.failed += 1
    return entry


def _add_articles(
    writer: Writer,
    cfile: CorpusFile,
    sha1: str,
    data: bytes,
    summary: IndexSummary,
    within: Callable[[int, int], None] | None = None,
) -> ManifestEntry:
    """Parse one file's bytes and add its articles; its manifest entry: counts and problems (and
    the error that kept it out)."""
    read = read_bytes(data, cfile.relpath)
    entry = ManifestEntry(
        size=cfile.size,
        mtime_ns=cfile.mtime_ns,
        sha1=sha1,
        problems=tuple((p.line, p.reason, p.level) for p in read.problems),
        error=(read.error.line, read.error.reason) if read.error else None,
    )
    summary.problems.extend(entry.file_problems(cfile.relpath))
    if read.error:
        return entry
    for n, article in enumerate(read.articles, start=1):
        writer.add_article(article)
        if within and n % PROGRESS_EVERY == 0:
            within(n, len(read.articles))
    return replace(
        entry,
        articles=len(read.articles),
        sections=sum(len(a.sections) for a in read.articles),
        captions=sum(len(a.captions) for a in read.articles),
    )


def _meta(corpus_dir: Path, scan: Scan) -> dict[str, Any]:
    """The index's metadata. The time of the last update is not in it: that is when the commit
    completed, minutes after this is written for a large first run. ``scan_problems``: what the
    scan found wrong, so that the next run says only what is new."""
    return {
        "corpus": str(corpus_dir.resolve()),
        "scan_problems": [[p.path, p.reason] for p in scan.problems],
    }
