"""``newssearch index --check``: the index compared with the corpus, through the real CLI."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path

from typer.testing import Result
from whoosh import index as windex

from conftest import SEED
from newssearch.engines.whoosh.store import INDEX_NAME

Cli = Callable[..., Result]


def setup(tmp_path: Path, cli: Cli) -> Path:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    shutil.copy(SEED, corpus / SEED.name)
    (corpus / "note.md").write_text("# Harbour Note\n\nThe ferry ran late again.\n")
    assert cli("index").exit_code == 0
    return corpus


def test_an_index_in_step_with_its_corpus_passes(tmp_path: Path, cli: Cli) -> None:
    setup(tmp_path, cli)
    before = sorted(p.name for p in (tmp_path / "index").iterdir())

    result = cli("index", "--check")

    assert result.exit_code == 0
    said = result.stdout.strip()
    assert said.startswith("The index matches the corpus: 5 articles from 2 files (")
    assert said.endswith("of index files checked byte for byte).")
    assert sorted(p.name for p in (tmp_path / "index").iterdir()) == before  # nothing written


def test_added_changed_and_removed_files_are_listed_with_what_to_run(tmp_path: Path, cli: Cli) -> None:
    corpus = setup(tmp_path, cli)
    (corpus / "new.md").write_text("# Fresh\n\nNew text.\n")
    (corpus / "note.md").write_text("# Harbour Note\n\nThe ferry ran on time.\n")
    (corpus / SEED.name).unlink()
    touched = corpus / "touched.md"  # same content, newer time: not a change
    touched.write_text("# Same\n\nSame.\n")
    assert cli("index").exit_code == 0
    touched.write_text("# Same\n\nSame.\n")
    (corpus / "new.md").unlink()
    (corpus / "newer.md").write_text("# Fresh\n\nNew text.\n")

    result = cli("index", "--check")
    report = json.loads(cli("index", "--check", "--json").stdout)

    assert result.exit_code == 1
    assert "not indexed yet: newer.md" in result.stdout and "gone: new.md" in result.stdout
    assert "touched.md" not in result.stdout
    assert result.stdout.rstrip().endswith("run `newssearch index` to bring the index up to date.")
    assert (report["added"], report["changed"], report["removed"]) == (["newer.md"], [], ["new.md"])
    assert (report["out_of_date"], report["damaged"]) == (True, False)
    (corpus / "note.md").write_text("# Harbour Note\n\nChanged once more.\n")
    assert json.loads(cli("index", "--check", "--json").stdout)["changed"] == ["note.md"]

    assert cli("index").exit_code == 0
    assert cli("index", "--check").exit_code == 0


def test_articles_missing_from_the_index_are_damage_and_a_rebuild_repairs_it(tmp_path: Path, cli: Cli) -> None:
    setup(tmp_path, cli)
    ix = windex.open_dir(str(tmp_path / "index"), indexname=INDEX_NAME)
    with ix.writer() as writer:  # what a lost segment would look like: one article gone
        with ix.searcher() as searcher:
            docnum = next(searcher.document_numbers(kind="article", path=SEED.name))
        writer.delete_document(docnum)

    result = cli("index", "--check")
    report = json.loads(cli("index", "--check", "--json").stdout)

    assert result.exit_code == 1
    assert f"damaged: {SEED.name}: 3 articles in the index, 4 expected" in result.stdout
    assert "run `newssearch index --rebuild` to repair the index" in result.stdout
    assert report["mismatched"] == [{"path": SEED.name, "expected": 4, "found": 3}] and report["damaged"]
    assert cli("index").exit_code == 0  # an update does not notice: nothing changed in the corpus
    assert cli("index", "--check").exit_code == 1
    assert cli("index", "--rebuild").exit_code == 0
    assert cli("index", "--check").exit_code == 0


def test_a_missing_or_damaged_index_is_a_message_not_a_traceback(tmp_path: Path, cli: Cli) -> None:
    (tmp_path / "corpus").mkdir()
    missing = cli("index", "--check")
    assert missing.exit_code == 2 and "no index at" in missing.stderr and "newssearch index" in missing.stderr

    setup_dir = tmp_path / "corpus"
    shutil.copy(SEED, setup_dir / SEED.name)
    assert cli("index").exit_code == 0
    for segment in (tmp_path / "index").glob("*.seg"):
        segment.write_bytes(b"\0" * 64)
    damaged = cli("index", "--check")  # too damaged to open: reported as damage, not refused
    assert damaged.exit_code == 1 and "Traceback" not in damaged.stderr
    assert "damaged: index file" in damaged.stdout and "newssearch index --rebuild" in damaged.stdout


def test_check_and_rebuild_together_is_a_usage_error(tmp_path: Path, cli: Cli) -> None:
    setup(tmp_path, cli)
    result = cli("index", "--check", "--rebuild")
    assert result.exit_code == 2 and "--check only reads" in result.stderr
