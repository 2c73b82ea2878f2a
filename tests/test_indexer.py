"""``update_index`` on a real Whoosh index on disk (README, "newssearch index"): counts, incremental updates
that parse only what changed, stable ids, skipped and failed files, the update lock, failures
that leave the previous index whole, and indexes of another schema version."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Any

import pytest
from whoosh import index as windex

import newssearch.indexer
from conftest import SEED
from newssearch.engine import Update, Writer
from newssearch.engines.whoosh import WhooshEngine
from newssearch.engines.whoosh.schema import SCHEMA_VERSION
from newssearch.engines.whoosh.store import INDEX_NAME, open_searcher, update_lock
from newssearch.errors import CorpusMissingError, IndexBusyError, IndexOutdatedError, IndexUpdateError
from newssearch.indexer import update_index
from newssearch.manifest import IndexSummary
from newssearch.models import Article, SearchRequest
from newssearch.searcher import search

# Every seed article matches one of these words (article 1 is about Iran, 2-4 about Gaza).
ALL_SEED = "Iran OR Gaza"
LAST_SEED_TITLE = "Behind Israel\u2019s Recovery of Last Hostage Body in Gaza"


def export_text(title: str, caption: str, *paragraphs: str) -> str:
    """One article in the news-site export layout (README, "Input formats")."""
    header = f"{title}\n\n{caption}\n{caption}\nTT\n\n{title}\n\n{caption}\n{caption}\n\n"
    return header + "\n\n".join(paragraphs) + "\n"


EXTRA = export_text(
    "Zebra Crossing Painted Outside the School",
    "Workers paint a zebra crossing (AP)",
    "Council workers painted a new zebra crossing on Tuesday.",
    "Parents had asked for one since the spring.",
)


def hits(index_dir: Path, text: str) -> list[tuple[str, str]]:
    """(id, title) of every article matching ``text``, best first."""
    result = search(index_dir, SearchRequest(text, limit=100))
    return [(hit.id, hit.title) for hit in result.results]


def assert_current(index_dir: Path) -> None:
    """The index opens for searching: it exists and has this version's schema."""
    with open_searcher(index_dir) as (_, meta):
        assert meta["schema"] == SCHEMA_VERSION


def counts(summary: IndexSummary) -> dict[str, int]:
    return {name: getattr(summary, name) for name in ("added", "changed", "removed", "failed")}


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    """The seed plus one small article of our own."""
    folder = tmp_path / "corpus"
    folder.mkdir()
    shutil.copy(SEED, folder / SEED.name)
    (folder / "extra.txt").write_text(EXTRA, encoding="utf-8")
    return folder


@pytest.fixture
def parses(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The relative paths the indexer parses from now on, in order."""
    seen: list[str] = []
    real = newssearch.indexer.read_bytes

    def counting(data: bytes, relpath: str) -> Any:
        seen.append(relpath)
        return real(data, relpath)

    monkeypatch.setattr(newssearch.indexer, "read_bytes", counting)
    return seen


# ---------------------------------------------------------------------------------------------
# First run, and runs with nothing to do
# ---------------------------------------------------------------------------------------------


def test_first_run_counts_the_seed(seed_corpus: Path, tmp_path: Path) -> None:
    summary = update_index(seed_corpus, tmp_path / "index")
    assert (summary.articles, summary.sections, summary.captions, summary.files) == (4, 18, 7, 1)
    assert counts(summary) == {"added": 1, "changed": 0, "removed": 0, "failed": 0}
    assert summary.skipped == 0
    assert len(hits(tmp_path / "index", ALL_SEED)) == 4
    assert [title for _, title in hits(tmp_path / "index", "Asharq")] == [LAST_SEED_TITLE]


def test_second_run_with_nothing_changed_parses_nothing(
    seed_corpus: Path, seed_index: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(data: bytes, relpath: str) -> Any:
        raise AssertionError(f"{relpath} was parsed again although it did not change")

    monkeypatch.setattr(newssearch.indexer, "read_bytes", refuse)
    summary = update_index(seed_corpus, seed_index)
    assert counts(summary) == {"added": 0, "changed": 0, "removed": 0, "failed": 0}
    # The summary still describes the whole index, not just this run's work.
    assert (summary.articles, summary.sections, summary.captions, summary.files) == (4, 18, 7, 1)
    assert len(hits(seed_index, ALL_SEED)) == 4


def test_touched_file_is_not_parsed_again(seed_corpus: Path, seed_index: Path, parses: list[str]) -> None:
    path = seed_corpus / SEED.name
    st = path.stat()
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 5_000_000_000))
    summary = update_index(seed_corpus, seed_index)
    assert parses == []
    assert counts(summary) == {"added": 0, "changed": 0, "removed": 0, "failed": 0}
    assert summary.articles == 4
    update_index(seed_corpus, seed_index)  # and the run after it has nothing to do either
    assert parses == []


# ---------------------------------------------------------------------------------------------
# Changes
# ---------------------------------------------------------------------------------------------


def test_changed_file_is_reparsed_alone_and_its_old_articles_are_gone(
    corpus: Path, tmp_path: Path, parses: list[str]
) -> None:
    index_dir = tmp_path / "index"
    update_index(corpus, index_dir)
    seed_ids = hits(index_dir, ALL_SEED)
    assert [title for _, title in hits(index_dir, "zebra")] == ["Zebra Crossing Painted Outside the School"]
    parses.clear()

    changed = EXTRA.replace("Zebra", "Pelican").replace("zebra", "pelican")
    (corpus / "extra.txt").write_text(changed + "A lollipop lady will help in the mornings.\n", encoding="utf-8")
    summary = update_index(corpus, index_dir)

    assert parses == ["extra.txt"]
    assert counts(summary) == {"added": 0, "changed": 1, "removed": 0, "failed": 0}
    assert summary.articles == 5
    assert hits(index_dir, "zebra") == []
    assert [title for _, title in hits(index_dir, "pelican")] == ["Pelican Crossing Painted Outside the School"]
    assert [title for _, title in hits(index_dir, "lollipop")] == ["Pelican Crossing Painted Outside the School"]
    assert hits(index_dir, ALL_SEED) == seed_ids


def test_deleted_file_loses_its_articles(corpus: Path, tmp_path: Path) -> None:
    index_dir = tmp_path / "index"
    update_index(corpus, index_dir)
    (corpus / "extra.txt").unlink()
    summary = update_index(corpus, index_dir)
    assert counts(summary) == {"added": 0, "changed": 0, "removed": 1, "failed": 0}
    assert (summary.articles, summary.files) == (4, 1)
    assert hits(index_dir, "zebra") == []
    assert len(hits(index_dir, ALL_SEED)) == 4


def test_deleting_every_file_empties_the_index(seed_corpus: Path, seed_index: Path) -> None:
    (seed_corpus / SEED.name).unlink()
    summary = update_index(seed_corpus, seed_index)
    assert summary.removed == 1
    assert summary.articles == 0
    assert search(seed_index, SearchRequest("Gaza")).total == 0


def test_adding_a_file_keeps_the_other_files_ids(seed_corpus: Path, seed_index: Path, parses: list[str]) -> None:
    before = hits(seed_index, ALL_SEED)
    (seed_corpus / "later").mkdir()
    (seed_corpus / "later" / "extra.txt").write_text(EXTRA, encoding="utf-8")
    summary = update_index(seed_corpus, seed_index)
    assert parses == ["later/extra.txt"]
    assert counts(summary) == {"added": 1, "changed": 0, "removed": 0, "failed": 0}
    assert (summary.articles, summary.files) == (5, 2)
    assert hits(seed_index, ALL_SEED) == before
    assert [title for _, title in hits(seed_index, "zebra")] == ["Zebra Crossing Painted Outside the School"]


def test_rebuild_gives_the_same_ids_and_no_duplicates(corpus: Path, tmp_path: Path) -> None:
    index_dir = tmp_path / "index"
    update_index(corpus, index_dir)
    before = sorted(hits(index_dir, f"{ALL_SEED} OR zebra"))
    summary = update_index(corpus, index_dir, rebuild=True)
    assert summary.rebuilt
    assert (summary.articles, summary.sections, summary.captions, summary.files) == (5, 19, 8, 2)
    assert summary.added == 2
    after = sorted(hits(index_dir, f"{ALL_SEED} OR zebra"))
    assert after == before
    assert len(after) == 5


# ---------------------------------------------------------------------------------------------
# What is skipped, ignored and reported
# ---------------------------------------------------------------------------------------------


def test_unsupported_files_are_skipped_and_hidden_files_ignored(seed_corpus: Path, tmp_path: Path) -> None:
    (seed_corpus / "report.pdf").write_bytes(b"%PDF-1.7\n")
    (seed_corpus / "notes.docx").write_bytes(b"PK\x03\x04")
    (seed_corpus / ".hidden.txt").write_text(EXTRA, encoding="utf-8")
    (seed_corpus / ".git").mkdir()
    (seed_corpus / ".git" / "zebra.txt").write_text(EXTRA, encoding="utf-8")
    summary = update_index(seed_corpus, tmp_path / "index")
    assert summary.skipped == 2
    assert (summary.articles, summary.files, summary.failed) == (4, 1, 0)
    assert hits(tmp_path / "index", "zebra") == []


def test_binary_txt_fails_with_its_path_and_the_rest_is_indexed(corpus: Path, tmp_path: Path) -> None:
    (corpus / "scans").mkdir()
    (corpus / "scans" / "page.txt").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)))
    summary = update_index(corpus, tmp_path / "index")
    assert summary.failed == 1
    assert [p.path for p in summary.problems] == ["scans/page.txt"]
    # Each file is counted once: the broken one as failed, not also as added.
    assert (summary.articles, summary.files, summary.added, summary.unchanged) == (5, 2, 2, 0)
    assert len(hits(tmp_path / "index", f"{ALL_SEED} OR zebra")) == 5
    again = update_index(corpus, tmp_path / "index")
    assert (again.added, again.unchanged, again.failed) == (0, 2, 1)
    assert [p.path for p in again.problems] == ["scans/page.txt"]


def test_invalid_utf8_file_is_indexed_with_a_warning(seed_corpus: Path, tmp_path: Path) -> None:
    (seed_corpus / "latin1.txt").write_bytes(EXTRA.replace("Parents", "Parents\xe9").encode("latin-1"))
    summary = update_index(seed_corpus, tmp_path / "index")
    assert summary.failed == 0
    assert [p.path for p in summary.problems] == ["latin1.txt"]
    assert [title for _, title in hits(tmp_path / "index", "zebra")] == ["Zebra Crossing Painted Outside the School"]


def test_missing_corpus_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(CorpusMissingError) as excinfo:
        update_index(tmp_path / "no-such-corpus", tmp_path / "index")
    assert "no-such-corpus" in excinfo.value.message


# ---------------------------------------------------------------------------------------------
# Concurrency, failures, versions
# ---------------------------------------------------------------------------------------------


def test_second_update_while_one_runs_says_busy(seed_corpus: Path, seed_index: Path) -> None:
    (seed_corpus / "extra.txt").write_text(EXTRA, encoding="utf-8")
    with update_lock(seed_index), pytest.raises(IndexBusyError) as excinfo:
        update_index(seed_corpus, seed_index)
    assert "newssearch index" in excinfo.value.message
    assert excinfo.value.exit_code == 3
    # Nothing was written meanwhile, and the next run (lock released) does the work.
    assert hits(seed_index, "zebra") == []
    assert update_index(seed_corpus, seed_index).added == 1
    assert len(hits(seed_index, "zebra")) == 1


def test_foreign_whoosh_writer_is_reported_not_waited_for(seed_corpus: Path, seed_index: Path) -> None:
    (seed_corpus / "extra.txt").write_text(EXTRA, encoding="utf-8")
    writer = windex.open_dir(str(seed_index), indexname=INDEX_NAME).writer()
    try:
        with pytest.raises(IndexUpdateError):
            update_index(seed_corpus, seed_index)
    finally:
        writer.cancel()
    assert len(hits(seed_index, ALL_SEED)) == 4


class Boom(RuntimeError):
    pass


class _DyingEngine(WhooshEngine):
    """The embedded engine, whose writer raises ``failure`` at the sixth article it is given."""

    def __init__(self, index_dir: Path, written: list[str], failure: type[BaseException]) -> None:
        super().__init__(index_dir)
        self.written = written
        self.failure = failure

    def update(self, apply: Update, *, rebuild: bool) -> IndexSummary:
        engine = self

        class Dying:
            def __init__(self, writer: Writer) -> None:
                self.writer = writer

            def __getattr__(self, name: str) -> Any:
                return getattr(self.writer, name)

            def add_article(self, article: Article) -> None:
                if len(engine.written) == 5:
                    raise engine.failure()
                engine.written.append(article.path)
                self.writer.add_article(article)

        return super().update(lambda writer: apply(Dying(writer)), rebuild=rebuild)  # type: ignore[arg-type]


@pytest.mark.parametrize("failure", [Boom, KeyboardInterrupt], ids=["error", "interrupt"])
def test_failed_update_leaves_the_previous_index_whole(
    corpus: Path, tmp_path: Path, failure: type[BaseException]
) -> None:
    index_dir = tmp_path / "index"
    update_index(corpus, index_dir)
    queries = [ALL_SEED, "zebra", "Rafah crossing", "Gvili", "Asharq"]
    before = {q: hits(index_dir, q) for q in queries}

    # The run deletes extra.txt's articles, re-adds a changed seed, adds two new files, then dies.
    seed = corpus / SEED.name
    seed.write_text(seed.read_text(encoding="utf-8") + "\nAn aardvark was seen near the crossing.\n", encoding="utf-8")
    (corpus / "extra.txt").unlink()
    for name, animal in (("new1.txt", "Quokka"), ("new2.txt", "Wombat")):
        text = export_text(f"{animal} Spotted", f"A {animal.lower()} (AP)", f"A {animal.lower()} was seen.")
        (corpus / name).write_text(text, encoding="utf-8")
    written: list[str] = []
    # Of the 6 articles to write (4 changed seed + 2 new), the run dies at the last.
    with pytest.raises(failure):
        update_index(corpus, _DyingEngine(index_dir, written, failure))
    assert len(written) == 5

    assert {q: hits(index_dir, q) for q in queries} == before
    assert hits(index_dir, "aardvark") == []
    assert hits(index_dir, "quokka") == []
    assert_current(index_dir)

    summary = update_index(corpus, index_dir)  # not locked, and the manifest knows nothing of the failed run
    assert counts(summary) == {"added": 2, "changed": 1, "removed": 1, "failed": 0}
    assert [title for _, title in hits(index_dir, "aardvark")] == [LAST_SEED_TITLE]  # appended to the last
    assert len(hits(index_dir, "quokka OR wombat")) == 2
    assert hits(index_dir, "zebra") == []


@pytest.mark.parametrize("other", [SCHEMA_VERSION + 1, SCHEMA_VERSION - 1, None], ids=["newer", "older", "none"])
def test_index_of_another_schema_version_is_refused_then_rebuilt(
    seed_corpus: Path, seed_index: Path, other: int | None
) -> None:
    ix = windex.open_dir(str(seed_index), indexname=INDEX_NAME)
    writer = ix.writer()
    writer.update_document(kind="meta", key="meta", data=json.dumps({"schema": other, "corpus": str(seed_corpus)}))
    writer.commit()

    with pytest.raises(IndexOutdatedError) as excinfo, open_searcher(seed_index):
        pass
    assert "newssearch index" in excinfo.value.message
    with pytest.raises(IndexOutdatedError):
        search(seed_index, SearchRequest("Rafah"))

    summary = update_index(seed_corpus, seed_index)
    assert summary.rebuilt
    assert (summary.articles, summary.sections, summary.captions, summary.added) == (4, 18, 7, 1)
    assert_current(seed_index)
    assert len(hits(seed_index, ALL_SEED)) == 4  # rebuilt from empty: no article twice


# -- what the corpus folder holds besides readable files ----------------------------------------


def _unreadable(monkeypatch: pytest.MonkeyPatch, folder: Path) -> None:
    """Make ``folder`` unlistable, as a permission error would (tests run as root here)."""
    real = os.scandir

    def scandir(path: Any = ".") -> Any:
        if Path(path).resolve() == folder.resolve():
            raise PermissionError(13, "Permission denied", str(path))
        return real(path)

    monkeypatch.setattr(os, "scandir", scandir)


def test_an_unreadable_corpus_folder_is_an_error_and_the_index_keeps_everything(
    corpus: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    update_index(corpus, tmp_path / "index")
    _unreadable(monkeypatch, corpus)
    with pytest.raises(CorpusMissingError, match="cannot read the corpus folder"):
        update_index(corpus, tmp_path / "index")
    monkeypatch.undo()
    assert len(hits(tmp_path / "index", f"{ALL_SEED} OR zebra")) == 5


def test_an_unreadable_subfolder_is_reported_and_its_articles_kept(
    corpus: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (corpus / "desk").mkdir()
    shutil.move(corpus / "extra.txt", corpus / "desk" / "extra.txt")
    update_index(corpus, tmp_path / "index")
    _unreadable(monkeypatch, corpus / "desk")
    summary = update_index(corpus, tmp_path / "index")
    assert summary.removed == 0
    assert [p.path for p in summary.problems] == ["desk/"]
    assert [title for _, title in hits(tmp_path / "index", "zebra")] == ["Zebra Crossing Painted Outside the School"]


def test_a_fifo_and_a_broken_link_are_reported_not_waited_on(corpus: Path, tmp_path: Path) -> None:
    os.mkfifo(corpus / "pipe.txt")
    (corpus / "gone.txt").symlink_to(corpus / "nowhere.txt")
    summary = update_index(corpus, tmp_path / "index")
    assert {p.path: p.reason for p in summary.problems} == {
        "gone.txt": "a link to nothing",
        "pipe.txt": "not a regular file",
    }
    assert (summary.added, summary.failed, summary.articles) == (2, 2, 5)


def test_a_run_with_nothing_changed_writes_nothing(corpus: Path, tmp_path: Path) -> None:
    index_dir = tmp_path / "index"
    update_index(corpus, index_dir)
    before = {p.name: p.stat().st_mtime_ns for p in index_dir.iterdir()}
    assert update_index(corpus, index_dir).unchanged == 2
    assert {p.name: p.stat().st_mtime_ns for p in index_dir.iterdir()} == before


def test_a_moved_corpus_gives_paths_in_its_new_place(
    corpus: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    update_index(Path("corpus"), Path("index"))
    (tmp_path / "corpus").rename(tmp_path / "articles")
    summary = update_index(Path("articles"), Path("index"))
    assert summary.unchanged == 2
    paths = {hit.path for hit in search(Path("index"), SearchRequest("zebra OR gaza")).results}
    assert paths == {"articles/extra.txt", f"articles/{SEED.name}"}


def test_scores_after_many_updates_stay_close_to_a_rebuilt_index(corpus: Path, tmp_path: Path) -> None:
    """Deleted documents count in Whoosh's statistics until their segment is merged; the indexer
    merges once they are a tenth of the index, so scores drift a little, never far."""
    index_dir = tmp_path / "index"
    update_index(corpus, index_dir)
    for n in range(8):
        (corpus / "extra.txt").write_text(EXTRA.replace("Tuesday", f"Tuesday {n}"), encoding="utf-8")
        os.utime(corpus / "extra.txt", ns=(n + 1, n + 1))
        update_index(corpus, index_dir)

    def scores() -> list[tuple[str, float]]:
        return [(h.id, h.score) for h in search(index_dir, SearchRequest("rafah crossing OR zebra")).results]

    updated = scores()
    update_index(corpus, index_dir, rebuild=True)
    rebuilt = scores()
    assert [doc for doc, _ in updated] == [doc for doc, _ in rebuilt]
    assert [score for _, score in updated] == pytest.approx([score for _, score in rebuilt], rel=0.05)


def test_progress_moves_through_one_large_file_as_its_articles_are_added(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    records = [{"id": str(n), "title": f"Story {n}", "body": f"Text of story number {n}."} for n in range(300)]
    (corpus / "feed.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records))
    (corpus / "note.txt").write_text("A Note\n\nA short plain note.\n")
    calls: list[tuple[int, int, str, int]] = []

    class Recorded:
        def reading(self, done: int, total: int, path: str, articles: int) -> None:
            calls.append((done, total, path, articles))

        def writing(self) -> None:
            calls.append((-1, -1, "", -1))

    update_index(corpus, tmp_path / "index", progress=Recorded())

    writing = calls.pop()
    assert writing == (-1, -1, "", -1)  # the commit comes last, as a phase of its own
    total = sum(f.stat().st_size for f in corpus.iterdir())
    assert {t for _, t, _, _ in calls} == {total}
    dones = [d for d, _, _, _ in calls]
    assert dones == sorted(dones) and dones[-1] == total
    inside_feed = {d for d, _, path, _ in calls if path == "feed.jsonl"}
    assert len(inside_feed) >= 5  # the bar moves while the 300 articles are added, not only after
    articles = [a for *_, a in calls]
    assert articles == sorted(articles) and articles[-1] == 301


def feed(corpus: Path, name: str, first: int, count: int) -> None:
    """A .jsonl file of ``count`` articles, each with a word of its own (``uniq<n>``)."""
    records = [
        {"id": str(n), "title": f"Dispatch {n}", "body": f"Report uniq{n} from the harbour, filed at dawn."}
        for n in range(first, first + count)
    ]
    (corpus / name).write_text("".join(json.dumps(r) + "\n" for r in records))


def test_indexing_in_two_processes_gives_the_same_results_as_one(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for part in range(3):
        feed(corpus, f"part{part}.jsonl", part * 400, 400)
    one = update_index(corpus, tmp_path / "one", procs=1)
    two = update_index(corpus, tmp_path / "two", procs=2)

    assert counts(two) == counts(one) and two.articles == 1200
    for text in ("uniq7", "uniq1199", "harbour dawn", "dispatch"):
        assert hits(tmp_path / "two", text) == hits(tmp_path / "one", text)
    # and an update after a parallel run changes only what changed
    feed(corpus, "part1.jsonl", 400, 399)
    again = update_index(corpus, tmp_path / "two", procs=2)
    assert (again.changed, again.unchanged, again.articles, again.rebuilt) == (1, 2, 1199, False)
    assert [title for _, title in hits(tmp_path / "two", "uniq798")] == ["Dispatch 798"]
    assert not hits(tmp_path / "two", "uniq799")


def test_articles_a_worker_process_loses_are_indexed_again_not_missing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Whoosh's parallel writer commits without the documents of a worker that failed; the run
    notices the count is short and builds the index again in one process."""
    import multiprocessing

    from whoosh import writing

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    feed(corpus, "feed.jsonl", 0, 600)
    add_document = writing.SegmentWriter.add_document

    def failing_in_workers(self: Any, **fields: Any) -> Any:
        if multiprocessing.current_process().name != "MainProcess" and fields.get("title") == "Dispatch 300":
            raise RuntimeError("worker failed")
        return add_document(self, **fields)

    monkeypatch.setattr(writing.SegmentWriter, "add_document", failing_in_workers)

    summary = update_index(corpus, tmp_path / "index", procs=2)

    assert summary.articles == 600
    with open_searcher(tmp_path / "index") as (searcher, _):
        assert searcher.doc_frequency("kind", "article") == 600
    assert all(hits(tmp_path / "index", f"uniq{n}") for n in (0, 299, 300, 301, 599))


def test_a_run_whose_worker_processes_all_die_finishes_in_one_process(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """More batches than the workers' queue holds: with every worker dead, handing over the
    next batch would wait forever; the run notices and indexes in this process instead."""
    import multiprocessing

    from whoosh import writing

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    feed(corpus, "feed.jsonl", 0, 1500)
    add_document = writing.SegmentWriter.add_document

    def failing_in_workers(self: Any, **fields: Any) -> Any:
        if multiprocessing.current_process().name != "MainProcess":
            raise RuntimeError("worker failed")
        return add_document(self, **fields)

    monkeypatch.setattr(writing.SegmentWriter, "add_document", failing_in_workers)

    summary = update_index(corpus, tmp_path / "index", procs=2)

    assert summary.articles == 1500
    assert all(hits(tmp_path / "index", f"uniq{n}") for n in (0, 750, 1499))


def test_a_parallel_update_that_deletes_articles_is_kept_not_redone(tmp_path: Path) -> None:
    """Deleted articles stay in Whoosh's term counts until their segment is merged: the check
    after a parallel run counts the articles there are, or it would take every update that
    changes a file for a lost worker and build the whole index again."""
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for part in range(10):
        feed(corpus, f"part{part}.jsonl", part * 150, 150)
    assert update_index(corpus, tmp_path / "index", procs=2).articles == 1500
    feed(corpus, "part3.jsonl", 450, 100)
    (corpus / "part7.jsonl").unlink()

    summary = update_index(corpus, tmp_path / "index", procs=2)

    assert (summary.rebuilt, summary.added, summary.changed, summary.removed) == (False, 0, 1, 1)
    assert summary.articles == 1300
    assert not hits(tmp_path / "index", "uniq560") and not hits(tmp_path / "index", "uniq1060")
    assert hits(tmp_path / "index", "uniq549") and hits(tmp_path / "index", "uniq1499")


WORKER_KILLED_WHILE_WAITING = """
import os, signal, sys, time
from pathlib import Path
from newssearch.engines.whoosh import WhooshEngine
from newssearch.indexer import update_index


class KillingEngine(WhooshEngine):
    \"\"\"After the second file's articles are handed over, kill a worker waiting for work.\"\"\"

    def update(self, apply, *, rebuild):
        entries = []

        def killing(writer):
            put_entry = writer.put_entry

            def put_then_kill(relpath, entry):
                entries.append(relpath)
                workers = getattr(writer.writer, "tasks", None)
                if len(entries) == 2 and workers:
                    time.sleep(1.5)  # every worker has taken its batch and waits for the next
                    os.kill(workers[int(sys.argv[3])].pid, signal.SIGKILL)
                    print("killed")
                    time.sleep(0.5)
                put_entry(relpath, entry)

            writer.put_entry = put_then_kill
            return apply(writer)

        return super().update(killing, rebuild=rebuild)


summary = update_index(Path(sys.argv[1]), KillingEngine(sys.argv[2]), procs=2)
print(summary.articles)
"""


@pytest.mark.parametrize("which", [0, 1])
def test_a_worker_killed_while_waiting_for_work_does_not_hang_the_run(tmp_path: Path, which: int) -> None:
    """A worker waiting for work holds the work queue's lock; killed then, it leaves the other
    waiting forever. The run must notice the dead worker and index in one process instead."""
    import subprocess
    import sys

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for part in range(12):
        feed(corpus, f"part{part:02d}.jsonl", part * 200, 200)
    script = tmp_path / "kill_worker.py"
    script.write_text(WORKER_KILLED_WHILE_WAITING)

    run = subprocess.run(
        [sys.executable, str(script), str(corpus), str(tmp_path / "index"), str(which)],
        capture_output=True,
        text=True,
        timeout=180,
    )

    assert run.returncode == 0, run.stderr
    assert run.stdout.split() == ["killed", "2400"]  # a worker was killed, and every article is in
    with open_searcher(tmp_path / "index") as (searcher, _):
        assert searcher.doc_frequency("kind", "article") == 2400


def _segments(index_dir: Path) -> list[Any]:
    return list(windex.open_dir(str(index_dir), indexname=INDEX_NAME)._segments())


def _records(prefix: str, count: int, word: str = "story") -> str:
    rows = [{"id": f"{prefix}{n}", "title": f"A {word} {n}", "body": f"The {word}, number {n}."} for n in range(count)]
    return "\n".join(json.dumps(r) for r in rows) + "\n"


def test_segments_stay_few_over_many_small_updates(tmp_path: Path) -> None:
    """Every update that changes something writes a segment, and every query opens every
    segment: after each of 20 runs that add a file of 51 articles, the index has at most 8
    segments (Whoosh's own policy kept every run's: 21), and every article is found once."""
    corpus, index_dir = tmp_path / "corpus", tmp_path / "index"
    corpus.mkdir()
    (corpus / "base.jsonl").write_text(_records("base", 200, "base"))
    update_index(corpus, index_dir)
    for run in range(20):
        added = [{"id": f"r{run}", "title": f"zebra{run} sighted", "body": "Seen."}]
        added += [{"id": f"r{run}-{n}", "title": f"Other {n}", "body": "Not a zebra."} for n in range(50)]
        (corpus / f"run{run}.jsonl").write_text("\n".join(json.dumps(r) for r in added) + "\n")
        update_index(corpus, index_dir)
        segments = [s.doc_count_all() for s in _segments(index_dir)]
        assert len(segments) <= 8, segments
    assert search(index_dir, SearchRequest("base", limit=0)).total == 200
    assert search(index_dir, SearchRequest("zebra", limit=0)).total == 20 * 50
    for run in range(20):
        found = search(index_dir, SearchRequest(f"zebra{run}")).results
        assert [hit.doc_id for hit in found] == [f"r{run}"]


def test_small_updates_never_rewrite_a_large_segment(tmp_path: Path) -> None:
    """A one-article update merges small segments only: a segment of 300 articles (a tier
    below the first run's 600) is the same segment after twelve such updates. (A policy that
    merged everything below the largest tier rewrote it at every fifth update: 13 s each at
    10,000 articles.)"""
    corpus, index_dir = tmp_path / "corpus", tmp_path / "index"
    corpus.mkdir()
    (corpus / "base.jsonl").write_text(_records("base", 600))
    update_index(corpus, index_dir)
    (corpus / "middle.jsonl").write_text(_records("middle", 300))
    update_index(corpus, index_dir)
    middle = [s.segment_id() for s in _segments(index_dir) if 300 <= s.doc_count_all() < 1000]
    assert len(middle) == 1
    for run in range(12):
        (corpus / f"tiny{run}.jsonl").write_text(_records(f"tiny{run}-", 1, f"tiny{run}"))
        update_index(corpus, index_dir)
        assert middle[0] in [s.segment_id() for s in _segments(index_dir)], run
    assert search(index_dir, SearchRequest("story", limit=0)).total == 900
