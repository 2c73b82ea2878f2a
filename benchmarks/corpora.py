"""Shared helpers for the benchmarks: where the research collections are, how to read them, and how
to write one into a temporary corpus of ``.txt`` files that ``newssearch index`` reads.

The collections live beside the repository (``../shared/data``), never in it: their licences
allow research use only, not redistribution. Corpora and indexes go to temporary folders.

A document becomes ``<name>.txt``: its title on the first line, a blank line, then its body
(one paragraph per line). A plain ``.txt`` without the news-site export layout is one article
whose first non-blank line is its title, so every file is exactly one article, and a search
result's ``path`` ends with that file name: ``Corpus.doc_id(path)`` gives the collection's id back.
"""

from __future__ import annotations

import gzip
import json
import re
import subprocess
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO.parent / "shared" / "data"
if str(REPO / "src") not in sys.path:  # run from a checkout without `pip install -e .`
    sys.path.insert(0, str(REPO / "src"))

_UNSAFE = re.compile(r"[^A-Za-z0-9_.-]")


@dataclass(frozen=True)
class Doc:
    id: str
    title: str
    body: str

    @property
    def text(self) -> str:
        """What a file of this document holds, and what a one-field baseline indexes."""
        return f"{self.title}\n\n{self.body}\n"


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


def bbc_docs() -> list[Doc]:
    """The 2,225 BBC articles; paragraphs are separated by blank lines, the title is not repeated."""
    return [Doc(str(r["id"]), str(r["title"]), str(r["body"])) for r in read_jsonl(data_path("bbc", "bbc.jsonl.gz"))]


def reuters_docs() -> list[Doc]:
    """The 21,578 Reuters stories, each body reflowed to one paragraph a line (the wire text is
    wrapped at ~70 columns; an indented line starts a paragraph)."""
    return [
        Doc(str(r["id"]), str(r["title"]), _reflow(str(r.get("body") or "")))
        for r in read_jsonl(data_path("reuters21578", "reuters21578.jsonl.gz"))
    ]


def _reflow(body: str) -> str:
    paragraphs: list[list[str]] = []
    for line in body.split("\n"):
        if not line.strip():
            if paragraphs and paragraphs[-1]:
                paragraphs.append([])
            continue
        if not paragraphs or (line[:1].isspace() and paragraphs[-1]):
            paragraphs.append([])
        paragraphs[-1].append(line.strip())
    return "\n".join(" ".join(p) for p in paragraphs if p)


@dataclass
class Corpus:
    """A folder of one ``.txt`` file per document, and the way back from a file to its doc id."""

    folder: Path
    ids: dict[str, str]  # file name → collection doc id

    def doc_id(self, path: str) -> str:
        """The collection id of a search result's ``path`` (which ends with the file name)."""
        return self.ids[Path(path).name]

    def files(self) -> list[Path]:
        return [self.folder / name for name in sorted(self.ids)]


def write_corpus(docs: Iterable[Doc], folder: Path) -> Corpus:
    """Write each document to ``folder/<doc id>.txt`` (characters unsafe in a file name become ``_``)."""
    folder.mkdir(parents=True, exist_ok=True)
    ids: dict[str, str] = {}
    for doc in docs:
        name = _UNSAFE.sub("_", doc.id) + ".txt"
        if name in ids:
            raise ValueError(f"two documents map to the file name {name}: {ids[name]!r} and {doc.id!r}")
        ids[name] = doc.id
        (folder / name).write_text(doc.text, encoding="utf-8")
    return Corpus(folder, ids)
