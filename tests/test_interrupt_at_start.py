"""Ctrl-C at any moment of a command's start-up (README, "Exit codes": 130) is a line on stderr,
never a traceback from inside the import of a module. (Before Python has imported its own
``site`` module, and while the script pip writes imports ``re`` and ``sys``, no code of
newssearch runs yet: the interpreter reports that itself.)"""

from __future__ import annotations

import re
import signal
import subprocess
import time
from pathlib import Path

import newssearch
from conftest import clean_env, entry_point

PACKAGE_INIT = Path(newssearch.__file__).resolve()
# The line of newssearch/__init__.py that installs the Ctrl-C handler: the lines before it
# (``import signal`` among them) run before any program could have one.
HANDLER_LINE = next(
    n for n, line in enumerate(PACKAGE_INIT.read_text().splitlines(), 1) if "signal.signal(signal.SIGINT" in line
)


def _before_newssearch(err: str) -> bool:
    """A traceback from before newssearch could handle Ctrl-C: in Python's own start-up, the
    script pip wrote, Python finding the package, or the first lines of ``newssearch/__init__.py``
    that import what installing a handler needs; no frame in a library newssearch loads."""
    for path, line in re.findall(r'File "([^"]+)", line (\d+)', err):
        if Path(path).resolve() == PACKAGE_INIT and int(line) <= HANDLER_LINE:
            continue
        if any(f"/{name}/" in path for name in ("newssearch", "whoosh", "typer", "rich")):
            return False
    return True


def _ctrl_c_as_at_a_terminal() -> None:
    """A command started from a terminal gets Ctrl-C; one started by a test run in the background
    (``pytest &`` in a script) inherits it ignored, and Python then leaves it ignored."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def test_ctrl_c_while_starting_is_a_line_and_exit_130(seed_index_once: Path) -> None:
    """The signal is sent at 10 ms steps from the start — Python's start-up, then ours — until
    a command ends before it comes (however slow the machine is that day: at most 1,000 steps)."""
    args = [str(entry_point()), "query", "rafah", "--index", str(seed_index_once)]
    interrupted = 0
    for step in range(1000):
        proc = subprocess.Popen(
            args,
            env=clean_env(),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            preexec_fn=_ctrl_c_as_at_a_terminal,
        )
        deadline = time.monotonic() + step * 0.01
        while time.monotonic() < deadline and proc.poll() is None:
            pass  # busy-wait: the moment of the signal is the test's input, not a wait for anything
        ended_first = proc.poll() is not None
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=60)
        assert _before_newssearch(err), (step, err)  # never a traceback through our code
        if proc.returncode == 130 and "newssearch: interrupted" in err:
            interrupted += 1
        if ended_first:
            break
    assert interrupted >= 3  # the signal did land while newssearch ran, and was said as a line
