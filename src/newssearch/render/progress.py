"""What ``newssearch index`` shows on a terminal while it runs (stderr), in two phases:

    indexing ━━━━━━━━━━━━  49% 11,790 of ~24,000 articles · 1,180/s · eta 0:10 wires/bbc.jsonl
    ⠹ writing the index to disk 0:03:12

The bar is in bytes of the files being read, so one large .jsonl moves it as its articles are
added; the articles are those added so far, of as many as the bytes read so far suggest; the rate
is articles added per second and the estimate the bytes left at the run's average speed so far
(steadier than over the last seconds, which a large file's parse stalls). On a narrow terminal
the bar shrinks and the file's name is shortened from the left.
The commit — Whoosh finishing each segment and merging — reports nothing while it works, so it
shows the time it has taken so far. Both are transient: they are gone before anything else is
printed, and the context manager ends them before an error or an interruption is reported.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from rich.console import Console, RenderableType
from rich.constrain import Constrain
from rich.progress import Progress, ProgressColumn, SpinnerColumn, Task, TextColumn, TimeElapsedColumn
from rich.text import Text

from newssearch.render.text import safe

# The estimate is shown once the run has this many seconds of speed to go on.
ESTIMATE_AFTER = 1.0
# Columns left free at the end of the line: the terminal echoes Ctrl-C as "^C" after the
# display, and on a full line that would wrap onto a new one, out of the display's reach (it
# erases only its own line), leaving the old line on screen above the message.
ECHO_ROOM = 2


class _Display(Progress):
    def __init__(self, *columns: Any, console: Console) -> None:
        self.terminal = console
        super().__init__(*columns, console=console, transient=True)

    def get_renderable(self) -> RenderableType:
        return Constrain(super().get_renderable(), max(self.terminal.width - ECHO_ROOM, 1))


# The bar's width: at most, and at least while the file's name has room to be shortened.
BAR_WIDTH = 20
BAR_MIN = 10


class _ReadingLine(ProgressColumn):
    """``indexing``, the bar, the share done, the counts and the file, fitted to the terminal:
    the name of the file gives way first, then the bar."""

    def __init__(self, width: int) -> None:
        super().__init__()
        self.width = width

    def render(self, task: Task) -> Text:
        share = task.completed / task.total if task.total else 0.0
        head = "indexing "
        tail = f" {share:4.0%} {task.fields['counts']}"
        path: str = task.description
        room = self.width - len(head) - len(tail)
        bar = max(min(BAR_WIDTH, room - len(path) - 1), min(BAR_MIN, room))
        room -= bar + 1
        if len(path) > room:
            path = "…" + path[len(path) - room + 1 :] if room > 1 else ""
        filled = round(bar * share)
        line = Text(head)
        line.append("━" * filled, style="bar.complete")
        line.append("━" * (bar - filled), style="bar.back")
        line.append(tail)
        if path:
            line.append(" " + path, style="dim")
        line.truncate(self.width)
        return line


class _Shown:
    """The live display for ``update_index``'s progress (``indexer.Progress``)."""

    def __init__(self, con: Console) -> None:
        self.con = con
        self.live: _Display | None = None
        self.phase = ""
        self.started: float | None = None

    def reading(self, done: int, total: int, path: str, articles: int) -> None:
        if self.phase != "reading":
            self._start("reading")
        if self.started is None:  # the rate counts from the first file, not from the scan
            self.started = time.monotonic()
        assert self.live is not None
        elapsed = time.monotonic() - self.started
        rate = f"{articles / elapsed:,.0f}/s" if elapsed >= ESTIMATE_AFTER else "–/s"
        eta = "–:––"
        if elapsed >= ESTIMATE_AFTER and done:
            eta = _clock(round((total - done) * elapsed / done))
        counts = f"{articles:,}{_of(articles, done, total, elapsed)} article{'' if articles == 1 else 's'}"
        counts += f" · {rate} · eta {eta}"
        self.live.update(self.task, completed=done, total=total or 1, counts=counts, description=safe(path))

    def start(self) -> None:
        self._start("reading")

    def writing(self) -> None:
        self._start("writing")

    def _start(self, phase: str) -> None:
        self.stop()
        self.phase = phase
        self.started = None
        if phase == "reading":
            self.live = _Display(_ReadingLine(self.con.width - ECHO_ROOM), console=self.con)
            self.task = self.live.add_task("", total=None, counts="")
        else:
            self.live = _Display(
                SpinnerColumn(),
                TextColumn("writing the index to disk"),
                TimeElapsedColumn(),
                console=self.con,
            )
            self.task = self.live.add_task("", total=None)
        self.live.start()

    def stop(self) -> None:
        if self.live is not None:
            self.live.stop()
            self.live = None
        self.phase = ""


def _clock(seconds: int) -> str:
    """``1:08``, ``1:02:03``."""
    hours, rest = divmod(seconds, 3600)
    return f"{hours}:{rest // 60:02d}:{rest % 60:02d}" if hours else f"{rest // 60}:{rest % 60:02d}"


def _of(articles: int, done: int, total: int, elapsed: float) -> str:
    """`` of ~24,000``: the articles the files being read hold, estimated from those added
    per byte so far (to three figures); exact once every byte is read."""
    if done >= total:
        return f" of {articles:,}"
    if elapsed < ESTIMATE_AFTER or not done or not articles:
        return ""
    estimate = articles * total / done
    return f" of ~{round(estimate, 2 - len(str(int(estimate)))):,.0f}"


class _Nothing:
    def reading(self, done: int, total: int, path: str, articles: int) -> None:
        pass

    def writing(self) -> None:
        pass


@contextmanager
def progress_bar(con: Console, shown: bool = True) -> Iterator[_Shown | _Nothing]:
    """The progress of an ``index`` run: on a terminal unless ``shown`` is false (``--quiet``),
    else nothing. Ended (and cleared) on the way out, however the run ends."""
    if not (shown and con.is_terminal):
        yield _Nothing()
        return
    display = _Shown(con)
    display.start()  # shown from the start: the scan of a large corpus takes a moment too
    try:
        yield display
    finally:
        display.stop()
