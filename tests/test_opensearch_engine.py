"""The OpenSearch engine on a real cluster (tests/opensearch/cluster): the same commands, outputs and exit codes
as the embedded engine, incremental updates that are never half-visible, one writer at a time, and failures as
sentences (README, "Past one machine").

The tour's queries run on both engines over the same corpus and must give the same articles in the same order; the
other queries of the README's syntax the same articles (their order may differ where the scores do: README, "Past
one machine").
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner, Result

from clusters import call, cluster_nodes, running_cluster
from conftest import FIXTURES, ROOT, SEED
from newssearch.cli import app
from newssearch.engine import Update, Writer
from newssearch.engines import engine_at
from newssearch.engines.opensearch import OpenSearchEngine
from newssearch.engines.whoosh import WhooshEngine
from newssearch.indexer import update_index
from newssearch.manifest import IndexSummary
from newssearch.models import Article

pytestmark = pytest.mark.opensearch

# The queries of the README's tour, as (arguments): the same articles in the same order on both engines.
TOUR = [
    ("Rafah crossing", "--limit", "2"),
    ("Rafah crossing",),
    ("“limited reopening”",),
    ("Rafha crosing",),
    ("tunnel", "--passages"),
    ("caption:tunnel",),
]
# A query of each row of the README's syntax table, and the options: the same articles on both engines.
SYNTAX = [
    ("gaza",),
    ("gaza egypt",),
    ('"rafah crossing"',),
    ('"crossing rafah"~3',),
    ("gaza OR tunnel",),
    ("gaza AND NOT egypt",),
    ("gaza -egypt",),
    ("(hostage OR remains) gaza",),
    ("title:rafah",),
    ("section:reopening",),
    ("body:gvili",),
    ("crossin*",),
    ("rafha~1",),
    ("crosing~1",),
    ("rafah AND (NOT tunnel NOT hostage)",),  # none has every word; relaxed: those without one of them
    ("hostage^2 tunnel", "--any"),
    ("what did israel say about the remains of the hostage", "--any"),
    ("egypt", "--in", "caption"),
    ("gaza", "--sort", "date"),
    ("gaza", "--limit", "1", "--offset", "1"),
    ("hostage", "--passages"),
    ("Türkiye",),
    ("caption:*",),
]


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with running_cluster(tmp_path_factory.mktemp("opensearch"), nodes=1) as url:
        yield url


_names = iter(range(10_000))


@pytest.fixture
def location(cluster: str, request: pytest.FixtureRequest) -> str:
    """A fresh index name on the cluster for one test."""
    return f"{cluster}/t{next(_names)}-{request.node.name.lower()[:40].strip('_-')}"


class Folder:
    """A folder with a corpus, where the real CLI runs."""

    def __init__(self, root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        self.root = root
        self.corpus = root / "corpus"
        self.corpus.mkdir(parents=True, exist_ok=True)
        monkeypatch.chdir(root)
        for name in ("NEWSSEARCH_CORPUS", "NEWSSEARCH_INDEX", "NO_COLOR", "FORCE_COLOR"):
            monkeypatch.delenv(name, raising=False)

    def run(self, *args: str) -> Result:
        return CliRunner().invoke(app, list(args), catch_exceptions=False)

    def json(self, *args: str) -> Any:
        result = self.run(*args, "--json")
        assert result.exit_code in (0, 1), result.stdout + result.stderr
        return json.loads(result.stdout)


@pytest.fixture
def folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Folder:
    here = Folder(tmp_path, monkeypatch)
    shutil.copy(SEED, here.corpus / SEED.name)
    return here


@pytest.fixture(scope="module")
def both(cluster: str, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str, str]:
    """The seed indexed by both engines: (the folder, the embedded index, the cluster's index)."""
    root = tmp_path_factory.mktemp("both")
    (root / "corpus").mkdir()
    shutil.copy(SEED, root / "corpus" / SEED.name)
    url = f"{cluster}/seed"
    update_index(root / "corpus", root / "index")
    update_index(root / "corpus", url)
    return root, str(root / "index"), url


def _on_both(both: tuple[Path, str, str], monkeypatch: pytest.MonkeyPatch, *args: str) -> tuple[Any, Any]:
    """The JSON of one command on the embedded index and on the cluster's."""
    root, embedded, cluster_index = both
    here = Folder(root, monkeypatch)
    return here.json(*args, "--index", embedded), here.json(*args, "--index", cluster_index)


def _results(result: dict[str, Any], *, order: bool = True) -> Any:
    """What a user reads of a result list, apart from the scores (which the engines compute differently)."""
    found = [{k: v for k, v in hit.items() if k not in ("score", "rank")} for hit in result["results"]]
    head = {k: result[k] for k in ("total", "relaxed", "suggestion")}
    return head, found if order else sorted(found, key=lambda hit: json.dumps(hit, sort_keys=True))


@pytest.mark.parametrize("args", TOUR, ids=[" ".join(a) for a in TOUR])
def test_the_tour_gives_the_same_results_in_the_same_order_on_both_engines(
    both: tuple[Path, str, str], args: tuple[str, ...], monkeypatch: pytest.MonkeyPatch
) -> None:
    on_disk, on_cluster = _on_both(both, monkeypatch, "query", *args)
    assert _results(on_cluster) == _results(on_disk)
    assert on_cluster["facets"] == on_disk["facets"]


@pytest.mark.parametrize("args", SYNTAX, ids=[" ".join(a) for a in SYNTAX])
def test_every_row_of_the_syntax_finds_the_same_articles_on_both_engines(
    both: tuple[Path, str, str], args: tuple[str, ...], monkeypatch: pytest.MonkeyPatch
) -> None:
    on_disk, on_cluster = _on_both(both, monkeypatch, "query", *args)
    paging = "--offset" in args or "--limit" in args
    assert on_disk["total"] > 0
    if paging:  # a page of equal scores may hold other articles; the totals agree
        assert on_cluster["total"] == on_disk["total"]
    else:
        assert _results(on_cluster, order=False) == _results(on_disk, order=False)


@pytest.fixture(scope="module")
def fixtures_on_both(cluster: str, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str, str]:
    """Every fixture of tests/fixtures (each input format, awkward and hostile text) indexed by both engines."""
    root = tmp_path_factory.mktemp("fixtures")
    shutil.copytree(FIXTURES, root / "corpus")
    update_index(root / "corpus", root / "index")
    update_index(root / "corpus", f"{cluster}/fixtures")
    return root, str(root / "index"), f"{cluster}/fixtures"


FIXTURE_QUERIES = [
    ("turkiye",),
    ("Türkiye",),
    ("Hayya's",),
    ('"fragile beginning"',),
    ("caption:reuters",),
    ("section:*",),
    ("residents",),
    ("the",),
    ("sharply",),
    ("date:[2024 TO 2025]",),
    ("date:{2024 TO 2025}",),
    ("date:{2024-06 TO 2025-01}",),
    ("date:2025*",),
    ("residents", "--since", "2025-01", "--until", "2025-06"),
    ("residents", "--sort", "date"),
    ("residents", "--source", "wire desk"),
]


@pytest.mark.parametrize("args", FIXTURE_QUERIES, ids=[" ".join(a) for a in FIXTURE_QUERIES])
def test_every_input_format_and_awkward_text_is_found_the_same_on_both_engines(
    fixtures_on_both: tuple[Path, str, str], args: tuple[str, ...], monkeypatch: pytest.MonkeyPatch
) -> None:
    on_disk, on_cluster = _on_both(fixtures_on_both, monkeypatch, "query", *args, "--limit", "100")
    assert on_disk["total"] > 0 or args == ("the",)
    assert _results(on_cluster, order=False) == _results(on_disk, order=False)


def test_every_stored_article_reads_back_the_same_on_both_engines(
    fixtures_on_both: tuple[Path, str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    everything = _on_both(fixtures_on_both, monkeypatch, "query", "*:*", "--limit", "1000")[0]
    ids = [hit["id"] for hit in everything["results"]]
    assert len(ids) > 20
    for article_id in ids:
        on_disk, on_cluster = _on_both(fixtures_on_both, monkeypatch, "show", article_id)
        assert on_cluster == on_disk


def test_a_group_of_exclusions_leaves_out_each_of_them(
    both: tuple[Path, str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    root, _, cluster_index = both
    here = Folder(root, monkeypatch)
    kept = here.json("query", "rafah AND (NOT tunnel NOT reunite)", "--index", cluster_index)
    assert kept["total"] == 1  # of the three about Rafah, one has "tunnel" and one "reunite"
    text = json.dumps(here.json("show", kept["results"][0]["id"], "--index", cluster_index)).lower()
    assert "rafah" in text and "tunnel" not in text and "reunite" not in text


def test_show_and_stats_read_the_same_article_and_counts_as_the_embedded_engine(
    both: tuple[Path, str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    root, embedded, cluster_index = both
    here = Folder(root, monkeypatch)
    for args in (
        ("show", "fd9fa8ec"),
        ("show", "fd9fa8ec", "--highlight", "crossing", "--color", "always"),
        ("show", "fd9fa8ec", "--highlight", '"rafah crossing" OR gvili', "--color", "always"),
    ):
        disk, remote = here.run(*args, "--index", embedded), here.run(*args, "--index", cluster_index)
        assert remote.exit_code == disk.exit_code == 0
        assert remote.stdout == disk.stdout
    disk_json = here.json("show", "fd9fa8ec", "--index", embedded)
    assert here.json("show", "fd9fa8ec", "--index", cluster_index) == disk_json
    stats = here.json("stats", "--index", cluster_index)
    expected = here.json("stats", "--index", embedded)
    assert {k: stats[k] for k in ("articles", "sections", "captions", "files")} == {
        k: expected[k] for k in ("articles", "sections", "captions", "files")
    }
    assert stats["terms"] is None and stats["bytes"] > 0 and stats["updated"]


def test_the_analysis_reads_the_same_words_as_the_embedded_engines(both: tuple[Path, str, str]) -> None:
    """The same words at the same offsets (tokenizing, folding, stop words); the stems differ now and then:
    Lucene's Porter stemmer is the published algorithm, Whoosh's leaves some endings on ("running" → "runn"
    where Lucene says "run"; README, "Past one machine")."""
    _, embedded, cluster_index = both
    texts = SEED.read_text(encoding="utf-8").splitlines()
    same = tokens = 0
    with engine_at(cluster_index).reader() as remote, WhooshEngine(embedded).reader() as local:
        for text in texts:
            theirs, ours = list(remote.analyze(text)), list(local.analyze(text))
            assert [(t.start, t.end) for t in theirs] == [(t.start, t.end) for t in ours], text
            tokens += len(ours)
            same += sum(a.text == b.text for a, b in zip(theirs, ours, strict=True))
    assert tokens > 2500 and same / tokens > 0.98, (same, tokens)


NOTED = [
    ("query", "zzyzx"),
    ("query", "Rafha crosing"),
    ("query", "title:(gaza"),
    ("query", "the"),
    ("query", "rafah or egypt"),  # found, with a note on how "or" was read
    ("query", "the -gaza"),
    ("query", "date:[yesterday TO 2025]"),
    ("query", "gaza", "--source", "nowhere"),
    ("query", "gaza", "--since", "2030"),
    ("query", "gaza", "--source", ""),
    ("query", "the ANDMAYBE rafah"),
    ("query", "rafah REQUIRE the"),
    ("query", "the REQUIRE rafah"),
    ("query", "the ANDNOT gaza"),
    ("query", "rafah ANDNOT (egypt OR israel)"),
    ("query", "gaza", "--offset", "2000000"),
    ("show", "0000"),
]


@pytest.mark.parametrize("args", NOTED, ids=[" ".join(a) for a in NOTED])
def test_what_fails_or_needs_a_note_says_the_same_on_both_engines(
    both: tuple[Path, str, str], args: tuple[str, ...], monkeypatch: pytest.MonkeyPatch
) -> None:
    root, embedded, cluster_index = both
    here = Folder(root, monkeypatch)
    on_disk = here.run(*args, "--index", embedded)
    on_cluster = here.run(*args, "--index", cluster_index)
    assert (on_cluster.exit_code, on_cluster.stderr) == (on_disk.exit_code, on_disk.stderr)
    if on_disk.exit_code:  # results print their scores, which differ
        assert on_cluster.stdout == on_disk.stdout


def test_an_index_not_built_yet_says_how_to_build_it(folder: Folder, cluster: str) -> None:
    missing = folder.run("query", "gaza", "--index", f"{cluster}/never-built")
    assert missing.exit_code == 2
    assert missing.stderr.strip() == (
        f"newssearch: no index at {cluster}/never-built — run `newssearch index --index {cluster}/never-built` "
        f"to build it"
    )


def _closed_port() -> int:
    """A local port nothing listens on (just released by a socket bound to it)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


def test_a_cluster_that_cannot_be_reached_is_one_sentence(folder: Folder) -> None:
    url = f"http://127.0.0.1:{_closed_port()}/news"
    query = folder.run("query", "gaza", "--index", url)
    assert query.exit_code == 2
    assert query.stderr.strip() == (
        f"newssearch: cannot reach the cluster at {url} — check that it is running and the host and port are right"
    )
    index = folder.run("index", "--index", url)
    assert index.exit_code == 3 and "cannot reach the cluster" in index.stderr


def test_a_cluster_that_does_not_answer_in_time_is_one_sentence(
    folder: Folder, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A host that takes the connection and never answers (a listening socket no one reads)."""
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        url = f"http://127.0.0.1:{silent.getsockname()[1]}/news"
        monkeypatch.setenv("NEWSSEARCH_OPENSEARCH_TIMEOUT", "0.5")
        started = time.monotonic()
        query = folder.run("query", "gaza", "--index", url)
        assert query.exit_code == 2
        assert query.stderr.strip() == (
            f"newssearch: the cluster at {url} did not answer within 0.5 s — check that it is healthy "
            f"(GET /_cluster/health), or allow more time with NEWSSEARCH_OPENSEARCH_TIMEOUT, then try again"
        )
        assert time.monotonic() - started < 10  # three tries of half a second, not a minute
        monkeypatch.setenv("NEWSSEARCH_OPENSEARCH_TIMEOUT", "soon")
        bad = folder.run("query", "gaza", "--index", url)
        assert bad.exit_code == 2 and "is not a number of seconds" in bad.stderr


def test_a_location_without_an_index_name_or_with_a_bad_one_is_refused(folder: Folder) -> None:
    no_name = folder.run("query", "gaza", "--index", "http://127.0.0.1:9200")
    assert no_name.exit_code == 2 and "names no index" in no_name.stderr
    bad = folder.run("query", "gaza", "--index", "http://127.0.0.1:9200/News*")
    assert bad.exit_code == 2 and "cannot name an OpenSearch index" in bad.stderr


def test_a_password_is_never_printed(folder: Folder) -> None:
    port = _closed_port()
    result = folder.run("query", "gaza", "--index", f"http://editor:s3cret@127.0.0.1:{port}/news")
    assert result.exit_code == 2
    assert "s3cret" not in result.stderr and f"http://editor@127.0.0.1:{port}/news" in result.stderr


def test_without_the_client_a_cluster_location_says_how_to_install_it(tmp_path: Path) -> None:
    """In a fresh process where ``opensearchpy`` cannot be imported (as when the extra is not installed)."""
    code = (
        "import sys; sys.modules['opensearchpy'] = None\n"
        "from newssearch.cli import main\n"
        "sys.argv = ['newssearch', 'query', 'gaza', '--index', 'http://127.0.0.1:9200/news']\n"
        "main()\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path, check=False)
    assert done.returncode == 2
    assert "pip install 'newssearch[opensearch]'" in done.stderr and "Traceback" not in done.stderr


def test_index_is_incremental_and_a_rebuild_switches_the_alias(folder: Folder, location: str) -> None:
    first = folder.json("index", "--index", location)
    assert (first["articles"], first["added"], first["rebuilt"]) == (4, 1, True)
    url, name = location.rsplit("/", 1)
    (physical,) = call(url, "GET", f"/_alias/{name}")
    again = folder.json("index", "--index", location)
    assert (again["unchanged"], again["added"], again["rebuilt"]) == (1, 0, False)

    extra = folder.corpus / "extra.md"
    extra.write_text("# Floods in Valencia\n\nRain flooded the streets of Valencia overnight.\n", encoding="utf-8")
    added = folder.json("index", "--index", location)
    assert (added["added"], added["articles"]) == (1, 5)
    assert folder.json("query", "valencia", "--index", location)["total"] == 1

    extra.write_text("# Floods in Murcia\n\nRain flooded the streets of Murcia overnight.\n", encoding="utf-8")
    changed = folder.json("index", "--index", location)
    assert (changed["changed"], changed["articles"]) == (1, 5)
    assert folder.run("query", "valencia", "--index", location).exit_code == 1
    assert folder.json("query", "murcia", "--index", location)["results"][0]["path"] == "corpus/extra.md"

    extra.unlink()
    removed = folder.json("index", "--index", location)
    assert (removed["removed"], removed["articles"]) == (1, 4)
    assert folder.run("query", "murcia", "--index", location).exit_code == 1
    check = folder.run("index", "--check", "--index", location)
    assert check.exit_code == 0, check.stdout + check.stderr
    assert call(url, "GET", f"/_alias/{name}") == {physical: {"aliases": {name: {}}}}

    rebuilt = folder.json("index", "--rebuild", "--index", location)
    assert (rebuilt["rebuilt"], rebuilt["articles"]) == (True, 4)
    (now,) = call(url, "GET", f"/_alias/{name}")
    assert now != physical
    assert physical not in call(url, "GET", f"/{name}-*?expand_wildcards=all")  # the old one is deleted


@pytest.mark.parametrize(
    "args",
    [
        ["rafah crossing"],
        ['"rafah crossing"'],
        ["cross*"],
        ["rafah", "--passages"],
        ['"rafah crossing"~3'],
        ["gaza NOT hostage"],
    ],
)
def test_explain_names_the_same_words_and_parts_and_adds_up_on_the_cluster(
    both: tuple[Path, str, str], monkeypatch: pytest.MonkeyPatch, args: list[str]
) -> None:
    """README, "newssearch query": --explain on a cluster, from its own explanation of each score."""
    embedded, on_cluster = _on_both(both, monkeypatch, "query", *args, "--explain")
    assert on_cluster["results"]
    for hit in on_cluster["results"]:
        assert sum(p["score"] for p in hit["explanation"]) == pytest.approx(hit["score"], abs=2e-3)

    def key(hit: dict[str, Any]) -> tuple[Any, ...]:  # a passage is its article's id and its line
        return (hit["id"], hit.get("line") if "kind" in hit else None)

    by_id = {key(hit): hit for hit in embedded["results"]}
    for hit in on_cluster["results"]:
        ours = {(p["term"], p["part"]) for p in by_id[key(hit)]["explanation"]}
        theirs = {(p["term"], p["part"]) for p in hit["explanation"]}
        if args[0] == "cross*":  # a pattern matches the words as written there, the stems here
            assert {part for _, part in theirs} == {part for _, part in ours}
        elif "~" in args[0]:  # a proximity, with the slop each engine reads "~3" as
            assert {part for _, part in theirs} == {part for _, part in ours}
            assert all(t.startswith('"rafah cross"~') for t, _ in theirs | ours), (theirs, ours)
        elif "NOT" in args[0]:  # Whoosh adds a constant for a NOT part; Lucene does not
            assert theirs == {(t, p) for t, p in ours if not t.startswith("NOT ")}, hit["id"]
        else:
            assert theirs == ours, hit["id"]


def test_similar_finds_the_same_stories_on_the_cluster(
    both: tuple[Path, str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """README, "newssearch similar": the same words and the same stories, through the seam."""
    gazans = "c3d004c6d3ccdf2d"
    embedded, on_cluster = _on_both(both, monkeypatch, "similar", gazans)
    assert on_cluster["words"] == embedded["words"]
    assert [hit["id"] for hit in on_cluster["results"]] == [hit["id"] for hit in embedded["results"]]
    assert gazans not in [hit["id"] for hit in on_cluster["results"]] and on_cluster["copies"] == []


def test_an_alert_shows_what_is_new_on_the_cluster_and_survives_a_rebuild(
    folder: Folder, location: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """README, "newssearch alert": the same runs as on disk (tests/test_alerts.py), on a cluster."""
    monkeypatch.setenv("NEWSSEARCH_ALERTS", str(folder.root / "alerts.json"))
    assert folder.run("index", "--index", location).exit_code == 0
    assert folder.run("alert", "add", "rafah", "rafah crossing", "--index", location).exit_code == 0
    query = [hit["title"] for hit in folder.json("query", "rafah crossing", "--index", location)["results"]]
    first = folder.json("alert", "run", "--index", location)["alerts"][0]
    assert sorted(hit["title"] for hit in first["results"]) == sorted(query) and first["new"] == len(query) > 0
    assert folder.run("alert", "run", "--index", location).exit_code == 1

    (folder.corpus / "extra.md").write_text(
        "# Trucks wait at the Rafah crossing\n\nAid trucks queued at the Rafah crossing.\n", encoding="utf-8"
    )
    assert folder.run("index", "--index", location).exit_code == 0
    new = folder.json("alert", "run", "--index", location)["alerts"][0]
    assert [hit["title"] for hit in new["results"]] == ["Trucks wait at the Rafah crossing"]

    assert folder.run("index", "--rebuild", "--index", location).exit_code == 0
    assert folder.run("alert", "run", "--index", location).exit_code == 1
    listed = folder.json("alert", "list", "--index", location)
    assert listed["index"] == location and [a["shown"] for a in listed["alerts"]] == [len(query) + 1]


def test_problems_are_reported_and_remembered_as_on_disk(folder: Folder, location: str) -> None:
    (folder.corpus / "broken.jsonl").write_bytes(b'{"title": "Fine", "body": "A good line."}\n{not json\n\xff\xfe\n')
    (folder.corpus / "notes.bin").write_bytes(b"\x00\x01")
    on_disk = folder.run("index", "--index", str(folder.root / "index"))
    on_cluster = folder.run("index", "--index", location)
    assert on_cluster.exit_code == on_disk.exit_code == 0
    assert _without_seconds(on_cluster.stderr + on_cluster.stdout) == _without_seconds(on_disk.stderr + on_disk.stdout)
    again_disk = folder.run("index", "--problems", "--index", str(folder.root / "index"))
    again_cluster = folder.run("index", "--problems", "--index", location)
    assert again_cluster.stdout == again_disk.stdout and "broken.jsonl" in again_cluster.stdout


def _without_seconds(text: str) -> str:
    return re.sub(r"in [0-9.]+ s", "in … s", text)


def test_a_name_taken_by_another_index_is_refused_before_anything_is_built(folder: Folder, location: str) -> None:
    url, name = location.rsplit("/", 1)
    call(url, "PUT", f"/{name}", {})
    refused = folder.run("index", "--index", location)
    assert refused.exit_code == 3
    assert f"the cluster has an index named {name!r} that newssearch did not make" in refused.stderr
    assert list(call(url, "GET", f"/{name}*")) == [name, f"{name}-lock"]


def test_indices_left_by_runs_that_died_are_deleted_by_the_next_run(folder: Folder, location: str) -> None:
    url, name = location.rsplit("/", 1)
    folder.run("index", "--index", location)
    orphan = f"{name}-20200101000000-abcdef"  # as a rebuild that died before its switch leaves it
    call(url, "PUT", f"/{orphan}", {})
    (folder.corpus / "more.md").write_text("# Storm\n\nA storm hit the coast.\n", encoding="utf-8")
    assert folder.json("index", "--index", location)["added"] == 1
    assert orphan not in call(url, "GET", f"/{name}-*")


def test_an_article_longer_than_one_analysis_request_is_searched_and_shown(folder: Folder, location: str) -> None:
    """A paragraph of a megabyte (within the README's limits) is analyzed for snippets in pieces."""
    words = " ".join(f"filler{n % 997}" for n in range(51_000))  # about 490,000 characters, 997 words
    record = {"id": "long", "title": "A very long dispatch", "body": f"{words} zebra crossing {words}"}
    (folder.corpus / "long.jsonl").write_text(json.dumps(record) + "\n", encoding="utf-8")
    assert folder.run("index", "--index", location).exit_code == 0
    found = folder.json("query", "zebra", "--index", location)
    (match,) = found["results"][0]["matches"]
    assert [match["text"][a:b] for a, b in match["highlights"]] == ["zebra"]
    assert folder.json("query", "zebr*", "--index", location)["total"] == 1
    shown = folder.run("show", found["results"][0]["id"], "--highlight", "zebra", "--index", location, "--no-pager")
    assert shown.exit_code == 0 and "zebra crossing" in shown.stdout


@pytest.mark.parametrize("query", ["valencai~1", "valenc*", "val*cia"])
def test_a_pattern_is_highlighted_where_it_matched_even_at_the_end_of_a_text(
    folder: Folder, location: str, query: str
) -> None:
    (folder.corpus / "floods.md").write_text("# Floods reach Valencia\n\nRain fell on Valencia.\n", encoding="utf-8")
    folder.run("index", "--index", location)
    (hit,) = folder.json("query", query, "--index", location)["results"]
    spans = {m["kind"]: [m["text"][a:b] for a, b in m["highlights"]] for m in hit["matches"]}
    assert spans == {"title": ["Valencia"], "body": ["Valencia"]}


def test_index_check_finds_articles_missing_from_the_cluster(folder: Folder, location: str) -> None:
    folder.run("index", "--index", location)
    url, name = location.rsplit("/", 1)
    # Damage a user could do from outside: delete an article's documents directly.
    call(url, "POST", f"/{name}/_delete_by_query?refresh=true", {"query": {"term": {"kind": "article"}}, "max_docs": 1})
    check = folder.run("index", "--check", "--index", location)
    assert check.exit_code == 1
    assert "000_f49d05269f99023b.txt" in check.stdout + check.stderr
    assert "newssearch index --rebuild" in check.stdout + check.stderr


class _Failing(OpenSearchEngine):
    """The OpenSearch engine, whose writer calls ``at_article(n)`` before each article it is given."""

    def __init__(self, location: str, at_article: Callable[[int], None]) -> None:
        super().__init__(location)
        self.at_article = at_article
        self.count = 0

    def update(self, apply: Update, *, rebuild: bool) -> IndexSummary:
        engine = self

        class Watched:
            def __init__(self, writer: Writer) -> None:
                self.writer = writer

            def __getattr__(self, name: str) -> Any:
                return getattr(self.writer, name)

            def add_article(self, article: Article) -> None:
                engine.count += 1
                engine.at_article(engine.count)
                self.writer.add_article(article)

        return super().update(lambda writer: apply(Watched(writer)), rebuild=rebuild)  # type: ignore[arg-type]


class Boom(RuntimeError):
    pass


def _articles_file(path: Path, count: int, word: str) -> None:
    lines = [
        json.dumps({"id": f"{word}-{n}", "title": f"Report {n} on {word}", "body": f"The {word} story, part {n}."})
        for n in range(count)
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def test_a_failed_update_leaves_the_committed_index_searchable_and_the_next_run_completes(
    folder: Folder, location: str
) -> None:
    _articles_file(folder.corpus / "first.jsonl", 600, "harvest")
    assert folder.json("index", "--index", location)["articles"] == 604
    before = folder.json("query", "harvest", "--index", location, "--limit", "1")["total"]
    _articles_file(folder.corpus / "first.jsonl", 600, "drought")  # every article changes
    _articles_file(folder.corpus / "second.jsonl", 50, "flood")

    def die(n: int) -> None:
        if n == 580:  # past the first bulk requests: documents of the new generation are on the cluster
            raise Boom

    with pytest.raises(Boom):
        update_index(folder.corpus, _Failing(location, die))
    assert folder.json("query", "harvest", "--index", location, "--limit", "1")["total"] == before == 600
    assert folder.run("query", "drought", "--index", location).exit_code == 1  # nothing of the failed run shows
    assert folder.run("query", "flood", "--index", location).exit_code == 1
    done = folder.json("index", "--index", location)
    assert (done["changed"], done["added"], done["articles"]) == (1, 1, 654)
    assert folder.json("query", "drought", "--index", location, "--limit", "1")["total"] == 600
    assert folder.run("query", "harvest", "--index", location).exit_code == 1
    assert folder.run("index", "--check", "--index", location).exit_code == 0


def test_a_second_writer_is_refused_and_a_dead_writers_lock_is_taken_over(folder: Folder, location: str) -> None:
    folder.run("index", "--index", location)
    (folder.corpus / "more.md").write_text("# Storm\n\nA storm hit the coast.\n", encoding="utf-8")
    seen: list[Result] = []

    def second_run(n: int) -> None:
        if n == 1:
            seen.append(folder.run("index", "--index", location))

    update_index(folder.corpus, _Failing(location, second_run))
    (busy,) = seen
    assert busy.exit_code == 3
    assert "is being updated by another `newssearch index` run" in busy.stderr

    # A run that died holding the lock: its lease is not renewed, and the next run takes it over.
    url, name = location.rsplit("/", 1)
    dead = {"token": "gone", "host": "elsewhere", "pid": 1, "renewed": "2020-01-01T00:00:00", "renewed_epoch": 0}
    call(url, "PUT", f"/{name}-lock/_doc/update?refresh=true", dead)
    (folder.corpus / "more.md").write_text("# Storm\n\nA storm hit the harbour.\n", encoding="utf-8")
    taken = folder.run("index", "--index", location)
    assert taken.exit_code == 0, taken.stderr
    assert folder.json("query", "harbour", "--index", location)["total"] == 1


def test_hostile_text_is_stored_and_highlighted_at_the_right_offsets(folder: Folder, location: str) -> None:
    """Characters past U+FFFF count twice in OpenSearch's offsets (UTF-16) and once in Python's."""
    record = {
        "id": "h1",
        "title": "Markup [bold]x[/bold] and \x1b[31m escapes",
        "body": "🎉🎉 Fireworks 𝒳 over the harbour 🎉, then 'quoted' fireworks again.",
        "captions": ["A caption with <b>tags</b> and fireworks (AP)"],
    }
    (folder.corpus / "hostile.jsonl").write_text(json.dumps(record) + "\n", encoding="utf-8")
    folder.run("index", "--index", location)
    found = folder.json("query", "fireworks", "--index", location)
    (hit,) = [h for h in found["results"] if h["doc_id"] == "h1"]
    for match in hit["matches"]:
        assert match["highlights"]
        assert {match["text"][a:b].lower() for a, b in match["highlights"]} == {"fireworks"}
    assert folder.json("query", "bold", "--index", location)["total"] == 1
    shown = folder.run("query", "bold", "--index", location, "--color", "never")
    assert "[bold]x[/bold]" in shown.stdout and "\x1b" not in shown.stdout  # text, never markup or escapes


def test_every_article_survives_a_node_killed_during_index(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Three nodes, one replica of each shard: a node holding primaries dies in the middle of an update, and the
    update completes with every article searchable (README, "Past one machine")."""
    state = tmp_path / "cluster"
    with running_cluster(state, nodes=3) as url:
        here = Folder(tmp_path / "work", monkeypatch)
        monkeypatch.setenv("NEWSSEARCH_OPENSEARCH_SHARDS", "3")
        _articles_file(here.corpus / "wire.jsonl", 3000, "tariff")
        location = f"{url}/faults"
        killed: list[str] = []

        def kill_a_node(n: int) -> None:
            if n != 1500:
                return
            (physical,) = call(url, "GET", "/_alias/faults")
            shards = call(url, "GET", f"/_cat/shards/{physical}?format=json")
            nodes = cluster_nodes(state)
            first = nodes[0]["name"]  # the node the client talks to stays
            victim = next(s["node"] for s in shards if s["prirep"] == "p" and s["node"] != first)
            os.kill(next(node["pid"] for node in nodes if node["name"] == victim), signal.SIGKILL)
            killed.append(victim)

        # The first run builds the index (its alias exists from then on); the second adds to it while a node dies.
        _articles_file(here.corpus / "first.jsonl", 200, "levy")
        (here.corpus / "wire.jsonl").rename(here.corpus / "wire.later")
        assert here.json("index", "--index", location)["articles"] == 200
        call(url, "GET", "/_cluster/health/faults?wait_for_status=green&timeout=60s")
        (here.corpus / "wire.later").rename(here.corpus / "wire.jsonl")
        summary = update_index(here.corpus, _Failing(location, kill_a_node))
        assert killed, "no node was killed"
        assert summary.articles == 3200
        survivor = call(url, "GET", "/_cluster/health?wait_for_nodes=2&timeout=90s")
        assert survivor["number_of_nodes"] == 2
        found = here.json("query", "tariff", "--index", location, "--limit", "1")
        assert found["total"] == 3000  # articles lost: 0
        assert here.json("query", "levy", "--index", location, "--limit", "1")["total"] == 200
        assert here.run("index", "--check", "--index", location).exit_code == 0


def test_the_readme_documents_the_cluster_engine() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Past one machine", 1)[1].split("\n## ", 1)[0]
    for needed in ("pip install 'newssearch[opensearch]'", "--index http", "NEWSSEARCH_OPENSEARCH_PASSWORD", "differ"):
        assert needed in section, needed


def test_names_are_searched_in_the_same_spellings_on_the_cluster(
    cluster: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """README, "Names in every spelling": the same spellings searched, and the same articles
    found, from the cluster's names as from the embedded index's (tests/test_names.py)."""
    here = Folder(tmp_path, monkeypatch)
    shutil.copy(FIXTURES / "names" / "archive.jsonl", here.corpus / "archive.jsonl")
    url = f"{cluster}/names"
    for index in ("index", url):
        assert here.run("index", "--index", index).exit_code == 0
    for query in ("Gaddafi", "Kiev", "Zelensky", "al-Qaeda", "Tajikistan", "Kerry", "good", '"Gaddafi"'):
        embedded, on_cluster = (here.json("query", query, "--index", index) for index in ("index", url))
        assert on_cluster["variants"] == embedded["variants"], query
        assert _results(on_cluster, order=False) == _results(embedded, order=False), query
    assert embedded["variants"] == {} and here.json("query", "Gaddafi", "--index", url)["variants"]


def test_copies_are_folded_the_same_on_the_cluster(
    cluster: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """README, "Wire copies folded": the same stories, copies and totals as on disk
    (tests/test_copies_folded.py), including a copy added by a later update, which the cluster's
    index finds by its keys."""
    here = Folder(tmp_path, monkeypatch)
    lines = (FIXTURES / "copies" / "wire.jsonl").read_text(encoding="utf-8").splitlines()
    (here.corpus / "wire.jsonl").write_text("\n".join(lines[:1] + lines[2:]) + "\n", encoding="utf-8")
    url = f"{cluster}/copies"
    for index in ("index", url):
        assert here.run("index", "--index", index).exit_code == 0
    (here.corpus / "later.jsonl").write_text(lines[1] + "\n", encoding="utf-8")
    for index in ("index", url):
        assert here.run("index", "--index", index).exit_code == 0
    for args in (
        ["central bank interest rate"],
        ["central bank interest rate", "--all-copies"],
        ["copper tonne"],
        ["bank", "--sort", "date"],
        ["bank OR copper", "-n", "1", "--offset", "1"],
    ):
        embedded, on_cluster = (here.json("query", *args, "--index", index) for index in ("index", url))
        stories = [(hit["doc_id"], sorted(c["doc_id"] for c in hit["copies"])) for hit in on_cluster["results"]]
        assert stories == [(hit["doc_id"], sorted(c["doc_id"] for c in hit["copies"])) for hit in embedded["results"]]
        assert (on_cluster["total"], on_cluster["folded"]) == (embedded["total"], embedded["folded"]), args
    story = here.json("query", "central bank interest rate", "--index", url)["results"][0]
    assert len(story["copies"]) == 2 and story["copies"][0]["path"] in ("corpus/wire.jsonl", "corpus/later.jsonl")
    shown = here.json("show", story["id"], "--index", url)
    assert {c["doc_id"] for c in shown["copies"]} == {c["doc_id"] for c in story["copies"]}
