"""Plain data of the index's bookkeeping: the corpus files, their manifest entries, the plan of
an update, and what ``index``, ``index --check``, ``index --problems`` and ``stats`` report.
Apart from ``models`` because a query uses none of it and does not load it (start-up time is
part of every query).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from newssearch.models import FileProblem


@dataclass(frozen=True)
class CorpusFile:
    path: Path
    relpath: str  # relative to the corpus, with "/"
    size: int
    mtime_ns: int


@dataclass(frozen=True)
class ManifestEntry:
    """What the index knows of a corpus file it read: its size, modification time and SHA-1,
    what it held, and what was wrong with it (``error``: why it is left out)."""

    size: int
    mtime_ns: int
    sha1: str | None
    articles: int = 0
    sections: int = 0
    captions: int = 0
    problems: tuple[tuple[int | None, str, str], ...] = ()  # (line, reason, level)
    error: tuple[int | None, str] | None = None  # (line, reason)

    def same_stat(self, cfile: CorpusFile) -> bool:
        """Whether the file has the size and modification time recorded: then it is taken as
        unchanged without reading it."""
        return (self.size, self.mtime_ns) == (cfile.size, cfile.mtime_ns)

    def file_problems(self, relpath: str) -> list[FileProblem]:
        """The problems recorded, then the error that kept the file out, if any."""
        found = [FileProblem(relpath, reason, line, level) for line, reason, level in self.problems]
        if self.error is not None:
            found.append(FileProblem(relpath, self.error[1], self.error[0]))
        return found

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"size": self.size, "mtime_ns": self.mtime_ns, "sha1": self.sha1}
        if self.problems:
            data["problems"] = [list(p) for p in self.problems]
        if self.error is not None:
            data["error"] = list(self.error)
        else:
            data.update(articles=self.articles, sections=self.sections, captions=self.captions)
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ManifestEntry:
        error = data.get("error")
        return cls(
            size=data.get("size", -1),
            mtime_ns=data.get("mtime_ns", -1),
            sha1=data.get("sha1"),
            articles=data.get("articles", 0),
            sections=data.get("sections", 0),
            captions=data.get("captions", 0),
            problems=tuple((line, reason, level) for line, reason, level in data.get("problems", [])),
            error=(error[0], error[1]) if error else None,
        )


def manifest_totals(entries: list[ManifestEntry]) -> tuple[int, int, int, int]:
    """(articles, sections, captions, files with articles) over manifest entries."""
    return (
        sum(e.articles for e in entries),
        sum(e.sections for e in entries),
        sum(e.captions for e in entries),
        sum(1 for e in entries if e.articles),
    )


@dataclass(frozen=True)
class UpdatePlan:
    """What an update of the index does, file by file, decided from the corpus scan and the
    manifest alone. Every file the scan found is in exactly one of ``to_read`` and
    ``unchanged``."""

    removed: list[str]  # indexed, gone from the corpus: their articles go
    kept: dict[str, ManifestEntry]  # indexed, out of sight (an unreadable folder): kept as they are
    to_read: list[CorpusFile]  # new, or their size or time changed: read (and parsed if changed)
    unchanged: list[tuple[CorpusFile, ManifestEntry]]  # same size and time: not read

    @property
    def bytes_to_read(self) -> int:
        return sum(f.size for f in self.to_read)


@dataclass
class Mismatch:
    path: str
    expected: int  # articles the manifest counts for the file
    found: int  # articles the index holds for it


@dataclass(frozen=True)
class Damage:
    name: str  # the index file
    reason: str  # "missing", "its bytes changed since it was written"


@dataclass
class IndexContents:
    """What an engine finds when it reads its whole index back (for ``index --check``):
    articles per corpus file, stored articles that cannot be read, and files of the index
    that changed since they were written."""

    opened: bool = True  # false: the index could not even be opened (only its files were checked)
    manifest: dict[str, ManifestEntry] = field(default_factory=dict)
    articles_by_path: dict[str, int] = field(default_factory=dict)
    unreadable: int = 0
    damaged_files: list[Damage] = field(default_factory=list)
    read_error: str | None = None  # reading the index failed on damage
    verified_bytes: int | None = 0  # of the index's files, checked byte for byte (None: the engine's own job)


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
    verified_bytes: int | None = 0  # of the index's files, checked byte for byte (None: the engine's own job)

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


@dataclass
class IndexSummary:
    articles: int = 0
    sections: int = 0
    captions: int = 0
    files: int = 0
    added: int = 0
    changed: int = 0
    removed: int = 0
    unchanged: int = 0
    skipped: int = 0
    failed: int = 0
    seconds: float = 0.0
    rebuilt: bool = False
    reclaimed_bytes: int = 0  # left in the index folder by failed runs, removed before this one
    problems: list[FileProblem] = field(default_factory=list)
    skipped_files: list[str] = field(default_factory=list)  # not of a supported format


@dataclass
class KnownProblems:
    """``index --problems``: what the index knows is wrong with the corpus, without reading it
    again. ``not_read``: files new or changed since the last run, whose problems are not known."""

    problems: list[FileProblem] = field(default_factory=list)
    not_read: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class IndexStats:
    articles: int
    sections: int
    captions: int
    files: int
    terms: int | None  # distinct words; None where the engine cannot count them (OpenSearch)
    bytes: int
    updated: str | None
