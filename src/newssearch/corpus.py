"""The corpus folder: which files it holds, and what an update of the index does with each.

Engine-free: ``scan_corpus`` walks the folder, ``plan_update`` compares what it found with the
index's manifest (README, "newssearch index"), for ``index``, ``index --check`` and
``index --problems`` alike.
"""

from __future__ import annotations

import hashlib
import os
import stat
from dataclasses import dataclass, field
from pathlib import Path

from newssearch.errors import CorpusMissingError, display
from newssearch.formats import is_supported
from newssearch.manifest import CorpusFile, ManifestEntry, UpdatePlan
from newssearch.models import FileProblem


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


def plan_update(scan: Scan, manifest: dict[str, ManifestEntry]) -> UpdatePlan:
    """What an update does with each file: indexed files the scan did not find are removed,
    unless they may only be out of sight (``Scan.keeps``); files whose size and modification
    time are as recorded are unchanged; the rest are read."""
    present = {f.relpath for f in scan.files}
    removed, kept = [], {}
    for relpath in sorted(set(manifest) - present):
        if scan.keeps(relpath):
            kept[relpath] = manifest[relpath]
        else:
            removed.append(relpath)
    to_read, unchanged = [], []
    for cfile in scan.files:
        entry = manifest.get(cfile.relpath)
        if entry is not None and entry.same_stat(cfile):
            unchanged.append((cfile, entry))
        else:
            to_read.append(cfile)
    return UpdatePlan(removed=removed, kept=kept, to_read=to_read, unchanged=unchanged)


def file_sha1(path: Path) -> str | None:
    """The file's SHA-1, read a megabyte at a time (a file can be far larger than the index
    ever reads of it: README, "Limits"); None when it cannot be read."""
    digest = hashlib.sha1()
    try:
        with open(path, "rb") as f:
            while chunk := f.read(1 << 20):
                digest.update(chunk)
    except OSError:
        return None
    return digest.hexdigest()
