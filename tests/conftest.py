"""Shared fixtures: the shipped seed, scratch corpora, real on-disk indexes, and the real CLI."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from newssearch.cli import app
from newssearch.indexer import update_index

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "corpus" / "000_f49d05269f99023b.txt"
FIXTURES = Path(__file__).resolve().parent / "fixtures"
# The research data sets live beside the repository, never in it (their licences forbid it).
SHARED_DATA = ROOT.parent / "shared" / "data"


@pytest.fixture
def seed_corpus(tmp_path: Path) -> Path:
    """A scratch corpus folder holding a copy of the shipped seed file."""
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    shutil.copy(SEED, corpus / SEED.name)
    return corpus


@pytest.fixture
def seed_index(seed_corpus: Path, tmp_path: Path) -> Path:
    """A real Whoosh index of the seed, on disk."""
    index_dir = tmp_path / "index"
    update_index(seed_corpus, index_dir)
    return index_dir


@pytest.fixture
def cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Callable[..., Result]:
    """Run the real CLI in ``tmp_path`` (so ./corpus and ./index are the scratch ones)."""
    monkeypatch.chdir(tmp_path)
    for name in ("NEWSSEARCH_CORPUS", "NEWSSEARCH_INDEX", "NO_COLOR", "FORCE_COLOR"):
        monkeypatch.delenv(name, raising=False)
    runner = CliRunner()

    def run(*args: str, env: dict[str, str] | None = None) -> Result:
        return runner.invoke(app, list(args), env=env, catch_exceptions=False)

    return run
