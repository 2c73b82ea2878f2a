"""``newssearch index --problems``: every problem the index knows of in the corpus. Reads, never writes.

An ``index`` run lists a file's problems when it reads the file and records them in the file's
manifest entry; later runs only count them. This lists them all again without parsing anything:
those recorded for the files still in the corpus, and what a scan of the folder finds (names
that are not UTF-8, broken links, unreadable folders). Files new or changed since the last run
are named, not read: their problems are known once ``newssearch index`` has read them.
"""

from __future__ import annotations

from pathlib import Path

from newssearch.indexer import problems_from, same_stat, scan_corpus
from newssearch.models import KnownProblems
from newssearch.store import open_searcher, read_manifest


def known_problems(corpus_dir: Path, index_dir: Path, *, follow: bool = False) -> KnownProblems:
    scan = scan_corpus(corpus_dir, follow=follow)
    with open_searcher(index_dir) as (searcher, _):
        manifest = read_manifest(searcher)
    found = KnownProblems(problems=list(scan.problems))
    for cfile in scan.files:
        entry = manifest.get(cfile.relpath)
        if entry is None or not same_stat(cfile, entry):
            found.not_read.append(cfile.relpath)
        if entry is not None:
            found.problems.extend(problems_from(cfile.relpath, entry))
    return found
