"""Output a user can trust: nothing written to a full disk or a closed stdout is lost silently
or ends in a traceback, and no file name can print a line that looks like a result."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from conftest import SEED, clean_env, entry_point, run_in_terminal

FORGED = "evil\n  2. FAKE RESULT\n     secrets.txt:1  score 99.0 .txt"


def _run(args: list[str], cwd: Path, **kwargs: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(entry_point()), *args],
        cwd=cwd,
        env=clean_env(),
        text=True,
        timeout=120,
        **kwargs,  # type: ignore[call-overload]
    )


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    (tmp_path / "corpus").mkdir()
    shutil.copy(SEED, tmp_path / "corpus" / SEED.name)
    return tmp_path


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full (Linux) to simulate a full disk")
@pytest.mark.parametrize(
    ("args", "done"),
    [
        (["query", "rafah"], False),
        (["query", "rafah", "--json"], False),
        (["query", "rafah", "--vimgrep"], False),
        (["show", "c3d004c6d3ccdf2d"], False),
        (["stats", "--json"], False),
        (["index", "--json"], True),
        (["index"], True),
    ],
)
def test_a_full_disk_on_stdout_is_a_sentence_and_exit_2(folder: Path, args: list[str], done: bool) -> None:
    assert _run(["index"], folder, capture_output=True).returncode == 0
    (folder / "corpus" / "more.txt").write_text("Harbour Wall Repaired\n\nMasons finished the wall.\n")
    with open("/dev/full", "w") as full:
        result = _run(args, folder, stdout=full, stderr=subprocess.PIPE)
    assert result.returncode == 2
    err = result.stderr.strip()
    assert "\n" not in err and "Traceback" not in err and "Exception ignored" not in err, err
    assert "could not be written" in err and "No space left on device" in err
    if done:  # the update itself was committed before the summary failed, and says so
        assert "the index was updated" in err
        found = _run(["query", "masons", "--json"], folder, capture_output=True)
        assert json.loads(found.stdout)["total"] == 1


@pytest.mark.parametrize("args", [["query", "said"], ["index"]])
def test_a_closed_stdout_is_a_sentence_and_exit_2(folder: Path, args: list[str]) -> None:
    if args[0] == "query":
        assert _run(["index"], folder, capture_output=True).returncode == 0
    result = _run(args, folder, stderr=subprocess.PIPE, preexec_fn=lambda: os.close(1))
    assert result.returncode == 2
    assert "stdout is closed" in result.stderr and "Traceback" not in result.stderr


def test_a_file_name_cannot_forge_a_result_line(folder: Path) -> None:
    (folder / "corpus" / FORGED).write_text("Secret Plans\n\nThe zorblax plans are here.\n", encoding="utf-8")
    assert _run(["index"], folder, capture_output=True).returncode == 0
    for args in (["query", "zorblax"], ["query", "zorblax", "--passages"], ["query", "zorblax", "--vimgrep"]):
        out = _run(args, folder, capture_output=True).stdout
        assert not any(line.lstrip().startswith(("2. FAKE", "secrets.txt")) for line in out.splitlines()), out
        assert "evil\\n  2. FAKE RESULT\\n" in out
    article = json.loads(_run(["query", "zorblax", "--json"], folder, capture_output=True).stdout)["results"][0]
    assert article["path"] == f"corpus/{FORGED}"  # JSON keeps the name as it is, escaped by JSON itself
    code, shown, _ = run_in_terminal(
        [str(entry_point()), "show", article["id"], "--no-pager"], folder, clean_env(TERM="xterm"), columns=200
    )
    assert code == 0 and "evil\\n  2. FAKE RESULT\\n" in shown
    assert not any(line.lstrip().startswith("2. FAKE") for line in shown.splitlines())


def test_a_json_path_never_starts_with_a_dash(folder: Path) -> None:
    corpus = folder / "corpus"
    (corpus / "-rf notes.txt").write_text("Dash Notes\n\nThe quokka notes.\n", encoding="utf-8")
    assert _run(["index", "--corpus", ".", "--index", "../index"], corpus, capture_output=True).returncode == 0
    found = json.loads(_run(["query", "quokka", "--json", "--index", "../index"], corpus, capture_output=True).stdout)
    assert found["results"][0]["path"] == "./-rf notes.txt"
    assert (corpus / found["results"][0]["path"]).exists()


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full (Linux) to simulate a full disk")
def test_help_to_a_full_disk_and_an_index_that_changed_nothing(folder: Path) -> None:
    with open("/dev/full", "w") as full:
        helped = _run(["--help"], folder, stdout=full, stderr=subprocess.PIPE)
        assert helped.returncode == 2 and "Traceback" not in helped.stderr
        assert "could not be written" in helped.stderr
        assert _run(["index"], folder, capture_output=True).returncode == 0
        again = _run(["index"], folder, stdout=full, stderr=subprocess.PIPE)
    assert again.returncode == 2 and "the index is up to date, but" in again.stderr


@pytest.mark.parametrize("args", [["stats"], ["query", "rafah"], ["index"]])
def test_a_working_folder_that_was_deleted_is_a_sentence_and_exit_2(tmp_path: Path, args: list[str]) -> None:
    gone = tmp_path / "gone"
    gone.mkdir()
    script = 'cd "$1" && rmdir "$1" && shift && exec "$@"'
    proc = subprocess.run(
        ["sh", "-c", script, "sh", str(gone), str(entry_point()), *args],
        env=clean_env(),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert (proc.returncode, proc.stdout) == (2, "")
    assert proc.stderr == "newssearch: the current folder no longer exists — cd to one that does and run it again\n"


@pytest.mark.parametrize("encoding", ["ascii", "latin-1"])
def test_an_output_that_cannot_write_every_character_is_no_traceback(folder: Path, encoding: str) -> None:
    """Under PYTHONIOENCODING=ascii (or a legacy code page) the seed's curly quotes cannot be
    written: text shows them as "?", and JSON escapes them, so it reads back as the same data."""
    env = clean_env(PYTHONIOENCODING=encoding)
    assert _run(["index", "-q"], folder, capture_output=True).returncode == 0
    text = subprocess.run(
        [str(entry_point()), "query", "Lifeline Rafah"], cwd=folder, env=env, capture_output=True, timeout=120
    )
    assert text.returncode == 0 and b"Traceback" not in text.stderr, text.stderr
    assert b"Reopening of ?Lifeline? Rafah Crossing" in text.stdout
    for args in (["query", "Lifeline Rafah", "--json"], ["show", "c3d004c6", "--json"], ["stats", "--json"]):
        ours = subprocess.run([str(entry_point()), *args], cwd=folder, env=env, capture_output=True, timeout=120)
        utf8 = _run(args, folder, capture_output=True)
        assert ours.returncode == utf8.returncode == 0 and ours.stdout.isascii(), ours.stderr
        assert json.loads(ours.stdout) == json.loads(utf8.stdout)
