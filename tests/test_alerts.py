"""Alerts (README, "newssearch alert"): saved searches that show only what they have not shown
before, through the real CLI on a real index, with the alerts file in the test's own folder."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from typer.testing import Result

from conftest import one_line_error

Cli = Callable[..., Result]


@pytest.fixture
def alerts_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "state" / "alerts.json"
    monkeypatch.setenv("NEWSSEARCH_ALERTS", str(path))
    return path


def _write(corpus: Path, name: str, records: list[dict[str, Any]]) -> None:
    corpus.mkdir(exist_ok=True)
    (corpus / name).write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")


def _story(n: int, body: str = "The harbour at Tartus reopened.", date: str = "2025-03-01") -> dict[str, Any]:
    return {"id": f"s{n}", "title": f"Harbour story {n}", "body": body, "date": date}


def _run(cli: Cli, *args: str) -> tuple[int, dict[str, Any]]:
    result = cli("alert", "run", *args, "--json")
    assert result.exit_code in (0, 1), result.stdout + result.stderr
    return result.exit_code, json.loads(result.stdout)


def _titles(run: dict[str, Any], name: str) -> list[str]:
    (alert,) = [a for a in run["alerts"] if a["name"] == name]
    return [hit["title"] for hit in alert["results"]]


def test_an_alert_shows_each_article_once_then_what_is_new_or_changed(
    tmp_path: Path, cli: Cli, alerts_file: Path
) -> None:
    corpus = tmp_path / "corpus"
    _write(corpus, "a.jsonl", [_story(1), _story(2), {"id": "x", "title": "Weather", "body": "Rain."}])
    assert cli("index").exit_code == 0
    added = cli("alert", "add", "tartus", "harbour tartus")
    assert added.exit_code == 0, added.stderr
    assert "added alert 'tartus'" in added.stderr

    code, first = _run(cli)
    assert code == 0
    assert sorted(_titles(first, "tartus")) == ["Harbour story 1", "Harbour story 2"]
    assert first["alerts"][0]["new"] == 2 and first["alerts"][0]["more"] == 0
    assert first["alerts"][0]["results"][0]["matches"], "new articles are shown with their snippets"

    code, again = _run(cli)
    assert (code, _titles(again, "tartus")) == (1, [])  # nothing new: exit 1

    # A new article, another file's article, and an article above the old ones (their lines move).
    _write(corpus, "a.jsonl", [_story(0), _story(1), _story(2), {"id": "x", "title": "Weather", "body": "Rain."}])
    _write(corpus, "b.jsonl", [_story(3)])
    assert cli("index").exit_code == 0
    code, new = _run(cli)
    assert code == 0 and sorted(_titles(new, "tartus")) == ["Harbour story 0", "Harbour story 3"]

    # An article whose text changes is shown again; one that stops matching is not.
    _write(corpus, "b.jsonl", [_story(3, body="The harbour at Tartus reopened, and closed again at night.")])
    _write(corpus, "a.jsonl", [_story(0), _story(1, body="Nothing about ports."), _story(2)])
    assert cli("index").exit_code == 0
    code, changed = _run(cli)
    assert code == 0 and _titles(changed, "tartus") == ["Harbour story 3"]
    assert _run(cli)[0] == 1


def test_alerts_survive_a_rebuild(tmp_path: Path, cli: Cli, alerts_file: Path) -> None:
    _write(tmp_path / "corpus", "a.jsonl", [_story(1), _story(2)])
    assert cli("index").exit_code == 0
    assert cli("alert", "add", "tartus", "tartus").exit_code == 0
    assert _run(cli)[0] == 0
    assert cli("index", "--rebuild").exit_code == 0
    code, after = _run(cli)
    assert (code, _titles(after, "tartus")) == (1, [])
    listed = json.loads(cli("alert", "list", "--json").stdout)
    assert [(a["name"], a["shown"]) for a in listed["alerts"]] == [("tartus", 2)]


def test_a_run_shows_at_most_twenty_of_an_alert_and_the_next_run_the_rest(
    tmp_path: Path, cli: Cli, alerts_file: Path
) -> None:
    _write(tmp_path / "corpus", "a.jsonl", [_story(n, date=f"2025-03-{n + 1:02d}") for n in range(25)])
    assert cli("index").exit_code == 0
    assert cli("alert", "add", "newest", "harbour", "--sort", "date").exit_code == 0
    terminal = cli("alert", "run", "--color", "never")
    assert terminal.exit_code == 0
    assert terminal.stdout.startswith("newest: 25 new articles — harbour\n")
    assert "Harbour story 24" in terminal.stdout and "Harbour story 4\n" not in terminal.stdout
    assert "5 more new — `newssearch alert run newest` again shows the next" in terminal.stdout
    code, rest = _run(cli, "newest")
    assert code == 0
    assert _titles(rest, "newest") == [f"Harbour story {n}" for n in (4, 3, 2, 1, 0)]  # newest first
    assert (rest["alerts"][0]["new"], rest["alerts"][0]["more"]) == (5, 0)


def test_an_alert_keeps_its_options_and_is_never_relaxed(tmp_path: Path, cli: Cli, alerts_file: Path) -> None:
    _write(
        tmp_path / "corpus",
        "a.jsonl",
        [_story(1, date="2024-05-01"), _story(2, date="2025-05-01"), {"id": "t", "title": "Tartus", "body": "Port."}],
    )
    assert cli("index").exit_code == 0
    assert cli("alert", "add", "recent", "harbour", "--since", "2025", "--in", "body").exit_code == 0
    assert cli("alert", "add", "nowhere", "tartus zebra").exit_code == 0  # `query` would relax it to any word
    code, ran = _run(cli)
    assert code == 0
    assert _titles(ran, "recent") == ["Harbour story 2"] and _titles(ran, "nowhere") == []
    listed = cli("alert", "list")
    assert listed.stdout.splitlines()[1].startswith("recent\tharbour --since 2025 --in body\tlast run ")
    options = {a["name"]: a["options"] for a in json.loads(cli("alert", "list", "--json").stdout)["alerts"]}
    assert options == {"nowhere": {}, "recent": {"since": "2025", "in": "body"}}


def test_run_and_remove_by_name_and_each_index_has_its_own(tmp_path: Path, cli: Cli, alerts_file: Path) -> None:
    _write(tmp_path / "corpus", "a.jsonl", [_story(1)])
    assert cli("index").exit_code == 0
    assert cli("index", "--index", "other").exit_code == 0
    assert cli("alert", "add", "one", "harbour").exit_code == 0
    assert cli("alert", "add", "two", "tartus").exit_code == 0
    code, only = _run(cli, "two")
    assert code == 0 and [a["name"] for a in only["alerts"]] == ["two"]
    assert _titles(_run(cli, "one", "two")[1], "one") == ["Harbour story 1"]
    assert cli("alert", "remove", "one").exit_code == 0
    assert [a["name"] for a in json.loads(cli("alert", "list", "--json").stdout)["alerts"]] == ["two"]
    # Another index has none of them.
    other = json.loads(cli("alert", "list", "--json", "--index", "other").stdout)
    assert other == {"index": str((tmp_path / "other").resolve()), "alerts": []}
    assert cli("alert", "run", "--index", "other").exit_code == 1


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["add", "bad name", "harbour"], "cannot name an alert"),
        (["add", "ok", "harbour AND"], "AND"),
        (["add", "ok", "harbour", "--since", "2025-13"], "is not a date"),
        (["add", "ok", "harbour", "--since", "2025", "--until", "2024"], "swap them"),
        (["add", "dup", "harbour"], "there is an alert named 'dup' already"),
        (["remove", "missing"], "no alert named 'missing'"),
        (["run", "dup", "missing"], "no alert named 'missing'"),
    ],
)
def test_mistakes_are_one_sentence_and_change_nothing(
    tmp_path: Path, cli: Cli, alerts_file: Path, args: list[str], says: str
) -> None:
    _write(tmp_path / "corpus", "a.jsonl", [_story(1)])
    assert cli("index").exit_code == 0
    assert cli("alert", "add", "dup", "tartus").exit_code == 0
    before = alerts_file.read_text()
    result = cli("alert", *args)
    assert result.exit_code == 2
    one_line_error(result)
    assert says in result.stderr
    assert alerts_file.read_text() == before


def test_no_index_or_an_unreadable_alerts_file_says_what_to_do(tmp_path: Path, cli: Cli, alerts_file: Path) -> None:
    missing = cli("alert", "add", "x", "harbour")
    assert missing.exit_code == 2 and "newssearch index" in missing.stderr
    assert not alerts_file.exists()

    alerts_file.parent.mkdir(parents=True, exist_ok=True)
    alerts_file.write_text("{not json")
    _write(tmp_path / "corpus", "a.jsonl", [_story(1)])
    assert cli("index").exit_code == 0
    broken = cli("alert", "list")
    assert broken.exit_code == 2
    one_line_error(broken)
    assert str(alerts_file) in broken.stderr and "not valid JSON" in broken.stderr
    assert alerts_file.read_text() == "{not json"  # never overwritten


def test_what_could_not_be_printed_is_shown_again(tmp_path: Path, cli: Cli, alerts_file: Path) -> None:
    """Printed first, remembered after: a run whose output fails (a full disk) forgets nothing."""
    import subprocess

    from conftest import clean_env, entry_point

    _write(tmp_path / "corpus", "a.jsonl", [_story(1), _story(2)])
    assert cli("index").exit_code == 0
    assert cli("alert", "add", "tartus", "tartus").exit_code == 0
    env = clean_env(NEWSSEARCH_ALERTS=str(alerts_file), NEWSSEARCH_NO_SERVER="1")
    with open("/dev/full", "w") as full:
        failed = subprocess.run(
            [str(entry_point()), "alert", "run", "--json"], cwd=tmp_path, env=env, stdout=full, stderr=subprocess.PIPE
        )
    assert failed.returncode == 2 and b"could not be written" in failed.stderr
    code, again = _run(cli)
    assert code == 0 and sorted(_titles(again, "tartus")) == ["Harbour story 1", "Harbour story 2"]


def test_an_alert_that_cannot_run_says_so_and_the_others_run(tmp_path: Path, cli: Cli, alerts_file: Path) -> None:
    _write(tmp_path / "corpus", "a.jsonl", [_story(1)])
    assert cli("index").exit_code == 0
    refused = cli("alert", "add", "when", "date:abc")  # a query `query` refuses is refused here too
    assert refused.exit_code == 2 and "date" in one_line_error(refused)
    assert cli("alert", "add", "good", "harbour").exit_code == 0
    assert cli("alert", "add", "old", "tartus").exit_code == 0
    # As if written by another version: a query that no longer reads.
    data = json.loads(alerts_file.read_text())
    (fields,) = [a for a in data["indexes"].values()]
    fields["old"]["query"] = "(harbour"
    alerts_file.write_text(json.dumps(data))
    result = cli("alert", "run", "--json")
    assert result.exit_code == 2
    ran = {a["name"]: a for a in json.loads(result.stdout)["alerts"]}
    assert _titles({"alerts": [ran["good"]]}, "good") == ["Harbour story 1"] and ran["good"]["error"] is None
    assert ran["old"]["error"] and ran["old"]["results"] == []
    assert "alert 'old' cannot run: " in result.stderr
    assert _run(cli, "good")[0] == 1  # the good one remembered what it showed
