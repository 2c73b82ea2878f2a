"""The changes ``newssearch.engines.whoosh.patches`` makes to Whoosh: the same results with them as
without them, and what they are for — no copy of the index per searcher, no needless imports."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from newssearch.engines.whoosh import patches as whoosh_patches
from newssearch.indexer import update_index

QUERIES = [
    ["rafah crossing"],
    ['"rafah crossing"'],
    ["gaza", "--any", "--limit", "50"],
    ["hostage*"],
    ["crosing~1"],
    ["rafah", "--passages"],
    ["title:gaza", "--sort", "date"],
]


def run(args: list[str], cwd: Path, as_is: bool) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEWSSEARCH_")}
    if as_is:
        env[whoosh_patches.OFF_VARIABLE] = "1"
    return subprocess.run(
        [sys.executable, "-m", "newssearch", *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=120
    )


@pytest.fixture
def archive(tmp_path: Path) -> Path:
    """The seed plus 400 generated articles, indexed in two runs (two segments)."""
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "seed.txt").write_bytes(
        (Path(__file__).parent.parent / "corpus" / "000_f49d05269f99023b.txt").read_bytes()
    )
    update_index(corpus, tmp_path / "index")
    records = [
        {"id": str(n), "title": f"Crossing report {n}", "body": f"Gaza crossing {n} news from Rafah, day {n % 7}."}
        for n in range(400)
    ]
    (corpus / "feed.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records))
    update_index(corpus, tmp_path / "index")
    return tmp_path


def test_the_pinned_whoosh_is_changed() -> None:
    from whoosh.filedb import compound

    assert whoosh_patches.applies()
    assert compound.BufferFile.__name__ == "MappedFile"


@pytest.mark.parametrize("args", QUERIES, ids=" ".join)
def test_results_are_the_same_with_and_without_the_changes(archive: Path, args: list[str]) -> None:
    changed = run(["query", *args, "--json"], archive, as_is=False)
    as_is = run(["query", *args, "--json"], archive, as_is=True)

    assert changed.returncode == as_is.returncode == 0, changed.stderr + as_is.stderr
    assert json.loads(changed.stdout) == json.loads(as_is.stdout)
    assert json.loads(changed.stdout)["total"] > 0


def test_show_and_stats_are_the_same_with_and_without_the_changes(archive: Path) -> None:
    first = json.loads(run(["query", "rafah", "--json", "--limit", "1"], archive, as_is=False).stdout)["results"][0]
    for args in (["show", first["id"], "--json"], ["stats", "--json"]):
        changed, as_is = run(args, archive, as_is=False), run(args, archive, as_is=True)
        assert changed.returncode == as_is.returncode == 0
        assert changed.stdout == as_is.stdout


def test_an_update_reads_the_old_segments_the_same_way(archive: Path) -> None:
    """Merging reads segments through the changed file class too: an update that merges
    everything gives an index that answers as a fresh one does."""
    corpus = archive / "corpus"
    update_index(corpus, archive / "index", rebuild=True)
    fresh = run(["query", "crossing", "--json", "--limit", "500"], archive, as_is=True)
    for n in range(3):  # changed files and merges
        (corpus / "feed.jsonl").write_text(
            (corpus / "feed.jsonl").read_text() + json.dumps({"id": f"x{n}", "title": "Late", "body": "late"}) + "\n"
        )
        update_index(corpus, archive / "index")
    (corpus / "feed.jsonl").write_text("\n".join((corpus / "feed.jsonl").read_text().splitlines()[:400]) + "\n")
    update_index(corpus, archive / "index")
    after = run(["query", "crossing", "--json", "--limit", "500"], archive, as_is=False)

    ranked = [(r["id"], r["title"]) for r in json.loads(after.stdout)["results"]]
    assert ranked == [(r["id"], r["title"]) for r in json.loads(fresh.stdout)["results"]]


def test_a_query_does_not_load_the_network_stack_or_asyncio(archive: Path) -> None:
    probe = (
        "import sys, runpy\n"
        "sys.argv = ['newssearch', 'query', 'rafah', '--json']\n"
        "try:\n"
        "    runpy.run_module('newssearch', run_name='__main__')\n"
        "except SystemExit:\n"
        "    pass\n"
        "heavy = ('urllib.request', 'ssl', 'http.client', 'asyncio', 'pydantic', 'rich.progress')\n"
        "heavy = sorted(m for m in heavy if m in sys.modules)\n"
        "print('LOADED', heavy, file=sys.stderr)\n"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEWSSEARCH_")}
    proc = subprocess.run([sys.executable, "-c", probe], cwd=archive, env=env, capture_output=True, text=True)

    assert json.loads(proc.stdout)["total"] > 0
    assert "LOADED []" in proc.stderr


def test_urlretrieve_still_works_for_anyone_who_calls_it() -> None:
    """Whoosh's module keeps a working ``urlretrieve`` (it loads the real module when called)."""
    from whoosh import compat

    assert compat.urlretrieve.__module__ == "newssearch.engines.whoosh.patches"
    import urllib.request

    assert urllib.request.urlretrieve is not compat.urlretrieve  # the real module is the real one


def test_a_mapped_file_reads_like_a_buffer_file() -> None:
    from whoosh.filedb.structfile import BufferFile

    data = bytes(range(256)) * 40 + b"line one\nline two\n"
    mapped, copied = whoosh_patches._mapped_file_class()(memoryview(data)), BufferFile(memoryview(data))
    for f in (mapped, copied):
        f.seek(10)
    assert mapped.read(20) == copied.read(20) and mapped.tell() == copied.tell()
    assert mapped.read_int() == copied.read_int() and mapped.get_int(100) == copied.get_int(100)
    assert list(mapped.get_array(64, "i", 8)) == list(copied.get_array(64, "i", 8))
    for f in (mapped, copied):
        f.seek(256 * 40)
    assert mapped.file.readline() == copied.file.readline() == b"line one\n"
    assert mapped.read() == copied.read() == b"line two\n" and mapped.read(5) == b""
    assert mapped.subset(3, 5).read() == copied.subset(3, 5).read() == data[3:8]


def test_a_mapped_file_unpickles_like_a_buffer_file() -> None:
    """Short pickles (a block header) and ones longer than the copy read ahead, one after another."""
    import pickle

    from whoosh.filedb.structfile import BufferFile

    values = [(128, 5000, 3.5, 0, 12, 200), list(range(2000)), {"a": "é" * 900}, None, ("x",) * 3]
    data = b"".join(pickle.dumps(v, protocol=p) for v, p in zip(values, (2, 4, 5, 2, 0), strict=True)) + b"end"
    mapped, copied = whoosh_patches._mapped_file_class()(memoryview(data)), BufferFile(memoryview(data))
    for value in values:
        assert mapped.read_pickle() == copied.read_pickle() == value
        assert mapped.tell() == copied.tell()
    assert mapped.read() == b"end"
