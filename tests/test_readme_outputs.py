"""Every output the README shows is what the program prints: the tour and the JSON example are
run on the shipped corpus and compared with the README's text (only the run time may differ)."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from conftest import ROOT, SEED
from newssearch.cli import app

README = (ROOT / "README.md").read_text(encoding="utf-8")
PREFIX = "\x00prefix:"  # marks a README string that ends in "…": the real one starts with it


@pytest.fixture(scope="module")
def shipped(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder laid out as a fresh clone is: ./corpus with the shipped file, no index yet."""
    folder = tmp_path_factory.mktemp("clone")
    (folder / "corpus").mkdir()
    shutil.copy(SEED, folder / "corpus" / SEED.name)
    return folder


def run(folder: Path, monkeypatch: pytest.MonkeyPatch, *args: str) -> tuple[int, str, str]:
    monkeypatch.chdir(folder)
    for name in ("NEWSSEARCH_CORPUS", "NEWSSEARCH_INDEX", "NO_COLOR", "FORCE_COLOR"):
        monkeypatch.delenv(name, raising=False)
    result = CliRunner().invoke(app, list(args), catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def shown(command: str, section: str = "## A short tour", nth: int = 0) -> list[str]:
    """The lines the README shows under the ``nth`` ``$ <command>`` of a section, until the next
    command or the example's end."""
    block = README.split(section, 1)[1].split("\n## ", 1)[0].split("\n### ", 1)[0]
    lines = block.splitlines()
    starts = [n for n, line in enumerate(lines) if line == f"    $ {command}"]
    start = starts[nth] + 1
    out: list[str] = []
    for line in lines[start:]:
        if line.startswith("    $ ") or not (line.startswith("    ") or line == ""):
            break
        out.append(line[4:])
    while out and out[-1] == "":
        out.pop()
    return out


def test_the_tour_index_line(shipped: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    code, out, _ = run(shipped, monkeypatch, "index")
    assert code == 0
    (expected,) = shown("newssearch index")
    pattern = re.escape(expected).replace(re.escape("0.15"), r"[0-9]+\.[0-9]+")
    assert re.fullmatch(pattern, out.strip()), (expected, out)


def test_the_tour_query(shipped: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    run(shipped, monkeypatch, "index")
    code, out, err = run(shipped, monkeypatch, "query", "Rafah crossing", "--limit", "2")
    assert code == 0
    assert (out + err).rstrip("\n").split("\n") == shown('newssearch query "Rafah crossing" --limit 2')


def test_the_tour_comments(shipped: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    run(shipped, monkeypatch, "index")
    code, _, err = run(shipped, monkeypatch, "query", "Rafha crosing")
    assert code == 1 and "Did you mean: Rafah crossing" in err  # "nothing: says …"
    code, out, _ = run(shipped, monkeypatch, "query", "caption:tunnel", "--json")
    kinds = {m["kind"] for hit in json.loads(out)["results"] for m in hit["matches"] if m["highlights"]}
    assert code == 0 and kinds == {"caption"}  # "only in photo captions"
    code, out, _ = run(shipped, monkeypatch, "query", "tunnel", "--passages", "--json")
    assert code == 0 and {p["kind"] for p in json.loads(out)["results"]} <= {"section", "caption", "body"}
    code, out, _ = run(shipped, monkeypatch, "show", "fd9fa8ec", "--highlight", "crossing", "--no-pager")
    assert code == 0 and out.startswith("The Rafah Crossing Is Gaza’s Lifeline")


def _readme_json(example: str) -> Any:
    """The README's JSON example as data: ``…`` elides the rest of a list or an object, and a
    string that ends in ``…`` stands for any string that starts with it."""
    text = re.sub(r'"([^"]*?),? …"', lambda m: json.dumps(PREFIX + m.group(1)), example)
    text = re.sub(r",\s*…", "", text)
    return json.loads(text)


# Keys whose value is the run's own (a time): present, of the same type.
VARIES = {"seconds"}


def _agrees(shown_value: Any, real: Any, where: str = "") -> None:
    if isinstance(shown_value, dict):
        assert isinstance(real, dict), where
        for key, value in shown_value.items():
            assert key in real, f"{where}.{key}"
            if key in VARIES:
                assert type(real[key]) is type(value), f"{where}.{key}"
                continue
            _agrees(value, real[key], f"{where}.{key}")
    elif isinstance(shown_value, list) and shown_value and isinstance(shown_value[0], (dict, list)):
        assert len(real) >= len(shown_value), where
        for n, (a, b) in enumerate(zip(shown_value, real, strict=False)):
            _agrees(a, b, f"{where}[{n}]")
    elif isinstance(shown_value, str) and shown_value.startswith(PREFIX):
        assert real.startswith(shown_value[len(PREFIX) :]), (where, shown_value, real)
    else:
        assert shown_value == real, (where, shown_value, real)


def test_the_json_example(shipped: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    run(shipped, monkeypatch, "index")
    section = README.split("`query --json`:", 1)[1].split("\n| key", 1)[0]
    example = "\n".join(line[4:] for line in section.splitlines() if line.startswith("    "))
    code, out, _ = run(shipped, monkeypatch, "query", "Rafah crossing", "--json")
    assert code == 0
    _agrees(_readme_json(example), json.loads(out))


INDEX = "### `newssearch index"
BAD_DATE = "the fourteenth of March"


@pytest.fixture(scope="module")
def wires(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The corpus the README's `newssearch index` examples describe: two wire files of 3,000
    one-paragraph stories, one of them with an unreadable date at line 1792, and four files of
    other formats."""
    folder = tmp_path_factory.mktemp("wires")
    (folder / "corpus" / "wires").mkdir(parents=True)
    (folder / "corpus" / "old").mkdir()

    def story(n: int, date: str) -> str:
        return json.dumps(
            {"id": f"w{n}", "title": f"Wire story {n}", "body": f"Report {n} from the desk.", "date": date}
        )

    reuters = [story(n, BAD_DATE if n == 1792 else "1987-03-14") for n in range(1, 2001)]
    bbc = [story(n, "2005-01-10") for n in range(2001, 3001)]
    (folder / "corpus" / "wires" / "reuters.jsonl").write_text("\n".join(reuters) + "\n", encoding="utf-8")
    (folder / "corpus" / "wires" / "bbc.jsonl").write_text("\n".join(bbc) + "\n", encoding="utf-8")
    for name in ("notes.docx", "report.pdf", "scan", "old/memo.odt"):
        (folder / "corpus" / name).write_bytes(b"not an article")
    return folder


def _timed(expected: str) -> str:
    """A pattern for a shown line: its run time may be any."""
    return re.escape(expected).replace(r"in\ 4\.60\ s", r"in\ [0-9.]+\ s").replace(r"in\ 0\.01\ s", r"in\ [0-9.]+\ s")


def test_the_index_examples(wires: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    code, out, err = run(wires, monkeypatch, "index")
    assert code == 0
    first = shown("newssearch index", INDEX)
    assert err.rstrip("\n").split("\n") == first[:-1]
    assert re.fullmatch(_timed(first[-1]), out.strip()), (first[-1], out)
    code, out, err = run(wires, monkeypatch, "index")
    (again,) = shown("newssearch index", INDEX, nth=1)
    assert code == 0 and err == "" and re.fullmatch(_timed(again), out.strip()), (again, out)
    code, out, _ = run(wires, monkeypatch, "index", "--json")
    example = "\n".join(shown("newssearch index --json", INDEX))
    _agrees(_readme_json(example), json.loads(out))
    code, out, _ = run(wires, monkeypatch, "index", "--problems")
    assert code == 0 and out.rstrip("\n").split("\n") == shown("newssearch index --problems", INDEX)
