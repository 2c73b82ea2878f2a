"""The processes newssearch forks — a resident searcher's answering processes, the second process
of a split search, the index writer's workers — and what each must not take from its parent.

``fork`` flushes this process's output first (none of it may be written twice) and holds the
signals across the fork until the child has the default handlers (ignored ones stay ignored):
a Ctrl-C in between would run the parent's handler in the child, and a resident searcher's
stops the server. ``die_with_parent`` asks Linux to kill a child when its parent dies, so that
none outlives it holding its files and streams (a client's, when served). Standard library only.
"""

from __future__ import annotations

import contextlib
import functools
import os
import signal
import sys
from collections.abc import Callable

SIGNALS = frozenset(
    getattr(signal, name) for name in ("SIGINT", "SIGTERM", "SIGHUP", "SIGCHLD") if hasattr(signal, name)
)


def fork() -> int:
    """``os.fork`` as above. A signal that came while they were held reaches the parent as it
    lets them through; should it raise there (a Ctrl-C), the child is killed and reaped first:
    the caller never had it."""
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):
            stream.flush()
    held = signal.pthread_sigmask(signal.SIG_BLOCK, SIGNALS)
    try:
        pid = os.fork()
    except BaseException:
        signal.pthread_sigmask(signal.SIG_SETMASK, held)
        raise
    if pid == 0:
        for signum in SIGNALS:
            if signal.getsignal(signum) is not signal.SIG_IGN:
                signal.signal(signum, signal.SIG_DFL)
        signal.pthread_sigmask(signal.SIG_SETMASK, held)
        return 0
    try:
        signal.pthread_sigmask(signal.SIG_SETMASK, held)
    except BaseException:
        with contextlib.suppress(OSError):
            os.kill(pid, signal.SIGKILL)
        with contextlib.suppress(OSError):
            os.waitpid(pid, 0)
        raise
    return pid


def die_with_parent(parent: int) -> None:
    """In a child: be killed when the parent (its pid) dies — on Linux; elsewhere nothing is
    asked — and end now if it has died already."""
    request = _death_signal()
    if request is not None:
        request()
    if os.getppid() != parent:
        os._exit(1)


def prepare() -> None:
    """Do once, in a process that forks many (a resident searcher), what ``die_with_parent``
    would otherwise do in each child."""
    _death_signal()


@functools.cache
def _death_signal() -> Callable[[], object] | None:
    """``prctl(PR_SET_PDEATHSIG, SIGKILL)``, or None where there is none. Loading ``ctypes``
    takes 7 ms: looked up before a fork, the children find it done."""
    try:
        import ctypes

        prctl = ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return None
    set_death_signal = 1
    return lambda: prctl(set_death_signal, signal.SIGKILL)
