"""What `newssearch index` and `newssearch stats` show while and after they run (README:
`newssearch index`, `newssearch stats`): the progress bar and its commit phase, Ctrl-C and errors
on a line of their own, problems said once and then counted (`index --problems` lists them),
`--quiet`, skipped files named, counts and plurals, word-wrapped lines on a terminal, and the
time of the last update.

Terminal behaviour is tested on a pseudo-terminal that is the command's stdout, stderr and
controlling terminal (so a typed Ctrl-C interrupts it), read through a small screen model that
applies the cursor movements and erasures Rich uses: the tests look at what a user would see.
"""

from __future__ import annotations

import fcntl
import json
import os
import pty
import re
import select
import signal
import struct
import subprocess
import termios
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import Result

from conftest import clean_env, entry_point

Cli = Callable[..., Result]
WAIT = 60.0  # seconds: the most a run under test may take
CSI = re.compile(r"\x1b\[([0-9;?]*)([A-Za-z])")
DATE_WARNING = re.compile(r"cannot read the date")


# --------------------------------------------------------------------------- a terminal


class Terminal:
    """``newssearch ARGS`` on a pseudo-terminal ``columns`` wide."""

    def __init__(self, args: list[str], cwd: Path, columns: int = 80) -> None:
        self.columns = columns
        self.master, slave = pty.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, columns, 0, 0))

        def controlling_terminal() -> None:  # in the child, after setsid: Ctrl-C reaches it
            fcntl.ioctl(0, termios.TIOCSCTTY, 0)
            signal.signal(signal.SIGINT, signal.SIG_DFL)  # a background shell may ignore it

        self.proc = subprocess.Popen(
            [str(entry_point()), *args],
            stdin=slave,
            stdout=slave,
            stderr=slave,
            cwd=cwd,
            env=clean_env(TERM="xterm"),
            start_new_session=True,
            preexec_fn=controlling_terminal,
        )
        os.close(slave)
        self.raw = ""
        self.deadline = time.monotonic() + WAIT

    def _read(self) -> bool:
        """Read what is there (waiting up to a second); False at the end of the output."""
        ready, _, _ = select.select([self.master], [], [], 1.0)
        if not ready:
            assert time.monotonic() < self.deadline, f"no end after {WAIT} s: {self.raw[-500:]!r}"
            return True
        try:
            data = os.read(self.master, 65536)
        except OSError:  # EIO: the child closed the terminal
            return False
        self.raw += data.decode("utf-8", "replace")
        return bool(data)

    def wait_for(self, pattern: str) -> re.Match[str]:
        """Read until the text shown (escape sequences left out) matches ``pattern``."""
        while True:
            found = re.search(pattern, CSI.sub("", self.raw))
            if found:
                return found
            assert self._read(), f"the output ended before {pattern!r}: {self.raw[-1000:]!r}"

    def type(self, keys: bytes) -> None:
        os.write(self.master, keys)

    def finish(self) -> int:
        while self._read():
            pass
        os.close(self.master)
        return self.proc.wait(timeout=WAIT)

    def screen(self) -> list[str]:
        """The lines the terminal shows at the end (trailing blanks dropped)."""
        return screen(self.raw, self.columns)


def screen(raw: str, columns: int) -> list[str]:
    """A terminal's lines after ``raw``: text with carriage returns, line feeds, wrapping at
    ``columns``, and the CSI sequences Rich writes (cursor up, erase in line); colour and
    cursor visibility change nothing here."""
    rows: list[list[str]] = [[]]
    row = col = 0
    for m in re.finditer(r"\x1b\[([0-9;?]*)([A-Za-z])|\r|\n|[^\x1b]", raw):
        text = m.group(0)
        line = rows[row]
        if m.group(2):
            arg, command = m.group(1), m.group(2)
            if command == "A":
                row = max(0, row - int(arg or 1))
            elif command == "K":
                if arg == "2":
                    rows[row] = []
                else:
                    del line[col:]
            elif command == "G":
                col = int(arg or 1) - 1
            continue
        if text == "\r":
            col = 0
            continue
        if text == "\n" or col >= columns:
            row += 1
            col = 0
            while len(rows) <= row:
                rows.append([])
            if text == "\n":
                continue
            line = rows[row]
        line = rows[row]
        line.extend(" " * (col - len(line)))
        if col < len(line):
            line[col] = text
        else:
            line.append(text)
        col += 1
    lines = ["".join(r).rstrip() for r in rows]
    while lines and not lines[-1]:
        lines.pop()
    return lines


# --------------------------------------------------------------------------- corpora


def wire_feed(path: Path, articles: int, bad_date_at: int | None = None, first: int = 0) -> None:
    """A .jsonl file of ``articles`` short articles; the record on line ``bad_date_at`` has a
    date that cannot be read (a warning)."""
    lines = []
    for n in range(first, first + articles):
        record = {
            "id": f"w{n}",
            "title": f"Harbour dispatch {n}",
            "body": f"The council met about the ferry budget and the harbour wall, item {n}.",
            "date": "2025-03-14",
        }
        if bad_date_at is not None and n - first + 1 == bad_date_at:
            record["date"] = "the fourteenth of March"
        lines.append(json.dumps(record) + "\n")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(lines), encoding="utf-8")


def index_json(cli: Cli, *args: str) -> dict:  # type: ignore[type-arg]
    result = cli("index", "--json", *args)
    assert result.exit_code == 0, result.output
    data: dict = json.loads(result.stdout)  # type: ignore[type-arg]
    return data


def toc_files(index_dir: Path) -> dict[str, int]:
    """The index's table-of-contents files and their modification times (a commit adds one)."""
    return {p.name: p.stat().st_mtime_ns for p in index_dir.glob("_MAIN_*.toc")}


# --------------------------------------------------------------------------- Ctrl-C and errors


@pytest.fixture(scope="module")
def big_corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Enough articles that a run lasts a few seconds: the bar is seen moving, and a Ctrl-C
    typed once it has counted some articles lands mid-run."""
    folder = tmp_path_factory.mktemp("big")
    for part in range(4):
        wire_feed(folder / "corpus" / f"wires/part{part}.jsonl", 1000, first=part * 1000)
    return folder


def test_ctrl_c_while_the_bar_moves_says_so_on_a_line_of_its_own(big_corpus: Path) -> None:
    term = Terminal(["index", "--jobs", "1", "--index", "index-ctrl-c"], big_corpus)
    term.wait_for(r"indexing .*\b[1-9][\d,]* articles")
    term.type(b"\x03")
    assert term.finish() == 130, term.raw[-1000:]
    shown = term.screen()
    said = [line for line in shown if "newssearch: interrupted" in line]
    assert said == ["newssearch: interrupted — the index was left as it was"], shown
    assert not any("indexing" in line or "%" in line for line in shown), shown  # the bar is gone


def test_ctrl_c_while_the_index_is_written_says_so_on_a_line_of_its_own(big_corpus: Path) -> None:
    term = Terminal(["index", "--jobs", "1", "--index", "index-ctrl-c-writing"], big_corpus)
    term.wait_for(r"writing the index to disk")
    term.type(b"\x03")
    code = term.finish()
    shown = term.screen()
    if code == 0:
        pytest.skip(f"the commit ended before Ctrl-C arrived: {shown}")
    assert code == 130, shown
    said = [line for line in shown if "newssearch" in line]
    assert said == ["newssearch: interrupted — the index was left as it was"], shown
    assert not any("writing the index" in line for line in shown), shown


def test_an_error_during_a_run_is_said_on_a_line_of_its_own(tmp_path: Path) -> None:
    (tmp_path / "index").mkdir()
    (tmp_path / "index" / "newssearch_UPDATE").write_text("")  # the lock file of a run...
    holder = open(tmp_path / "index" / "newssearch_UPDATE")  # noqa: SIM115
    fcntl.flock(holder, fcntl.LOCK_EX | fcntl.LOCK_NB)  # ...held, as by another run
    try:
        wire_feed(tmp_path / "corpus" / "feed.jsonl", 5)
        term = Terminal(["index"], tmp_path, columns=200)
        assert term.finish() == 3
    finally:
        holder.close()
    shown = term.screen()
    assert len(shown) == 1 and shown[0].startswith("newssearch: the index at ./index is being updated"), shown


# --------------------------------------------------------------------------- the progress display


def test_the_bar_counts_articles_with_a_rate_and_an_estimate_then_shows_the_commit(tmp_path: Path) -> None:
    wire_feed(tmp_path / "corpus" / "a.jsonl", 700)
    wire_feed(tmp_path / "corpus" / "b.jsonl", 600, first=700)
    term = Terminal(["index", "--jobs", "1"], tmp_path, columns=120)
    assert term.finish() == 0
    seen = CSI.sub("", term.raw)
    counts = re.findall(r"indexing .*?(\d+)% ([\d,]+)(?: of ~?[\d,]+)? articles? · (\S+)/s · eta (\S+) (\S+)", seen)
    assert counts, seen[-2000:]
    assert counts[-1][:2] == ("100", "1,300")  # every article, with a thousands separator
    assert "1,300 of 1,300 articles" in seen  # of all there are, once every file is read
    assert {path for *_, path in counts} == {"a.jsonl", "b.jsonl"}
    articles = [int(n.replace(",", "")) for _, n, *_ in counts]
    assert articles == sorted(articles)
    assert all(re.fullmatch(r"(\d+:)?\d+:\d\d|–:––", eta) for *_, eta, _ in counts)
    after_bar = seen[seen.rindex("1,300 articles ·") :]
    assert re.search(r"writing the index to disk \d+:\d\d:\d\d", after_bar), after_bar
    shown = term.screen()  # both phases are gone; the summary stays
    assert shown[0].startswith("Rebuilt index: 1,300 articles"), shown
    assert not any("indexing" in line or "writing the index" in line for line in shown), shown


def test_quiet_shows_no_bar_and_no_problems_only_the_summary(tmp_path: Path) -> None:
    wire_feed(tmp_path / "corpus" / "feed.jsonl", 300, bad_date_at=2)
    term = Terminal(["index", "--quiet"], tmp_path, columns=200)
    assert term.finish() == 0
    assert "indexing" not in term.raw and "writing the index" not in term.raw
    (summary,) = term.screen()
    assert summary.startswith("Rebuilt index: 300 articles") and summary.endswith(
        "; 1 problem (`newssearch index --problems` lists them)"
    ), summary


def test_quiet_piped_writes_nothing_to_stderr(tmp_path: Path, cli: Cli) -> None:
    wire_feed(tmp_path / "corpus" / "feed.jsonl", 3, bad_date_at=2)
    (tmp_path / "corpus" / "report.pdf").write_bytes(b"%PDF-1.4")
    result = cli("index", "--quiet")
    assert result.exit_code == 0 and result.stderr == ""
    assert "1 problem (`newssearch index --problems` lists them)" in result.stdout


# --------------------------------------------------------------------------- problems once, then counted


def test_problems_are_listed_when_a_file_is_read_and_counted_after(tmp_path: Path, cli: Cli) -> None:
    corpus = tmp_path / "corpus"
    wire_feed(corpus / "reuters.jsonl", 20, bad_date_at=17)
    wire_feed(corpus / "bbc.jsonl", 5, first=100)
    (corpus / "gone.txt").symlink_to(corpus / "nowhere.txt")

    first = cli("index")
    listed = [line for line in first.stderr.splitlines() if line.strip()]
    assert len(listed) == 2, listed
    assert listed[0] == "error: gone.txt: a link to nothing"
    assert listed[1].startswith("warning: reuters.jsonl:17: ") and DATE_WARNING.search(listed[1])
    assert first.stdout.rstrip().endswith("; 2 problems listed above"), first.stdout

    again = cli("index")
    assert again.stderr == ""  # nothing read, nothing said again
    assert again.stdout.rstrip().endswith("; 2 known problems (`newssearch index --problems` lists them)")

    data = index_json(cli)  # a script gets the whole current list, each marked
    assert sorted((p["path"], p["line"], p["new"]) for p in data["problems"]) == [  # type: ignore[type-var]
        ("gone.txt", None, False),
        ("reuters.jsonl", 17, False),
    ]

    wire_feed(corpus / "reuters.jsonl", 21, bad_date_at=17)  # changed: read again, said again
    changed = cli("index", "--json")
    problems = json.loads(changed.stdout)["problems"]
    assert sorted((p["path"], p["new"]) for p in problems) == [("gone.txt", False), ("reuters.jsonl", True)]
    said = [line for line in changed.stderr.splitlines() if line.strip()]
    assert len(said) == 1 and said[0].startswith("warning: reuters.jsonl:17: "), said

    human = cli("index", "--rebuild")  # a rebuild reads everything: all said again
    assert len([line for line in human.stderr.splitlines() if line.startswith(("warning: ", "error: "))]) == 2


def test_problems_lists_every_known_problem_and_changes_nothing(tmp_path: Path, cli: Cli) -> None:
    corpus = tmp_path / "corpus"
    wire_feed(corpus / "reuters.jsonl", 30, bad_date_at=17)
    (corpus / "broken.json").write_text('{"title": "Half')
    assert cli("index").exit_code == 0
    before = toc_files(tmp_path / "index")
    wire_feed(corpus / "later.jsonl", 2, bad_date_at=1)  # not read yet: named, not listed

    listing = cli("index", "--problems")
    assert listing.exit_code == 0 and listing.stderr == ""
    lines = listing.stdout.splitlines()
    assert [line.split(": ")[0] for line in lines[:-1]] == ["error", "warning"]
    assert lines[0].startswith("error: broken.json")
    assert lines[1].startswith("warning: reuters.jsonl:17: ") and DATE_WARNING.search(lines[1])
    assert lines[-1] == (
        "2 known problems in 2 files; 1 file new or changed since the last run is not read yet — "
        "run `newssearch index` to read it."
    )
    data = json.loads(cli("index", "--problems", "--json").stdout)
    assert [(p["path"], p["level"]) for p in data["problems"]] == [
        ("broken.json", "error"),
        ("reuters.jsonl", "warning"),
    ]
    assert all("new" not in p for p in data["problems"])
    assert data["not_read"] == ["later.jsonl"]
    assert toc_files(tmp_path / "index") == before  # read-only, like --check

    assert cli("index").exit_code == 0
    assert json.loads(cli("index", "--problems", "--json").stdout)["not_read"] == []


def test_problems_refuses_rebuild_and_check(tmp_path: Path, cli: Cli) -> None:
    wire_feed(tmp_path / "corpus" / "feed.jsonl", 2)
    for args in (["--problems", "--rebuild"], ["--problems", "--check"]):
        result = cli("index", *args)
        assert result.exit_code == 2 and result.stderr.startswith("newssearch: "), result.stderr
        assert "\n" not in result.stderr.strip()


def test_problems_without_an_index_says_how_to_make_one(tmp_path: Path, cli: Cli) -> None:
    wire_feed(tmp_path / "corpus" / "feed.jsonl", 2)
    result = cli("index", "--problems")
    assert result.exit_code == 2 and "run `newssearch index`" in result.stderr


# --------------------------------------------------------------------------- skipped files, counts


def test_skipped_files_are_named_a_few_on_the_terminal_and_all_in_json(tmp_path: Path, cli: Cli) -> None:
    corpus = tmp_path / "corpus"
    wire_feed(corpus / "feed.jsonl", 1)
    skipped = ["README", "a/report.pdf", "b/notes.docx", "c/scan.tiff", "d/sheet.xlsx"]
    for name in skipped:
        (corpus / name).parent.mkdir(parents=True, exist_ok=True)
        (corpus / name).write_bytes(b"\x00\x01")
    result = cli("index")
    assert "5 skipped (README, a/report.pdf, b/notes.docx and 2 more), 0 failed" in result.stdout
    assert index_json(cli)["skipped_files"] == skipped
    (corpus / "c/scan.tiff").unlink()
    (corpus / "d/sheet.xlsx").unlink()
    assert "3 skipped (README, a/report.pdf, b/notes.docx), 0 failed" in cli("index").stdout


def test_counts_have_thousands_separators_and_singulars(tmp_path: Path, cli: Cli) -> None:
    corpus = tmp_path / "corpus"
    (corpus / "one.txt").parent.mkdir()
    (corpus / "one.txt").write_text("A Title\n\nOne paragraph.\n")
    first = cli("index").stdout
    assert first.startswith("Rebuilt index: 1 article, 1 section, 0 captions from 1 file — 1 added, "), first
    for n in range(1001):  # 1,001 files: counts of files added
        (corpus / "many" / f"{n}.txt").parent.mkdir(exist_ok=True)
        (corpus / "many" / f"{n}.txt").write_text(f"Title {n}\n\nText {n}.\n")
    more = cli("index").stdout
    assert more.startswith("Updated index: 1,002 articles, 1,002 sections, 0 captions from 1,002 files — "), more
    assert "— 1,001 added, 0 changed, 0 removed, 1 unchanged, 0 skipped, 0 failed" in more


# --------------------------------------------------------------------------- wrapping on a terminal


def test_problem_lines_and_the_summary_wrap_at_words_on_a_terminal(tmp_path: Path, cli: Cli) -> None:
    corpus = tmp_path / "corpus"
    wire_feed(corpus / "wires/reuters.jsonl", 3, bad_date_at=2)
    (corpus / "report.pdf").write_bytes(b"%PDF")
    piped = cli("index", "--rebuild", "--index", "index-piped")
    piped_lines = [line for line in (piped.stderr + piped.stdout).splitlines() if line]
    assert len(piped_lines) == 2  # piped: one line per item, however long

    term = Terminal(["index"], tmp_path, columns=40)
    assert term.finish() == 0
    shown = term.screen()
    assert all(len(line) <= 40 for line in shown), shown

    # Every word whole: the words on the terminal are the piped output's words (but the time).
    def words(lines: list[str]) -> list[str]:
        return re.sub(r"in \d+\.\d\d s", "in - s", " ".join(lines)).split()

    assert words(shown) == words(piped_lines), shown
    warning_end = next(i for i, line in enumerate(shown) if line.startswith("Rebuilt index:"))
    assert shown[0].startswith("warning: wires/reuters.jsonl:2:")
    assert all(line.startswith(" " * len("warning: ")) for line in shown[1:warning_end]), shown  # hanging
    assert warning_end > 2 and len(shown) - warning_end > 2, shown  # both were long enough to wrap


# --------------------------------------------------------------------------- stats: the last update


def test_last_update_is_when_the_commit_completed(tmp_path: Path, cli: Cli) -> None:
    """The run is stopped (SIGSTOP) once it shows that it writes the index, kept stopped into the
    next second, and let go: the commit completes after that, so the last update must too."""
    for part in range(2):
        wire_feed(tmp_path / "corpus" / f"part{part}.jsonl", 800, first=part * 800)
    term = Terminal(["index", "--jobs", "1"], tmp_path)
    term.wait_for(r"writing the index to disk")
    term.proc.send_signal(signal.SIGSTOP)
    try:
        if "_MAIN_1.toc" in toc_files(tmp_path / "index"):
            pytest.skip("the commit completed before the run could be stopped")
        time.sleep(1 - time.time() % 1 + 0.01)  # into the next whole second, measured from the clock
        resumed = int(time.time())
    finally:
        term.proc.send_signal(signal.SIGCONT)
    assert term.finish() == 0

    data = json.loads(cli("stats", "--json").stdout)
    assert data["updated"] >= time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime(resumed)), data
    human = cli("stats").stdout
    assert f"last update    {data['updated']}" in human

    unchanged = cli("index")  # nothing to commit: the last update stays
    assert unchanged.exit_code == 0
    assert json.loads(cli("stats", "--json").stdout)["updated"] == data["updated"]


def test_problems_past_the_terminal_limit_are_counted_in_the_singular_too(tmp_path: Path, cli: Cli) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "feed.jsonl").write_text('{"story": 1}\n' * 21 + '{"title": "Kept", "body": "Fine."}\n')
    result = cli("index")
    listed = [line for line in result.stderr.splitlines() if line.startswith(("error: ", "warning: "))]
    assert len(listed) == 21  # 20 listed, then the count of the rest
    assert listed[-1] == (
        "warning: feed.jsonl: … and 1 more problem in this file (`newssearch index --problems` lists all)"
    )
    assert result.stdout.rstrip().endswith(
        "; 20 problems listed above, 1 more (`newssearch index --problems` lists all)"
    )


def test_index_check_wraps_at_words_on_a_terminal(tmp_path: Path, cli: Cli) -> None:
    corpus = tmp_path / "corpus"
    wire_feed(corpus / "feed.jsonl", 2)
    assert cli("index").exit_code == 0
    wire_feed(corpus / "wires/later arrivals from the overnight desk.jsonl", 1)
    piped = cli("index", "--check")
    assert piped.exit_code == 1 and len(piped.stdout.splitlines()) == 2  # piped: one line each

    term = Terminal(["index", "--check"], tmp_path, columns=40)
    assert term.finish() == 1
    shown = term.screen()
    assert all(len(line) <= 40 for line in shown), shown
    assert " ".join(shown).split() == piped.stdout.split(), shown
    assert shown[0].startswith("not indexed yet: wires/later")
    assert shown[1].startswith(" " * len("not indexed yet: ")), shown  # its own lines indented


def test_past_the_terminals_cap_the_counts_say_what_was_not_listed(tmp_path: Path, cli: Cli) -> None:
    """11 files of 25 broken lines: 200 problems are listed (20 a file), and every other one is
    counted, under its file's name when some of its problems were listed; the summary says how many
    were listed and how many were not."""
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for n in range(11):
        lines = ['{"title": "t", "body": "b"}'] + ["{bad"] * 25
        (corpus / f"f{n:02d}.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = cli("index")
    assert result.exit_code == 0
    listed = [line for line in result.stderr.splitlines() if "not valid JSON" in line or "is not JSON" in line]
    assert len(listed) == 200
    assert "f00.jsonl: … and 5 more problems in this file" in result.stderr
    assert "f10.jsonl" not in result.stderr  # none of its problems was listed: counted with the rest
    assert "… and 25 more problems in other files" in result.stderr
    assert "; 200 problems listed above, 75 more (" in result.stdout
