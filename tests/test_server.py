"""The resident searcher (README, "A resident searcher"): ``newssearch serve`` and the thin client.

Every command here is the real ``newssearch`` entry point in a process of its own, against a
real server process on a real index; a command answered by the server must print exactly what
it prints without one (``NEWSSEARCH_NO_SERVER=1``).
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import stat
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import NamedTuple

import pytest

from conftest import AWKWARD, FIXTURES, SEED, clean_env, entry_point, run_in_terminal
from newssearch.client import LOG_NAME, SOCKET_NAME


class Run(NamedTuple):
    code: int
    out: str
    err: str


def run(cwd: Path, *args: str, served: bool = True, **env: str) -> Run:
    extra = {} if served else {"NEWSSEARCH_NO_SERVER": "1"}
    proc = subprocess.run(
        [str(entry_point()), *args],
        cwd=cwd,
        env=clean_env(**extra, **env),
        capture_output=True,
        text=True,
        timeout=120,
    )
    return Run(proc.returncode, proc.stdout, proc.stderr)


class Server:
    """A ``newssearch serve`` process on the index in ``folder/index``."""

    def __init__(self, folder: Path, *options: str, **env: str) -> None:
        self.folder = folder
        self.proc = subprocess.Popen(
            [str(entry_point()), "serve", "--idle", "0", *options],
            cwd=folder,
            env=clean_env(**env),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        assert self.proc.stderr is not None
        self.first_line = self.proc.stderr.readline()  # said once it listens
        assert "serving" in self.first_line, self.first_line + self.proc.stderr.read()

    def answered(self) -> int:
        status = run(self.folder, "serve", "--status", "--json")
        assert status.code == 0, status
        import json

        return int(json.loads(status.out)["answered"])

    def stop(self) -> str:
        stopped = run(self.folder, "serve", "--stop")
        assert stopped.code == 0, stopped
        assert self.proc.wait(timeout=30) == 0
        assert self.proc.stderr is not None
        return self.proc.stderr.read()


def _corpus(folder: Path) -> None:
    shutil.copytree(AWKWARD, folder / "corpus")
    shutil.copy(SEED, folder / "corpus" / SEED.name)
    shutil.copytree(FIXTURES / "formats" / "md", folder / "corpus" / "md")


def _indexed_corpus(folder: Path) -> None:
    _corpus(folder)
    built = run(folder, "index", "-q")
    assert built.code == 0, built


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    folder = tmp_path_factory.mktemp("served")
    _indexed_corpus(folder)
    server = Server(folder)
    yield server
    if server.proc.poll() is None:
        server.stop()


# What a user runs, good and bad: every output format, options, errors of each kind.
COMMANDS = [
    ["query", "Rafah crossing"],
    ["query", "Rafah crossing", "--limit", "2", "--offset", "1"],
    ["query", "Rafah crossing", "--json"],
    ["query", "Rafah crossing", "--jsonl"],
    ["query", "Rafah crossing", "--csv"],
    ["query", "Rafah crossing", "--vimgrep"],
    ["query", "tunnel", "--passages"],
    ["query", "caption:tunnel"],
    ["query", "Rafha crosing"],
    ["query", "hostage families Gaza crossing negotiations", "--any", "--json"],
    ["query", "Türkiye"],
    ["query", "“limited reopening”"],
    ["query", "gaza", "--sort", "date", "--quiet"],
    ["query", "gaza", "--since", "2020", "--until", "2030", "--json"],
    ["query", "gaza", "--source", "nobody"],
    ["query", "zzzqqqxx"],
    ["query", "title:(storm"],
    ["query", "the of and"],
    ["query", "gaza", "--limit", "-1"],
    ["query", "gaza", "--json", "--csv"],
    ["query", "--help"],
    ["query", "--", "-gaza"],
    ["query", "-gaza"],
    ["query", "gaza", "--color", "always"],
    ["show", "fd9fa8ec", "--highlight", "crossing"],
    ["show", "fd9fa8ec", "--json"],
    ["show", "nope"],
    ["show", "c", "--json"],
    ["similar", "c3d004c6"],
    ["similar", "c3d004c6", "--json", "--limit", "1"],
    ["similar", "nope"],
    ["stats"],
    ["stats", "--json"],
]


@pytest.mark.parametrize("args", COMMANDS, ids=lambda args: " ".join(args))
def test_a_served_command_prints_what_it_prints_without_a_server(served: Server, args: list[str]) -> None:
    before = served.answered()
    answered = run(served.folder, *args)
    assert served.answered() == before + 1  # the server answered it, not the command itself
    alone = run(served.folder, *args, served=False)
    assert answered == alone


@pytest.mark.parametrize("args", [["query", "Rafah crossing"], ["query", "Rafah crossing", "--json"]])
def test_an_ascii_only_output_is_the_same_served(served: Server, args: list[str]) -> None:
    """The server writes in the client's own encoding, and so replaces or escapes as it would."""
    before = served.answered()
    answered = run(served.folder, *args, PYTHONIOENCODING="ascii")
    assert served.answered() == before + 1 and answered.code == 0 and answered.out.isascii()
    assert answered == run(served.folder, *args, served=False, PYTHONIOENCODING="ascii")


def test_a_command_for_another_index_runs_on_its_own(served: Server) -> None:
    before = served.answered()
    for index in ("elsewhere", "http://127.0.0.1:9/news"):
        assert run(served.folder, "query", "gaza", "--index", index) == run(
            served.folder, "query", "gaza", "--index", index, served=False
        )
    assert served.answered() == before


def test_on_a_terminal_the_output_is_the_same_colours_and_width(served: Server) -> None:
    for args in (["query", "Rafah crossing"], ["stats"], ["show", "fd9fa8ec", "--no-pager"]):
        argv = [str(entry_point()), *args]
        with_server = run_in_terminal(argv, served.folder, clean_env(), columns=52)
        without = run_in_terminal(argv, served.folder, clean_env(NEWSSEARCH_NO_SERVER="1"), columns=52)
        assert with_server == without
        assert "\x1b[" in with_server[1]  # coloured: the server wrote to the terminal itself


def test_show_with_a_pager_runs_in_the_terminals_own_process(served: Server) -> None:
    # The pager reads keys from the terminal, so the server hands the command back.
    argv = [str(entry_point()), "show", "fd9fa8ec"]
    before = served.answered()
    paged = run_in_terminal(argv, served.folder, clean_env(PAGER="cat"))
    alone = run_in_terminal(argv, served.folder, clean_env(PAGER="cat", NEWSSEARCH_NO_SERVER="1"))
    assert paged == alone
    assert paged[0] == 0 and "Rafah" in paged[1]
    assert served.answered() == before + 1  # asked, and handed back


def test_the_socket_is_its_owners_only(served: Server) -> None:
    mode = (served.folder / "index" / SOCKET_NAME).stat().st_mode
    assert stat.S_ISSOCK(mode)
    assert stat.S_IMODE(mode) == 0o600


def test_the_client_loads_none_of_typer_rich_or_whoosh(served: Server) -> None:
    proc = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "newssearch", "query", "Rafah crossing", "--json"],
        cwd=served.folder,
        env=clean_env(),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 0
    imported = [line.rsplit("|", 1)[-1].strip() for line in proc.stderr.splitlines() if line.startswith("import time")]
    assert "newssearch.client" in imported
    heavy = [m for m in imported if m.split(".")[0] in {"typer", "click", "rich", "whoosh", "newssearch.cli"}]
    assert heavy == []
    # Nor Python's regular expressions: 6 ms, a quarter of a served query (the README's install note).
    assert "re" not in imported and "enum" not in imported
    assert '"Rafah' in proc.stdout


def test_many_commands_at_once_are_each_answered(served: Server) -> None:
    expected = run(served.folder, "query", "Rafah crossing", "--json", served=False)
    entry = str(entry_point())
    procs = [
        subprocess.Popen(
            [entry, "query", "Rafah crossing", "--json"],
            cwd=served.folder,
            env=clean_env(),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(12)
    ]
    for proc in procs:
        out, err = proc.communicate(timeout=120)
        assert (proc.returncode, out, err) == expected


def test_no_server_bypasses_it(served: Server) -> None:
    before = served.answered()
    assert run(served.folder, "stats", served=False).code == 0
    assert served.answered() == before


def test_a_second_server_for_the_same_index_is_refused(served: Server) -> None:
    second = run(served.folder, "serve", "--idle", "0")
    assert second.code == 2
    assert second.err.startswith("newssearch: a server already answers for ")
    assert "serve --stop" in second.err


def test_status_says_what_the_server_does(served: Server) -> None:
    status = run(served.folder, "serve", "--status")
    assert status.code == 0
    assert f"pid       {served.proc.pid}" in status.out
    assert "watching  no" in status.out


def test_an_update_is_seen_by_the_next_command(tmp_path: Path) -> None:
    _indexed_corpus(tmp_path)
    server = Server(tmp_path)
    try:
        assert run(tmp_path, "query", "quetzalcoatl").code == 1
        (tmp_path / "corpus" / "new.md").write_text("# Quetzalcoatl returns\n\nA feathered serpent was seen.\n")
        assert run(tmp_path, "index", "-q").code == 0
        found = run(tmp_path, "query", "quetzalcoatl", "--json")
        assert found.code == 0 and "Quetzalcoatl returns" in found.out
        assert found == run(tmp_path, "query", "quetzalcoatl", "--json", served=False)
        # A rebuild too: a new set of segments.
        assert run(tmp_path, "index", "-q", "--rebuild").code == 0
        assert run(tmp_path, "stats", "--json") == run(tmp_path, "stats", "--json", served=False)
        assert server.answered() == 3
    finally:
        said = server.stop()
    assert "stopped serving" in said
    assert not (tmp_path / "index" / SOCKET_NAME).exists()


def test_a_dead_servers_socket_is_not_an_error(tmp_path: Path) -> None:
    _indexed_corpus(tmp_path)
    server = Server(tmp_path)
    server.proc.send_signal(signal.SIGKILL)
    server.proc.wait(timeout=30)
    assert (tmp_path / "index" / SOCKET_NAME).exists()  # left behind
    for args in (["query", "Rafah crossing"], ["stats", "--json"]):
        assert run(tmp_path, *args) == run(tmp_path, *args, served=False)
    assert run(tmp_path, "serve", "--status").code == 1
    # A new server takes the place over.
    again = Server(tmp_path)
    try:
        assert again.answered() == 0
        assert run(tmp_path, "query", "Rafah crossing").code == 0
        assert again.answered() == 1
    finally:
        again.stop()


def _children(pid: int) -> set[int]:
    """The processes ``pid`` has forked that are still alive (Linux)."""
    text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    return {int(p) for p in text.split()}


def _wait_for(what: str, ready: Callable[[], bool], seconds: float = 30.0) -> None:
    deadline = time.monotonic() + seconds
    while not ready():
        assert time.monotonic() < deadline, f"still waiting for {what} after {seconds:g} s"
        time.sleep(0.02)


def test_a_spare_that_dies_while_waiting_is_not_an_error(tmp_path: Path) -> None:
    """The server readies a process for the next command before it comes; killed, the command is
    answered all the same, and a new spare is readied."""
    _indexed_corpus(tmp_path)
    server = Server(tmp_path)
    try:
        _wait_for("a spare", lambda: len(_children(server.proc.pid)) == 1)
        (spare,) = _children(server.proc.pid)
        os.kill(spare, signal.SIGKILL)
        _wait_for("a new spare", lambda: bool(_children(server.proc.pid)) and spare not in _children(server.proc.pid))
        args = ("query", "Rafah crossing", "--json")
        assert run(tmp_path, *args) == run(tmp_path, *args, served=False)
        assert server.answered() == 1
        assert run(tmp_path, *args) == run(tmp_path, *args, served=False)
        assert server.answered() == 2
    finally:
        server.stop()


def test_a_names_file_is_the_clients_own(tmp_path: Path) -> None:
    """A relative NEWSSEARCH_NAMES is a file in the client's folder, not the server's, even when
    both files were written in the same instant (README, "Names in every spelling")."""
    _indexed_corpus(tmp_path)
    (tmp_path / "names.txt").write_text("# none here\n", encoding="utf-8")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "names.txt").write_text("Rafah | Raffah\n", encoding="utf-8")
    written = (tmp_path / "names.txt").stat()
    os.utime(elsewhere / "names.txt", ns=(written.st_atime_ns, written.st_mtime_ns))
    server = Server(tmp_path, NEWSSEARCH_NAMES="names.txt")
    try:
        args = ("query", "Raffah", "--json", "--index", str(tmp_path / "index"))
        served = run(elsewhere, *args, NEWSSEARCH_NAMES="names.txt")
        assert served == run(elsewhere, *args, served=False, NEWSSEARCH_NAMES="names.txt")
        assert '"Raffah": [' in served.out  # the client's file was read
        assert server.answered() == 1
    finally:
        server.stop()


def test_stopping_leaves_no_process_behind(tmp_path: Path) -> None:
    _indexed_corpus(tmp_path)
    server = Server(tmp_path)
    try:
        assert run(tmp_path, "query", "Rafah crossing").code == 0
        _wait_for("a spare", lambda: len(_children(server.proc.pid)) == 1)
        (spare,) = _children(server.proc.pid)
    finally:
        server.stop()
    _wait_for("the spare to end", lambda: not Path(f"/proc/{spare}").exists())


def test_sigterm_stops_it_cleanly(tmp_path: Path) -> None:
    _indexed_corpus(tmp_path)
    server = Server(tmp_path)
    server.proc.send_signal(signal.SIGTERM)
    assert server.proc.wait(timeout=30) == 0
    assert not (tmp_path / "index" / SOCKET_NAME).exists()
    assert run(tmp_path, "query", "Rafah crossing") == run(tmp_path, "query", "Rafah crossing", served=False)


def test_status_and_stop_without_a_server(tmp_path: Path) -> None:
    _indexed_corpus(tmp_path)
    status = run(tmp_path, "serve", "--status")
    assert status == Run(1, "no server answers for ./index\n", "")
    assert run(tmp_path, "serve", "--status", "--json") == Run(1, '{"running": false}\n', "")
    assert run(tmp_path, "serve", "--stop") == Run(1, "", "newssearch: no server answers for ./index\n")


def test_serving_what_cannot_be_served(tmp_path: Path) -> None:
    missing = run(tmp_path, "serve")
    assert missing.code == 2
    assert missing.err == "newssearch: no index at ./index — run `newssearch index` to build it\n"
    cluster = run(tmp_path, "serve", "--index", "http://127.0.0.1:9/news")
    assert cluster.code == 2 and "a cluster answers queries itself" in cluster.err
    both = run(tmp_path, "serve", "--status", "--stop")
    assert both.code == 2 and "pick one" in both.err


def test_detach_returns_once_it_answers_and_watch_indexes_changes(tmp_path: Path) -> None:
    _corpus(tmp_path)
    started = run(tmp_path, "serve", "--detach", "--watch", "--idle", "5")
    assert started.code == 0, started
    shown = r"newssearch: serving \./index in the background \(pid (\d+)\) — `newssearch serve --stop` stops it\n"
    # --watch brought the index up to date first (its problems and summary), then the README's line
    assert "Rebuilt index: 17 articles" in started.err
    pid = re.fullmatch(shown, started.err.splitlines(keepends=True)[-1])
    assert pid, started.err
    try:
        assert run(tmp_path, "query", "quetzalcoatl").code == 1  # --watch built the index first
        (tmp_path / "corpus" / "new.md").write_text("# Quetzalcoatl returns\n\nA feathered serpent was seen.\n")
        deadline = time.monotonic() + 60
        while run(tmp_path, "query", "quetzalcoatl").code != 0:  # the watcher's commit, whenever it lands
            assert time.monotonic() < deadline, (tmp_path / "index" / LOG_NAME).read_text()
        (tmp_path / "corpus" / "new.md").unlink()
        while run(tmp_path, "query", "quetzalcoatl").code != 1:
            assert time.monotonic() < deadline, (tmp_path / "index" / LOG_NAME).read_text()
        status = run(tmp_path, "serve", "--status", "--json")
        assert '"watching": "' in status.out
    finally:
        stopped = run(tmp_path, "serve", "--stop")
    assert stopped == Run(0, "", f"newssearch: stopped the server of ./index (pid {pid.group(1)})\n")
    log = (tmp_path / "index" / LOG_NAME).read_text()
    assert "1 added" in log and "1 removed" in log and "stopped serving" in log
    assert stat.S_IMODE(os.stat(tmp_path / "index" / LOG_NAME).st_mode) == 0o600


def test_check_and_stats_ignore_the_servers_files(served: Server) -> None:
    check = run(served.folder, "index", "--check")
    assert check.code == 0, check
    assert "leftover" not in check.out + check.err


def test_it_stops_by_itself_after_the_idle_minutes(tmp_path: Path) -> None:
    _indexed_corpus(tmp_path)
    server = Server(tmp_path, "--idle", "0.01")  # after the --idle 0 it is given: the last one counts
    assert "stops after 0.01 minutes without a command" in server.first_line
    assert server.proc.wait(timeout=60) == 0
    assert server.proc.stderr is not None
    assert "(0.01 minutes without a command)" in server.proc.stderr.read()
    assert not (tmp_path / "index" / SOCKET_NAME).exists()


def test_a_server_of_another_install_is_not_asked(tmp_path: Path) -> None:
    """A server started before newssearch was installed again (here: from a copy of its code)
    answers nothing: each command runs on its own, and --status says the server is outdated."""
    import newssearch

    _indexed_corpus(tmp_path)
    code = tmp_path / "other-install"
    shutil.copytree(Path(newssearch.__file__).parent, code / "newssearch", copy_function=shutil.copy)
    proc = subprocess.Popen(
        [sys.executable, "-m", "newssearch", "serve", "--idle", "0"],
        cwd=tmp_path,
        env=clean_env(PYTHONPATH=str(code)),
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stderr is not None and "serving" in proc.stderr.readline()
        assert run(tmp_path, "query", "Rafah crossing") == run(tmp_path, "query", "Rafah crossing", served=False)
        status = run(tmp_path, "serve", "--status")
        assert status.code == 0
        assert "answered  0 commands" in status.out
        assert "outdated  newssearch was installed again since it started" in status.out
    finally:
        assert run(tmp_path, "serve", "--stop").code == 0
        proc.wait(timeout=30)
