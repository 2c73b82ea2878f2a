"""The timeline under terminal results (README, "newssearch query"): the matching articles by month
as a bar chart when they span two months or more, from the counts the JSON gives in
``facets["month"]``."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path

from typer.testing import Result

from newssearch.render.human import TIMELINE_BARS, timeline

Cli = Callable[..., Result]


def _write(corpus: Path, dates: list[str | None]) -> None:
    corpus.mkdir(exist_ok=True)
    records = [
        {"id": f"a{n}", "title": f"Harbour report {n}", "body": "The harbour reopened.", **({"date": d} if d else {})}
        for n, d in enumerate(dates)
    ]
    (corpus / "reports.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")


def _chart_line(stderr: str) -> str | None:
    return next((line for line in stderr.splitlines() if " a bar " in line), None)


def _parts(line: str) -> tuple[str, str, str, str]:
    """(first month, the bars, last month, what a bar is and the tallest)."""
    found = re.fullmatch(r"(\d{4}-\d\d) (.+) (\d{4}-\d\d)  (.+)", line)
    assert found, line
    return found[1], found[2], found[3], found[4]


def test_months_with_matches_are_bars_and_a_month_without_is_a_gap(tmp_path: Path, cli: Cli) -> None:
    # 4 in February 2025, none in March, 1 in April, 8 in May, and one undated (not counted).
    _write(tmp_path / "corpus", ["2025-02-03"] * 4 + ["2025-04-10"] + ["2025-05-20"] * 8 + [None])
    assert cli("index").exit_code == 0
    result = cli("query", "harbour", "--color", "never")
    assert result.exit_code == 0
    line = _chart_line(result.stderr)
    assert line is not None, result.stderr
    first, bars, last, rest = _parts(line)
    assert (first, last) == ("2025-02", "2025-05")
    assert len(bars) == 4 and bars[1] == " "  # March: nothing
    assert bars[3] == "█" and bars[0] < bars[3] and bars[2] < bars[0]  # heights follow 4, 1, 8
    assert rest == "a bar a month, the tallest 8 articles"
    # The JSON has the counts the chart is drawn from, and no chart.
    counted = json.loads(cli("query", "harbour", "--json").stdout)
    assert counted["facets"]["month"] == {"2025-02": 4, "2025-04": 1, "2025-05": 8}
    assert " a bar " not in cli("query", "harbour", "--json").stderr


def test_no_timeline_within_one_month_or_without_dates(tmp_path: Path, cli: Cli) -> None:
    _write(tmp_path / "corpus", ["2025-02-03", "2025-02-27", None])
    assert cli("index").exit_code == 0
    assert _chart_line(cli("query", "harbour").stderr) is None
    _write(tmp_path / "corpus", [None, None])
    assert cli("index").exit_code == 0
    assert _chart_line(cli("query", "harbour").stderr) is None


def test_a_long_span_gets_a_bar_a_quarter_or_a_year_and_never_more_bars_than_fit() -> None:
    chart = timeline({"2019-01": 2, "2021-11": 6})
    assert chart is not None
    first, bars, last, rest = _parts(chart.plain)
    assert (first, last, rest) == ("2019-01", "2021-11", "a bar a month, the tallest 6 articles")
    assert len(bars) == 35

    decades = timeline({"1987-03": 1, "2001-07": 30, "2025-12": 3})
    assert decades is not None
    first, bars, last, rest = _parts(decades.plain)
    assert (first, last, rest) == ("1987-03", "2025-12", "a bar a year, the tallest 30 articles")
    assert len(bars) == 2025 - 1987 + 1 <= TIMELINE_BARS and bars.count(" ") == len(bars) - 3


def test_the_chart_counts_what_the_results_are() -> None:
    chart = timeline({"2025-01": 3, "2025-02": 1}, "passage")
    assert chart is not None and chart.plain.endswith("the tallest 3 passages")
    assert timeline({"2025-01": 3}) is None
    assert timeline({}) is None


def test_on_a_narrow_terminal_the_bars_fit_on_one_line(tmp_path: Path) -> None:
    """40 columns: three years become a bar a quarter, and the chart's line is not broken
    inside the bars (only the words after them wrap)."""
    from conftest import clean_env, entry_point, run_in_terminal

    _write(tmp_path / "corpus", [f"{2020 + n // 12}-{n % 12 + 1:02d}-15" for n in range(0, 36, 5)])
    env = clean_env(TERM="xterm-256color")
    assert run_in_terminal([str(entry_point()), "index"], tmp_path, env)[0] == 0
    args = [str(entry_point()), "query", "harbour", "--color", "never"]
    code, out, _ = run_in_terminal(args, tmp_path, env, columns=40, stderr_too=True)
    assert code == 0
    lines = out.replace("\r", "").splitlines()
    at = next(n for n, line in enumerate(lines) if line.startswith("2020-01 "))
    assert re.fullmatch(r"2020-01 \S[\S ]*\S 2022-12( .*)?", lines[at].rstrip()), lines[at]
    assert len(lines[at]) <= 40 and "a bar a quarter" in " ".join(" ".join(lines[at : at + 3]).split())


def test_every_bar_width_says_what_a_bar_is() -> None:
    """From a month to fifty years a bar, each span says its own width (never "every 0 years")."""
    said = set()
    for years in (2, 4, 10, 20, 40, 90, 200, 900, 4000):
        chart = timeline({"1000-01": 1, f"{1000 + years}-06": 2}, bars=12)
        assert chart is not None
        bars, rest = _parts(chart.plain)[1:4:2]
        assert len(bars) <= 12 or rest.endswith("50 years, the tallest 2 articles"), (years, chart.plain)
        assert re.match(r"a bar (a month|a quarter|a year|every 6 months|every \d+ years), the tallest", rest), rest
        assert " 0 " not in rest
        said.add(rest.split(",")[0])
    assert {"a bar a year", "a bar every 6 months", "a bar every 5 years"} <= said


def test_dates_millennia_apart_still_fit() -> None:
    chart = timeline({"0001-01": 1, "9999-12": 2})
    assert chart is not None
    bars, rest = _parts(chart.plain)[1:4:2]
    assert len(bars) <= TIMELINE_BARS and re.match(r"a bar every \d+ years, the tallest 2 articles", rest)
