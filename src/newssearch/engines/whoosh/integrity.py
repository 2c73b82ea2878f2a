"""The index's files on disk: which are live, what failed runs left behind, and whether any
file was damaged since it was written.

Whoosh names the live files in the latest table of contents (``_MAIN_<n>.toc``): that TOC and
the segment files of the segments it lists. Anything else matching Whoosh's names is a
leftover: segments of a run that was killed, interrupted or failed (a full disk), or TOCs of
older generations. Every writing run removes them first, under the update lock.

Whoosh keeps no checksums, and a flipped byte in a segment is read back as wrong postings, a
wrong stored article or a decompression error. After every commit, ``record_checksums`` keeps
the size, modification time and CRC-32 of each live file in ``CHECKSUMS_NAME``; ``damaged``
compares the files with it.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import zlib
from pathlib import Path

from whoosh.filedb.filestore import FileStorage
from whoosh.index import TOC

from newssearch.engines.whoosh.store import INDEX_NAME
from newssearch.manifest import Damage

CHECKSUMS_NAME = "newssearch_CHECKSUMS.json"
_CHUNK = 1 << 20
_TOC = TOC._pattern(INDEX_NAME)
# Whoosh's segment files: the index name, a 16-character random id, an extension (its own
# pattern takes any MAIN_ name, e.g. a user's MAIN_notes.txt).
_SEGMENT_FILE = re.compile(rf"^({INDEX_NAME}_[0-9a-z]{{16}})\.[A-Za-z0-9_.]+$")
_TEMP_TOC = re.compile(rf"^_{INDEX_NAME}_[0-9]+\.toc\..+$")  # a TOC being written: renamed at commit
_TEMP_FOLDER = f"{INDEX_NAME}.tmp"  # the parallel writer's scratch folder


def live_files(index_dir: Path) -> list[str]:
    """The latest TOC and the files of the segments it lists ([] when there is no TOC)."""
    storage = FileStorage(str(index_dir))
    generation = TOC._latest_generation(storage, INDEX_NAME)
    if generation < 0:
        return []
    toc = TOC.read(storage, INDEX_NAME, generation)
    segments = {seg.segment_id() for seg in toc.segments}
    names = [TOC._filename(INDEX_NAME, generation)]
    for name in sorted(os.listdir(index_dir)):
        m = _SEGMENT_FILE.match(name)
        if m and m.group(1) in segments:
            names.append(name)
    return names


def leftovers(index_dir: Path) -> list[str]:
    """Files of the index's naming that the latest TOC does not list: what failed runs left."""
    live = set(live_files(index_dir))
    found = []
    for name in sorted(os.listdir(index_dir)):
        ours = _TOC.match(name) or _SEGMENT_FILE.match(name) or _TEMP_TOC.match(name) or name == _TEMP_FOLDER
        if ours and name not in live and not name.endswith("_WRITELOCK"):
            found.append(name)
    return found


def remove_leftovers(index_dir: Path) -> int:
    """Remove what failed runs left behind; the bytes reclaimed. Call it holding the update lock
    (a running writer's new segments are leftovers until it commits)."""
    reclaimed = 0
    for name in leftovers(index_dir):
        path = index_dir / name
        reclaimed += _size(path)
        if path.is_dir():
            shutil.rmtree(path, ignore_errors=True)
        else:
            with contextlib.suppress(FileNotFoundError):
                path.unlink()
    return reclaimed


def _size(path: Path) -> int:
    try:
        if path.is_dir():
            return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())
        return path.stat().st_size
    except OSError:
        return 0


def live_size(index_dir: Path) -> int:
    """Bytes of the live index: what ``stats`` reports (leftovers are not the index)."""
    total = 0
    for name in [*live_files(index_dir), CHECKSUMS_NAME]:
        with contextlib.suppress(FileNotFoundError):
            total += (index_dir / name).stat().st_size
    return total


def record_checksums(index_dir: Path) -> None:
    """After a commit: the size, modification time and CRC-32 of each live file, computed for
    files not recorded before (a segment never changes once written), written atomically."""
    old = _read_checksums(index_dir)
    new: dict[str, list[int]] = {}
    for name in live_files(index_dir):
        st = (index_dir / name).stat()
        kept = old.get(name)
        if kept and kept[:2] == [st.st_size, st.st_mtime_ns]:
            new[name] = kept
        else:
            new[name] = [st.st_size, st.st_mtime_ns, _crc32(index_dir / name)]
    temp = index_dir / f".{CHECKSUMS_NAME}.tmp"
    with open(temp, "w", encoding="utf-8") as f:
        json.dump(new, f)
        f.flush()
        os.fsync(f.fileno())
    os.replace(temp, index_dir / CHECKSUMS_NAME)


def damaged(index_dir: Path, *, full: bool) -> list[Damage]:
    """Live files that differ from what was recorded when they were written. With ``full``,
    every file's bytes are read and checked (``index --check``); otherwise only files whose
    size or modification time changed are (every ``index`` run, before it writes)."""
    recorded = _read_checksums(index_dir)
    if not recorded:  # an index from before checksums were kept: nothing to compare with
        return []
    found = []
    for name in live_files(index_dir):
        kept = recorded.get(name)
        if kept is None:
            continue  # committed, then the run ended before recording: not known to be bad
        try:
            st = (index_dir / name).stat()
        except FileNotFoundError:
            found.append(Damage(name, "missing"))
            continue
        if st.st_size != kept[0]:
            found.append(Damage(name, f"{st.st_size:,} bytes, {kept[0]:,} when written"))
        elif (full or st.st_mtime_ns != kept[1]) and _crc32(index_dir / name) != kept[2]:
            found.append(Damage(name, "its bytes changed since it was written"))
    return found


def _read_checksums(index_dir: Path) -> dict[str, list[int]]:
    try:
        with open(index_dir / CHECKSUMS_NAME, encoding="utf-8") as f:
            data = json.load(f)
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _crc32(path: Path) -> int:
    crc = 0
    with open(path, "rb") as f:
        while chunk := f.read(_CHUNK):
            crc = zlib.crc32(chunk, crc)
    return crc
