"""`query --csv` and `query --vimgrep` (README, "newssearch query"): what other programs read,
checked against the indexed file itself."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import Result

from newssearch.render.lines import CSV_COLUMNS

Cli = Callable[..., Result]


def test_csv_has_a_header_and_a_row_per_result(seed_index_once: Path, cli: Cli) -> None:
    index = str(seed_index_once)
    as_json = json.loads(cli("query", "--index", index, "rafah crossing", "--json").stdout)
    result = cli("query", "--index", index, "rafah crossing", "--csv")
    assert result.exit_code == 0
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert tuple(rows[0]) == CSV_COLUMNS
    assert [r["id"] for r in rows] == [h["id"] for h in as_json["results"]]
    for row, hit in zip(rows, as_json["results"], strict=True):
        assert (row["title"], row["path"], int(row["line"]), float(row["score"])) == (
            hit["title"], hit["path"], hit["line"], hit["score"],
        )  # fmt: skip
        assert (row["kind"], row["text"]) == (hit["matches"][0]["kind"], hit["matches"][0]["text"])


def test_csv_of_passages(seed_index_once: Path, cli: Cli) -> None:
    index = str(seed_index_once)
    as_json = json.loads(cli("query", "--index", index, "tunnel", "--passages", "--json").stdout)
    rows = list(csv.DictReader(io.StringIO(cli("query", "--index", index, "tunnel", "--passages", "--csv").stdout)))
    assert [(r["kind"], r["text"], int(r["line"])) for r in rows] == [
        (p["kind"], p["text"], p["line"]) for p in as_json["results"]
    ]


def test_vimgrep_points_at_the_first_highlighted_word(seed_index: Path, seed_corpus: Path, cli: Cli) -> None:
    """Every line is path:line:column:text, and the file has the highlighted word at that line
    and byte column (as editors count columns)."""
    cli_in = seed_corpus.parent
    result = cli("query", "rafah crossing", "--vimgrep")
    assert result.exit_code == 0
    as_json = json.loads(cli("query", "rafah crossing", "--json").stdout)
    snippets = [(h["path"], m) for h in as_json["results"] for m in h["matches"]]
    lines = result.stdout.splitlines()
    assert len(lines) == len(snippets)
    for out, (path, match) in zip(lines, snippets, strict=True):
        where, line, column, text = out.split(":", 3)
        assert (where, int(line)) == (path, match["line"])
        assert text == " ".join(match["text"].split())
        start, end = match["highlights"][0]
        word = match["text"][start:end].encode("utf-8")
        raw = (cli_in / path).read_bytes().split(b"\n")[int(line) - 1]
        assert raw[int(column) - 1 :].startswith(word)


def test_vimgrep_column_is_1_when_the_file_changed_since(seed_index: Path, seed_corpus: Path, cli: Cli) -> None:
    seed = next(seed_corpus.iterdir())
    seed.write_text("\n" * 300, encoding="utf-8")  # the lines are there, the words are not
    result = cli("query", "rafah crossing", "--vimgrep")
    assert result.exit_code == 0
    assert all(line.split(":")[2] == "1" for line in result.stdout.splitlines())
    seed.unlink()
    assert cli("query", "rafah crossing", "--vimgrep").stdout == result.stdout


@pytest.mark.parametrize("pair", [("--csv", "--json"), ("--vimgrep", "--jsonl"), ("--csv", "--vimgrep")])
def test_one_output_format_at_a_time(seed_index_once: Path, cli: Cli, pair: tuple[str, str]) -> None:
    result = cli("query", "--index", str(seed_index_once), "rafah", *pair)
    assert result.exit_code == 2
    assert pair[0] in result.stderr and pair[1] in result.stderr and result.stdout == ""


def test_csv_shows_control_characters_as_text(tmp_path: Path, cli: Cli) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    record = {"id": "x1", "title": "Evil \x1b]0;pwned\x07 \x1b[31mRED tunnel", "body": "A tunnel \x1b[2J here."}
    (corpus / "j.jsonl").write_text(json.dumps(record) + "\n", encoding="utf-8")
    assert cli("index").exit_code == 0
    for args in (["tunnel", "--csv"], ["tunnel", "--csv", "--passages"]):
        out = cli("query", *args).stdout
        assert "\x1b" not in out and "\x07" not in out, out
        assert "\ufffd]0;pwned" in out
