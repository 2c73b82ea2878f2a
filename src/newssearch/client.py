"""The ``newssearch`` command's entry point: hand ``query``, ``show``, ``similar`` and ``stats`` to a resident
searcher when one serves the index, else run the command here (README, "A resident searcher").

This module imports nothing beyond what Python has loaded at start-up and two built-in modules
(``_socket``, ``marshal``): a query answered by a server costs a process start and a round trip,
not Typer, Rich and Whoosh. Whatever goes wrong with a server — none, a dead one, one that does
not answer, one running other code — the command runs here instead, silently. Once a server has
started answering, its answer is the command's: output, errors and exit code.

The server answers in a process of its own (``server``) that writes to this process's own
stdin, stdout and stderr, passed over the socket: what it prints is what the command would have
printed here, to the same terminal or pipe, with the same colours and width.

The conversation, each message a 4-byte length and a ``marshal``-ed value:

    client → server   {"op": "run", "argv", "cwd", "env", "code", "streams"}  + file descriptors 0, 1, 2
    server → client   {"here": reason}                       run it yourself (nothing was written)
                      {"pid": N}                             a process is ready to answer
    client → server   {"go": True}                           answer (a late server never writes)
    server → client   {"exit": code}                         done, with the command's exit code
                      {"here": reason}                       (before writing) run it yourself

``{"op": "status"}`` and ``{"op": "stop"}`` are answered with one message each.
"""

import _signal
import _socket
import marshal
import os
import sys

# In the index folder: a name starting with "." is never taken for a user's file there.
SOCKET_NAME = ".newssearch-serve.sock"
LOG_NAME = ".newssearch-serve.log"
PROTOCOL = 1
# The commands a server answers: the ones that only read the index.
SERVED = frozenset({"query", "show", "similar", "stats"})
OFF_VARIABLE = "NEWSSEARCH_NO_SERVER"
# How long a server may take to take a command (it forks a process for it): past this, the
# command runs here, and the server's process, never told to go on, writes nothing.
READY_SECONDS = 3.0
# AF_UNIX addresses are limited to 108 bytes (104 on macOS): a longer one is reached from its folder.
_ADDRESS_MAX = 100


class RunHere(Exception):
    """Raised in a server's answering process before it writes anything: the command needs
    the terminal's own process (a pager reads keys from it), so the client runs it."""


answering = False  # set in a server's answering process


def pager_here() -> None:
    """Hand the command back to the client when a server is answering it: a pager must run in
    the terminal's own process (it reads keys from the terminal)."""
    if answering:
        raise RunHere("a pager")


def main() -> None:
    folder = served_folder(sys.argv[1:])
    if folder is not None:
        code = _ask(folder)
        if code is not None:
            sys.exit(code)
    from newssearch.cli import main as run_here

    run_here()


def served_folder(args: list[str]) -> str | None:
    """The index folder a server may answer this command for, or None: another command, a
    cluster's URL, or ``NEWSSEARCH_NO_SERVER`` set. Options are read as the command reads them
    (``--index DIR``, ``--index=DIR``, ``NEWSSEARCH_INDEX``, ``./index``), up to ``--``. A misread
    costs only speed: the server runs the command as given, on the index the command names."""
    if os.environ.get(OFF_VARIABLE, "") not in ("", "0") or not args or args[0] not in SERVED:
        return None
    location = None
    rest = iter(args[1:])
    for arg in rest:
        if arg == "--":
            break
        if arg == "--index":
            location = next(rest, None)
        elif arg.startswith("--index="):
            location = arg[len("--index=") :]
    if location is None:
        location = os.environ.get("NEWSSEARCH_INDEX") or "index"
    if not location or location.startswith(("http://", "https://")):
        return None
    try:
        return os.path.abspath(location)
    except OSError:  # the working folder is gone: the command says so
        return None


def code_stamp() -> list[tuple[str, int, int]]:
    """What tells one install of newssearch from another: each module's name, time and size.
    A server started before an upgrade (or an edit of a source checkout) is not asked."""
    root = os.path.dirname(os.path.abspath(__file__))
    stamp = []
    for folder, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if d != "__pycache__")
        for name in sorted(files):
            if name.endswith(".py"):
                path = os.path.join(folder, name)
                try:
                    st = os.stat(path)
                except OSError:
                    continue
                stamp.append((path[len(root) :], st.st_mtime_ns, st.st_size))
    return stamp


def connect(folder: str, timeout: float | None) -> "_socket.socket | None":
    """A connection to the server of the index in ``folder``, or None when none listens (or
    this system has no Unix sockets)."""
    if not hasattr(_socket, "AF_UNIX") or not hasattr(_socket, "SCM_RIGHTS"):
        return None
    sock = _socket.socket(_socket.AF_UNIX, _socket.SOCK_STREAM)
    sock.settimeout(timeout)
    try:
        at_address(folder, sock.connect)
    except OSError:
        sock.close()
        return None
    return sock


def at_address(folder: str, call: "object") -> None:
    """``call(address)`` with the socket's address in ``folder``; one too long for AF_UNIX is
    given relative to the folder, from inside it."""
    path = os.path.join(folder, SOCKET_NAME)
    if len(os.fsencode(path)) <= _ADDRESS_MAX:
        call(path)  # type: ignore[operator]
        return
    here = os.open(".", os.O_RDONLY)
    try:
        os.chdir(folder)
        call(SOCKET_NAME)  # type: ignore[operator]
    finally:
        os.fchdir(here)
        os.close(here)


def send(sock: "_socket.socket", message: dict[str, object], fds: list[int] | None = None) -> None:
    data = marshal.dumps(message, 4)
    data = len(data).to_bytes(4, "big") + data
    if fds:
        packed = b"".join(fd.to_bytes(4, sys.byteorder, signed=True) for fd in fds)  # C ints
        sent = sock.sendmsg([data], [(_socket.SOL_SOCKET, _socket.SCM_RIGHTS, packed)])
        data = data[sent:]
    while data:
        data = data[sock.send(data) :]


def receive(sock: "_socket.socket", with_fds: int = 0) -> tuple[dict[str, object] | None, list[int]]:
    """The next message (None when the other side has closed) and the descriptors sent with it."""
    fds: list[int] = []
    if with_fds:
        head, ancillary, _, _ = sock.recvmsg(4, _socket.CMSG_SPACE(with_fds * 4))
        for level, kind, data in ancillary:
            if level == _socket.SOL_SOCKET and kind == _socket.SCM_RIGHTS:
                ints = range(0, len(data) - 3, 4)
                fds.extend(int.from_bytes(data[i : i + 4], sys.byteorder, signed=True) for i in ints)
    else:
        head = sock.recv(4)
    head += _exactly(sock, 4 - len(head)) if head else b""
    if len(head) < 4:
        for fd in fds:
            os.close(fd)
        return None, []
    body = _exactly(sock, int.from_bytes(head, "big"))
    try:
        message = marshal.loads(body)
    except (EOFError, ValueError, TypeError):
        message = None
    return (message if isinstance(message, dict) else None), fds


def _exactly(sock: "_socket.socket", size: int) -> bytes:
    chunks = []
    while size > 0:
        chunk = sock.recv(min(size, 1 << 20))
        if not chunk:
            break
        chunks.append(chunk)
        size -= len(chunk)
    return b"".join(chunks)


def _ask(folder: str) -> int | None:
    """The exit code of the command as a server answered it, or None: run it here."""
    for fd in (0, 1, 2):
        try:
            os.fstat(fd)
        except OSError:  # a closed stream: the command here says what it must
            return None
    sock = connect(folder, READY_SECONDS)
    if sock is None:
        return None
    try:
        send(sock, _request(), fds=[0, 1, 2])
        reply, _ = receive(sock)
        if not reply or "pid" not in reply:
            return None
        pid = reply["pid"]
        send(sock, {"go": True})
    except OSError:  # refused, reset, or too slow to take it: nothing was written
        sock.close()
        return None
    return _follow(sock, pid if isinstance(pid, int) else 0, folder)


def _request() -> dict[str, object]:
    return {
        "op": "run",
        "protocol": PROTOCOL,
        "argv": sys.argv,
        "cwd": os.getcwd(),
        "env": dict(os.environ),
        "code": code_stamp(),
        # The encodings this Python gave its streams, so the server writes what it would have written.
        "streams": [(s.encoding, s.errors) if s else None for s in (sys.stdin, sys.stdout, sys.stderr)],
    }


def _follow(sock: "_socket.socket", pid: int, folder: str) -> int | None:
    """Wait for the answering process's exit code; Ctrl-C and termination reach it as they
    would reach the command run here."""

    def forward(signum: int, frame: object) -> None:
        if pid > 0:
            try:  # noqa: SIM105 - contextlib is one import more for every command
                os.kill(pid, signum)
            except OSError:
                pass

    for name in ("SIGINT", "SIGTERM", "SIGHUP"):
        if hasattr(_signal, name):
            _signal.signal(getattr(_signal, name), forward)
    sock.settimeout(None)
    try:
        reply, _ = receive(sock)
    except OSError:
        reply = None
    finally:
        sock.close()
    if reply is not None and "here" in reply:
        return None
    if reply is None or not isinstance(reply.get("exit"), int):
        where = os.path.relpath(folder)
        where = folder if where.startswith("..") else where
        os.write(
            2,
            f"newssearch: the server of {where} stopped while answering — run the command again "
            f"(with {OFF_VARIABLE}=1 it runs without the server)\n".encode("utf-8", "replace"),
        )
        return 2
    code: int = reply["exit"]  # type: ignore[assignment]
    return code
