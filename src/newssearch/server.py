"""``newssearch serve``: a resident searcher (README, "A resident searcher").

One process keeps the index open, with every module a command needs already imported, and
listens on a Unix socket in the index folder (``client.SOCKET_NAME``, its owner's only). Each
command a client hands it is answered by a process forked for it: the fork starts with the
index open and warm, takes the client's stdin, stdout and stderr, working directory and
environment, and runs the ``newssearch`` command itself (``cli.main``) — so what it prints is
byte for byte what the command prints without a server. Before each fork the index is reopened
if an update has committed since, so an ``index`` run is seen by the next command.

The serving process is single-threaded (it forks, so it never holds a thread's lock). With
``--watch``, a second forked process watches the corpus (watchfiles) and runs ``index`` on what
changes; the serving process sees its commits as it sees any other.
"""

from __future__ import annotations

import contextlib
import gc
import io
import os
import select
import signal
import socket
import stat
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from newssearch import client, processes
from newssearch.errors import NewsSearchError, UsageError, display

if TYPE_CHECKING:
    from newssearch.engine import Resident

# Minutes without a command after which a server stops by itself (README, "A resident searcher").
IDLE_MINUTES = 60
# Commands answered at once; past that, a command runs in its own process (as without a server).
MAX_ANSWERING = 32
# A client that connects must say what it wants within this (the serving process waits on nothing longer).
REQUEST_SECONDS = 2.0
# How long `serve --detach` waits for the server it started to answer, and `--stop` for it to go.
START_SECONDS = 60.0
STOP_SECONDS = 10.0
# How often the server looks for ended processes while some answer (or spares let go end).
REAP_SECONDS = 0.2
# What a server warms itself with when its index has no word of a few articles (``_warm``).
WARM_QUERY = "news"

Say = Callable[[str], None]


class ServerError(NewsSearchError):
    """A server could not be started, asked or stopped."""

    exit_code = 2


@dataclass
class Status:
    """What ``serve --status`` reports of a running server."""

    pid: int
    index: str
    started: float  # seconds since the epoch
    answered: int
    answering: int
    watching: str | None
    idle_minutes: float
    current: bool  # running the newssearch installed now (else it is not asked; restart it)


def index_folder(location: str) -> Path:
    """The index folder a server keeps open; a cluster's URL is refused."""
    if not hasattr(os, "fork") or not hasattr(socket, "AF_UNIX"):
        raise UsageError(
            "`serve` needs Unix sockets and fork (Linux, macOS, BSD); on this system commands run on their own"
        )
    if location.startswith(("http://", "https://")):
        raise UsageError(
            "`serve` keeps an index folder open on this machine; a cluster answers queries itself — "
            "query it without a server"
        )
    return Path(location)


def serve(folder: Path, *, idle_minutes: float = IDLE_MINUTES, corpus: Path | None = None, say: Say) -> None:
    """Serve the index in ``folder`` until stopped (Ctrl-C, SIGTERM, ``serve --stop``) or idle
    for ``idle_minutes`` (0: never); with ``corpus``, index its changes as they happen."""
    from newssearch.engines import engine_at

    engine = engine_at(folder)
    if not hasattr(engine, "keep"):
        raise UsageError(f"the index at {display(folder)} cannot be served: its engine keeps no index open here")
    resident: Resident = engine  # type: ignore[assignment]
    resident.keep()
    _refuse_if_served(folder)  # before warming, which takes a while on a large index
    word = resident.sample_word()
    _warm(folder, word or WARM_QUERY)  # before listening: a client meanwhile runs its command itself
    listener = _listen(folder)
    watcher = None
    previous = signal.signal(signal.SIGTERM, _stop_on_signal)
    try:
        if corpus is not None:
            watcher = _start_watcher(corpus, folder, listener, say)
        what = f", indexing changes to {display(corpus)} as they happen" if corpus else ""
        idle = f"after {minutes(idle_minutes)} without a command" if idle_minutes else "only when stopped"
        say(
            f"newssearch: serving {display(folder)} (pid {os.getpid()}){what}; stops {idle}, on Ctrl-C "
            f"or `newssearch serve --stop`"
        )
        gc.freeze()  # what is loaded now stays shared with every fork (the collector would copy it)
        loop = _Loop(listener, resident, folder, idle_minutes, corpus, word)
        try:
            stopped_by = loop.run()
        finally:
            loop.drop_spare()
        say(f"newssearch: stopped serving {display(folder)} ({stopped_by})")
    except KeyboardInterrupt:
        say(f"newssearch: stopped serving {display(folder)}")
    finally:
        signal.signal(signal.SIGTERM, previous)
        _close(listener, folder)
        if watcher:
            with contextlib.suppress(OSError):
                os.kill(watcher, signal.SIGTERM)
                os.waitpid(watcher, 0)


def _stop_on_signal(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


class _Spare:
    """A process forked before it is needed, warmed by a query of its own, that answers the next
    command (``_wait_as_spare``): the fork, and the copying of the memory a command touches, are
    done before a client asks rather than while it waits."""

    def __init__(self, pid: int, sock: socket.socket) -> None:
        self.pid = pid
        self.sock = sock  # the server's end: the spare says "ready" on it, and is handed a command
        self.ready = False


class _Loop:
    def __init__(
        self,
        listener: socket.socket,
        engine: Resident,
        folder: Path,
        idle_minutes: float,
        corpus: Path | None,
        warm_word: str | None,
    ) -> None:
        self.listener = listener
        self.engine = engine
        self.folder = folder
        self.idle = idle_minutes * 60
        self.corpus = corpus
        self.started = time.time()
        self.last = time.monotonic()
        self.answered = 0
        self.answering: set[int] = set()
        self.stamp = client.code_stamp()
        self.spare: _Spare | None = None
        self.leaving: set[int] = set()  # spares let go, to be reaped
        self.warm_word = warm_word  # what each spare warms itself with

    def run(self) -> str:
        """Answer until told to stop; returns why it stopped."""
        while True:
            self._reap()
            if self.spare is None:
                self.spare = self._fork_spare()
            wait = REAP_SECONDS if self.answering or self.leaving else 30.0  # no process left a zombie
            if self.idle:
                left = self.last + self.idle - time.monotonic()
                if left <= 0 and not self.answering:
                    return f"{minutes(self.idle / 60)} without a command"
                wait = max(0.05, min(wait, left))
            watched = [self.listener, *([self.spare.sock] if self.spare else [])]
            ready, _, _ = select.select(watched, [], [], wait)
            if self.spare is not None and self.spare.sock in ready:
                self._hear_spare(self.spare)
            if self.listener in ready and self._take() == "stop":
                return "asked to stop"

    def _take(self) -> str | None:
        try:
            conn, _ = self.listener.accept()
        except OSError:
            return None
        fds: list[int] = []
        try:
            conn.settimeout(REQUEST_SECONDS)
            if _peer_uid(conn) != os.getuid():  # the socket is its owner's only; said twice
                return None
            message, fds = client.receive(conn, with_fds=3)
            op = message.get("op") if message else None
            if op == "run" and message is not None:
                self._answer(conn, message, fds)
            elif op == "status":
                client.send(conn, vars(self.status(message)))
            elif op == "stop":
                client.send(conn, {"stopping": os.getpid()})
                return "stop"
        except OSError:  # the client went away, or was too slow: its command runs on its own
            pass
        finally:
            for fd in fds:
                with contextlib.suppress(OSError):
                    os.close(fd)
            conn.close()
        return None

    def status(self, message: dict[str, Any] | None) -> Status:
        self._reap()  # commands that ended since the loop last woke are not answering
        return Status(
            pid=os.getpid(),
            index=os.path.abspath(self.folder),
            started=self.started,
            answered=self.answered,
            answering=len(self.answering),
            watching=os.path.abspath(self.corpus) if self.corpus else None,
            idle_minutes=self.idle / 60,
            current=bool(message) and message.get("code") == self.stamp,  # type: ignore[union-attr]
        )

    def _answer(self, conn: socket.socket, message: dict[str, Any], fds: list[int]) -> None:
        self.last = time.monotonic()
        if message.get("protocol") != client.PROTOCOL or message.get("code") != self.stamp:
            client.send(conn, {"here": "the server runs another newssearch"})
            return
        if len(fds) != 3 or len(self.answering) >= MAX_ANSWERING:
            client.send(conn, {"here": "busy"})
            return
        try:
            if self.engine.keep():  # the newest commit, before the fork shares it
                self.drop_spare()  # it holds the commit before
                self.warm_word = self.engine.sample_word()
        except NewsSearchError:  # the command, run by the client, says what is wrong
            client.send(conn, {"here": "the index cannot be opened"})
            return
        pid = self._hand_to_spare(conn, message, fds)
        if pid is None:
            pid = processes.fork()
            if pid == 0:
                self.listener.close()
                if self.spare is not None:
                    self.spare.sock.close()  # the spare must see the end when it is let go
                _answer_in_child(conn, message, fds)  # never returns
        self.answering.add(pid)
        self.answered += 1

    def _fork_spare(self) -> _Spare | None:
        """Called only between commands: a client's descriptors must never be inherited."""
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        ours.settimeout(REQUEST_SECONDS)  # a spare that stopped reading never holds the server
        pid = processes.fork()
        if pid == 0:
            self.listener.close()
            ours.close()
            _wait_as_spare(theirs, self.folder, self.warm_word)  # never returns
        theirs.close()
        return _Spare(pid, ours)

    def _hear_spare(self, spare: _Spare) -> None:
        """The spare says it is ready; anything else (its end: it died) lets it go, and the
        loop readies another."""
        try:
            said, _ = client.receive(spare.sock) if not spare.ready else (None, [])
        except OSError:
            said = None
        if said == {"ready": True}:
            spare.ready = True
        else:
            self.drop_spare()

    def _hand_to_spare(self, conn: socket.socket, message: dict[str, Any], fds: list[int]) -> int | None:
        """The spare's pid once it has the command; None when none is ready (still warming: kept
        for the next command; gone: let go)."""
        spare = self.spare
        if spare is None or not spare.ready:
            return None
        self.spare = None
        try:
            client.send(spare.sock, message, [conn.fileno(), *fds])
            spare.sock.close()
            return spare.pid
        except OSError:  # it died since it said it was ready
            self._let_go(spare)
            return None

    def drop_spare(self) -> None:
        if self.spare is not None:
            self._let_go(self.spare)
            self.spare = None

    def _let_go(self, spare: _Spare) -> None:
        spare.sock.close()  # a waiting spare reads the end and exits
        self.leaving.add(spare.pid)

    def _reap(self) -> None:
        for pids in (self.answering, self.leaving):
            for pid in list(pids):
                with contextlib.suppress(ChildProcessError):
                    done, _ = os.waitpid(pid, os.WNOHANG)
                    if not done:
                        continue
                pids.discard(pid)


def minutes(n: float) -> str:
    """``1 minute``, ``60 minutes``, ``0.5 minutes``."""
    shown = f"{n:g}"
    return f"{shown} minute{'' if shown == '1' else 's'}"


def _peer_uid(conn: socket.socket) -> int:
    if hasattr(socket, "SO_PEERCRED"):  # Linux
        import struct

        creds = conn.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i"))
        return int(struct.unpack("3i", creds)[1])
    return os.getuid()  # elsewhere the socket's mode (owner only) is the check


# --- the forked process that answers one command ---------------------------------------------

_KEEP_ALIVE: list[object] = []  # the server's own streams: never collected (and flushed) into the client's


def _answer_in_child(conn: socket.socket, message: dict[str, Any], fds: list[int]) -> None:
    reply: dict[str, object] | None = None
    try:
        signal.signal(signal.SIGINT, signal.default_int_handler)  # the rest were set by ``processes.fork``
        signal.signal(signal.SIGHUP, signal.SIG_DFL)
        gc.unfreeze()
        conn.settimeout(client.READY_SECONDS)
        client.send(conn, {"pid": os.getpid()})
        go, _ = client.receive(conn)
        if not go or not go.get("go"):  # the client gave up waiting and runs the command itself
            os._exit(0)
        conn.settimeout(None)
        client.answering = True
        _take_over(message, fds)
        reply = {"exit": _run_command()}
    except client.RunHere as exc:
        reply = {"here": str(exc)}
    except BaseException:  # noqa: BLE001 - the client says the server stopped while answering
        reply = None
    finally:
        if reply is not None:
            with contextlib.suppress(OSError):
                client.send(conn, reply)
        os._exit(0)


def _wait_as_spare(sock: socket.socket, folder: Path, word: str | None) -> None:
    """A spare (``_Spare``): warm itself with a query, say so, wait for a command (the client's
    connection and streams) and answer it as a process forked for it would; exit when the server
    lets it go."""
    message: dict[str, Any] | None = None
    fds: list[int] = []
    try:
        gc.unfreeze()
        if word is not None:
            _run_quietly(["query", word, "--index", str(folder)])
        client.send(sock, {"ready": True})
        message, fds = client.receive(sock, with_fds=4)
        sock.close()
    except BaseException:  # noqa: BLE001 - the server is gone or let it go: nothing to answer
        message = None
    if message is None or len(fds) != 4:
        for fd in fds:
            with contextlib.suppress(OSError):
                os.close(fd)
        os._exit(0)
    _answer_in_child(socket.socket(fileno=fds[0]), message, fds[1:])


def _take_over(message: dict[str, Any], fds: list[int]) -> None:
    """Become the client's process: its streams, working directory, environment and argv."""
    for target, fd in enumerate(fds):
        os.dup2(fd, target)
        os.close(fd)
    os.chdir(message["cwd"])
    os.environ.clear()
    os.environ.update(message["env"])
    _KEEP_ALIVE.extend([sys.stdin, sys.stdout, sys.stderr])
    specs = message.get("streams") or [None, None, None]
    sys.stdin = _stream(0, "r", specs[0])
    sys.stdout = _stream(1, "w", specs[1])
    sys.stderr = _stream(2, "w", specs[2], line_buffering=True)
    sys.argv = list(message["argv"])


def _stream(fd: int, mode: str, spec: Any, line_buffering: bool = False) -> Any:
    """A text stream on ``fd`` as the client's Python made it (encoding, errors)."""
    encoding, errors = (spec[0], spec[1]) if spec else ("utf-8", "strict")
    try:
        return open(  # noqa: SIM115 - the process's own stream, for its whole life
            fd, mode, buffering=1 if line_buffering else -1, encoding=encoding, errors=errors, closefd=False
        )
    except (OSError, LookupError):
        return None


def _run_command() -> int:
    """Run the command ``_take_over`` set up (``sys.argv``); its exit code."""
    from newssearch.cli import main

    try:
        main()
        code: object = 0
    except SystemExit as exc:
        code = exc.code
    finally:
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(Exception):
                stream.flush()
    if code is None:
        return 0
    if isinstance(code, int):
        return code
    with contextlib.suppress(Exception):
        print(code, file=sys.stderr)
    return 1


def _warm(folder: Path, word: str) -> None:
    """Run, here and now, the commands a client most often asks — a query of ``word`` as text and
    as JSON, ``stats`` — into nothing, so that no fork imports a module, compiles a pattern (the query
    parser's, the analyzer's) or fills a cache that this process could have filled once. What
    they print is thrown away; what they fail with is the command's business when a client asks."""
    index = ["--index", str(folder)]
    for argv in (["query", word, *index], ["query", word, "--json", *index], ["stats", *index]):
        _run_quietly(argv)


def _run_quietly(argv: list[str]) -> None:
    """Run a command here, its output thrown away and its failure ignored."""
    from newssearch import cli

    with (
        contextlib.redirect_stdout(io.StringIO()),
        contextlib.redirect_stderr(io.StringIO()),
        contextlib.suppress(Exception, SystemExit),
    ):
        cli.command().main(argv, prog_name="newssearch")


# --- the socket ---------------------------------------------------------------------------


def _refuse_if_served(folder: Path) -> None:
    running = ask(folder, "status")
    if running is not None:
        raise ServerError(
            f"a server already answers for {display(folder)} (pid {running.get('pid')}) — "
            f"`newssearch serve --stop --index {display(folder)}` stops it"
        )


def _listen(folder: Path) -> socket.socket:
    """The listening socket in ``folder``, its owner's only; refused while another server
    answers there, and taken over from one that died."""
    _refuse_if_served(folder)
    path = folder / client.SOCKET_NAME
    with contextlib.suppress(FileNotFoundError):
        if stat.S_ISSOCK(path.lstat().st_mode):
            path.unlink()  # left by a server that died
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    old_mask = os.umask(0o177)  # the socket is created rw for its owner only
    try:
        client.at_address(str(folder), listener.bind)
    except OSError as exc:
        listener.close()
        raise ServerError(
            f"cannot listen in {display(folder)}: {exc.strerror or exc} — check that the folder is yours and writable"
        ) from exc
    finally:
        os.umask(old_mask)
    listener.listen(64)
    return listener


def _close(listener: socket.socket, folder: Path) -> None:
    """Stop listening, and remove the socket file unless another server has taken the name."""
    listener.close()
    other = client.connect(str(folder), 0.2)
    if other is not None:
        other.close()
        return
    with contextlib.suppress(OSError):
        (folder / client.SOCKET_NAME).unlink()


def ask(folder: Path, op: str) -> dict[str, Any] | None:
    """A running server's answer to ``status`` or ``stop``; None when none answers."""
    conn = client.connect(str(folder), REQUEST_SECONDS)
    if conn is None:
        return None
    try:
        client.send(conn, {"op": op, "code": client.code_stamp()})
        reply, _ = client.receive(conn)
        return reply
    except OSError:
        return None
    finally:
        conn.close()


def status(folder: Path) -> Status | None:
    reply = ask(folder, "status")
    if not reply:
        return None
    try:
        return Status(**reply)
    except TypeError:  # a server of another version: what it says, as well as it can be read
        return Status(
            pid=int(reply.get("pid", 0)),
            index=os.path.abspath(folder),
            started=float(reply.get("started", 0)),
            answered=int(reply.get("answered", 0)),
            answering=0,
            watching=None,
            idle_minutes=0,
            current=False,
        )


def stop(folder: Path) -> int | None:
    """Stop the server of ``folder`` and wait until it has gone; its pid, or None when none ran."""
    reply = ask(folder, "stop")
    if reply is None:
        return None
    pid = int(reply.get("stopping", 0))
    deadline = time.monotonic() + STOP_SECONDS
    while time.monotonic() < deadline:
        # Its socket file is the last thing it removes (a server killed on the way has gone too).
        if not (folder / client.SOCKET_NAME).exists() or not _alive(pid):
            return pid
        time.sleep(0.02)
    raise ServerError(f"the server of {display(folder)} (pid {pid}) did not stop within {STOP_SECONDS:.0f} s")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:  # a child of this process that has ended is a zombie until reaped: not alive
        done, _ = os.waitpid(pid, os.WNOHANG)
        return done == 0
    except ChildProcessError:
        return True


def start_detached(folder: Path, *, idle_minutes: float, corpus: Path | None) -> int:
    """Start a server in the background, its output in the log in the index folder, and
    return its pid once it answers."""
    argv = [
        sys.executable,
        "-m",
        "newssearch",
        "serve",
        "--index",
        os.path.abspath(folder),
        "--idle",
        str(idle_minutes),
    ]
    if corpus is not None:
        argv += ["--watch", "--corpus", os.path.abspath(corpus)]
    log_path = folder / client.LOG_NAME
    try:
        log = os.open(log_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    except OSError as exc:
        raise ServerError(
            f"cannot write {display(log_path)}: {exc.strerror or exc} — check the folder's permissions"
        ) from exc
    try:
        proc = subprocess.Popen(
            argv, stdin=subprocess.DEVNULL, stdout=log, stderr=log, start_new_session=True, close_fds=True
        )
    finally:
        os.close(log)
    deadline = time.monotonic() + START_SECONDS
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise ServerError(f"the server stopped as it started: {_last_line(log_path)}")
        running = status(folder)
        if running is not None and running.pid == proc.pid:
            return proc.pid
        time.sleep(0.02)
    proc.terminate()
    raise ServerError(f"the server did not answer within {START_SECONDS:.0f} s — see {display(log_path)}")


def _last_line(log_path: Path) -> str:
    try:
        lines = log_path.read_text(encoding="utf-8", errors="replace").strip().splitlines()
    except OSError:
        lines = []
    last = lines[-1] if lines else "(nothing in its log)"
    return last.removeprefix("newssearch: ")


# --- --watch ------------------------------------------------------------------------------


def _start_watcher(corpus: Path, folder: Path, listener: socket.socket, say: Say) -> int:
    """Fork the process that indexes ``corpus``'s changes as they happen; its pid."""
    parent = os.getpid()
    pid = os.fork()
    if pid:
        return pid
    listener.close()  # else the socket would take connections after the server has gone
    try:
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C stops the server, which stops this
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        _watch(corpus, folder, parent, say)
    except BaseException:  # noqa: BLE001
        pass
    os._exit(0)


def _watch(corpus: Path, folder: Path, parent: int, say: Say) -> None:
    from watchfiles import watch

    caught_up = False
    for changes in watch(corpus, yield_on_timeout=True, rust_timeout=2_000, raise_interrupt=False):
        if os.getppid() != parent:
            return
        if changes or not caught_up:
            # The first time, what changed while nothing watched: only now, with the corpus
            # watched, so that a change made while it was being caught up with is not lost.
            caught_up = True
            update_now(corpus, folder, say)


def update_now(corpus: Path, folder: Path, say: Say, *, progress: Any = None) -> None:
    """One ``index`` run; its summary line is said when it changed anything, its error always."""
    from newssearch.indexer import update_index
    from newssearch.render import human

    try:
        summary = update_index(corpus, folder, progress=progress)
    except NewsSearchError as exc:
        say(f"newssearch: {exc.message}")
        return
    if summary.added or summary.changed or summary.removed or summary.rebuilt or summary.failed:
        out = io.StringIO()
        con = human.console("never", file=out)
        human.problems(con, summary)
        human.index_summary(con, summary)
        say(out.getvalue().rstrip("\n"))
