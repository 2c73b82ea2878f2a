"""``newssearch index --check``: does the index hold what the corpus says it should? Reads, never writes.

Three comparisons, each naming what differs:

- the corpus folder against the manifest: files added, changed (content, not only the time) or
  removed since the last run — ``newssearch index`` brings those in;
- the manifest against the index: every file's articles are in the index, as many as the
  manifest counts, and no article belongs to a file the manifest does not know — a difference
  here means the index itself is damaged, which ``newssearch index --rebuild`` repairs;
- every stored article can be read back, and every file of the index has the bytes it had when
  it was written (the embedded engine keeps a CRC-32 of each, recorded at each commit), which
  finds damage anywhere — postings, stored articles, the word lists — that reading alone would
  return as wrong results.

The engine reads its index back (``Engine.contents``); a missing index, or one of another
schema version, is refused with its own message, as for every other command; one that cannot be
opened because its files are damaged is reported as damaged.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from newssearch.corpus import file_sha1, plan_update, scan_corpus
from newssearch.engines import engine_at
from newssearch.manifest import IndexCheck, Mismatch

if TYPE_CHECKING:  # annotations only: not loaded at run time
    from newssearch.engine import Engine


def check_index(corpus_dir: Path, index: str | Path | Engine, *, follow: bool = False) -> IndexCheck:
    scan = scan_corpus(corpus_dir, follow=follow)
    contents = engine_at(index).contents()
    result = IndexCheck(
        unreadable=contents.unreadable,
        damaged_files=contents.damaged_files,
        read_error=contents.read_error,
        verified_bytes=contents.verified_bytes,
    )
    if not contents.opened:
        return result  # only its damage is known
    manifest, found = contents.manifest, contents.articles_by_path
    result.articles = sum(found.values())
    result.files = len(manifest)
    plan = plan_update(scan, manifest)
    result.removed = plan.removed
    for cfile in plan.to_read:
        entry = manifest.get(cfile.relpath)
        if entry is None:
            result.added.append(cfile.relpath)
        elif file_sha1(cfile.path) != entry.sha1:
            result.changed.append(cfile.relpath)
    if result.read_error is None:  # counts read up to a failure would all look wrong
        for path in sorted(set(manifest) | set(found)):
            expected = manifest[path].articles if path in manifest else 0
            if found.get(path, 0) != expected:
                result.mismatched.append(Mismatch(path, expected, found.get(path, 0)))
    return result
