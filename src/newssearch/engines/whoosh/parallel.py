"""A query's segments split between this process and a forked one (README, "Large result sets").

A search in Whoosh is all Python, which keeps to one core. An index built with two or more jobs
has a segment a job, so on a machine with two cores or more the segments are split: this
process reads the largest, and a forked one (``elsewhere``) reads the rest and hands back what
it found through a pipe. Each side does exactly what one process would do with its segments, so
the results, merged, are the same.

The forked process (``processes.fork``) runs only its work: it writes nothing but its result,
ends with ``os._exit`` and dies with its parent (it holds the parent's streams, a client's when
served). If it fails, ``Forked.result`` is None and the caller does its work itself, where an
error is reported as any other; if the caller fails (Ctrl-C included), the process is killed and
reaped.
"""

from __future__ import annotations

import contextlib
import os
import pickle
import signal
from collections.abc import Callable, Iterator
from typing import Any

from whoosh.searching import Searcher

from newssearch import processes

# The segments are split when the second-largest holds at least this many documents (articles
# and their passages). A million articles built with two jobs make two segments of nearly a
# million documents, 100,000 two of 96,000 (``said`` there: 80 -> 67 ms). Far below it a search
# takes a few ms, and a fork about 3.
PARALLEL_FROM = 50_000

# Scoring every match (up to 10,000) is split only for a query that may match at least this many
# documents (``topk.bounds``): a rare word is scored in a millisecond, and waiting for a fork
# took 3 ms, or 26 on a busy machine.
PARALLEL_WORK = 5_000

Segments = list[tuple[Searcher, int]]


def split(
    searcher: Searcher, parallel_from: int = PARALLEL_FROM, *, worth_it: bool = True
) -> tuple[Segments, Segments]:
    """The searcher's segments (each a sub-searcher and its first document number), largest
    first, as (read here, read by a forked process): the second is empty where splitting does
    not pay (a small index, one core, no ``fork``, or not ``worth_it`` for the query)."""
    segments = sorted(searcher.leaf_searchers(), key=lambda leaf: -leaf[0].doc_count_all())
    large = len(segments) > 1 and segments[1][0].doc_count_all() >= parallel_from
    if worth_it and large and _cores() > 1 and hasattr(os, "fork"):
        return segments[:1], segments[1:]
    return segments, []


class Forked:
    """A forked process doing some work; ``result`` waits for what it returned."""

    def __init__(self, pid: int, reading: int) -> None:
        self.pid = pid
        self.reading = reading

    def result(self) -> Any | None:
        """What the work returned; None when the process failed (an error or a signal: it
        writes only a whole result, and only then ends well)."""
        with os.fdopen(self.reading, "rb", closefd=False) as pipe:
            data = pipe.read()
        pid, self.pid = self.pid, 0
        try:
            _, status = os.waitpid(pid, 0)
        except ChildProcessError:  # reaped by someone else (SIGCHLD ignored): the pipe says it all
            status = 0
        if not os.WIFEXITED(status) or os.WEXITSTATUS(status) != 0:
            return None
        try:
            return pickle.loads(data)
        except Exception:
            return None

    def end(self) -> None:
        """Stop the process if it is still working, and close the pipe."""
        if self.pid:
            with contextlib.suppress(OSError):
                os.kill(self.pid, signal.SIGKILL)
            with contextlib.suppress(OSError):
                os.waitpid(self.pid, 0)
            self.pid = 0
        with contextlib.suppress(OSError):
            os.close(self.reading)


@contextlib.contextmanager
def elsewhere(work: Callable[[], Any] | None) -> Iterator[Forked | None]:
    """``work`` done by a forked process while the block runs (None: no work, or no process could
    be forked: the caller does it itself); a process still working when the block ends (an
    error, a Ctrl-C) is killed and reaped."""
    forked = _start(work) if work is not None else None
    try:
        yield forked
    finally:
        if forked is not None:
            forked.end()


def _start(work: Callable[[], Any]) -> Forked | None:
    """Fork a process that runs ``work`` and writes what it returns (pickled) to a pipe; None
    where a process cannot be forked."""
    try:
        reading, writing = os.pipe()
    except OSError:
        return None
    parent = os.getpid()
    try:
        pid = processes.fork()
    except BaseException as exc:  # no process, or a Ctrl-C while forking (``processes.fork`` reaped it)
        os.close(reading)
        os.close(writing)
        if isinstance(exc, OSError):
            return None
        raise
    if pid:
        os.close(writing)
        return Forked(pid, reading)
    code = 1
    try:  # the forked process: it writes its result and ends, running nothing of its parent's
        processes.die_with_parent(parent)  # never outlive it holding its streams (a client's, served)
        os.close(reading)
        data = pickle.dumps(work(), pickle.HIGHEST_PROTOCOL)
        with os.fdopen(writing, "wb") as pipe:
            pipe.write(data)
        code = 0
    finally:
        os._exit(code)


def _cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1
