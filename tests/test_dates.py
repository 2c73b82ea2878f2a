"""Dates as inputs write them → ISO 8601; what needs a guess is refused, with the reason."""

from __future__ import annotations

import datetime as dt

import pytest

from newssearch.formats.dates import DateError, normalise_date, wall_time


@pytest.mark.parametrize(
    ("written", "expected"),
    [
        ("2025-03-14", "2025-03-14"),
        ("2025-03-14T09:30:00+01:00", "2025-03-14T09:30:00+01:00"),
        ("2025-03-14T09:30:00Z", "2025-03-14T09:30:00+00:00"),
        ("2025-03-14 09:30", "2025-03-14T09:30:00"),
        ("1987-02-26T15:01:01", "1987-02-26T15:01:01"),
        ("Fri, 14 Mar 2025 09:30:00 +0000", "2025-03-14T09:30:00+00:00"),
        ("Fri, 14 Mar 2025 09:30:00 GMT", "2025-03-14T09:30:00+00:00"),
        ("14 March 2025", "2025-03-14"),
        ("March 14, 2025", "2025-03-14"),
        ("Mar 14 2025", "2025-03-14"),
        ("14th March 2025", "2025-03-14"),
        ("Friday, March 14, 2025", "2025-03-14"),
        ("  2025-03-14  ", "2025-03-14"),
        (dt.date(2025, 2, 3), "2025-02-03"),  # YAML front matter gives dates already read
        (dt.datetime(2025, 2, 3, 8, 0), "2025-02-03T08:00:00"),
    ],
)
def test_dates_that_can_be_read_become_iso_8601(written: object, expected: str) -> None:
    assert normalise_date(written) == expected


@pytest.mark.parametrize("missing", [None, "", "   "])
def test_no_date_is_no_date_not_an_error(missing: object) -> None:
    assert normalise_date(missing) is None


@pytest.mark.parametrize(
    "written",
    [
        "03/04/2025",  # March or April: depends on the country
        "31/31/2025",
        "sometime last spring",
        "31-MAR-1987 605:12:19.12",  # Reuters-21578 NEWID 17192
        "2025-02-30",
        1741944600,  # seconds or milliseconds since 1970? not guessed
        True,
        ["2025-03-14"],
    ],
)
def test_dates_that_need_a_guess_are_refused_with_the_value_and_a_way_out(written: object) -> None:
    with pytest.raises(DateError) as raised:
        normalise_date(written)
    assert "cannot read the date" in str(raised.value)
    assert "ISO 8601" in str(raised.value)


def test_the_index_files_a_date_under_the_day_it_shows_whatever_its_offset() -> None:
    assert wall_time("2025-03-01T00:30:00+01:00") == dt.datetime(2025, 3, 1, 0, 30)
    assert wall_time("2025-03-01") == dt.datetime(2025, 3, 1)
