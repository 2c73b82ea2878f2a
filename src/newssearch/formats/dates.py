"""Publication dates as the inputs write them → ISO 8601, or a reason they cannot be read.

Read: ISO 8601 (``2025-03-14``, ``2025-03-14T09:30:00+01:00``, ``…Z``, ``2025-03``, ``2025``), RFC 2822 as feeds write
it (``Fri, 14 Mar 2025 09:30:00 +0000``) and dates with the month in words (``14 March 2025``,
``March 14, 2025``, ``Mar 14 2025``). Not read: anything that needs a guess — ``03/04/2025`` is
March or April depending on the country, a bare number may be seconds or milliseconds since 1970.
A date that is not read is reported by the reader and the article is kept undated.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import re

_NAMED_MONTH = (
    "%d %B %Y",
    "%d %b %Y",
    "%B %d %Y",
    "%b %d %Y",
    "%A %d %B %Y",
    "%a %d %b %Y",
    "%A %B %d %Y",
    "%a %b %d %Y",
)
_YEAR_OR_MONTH = re.compile(r"^\d{4}(-\d\d)?$")
_ORDINAL = re.compile(r"(?<=\d)(st|nd|rd|th)\b", re.IGNORECASE)
_MAX_SHOWN = 60


class DateError(ValueError):
    """A date that cannot be read without guessing; the message says what was wrong."""


def normalise_date(value: object) -> str | None:
    """``value`` as an ISO 8601 string (``YYYY-MM-DD``, or with the time and offset when given);
    None for no date at all (missing, null, empty). Raises ``DateError`` for a date that cannot
    be read."""
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):  # YAML front matter gives these already
        return value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if not isinstance(value, str):
        raise DateError(f"cannot read the date {_shown(value)}: not text — write it as ISO 8601, e.g. 2025-03-14")
    text = " ".join(value.split())
    if not text:
        return None
    for read in (_iso, _rfc2822, _named_month):
        found = read(text)
        if found is not None:
            return found
    raise DateError(
        f"cannot read the date {_shown(value)} — write it as ISO 8601 (2025-03-14 or 2025-03-14T09:30:00+01:00)"
    )


def wall_time(iso: str) -> dt.datetime:
    """A normalised date as the index keeps it (filters, sorting, months): the date and time as
    written, offset dropped. ``2025-03-01T00:30:00+01:00`` is filed under 1 March, the day the
    article shows, not under 28 February (UTC); across offsets, sorting may be off by hours."""
    if _YEAR_OR_MONTH.match(iso):  # 2025 → 1 January 2025; 2025-03 → 1 March
        iso += "-01-01" if len(iso) == 4 else "-01"
    return dt.datetime.fromisoformat(iso).replace(tzinfo=None)


def _iso(text: str) -> str | None:
    if not text[:4].isdigit():
        return None
    if _YEAR_OR_MONTH.match(text):  # a reduced-precision date stays as precise as it was given
        return text if len(text) == 4 or 1 <= int(text[5:]) <= 12 else None
    candidate = text.replace(" ", "T", 1) if re.match(r"\d{4}-\d\d-\d\d \d", text) else text
    try:
        if "T" not in candidate and ":" not in candidate:
            return dt.date.fromisoformat(candidate).isoformat()
        return dt.datetime.fromisoformat(candidate.replace("z", "Z")).isoformat()
    except ValueError:
        return None


def _rfc2822(text: str) -> str | None:
    if not re.search(r"\d{1,2}:\d\d", text):  # without a time this is a named-month date
        return None
    try:
        when = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    return when.isoformat() if when else None


def _named_month(text: str) -> str | None:
    cleaned = _ORDINAL.sub("", text.replace(",", " ").replace(".", " "))
    cleaned = " ".join(cleaned.split())
    for form in _NAMED_MONTH:
        try:
            return dt.datetime.strptime(cleaned, form).date().isoformat()
        except ValueError:
            continue
    return None


def _shown(value: object) -> str:
    text = repr(value)
    return text if len(text) <= _MAX_SHOWN else text[: _MAX_SHOWN - 1] + "…"
