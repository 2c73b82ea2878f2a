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

from conftest import clean_env, entry_point


def _before_newssearch(err: str) -> bool:
    """A traceback in which no line of newssearch (nor of a library it loads) had run: Python's
    own start-up, the script pip wrote, or Python finding the package's file — before the first
    line of ``newssearch/__init__.py``, which turns Ctrl-C into the line this test expects."""
    paths = re.findall(r'File "([^"]+)", line \d+', err)
    return not any(f"/{name}/" in path for path in paths for name in ("newssearch", "whoosh", "typer", "rich"))


def test_ctrl_c_while_starting_is_a_line_and_exit_130(seed_index_once: Path) -> None:
    """The signal is sent at 10 ms steps over the first 0.4 s: Python's start-up, then ours."""
    args = [str(entry_point()), "query", "rafah", "--index", str(seed_index_once)]
    interrupted = 0
    for step in range(40):
        proc = subprocess.Popen(args, env=clean_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        deadline = time.monotonic() + step * 0.01
        while time.monotonic() < deadline and proc.poll() is None:
            pass  # busy-wait: the moment of the signal is the test's input, not a wait for anything
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=60)
        assert _before_newssearch(err), (step, err)  # never a traceback through our code
        if proc.returncode == 130 and "newssearch: interrupted" in err:
            interrupted += 1
    assert interrupted >= 3  # the signal did land while newssearch ran, and was said as a line
