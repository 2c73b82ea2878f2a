"""The seam between newssearch and its engine (README, "Engines"): Whoosh stays inside the
embedded engine's package, and a second engine plugs in by registering itself, with the CLI,
the renderers, the corpus scan and the update plan unchanged."""

from __future__ import annotations

import ast
import json
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from typer.testing import Result

import memory_engine
from conftest import SEED

Cli = Callable[..., Result]

SRC = Path(__file__).resolve().parent.parent / "src" / "newssearch"
WHOOSH_ENGINE = SRC / "engines" / "whoosh"
ENGINES = {"whoosh": WHOOSH_ENGINE, "opensearchpy": SRC / "engines" / "opensearch"}


@pytest.mark.parametrize(
    "modules",
    [
        "newssearch, newssearch.models",
        "newssearch.cli, newssearch.engine, newssearch.engines, newssearch.searcher, newssearch.indexer",
        "newssearch.check, newssearch.problems, newssearch.snippets, newssearch.querytext, newssearch.querytree",
        "newssearch.render.as_json, newssearch.corpus",
    ],
)
def test_importing_newssearch_loads_no_engine(modules: str) -> None:
    script = (
        f"import sys, {modules}; print(sorted(m for m in sys.modules if m.split('.')[0] in ('whoosh', 'opensearchpy')))"
    )
    loaded = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True).stdout
    assert loaded.strip() == "[]"


def _imports(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module.split(".")[0])
    return found


@pytest.mark.parametrize("library", sorted(ENGINES))
def test_only_its_engine_imports_what_an_engine_is_built_on(library: str) -> None:
    package = ENGINES[library]
    outside = sorted(
        str(path.relative_to(SRC))
        for path in SRC.rglob("*.py")
        if package not in path.parents and library in _imports(path)
    )
    inside = [path for path in package.rglob("*.py") if library in _imports(path)]
    assert outside == []
    assert len(inside) >= 4  # the check reads imports: it would see them


def test_a_query_on_a_folder_index_loads_no_cluster_client(seed_corpus: Path, tmp_path: Path) -> None:
    index = tmp_path / "index"
    script = (
        "import sys\n"
        "from newssearch.cli import main\n"
        f"sys.argv = ['newssearch', 'index', '--corpus', {str(seed_corpus)!r}, '--index', {str(index)!r}, '-q']\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        f"sys.argv = ['newssearch', 'query', 'rafah', '--index', {str(index)!r}, '-q']\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'opensearchpy'), file=sys.stderr)\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert done.stderr.strip().splitlines()[-1] == "[]"


@pytest.fixture
def memory(seed_corpus: Path) -> Iterator[str]:
    """A memory engine registered and empty, and the location of an index in it."""
    memory_engine.register_memory_engine()
    memory_engine.forget_all()
    yield "memory:seed"
    memory_engine.forget_all()


def test_a_second_engine_runs_every_command_through_the_same_cli(
    cli: Cli, memory: str, seed_corpus: Path, tmp_path: Path
) -> None:
    first = cli("index", "--index", memory, "--json")
    assert first.exit_code == 0, first.stderr
    summary = json.loads(first.stdout)
    assert (summary["added"], summary["articles"], summary["sections"], summary["captions"]) == (1, 4, 18, 7)
    assert not (tmp_path / "index").exists() and not Path(memory).exists()  # nothing written to a folder

    found = cli("query", "Rafah crossing", "--index", memory, "--json")
    assert found.exit_code == 0, found.stderr
    result = json.loads(found.stdout)
    assert result["total"] == 3
    best = result["results"][0]
    assert best["path"] == f"corpus/{SEED.name}" and best["line"] > 1  # a path a user can open
    assert cli("index").exit_code == 0  # the embedded engine, in ./index: the same articles match
    embedded = json.loads(cli("query", "Rafah crossing", "--json").stdout)
    assert {r["id"] for r in result["results"]} == {r["id"] for r in embedded["results"]}
    # Snippets are newssearch's, with the engine's analyzer: offsets into the snippet's text.
    match = best["matches"][0]
    assert [match["text"][s:e].lower() for s, e in match["highlights"]] == ["rafah", "crossing"]

    shown = cli("show", best["id"], "--index", memory, "--json", "--highlight", "rafah")
    assert shown.exit_code == 0 and json.loads(shown.stdout)["title"] == best["title"]
    stats = json.loads(cli("stats", "--index", memory, "--json").stdout)
    assert (stats["articles"], stats["files"]) == (4, 1)

    assert cli("query", "zzyzx", "--index", memory).exit_code == 1
    # The query tree is newssearch's: the engine evaluates its operators and phrases.
    excluded = json.loads(cli("query", "rafah -hostage", "--index", memory, "--json").stdout)
    phrase = json.loads(cli("query", '"rafah crossing" OR zzyzx', "--index", memory, "--json").stdout)
    assert excluded["total"] < result["total"] and phrase["total"] > 0
    refused = cli("query", "rafa*", "--index", memory)
    assert refused.exit_code == 2 and "does not search prefix queries" in refused.stderr
    again = json.loads(cli("index", "--index", memory, "--json").stdout)
    assert (again["unchanged"], again["added"]) == (1, 0)
    assert cli("index", "--check", "--index", memory).exit_code == 0

    shutil.copy(SEED, seed_corpus / "copy.txt")
    assert cli("index", "--check", "--index", memory).exit_code == 1  # a file not indexed yet
    added = json.loads(cli("index", "--index", memory, "--json").stdout)
    assert (added["added"], added["articles"]) == (1, 8)
    assert json.loads(cli("query", "Rafah crossing", "--index", memory, "--json").stdout)["total"] == 6


def test_a_location_no_engine_takes_is_the_embedded_engines_folder(cli: Cli, memory: str) -> None:
    result = cli("query", "rafah", "--index", "memoryless")
    assert result.exit_code == 2
    assert "no index at ./memoryless" in result.stderr
