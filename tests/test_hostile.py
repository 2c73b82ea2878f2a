"""Hostile and broken input, end to end through the real ``newssearch`` command.

Every case checks what a user would see: a clear message on stderr, the exit code the README's "Exit codes" gives
(0 found / done, 1 nothing matched, 2 usage or query error, 3 index not updated at all), no
traceback, and every good article beside the bad input still indexed and found. Nothing from an
article, a file name or a query may reach a terminal as a raw escape or control character; JSON
keeps such text exactly. Where input is large or pathological, the command runs in a subprocess
that is killed at a deadline, so that a regression fails the test instead of hanging it.
"""

from __future__ import annotations

import gzip
import html
import json
import os
import random
import re
import resource
import shutil
import subprocess
import tempfile
import threading
import time
import traceback
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner, Result

import newssearch.indexer
from conftest import clean_env, entry_point, fresh_folder, one_line_error, run_in_terminal
from newssearch.cli import app

Cli = Callable[..., Result]

GOOD_NAME = "good.txt"
GOOD_TEXT = "Harbour Strike Ends\n\nDockworkers in Mombasa returned to work on Monday.\n"
GOOD_WORD = "mombasa"
# What a command that is expected to finish quickly may take before it counts as hanging (a
# normal run here takes well under two seconds, start-up included; the runaways these bounds
# catch took minutes). Generous: the suite runs two test files at once on two cores, and a
# shared CI machine can be slower still (8 s was once exceeded by 0.07 s under load).
BOUND_S = 20.0
# The address space a subprocess may use: a runaway fails with MemoryError instead of taking
# the machine down with it.
MEMORY_LIMIT = 4 << 30

SETTINGS = settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])


# --------------------------------------------------------------------------- helpers


def invoke(*args: str, env: dict[str, str | None] | None = None) -> Result:
    """The CLI in process (CliRunner), with a known colour environment. An exception that gets
    past the CLI fails the test with its traceback."""
    base: dict[str, str | None] = {
        "NO_COLOR": None,
        "FORCE_COLOR": None,
        "NEWSSEARCH_INDEX": None,
        "NEWSSEARCH_CORPUS": None,
        "NEWSSEARCH_DEBUG": None,
        "TERM": "xterm-256color",
        "COLUMNS": "100",
    }
    result = CliRunner().invoke(app, list(args), env={**base, **(env or {})}, catch_exceptions=True)
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        trace = "".join(traceback.format_exception(result.exception))
        raise AssertionError(f"newssearch {' '.join(map(repr, args))} raised:\n{trace}")
    return result


COLOUR: dict[str, str | None] = {"FORCE_COLOR": "1"}


def no_crash(result: Result) -> None:
    """No traceback and no 'internal error' (the CLI's catch-all for a bug) in the output."""
    for stream in (result.stdout, result.stderr):
        assert "Traceback" not in stream, stream[-2000:]
        assert "internal error" not in stream, stream[-2000:]


def problem_lines(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if line.startswith(("error: ", "warning: "))]


def names_in(index: Path, word: str, *, limit: int = 50) -> list[str]:
    """The file names of the articles ``word`` finds, best first."""
    result = invoke("query", word, "--json", "--limit", str(limit), "--index", str(index))
    no_crash(result)
    assert result.exit_code in (0, 1), result.stderr
    return [Path(hit["path"]).name for hit in json.loads(result.stdout)["results"]]


def total(index: Path, word: str) -> int:
    """How many articles ``word`` finds (``--limit 0``: no article text is printed)."""
    result = invoke("query", word, "--json", "--limit", "0", "--index", str(index))
    no_crash(result)
    assert result.exit_code in (0, 1), result.stderr
    count: int = json.loads(result.stdout)["total"]
    return count


def make_corpus(folder: Path, files: dict[str, str | bytes]) -> Path:
    """``folder/corpus`` holding the good article and ``files``."""
    corpus = folder / "corpus"
    corpus.mkdir(parents=True, exist_ok=True)
    (corpus / GOOD_NAME).write_text(GOOD_TEXT, encoding="utf-8")
    for name, content in files.items():
        path = corpus / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
    return corpus


def index_folder(folder: Path, *extra: str, env: dict[str, str | None] | None = None) -> Result:
    """``newssearch index`` of ``folder/corpus`` into ``folder/index``; it must succeed (exit 0)."""
    result = invoke("index", "--corpus", str(folder / "corpus"), "--index", str(folder / "index"), *extra, env=env)
    no_crash(result)
    assert result.exit_code == 0, result.stderr[-3000:]
    return result


def assert_good_found(index: Path) -> None:
    assert names_in(index, GOOD_WORD) == [GOOD_NAME], "the good article beside the bad input was lost"


# Terminal safety. Rich writes its own SGR sequences (colour) and, for the progress bar, cursor
# controls; everything else that is a control character came from the input.
_C0_BUT_NEWLINE = frozenset(chr(c) for c in range(0x20) if c != 0x0A)
_C1 = frozenset(chr(c) for c in range(0x80, 0xA0))
# Bidirectional overrides and isolates show text in another order than it is (newssearch shows
# them as U+FFFD, like the controls).
_BIDI = frozenset(chr(c) for c in [*range(0x202A, 0x202F), *range(0x2066, 0x206A)])
_CONTROLS = _C0_BUT_NEWLINE | _C1 | {"\x7f"} | _BIDI
RICH_SGR = re.compile(r"\x1b\[[0-9;]*m")
RICH_PROGRESS = re.compile(r"\x1b\[\?25[lh]|\r(?:\x1b\[1A)?\x1b\[2K|\r")


def assert_terminal_safe(text: str, *, colour: bool = False, progress: bool = False) -> None:
    """No raw ESC, BEL, C1 or other C0 control but newline from the input in ``text``. With
    ``colour``, Rich's own SGR sequences are allowed (and ``progress``: its bar's cursor codes);
    the callers then also check that the hostile text is visible as text."""
    assert "\x1b]" not in text, "an OSC sequence (window title, hyperlink) reached the terminal"
    assert "\x07" not in text, "a BEL reached the terminal"
    if progress:
        text = RICH_PROGRESS.sub("", text)
    if colour:
        text = RICH_SGR.sub("", text)
    bad = sorted({c for c in text if c in _CONTROLS})
    assert not bad, f"raw control characters reached the terminal: {bad!r}"


def visible(text: str) -> str:
    """What a reader sees: Rich's colour codes removed, lines and wrapping folded into spaces."""
    return " ".join(RICH_SGR.sub("", text).split())


def json_is_escaped(text: str) -> None:
    """JSON output holds control characters only as escapes, so that ``--json`` printed to a
    terminal is as safe as the human format (README: the same on a terminal or not)."""
    bad = sorted({c for c in text if c in _CONTROLS and c != "\n"})
    assert not bad, f"raw control characters in JSON output: {bad!r}"


# Subprocesses: the installed entry point, its exit code, time and peak memory.


def _limit_memory() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))


@dataclass
class Run:
    code: int | None  # None: killed at the deadline
    out: str
    err: str
    seconds: float
    peak_mb: float


def run_bounded(args: list[str], cwd: Path, timeout: float, env: dict[str, str] | None = None) -> Run:
    """Run ``newssearch *args``; kill it after ``timeout`` seconds. Peak memory is the child's
    own (``wait4``), not that of earlier children."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        started = time.monotonic()
        proc = subprocess.Popen(
            [str(entry_point()), *args],
            cwd=cwd,
            env=env or clean_env(),
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=err,
            preexec_fn=_limit_memory,
        )
        killed = threading.Event()

        def kill() -> None:
            killed.set()
            proc.kill()

        timer = threading.Timer(timeout, kill)
        timer.start()
        _, status, usage = os.wait4(proc.pid, 0)
        timer.cancel()
        seconds = time.monotonic() - started
        proc.returncode = os.waitstatus_to_exitcode(status)  # reaped here, not by Popen
        out.seek(0)
        err.seek(0)
        return Run(
            code=None if killed.is_set() else proc.returncode,
            out=out.read().decode("utf-8", "replace"),
            err=err.read().decode("utf-8", "replace"),
            seconds=seconds,
            peak_mb=usage.ru_maxrss / 1024,
        )


def run_on_terminal(args: list[str], cwd: Path, env: dict[str, str], columns: int = 100) -> tuple[int, str, str]:
    """Run ``newssearch *args`` with stdout on a pseudo-terminal; (exit code, stdout, stderr)."""
    return run_in_terminal([str(entry_point()), *args], cwd, env, columns)


@pytest.fixture(scope="module")
def seed_id(seed_index_once: Path) -> str:
    found = json.loads(invoke("query", "rafah", "--json", "--index", str(seed_index_once)).stdout)
    article_id: str = found["results"][0]["id"]
    return article_id


# ============================================================================ files

_rng = random.Random(20250314)
BINARIES: dict[str, bytes] = {
    "png": b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x01\x00" + _rng.randbytes(4000),
    "gzip": gzip.compress(b"Harbour strike ends after talks. " * 200, mtime=0),
    "pdf": (
        b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Length 900 /Filter /FlateDecode >>\nstream\n"
        + zlib.compress(_rng.randbytes(3000))
        + b"\nendstream\nendobj\n"
    ),
    # No NUL byte at all: nothing but bytes that are never valid UTF-8 on their own.
    "high-bytes": bytes(range(0x80, 0x100)) * 32,
}
TEXT_EXTENSIONS = [".txt", ".md", ".markdown", ".json", ".jsonl", ".ndjson", ".html", ".htm"]


@pytest.mark.parametrize("kind", list(BINARIES))
def test_binary_files_with_text_extensions_are_reported_and_the_rest_indexed(tmp_path: Path, kind: str) -> None:
    """A binary file under every text extension: each is named on stderr (an error, or for bytes
    that merely are not UTF-8 a warning), the run exits 0, the good article is found."""
    names = [f"blob-{kind}{ext}" for ext in TEXT_EXTENSIONS]
    make_corpus(tmp_path, dict.fromkeys(names, BINARIES[kind]))
    result = index_folder(tmp_path)
    assert_terminal_safe(result.stderr)
    lines = problem_lines(result.stderr)
    for name in names:
        assert any(name in line for line in lines), f"{name} is not reported: {lines}"
    if b"\0" in BINARIES[kind]:
        assert all(line.startswith("error: ") and "binary" in line for line in lines), lines
    assert_good_found(tmp_path / "index")


@SETTINGS
@given(data=st.binary(max_size=3000), ext=st.sampled_from(TEXT_EXTENSIONS))
def test_any_bytes_under_any_extension_cost_only_that_file(scratch: Path, data: bytes, ext: str) -> None:
    folder = fresh_folder(scratch)
    make_corpus(folder, {f"bad{ext}": data})
    result = index_folder(folder)
    assert_terminal_safe(result.stderr)
    for line in problem_lines(result.stderr):
        assert f"bad{ext}" in line, line
    assert_good_found(folder / "index")


INVALID_UTF8 = {
    ".txt": b"Cafe Report\n\nThe zqinvalid caf\xe9 opened \xff\xfe again.\n",
    ".md": b"# Cafe Report\n\nThe zqinvalid caf\xe9 opened \xff\xfe again.\n",
    ".json": b'{"title": "Cafe Report", "body": "The zqinvalid caf\xe9 opened \xff\xfe again."}',
    ".jsonl": b'{"title": "Cafe Report", "body": "The zqinvalid caf\xe9 opened \xff\xfe again."}\n',
    ".html": b"<html><body><article><h1>Cafe Report</h1><p>The zqinvalid caf\xe9 opened \xff again.</p>"
    b"</article></body></html>",
}


@pytest.mark.parametrize("ext", list(INVALID_UTF8))
def test_invalid_utf8_is_a_warning_and_the_article_is_kept(tmp_path: Path, ext: str) -> None:
    make_corpus(tmp_path, {f"cafe{ext}": INVALID_UTF8[ext]})
    result = index_folder(tmp_path)
    (line,) = problem_lines(result.stderr)
    assert line.startswith("warning: ") and f"cafe{ext}" in line and "UTF-8" in line, line
    assert names_in(tmp_path / "index", "zqinvalid") == [f"cafe{ext}"]
    assert_good_found(tmp_path / "index")


_PAD = "Filler sentence about the harbour wall. " * 250  # past the first 8 KiB
NUL_FILES: dict[str, str] = {
    "nul-early.txt": "Nul Title\n\nzqnulearly here \0 there\n",
    "nul-late.txt": f"Nul Title\n\n{_PAD}\n\nzqnultxt here \0 there\n",
    "nul-late.md": f"# Nul Title\n\n{_PAD}\n\nzqnulmd here \0 there\n",
    "nul-late.json": '{"title": "Nul Title", "body": "' + _PAD + ' zqnuljson \0 there"}',
    "nul-late.jsonl": (
        '{"title": "Before", "body": "zqnulbefore ' + _PAD + '"}\n'
        '{"title": "Nul", "body": "zqnuljsonl \0 there"}\n'
        '{"title": "After", "body": "zqnulafter"}\n'
    ),
    "nul-late.html": (
        f"<html><body><article><h1>Nul Title</h1><p>{_PAD}</p><p>zqnulhtml \0 there</p></article></body></html>"
    ),
    "nul-escaped.jsonl": '{"title": "Escaped Nul", "body": "zqnulescaped \\u0000 there"}\n',
}


def test_nul_bytes_anywhere_cost_at_most_their_file(tmp_path: Path) -> None:
    """A NUL near the start marks a binary file (an error); one further in is either read (and
    must never reach the terminal raw) or reported. Nothing else is lost: the good article and
    the good lines of a .jsonl beside the broken one are found."""
    make_corpus(tmp_path, dict(NUL_FILES))
    result = index_folder(tmp_path)
    assert_terminal_safe(result.stderr)
    lines = problem_lines(result.stderr)
    assert any(line.startswith("error: nul-early.txt") and "binary" in line for line in lines), lines
    index = tmp_path / "index"
    words = {
        "nul-late.txt": "zqnultxt",
        "nul-late.md": "zqnulmd",
        "nul-late.json": "zqnuljson",
        "nul-late.jsonl": "zqnuljsonl",
        "nul-late.html": "zqnulhtml",
        "nul-escaped.jsonl": "zqnulescaped",
    }
    for name, word in words.items():
        indexed = names_in(index, word) == [name]
        assert indexed or any(name in line for line in lines), f"{name}: neither indexed nor reported"
        if indexed:
            for colour in (None, COLOUR):
                shown = invoke("query", word, "--index", str(index), env=colour)
                assert shown.exit_code == 0
                assert_terminal_safe(shown.stdout + shown.stderr, colour=bool(colour))
    assert names_in(index, "zqnulbefore") == ["nul-late.jsonl"]
    assert names_in(index, "zqnulafter") == ["nul-late.jsonl"]
    assert_good_found(index)


DEEP = 100_000
DEEP_FILES: dict[str, tuple[str, list[str]]] = {
    # name: (content, words that must still be found in that file)
    "unclosed.json": ("[" * DEEP, []),
    "deep-key.json": ('{"title": "Deep", "body": "zqdeepjson", "x": ' + "[" * DEEP + "]" * DEEP + "}", []),
    "deep-line.jsonl": (
        '{"title": "Before", "body": "zqbeforedeep"}\n' + "[" * DEEP + '\n{"title": "After", "body": "zqafterdeep"}\n',
        ["zqbeforedeep", "zqafterdeep"],
    ),
    "deep-front-matter.md": ("---\ntitle: " + "[" * DEEP + "\n---\nThe zqdeepmd body is kept.\n", ["zqdeepmd"]),
    "deep-divs.html": (
        "<html><body><article><h1>Deep Page</h1>"
        + "<div>" * DEEP
        + "<p>zqdeephtml</p>"
        + "</div>" * DEEP
        + "</article></body></html>",
        [],
    ),
    "deep-quotes.md": ("# Deep Quote\n\n" + ">" * DEEP + " zqdeepquote\n", []),
}


def test_deeply_nested_input_is_reported_and_costs_only_its_own_file(tmp_path: Path) -> None:
    make_corpus(tmp_path, {name: content for name, (content, _) in DEEP_FILES.items()})
    started = time.monotonic()
    result = index_folder(tmp_path)
    assert time.monotonic() - started < 60
    lines = problem_lines(result.stderr)
    index = tmp_path / "index"
    for name, (_, words) in DEEP_FILES.items():
        for word in words:
            assert names_in(index, word) == [name], f"{word} of {name} was lost"
    for name in ("unclosed.json", "deep-line.jsonl"):
        assert any(line.startswith("error: " + name) and "nested too deeply" in line for line in lines), lines
    assert_good_found(index)


def test_a_huge_json_list_is_indexed_whole(tmp_path: Path) -> None:
    """2,000 articles in one .json list, one of them carrying a 20 MB value nobody reads."""
    records: list[dict[str, Any]] = [
        {"id": f"r{n}", "title": f"Record {n}", "body": f"Routine filing zqrec{n} of the day."} for n in range(2000)
    ]
    records[1000]["blob"] = "x" * (20 << 20)
    make_corpus(tmp_path, {"huge.json": json.dumps(records)})
    started = time.monotonic()
    result = index_folder(tmp_path, "--json")
    assert time.monotonic() - started < 120
    summary = json.loads(result.stdout)
    assert (summary["articles"], summary["failed"], summary["problems"]) == (2001, 0, [])
    index = tmp_path / "index"
    for n in (0, 1000, 1999):
        assert names_in(index, f"zqrec{n}") == ["huge.json"]
    assert_good_found(index)


@pytest.mark.parametrize("ext", [".jsonl", ".json"])
def test_a_number_with_thousands_of_digits_costs_no_article(tmp_path: Path, ext: str) -> None:
    """JSON allows numbers of any length; Python refuses to convert one of more than 4,300
    digits. In a .jsonl that must cost that line at most (README, "Input formats": a bad line is reported and the
    rest of the file indexed); in a .json the file is valid and its articles are readable."""
    big = "1" * 5000
    records = [
        '{"title": "First", "body": "zqdigitsfirst"}',
        '{"title": "Second", "body": "zqdigitssecond", "count": ' + big + "}",
        '{"title": "Third", "body": "zqdigitsthird"}',
    ]
    content = "\n".join(records) + "\n" if ext == ".jsonl" else "[" + ",\n".join(records) + "]"
    make_corpus(tmp_path, {f"digits{ext}": content})
    result = index_folder(tmp_path)
    assert "please report" not in result.stderr, result.stderr
    index = tmp_path / "index"
    assert names_in(index, "zqdigitsfirst") == [f"digits{ext}"], result.stderr
    assert names_in(index, "zqdigitsthird") == [f"digits{ext}"], result.stderr
    if ext == ".json":
        assert names_in(index, "zqdigitssecond") == [f"digits{ext}"], result.stderr
    assert_good_found(index)


# -- many files, links, permissions, files that change under the run -----------------------------

EMPTY_EXTENSIONS = [".txt", ".md", ".json", ".jsonl", ".html"]


def test_ten_thousand_empty_files_are_done_quickly_and_reported_once_each(tmp_path: Path, cli: Cli) -> None:
    corpus = make_corpus(tmp_path, {})
    for n in range(10_000):
        (corpus / f"empty{n:05d}{EMPTY_EXTENSIONS[n % 5]}").touch()
    started = time.monotonic()
    first = cli("index")
    seconds = time.monotonic() - started
    no_crash(first)
    assert first.exit_code == 0, first.stderr[-2000:]
    assert seconds < 60, f"10,000 empty files took {seconds:.0f} s"
    lines = [line for line in problem_lines(first.stderr) if not line.startswith("warning: … and")]
    named = [line.split(": ", 2)[1].split(":")[0] for line in lines]
    assert len(named) == len(set(named)), "a file is reported more than once"
    assert all(re.fullmatch(r"empty\d{5}\.\w+", name) for name in named), named[:5]
    # Every empty file is one warning, whatever its format; the terminal lists the first ones
    # and counts the rest, and --json lists them all.
    assert 100 <= len(lines) <= 300 and all(line.endswith("empty file; nothing to index") for line in lines)
    assert first.stderr.rstrip().splitlines()[-1].startswith(f"warning: … and {10_000 - len(lines):,} more problems")
    second = cli("index", "--json")
    summary = json.loads(second.stdout)
    assert (summary["articles"], summary["files"]) == (1, 1)
    assert summary["added"] + summary["changed"] + summary["unchanged"] + summary["failed"] == 10_001
    assert len(summary["problems"]) == 10_000
    assert {(p["level"], p["reason"]) for p in summary["problems"]} == {("warning", "empty file; nothing to index")}
    assert_good_found(tmp_path / "index")


def test_symlink_loops_end_and_are_reported(tmp_path: Path) -> None:
    """A folder linked to its parent, a folder linked to itself, and two file links pointing at
    each other: the run ends, the looped files are named, every article is indexed once."""
    corpus = make_corpus(tmp_path, {"desk/story.txt": "Desk Story\n\nThe zqdeskstory was filed.\n"})
    (corpus / "desk" / "up").symlink_to("..", target_is_directory=True)
    (corpus / "self").symlink_to(".", target_is_directory=True)
    (corpus / "a.txt").symlink_to("b.txt")
    (corpus / "b.txt").symlink_to("a.txt")
    run = run_bounded(["index"], tmp_path, timeout=BOUND_S * 3)
    assert run.code == 0, (run.code, run.err[-2000:])
    assert "Traceback" not in run.err
    lines = problem_lines(run.err)
    for name in ("a.txt", "b.txt"):
        assert any(line.startswith(f"error: {name}:") for line in lines), lines
    index = tmp_path / "index"
    assert names_in(index, "zqdeskstory") == ["story.txt"]
    assert_good_found(index)


def test_a_file_that_refuses_to_be_read_is_reported_and_the_rest_indexed(
    tmp_path: Path, cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A file without read permission (chmod 000), simulated so that it also holds when the
    tests run as root (CI does), who reads files whatever their mode: reading it raises
    PermissionError."""
    make_corpus(tmp_path, {"locked.txt": "Locked Story\n\nThe zqlocked text.\n"})
    real = Path.read_bytes

    def read_bytes(self: Path) -> bytes:
        if self.name == "locked.txt":
            raise PermissionError(13, "Permission denied", str(self))
        return real(self)

    with monkeypatch.context() as patch:
        patch.setattr(Path, "read_bytes", read_bytes)
        result = cli("index")
    no_crash(result)
    assert result.exit_code == 0
    (line,) = problem_lines(result.stderr)
    assert line == "error: locked.txt: cannot read: Permission denied", line
    assert names_in(tmp_path / "index", "zqlocked") == []
    assert_good_found(tmp_path / "index")


def _after_scan(monkeypatch: pytest.MonkeyPatch, act: Callable[[Path], object]) -> None:
    """Run ``act(corpus)`` between the indexer's scan of the folder and its reading of files."""
    real = newssearch.indexer.scan_corpus

    def scan(corpus_dir: Path, **options: Any) -> Any:
        found = real(corpus_dir, **options)
        act(corpus_dir)
        return found

    monkeypatch.setattr(newssearch.indexer, "scan_corpus", scan)


def _index_deleting_after_scan(cli: Cli, monkeypatch: pytest.MonkeyPatch, name: str) -> None:
    """``newssearch index`` with the corpus file ``name`` deleted after the scan: the run ends
    well and reports that one file, and only it, as unreadable."""
    with monkeypatch.context() as patch:
        _after_scan(patch, lambda corpus: (corpus / name).unlink())
        result = cli("index")
    no_crash(result)
    assert result.exit_code == 0
    (line,) = problem_lines(result.stderr)
    assert line.startswith(f"error: {name}: cannot read"), line


def test_a_file_deleted_between_scan_and_read_is_reported_and_the_rest_indexed(
    tmp_path: Path, cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_corpus(tmp_path, {"gone.txt": "Gone Story\n\nThe zqgone text.\n"})
    _index_deleting_after_scan(cli, monkeypatch, "gone.txt")
    index = tmp_path / "index"
    assert names_in(index, "zqgone") == []
    assert_good_found(index)
    again = cli("index", "--json")
    assert again.exit_code == 0 and json.loads(again.stdout)["problems"] == []


def test_a_changed_file_deleted_between_scan_and_read_keeps_its_articles_until_gone(
    tmp_path: Path, cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    corpus = make_corpus(tmp_path, {"draft.txt": "Draft Story\n\nThe zqdraftone text.\n"})
    assert cli("index").exit_code == 0
    (corpus / "draft.txt").write_text("Draft Story\n\nThe zqdrafttwo text, longer now.\n")
    _index_deleting_after_scan(cli, monkeypatch, "draft.txt")
    index = tmp_path / "index"
    assert names_in(index, "zqdraftone") == ["draft.txt"]  # "the next run tries again"
    assert cli("index").exit_code == 0
    assert names_in(index, "zqdraftone") == [] and names_in(index, "zqdrafttwo") == []
    assert_good_found(index)


REWRITTEN = "Live Story\n\nThe zqlivenew text, rewritten at length.\n"


def test_a_file_changed_between_scan_and_read_is_indexed_as_it_is_now(
    tmp_path: Path, cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_corpus(tmp_path, {"live.txt": "Live Story\n\nThe zqliveold text.\n"})
    with monkeypatch.context() as patch:
        _after_scan(patch, lambda corpus: (corpus / "live.txt").write_text(REWRITTEN))
        first = cli("index")
    no_crash(first)
    assert first.exit_code == 0
    index = tmp_path / "index"
    assert (names_in(index, "zqliveold"), names_in(index, "zqlivenew")) == ([], ["live.txt"])
    second = cli("index", "--json")
    assert second.exit_code == 0 and json.loads(second.stdout)["failed"] == 0
    assert (names_in(index, "zqliveold"), names_in(index, "zqlivenew")) == ([], ["live.txt"])
    assert_good_found(index)


def test_a_file_changed_after_it_was_read_is_picked_up_by_the_next_run(
    tmp_path: Path, cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    corpus = make_corpus(tmp_path, {"live.txt": "Live Story\n\nThe zqliveold text.\n"})
    real = newssearch.indexer.read_bytes

    def read_then_change(data: bytes, relpath: str) -> Any:
        read = real(data, relpath)
        if relpath == "live.txt":
            (corpus / "live.txt").write_text(REWRITTEN)
        return read

    with monkeypatch.context() as patch:
        patch.setattr(newssearch.indexer, "read_bytes", read_then_change)
        first = cli("index")
    no_crash(first)
    assert first.exit_code == 0
    index = tmp_path / "index"
    assert (names_in(index, "zqliveold"), names_in(index, "zqlivenew")) == (["live.txt"], [])
    second = cli("index", "--json")
    assert second.exit_code == 0 and json.loads(second.stdout)["changed"] == 1
    assert (names_in(index, "zqliveold"), names_in(index, "zqlivenew")) == ([], ["live.txt"])
    assert_good_found(index)


def test_a_file_name_that_is_not_utf8_costs_at_most_that_file(tmp_path: Path, cli: Cli) -> None:
    """A Latin-1 file name (an old archive unpacked on Linux): the name cannot be decoded, the
    article in it can. The run must not fail as a whole, and the index must stay usable."""
    corpus = make_corpus(tmp_path, {})
    with open(os.fsencode(corpus) + b"/caf\xe9.txt", "wb") as f:
        f.write(b"Cafe Story\n\nThe zqlatinname baristas.\n")
    result = cli("index")
    no_crash(result)
    assert result.exit_code == 0, result.stderr
    assert_terminal_safe(result.stderr)
    index = tmp_path / "index"
    assert_good_found(index)
    assert total(index, "zqlatinname") == 1 or any("caf" in line for line in problem_lines(result.stderr))


def test_a_dashed_line_with_a_long_run_of_spaces_is_read_in_bounded_time(tmp_path: Path) -> None:
    """A body line that starts like a dashed subheading (``- …``) and holds a long run of
    blanks, as text laid out with spaces does: 50 KB of it must not take quadratic time."""
    make_corpus(tmp_path, {"layout.txt": "Laid Out Story\n\n- zqlaidout" + " " * 50_000 + "end\n"})
    run = run_bounded(["index"], tmp_path, timeout=BOUND_S)
    assert run.code is not None, f"indexing one 50 KB line did not finish in {BOUND_S:.0f} s"
    assert run.code == 0, run.err[-2000:]
    index = tmp_path / "index"
    assert names_in(index, "zqlaidout") == ["layout.txt"]
    assert_good_found(index)


# ============================================================================ hostile text

# Rich markup, ANSI SGR, OSC 8 (hyperlink) and OSC 0 (window title) sequences, C1 CSI, C0 and C1
# controls, DEL, bidi overrides. No white space but plain spaces, so that readers, which fold
# runs of white space, keep it exactly.
PAYLOAD = (
    "[bold]B[/] [link=http://x]L[/link] [/bold red] \x1b[31mRED\x1b[0m "
    "\x1b]8;;http://evil\x1b\\click\x1b]8;;\x1b\\ \x1b]0;title\x07 \x9b31m \x01\x08\x7f\x90\x9d \u202eevil\u202c"
)
# What must be visible, as written, wherever the payload is shown.
PAYLOAD_TEXT = ["[bold]B[/]", "[link=http://x]L[/link]", "[/bold red]", "[31mRED", "]8;;http://evil", "]0;title"]
# A file name cannot hold "/" or NUL.
NAME_PAYLOAD = "[bold]n \x1b[31mR\x07 \x1b]0;t\x07 \u202eevil \x9b\x01"
NAME_TEXT = ["[bold]n", "[31mR", "]0;t"]
FEED_NAME = f"feed {NAME_PAYLOAD}.jsonl"
PLAIN_NAME = f"plain {NAME_PAYLOAD}.txt"
BINARY_NAME = f"binary {NAME_PAYLOAD}.json"


def _yaml(text: str) -> str:
    """``text`` as a YAML double-quoted scalar."""
    return '"' + "".join(c if c.isprintable() and c not in '"\\' else f"\\u{ord(c):04x}" for c in text) + '"'


HOSTILE_FILES: dict[str, str | bytes] = {
    FEED_NAME: json.dumps(
        {
            "id": "hostile-1",
            "title": "Zorblax " + PAYLOAD,
            "body": f"Zorblax body {PAYLOAD}\n\nSecond zorblax paragraph {PAYLOAD}",
            "captions": ["Zorblax caption " + PAYLOAD],
            "source": "Src " + PAYLOAD,
            "url": "http://example.com/\x1b]0;u\x07",
            "tags": ["tag " + PAYLOAD],
            "date": "\x1b]0;date\x07 [bold]soon[/]",
            "sections": [{"heading": "Head " + PAYLOAD, "text": "Section zorblax " + PAYLOAD}],
        }
    )
    + "\n{broken \x1b]0;line\x07\n",
    PLAIN_NAME: f"Quokka {PAYLOAD}\n\nQuokka body {PAYLOAD}\n",
    BINARY_NAME: b"\x00\x01\x02binary",
    "wombat.md": (
        f"---\ntitle: {_yaml('Wombat ' + PAYLOAD)}\nsource: {_yaml('Md ' + PAYLOAD)}\n---\n"
        f"Wombat body {PAYLOAD}\n\n![alt](w.jpg)\n*Wombat caption {PAYLOAD}*\n\n## Wombat heading {PAYLOAD}\n\nMore.\n"
    ),
    "numbat.html": (
        f'<html><head><meta property="og:site_name" content="{html.escape("Site " + PAYLOAD)}"></head><body>'
        f"<article><h1>Numbat {html.escape(PAYLOAD)}</h1><p>Numbat body {html.escape(PAYLOAD)}</p>"
        f"<figure><figcaption>Numbat caption {html.escape(PAYLOAD)}</figcaption></figure></article></body></html>"
    ),
}
# The word each hostile article is found by, and whether the payload survives its reader whole.
HOSTILE_WORDS = {"zorblax": (FEED_NAME, True), "quokka": (PLAIN_NAME, True), "wombat": ("wombat.md", False)}
HOSTILE_WORDS["numbat"] = ("numbat.html", False)


@dataclass
class Hostile:
    index: Path
    runs: dict[str, Result]
    ids: dict[str, str]


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> Hostile:
    folder = tmp_path_factory.mktemp("hostile")
    make_corpus(folder, HOSTILE_FILES)
    runs = {
        "plain": index_folder(folder),
        "colour": index_folder(folder, "--rebuild", env=COLOUR),
        "json": index_folder(folder, "--json"),
    }
    index = folder / "index"
    ids = {}
    for word in HOSTILE_WORDS:
        found = json.loads(invoke("query", word, "--json", "--index", str(index)).stdout)["results"]
        assert len(found) == 1, (word, [hit["path"] for hit in found])
        ids[word] = found[0]["id"]
    return Hostile(index, runs, ids)


@pytest.mark.parametrize("mode", ["plain", "colour"])
def test_index_problems_show_hostile_names_and_values_as_text(hostile: Hostile, mode: str) -> None:
    result = hostile.runs[mode]
    assert bool(RICH_SGR.search(result.stderr)) == (mode == "colour")
    assert_terminal_safe(result.stderr, colour=mode == "colour", progress=mode == "colour")
    assert_terminal_safe(result.stdout, colour=mode == "colour")
    lines = [visible(line) for line in problem_lines(RICH_PROGRESS.sub("", RICH_SGR.sub("", result.stderr)))]
    for prefix in ("binary ", "feed "):
        (line, *_) = [line for line in lines if line.split(": ", 1)[1].startswith(prefix)]
        assert all(part in line for part in NAME_TEXT), line
    assert any("[bold]soon[/]" in line and "]0;date" in line for line in lines), lines


@pytest.mark.parametrize("mode", ["plain", "colour"])
@pytest.mark.parametrize("word", list(HOSTILE_WORDS))
def test_query_shows_hostile_text_as_text(hostile: Hostile, word: str, mode: str) -> None:
    result = invoke("query", word, "--index", str(hostile.index), env=COLOUR if mode == "colour" else None)
    no_crash(result)
    assert result.exit_code == 0, result.stderr
    assert bool(RICH_SGR.search(result.stdout)) == (mode == "colour")
    assert_terminal_safe(result.stdout, colour=mode == "colour")
    assert_terminal_safe(result.stderr, colour=mode == "colour")
    shown = visible(result.stdout)
    name, whole = HOSTILE_WORDS[word]
    for part in PAYLOAD_TEXT if whole else PAYLOAD_TEXT[:1]:
        assert part in shown, f"{part!r} is not shown as written"
    if whole:
        assert all(part in shown for part in NAME_TEXT), "the file name is not shown as written"
    if word == "zorblax":
        assert "Src [bold]B[/]" in visible(result.stdout + result.stderr)  # the source, and its facet line


@pytest.mark.parametrize("mode", ["plain", "colour"])
@pytest.mark.parametrize("word", list(HOSTILE_WORDS))
def test_show_displays_hostile_text_as_text(hostile: Hostile, word: str, mode: str) -> None:
    args = ["show", hostile.ids[word], "--highlight", word, "--index", str(hostile.index)]
    result = invoke(*args, env=COLOUR if mode == "colour" else None)
    no_crash(result)
    assert result.exit_code == 0, result.stderr
    assert bool(RICH_SGR.search(result.stdout)) == (mode == "colour")
    assert_terminal_safe(result.stdout + result.stderr, colour=mode == "colour")
    shown = visible(result.stdout)
    _, whole = HOSTILE_WORDS[word]
    for part in PAYLOAD_TEXT if whole else PAYLOAD_TEXT[:1]:
        assert part in shown, f"{part!r} is not shown as written"


def test_query_json_keeps_hostile_text_exactly(hostile: Hostile) -> None:
    (hit,) = json.loads(invoke("query", "zorblax", "--json", "--index", str(hostile.index)).stdout)["results"]
    assert hit["title"] == "Zorblax " + PAYLOAD
    assert hit["source"] == "Src " + PAYLOAD
    assert Path(hit["path"]).name == FEED_NAME
    assert {m["text"] for m in hit["matches"]} >= {"Zorblax " + PAYLOAD, "Zorblax body " + PAYLOAD}
    lines = invoke("query", "quokka", "--jsonl", "--index", str(hostile.index)).stdout.splitlines()
    (plain,) = [json.loads(line) for line in lines]
    assert (plain["title"], Path(plain["path"]).name) == ("Quokka " + PAYLOAD, PLAIN_NAME)


def test_show_json_keeps_hostile_text_exactly(hostile: Hostile) -> None:
    shown = json.loads(invoke("show", hostile.ids["zorblax"], "--json", "--index", str(hostile.index)).stdout)
    assert shown["title"] == "Zorblax " + PAYLOAD
    assert shown["source"] == "Src " + PAYLOAD
    assert shown["url"] == "http://example.com/\x1b]0;u\x07"
    assert shown["tags"] == ["tag " + PAYLOAD]
    assert [c["text"] for c in shown["captions"]] == ["Zorblax caption " + PAYLOAD]
    assert [s["heading"] for s in shown["sections"]] == [None, "Head " + PAYLOAD]
    paragraphs = [p["text"] for s in shown["sections"] for p in s["paragraphs"]]
    expected = ["Zorblax body ", "Second zorblax paragraph ", "Section zorblax "]
    assert paragraphs == [start + PAYLOAD for start in expected]


def test_index_json_keeps_hostile_names_exactly(hostile: Hostile) -> None:
    problems = json.loads(hostile.runs["json"].stdout)["problems"]
    assert {p["path"] for p in problems} == {FEED_NAME, BINARY_NAME}
    assert any("\x1b]0;date\x07" in p["reason"] or "\\x1b]0;date" in p["reason"] for p in problems)


def test_json_output_holds_control_characters_only_as_escapes(hostile: Hostile) -> None:
    """``json.dumps(ensure_ascii=False)`` escapes C0 controls but writes DEL and C1 controls
    (U+0080–U+009F, among them CSI U+009B) raw, and JSON goes to terminals too."""
    index = str(hostile.index)
    outputs = {
        "query --json": invoke("query", "zorblax", "--json", "--index", index).stdout,
        "query --jsonl": invoke("query", "zorblax", "--jsonl", "--index", index).stdout,
        "show --json": invoke("show", hostile.ids["zorblax"], "--json", "--index", index).stdout,
        "index --json": hostile.runs["json"].stdout,
    }
    for name, out in outputs.items():
        assert "\x1b" not in out and "\x07" not in out, name
        json_is_escaped(out)


def test_hostile_query_option_and_id_text_is_echoed_as_text(hostile: Hostile) -> None:
    index = str(hostile.index)
    for args in (
        ["query", "zqnothing " + PAYLOAD],
        ["query", "zqnothing \x1b]0;title\x07 \x9b31m"],
        ["query", "zorblax", "--source", PAYLOAD],
        ["query", "zorblax", "--since", PAYLOAD],
        ["show", PAYLOAD],
        ["show", hostile.ids["zorblax"], "--highlight", "(" + PAYLOAD],
    ):
        for colour in (None, COLOUR):
            result = invoke(*args, "--index", index, env=colour)
            no_crash(result)
            assert result.exit_code in (0, 1, 2), args
            assert result.stderr.strip(), f"{args}: nothing said on stderr"
            assert_terminal_safe(result.stdout + result.stderr, colour=bool(colour))


@pytest.mark.parametrize(
    "args",
    [
        ["index", "--corpus", "nowhere \x1b]0;title\x07 \x9b31m \x1b[31mred"],
        ["query", "rafah", "--index", "nowhere \x1b]0;title\x07 \x9b31m \x1b[31mred"],
        ["stats", "--index", "nowhere \x1b]0;title\x07 \x9b31m \x1b[31mred"],
        ["show", "abc", "--index", "nowhere \x1b]0;title\x07 \x9b31m \x1b[31mred"],
    ],
    ids=["index --corpus", "query --index", "stats --index", "show --index"],
)
def test_a_hostile_folder_name_in_an_error_is_shown_as_text(tmp_path: Path, cli: Cli, args: list[str]) -> None:
    result = cli(*args)
    assert result.exit_code == 2
    assert "nowhere" in one_line_error(result)
    assert_terminal_safe(result.stderr)


def test_a_real_terminal_never_gets_raw_escapes_from_articles(hostile: Hostile, tmp_path: Path) -> None:
    env = clean_env(TERM="xterm-256color")
    for args in (
        ["query", "zorblax OR quokka OR wombat OR numbat"],
        ["show", hostile.ids["zorblax"], "--highlight", "zorblax", "--no-pager"],  # the pager is less's output
        ["query", "zorblax", "--passages"],
    ):
        code, out, err = run_on_terminal([*args, "--index", str(hostile.index)], tmp_path, env)
        assert code == 0, err
        assert RICH_SGR.search(out), "a terminal gets colour"
        assert_terminal_safe(out, colour=True)
        assert_terminal_safe(err)
        assert "[link=http://x]L[/link]" in visible(out)


# Hypothesis: hostile fragments among arbitrary characters, in every field a reader keeps.
FRAGMENTS = [
    "[bold]", "[/]", "[/bold red]", "[link=http://x]", "[/link]", "[red on white]", "[", "]", "\\[", ":smile:",
    "\x1b", "\x1b[31m", "\x1b[2J", "\x1b]0;title\x07", "\x1b]8;;http://evil\x1b\\", "\x1bP", "\x9b", "\x9b31m",
    "\x90", "\x9d", "\x07", "\x08", "\x7f", "\x00", "\r", "\u202e", "\u202d", "\u2066", "\u200b", "\ufeff",
    "%s", "{0}", "word",
]  # fmt: skip
hostile_text = st.lists(
    st.one_of(st.sampled_from(FRAGMENTS), st.text(st.characters(codec="utf-8"), max_size=6)),
    max_size=8,
).map("".join)
name_text = st.lists(
    st.one_of(
        st.sampled_from([f for f in FRAGMENTS if "/" not in f and "\x00" not in f]),
        st.text(st.characters(codec="utf-8", exclude_characters="/\x00"), max_size=4),
    ),
    max_size=5,
).map("".join)


def _runs(text: str) -> list[str]:
    """The printable stretches of ``text`` (split at control characters), white space folded."""
    pieces = re.split("[" + re.escape("".join(sorted(_CONTROLS))) + "]", text)
    return [" ".join(p.split()) for p in pieces if p.strip()]


@SETTINGS
@example(title="[bold]x[/] \x1b[31m", body="\x1b]0;t\x07", caption="\x9b31m", source="[/]", name="\x1b[1m")
@given(title=hostile_text, body=hostile_text, caption=hostile_text, source=hostile_text, name=name_text)
def test_generated_hostile_text_is_shown_as_text_and_kept_exactly_in_json(
    scratch: Path, title: str, body: str, caption: str, source: str, name: str
) -> None:
    folder = fresh_folder(scratch)
    file_name = f"zq{name}.jsonl"
    record: dict[str, Any] = {
        "title": f"Zqtitle {title}",
        "body": f"Zqbody {body}",
        "captions": [f"Zqcaption {caption}"],
        "source": f"Src {source}",
    }
    make_corpus(folder, {file_name: json.dumps(record) + "\n"})
    indexed = index_folder(folder)
    assert_terminal_safe(indexed.stderr)
    index = str(folder / "index")
    data = json.loads(invoke("query", "zqtitle", "--json", "--index", index).stdout)
    (hit,) = data["results"]
    assert hit["title"] == " ".join(record["title"].split())
    assert hit["source"] == (" ".join(record["source"].split()) or None)
    assert Path(hit["path"]).name == file_name
    for colour in (None, COLOUR):
        for args in (["query", "zqtitle"], ["show", hit["id"], "--highlight", "zqtitle"]):
            result = invoke(*args, "--index", index, env=colour)
            no_crash(result)
            assert result.exit_code == 0, result.stderr
            assert bool(RICH_SGR.search(result.stdout)) == bool(colour)
            assert_terminal_safe(result.stdout + result.stderr, colour=bool(colour))
            if colour is None:
                shown = " ".join(result.stdout.split())
                for run in _runs(hit["title"]):
                    assert run in shown, f"{run!r} of the title is not shown as written"


# ============================================================================ queries

QUERY_CASES: list[tuple[str, set[int]]] = [
    ("", {2}),
    ("   ", {2}),
    ("\t \u00a0 \u3000", {2}),
    ("the of and", {1}),
    ("!!! ... ,,, ;;", {2}),
    ("—–…", {2}),
    ('"rafah crossing', {2}),
    ('rafah "crossing', {2}),
    ("\u201crafah crossing", {2}),
    ("(rafah", {2}),
    ("rafah)", {2}),
    ("((rafah)", {2}),
    ("*", {0, 1}),
    ("?", {2}),
    ("???", {2}),
    ("rafah?", {0}),
    ("foo:bar", {2}),
    ("author:smith", {2}),
    ("Title:rafah", {2}),
    ("title:", {2}),
    ("title: rafah", {2}),
    ("caption:", {2}),
    ("AND", {2}),
    ("OR", {2}),
    ("NOT", {2}),
    ("rafah AND", {2}),
    ("OR rafah", {2}),
    ("rafah NOT", {2}),
    ("AND OR NOT", {2}),
    ("-rafah", {2}),
    ("date:[2025 TO", {2}),
    ("date:[yesterday TO tomorrow]", {2}),
]


@pytest.mark.parametrize(("text", "codes"), QUERY_CASES, ids=[repr(t) for t, _ in QUERY_CASES])
def test_awkward_queries_get_the_spec_exit_code_and_a_message(
    seed_index_once: Path, text: str, codes: set[int]
) -> None:
    for extra in ([], ["--json"], ["--any"], ["--passages"]):
        result = invoke("query", "--index", str(seed_index_once), *extra, "--", text)
        no_crash(result)
        assert result.exit_code in codes, (extra, result.exit_code, result.stderr)
        if result.exit_code == 2:
            one_line_error(result)
        elif "--json" not in extra:
            assert result.stderr.strip(), "a count or 'no articles match' belongs on stderr"
        assert_terminal_safe(result.stdout + result.stderr)


@pytest.mark.parametrize(
    "text",
    ["NOT NOT rafah", "rafah NOT NOT gaza", "(" * 5000 + "rafah" + ")" * 5000],
    ids=["NOT NOT", "x NOT NOT y", "5000 ("],
)
def test_refused_queries_say_why_in_words_not_in_python(seed_index_once: Path, text: str) -> None:
    """A refusal is a sentence with a way out (STYLE), not a Python exception's own text."""
    result = invoke("query", "--index", str(seed_index_once), "--", text)
    assert result.exit_code in (0, 1, 2)
    if result.exit_code == 2:
        err = one_line_error(result)
        for leak in ("index out of range", "recursion depth", "object has no attribute", "NoneType", "Error"):
            assert leak not in err, err


LONG_QUERIES = {
    "words": " ".join(["rafah", "crossing", "gaza", "egypt", "border"] * 2000)[:10_000],
    "one word": "a" * 10_000,
    "one phrase": '"' + ("rafah crossing " * 700)[:9_998] + '"',
    "ORs": " OR ".join(["rafah"] * 2000)[:10_000],
    "exclusions": ("rafah " + " ".join(f"-w{n}" for n in range(2000)))[:10_000],
    "stars": "*" * 10_000,
    "prefixes": " ".join(f"r{c}*" for c in "abcdefghijklmnopqrstuvwxyz" * 100)[:10_000],
    "quotes": '"' * 10_000,
    "brackets": "[" * 10_000,
}


@pytest.mark.parametrize("shape", list(LONG_QUERIES))
def test_ten_thousand_character_queries_finish_with_an_answer(seed_index_once: Path, shape: str) -> None:
    text = LONG_QUERIES[shape]
    assert 9_900 <= len(text) <= 10_000
    started = time.monotonic()
    result = invoke("query", "--json", "--index", str(seed_index_once), "--", text)
    seconds = time.monotonic() - started
    no_crash(result)
    assert result.exit_code in (0, 1, 2)
    if result.exit_code == 2:
        one_line_error(result)
    else:
        json.loads(result.stdout)
    assert seconds < 30, f"a 10,000-character query ({shape}) took {seconds:.0f} s"


def test_a_huge_fuzzy_edit_distance_is_answered_in_bounded_time(seed_index_once: Path, tmp_path: Path) -> None:
    """``word~999``: README offers 1 or 2 edits. Whatever the answer (a refusal, or a capped
    distance), it must come quickly and without eating the machine's memory."""
    run = run_bounded(["query", "crossing~999", "--index", str(seed_index_once)], tmp_path, timeout=BOUND_S)
    assert run.code is not None, f"`query crossing~999` did not finish in {BOUND_S:.0f} s"
    assert run.code in (0, 1, 2), run.err
    assert "Traceback" not in run.err
    if run.code == 2:
        assert run.err.startswith("newssearch: ") and run.err.count("\n") == 1, run.err


@pytest.mark.parametrize("text", ["rafah~999", "rafah~1e5"])
def test_a_fuzzy_distance_is_not_silently_read_as_another_word(seed_index_once: Path, text: str) -> None:
    """Whoosh reads ``rafah~999`` as ``rafah~9`` AND a word ``99``: one fuzzy word then reports
    "no article has all the words" and searches for something else (README: a query that cannot
    be read is refused rather than silently searched for something else)."""
    result = invoke("query", "--json", "--index", str(seed_index_once), "--", text)
    no_crash(result)
    if result.exit_code == 2:
        one_line_error(result)
        return
    assert result.exit_code in (0, 1)
    assert json.loads(result.stdout)["relaxed"] is False, "one word was read as two"


@pytest.mark.parametrize("text", ["rafah~1/2", "rafah~2^2", "rafah~", "http://example.com/~user"])
def test_fuzzy_forms_whoosh_reads_and_tildes_in_text_are_not_refused(seed_index_once: Path, text: str) -> None:
    """``word~N/P`` (P letters must match first) and ``word~N^boost`` are Whoosh's own syntax,
    and a ``~`` inside a pasted address is no fuzzy word at all."""
    result = invoke("query", "--json", "--index", str(seed_index_once), "--", text)
    no_crash(result)
    assert result.exit_code in (0, 1), result.stderr


SYNTAX = ['"', "(", ")", "*", "?", "~", ":", "^", "-", "+", "[", "]", "{", "}", "\\", "/", " ", "'", "\u201c", "\u2019"]
TOKENS = [
    "rafah", "crossing", "gaza", "the", "AND", "OR", "NOT", "ANDNOT", "ANDMAYBE", "TO", "title:", "section:",
    "caption:", "body:", "source:", "date:", "tags:", "foo:", "Title:", "2025", "~2", "~", "*", "\x1b[31m",
    "\x1b]0;t\x07", "\x9b", "\u202e", "[bold]", "[/]", "\x00", "\t", "\n",
]  # fmt: skip
query_text = st.one_of(
    st.text(st.characters(codec="utf-8"), max_size=60),
    st.lists(st.one_of(st.sampled_from(TOKENS), st.sampled_from(SYNTAX)), max_size=14).map("".join),
    st.lists(st.sampled_from(TOKENS), max_size=8).map(" ".join),
)
_FUZZY = re.compile(r"~(\d+)")


def _tame_fuzzy(text: str) -> str:
    """Edit distances of 3 and more are one test of their own (exponential cost, see above):
    here they are capped at 2, so that a generated query cannot hang the run."""
    return _FUZZY.sub(lambda m: "~" + m.group(1)[:1] if m.group(1)[:1] in "012" else "~2", text)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@example(text="NOT NOT rafah", mode="human")
@example(text="\x1b[31m(", mode="human")
@given(
    text=query_text.map(_tame_fuzzy),
    mode=st.sampled_from(["human", "colour", "--json", "--any", "--passages", "--in=title", "highlight"]),
)
def test_generated_query_text_exits_0_1_or_2_with_a_message(
    seed_index_once: Path, seed_id: str, text: str, mode: str
) -> None:
    index = str(seed_index_once)
    if mode == "highlight":
        result = invoke("show", seed_id, "--index", index, "--highlight", text)
    else:
        flags = {"human": [], "colour": []}.get(mode, [mode])
        result = invoke("query", "--index", index, *flags, "--", text, env=COLOUR if mode == "colour" else None)
    no_crash(result)
    assert result.exit_code in (0, 1, 2), (result.exit_code, result.stderr)
    if result.exit_code == 2:
        one_line_error(result)
    elif mode == "--json":
        json.loads(result.stdout)
    if mode != "--json":
        assert_terminal_safe(result.stdout + result.stderr, colour=mode == "colour")


# ============================================================================ 50 MB on one line
# Last in the file: the slowest fixture, and 150 MB written to disk that later tests need not wait behind.

BIG_BYTES = 50 << 20
# Mostly punctuation, so that the tokenizer has little to do and the test measures reading,
# parsing and storing a 50 MB line, not Whoosh's per-word speed (about 1 MB/s of prose).
_CHUNK = "-=" * 499 + " zqfiller "


@dataclass
class BigFolder:
    folder: Path
    run: Run
    sizes: dict[str, int] = field(default_factory=dict)


@pytest.fixture(scope="module")
def big_folder(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BigFolder]:
    """A corpus with a 50 MB one-line .txt, a 50 MB one-line .jsonl record and a 50 MB one-line
    .jsonl that is not JSON, indexed by the real command in a subprocess."""
    folder = tmp_path_factory.mktemp("big")
    line = "Huge line zqtextstart " + _CHUNK * (BIG_BYTES // len(_CHUNK)) + " zqtextend"
    record = json.dumps({"title": "Huge record zqjsonlstart", "body": line.replace("zqtext", "zqjsonl")})
    corpus = make_corpus(folder, {"big.txt": line, "big.jsonl": record + "\n", "broken.jsonl": record[:-2] + "\n"})
    run = run_bounded(["index"], folder, timeout=300)
    yield BigFolder(folder, run, {p.name: p.stat().st_size for p in corpus.iterdir()})
    shutil.rmtree(folder, ignore_errors=True)  # 150 MB of corpus, and its index


def test_50mb_single_line_files_index_in_bounded_time_and_memory(big_folder: BigFolder) -> None:
    run = big_folder.run
    assert run.code == 0, (run.code, run.err[-2000:])
    assert "Traceback" not in run.err and "internal error" not in run.err
    assert all(size > (49 << 20) for name, size in big_folder.sizes.items() if name != GOOD_NAME)
    assert run.seconds < 120, f"indexing 150 MB of one-line files took {run.seconds:.0f} s"
    assert run.peak_mb < 1536, f"indexing 50 MB one-line files peaked at {run.peak_mb:.0f} MB"
    # Past the README's Limits: a 50 MB .jsonl line is skipped unread, a 50 MB article keeps its start.
    lines = problem_lines(run.err)
    for name in ("big.jsonl", "broken.jsonl"):
        assert any(line.startswith(f"error: {name}:1: ") and "line skipped" in line for line in lines), lines
    assert any(line.startswith("warning: big.txt") for line in lines), lines
    index = big_folder.folder / "index"
    assert total(index, "zqtextstart") == 1, "the start of big.txt was not found"
    assert total(index, "zqtextend") == 0 and total(index, "zqjsonlstart") == 0
    assert_good_found(index)


def test_a_50mb_single_line_article_is_shown_on_a_terminal_in_bounded_time(big_folder: BigFolder) -> None:
    """A plain .txt whose only line is 50 MB: the article that line makes must not take the
    terminal renderer minutes (nor print the file, twice)."""
    assert big_folder.run.code == 0
    env = clean_env(FORCE_COLOR="1", COLUMNS="100", TERM="xterm-256color")
    run = run_bounded(["query", "zqtextstart"], big_folder.folder, timeout=BOUND_S, env=env)
    assert run.code is not None, (
        f"`newssearch query` on a terminal did not finish in {BOUND_S:.0f} s "
        f"({len(run.out):,} characters printed by then)"
    )
    assert run.code == 0, run.err[-2000:]
    assert len(run.out) < (1 << 20), f"{len(run.out):,} characters printed for one result"
