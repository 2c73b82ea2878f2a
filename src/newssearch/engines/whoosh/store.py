"""The Whoosh index folder: opening it (existence, schema version, metadata), its durable
storage, its manifest, and the update lock.

Every failure here is a sentence that says which command fixes it.
"""

from __future__ import annotations

import fcntl
import json
import os
import pickle
import struct
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from whoosh import index as windex
from whoosh.filedb.filestore import FileStorage
from whoosh.searching import Searcher

from newssearch.engines.whoosh.ranking import KindBM25F
from newssearch.engines.whoosh.schema import KIND_ARTICLE, KIND_FILE, META_KEY, SCHEMA_VERSION
from newssearch.errors import (
    IndexBusyError,
    IndexMissingError,
    IndexOutdatedError,
    IndexUpdateError,
    UsageError,
    display,
)

if TYPE_CHECKING:
    from newssearch.manifest import ManifestEntry

INDEX_NAME = "MAIN"
T = TypeVar("T")
LOCK_NAME = "newssearch_UPDATE"


# Reading the table of contents can race with a commit, which writes the next one and deletes it.
OPEN_ATTEMPTS = 5


class DurableStorage(FileStorage):  # type: ignore[misc]
    """Whoosh's file storage, except that every file it writes is on disk (fsync) before the
    table of contents that names it is renamed into place, and the rename itself is too. Whoosh
    alone syncs nothing: a power cut after a commit could leave a table of contents naming a
    segment the disk never got. Costs a few milliseconds a commit (benchmarks/README.md)."""

    def create_file(self, name: str, excl: bool = False, mode: str = "wb", **kwargs: Any) -> Any:
        f = super().create_file(name, excl, mode, **kwargs)
        then = f.onclose

        def synced(sf: Any) -> None:
            if then:
                then(sf)
            sf.file.flush()
            os.fsync(sf.file.fileno())

        f.onclose = synced
        return f

    def rename_file(self, oldname: str, newname: str, safe: bool = False) -> None:
        super().rename_file(oldname, newname, safe)
        folder = os.open(self.folder, os.O_RDONLY)
        try:
            os.fsync(folder)
        finally:
            os.close(folder)


def exists(index_dir: Path) -> bool:
    """Whether the folder holds an index (a table of contents), without opening it."""
    try:
        return any(n.startswith(f"_{INDEX_NAME}_") and n.endswith(".toc") for n in os.listdir(index_dir))
    except OSError:
        return False


def open_index(index_dir: Path) -> windex.Index:
    """The index in ``index_dir``."""
    return _retrying(lambda: _open(index_dir))


def _open(index_dir: Path) -> windex.Index:
    return DurableStorage(str(index_dir)).open_index(INDEX_NAME)


def _retrying(open_: Callable[[], T]) -> T:
    """``open_()``, tried again when a commit replaced the table of contents between finding
    and reading it."""
    for _ in range(OPEN_ATTEMPTS - 1):
        try:
            return open_()
        except FileNotFoundError:
            pass
    return open_()


@contextmanager
def open_searcher(index_dir: Path) -> Iterator[tuple[Searcher, dict[str, Any]]]:
    """A searcher on the index and its metadata, if it exists and has this schema version.
    One searcher per command: opening one reads the segment files."""
    if index_dir.exists() and not index_dir.is_dir():
        raise IndexMissingError(
            f"--index {display(index_dir)} is a file, not an index folder — point --index at the folder "
            f"`newssearch index` built (./index unless you chose another)"
        )
    if not exists(index_dir):
        try:
            foreign = _foreign(os.listdir(index_dir))
        except OSError:
            foreign = None
        if foreign:  # `newssearch index` would refuse this folder: say what it is
            raise IndexMissingError(
                f"the folder {display(index_dir)} holds other files ({foreign}) and no newssearch index — "
                f"point --index at the folder `newssearch index` built (./index unless you chose another)"
            )
        raise IndexMissingError(f"no index at {display(index_dir)} — run `newssearch index` to build it")
    try:
        searcher = _searcher(index_dir)
        meta = read_meta(searcher)
    except Exception as exc:
        raise IndexOutdatedError(
            f"the index at {display(index_dir)} cannot be read ({exc.__class__.__name__}) — "
            f"run `newssearch index --rebuild`"
        ) from exc
    with searcher:
        if not meta and update_running(index_dir):  # created by a first run that is still going
            raise IndexMissingError(
                f"the index at {display(index_dir)} is being built: its first `newssearch index` run has not "
                f"finished yet — wait for it to end, then search again"
            )
        if not meta:  # created, and the first run stopped before its commit
            raise IndexMissingError(
                f"the index at {display(index_dir)} is empty: its first `newssearch index` run did not finish — "
                f"run `newssearch index` to build it"
            )
        if meta.get("schema") != SCHEMA_VERSION:
            raise IndexOutdatedError(
                f"the index at {display(index_dir)} was built by another version of newssearch "
                f"(schema {meta.get('schema')}, this one reads {SCHEMA_VERSION}) — run `newssearch index` to rebuild it"
            )
        try:
            yield searcher, meta
        except DAMAGE as exc:
            raise damaged_error(index_dir, exc) from exc


# What reading a damaged segment raises inside Whoosh: a stored field that does not decompress
# (zlib), a record cut short or misread (struct, EOF, a pickle), an offset past the end of a
# list (IndexError). None of them comes from a whole index.
DAMAGE = (zlib.error, struct.error, EOFError, pickle.UnpicklingError, IndexError)


def damaged_error(index_dir: Path, exc: BaseException) -> IndexOutdatedError:
    """The sentence for an index that cannot be read back (README, "Exit codes": 2)."""
    return IndexOutdatedError(
        f"the index at {display(index_dir)} cannot be read: it is damaged ({exc.__class__.__name__}) — "
        f"run `newssearch index --rebuild`"
    )


def _searcher(index_dir: Path) -> Searcher:
    # Opening the searcher reads the segments, which a commit may delete too: retried with it.
    return _retrying(lambda: _open(index_dir).searcher(weighting=KindBM25F()))


def read_meta(searcher: Searcher) -> dict[str, Any]:
    stored = searcher.document(key=META_KEY)
    if not stored:
        return {}
    meta: dict[str, Any] = json.loads(stored["data"])
    return meta


def find_article(searcher: Searcher, article_id: str) -> dict[str, Any] | None:
    """The stored fields of the article with this id, or None: its key's first live document,
    one term lookup (Whoosh's ``document`` with two terms runs a search: 14 ms at 100,000
    articles), or, should another kind of document share the key, the article's among them."""
    docnum = searcher.document_number(key=article_id)
    stored: dict[str, Any] | None = searcher.stored_fields(docnum) if docnum is not None else None
    if stored is not None and stored.get("kind") == KIND_ARTICLE:
        return stored
    return searcher.document(key=article_id, kind=KIND_ARTICLE) if stored is not None else None


def read_manifest(searcher: Searcher) -> dict[str, ManifestEntry]:
    """The manifest entry of every corpus file (size, mtime, hash, counts or error), by path."""
    from newssearch.manifest import ManifestEntry  # index and its checks only: not every query

    return {doc["path"]: ManifestEntry.from_json(json.loads(doc["data"])) for doc in searcher.documents(kind=KIND_FILE)}


def _refuse_foreign_folder(index_dir: Path) -> None:
    """An ``index`` run writes only into a folder that is new, empty or a newssearch index:
    ``--index /`` or ``--index ~/Documents`` would scatter index files among the user's own."""
    if index_dir.exists() and not index_dir.is_dir():
        raise IndexUpdateError(
            f"the index path {display(index_dir)} is a file, not a folder — choose a folder with --index "
            f"(it is created if it does not exist)"
        )
    if exists(index_dir):
        return
    try:
        names = os.listdir(index_dir)
    except FileNotFoundError:
        return
    except OSError as exc:
        raise IndexUpdateError(
            f"cannot read the index folder {display(index_dir)}: {exc.strerror or exc} — check its permissions"
        ) from exc
    foreign = _foreign(names)
    if foreign:
        raise UsageError(
            f"the folder {display(index_dir)} holds other files ({foreign}) and no newssearch index — "
            f"give --index a new or empty folder (e.g. ./index) for the index files"
        )


def _foreign(names: list[str]) -> str | None:
    """The first few names in a folder that are not newssearch's, or None when there are none."""
    foreign = sorted(n for n in names if not n.startswith((".", f"_{INDEX_NAME}_", f"{INDEX_NAME}_", LOCK_NAME)))
    return ", ".join(foreign[:3]) + (", …" if len(foreign) > 3 else "") if foreign else None


@contextmanager
def update_lock(index_dir: Path) -> Iterator[None]:
    """Held for a whole ``index`` run, so two runs never write at once; the second one is told.
    Taken only on a folder that is new, empty or an index already."""
    _refuse_foreign_folder(index_dir)
    lock = FileStorage(str(index_dir)).lock(LOCK_NAME)
    try:
        index_dir.mkdir(parents=True, exist_ok=True)
        acquired = lock.acquire(blocking=False)
    except OSError as exc:
        raise IndexUpdateError(
            f"cannot write to the index folder {display(index_dir)}: {exc.strerror or exc} — "
            f"check its permissions, or choose another with --index"
        ) from exc
    if not acquired:
        raise IndexBusyError(
            f"the index at {display(index_dir)} is being updated by another `newssearch index` run — "
            f"wait for it to finish, then run this again"
        )
    try:
        yield
    finally:
        lock.release()


def update_running(index_dir: Path) -> bool:
    """Whether an ``index`` run holds the update lock now. Asked with a shared lock, given back
    at once: it fails only while a run holds the exclusive one."""
    try:
        fd = os.open(index_dir / LOCK_NAME, os.O_RDONLY)
    except OSError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except OSError:
        return True
    finally:
        os.close(fd)  # closing gives back a lock taken through it
    return False


def committed_at(index_dir: Path, generation: int | None) -> str | None:
    """When the commit of ``generation`` completed (UTC, to the second): the time its table of
    contents was written, the last thing a commit writes, after any merge."""
    try:
        mtime = os.stat(index_dir / f"_{INDEX_NAME}_{generation}.toc").st_mtime
    except (OSError, TypeError):
        return None
    return datetime.fromtimestamp(int(mtime), UTC).isoformat(timespec="seconds")
