"""``newssearch index --check``: does the index hold what the corpus says it should? Reads, never writes.

Three comparisons, each naming what differs:

- the corpus folder against the manifest: files added, changed (content, not only the time) or
  removed since the last run — ``newssearch index`` brings those in;
- the manifest against the index: every file's articles are in the index, as many as the
  manifest counts, and no article belongs to a file the manifest does not know — a difference
  here means the index itself is damaged, which ``newssearch index --rebuild`` repairs;
- every stored article can be read back;
- every file of the index has the bytes it had when it was written (its CRC-32, recorded at
  each commit: ``integrity``), which finds damage anywhere — postings, stored articles, the
  word lists — that reading alone would return as wrong results.

A missing index, or one of another schema version, is refused by ``store.open_searcher`` with
its own message, as for every other command; one that cannot be opened because its files are
damaged is reported as damaged.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from newssearch import integrity
from newssearch.errors import IndexOutdatedError
from newssearch.indexer import same_stat, scan_corpus
from newssearch.integrity import Damage
from newssearch.schema import KIND_ARTICLE
from newssearch.store import DAMAGE, open_searcher, read_manifest


@dataclass
class Mismatch:
    path: str
    expected: int  # articles the manifest counts for the file
    found: int  # articles the index holds for it


@dataclass
class IndexCheck:
    articles: int = 0  # in the index
    files: int = 0  # in the manifest
    added: list[str] = field(default_factory=list)  # in the corpus, not yet indexed
    changed: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)  # indexed, gone from the corpus
    mismatched: list[Mismatch] = field(default_factory=list)
    unreadable: int = 0  # stored articles that cannot be read back
    damaged_files: list[Damage] = field(default_factory=list)  # index files changed since written
    read_error: str | None = None  # reading the index failed on damage
    verified_bytes: int = 0  # of the index's files, checked byte for byte

    @property
    def out_of_date(self) -> bool:
        return bool(self.added or self.changed or self.removed)

    @property
    def damaged(self) -> bool:
        return bool(self.mismatched or self.unreadable or self.damaged_files or self.read_error)

    @property
    def advice(self) -> str | None:
        if self.damaged:
            return "run `newssearch index --rebuild` to repair the index"
        if self.out_of_date:
            return "run `newssearch index` to bring the index up to date"
        return None


def check_index(corpus_dir: Path, index_dir: Path, *, follow: bool = False) -> IndexCheck:
    scan = scan_corpus(corpus_dir, follow=follow)
    result = IndexCheck()
    found: Counter[str] = Counter()
    manifest: dict[str, dict[str, Any]] = {}
    try:
        with open_searcher(index_dir) as (searcher, _):
            try:
                manifest = read_manifest(searcher)
                for doc in searcher.documents(kind=KIND_ARTICLE):
                    found[doc.get("path", "")] += 1
                    try:
                        json.loads(doc["data"])["id"]
                    except (KeyError, TypeError, ValueError):
                        result.unreadable += 1
            except DAMAGE as exc:  # reported with the rest, not as a failure of the check
                result.read_error = f"{exc.__class__.__name__}: {exc}"
    except IndexOutdatedError as exc:  # not even opened: damage is reported, anything else refused
        result.damaged_files = integrity.damaged(index_dir, full=True)
        if not result.damaged_files:
            raise
        result.read_error = exc.message
        result.verified_bytes = integrity.live_size(index_dir)
        return result
    result.damaged_files = integrity.damaged(index_dir, full=True)
    result.verified_bytes = integrity.live_size(index_dir)
    result.articles = sum(found.values())
    result.files = len(manifest)
    present = {f.relpath for f in scan.files}
    result.removed = sorted(p for p in manifest if p not in present and not scan.keeps(p))
    for f in scan.files:
        entry = manifest.get(f.relpath)
        if entry is None:
            result.added.append(f.relpath)
        elif not same_stat(f, entry) and _sha1(f.path) != entry.get("sha1"):
            result.changed.append(f.relpath)
    if result.read_error is None:  # counts read up to a failure would all look wrong
        for path in sorted(set(manifest) | set(found)):
            expected = manifest.get(path, {}).get("articles", 0)
            if found[path] != expected:
                result.mismatched.append(Mismatch(path, expected, found[path]))
    return result


def _sha1(path: Path) -> str | None:
    """The file's SHA-1, read a megabyte at a time (a file can be far larger than the index
    ever reads of it: README, "Limits")."""
    digest = hashlib.sha1()
    try:
        with open(path, "rb") as f:
            while chunk := f.read(1 << 20):
                digest.update(chunk)
    except OSError:
        return None
    return digest.hexdigest()
