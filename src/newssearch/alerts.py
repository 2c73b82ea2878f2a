"""Saved searches that show only what is new (README, "newssearch alert").

An alert is a query and its options, kept for one index in the user's alerts file
(``$XDG_STATE_HOME/newssearch/alerts.json``, by default ``~/.local/state/newssearch/alerts.json``;
``NEWSSEARCH_ALERTS`` names another): outside the index, so ``index --rebuild`` leaves it be. It
remembers each article it has shown by the article's id, which a rebuild keeps, and a digest of
its content, so an article that changes is shown again. Runs, adds and removals of alerts take
the file's lock, and the file is replaced whole (written beside it, then renamed), so two runs
at once never lose an alert or show an article twice.
"""

from __future__ import annotations

import dataclasses
import fcntl
import json
import os
import re
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from newssearch.errors import UsageError
from newssearch.models import SearchRequest, SearchResult

FILE_VERSION = 1
# How many new articles a run shows of one alert; the others wait for the next run.
SHOWN_AT_MOST = 20
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")


@dataclass
class Alert:
    name: str
    query: str
    any_words: bool = False
    source: str | None = None
    since: str | None = None  # as the user wrote it: YYYY[-MM[-DD]]
    until: str | None = None
    field: str | None = None
    sort: str = "relevance"
    added: str = ""
    last_run: str | None = None
    seen: dict[str, str] = dataclasses.field(default_factory=dict)  # article id → digest of what was shown

    def options(self) -> dict[str, Any]:
        """The query options the alert was added with (those not at their defaults)."""
        chosen = {
            "any": self.any_words or None,
            "source": self.source,
            "since": self.since,
            "until": self.until,
            "in": self.field,
            "sort": self.sort if self.sort != "relevance" else None,
        }
        return {k: v for k, v in chosen.items() if v is not None}

    def request(self) -> SearchRequest:
        from newssearch.querytext import date_bound

        return SearchRequest(
            text=self.query,
            any_words=self.any_words,
            source=self.source,
            since=date_bound(self.since, "--since"),
            until=date_bound(self.until, "--until", end=True),
            field=self.field,
            sort=self.sort,
        )


@dataclass
class Ran:
    """One alert's run: its new articles shown (``result``, whose ``total`` counts every new
    one), how many more new ones wait for the next run, and the digests of those shown; or,
    for an alert that cannot run (``error``), why."""

    alert: Alert
    result: SearchResult | None
    more: int = 0
    shown: dict[str, str] = dataclasses.field(default_factory=dict)
    error: str | None = None


def alerts_file() -> Path:
    if os.environ.get("NEWSSEARCH_ALERTS"):
        return Path(os.environ["NEWSSEARCH_ALERTS"])
    state = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(state) / "newssearch" / "alerts.json"


def index_key(index: str | Path) -> str:
    """Which index alerts belong to: a folder's absolute path, or a cluster's URL without its
    password."""
    text = str(index)
    if "://" in text:
        scheme, rest = text.split("://", 1)
        return f"{scheme}://{rest.rsplit('@', 1)[-1].rstrip('/')}"
    return str(Path(text).expanduser().resolve())


def check_name(name: str) -> None:
    if not _NAME.fullmatch(name):
        raise UsageError(
            f"{name!r} cannot name an alert — use letters, digits, '.', '_' and '-' (up to 64), starting with a "
            f"letter or digit"
        )


@contextmanager
def alerts_of(index: str | Path) -> Iterator[dict[str, Alert]]:
    """The index's alerts, by name, under the file's lock; changes made to them are saved at
    the end of the block (not when it raises)."""
    path = alerts_file()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        lock = open(path.with_name(path.name + ".lock"), "a")  # noqa: SIM115 -- held for the block
    except OSError as exc:
        raise UsageError(
            f"cannot open the alerts file {path}: {exc.strerror or exc} — set NEWSSEARCH_ALERTS to a file you can write"
        ) from None
    with lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        everything = _read(path)
        key = index_key(index)
        mine = {name: Alert(name=name, **fields) for name, fields in everything["indexes"].get(key, {}).items()}
        before = json.dumps({n: _fields(a) for n, a in mine.items()}, sort_keys=True)
        yield mine
        after = {n: _fields(a) for n, a in sorted(mine.items())}
        if json.dumps(after, sort_keys=True) != before:
            if after:
                everything["indexes"][key] = after
            else:
                everything["indexes"].pop(key, None)
            _write(path, everything)


def _fields(alert: Alert) -> dict[str, Any]:
    fields = dict(alert.__dict__)
    del fields["name"]
    return fields


def _read(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {"version": FILE_VERSION, "indexes": {}}
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) else "not valid JSON"
        raise UsageError(
            f"cannot read the alerts file {path} ({reason}) — repair it or move it away "
            f"(its alerts are lost then), or set NEWSSEARCH_ALERTS to another file"
        ) from None
    if not isinstance(data, dict) or data.get("version") != FILE_VERSION or not isinstance(data.get("indexes"), dict):
        raise UsageError(
            f"the alerts file {path} is not one this version of newssearch writes — move it away, or set "
            f"NEWSSEARCH_ALERTS to another file"
        )
    return data


def _write(path: Path, data: dict[str, Any]) -> None:
    """Replace the file whole: written beside it, flushed to disk, then renamed over it."""
    written: Path | None = None
    try:
        with tempfile.NamedTemporaryFile(
            "w", dir=path.parent, prefix=".alerts-", delete=False, encoding="utf-8"
        ) as out:
            written = Path(out.name)
            json.dump(data, out, ensure_ascii=False, indent=1)
            out.flush()
            os.fsync(out.fileno())
        os.replace(written, path)
    except OSError as exc:
        if written is not None:
            written.unlink(missing_ok=True)
        raise UsageError(f"cannot save the alerts file {path}: {exc.strerror or exc} — nothing was changed") from None


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


@contextmanager
def one_run_at_a_time() -> Iterator[None]:
    """Hold for a whole ``alert run`` — finding, printing, remembering — so that two runs at once
    (two cron jobs) take turns and never show an article twice. (A lock of its own: the alerts
    file's lock is taken and released inside it.) Without a lock file that can be opened, runs
    go unguarded; reading the alerts file then says what is wrong."""
    path = alerts_file()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        lock = open(path.with_name(path.name + ".run.lock"), "a")  # noqa: SIM115 -- held for the block
    except OSError:
        yield
        return
    with lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield


def find(index: str | Path, names: list[str], shown_at_most: int = SHOWN_AT_MOST) -> list[Ran]:
    """Run the named alerts (every one when none is named), in name order: the matches each has
    not shown before. Nothing is remembered until ``remember`` (after they are printed). An alert
    that cannot run — its query no longer reads, say — says why and the others run."""
    from newssearch.errors import NewsSearchError
    from newssearch.searcher import search_unseen

    ran = []
    with alerts_of(index) as alerts:
        unknown = [name for name in names if name not in alerts]
        if unknown:
            known = ", ".join(sorted(alerts)) or "none yet"
            raise UsageError(
                f"no alert named {unknown[0]!r} for this index (its alerts: {known}) — see `newssearch alert list`"
            )
        for name in sorted(set(names) or alerts):
            alert = alerts[name]
            try:
                result, shown, more = search_unseen(index, alert.request(), alert.seen, shown_at_most)
            except NewsSearchError as exc:
                ran.append(Ran(alert, None, error=exc.message))
                continue
            ran.append(Ran(alert, result, more, shown))
    return ran


def remember(index: str | Path, ran: list[Ran]) -> None:
    """What ``find`` found, once printed: each alert that ran remembers what it showed."""
    stamp = now()
    with alerts_of(index) as alerts:
        for r in ran:
            alert = alerts.get(r.alert.name)
            if alert is not None and r.error is None:
                alert.seen.update(r.shown)
                alert.last_run = stamp
