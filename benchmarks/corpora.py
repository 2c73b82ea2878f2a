"""Shared helpers for the benchmarks: where the research collections are, how to read them, how
to write the Reuters records as a corpus of any size, and which newssearch is being measured.

The collections live beside the repository (``../shared/data``), never in it: their licences
allow research use only, not redistribution. Corpora and indexes go to temporary folders.
"""

from __future__ import annotations

import gzip
import itertools
import json
import subprocess
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO.parent / "shared" / "data"
if str(REPO / "src") not in sys.path:  # run from a checkout without `pip install -e .`
    sys.path.insert(0, str(REPO / "src"))


def source_state() -> str:
    """Which newssearch was measured: the commit, and whether src/ differs from it."""
    try:
        head = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True, text=True, check=True
        )
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--", "src"], cwd=REPO, capture_output=True, text=True, check=True
        )
    except (OSError, subprocess.CalledProcessError):
        return "unknown (not a git checkout)"
    return head.stdout.strip() + (" + uncommitted changes in src/" if dirty.stdout.strip() else "")


def data_path(*parts: str) -> Path:
    """A file or folder of ``../shared/data``; exits with a clear message when it is absent."""
    path = SHARED_DATA.joinpath(*parts)
    if not path.exists():
        raise SystemExit(
            f"benchmark data not found: {path}\n"
            f"The research collections are expected in {SHARED_DATA} (beside the repository, never in it); "
            f"see the PROVENANCE.md of each collection."
        )
    return path


def read_jsonl(path: Path) -> Iterator[dict[str, object]]:
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8") as lines:
        for line in lines:
            if line.strip():
                yield json.loads(line)


def reuters_records() -> list[dict[str, Any]]:
    """The Reuters-21578 records as stored (wire text and metadata unchanged), in file order, without
    the one with neither title nor body (id 12793, which newssearch skips as an empty article): 21,577
    records, each exactly one article."""
    return [
        r
        for r in read_jsonl(data_path("reuters21578", "reuters21578.jsonl.gz"))
        if str(r.get("title") or "").strip() or str(r.get("body") or "").strip()
    ]


def replicate(records: list[dict[str, Any]], count: int, suffix: str = "c") -> Iterator[dict[str, Any]]:
    """``count`` records: ``records`` over and over, everything unchanged but the id, which gets the
    copy's number: ``"17"`` becomes ``"17-c0"``, ``"17-c1"``, … (``suffix`` names the series)."""
    for i in range(count):
        copy, j = divmod(i, len(records))
        yield {**records[j], "id": f"{records[j]['id']}-{suffix}{copy}"}


def write_jsonl(records: Iterable[dict[str, Any]], path: Path) -> int:
    """Write one record a line (UTF-8, not ASCII-escaped); the number written."""
    n = 0
    with path.open("w", encoding="utf-8") as out:
        for record in records:
            out.write(json.dumps(record, ensure_ascii=False) + "\n")
            n += 1
    return n


def write_replicated_jsonl(records: list[dict[str, Any]], count: int, folder: Path, files: int) -> list[Path]:
    """``replicate(records, count)`` as ``files`` files ``part-00.jsonl``, … of (nearly) equal size
    in ``folder``, in order."""
    folder.mkdir(parents=True, exist_ok=True)
    stream = replicate(records, count)
    paths = []
    for k in range(files):
        share = count // files + (k < count % files)
        path = folder / f"part-{k:02d}.jsonl"
        write_jsonl(itertools.islice(stream, share), path)
        paths.append(path)
    return paths
