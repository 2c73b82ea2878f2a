"""A search split between this process and a forked one (``engines.whoosh.parallel``; README,
"Large result sets"): the forked process hands back its work, never outlives what it was for,
and a Ctrl-C, a process that ignores SIGCHLD or a parent that is killed changes nothing a user
would see."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from newssearch.engines.whoosh import parallel


def _busy() -> None:
    while True:
        pass


def _children() -> list[int]:
    """This process's children, running or not yet reaped (Linux)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == os.getpid():
                found.append(int(entry.name))
    return found


linux_only = pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads /proc (Linux)")


def test_the_result_is_what_the_work_returns_and_a_failure_is_none() -> None:
    with parallel.elsewhere(lambda: {"hits": [(1.5, 7)]}) as forked:
        assert forked is not None
        assert forked.result() == {"hits": [(1.5, 7)]}
    with parallel.elsewhere(lambda: 1 / 0) as failing:
        assert failing is not None and failing.result() is None


def test_a_process_still_working_is_killed_and_reaped_when_the_caller_gives_up() -> None:
    with parallel.elsewhere(_busy) as busy:
        assert busy is not None
        pid = busy.pid
    with pytest.raises(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)


def test_with_sigchld_ignored_the_result_still_arrives() -> None:
    """A program that ignores SIGCHLD has its children reaped by the kernel: waiting for one
    finds none, and the result comes from the pipe alone."""
    before = signal.signal(signal.SIGCHLD, signal.SIG_IGN)
    try:
        with parallel.elsewhere(lambda: [1, 2, 3]) as forked:
            assert forked is not None
            assert forked.result() == [1, 2, 3]
        with parallel.elsewhere(lambda: 1 / 0) as failing:
            assert failing is not None and failing.result() is None
    finally:
        signal.signal(signal.SIGCHLD, before)


@linux_only
def test_a_ctrl_c_while_forking_leaves_no_process_and_no_descriptor() -> None:
    """A Ctrl-C that lands while signals are held for the fork is raised as the parent lets
    them through: the child is killed and reaped, the pipe closed. (In a process of its own: a
    test runner's threads would take the signal themselves.)"""
    script = (
        "import os, signal, sys\n"
        "sys.path[:0] = " + repr(sys.path) + "\n"
        "from newssearch.engines.whoosh import parallel\n"
        "from test_parallel import _busy, _children\n"
        "armed = [True]\n"
        "def interrupt():\n"
        "    if armed:\n"
        "        armed.clear()\n"
        "        os.kill(os.getpid(), signal.SIGINT)\n"
        "os.register_at_fork(before=interrupt)  # runs with the signals held, just before the fork\n"
        "fds = len(os.listdir('/proc/self/fd'))\n"
        "try:\n"
        "    with parallel.elsewhere(_busy):\n"
        "        print('no Ctrl-C')\n"
        "except KeyboardInterrupt:\n"
        "    print('interrupted', not armed, _children(), len(os.listdir('/proc/self/fd')) - fds)\n"
    )
    ran = subprocess.run(
        [sys.executable, "-c", script], cwd=Path(__file__).parent, capture_output=True, text=True, timeout=60
    )
    assert ran.stdout.strip() == "interrupted True [] 0", ran.stdout + ran.stderr


@linux_only
def test_the_forked_process_dies_with_its_parent() -> None:
    """Served, the parent holds a client's streams; a child left walking after its parent was
    killed would hold them open too, and the client would wait for it."""
    script = (
        "import sys; sys.path[:0] = " + repr(sys.path) + "\n"
        "from newssearch.engines.whoosh import parallel\n"
        "def busy():\n    while True: pass\n"
        "with parallel.elsewhere(busy) as forked:\n"
        "    print(forked.pid, flush=True)\n"
        "    import time; time.sleep(600)\n"
    )
    parent = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    assert parent.stdout is not None
    child = int(parent.stdout.readline())
    parent.kill()
    parent.wait()
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            state = Path(f"/proc/{child}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            return  # gone
        if state == "Z":
            return  # dead, not yet reaped by its new parent
        time.sleep(0.05)
    pytest.fail(f"the forked process {child} still runs after its parent was killed")
