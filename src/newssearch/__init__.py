"""newssearch: full-text search for news articles kept as files."""

# Nothing before the Ctrl-C handler below (no ``from __future__`` import: it loads a module,
# and a Ctrl-C during it would be a traceback).
import _signal as signal  # the C module: ``signal`` imports enum (~5 ms of every command)
import os
import sys


def _interrupted_while_starting(signum: int, frame: object) -> None:
    """Ctrl-C while the command is still loading its modules: said in a line, exit 130, as
    once it runs (``cli.main`` takes over from here), not as a traceback from inside an import."""
    os.write(2, b"newssearch: interrupted\n")
    os._exit(130)


# Only for the ``newssearch`` command: a program that imports newssearch keeps its own Ctrl-C.
if os.path.basename(sys.argv[0] if sys.argv else "") == "newssearch" and (
    signal.getsignal(signal.SIGINT) is signal.default_int_handler
):
    signal.signal(signal.SIGINT, _interrupted_while_starting)


def __getattr__(name: str) -> str:
    # The version comes from the package metadata, read only when asked for: importing
    # importlib.metadata costs ~30 ms, and start-up time is part of every query.
    if name == "__version__":
        from importlib.metadata import PackageNotFoundError, version

        try:
            return version("newssearch")
        except PackageNotFoundError:  # a source tree that was not installed
            return "0+unknown"
    raise AttributeError(f"module 'newssearch' has no attribute {name!r}")
