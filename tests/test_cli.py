"""The real ``newssearch`` command: through Typer's CliRunner (the ``cli`` fixture), and as the
installed entry point in a subprocess for what only a real process shows (terminals, pipes).
"""

from __future__ import annotations

import json
import re
import shutil
import signal
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import Result

from conftest import clean_env, entry_point, one_line_error, run_in_terminal
from newssearch.indexer import update_index
from newssearch.snippets import ELLIPSIS

Cli = Callable[..., Result]

SEED_NAME = "000_f49d05269f99023b.txt"
SEED_PATH = f"corpus/{SEED_NAME}"
KINDS = {"title", "section", "caption", "body"}
QUERY_KEYS = {
    "query", "total", "total_exact", "relaxed", "suggestion", "results", "facets", "filter_note", "notes", "variants",
    "folded",
}  # fmt: skip
RESULT_KEYS = {"rank", "id", "score", "title", "path", "line", "doc_id", "date", "source", "matches", "copies"}
MATCH_KEYS = {"kind", "section", "line", "text", "highlights"}
PASSAGE_KEYS = {"rank", "id", "title", "kind", "section", "path", "line", "score", "text", "highlights"}
SHOW_KEYS = {"id", "doc_id", "title", "path", "line", "date", "source", "url", "tags", "captions", "sections", "copies"}
STATS_KEYS = {"articles", "sections", "captions", "files", "terms", "bytes", "updated"}
ANSI = re.compile(r"\x1b\[[0-9;]*m")


# --------------------------------------------------------------------------- helpers


def as_json(result: Result) -> dict:
    assert result.stdout.count("\n") == 1, "--json must be exactly one line"
    return json.loads(result.stdout)


def seed_lines(tmp_path: Path) -> list[str]:
    return (tmp_path / "corpus" / SEED_NAME).read_text(encoding="utf-8").split("\n")


def colour_codes(text: str) -> list[str]:
    """SGR sequences in ``text`` that set a foreground or background colour."""
    found = []
    for m in ANSI.finditer(text):
        params = [int(p) for p in m.group()[2:-1].split(";") if p]
        if any(30 <= p <= 49 or 90 <= p <= 107 for p in params):
            found.append(m.group())
    return found


# The seed's index and the awkward corpus's are built once for the module (conftest.py) and only
# read: ``cli`` runs in their folder (./corpus, ./index). A test that writes has its own.


@pytest.fixture
def seed_index(seed_index_once: Path, cli: Cli, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The seed's index, shared by the module's tests, which only read it; ``cli`` runs beside it."""
    monkeypatch.chdir(seed_index_once.parent)
    return seed_index_once


@pytest.fixture
def own_seed_index(seed_corpus: Path, tmp_path: Path) -> Path:
    """The seed's index in the test's own folder (./corpus, ./index), for tests that write to it."""
    update_index(seed_corpus, tmp_path / "index")
    return tmp_path / "index"


@pytest.fixture
def awkward(awkward_index_once: Path, cli: Cli, monkeypatch: pytest.MonkeyPatch) -> Cli:
    """The CLI in a folder whose ./corpus is the awkward fixture corpus, indexed."""
    monkeypatch.chdir(awkward_index_once.parent)
    return cli


# --------------------------------------------------------------------------- query: exit codes


def test_found_exits_0(seed_index: Path, cli: Cli) -> None:
    result = cli("query", "rafah crossing")
    assert result.exit_code == 0
    assert "Rafah" in result.stdout


def test_nothing_found_exits_1(seed_index: Path, cli: Cli) -> None:
    result = cli("query", "xylophonist")
    assert result.exit_code == 1
    assert result.stdout == ""
    assert "xylophonist" in result.stderr
    empty = cli("query", "xylophonist", "--json")
    assert empty.exit_code == 1
    assert as_json(empty)["total"] == 0 and as_json(empty)["results"] == []


def test_relaxed_query_exits_0_and_says_so(seed_index: Path, cli: Cli) -> None:
    human = cli("query", "rafah putin")
    assert human.exit_code == 0
    assert "any" in human.stderr.lower()
    data = as_json(cli("query", "rafah putin", "--json"))
    assert data["relaxed"] is True and data["total"] == 4


def test_any_flag(seed_index: Path, cli: Cli) -> None:
    result = cli("query", "rafah putin", "--any", "--json")
    assert result.exit_code == 0
    data = as_json(result)
    assert data["relaxed"] is False and data["total"] == 4


def test_did_you_mean(seed_index: Path, cli: Cli) -> None:
    result = cli("query", "rafha crosing")
    assert result.exit_code == 1
    assert "Did you mean: rafah crossing" in result.stderr
    assert as_json(cli("query", "rafha crosing", "--json"))["suggestion"] == "rafah crossing"
    assert as_json(cli("query", "rafah crossing", "--json"))["suggestion"] is None


@pytest.mark.parametrize(
    ("args", "mentions"),
    [
        (["title:(storm"], "("),
        (["rafah AND"], "AND"),
        (["AND"], "AND"),
        (['"unterminated'], "quote"),
        (["foo:bar"], "foo"),
        ([""], "empty"),
        (["rafah", "--since", "2025-13-01"], "--since"),
        (["rafah", "--since", "yesterday"], "--since"),
        (["rafah", "--until", "01/02/2025"], "--until"),
        (["rafah", "--json", "--jsonl"], "--jsonl"),
    ],
)
def test_query_errors_exit_2_with_one_line(seed_index: Path, cli: Cli, args: list[str], mentions: str) -> None:
    result = cli("query", *args)
    assert result.exit_code == 2
    assert mentions in one_line_error(result)


def test_query_without_an_index_says_how_to_make_one(tmp_path: Path, cli: Cli) -> None:
    result = cli("query", "rafah")
    assert result.exit_code == 2
    assert "newssearch index" in one_line_error(result)
    assert not (tmp_path / "index").exists()


def test_limit_zero_is_a_count(seed_index: Path, cli: Cli) -> None:
    """``--limit 0`` is accepted by the option parser; it must give the total, not crash."""
    result = cli("query", "rafah", "--limit", "0", "--json")
    assert result.exit_code == 0, result.stderr
    data = as_json(result)
    assert data["total"] == 3 and data["results"] == []


# --------------------------------------------------------------------------- query: JSON


def test_json_shape(seed_index: Path, cli: Cli) -> None:
    result = cli("query", "rafah crossing", "--json")
    assert result.exit_code == 0
    data = as_json(result)
    assert set(data) == QUERY_KEYS
    assert data["query"] == "rafah crossing"
    assert data["total"] == len(data["results"]) == 3
    assert data["relaxed"] is False and data["suggestion"] is None
    for rank, hit in enumerate(data["results"], start=1):
        assert set(hit) == RESULT_KEYS
        assert hit["rank"] == rank
        assert hit["path"] == SEED_PATH
        assert isinstance(hit["score"], float) and hit["score"] > 0
        assert re.fullmatch(r"[0-9a-f]+", hit["id"])
        assert hit["doc_id"] is None and hit["date"] is None and hit["source"] is None
        assert 1 <= len(hit["matches"]) <= 3
        for match in hit["matches"]:
            assert set(match) == MATCH_KEYS
            assert match["kind"] in KINDS
            for start, end in match["highlights"]:
                assert match["text"][start:end].lower().startswith(("rafah", "cross"))


def test_json_lines_point_into_the_file(seed_index: Path, cli: Cli) -> None:
    lines = seed_lines(seed_index.parent)
    data = as_json(cli("query", "gaza", "--json"))
    assert data["results"]
    for hit in data["results"]:
        assert (seed_index.parent / hit["path"]).is_file()
        assert lines[hit["line"] - 1] == hit["title"]
        for match in hit["matches"]:
            text = match["text"].removeprefix(ELLIPSIS).removesuffix(ELLIPSIS)
            assert text in lines[match["line"] - 1]
            if match["kind"] == "section":
                assert match["section"]


def test_json_is_ranked_and_paginated_consistently(seed_index: Path, cli: Cli) -> None:
    full = as_json(cli("query", "gaza", "--json"))
    ids = [hit["id"] for hit in full["results"]]
    assert [hit["id"] for hit in as_json(cli("query", "gaza", "--json"))["results"]] == ids
    page = as_json(cli("query", "gaza", "--json", "--offset", "1", "--limit", "2"))
    assert page["total"] == full["total"] == 4
    assert [hit["id"] for hit in page["results"]] == ids[1:3]
    assert [hit["rank"] for hit in page["results"]] == [2, 3]


def test_offset_past_the_end(seed_index: Path, cli: Cli) -> None:
    result = cli("query", "rafah", "--offset", "10", "--json")
    data = as_json(result)
    assert data["total"] == 3 and data["results"] == []


def test_jsonl_is_one_result_a_line(seed_index: Path, cli: Cli) -> None:
    result = cli("query", "gaza", "--jsonl")
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    objects = [json.loads(line) for line in lines]
    assert objects == as_json(cli("query", "gaza", "--json"))["results"]
    assert all(set(o) == RESULT_KEYS for o in objects)


def test_passages_json(seed_index: Path, cli: Cli) -> None:
    lines = seed_lines(seed_index.parent)
    data = as_json(cli("query", "rafah crossing", "--passages", "--json"))
    assert data["total"] >= len(data["results"]) > 3
    for hit in data["results"]:
        assert set(hit) == PASSAGE_KEYS
        assert hit["kind"] in {"section", "caption", "body"}
        assert hit["path"] == SEED_PATH
        assert hit["text"].removeprefix(ELLIPSIS).removesuffix(ELLIPSIS) in lines[hit["line"] - 1]
        for start, end in hit["highlights"]:
            assert hit["text"][start:end].lower().startswith(("rafah", "cross"))
    jsonl = [json.loads(line) for line in cli("query", "rafah crossing", "--passages", "--jsonl").stdout.splitlines()]
    assert jsonl == data["results"]


@pytest.mark.parametrize("field", ["title", "section", "caption", "body"])
def test_in_field(seed_index: Path, cli: Cli, field: str) -> None:
    word = {"title": "lifeline", "section": "lifeline", "caption": "tunnel", "body": "putin"}[field]
    restricted = as_json(cli("query", word, "--in", field, "--json"))
    spelled = as_json(cli("query", f"{field}:{word}", "--json"))
    assert restricted["total"] >= 1
    assert [h["id"] for h in restricted["results"]] == [h["id"] for h in spelled["results"]]


def test_sort_by_date_without_dates(seed_index: Path, cli: Cli) -> None:
    result = cli("query", "gaza", "--sort", "date", "--json")
    assert result.exit_code == 0
    data = as_json(result)
    assert data["total"] == 4
    assert {h["id"] for h in data["results"]} == {h["id"] for h in as_json(cli("query", "gaza", "--json"))["results"]}


def test_since_until_filter_out_undated_articles(seed_index: Path, cli: Cli) -> None:
    result = cli("query", "gaza", "--since", "2020", "--json")
    assert result.exit_code == 1
    assert as_json(result)["total"] == 0


# --------------------------------------------------------------------------- query: human output


def test_human_output_lists_titles_locations_and_labelled_snippets(seed_index: Path, cli: Cli) -> None:
    data = as_json(cli("query", "rafah crossing", "--json"))
    result = cli("query", "rafah crossing", "--color", "never")
    assert result.exit_code == 0
    out = result.stdout
    assert "\x1b" not in out
    for hit in data["results"]:
        assert f"{hit['rank']}. {hit['title']}" in out
        assert f"{SEED_PATH}:{hit['line']}" in out
        for match in hit["matches"]:
            label = f"§ {match['section']}" if match["kind"] == "section" and match["section"] else match["kind"]
            assert f"{label} (line {match['line']}): {match['text']}" in out
    assert "1–3 of 3 articles" in result.stderr


def test_human_output_of_passages(seed_index: Path, cli: Cli) -> None:
    result = cli("query", "tunnel", "--passages", "--color", "never")
    assert result.exit_code == 0
    assert "caption" in result.stdout
    assert f"{SEED_PATH}:" in result.stdout


def test_color_never_has_no_escapes(seed_index: Path, cli: Cli) -> None:
    assert "\x1b" not in cli("query", "rafah", "--color", "never").stdout


def test_color_always_has_escapes(seed_index: Path, cli: Cli) -> None:
    out = cli("query", "rafah", "--color", "always").stdout
    assert ANSI.search(out)
    assert re.search(r"\x1b\[[0-9;]*mRafah", out), "the matched word is styled"
    assert ANSI.sub("", out).count("Rafah") == cli("query", "rafah", "--color", "never").stdout.count("Rafah")


def test_color_auto_does_not_colour_a_pipe(seed_index: Path, cli: Cli) -> None:
    assert "\x1b" not in cli("query", "rafah").stdout


def test_brackets_print_verbatim(awkward: Cli) -> None:
    for colour in ("never", "always"):
        result = awkward("query", "singapore", "--color", colour)
        assert result.exit_code == 0
        out = " ".join(ANSI.sub("", result.stdout).split())  # --color always wraps as on a terminal
        assert "[Reuters] Oil Prices Climb as [/b] Tags Leak Into Feeds" in out
        assert "[/b] crude futures rose [bold]sharply[/bold]" in out


def test_brackets_in_show(awkward: Cli) -> None:
    article_id = as_json(awkward("query", "singapore", "--json"))["results"][0]["id"]
    result = awkward("show", article_id, "--color", "never")
    assert result.exit_code == 0
    assert "[Reuters] Oil Prices Climb as [/b] Tags Leak Into Feeds" in result.stdout
    assert "[bold]sharply[/bold]" in result.stdout


@pytest.mark.parametrize("args", [["--color", "never"], ["--color", "always"], ["--json"], ["--jsonl"]])
def test_escape_byte_never_reaches_stdout_raw(awkward: Cli, args: list[str]) -> None:
    result = awkward("query", "lisbon", *args)
    assert result.exit_code == 0
    out = result.stdout
    assert "Newsroom" in out
    assert "\x1b[31m" not in out and "\x1b]0;" not in out and "\x07" not in out
    if args == ["--color", "never"] or args[0].startswith("--json"):
        assert "\x1b" not in out


def test_escape_byte_in_show(awkward: Cli) -> None:
    article_id = as_json(awkward("query", "lisbon", "--json"))["results"][0]["id"]
    out = awkward("show", article_id, "--color", "never").stdout
    assert "Lisbon" in out
    assert "\x1b" not in out and "\x07" not in out


def test_accents_and_curly_quotes_via_cli(awkward: Cli) -> None:
    turkey = {h["path"] for h in as_json(awkward("query", "turkiye", "--json"))["results"]}
    assert turkey == {"corpus/01_turkiye_accented.txt", "corpus/02_turkiye_plain.txt"}
    quoted = as_json(awkward("query", "\u201cfragile beginning\u201d", "--json"))
    assert [h["path"] for h in quoted["results"]] == ["corpus/03_curly_quotes.txt"]
    assert quoted["query"] == '"fragile beginning"'


def test_duplicate_articles_both_listed_in_id_order(awkward: Cli) -> None:
    data = as_json(awkward("query", "mombasa", "--json"))
    assert data["total"] == 2
    first, second = data["results"]
    assert {first["path"], second["path"]} == {"corpus/08_copy_one.txt", "corpus/09_copy_two.txt"}
    assert first["score"] == second["score"] and first["id"] < second["id"]


# --------------------------------------------------------------------------- show and stats


def test_show_json(seed_index: Path, cli: Cli) -> None:
    lines = seed_lines(seed_index.parent)
    hit = as_json(cli("query", "title:lifeline title:soon", "--json"))["results"][0]
    result = cli("show", hit["id"], "--json")
    assert result.exit_code == 0
    article = as_json(result)
    assert set(article) >= SHOW_KEYS
    assert article["id"] == hit["id"] and article["path"] == SEED_PATH
    assert lines[article["line"] - 1] == article["title"] == hit["title"]
    assert article["doc_id"] is None and article["date"] is None and article["tags"] == []
    lead, *rest = article["sections"]
    assert lead["heading"] is None
    assert [s["heading"] for s in rest] == ["What comes next", "A lifeline for Gaza", "Questions about the future"]
    for section in rest:
        assert lines[section["line"] - 1] == section["heading"]
    assert all(set(s) >= {"heading", "line", "text"} for s in article["sections"])
    (caption,) = article["captions"]
    assert set(caption) >= {"text", "line"}
    assert lines[caption["line"] - 1] == caption["text"]


def test_show_human(seed_index: Path, cli: Cli) -> None:
    hit = as_json(cli("query", "title:lifeline title:soon", "--json"))["results"][0]
    result = cli("show", hit["id"], "--color", "never")
    assert result.exit_code == 0
    out = result.stdout
    assert out.startswith(hit["title"])
    assert f"{SEED_PATH}:{hit['line']}" in out
    assert "What comes next" in out and "Questions about the future" in out
    assert "(AFP)" in out
    assert "Here\u2019s why the crossing is so vital." in out


def test_show_highlight(seed_index: Path, cli: Cli) -> None:
    article_id = as_json(cli("query", "rafah", "--json"))["results"][0]["id"]
    plain = cli("show", article_id, "--color", "always").stdout
    lit = cli("show", article_id, "--color", "always", "--highlight", "rafah")
    assert lit.exit_code == 0
    styled = re.compile(r"\x1b\[[0-9;]*mRafah")
    assert len(styled.findall(lit.stdout)) > len(styled.findall(plain))
    data = as_json(cli("show", article_id, "--json", "--highlight", "rafah"))
    assert [data["title"][s:e] for s, e in data["title_highlights"]] == ["Rafah"]


def test_show_bad_highlight_query(seed_index: Path, cli: Cli) -> None:
    article_id = as_json(cli("query", "rafah", "--json"))["results"][0]["id"]
    result = cli("show", article_id, "--highlight", "title:(storm")
    assert result.exit_code == 2
    one_line_error(result)


def test_show_accepts_a_unique_prefix(seed_index: Path, cli: Cli) -> None:
    ids = [h["id"] for h in as_json(cli("query", "gaza", "--json"))["results"]]
    prefix = next(
        article_id[:n]
        for n in range(4, 17)
        for article_id in ids
        if sum(i.startswith(article_id[:n]) for i in ids) == 1
    )
    result = cli("show", prefix, "--json")
    assert result.exit_code == 0
    assert as_json(result)["id"].startswith(prefix)


def test_show_unknown_id(seed_index: Path, cli: Cli) -> None:
    result = cli("show", "0000000000000000zz")
    assert result.exit_code == 2
    assert "0000000000000000zz" in one_line_error(result)


def test_show_without_an_index(tmp_path: Path, cli: Cli) -> None:
    result = cli("show", "abc")
    assert result.exit_code == 2
    assert "newssearch index" in one_line_error(result)


def test_stats_json(seed_index: Path, cli: Cli) -> None:
    result = cli("stats", "--json")
    assert result.exit_code == 0
    data = as_json(result)
    assert set(data) == STATS_KEYS
    assert (data["articles"], data["sections"], data["captions"], data["files"]) == (4, 18, 7, 1)
    assert data["terms"] > 0 and data["bytes"] > 0 and data["updated"]


def test_stats_human(seed_index: Path, cli: Cli) -> None:
    result = cli("stats")
    assert result.exit_code == 0
    for name, value in [("articles", 4), ("sections", 18), ("captions", 7), ("files", 1)]:
        assert re.search(rf"^{name}\s+{value}$", result.stdout, re.M), name
    assert "distinct terms" in result.stdout and "index size" in result.stdout


def test_stats_without_an_index(tmp_path: Path, cli: Cli) -> None:
    result = cli("stats")
    assert result.exit_code == 2
    assert "newssearch index" in one_line_error(result)


# --------------------------------------------------------------------------- index


def test_index_summary_line(seed_corpus: Path, cli: Cli) -> None:
    result = cli("index")
    assert result.exit_code == 0
    out = result.stdout.strip()
    assert "\n" not in out
    assert "4 articles, 18 sections, 7 captions from 1 file" in out
    assert "1 added" in out
    assert as_json(cli("query", "rafah", "--json"))["total"] == 3


def test_index_json_and_a_second_run_changes_nothing(seed_corpus: Path, cli: Cli) -> None:
    first = as_json(cli("index", "--json"))
    assert (first["articles"], first["sections"], first["captions"], first["files"]) == (4, 18, 7, 1)
    assert first["added"] == 1 and first["failed"] == 0 and first["problems"] == []
    second = as_json(cli("index", "--json"))
    assert (second["added"], second["changed"], second["unchanged"], second["rebuilt"]) == (0, 0, 1, False)
    assert second["articles"] == 4


def test_index_rebuild(own_seed_index: Path, cli: Cli) -> None:
    ids = [h["id"] for h in as_json(cli("query", "gaza", "--json"))["results"]]
    result = cli("index", "--rebuild")
    assert result.exit_code == 0
    assert result.stdout.startswith("Rebuilt")
    data = as_json(cli("index", "--rebuild", "--json"))
    assert data["rebuilt"] is True and data["articles"] == 4
    assert [h["id"] for h in as_json(cli("query", "gaza", "--json"))["results"]] == ids


def test_index_lists_a_broken_file_and_exits_0(seed_corpus: Path, cli: Cli) -> None:
    (seed_corpus / "broken.txt").write_bytes(b"\x00\x01\x02 binary \xff\xfe junk")
    (seed_corpus / "notes.pdf").write_bytes(b"%PDF-1.4")
    result = cli("index", "--json")
    assert result.exit_code == 0
    assert "broken.txt" in result.stderr
    assert "Traceback" not in result.stderr
    data = as_json(result)
    assert data["failed"] == 1 and data["skipped"] == 1 and data["articles"] == 4
    assert [p["path"] for p in data["problems"]] == ["broken.txt"]
    assert as_json(cli("query", "rafah", "--json"))["total"] == 3


def test_index_keeps_a_file_with_invalid_utf8(seed_corpus: Path, cli: Cli) -> None:
    (seed_corpus / "latin1.txt").write_bytes(
        "Caf\u00e9 Owners Protest Rent Rise\n\nThe caf\u00e9 owners marched.\n".encode("latin-1")
    )
    result = cli("index")
    assert result.exit_code == 0
    assert "latin1.txt" in result.stderr
    data = as_json(cli("query", "owners", "--json"))
    assert [h["path"] for h in data["results"]] == ["corpus/latin1.txt"]


def test_index_drops_a_deleted_file(own_seed_index: Path, seed_corpus: Path, cli: Cli) -> None:
    (seed_corpus / "extra.txt").write_text("Zanzibar Ferry Notice\n\nThe ferry sails at noon.\n", encoding="utf-8")
    assert as_json(cli("index", "--json"))["added"] == 1
    assert as_json(cli("query", "zanzibar", "--json"))["total"] == 1
    (seed_corpus / "extra.txt").unlink()
    assert as_json(cli("index", "--json"))["removed"] == 1
    assert cli("query", "zanzibar").exit_code == 1


def test_index_missing_corpus(tmp_path: Path, cli: Cli) -> None:
    result = cli("index")
    assert result.exit_code == 2
    assert "corpus" in one_line_error(result)


def test_corpus_and_index_options(tmp_path: Path, seed_corpus: Path, cli: Cli) -> None:
    articles = tmp_path / "elsewhere" / "articles"
    shutil.move(seed_corpus, articles)
    assert cli("index", "--corpus", "elsewhere/articles", "--index", "elsewhere/idx").exit_code == 0
    assert (tmp_path / "elsewhere" / "idx").is_dir() and not (tmp_path / "index").exists()
    data = as_json(cli("query", "rafah", "--index", "elsewhere/idx", "--json"))
    assert data["total"] == 3
    assert {h["path"] for h in data["results"]} == {f"elsewhere/articles/{SEED_NAME}"}
    assert cli("stats", "--index", "elsewhere/idx", "--json").exit_code == 0
    assert cli("query", "rafah").exit_code == 2  # no ./index


def test_environment_variables(tmp_path: Path, seed_corpus: Path, cli: Cli) -> None:
    articles = tmp_path / "elsewhere" / "articles"
    shutil.move(seed_corpus, articles)
    env = {"NEWSSEARCH_CORPUS": str(articles), "NEWSSEARCH_INDEX": str(tmp_path / "elsewhere" / "idx")}
    assert cli("index", env=env).exit_code == 0
    assert (tmp_path / "elsewhere" / "idx").is_dir() and not (tmp_path / "index").exists()
    assert as_json(cli("query", "rafah", "--json", env=env))["total"] == 3
    assert as_json(cli("stats", "--json", env=env))["articles"] == 4
    assert cli("show", "zzzz", env=env).exit_code == 2
    assert cli("query", "rafah").exit_code == 2  # without them: no ./index


def test_index_option_beats_the_environment(tmp_path: Path, seed_index: Path, cli: Cli) -> None:
    env = {"NEWSSEARCH_INDEX": str(tmp_path / "nowhere")}
    assert cli("query", "rafah", env=env).exit_code == 2
    assert cli("query", "rafah", "--index", "index", env=env).exit_code == 0


# --------------------------------------------------------------------------- the installed command


@pytest.fixture(scope="module")
def big_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder with ./corpus and ./index big enough that output overflows a pipe's buffer."""
    folder = tmp_path_factory.mktemp("big")
    corpus = folder / "corpus"
    corpus.mkdir()
    paragraph = (
        "Officials said the Rafah crossing would reopen for pedestrians and the sick, while aid "
        "convoys waited on the Egyptian side for clearance to enter the territory. "
    ) * 2
    for n in range(300):
        text = f"Rafah Crossing Report Number {n}\n\n{paragraph}\n\nFiled {n} times about Rafah.\n"
        (corpus / f"{n:03d}.txt").write_text(text, encoding="utf-8")
    update_index(corpus, folder / "index")
    return folder


def test_entry_point_json_from_the_corpus_folder(seed_index: Path) -> None:
    proc = subprocess.run(
        [str(entry_point()), "query", "rafah crossing", "--json"],
        cwd=seed_index.parent,
        env=clean_env(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert {h["path"] for h in data["results"]} == {SEED_PATH}


def test_entry_point_error_has_no_traceback(tmp_path: Path) -> None:
    proc = subprocess.run(
        [str(entry_point()), "query", "rafah"],
        cwd=tmp_path,
        env=clean_env(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 2
    assert proc.stdout == ""
    assert proc.stderr.count("\n") == 1 and "newssearch index" in proc.stderr
    assert "Traceback" not in proc.stderr


@pytest.mark.parametrize("fmt", [["--json"], ["--jsonl"], ["--color", "never"]])
def test_broken_pipe_is_quiet(big_folder: Path, fmt: list[str]) -> None:
    proc = subprocess.Popen(
        [str(entry_point()), "query", "rafah", "--limit", "300", *fmt],
        cwd=big_folder,
        env=clean_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert proc.stdout is not None and proc.stderr is not None
    head = proc.stdout.read(10)  # like `| head -c 10`
    proc.stdout.close()
    err = proc.stderr.read().decode()
    proc.wait(timeout=120)
    assert len(head) == 10
    assert "Traceback" not in err and "BrokenPipe" not in err and "Exception ignored" not in err
    assert "error" not in err.lower()
    # Quiet, and not 1 ("matched nothing", README "Exit codes") nor 2/3 (errors): 0, or death by SIGPIPE.
    assert proc.returncode in (0, -signal.SIGPIPE, 128 + signal.SIGPIPE)


def test_json_on_a_terminal_is_the_same_and_unwrapped(seed_index: Path) -> None:
    args = [str(entry_point()), "query", "rafah crossing", "--json"]
    piped = subprocess.run(args, cwd=seed_index.parent, env=clean_env(), capture_output=True, text=True, timeout=120)
    code, out, _ = run_in_terminal(args, seed_index.parent, clean_env(TERM="xterm-256color"), columns=40)
    assert code == piped.returncode == 0
    assert out == piped.stdout
    assert out.count("\n") == 1
    assert max(len(m["text"]) for h in json.loads(out)["results"] for m in h["matches"]) > 40
    assert "\x1b" not in out


def test_jsonl_on_a_terminal_is_the_same(seed_index: Path) -> None:
    args = [str(entry_point()), "query", "gaza", "--jsonl"]
    piped = subprocess.run(args, cwd=seed_index.parent, env=clean_env(), capture_output=True, text=True, timeout=120)
    code, out, _ = run_in_terminal(args, seed_index.parent, clean_env(TERM="xterm-256color"), columns=40)
    assert code == 0
    assert out == piped.stdout
    assert len(out.splitlines()) == 4
    assert all(json.loads(line)["path"] == SEED_PATH for line in out.splitlines())


def test_color_auto_colours_a_terminal(seed_index: Path) -> None:
    args = [str(entry_point()), "query", "rafah"]
    code, out, _ = run_in_terminal(args, seed_index.parent, clean_env(TERM="xterm-256color"), columns=100)
    assert code == 0
    assert colour_codes(out)


def test_no_color_is_honoured_on_a_terminal(seed_index: Path) -> None:
    args = [str(entry_point()), "query", "rafah"]
    code, out, _ = run_in_terminal(args, seed_index.parent, clean_env(TERM="xterm-256color", NO_COLOR="1"), columns=100)
    assert code == 0
    assert "Rafah" in out
    assert colour_codes(out) == []


def test_color_never_on_a_terminal(seed_index: Path) -> None:
    args = [str(entry_point()), "query", "rafah", "--color", "never"]
    code, out, _ = run_in_terminal(args, seed_index.parent, clean_env(TERM="xterm-256color"), columns=100)
    assert code == 0
    assert "Rafah" in out and "\x1b" not in out


def test_index_folder_that_is_a_file_exits_3_with_a_message(cli: Cli, seed_corpus: Path) -> None:
    blocker = seed_corpus.parent / "not-a-folder"
    blocker.write_text("x")
    result = cli("index", "--index", str(blocker))
    assert result.exit_code == 3
    assert "is a file, not a folder" in result.stderr
    assert "Traceback" not in result.stderr
    assert blocker.read_text() == "x"


def test_only_the_matched_words_of_a_snippet_are_styled(seed_index: Path, cli: Cli) -> None:
    out = cli("query", "rafah crossing", "--color", "always", "-n", "1").stdout
    # The label is cyan, then a reset: the snippet's own words are plain, only matches are bold.
    assert "\x1b[0mWith Gaza's vital \x1b[1;33mRafah\x1b[0m border \x1b[1;33mcrossing\x1b[0m" in out


def test_show_json_highlights_are_offsets_into_each_text(seed_index: Path, cli: Cli) -> None:
    hit = json.loads(cli("query", "rafah", "--json").stdout)["results"][0]
    shown = json.loads(cli("show", hit["id"], "--json", "--highlight", "rafah").stdout)
    pieces = [(shown["title"], shown["title_highlights"])]
    pieces += [(c["text"], c["highlights"]) for c in shown["captions"]]
    for section in shown["sections"]:
        pieces.append((section["text"], section["highlights"]))
        pieces += [(p["text"], p["highlights"]) for p in section["paragraphs"]]
    marked = [text[start:end] for text, found in pieces for start, end in found]
    assert marked and {word.lower() for word in marked} == {"rafah"}
