"""A damaged index (README, "newssearch index"): `index --check` finds a changed byte anywhere
in it, every read that fails on damage is the documented sentence, and `index` does not build
on it — `index --rebuild` does, from the corpus."""

from __future__ import annotations

import json
import os
import random
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import Result

from conftest import one_line_error

Cli = Callable[..., Result]


def flip(index_dir: Path, share: float, *, keep_time: bool = False) -> Path:
    """Overwrite 16 bytes at ``share`` of the largest segment file with random ones."""
    segment = max(index_dir.glob("MAIN_*.seg"), key=lambda p: p.stat().st_size)
    st = segment.stat()
    data = bytearray(segment.read_bytes())
    at = int(len(data) * share)
    rng = random.Random(at)
    for i in range(16):
        data[at + i] = (data[at + i] + rng.randrange(1, 256)) % 256  # always a different byte
    segment.write_bytes(bytes(data))
    if keep_time:  # as bit rot would: the file's time says nothing changed
        os.utime(segment, ns=(st.st_atime_ns, st.st_mtime_ns))
    return segment


@pytest.mark.parametrize("share", [0.05, 0.25, 0.5, 0.75, 0.95])
def test_a_flipped_byte_anywhere_is_found_and_never_a_crash(seed_index: Path, cli: Cli, share: float) -> None:
    corpus = str(seed_index.parent / "corpus")
    segment = flip(seed_index, share)
    check = cli("index", "--check", "--index", str(seed_index), "--corpus", corpus)
    assert check.exit_code == 1
    assert f"damaged: index file {segment.name}" in " ".join(check.stdout.split())
    assert "index --rebuild" in check.stdout
    for args in (["query", "rafah"], ["query", "gaza", "--json"], ["query", "tunnel", "--passages"], ["stats"],
                 ["show", "c3d0"], ["query", "rafa*"]):  # fmt: skip
        result = cli(*args, "--index", str(seed_index))
        assert result.exit_code in (0, 1, 2), (args, result.exit_code)
        assert "internal error" not in result.stderr and "Traceback" not in result.stderr
        if result.exit_code == 2:
            assert "is damaged" in one_line_error(result) and "newssearch index --rebuild" in result.stderr
    before = {p.name: p.stat().st_mtime_ns for p in seed_index.iterdir()}
    update = cli("index", "--index", str(seed_index), "--corpus", corpus)
    assert update.exit_code == 3
    assert "is damaged" in one_line_error(update) and segment.name in update.stderr
    assert {p.name: p.stat().st_mtime_ns for p in seed_index.iterdir()} == before  # nothing built on it
    assert cli("index", "--rebuild", "--index", str(seed_index), "--corpus", corpus).exit_code == 0
    assert cli("index", "--check", "--index", str(seed_index), "--corpus", corpus).exit_code == 0


def test_check_finds_damage_that_left_the_file_time_alone(seed_index: Path, cli: Cli) -> None:
    corpus = str(seed_index.parent / "corpus")
    segment = flip(seed_index, 0.5, keep_time=True)
    check = cli("index", "--check", "--index", str(seed_index), "--corpus", corpus, "--json")
    assert check.exit_code == 1
    found = json.loads(check.stdout)
    assert found["damaged"] is True
    assert [d["name"] for d in found["damaged_files"]] == [segment.name]
    assert found["verified_bytes"] > segment.stat().st_size


def test_check_reports_an_index_too_damaged_to_open(seed_index: Path, cli: Cli) -> None:
    corpus = str(seed_index.parent / "corpus")
    segment = max(seed_index.glob("MAIN_*.seg"), key=lambda p: p.stat().st_size)
    with open(segment, "r+b") as f:
        f.truncate(segment.stat().st_size // 5)
    check = cli("index", "--check", "--index", str(seed_index), "--corpus", corpus, "--json")
    assert check.exit_code == 1
    found = json.loads(check.stdout)
    assert [d["name"] for d in found["damaged_files"]] == [segment.name] and found["damaged"] is True
