"""--source, --since, --until, --sort date and source:/date: in queries, on articles whose
dates and sources come from a ``.jsonl`` file, indexed as a user would. Results are named by
their ``doc_id`` (the record's ``id``).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from newssearch.indexer import update_index
from newssearch.models import SearchRequest
from newssearch.querytext import date_bound
from newssearch.searcher import search

DATED = [
    ("a1", "Border crossing reopens", "2024-12-31T22:00:00", "Reuters"),
    ("a2", "Crossing closed again", "2025-01-15", "AFP"),
    ("a3", "Crossing talks resume", "2025-02-28T09:30:00", "Asharq Al-Awsat"),
    ("a4", "Crossing undated", None, "AFP"),
]


@pytest.fixture(scope="module")
def dated_index(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("dated")
    (root / "corpus").mkdir()
    records = [
        {"id": key, "title": title, "body": f"The crossing story {key}.", "date": date, "source": source}
        for key, title, date, source in DATED
    ]
    (root / "corpus" / "dated.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records))
    summary = update_index(root / "corpus", root / "index")
    assert (summary.articles, summary.problems) == (len(DATED), [])
    return root / "index"


def ids(index_dir: Path, query: str = "crossing", **options: object) -> list[str | None]:
    return [hit.doc_id for hit in search(index_dir, SearchRequest(query, **options)).results]  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("source", "expected"),
    [("AFP", {"a2", "a4"}), ("afp", {"a2", "a4"}), ("Asharq Al-Awsat", {"a3"}), ("Reuters", {"a1"}), ("AP", set())],
)
def test_source_filter(dated_index: Path, source: str, expected: set[str]) -> None:
    assert set(ids(dated_index, source=source)) == expected


@pytest.mark.parametrize(
    ("since", "until", "expected"),
    [
        ("2025", None, {"a2", "a3"}),
        (None, "2024", {"a1"}),
        ("2025-01", "2025-01", {"a2"}),
        (None, "2025-02", {"a1", "a2", "a3"}),  # the whole of February, to its last second
        ("2025-02-28", "2025-02-28", {"a3"}),
        ("2026", None, set()),
    ],
)
def test_date_filters_cover_whole_periods(
    dated_index: Path, since: str | None, until: str | None, expected: set[str]
) -> None:
    found = ids(dated_index, since=date_bound(since, "--since"), until=date_bound(until, "--until", end=True))
    assert set(found) == expected


def test_sort_by_date_is_newest_first_and_undated_last(dated_index: Path) -> None:
    assert ids(dated_index, sort="date") == ["a3", "a2", "a1", "a4"]


def test_dates_and_sources_come_back_in_results(dated_index: Path) -> None:
    hits = {hit.doc_id: hit for hit in search(dated_index, SearchRequest("crossing")).results}
    assert (hits["a1"].date, hits["a1"].source) == ("2024-12-31T22:00:00", "Reuters")
    assert (hits["a4"].date, hits["a4"].source) == (None, "AFP")


def test_date_field_in_the_query(dated_index: Path) -> None:
    assert ids(dated_index, "crossing date:[2025-01-01 TO 2025-01-31]") == ["a2"]


@pytest.mark.parametrize(
    ("query", "expected"),
    [("source:afp", {"a2", "a4"}), ('source:"asharq al-awsat"', {"a3"}), ("crossing -source:afp", {"a1", "a3"})],
)
def test_source_field_in_the_query(dated_index: Path, query: str, expected: set[str]) -> None:
    assert set(ids(dated_index, query)) == expected
