"""The changes ``newssearch.engines.whoosh.patches`` makes to Whoosh: the same results with them as
without them, and what they are for — no copy of the index per searcher, no needless imports."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

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


def _postings(n: int, seed: int) -> list[tuple[str, bytes, int, float, bytes | None]]:
    """Postings as Whoosh's writer pools them: (field, term, document, weight, value), one per
    field, term and document."""
    import random

    rng = random.Random(seed)
    fields = ("body", "title", "p_body")
    found = {(rng.choice(fields), f"w{rng.randrange(3000)}".encode(), docnum) for docnum in range(n) for _ in range(3)}
    return [(*posting, float(rng.randint(1, 3)), rng.choice((None, b"\x00\x02\x05"))) for posting in found]


@pytest.mark.parametrize("maxfiles", [128, 3], ids=["runs merged at once", "runs merged three at a time first"])
def test_a_writers_runs_give_back_every_posting_in_order(tmp_path: Path, maxfiles: int) -> None:
    """Change 4: past its memory limit, the writer's pool sorts its postings into run files,
    pickled a few thousand at a time, and merges them (with many runs, some into one run first,
    the path a parallel build's processes take too); every posting comes back, in order, and
    the run files are gone."""
    from whoosh import writing
    from whoosh.filedb.filestore import FileStorage

    assert whoosh_patches.install_writing() and writing.PostingPool._write_run is whoosh_patches._write_run
    postings = _postings(20_000, seed=4)  # some 9 MB by Whoosh's reckoning: runs of 1 MB
    store = FileStorage(str(tmp_path))
    pool = writing.PostingPool(store, segment=None, limitmb=1)
    for posting in postings:
        pool.add(posting)
    assert len(pool.runs) >= 5
    assert list(pool.items(maxfiles=maxfiles)) == sorted(postings)
    assert not list(tmp_path.iterdir())


BUILD = """
import json, sys
from whoosh.fields import ID, NUMERIC, TEXT, Schema
from whoosh.filedb.filestore import FileStorage
import newssearch.engines.whoosh.writer  # installs the writer's changes, unless turned off
texts, prose = json.loads(open(sys.argv[2]).read())
from newssearch.engines.whoosh.schema import STEMMED
schema = Schema(id=ID(stored=True), body=TEXT(), text=TEXT(analyzer=STEMMED), n=NUMERIC(stored=True))
ix = FileStorage(sys.argv[1]).create_index(schema)
w = ix.writer(limitmb=1)
for n, text in enumerate(texts):
    w.add_document(id=str(n), body=text, text=prose[n % len(prose)] + " " + text, n=n)
from whoosh import formats
ours = getattr(formats.Positions.word_values, "_newssearch", False)
print(len(w.pool.runs), type(w.pool)._write_run.__module__, ours)
w.commit()
"""


def _term_stats(reader: Any, field: str, term: str) -> tuple[Any, ...]:
    info = reader.term_info(field, term)
    return info.weight(), info.doc_frequency(), info.min_length(), info.max_length(), info.max_weight()


def _blocks(m: Any) -> list[tuple[Any, ...]]:
    """Each posting with its value and its block's bounds (shortest and longest document, best weight)."""
    found = []
    while m.is_active():
        found.append((m.id(), m.weight(), m.value(), m.block_min_length(), m.block_max_length(), m.block_max_weight()))
        m.next()
    return found


def test_an_index_written_through_runs_is_the_same_with_and_without_the_changes(tmp_path: Path) -> None:
    """A segment built past the writer's memory limit (runs on disk) holds the same postings,
    with the same block bounds, stored fields and lengths, whether Whoosh wrote it as it is
    (runs pickled posting by posting, lengths read posting by posting, every block compressed)
    or changed (4. to 7.)."""
    import random

    from whoosh.filedb.filestore import FileStorage

    rng = random.Random(9)
    words = [f"w{n}" for n in range(2000)]
    texts = [" ".join(rng.choice(words) for _ in range(rng.randint(5, 60))) for _ in range(4000)]
    prose = [
        "The Türkiye’s İstanbul crossing of the STRASSE, as a straße: ÆON and the œuvre of ﬁnancial U.S.A. 3.14",
        "Gaza's crossings were closed; the crossing at Rafah opened again on Monday, officials said.",
        "a I the of",
    ]
    (tmp_path / "texts.json").write_text(json.dumps([texts, prose]))
    readers = []
    for as_is in (False, True):
        folder = tmp_path / ("as-is" if as_is else "changed")
        folder.mkdir()
        env = {k: v for k, v in os.environ.items() if not k.startswith("NEWSSEARCH_")}
        if as_is:
            env[whoosh_patches.OFF_VARIABLE] = "1"
        done = subprocess.run(
            [sys.executable, "-c", BUILD, str(folder), str(tmp_path / "texts.json")],
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert done.returncode == 0, done.stderr
        runs, written_by, words_by_newssearch = done.stdout.split()
        assert words_by_newssearch == str(not as_is)
        assert int(runs) >= 5  # runs on disk before the commit merged them
        assert written_by == ("whoosh.externalsort" if as_is else "newssearch.engines.whoosh.patches")
        readers.append(FileStorage(str(folder)).open_index().reader())
    changed, as_is_ = readers
    assert changed.doc_count() == as_is_.doc_count() == 4000
    for reader in (changed, as_is_):
        assert list(reader.field_terms("body"))  # a segment of postings, not empty
    for field in ("body", "text"):  # Whoosh's own analyzer; newssearch's text analyzer (7.)
        assert list(changed.field_terms(field)) == list(as_is_.field_terms(field))
        for term in changed.field_terms(field):
            assert _term_stats(changed, field, term) == _term_stats(as_is_, field, term), term
            ours, theirs = changed.postings(field, term), as_is_.postings(field, term)
            assert _blocks(ours) == _blocks(theirs), term
    assert {"cross", "rafah"} <= set(changed.field_terms("text"))
    assert list(changed.all_stored_fields()) == list(as_is_.all_stored_fields())
    # Smaller: a block of one posting, which zlib makes larger, is kept as it is (6.).
    sizes = [sum(f.stat().st_size for f in (tmp_path / name).iterdir()) for name in ("changed", "as-is")]
    assert sizes[0] < sizes[1]
    for field in ("body", "text"):
        assert [changed.doc_field_length(n, field) for n in range(4000)] == [
            as_is_.doc_field_length(n, field) for n in range(4000)
        ]
    for reader in readers:
        reader.close()


def test_only_the_text_fields_own_analyzer_is_read_in_one_loop() -> None:
    """Change 7 applies to ``schema.STEMMED`` as an index's schema holds it, setting for setting;
    an analyzer Whoosh takes for equal but that reads text otherwise (a tokenizer splitting on
    its pattern, a stop list of long words, a word kept unstemmed) is read by Whoosh's chain."""
    import pickle

    from whoosh.analysis import CharsetFilter, LowercaseFilter, RegexTokenizer, StemFilter, StopFilter
    from whoosh.formats import Positions
    from whoosh.support.charset import accent_map

    from newssearch.engines.whoosh.schema import STEMMED, UNSTEMMED, build_schema, is_text_analyzer

    assert whoosh_patches.install_writing()
    assert is_text_analyzer(pickle.loads(pickle.dumps(build_schema()))["body"].analyzer)
    others = [
        RegexTokenizer(gaps=True) | LowercaseFilter() | CharsetFilter(accent_map) | StopFilter() | StemFilter(),
        RegexTokenizer() | LowercaseFilter() | CharsetFilter(accent_map) | StopFilter(maxsize=4) | StemFilter(),
        RegexTokenizer()
        | LowercaseFilter()
        | CharsetFilter(accent_map)
        | StopFilter()
        | StemFilter(ignore=["running"]),
        UNSTEMMED,
    ]
    text = "Running crossings now, the runners said"
    for other in others:
        assert not is_text_analyzer(other)
        whooshs: dict[str, list[int]] = {}
        for t in other(text, positions=True, mode="index"):
            if not t.stopped:
                whooshs.setdefault(t.text, []).append(t.pos)
        assert list(Positions().word_values(text, other, mode="index")) == [
            (w, len(at), float(len(at)), Positions().encode(at)) for w, at in whooshs.items()
        ]
    assert others[0] == STEMMED  # what Whoosh's own comparison would have said
