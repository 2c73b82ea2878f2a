"""What failed runs leave behind, and what a full disk says (README, "newssearch index"): a run
that fails removes what it wrote, every writing run first removes what earlier ones left, and
`stats` counts only the live index."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from typer.testing import Result

from conftest import SEED, clean_env, entry_point
from newssearch.engines.whoosh import integrity

Cli = Callable[..., Result]


def _index_files(index_dir: Path) -> set[str]:
    return {p.name for p in index_dir.iterdir()}


def test_leftovers_of_killed_runs_are_removed_by_the_next_run_and_not_counted(seed_index: Path, cli: Cli) -> None:
    """Leftovers as a killed run leaves them (simulated: a segment no table of contents names, a
    table of contents never renamed into place, the parallel writer's scratch folder)."""
    index_dir = seed_index
    live = _index_files(index_dir)
    segment = next(index_dir.glob("MAIN_*.seg"))
    shutil.copy(segment, index_dir / "MAIN_killedrun0000001.seg")
    (index_dir / "_MAIN_9.toc.1765080000.5").write_bytes(b"\0" * 1000)
    (index_dir / "MAIN.tmp").mkdir()
    (index_dir / "MAIN.tmp" / "MAIN_worker.seg").write_bytes(b"\0" * 5000)
    left = segment.stat().st_size + 1000 + 5000
    stats = json.loads(cli("stats", "--json", "--index", str(index_dir)).stdout)
    assert stats["bytes"] == integrity.live_size(index_dir)  # the leftovers are not the index
    corpus = str(index_dir.parent / "corpus")
    assert cli("index", "--check", "--index", str(index_dir), "--corpus", corpus).exit_code == 0
    result = cli("index", "--json", "--index", str(index_dir), "--corpus", corpus)
    assert result.exit_code == 0
    assert json.loads(result.stdout)["reclaimed_bytes"] == left
    assert _index_files(index_dir) == live
    said = cli("index", "--index", str(index_dir), "--corpus", corpus)
    assert "left by earlier runs" not in said.stdout  # nothing left this time


def test_a_rebuild_removes_leftovers_too(seed_index: Path, cli: Cli) -> None:
    segment = next(seed_index.glob("MAIN_*.seg"))
    shutil.copy(segment, seed_index / "MAIN_killedrun0000002.seg")
    result = cli("index", "--rebuild", "--index", str(seed_index), "--corpus", str(seed_index.parent / "corpus"))
    assert result.exit_code == 0
    assert "left by earlier runs that did not finish removed" in result.stdout
    assert integrity.leftovers(seed_index) == []


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 3 MB file system of its own (tmpfs), mounted for the test: the disk that fills up."""
    if os.geteuid() != 0:
        pytest.skip("mounting a size-limited tmpfs needs root (CI runs as root)")
    mount = tmp_path / "disk"
    mount.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=3m", "tmpfs", str(mount)], capture_output=True)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.decode().strip()}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def _articles(n: int) -> str:
    return "".join(
        json.dumps({"id": f"d{i}", "title": f"Dispatch {i}", "body": f"Report number {i} " + "harbour wall " * 60})
        + "\n"
        for i in range(n)
    )


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_a_full_disk_is_a_sentence_the_index_stays_and_nothing_is_left(
    small_disk: Path, tmp_path: Path, jobs: str
) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    shutil.copy(SEED, corpus / SEED.name)
    index_dir = small_disk / "index"
    base = [str(entry_point()), "index", "--corpus", str(corpus), "--index", str(index_dir)]
    assert subprocess.run(base, env=clean_env(), capture_output=True, timeout=120).returncode == 0
    before = _index_files(index_dir)
    size_before = integrity.live_size(index_dir)
    (corpus / "wire.jsonl").write_text(_articles(2500), encoding="utf-8")  # more than 3 MB indexed
    for _ in range(2):  # a second try fails the same way, and leaves nothing either
        done = subprocess.run([*base, "--jobs", jobs], env=clean_env(), capture_output=True, text=True, timeout=300)
        assert done.returncode == 3, done.stderr
        err = done.stderr.strip().splitlines()[-1]
        assert "Traceback" not in done.stderr and "internal error" not in done.stderr
        assert f"the disk holding {index_dir} is full" in err and "the index is as it was" in err
        assert _index_files(index_dir) == before
    stats = [str(entry_point()), "stats", "--json", "--index", str(index_dir)]
    assert json.loads(subprocess.run(stats, env=clean_env(), capture_output=True, text=True).stdout)["bytes"] == (
        size_before
    )
    query = [str(entry_point()), "query", "rafah", "--json", "--index", str(index_dir)]
    assert json.loads(subprocess.run(query, env=clean_env(), capture_output=True, text=True).stdout)["total"] == 3


def test_a_file_of_the_users_that_looks_like_the_index_is_not_a_leftover(seed_index: Path, cli: Cli) -> None:
    (seed_index / "MAIN_notes.txt").write_text("mine\n")
    assert cli("index", "--index", str(seed_index), "--corpus", str(seed_index.parent / "corpus")).exit_code == 0
    assert (seed_index / "MAIN_notes.txt").read_text() == "mine\n"
