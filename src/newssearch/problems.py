"""``newssearch index --problems``: every problem the index knows of in the corpus. Reads, never writes.

An ``index`` run lists a file's problems when it reads the file and records them in the file's
manifest entry; later runs only count them. This lists them all again without parsing anything:
those recorded for the files still in the corpus, and what a scan of the folder finds (names
that are not UTF-8, broken links, unreadable folders). Files new or changed since the last run
are named, not read: their problems are known once ``newssearch index`` has read them.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from newssearch.corpus import plan_update, scan_corpus
from newssearch.engines import engine_at
from newssearch.manifest import KnownProblems

if TYPE_CHECKING:  # annotations only: not loaded at run time
    from newssearch.engine import Engine


def known_problems(corpus_dir: Path, index: str | Path | Engine, *, follow: bool = False) -> KnownProblems:
    scan = scan_corpus(corpus_dir, follow=follow)
    with engine_at(index).reader() as reader:
        manifest = reader.manifest()
    plan = plan_update(scan, manifest)
    found = KnownProblems(problems=list(scan.problems), not_read=[f.relpath for f in plan.to_read])
    for cfile in scan.files:
        entry = manifest.get(cfile.relpath)
        if entry is not None:
            found.problems.extend(entry.file_problems(cfile.relpath))
    return found
