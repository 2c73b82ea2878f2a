"""Small changes to Whoosh, made here and nowhere else, before any other Whoosh module loads.

The first three serve start-up time or memory, which every ``newssearch query`` pays (measured
on 100,000 Reuters articles); the rest, the time an index takes to build (``benchmarks/README.md``):

1. **Segments are read from their memory map, not copied.** Whoosh maps each segment file and
   then wraps the map in ``BufferFile``, whose ``io.BytesIO(buf)`` copies it whole: every searcher
   opened copied the postings and term index (~113 MB at 100k articles), and the first snippet
   copied the stored fields too. ``MappedFile`` reads the same bytes through the map. It also
   unpickles a postings block's header (read for every block a search visits) from a copy of
   the next kilobyte, where Python's unpickler would call ``read`` once for every few bytes of
   it: ``said`` at 1,000,000 articles visits 11,000 blocks, and that was 40 % of its time.
2. **``whoosh.compat`` imports ``urllib.request``** (and with it ssl, http.client, email) for
   ``urlretrieve``, which nothing newssearch uses calls. While Whoosh loads, a stand-in answers
   that import; it loads the real module if anything ever calls it.
3. **``whoosh.reading`` takes ``cached_property`` from the package of that name**, which imports
   asyncio. Whoosh uses it on one plain method, where ``functools.cached_property`` is the same.
4. **An index writer's sorted runs are pickled a few thousand postings at a time.** Past
   ``limitmb`` of postings (``writer.WRITER_MEMORY_MB``), Whoosh's pool sorts what it holds and
   writes it to a run file, then merges the runs into the segment at the end; it pickled and
   unpickled each posting on its own, some 8 µs a posting, and a full build of 1,000,000
   articles writes some 180 million. In lists of ``RUN_CHUNK`` they take a fifth of that, and a
   third of the disk. A run is a temporary file, written and read by the same code (a parallel
   build's processes too), so its format is this module's own.
5. **A new segment's field lengths are read whole.** As the writer writes each posting, it asks
   for the document's length in the field (the block's shortest and longest are kept beside it):
   four calls and a read of one byte from the file, for every posting. ``_SegmentLengths`` reads
   each field's column once (a byte a document) and answers from it, the same numbers.
6. **A block of one posting is not compressed.** Whoosh means to leave a block's pickle of
   under 20 bytes as it is, then compresses it all the same (the next line overwrites its
   choice); a term in one document of a segment — most of a segment's terms — has a block of one
   posting, some 63 bytes, which zlib makes larger. Such a block is now kept as it is (its header
   says so, and Whoosh reads it without ``zlib``): smaller, and a ``zlib`` call fewer each time
   it is written or read. Blocks of two postings gain 6 % from zlib, and are compressed.
7. **The text fields' words are found in one loop.** Whoosh indexes a text field by running
   its analyzer, a chain of five generators over a shared token (pattern, lower case, accents,
   stop words, stems), and counting each word's positions. For the analyzer of newssearch's own
   text fields (``schema.STEMMED``, setting for setting, as the index's schema has it:
   ``schema.is_text_analyzer``) the same words and positions come from ``schema.positions``,
   the loop that snippets already use; any other analyzer, format or call is Whoosh's.

Changes 4 to 7 are installed by ``install_writing``, called by the module that writes (queries
never load Whoosh's writer, and read blocks of either kind).

The stand-ins are in ``sys.modules`` only while Whoosh is imported, so any other import of
``urllib.request`` or ``cached_property`` gets the real module. Everything is installed only on
the Whoosh it was written against (``PINNED``); on any other, Whoosh runs as it is — correct,
only slower. ``NEWSSEARCH_WHOOSH_AS_IS=1`` turns them off too (the tests compare results with and
without them).
"""

from __future__ import annotations

import functools
import io
import itertools
import os
import pickle
import sys
import types
from typing import Any

# whoosh-reloaded 2.7.5, pinned exactly in pyproject.toml.
PINNED = (2, 7, 5)
OFF_VARIABLE = "NEWSSEARCH_WHOOSH_AS_IS"


class _MapReader:
    """The read side of a file over a memoryview, without copying it (``io.BytesIO`` copies)."""

    __slots__ = ("_buf", "_pos")

    def __init__(self, buf: memoryview) -> None:
        self._buf = buf
        self._pos = 0

    def read(self, size: int | None = -1) -> bytes:
        start = self._pos
        end = len(self._buf) if size is None or size < 0 else min(start + size, len(self._buf))
        self._pos = max(end, start)
        return bytes(self._buf[start:end])

    def readline(self, size: int | None = -1) -> bytes:
        limit = len(self._buf) if size is None or size < 0 else min(self._pos + size, len(self._buf))
        end = self._pos
        while end < limit:
            chunk = bytes(self._buf[end : min(end + 4096, limit)])
            newline = chunk.find(b"\n")
            if newline >= 0:
                end += newline + 1
                break
            end += len(chunk)
        return self.read(end - self._pos)

    def seek(self, offset: int, whence: int = os.SEEK_SET) -> int:
        base = {os.SEEK_SET: 0, os.SEEK_CUR: self._pos, os.SEEK_END: len(self._buf)}[whence]
        if base + offset < 0:
            raise ValueError(f"negative seek position {base + offset}")
        self._pos = base + offset
        return self._pos

    def tell(self) -> int:
        return self._pos

    def close(self) -> None:
        pass

    def load_pickle(self) -> Any:
        """``pickle.load(self)``, from a copy of the next bytes: one call, not one per opcode.
        A pickle longer than that copy is read as ``pickle.load`` reads it."""
        start = self._pos
        head = io.BytesIO(self._buf[start : start + _PICKLE_HEAD])
        try:
            value = pickle.load(head)
        except (EOFError, pickle.UnpicklingError, ValueError):  # cut short by the copy
            return pickle.load(self)
        self._pos = start + head.tell()
        return value


# The bytes copied to unpickle from; a block header is about 60.
_PICKLE_HEAD = 1024


@functools.cache
def _mapped_file_class() -> type:
    from whoosh.filedb.structfile import BufferFile

    class MappedFile(BufferFile):  # type: ignore[misc]
        """``BufferFile`` reading its memoryview in place."""

        def __init__(self, buf: Any, name: str | None = None, onclose: Any = None) -> None:
            self._buf = buf if isinstance(buf, memoryview) else memoryview(buf)
            self._name = name
            self.file = _MapReader(self._buf)
            self.onclose = onclose
            self.is_real = False
            self.is_closed = False

        def subset(self, position: int, length: int, name: str | None = None) -> MappedFile:
            return MappedFile(self._buf[position : position + length], name=name or self._name)

        def read_pickle(self) -> Any:
            return self.file.load_pickle()

    return MappedFile


def _urlretrieve(*args: Any, **kwargs: Any) -> Any:
    sys.modules.pop("urllib.request", None)  # in case the stand-in is still there
    import urllib.request

    return urllib.request.urlretrieve(*args, **kwargs)


def _stand_ins() -> dict[str, types.ModuleType]:
    request = types.ModuleType("urllib.request", "stand-in while Whoosh loads (newssearch.engines.whoosh.patches)")
    request.urlretrieve = _urlretrieve  # type: ignore[attr-defined]
    cached = types.ModuleType("cached_property", "stand-in while Whoosh loads (newssearch.engines.whoosh.patches)")
    cached.cached_property = functools.cached_property  # type: ignore[attr-defined]
    return {"urllib.request": request, "cached_property": cached}


def applies() -> bool:
    """Whether the changes are made: the pinned Whoosh, and not turned off."""
    if os.environ.get(OFF_VARIABLE, "") not in ("", "0"):
        return False
    import whoosh

    return tuple(whoosh.__version__) == PINNED


def install() -> bool:
    """Make the changes above (once); True when they are in place."""
    if not applies():
        return False
    if "whoosh.compat" not in sys.modules:
        _import_whoosh_without_extras()
    from whoosh.filedb import compound

    compound.BufferFile = _mapped_file_class()
    return True


RUN_CHUNK = 4096  # postings pickled together in an index writer's run file (4.)
ANALYZERS_KEPT = 32  # analyzers whose kind is remembered (7.)


def install_writing() -> bool:
    """Make changes 4 to 7 (once); True when they are in place."""
    if not applies():  # (changes 1 to 3 were made as this package loaded)
        return False
    from whoosh import formats, writing
    from whoosh.codec import base, whoosh3

    writing.PostingPool._write_run = _write_run
    writing.PostingPool._read_run = _read_run
    for owner, name, wrap in (
        (base.FieldWriter, "add_postings", _add_postings_with),
        (whoosh3.W3PostingsWriter, "_write_block", _write_block_with),
        (formats.Positions, "word_values", _word_values_with),
    ):
        if not getattr(getattr(owner, name), "_newssearch", False):
            setattr(owner, name, wrap(getattr(owner, name)))
    return True


def _write_run(self: Any, f: Any, items: Any) -> None:
    """Write ``items`` (a sorted list, or an iterator of a merge of runs) to the run file ``f``."""
    items = iter(items)
    try:
        while chunk := list(itertools.islice(items, RUN_CHUNK)):
            pickle.dump(chunk, f, pickle.HIGHEST_PROTOCOL)
    finally:
        f.close()


def _read_run(self: Any, path: str) -> Any:
    """The items of the run file at ``path``, in order; the file is removed once read (as
    Whoosh's own does: ``SortingPool._read_run``)."""
    f = self._open_run(path)
    try:
        while True:
            try:
                chunk = pickle.load(f)
            except EOFError:
                return
            yield from chunk
    finally:
        f.close()
        self._remove_run(path)


def _add_postings_with(add_postings: Any) -> Any:
    """Whoosh's ``FieldWriter.add_postings``, given the segment's lengths as ``_SegmentLengths``."""

    @functools.wraps(add_postings)
    def with_lengths(self: Any, schema: Any, lengths: Any, items: Any) -> Any:
        return add_postings(self, schema, _SegmentLengths(lengths) if lengths is not None else None, items)

    with_lengths._newssearch = True  # type: ignore[attr-defined]
    return with_lengths


class _SegmentLengths:
    """A new segment's per-document reader as the writer asks it for a posting's length (5.):
    each field's column of lengths read whole once; a field without one, as Whoosh answers."""

    def __init__(self, perdoc: Any) -> None:
        from whoosh.util.numeric import byte_to_length

        from newssearch.engines.whoosh.ranking import segment_lengths

        self._perdoc = perdoc
        self._read = functools.partial(segment_lengths, perdoc)
        self._length = byte_to_length
        self._fields: dict[str, bytes | None] = {}

    def doc_field_length(self, docnum: int, fieldname: str, default: int = 0) -> int | None:
        try:
            data = self._fields[fieldname]
        except KeyError:
            data = self._fields[fieldname] = self._read(fieldname)
        if data is None:
            return self._perdoc.doc_field_length(docnum, fieldname, default)  # type: ignore[no-any-return]
        lbyte = data[docnum]
        return self._length(lbyte) if lbyte else None  # as Whoosh's W3PerDocReader (None for 0)


def _write_block_with(write_block: Any) -> Any:
    """Whoosh's ``W3PostingsWriter._write_block``, with a block of one posting not compressed (6.)."""

    @functools.wraps(write_block)
    def write(self: Any, last: bool = False) -> None:
        if len(self._ids) > 1:
            write_block(self, last)
            return
        level, self._compression = self._compression, 0
        try:
            write_block(self, last)
        finally:
            self._compression = level

    write._newssearch = True  # type: ignore[attr-defined]
    return write


def _word_values_with(word_values: Any) -> Any:
    """Whoosh's ``Positions.word_values``, with newssearch's own text analyzer's words and
    positions found in one loop (7.): (word, frequency, weight, encoded positions) each."""
    from whoosh import formats

    from newssearch.engines.whoosh import schema

    # id → (analyzer, whether it is schema.STEMMED): each compared once. A few writers' analyzers
    # at most (each writer reads the schema anew): a resident searcher's watcher writes for days.
    ours: dict[int, tuple[Any, bool]] = {}

    @functools.wraps(word_values)
    def values(self: Any, value: Any, analyzer: Any, **kwargs: Any) -> Any:
        known = ours.get(id(analyzer))
        if known is None or known[0] is not analyzer:
            if len(ours) >= ANALYZERS_KEPT:
                ours.clear()
            known = ours[id(analyzer)] = (analyzer, schema.is_text_analyzer(analyzer))
        plain = type(self) is formats.Positions and isinstance(value, str) and kwargs == {"mode": "index"}
        if not (known[1] and plain):
            return word_values(self, value, analyzer, **kwargs)
        boost, encode = self.field_boost, self.encode
        return ((word, len(at), float(len(at)) * boost, encode(at)) for word, at in schema.positions(value).items())

    values._newssearch = True  # type: ignore[attr-defined]
    return values


def _import_whoosh_without_extras() -> None:
    stand_ins = {name: module for name, module in _stand_ins().items() if name not in sys.modules}
    sys.modules.update(stand_ins)
    try:
        import whoosh.compat
        import whoosh.reading  # noqa: F401  (binds cached_property)
    finally:
        for name, module in stand_ins.items():
            if sys.modules.get(name) is module:
                del sys.modules[name]
