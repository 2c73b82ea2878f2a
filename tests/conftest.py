"""Shared fixtures: the shipped seed, scratch corpora, real on-disk indexes, and the real CLI."""

from __future__ import annotations

import fcntl
import itertools
import os
import pty
import shutil
import struct
import subprocess
import sys
import termios
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

# Whoosh is loaded through the embedded engine, as newssearch loads it, so that its patches are in
# before any test imports a Whoosh module of its own (tests/test_whoosh_patches.py).
import newssearch.engines.whoosh  # noqa: F401  (first)
from newssearch.cli import app
from newssearch.indexer import update_index

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "corpus" / "000_f49d05269f99023b.txt"
FIXTURES = Path(__file__).resolve().parent / "fixtures"
AWKWARD = FIXTURES / "awkward"
# The research data sets live beside the repository, never in it (their licences forbid it).
SHARED_DATA = ROOT.parent / "shared" / "data"


@pytest.fixture
def seed_corpus(tmp_path: Path) -> Path:
    """A scratch corpus folder holding a copy of the shipped seed file."""
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    shutil.copy(SEED, corpus / SEED.name)
    return corpus


@pytest.fixture
def seed_index(seed_corpus: Path, tmp_path: Path) -> Path:
    """A real Whoosh index of the seed, on disk."""
    index_dir = tmp_path / "index"
    update_index(seed_corpus, index_dir)
    return index_dir


def _cli_in(folder: Path, monkeypatch: pytest.MonkeyPatch) -> Callable[..., Result]:
    monkeypatch.chdir(folder)
    for name in ("NEWSSEARCH_CORPUS", "NEWSSEARCH_INDEX", "NO_COLOR", "FORCE_COLOR"):
        monkeypatch.delenv(name, raising=False)
    runner = CliRunner()

    def run(*args: str, env: dict[str, str] | None = None) -> Result:
        return runner.invoke(app, list(args), env=env, catch_exceptions=False)

    return run


@pytest.fixture
def cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Callable[..., Result]:
    """Run the real CLI in ``tmp_path`` (so ./corpus and ./index are the scratch ones). A test
    that only reads a module's shared folder moves it there with ``monkeypatch.chdir``."""
    return _cli_in(tmp_path, monkeypatch)


@contextmanager
def cli_in(folder: Path) -> Iterator[Callable[..., Result]]:
    """The CLI run in ``folder`` as ``cli`` runs it, within a ``with`` block: for module-scoped
    fixtures, which cannot use the ``cli`` fixture."""
    with pytest.MonkeyPatch.context() as monkeypatch:
        yield _cli_in(folder, monkeypatch)


@pytest.fixture(scope="module")
def seed_index_once(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A real index of the seed, built once per test module (for tests that only read it); its
    corpus is the ``corpus`` folder beside it."""
    folder = tmp_path_factory.mktemp("seed")
    (folder / "corpus").mkdir()
    shutil.copy(SEED, folder / "corpus" / SEED.name)
    update_index(folder / "corpus", folder / "index")
    return folder / "index"


@pytest.fixture(scope="module")
def awkward_index_once(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A real index of the awkward fixture corpus (accents, brackets, an escape byte, a
    duplicate), built once per test module for tests that only read it; its corpus is the
    ``corpus`` folder beside it."""
    folder = tmp_path_factory.mktemp("awkward")
    shutil.copytree(AWKWARD, folder / "corpus")
    update_index(folder / "corpus", folder / "index")
    return folder / "index"


def run_in_terminal(
    args: list[str], cwd: Path, env: dict[str, str], columns: int = 40, *, stderr_too: bool = False
) -> tuple[int, str, str]:
    """Run the command with stdout (and with ``stderr_too`` stderr, then returned with stdout)
    on a pseudo-terminal ``columns`` wide; (exit code, stdout, stderr). Killed after 60 s."""
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, columns, 0, 0))
    err_to = slave if stderr_too else subprocess.PIPE
    proc = subprocess.Popen(args, stdin=slave, stdout=slave, stderr=err_to, cwd=cwd, env=env)
    os.close(slave)
    timer = threading.Timer(60, proc.kill)
    timer.start()
    chunks = []
    while True:
        try:
            data = os.read(master, 65536)
        except OSError:  # EIO: the child closed the terminal
            break
        if not data:
            break
        chunks.append(data)
    os.close(master)
    err = proc.stderr.read().decode("utf-8", "replace") if proc.stderr is not None else ""
    proc.wait()
    timer.cancel()
    return proc.returncode, b"".join(chunks).decode("utf-8", "replace").replace("\r\n", "\n"), err


def entry_point() -> Path:
    """The installed ``newssearch`` command (beside this Python, else on PATH)."""
    beside = Path(sys.executable).parent / "newssearch"
    found = beside if beside.exists() else (Path(p) if (p := shutil.which("newssearch")) else None)
    if found is None:
        pytest.skip("the newssearch entry point is not installed (pip install -e .)")
    return found


def clean_env(**extra: str) -> dict[str, str]:
    """This process's environment without newssearch's variables and terminal settings."""
    drop = {"NO_COLOR", "FORCE_COLOR", "COLUMNS", "LINES", "TERM"}
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEWSSEARCH_") and k not in drop}
    env.update(extra)
    return env


@pytest.fixture(scope="module")
def scratch(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One folder for the module; Hypothesis examples that need an index make one inside."""
    return tmp_path_factory.mktemp("scratch")


_examples = itertools.count()


def fresh_folder(scratch: Path) -> Path:
    """A new folder (with an empty ``corpus``) for one example's corpus and index.

    Not one index rebuilt over and over: Whoosh names segments with the global ``random``
    module, which Hypothesis reseeds for every example, so a second commit into the same folder
    would reuse the name of a segment that is still there."""
    folder = scratch / f"example-{next(_examples)}"
    (folder / "corpus").mkdir(parents=True)
    return folder


def one_line_error(result: Result) -> str:
    """The stderr of a refused command: one line, a message, no traceback or internal error,
    nothing on stdout."""
    err = result.stderr.strip()
    assert err, "no message on stderr"
    assert "\n" not in err, err
    assert "Traceback" not in err and "internal error" not in err, err
    assert err.startswith("newssearch: "), err
    assert result.stdout == ""
    return err


def subject_archive(root: Path, extra: list[dict[str, str]] | None = None) -> Path:
    """``root/corpus/archive.jsonl``: 150 articles on six subjects, each in its own words, each
    article using a few of them — big enough for feedback (which needs 100 articles) — then
    ``extra``; indexed into ``root/index``, which is returned."""
    import json
    import random

    subjects = [
        "harbour ferry quay dock tide pier vessel crossing port freight",
        "budget council tax vote mayor spending deficit levy ward motion",
        "storm flood rain gale surge levee rescue evacuation shelter debris",
        "election ballot candidate poll campaign turnout runoff recount seat party",
        "hospital nurse ward surgeon clinic waiting patient triage ambulance doctor",
        "school pupil teacher exam classroom curriculum headteacher term lesson grade",
    ]
    rng = random.Random(3)
    (root / "corpus").mkdir(parents=True, exist_ok=True)
    records = []
    for n in range(150):
        words = subjects[n % len(subjects)].split()
        body = " ".join(rng.choice(words) for _ in range(40)) + "."
        records.append({"id": str(n), "title": " ".join(rng.sample(words, 3)).title(), "body": body})
    records += extra or []
    (root / "corpus" / "archive.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records))
    update_index(root / "corpus", root / "index")
    return root / "index"
