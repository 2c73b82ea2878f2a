"""Terminal output through Rich. Article text is always ``Text``, never markup: a headline with
``[Reuters]`` prints as written, and control characters are replaced before they reach a terminal.
"""

from __future__ import annotations

import sys
from collections import Counter
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TextIO

from rich.console import Console
from rich.padding import Padding
from rich.table import Table
from rich.text import Text

from newssearch.models import (
    Article,
    Contribution,
    Copy,
    FileProblem,
    Hit,
    Match,
    PassageHit,
    SearchResult,
    SimilarResult,
)
from newssearch.render.text import safe, safe_name
from newssearch.snippets import ArticleHighlights, no_highlights

if TYPE_CHECKING:  # loaded by index and its checks only: a query does not need it (``manifest``)
    from newssearch.alerts import Ran
    from newssearch.manifest import IndexCheck, IndexStats, IndexSummary, KnownProblems
    from newssearch.server import Status

HIGHLIGHT = "bold yellow"
INDENT = 5


class _Console(Console):
    def on_broken_pipe(self) -> None:
        """The reader went away (``| head``): stop quietly, like the JSON output does, rather
        than with Rich's exit status 1, which means "matched nothing" here."""
        self.quiet = True
        raise BrokenPipeError


def console(color: str = "auto", file: TextIO | None = None) -> Console:
    """``color``: auto (colour a terminal; NO_COLOR, FORCE_COLOR and TERM=dumb apply), always, never."""
    # "never" turns styling off, not the terminal: a terminal's output still wraps at its width.
    extra: dict[str, Any] = {"color_system": None} if color == "never" else {}
    return _Console(
        file=file or sys.stdout,
        force_terminal=True if color == "always" else None,
        no_color=True if color == "never" else None,
        **extra,
        highlight=False,
        markup=False,
        emoji=False,
    )


def _styled(text: str, style: str) -> Text:
    """Text styled over its span, not as a base style: a base style would spread over whatever
    is appended to it (the snippet after a label)."""
    out = Text(text)
    out.stylize(style)
    return out


def highlighted(text: str, found: list[tuple[int, int]] | list[list[int]]) -> Text:
    out = Text(safe(text))
    for start, end in found:
        out.stylize(HIGHLIGHT, start, end)
    return out


def _line(con: Console, text: Text, indent: int = 0) -> None:
    """One logical line: wrapped with a hanging indent on a terminal, whole when piped."""
    if con.is_terminal:
        con.print(Padding(text, (0, 0, 0, indent)))
    else:
        con.print(Text(" " * indent) + text, soft_wrap=True)


def similar_notes(con: Console, found: SimilarResult) -> None:
    """On stderr under ``similar``'s stories: what it looked for, and the copies left out."""
    if not found.words:
        said = f"{found.title!r} ({found.id}) has no words to look for stories like it by"
        said += " (numbers and very common words are left out)."
        _hanging(con, _styled(safe_name(said), "dim"))
        return
    said = f"Stories like {found.title!r} ({found.id}), by its words: {', '.join(found.words)}."
    _hanging(con, _styled(safe_name(said), "dim"))
    if not found.results:
        _hanging(con, _styled("No other story shares enough of them.", "dim"))
    if found.copies:
        shown = ", ".join(found.copies[:5]) + (f" and {len(found.copies) - 5} more" if len(found.copies) > 5 else "")
        copies = "1 copy" if len(found.copies) == 1 else f"{len(found.copies):,} copies"
        _hanging(con, _styled(f"{copies} of it left out: {shown}.", "dim"))


def search_result(con: Console, result: SearchResult | SimilarResult) -> None:
    for hit in result.results:
        if isinstance(hit, PassageHit):
            _passage(con, hit)
        else:
            _hit(con, hit)


def alert_runs(con: Console, ran: list[Ran]) -> None:
    """Each alert: a line saying what it found (``gaza: 3 new articles — rafah crossing``), then
    its new articles as ``query`` prints results, then how many more wait for the next run."""
    for r in ran:
        alert, result = r.alert, r.result
        if result is None:  # it could not run: said on stderr
            _line(
                con, _styled(safe_name(alert.name), "bold") + _styled(f": cannot run — {safe_name(alert.query)}", "red")
            )
            continue
        said = _count(result.total, "new article") if result.total else "nothing new"
        head = _styled(safe_name(alert.name), "bold") + _styled(f": {said} — {safe_name(alert.query)}", "dim")
        _line(con, head)
        for note in result.notes:
            _line(con, _styled(safe_name(_sentence(note) + "."), "yellow"), INDENT)
        if result.results:
            con.print()
            search_result(con, result)
        if r.more:
            more = f"{r.more:,} more new — `newssearch alert run {alert.name}` again shows the next"
            _line(con, _styled(safe_name(more), "dim"), INDENT)
            con.print()


def _location(con: Console, indent: int, path: str, line: int, *extra: str | None) -> None:
    """``path:line  date  source  score 3.89  id …`` on one line; on a terminal too narrow for
    it, each item goes whole onto the next line (never ``id`` on one line and the id on the
    next)."""
    items = [_styled(f"{safe_name(path)}:{line}", "magenta")] + [_styled(safe_name(i), "dim") for i in extra if i]
    if not con.is_terminal:
        con.print(Text(" " * indent) + Text("  ").join(items), soft_wrap=True)
        return
    width = max(con.width - indent, 20)
    row = Text()
    for item in items:
        if row and len(row) + 2 + len(item) > width:
            con.print(Padding(row, (0, 0, 0, indent)))
            row = Text()
        row = row + Text("  ") + item if row else item
    con.print(Padding(row, (0, 0, 0, indent)))


def _hit(con: Console, hit: Hit) -> None:
    head = _styled(f"{hit.rank:>3}. ", "dim") + _styled(safe_name(_short(hit.title)), "bold")
    _line(con, head)
    when = hit.date[:10] if hit.date else None
    _location(con, INDENT, hit.path, hit.line, when, hit.source, f"score {hit.score:.2f}", f"id {hit.id}")
    for match in hit.matches:
        _line(con, _label(match) + highlighted(match.text, match.highlights), INDENT)
    if hit.copies:
        _line(con, _styled(safe_name(copies_line(hit.copies)), "dim"), INDENT)
    _explanation(con, hit.explanation)
    con.print()


def copies_line(copies: list[Copy]) -> str:
    """``+3 copies: AP, Reuters (2) · 2025-03-01 to 2025-03-02`` (README, "Wire copies folded")."""
    sources = Counter(c.source or "no source" for c in copies)
    most = sorted(sources.items(), key=lambda item: (-item[1], item[0]))
    named = ", ".join(f"{name} ({n})" if n > 1 else name for name, n in most)
    dates = sorted(c.date[:10] for c in copies if c.date)
    when = "" if not dates else f" · {dates[0]}" if dates[0] == dates[-1] else f" · {dates[0]} to {dates[-1]}"
    return f"+{len(copies)} {'copy' if len(copies) == 1 else 'copies'}: {named}{when} (--all-copies lists them)"


def _explanation(con: Console, why: list[Contribution] | None) -> None:
    """``--explain``: each word's (or phrase's) share of the score, greatest first, by part:
    ``why: rafah 1.43 (title 0.75, body 0.69) · cross 1.10 (body) · feedback: egypt 0.20 (body)``."""
    if why is None:
        return
    words: dict[tuple[bool, str], list[Contribution]] = {}
    for c in why:
        words.setdefault((c.feedback, c.term), []).append(c)
    ranked = sorted(words.items(), key=lambda item: (item[0][0], -sum(c.score for c in item[1])))
    said = []
    for (from_feedback, term), parts in ranked:
        total = sum(c.score for c in parts)
        where = ", ".join(f"{c.part} {c.score:.2f}" for c in parts) if len(parts) > 1 else parts[0].part
        said.append(f"{'feedback: ' if from_feedback else ''}{term} {total:.2f} ({where})")
    text = " · ".join(said) if said else "no word of the query added to the score"
    _line(con, _styled("why: ", "cyan") + _styled(safe_name(text), "dim"), INDENT)


# A result's title is cut at this many characters (a file whose one long line is its "title").
MAX_TITLE = 300


def _short(title: str) -> str:
    return title if len(title) <= MAX_TITLE else title[:MAX_TITLE].rstrip() + "\u2026"


def _label(match: Match) -> Text:
    name = f"§ {match.section}" if match.kind == "section" and match.section else match.kind
    return _styled(safe_name(f"{name} ") + f"(line {match.line}): ", "cyan")


def _passage(con: Console, hit: PassageHit) -> None:
    name = f"§ {hit.section}" if hit.section else hit.kind
    head = _styled(f"{hit.rank:>3}. ", "dim") + _styled(safe_name(name), "bold cyan")
    head.append(_styled(" — ", "dim") + _styled(safe_name(_short(hit.title)), "bold"))
    _line(con, head)
    _location(con, INDENT, hit.path, hit.line, f"score {hit.score:.2f}", f"id {hit.id}")
    _line(con, highlighted(hit.text, hit.highlights), INDENT)
    _explanation(con, hit.explanation)
    con.print()


def search_notes(con: Console, result: SearchResult, offset: int, passages: bool) -> None:
    """What goes to stderr around the results: how the query was read, relaxation,
    did-you-mean, filter notes, the count and the facet line."""
    noun = "passage" if passages else "article"
    for written, spellings in result.variants.items():
        also = f'Also searched {", ".join(spellings)} for {written} ("{written}" in quotes: only as written).'
        _hanging(con, _styled(safe_name(also), "dim"))
    for note in result.notes:
        _hanging(con, _styled(safe_name(_sentence(note) + "."), "yellow"))
    if result.relaxed:
        _hanging(con, _styled(f"No {noun} has all the words; showing {noun}s with any of them.", "yellow"))
    if result.suggestion:
        _hanging(con, _styled("Did you mean: ", "yellow") + _styled(safe_name(result.suggestion), "bold"))
    if result.filter_note:
        _hanging(con, _styled(safe_name(_sentence(result.filter_note) + "."), "yellow"))
    shown = len(result.results)
    if result.total == 0:
        _hanging(con, _styled(f"No {noun}s match {safe_name(result.query)!r}.", "dim"))
    elif shown == 0:
        _hanging(con, _styled(f"{_total(result, noun)} match; none past --offset {offset:,}.", "dim"))
    else:
        first, last = offset + 1, offset + shown
        span = f"{first:,}" if first == last else f"{first:,}–{last:,}"
        _hanging(con, _styled(f"{span} of {_total(result, noun)}.", "dim"))
    if result.folded:
        copies = f"{result.folded:,} more {'is a copy' if result.folded == 1 else 'are copies'}"
        _hanging(con, _styled(f"{copies} of these stories, folded under them (--all-copies lists them).", "dim"))
    facets = facet_line(result.facets)
    if facets and result.total:
        _hanging(con, _styled(safe_name(facets), "dim"))
        # On a terminal the bars and their two dates fit on a line (the words after them wrap).
        fits = con.width - 17 if con.is_terminal else TIMELINE_BARS
        chart = timeline(result.facets.get("month") or {}, noun, bars=max(12, min(TIMELINE_BARS, fits)))
        if chart is not None:
            _hanging(con, chart)
    elif not result.total_exact:
        _hanging(con, _styled("--exact-total counts them all, by source and by month.", "dim"))


def _total(result: SearchResult, noun: str) -> str:
    """``3 articles``; a lower bound as ``10,000+ articles``."""
    if result.total_exact:
        return _count(result.total, noun)
    return f"{result.total:,}+ {noun}s"


FACETS_SHOWN = 4


def facet_line(facets: dict[str, dict[str, int]]) -> str:
    """``By source: Reuters 120, BBC News 3 · by month: 1987-03 100, 1987-04 20, … (+3 more)``:
    the largest few of each, in count order."""
    parts = []
    for name in ("source", "month"):
        counts = facets.get(name) or {}
        if not counts:
            continue
        top = sorted(counts.items(), key=lambda item: (-item[1], item[0]))[:FACETS_SHOWN]
        text = ", ".join(f"{key} {count:,}" for key, count in top)
        if len(counts) > FACETS_SHOWN:
            text += f", … (+{len(counts) - FACETS_SHOWN} more)"
        parts.append(f"by {name}: {text}")
    return _sentence(" · ".join(parts))


# The timeline's most bars, and the months a bar may stand for: a bar a month up to five years.
TIMELINE_BARS = 60
_MONTHS_A_BAR = (1, 3, 6, 12, 24, 60, 120, 600)
_LEVELS = "▁▂▃▄▅▆▇█"


def timeline(months: dict[str, int], noun: str = "article", bars: int = TIMELINE_BARS) -> Text | None:
    """The matches by month (``facets["month"]``, keys ``YYYY-MM``) as a bar chart from the
    first month to the last, a bar a month (a quarter, a year, … when they span more than
    ``bars`` months), a blank for none: ``1987-02 ▂█▅ ▁ 1987-06  a bar a month, the tallest
    120 articles``. None when the matches fall in fewer than two months."""
    counts: dict[int, int] = {}
    for key, count in months.items():
        try:
            year, month = int(key[:4]), int(key[5:7])
        except ValueError:
            continue
        if count > 0 and len(key) == 7 and key[4] == "-" and 1 <= month <= 12:
            counts[year * 12 + month - 1] = counts.get(year * 12 + month - 1, 0) + count
    if len(counts) < 2:
        return None
    first, last = min(counts), max(counts)
    per = next((n for n in _MONTHS_A_BAR if (last // n - first // n) < bars), 0)
    if not per:  # dates millennia apart (placeholders, typos): as many years a bar as it takes
        per = 12 * -(-(last - first + 1) // (12 * (bars - 1)))
    heights: dict[int, int] = {}
    for at, count in counts.items():
        heights[at // per] = heights.get(at // per, 0) + count
    tallest = max(heights.values())
    chart = "".join(
        _LEVELS[max(0, -(-heights[n] * len(_LEVELS) // tallest) - 1)] if n in heights else " "
        for n in range(first // per, last // per + 1)
    )
    every = {1: "a bar a month", 3: "a bar a quarter", 6: "a bar every 6 months", 12: "a bar a year"}.get(per)
    every = every or f"a bar every {per // 12} years"
    out = _styled(_month_label(first), "dim") + " " + _styled(chart, "cyan") + " " + _styled(_month_label(last), "dim")
    return out + _styled(f"  {every}, the tallest {_count(tallest, noun)}", "dim")


def _month_label(at: int) -> str:
    return f"{at // 12:04d}-{at % 12 + 1:02d}"


def _sentence(text: str) -> str:
    """``text`` with a capital first letter (the core writes notes to go mid-sentence too)."""
    return text[:1].upper() + text[1:]


# ``show`` prints each paragraph's line number in a gutter this wide.
GUTTER = 6


def article(con: Console, art: Article, marks: ArticleHighlights | None, copies: list[Copy] | None = None) -> None:
    """The whole article: title, location and metadata, its copies, captions, then each section
    under its heading, paragraphs apart and each with its line number in the gutter."""
    marks = marks or no_highlights(art)
    title = highlighted(art.title, marks.title)
    title.stylize("bold")
    _line(con, title)
    details = [f"id {art.id}", art.date, art.source, art.url, ", ".join(art.tags) if art.tags else None]
    _location(con, 0, art.path, art.line, *details)
    if copies:
        _line(con, _styled(f"{len(copies)} {'copy' if len(copies) == 1 else 'copies'} of this story:", "dim"))
        for c in copies:
            _location(con, INDENT, c.path, c.line, c.date[:10] if c.date else None, c.source, f"id {c.id}")
    if art.captions:
        con.print()
        for caption, found in zip(art.captions, marks.captions, strict=True):
            _numbered(con, caption.line, _styled("caption: ", "cyan") + highlighted(caption.text, found))
    for section, heading_found, paragraphs_found in zip(art.sections, marks.headings, marks.paragraphs, strict=True):
        if section.heading:
            con.print()
            heading = highlighted(section.heading, heading_found)
            heading.stylize("bold underline")
            _numbered(con, section.line, heading)
        for paragraph, found in zip(section.paragraphs, paragraphs_found, strict=True):
            con.print()
            _numbered(con, paragraph.line, highlighted(paragraph.text, found))


def _numbered(con: Console, line: int, text: Text) -> None:
    """``text`` after its line number, wrapped under itself on a terminal."""
    number = _styled(f"{line:>{GUTTER - 2}}  ", "dim")
    if con.is_terminal:
        grid = Table.grid()
        grid.add_column(width=GUTTER, no_wrap=True)
        grid.add_column()
        grid.add_row(number, text)
        con.print(grid)
    else:
        con.print(number + text, soft_wrap=True)


def paged(con: Console, emit: Callable[[Console], None]) -> None:
    """Print through a pager, as git does: ``$PAGER`` (run by the shell), else ``less`` with
    ``LESS=FRX`` when unset (quit when it fits one screen, keep colours, leave the text on the
    screen). Without a pager to run, print straight to the terminal."""
    import os
    import shutil
    import signal
    import subprocess

    command = os.environ.get("PAGER", "less")
    if not command.strip() or (command == "less" and shutil.which("less") is None):
        emit(con)
        return
    with con.capture() as captured:
        emit(con)
    env = {**os.environ, "LESS": os.environ.get("LESS", "FRX")}
    text = captured.get()
    # Ctrl-C belongs to the pager while it runs (less uses it to stop a search), as in git.
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        pager = subprocess.Popen(command, shell=True, stdin=subprocess.PIPE, env=env)
        assert pager.stdin is not None
        try:
            pager.stdin.write(text.encode("utf-8", "replace"))
            pager.stdin.close()
        except BrokenPipeError:  # the reader quit the pager before the end: not an error
            pass
        status = pager.wait()
    finally:
        signal.signal(signal.SIGINT, previous)
    if status in (126, 127):  # the shell could not run $PAGER: show the article all the same
        con.file.write(text)


def stats(con: Console, s: IndexStats) -> None:
    rows = [
        ("articles", f"{s.articles:,}"),
        ("sections", f"{s.sections:,}"),
        ("captions", f"{s.captions:,}"),
        ("files", f"{s.files:,}"),
        ("distinct terms", "not counted by this engine" if s.terms is None else f"{s.terms:,}"),
        ("index size", _size(s.bytes)),
        ("last update", s.updated or "never"),
    ]
    for name, value in rows:
        con.print(_styled(f"{name:<15}", "cyan") + Text(value))


def server_status(con: Console, s: Status | None, shown: str) -> None:
    if s is None:
        con.print(Text(safe(f"no server answers for {shown}")))
        return
    import time

    from newssearch.server import minutes

    up = max(0, int(time.time() - s.started))
    uptime = f"{up // 3600} h {up % 3600 // 60} min" if up >= 3600 else f"{up // 60} min {up % 60} s"
    rows = [
        ("index", safe_name(s.index)),
        ("pid", str(s.pid)),
        ("up", uptime),
        ("answered", _count(s.answered, "command")),
        ("watching", safe_name(s.watching) if s.watching else "no (serve --watch indexes changes)"),
        ("stops", f"after {minutes(s.idle_minutes)} without a command" if s.idle_minutes else "only when stopped"),
    ]
    if not s.current:
        again = "newssearch was installed again since it started: commands run without it — restart it"
        rows.append(("outdated", again))
    for name, value in rows:
        con.print(_styled(f"{name:<10}", "cyan") + Text(value))


def _size(n: int) -> str:
    size = float(n)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if size < 1024 or unit == "GiB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{n} B"


# Skipped files named in the summary line; the rest are counted (``index --json`` names all).
SKIPPED_NAMED = 3


def index_summary(con: Console, s: IndexSummary, quiet: bool = False) -> None:
    skipped = f"{s.skipped:,} skipped"
    if s.skipped_files:
        named = ", ".join(s.skipped_files[:SKIPPED_NAMED])
        more = len(s.skipped_files) - SKIPPED_NAMED
        skipped += f" ({named}{f' and {more:,} more' if more > 0 else ''})"
    text = (
        f"{'Rebuilt' if s.rebuilt else 'Updated'} index: {_count(s.articles, 'article')}, "
        f"{_count(s.sections, 'section')}, {_count(s.captions, 'caption')} from {_count(s.files, 'file')} — "
        f"{s.added:,} added, {s.changed:,} changed, {s.removed:,} removed, {s.unchanged:,} unchanged, "
        f"{skipped}, {s.failed:,} failed in {s.seconds:.2f} s{_problems_said(s, quiet)}"
    )
    if s.reclaimed_bytes:
        text += f"; {_size(s.reclaimed_bytes)} left by earlier runs that did not finish removed"
    _hanging(con, Text(safe_name(text)))


def _problems_said(s: IndexSummary, quiet: bool) -> str:
    """The summary's end: the problems listed above, and those known from earlier runs (only
    counted: ``index --problems`` lists them)."""
    new = sum(1 for p in s.problems if p.new)
    known = len(s.problems) - new
    shown = len(_listed(s)[0])
    lists = "`newssearch index --problems` lists"
    if not s.problems:
        return ""
    if quiet:
        return f"; {_count(len(s.problems), 'problem')} ({lists} them)"
    more = [f"{new - shown:,} more"] if new > shown else []
    more += [f"{known:,} known"] if known else []
    if not new:
        return f"; {_count(known, 'known problem')} ({lists} them)"
    said = f"; {_count(shown, 'problem')} listed above"
    return said + (f", {', '.join(more)} ({lists} all)" if more else "")


# Files listed per kind of difference by ``index --check``; the rest are counted.
CHECK_LISTED = 10


def index_check(con: Console, c: IndexCheck) -> None:
    if not c.out_of_date and not c.damaged:
        matches = f"The index matches the corpus: {_count(c.articles, 'article')} from {_count(c.files, 'file')}"
        _hanging(con, Text(f"{matches} ({_checked(c)})."))
        return
    damaged = [f"{m.path}: {_count(m.found, 'article')} in the index, {m.expected:,} expected" for m in c.mismatched]
    for label, style, lines in (
        ("not indexed yet", "yellow", c.added),
        ("changed since indexed", "yellow", c.changed),
        ("gone", "yellow", c.removed),
        ("damaged", "red", damaged),
    ):
        for line in lines[:CHECK_LISTED]:
            _hanging(con, _styled(f"{label}: ", style) + Text(safe_name(line)), len(label) + 2)
        if len(lines) > CHECK_LISTED:
            con.print(_styled(f"… and {len(lines) - CHECK_LISTED:,} more {label}", "dim"))
    if c.unreadable:
        con.print(_styled("damaged: ", "red") + Text(f"{_count(c.unreadable, 'stored article')} cannot be read back"))
    for d in c.damaged_files:
        _hanging(con, _styled("damaged: ", "red") + Text(safe_name(f"index file {d.name}: {d.reason}")), 9)
    if c.read_error:
        _hanging(con, _styled("damaged: ", "red") + Text(safe_name(f"reading the index failed: {c.read_error}")), 9)
    _hanging(
        con,
        Text(
            f"{_count(c.articles, 'article')} from {_count(c.files, 'file')} in the index ({_checked(c)}); {c.advice}."
        ),
    )


def _checked(c: IndexCheck) -> str:
    if c.verified_bytes is None:  # a cluster checks its own files
        return "every stored article read back; the cluster checks its own files"
    return f"{_size(c.verified_bytes)} of index files checked byte for byte"


def _count(n: int, noun: str) -> str:
    """``1 article``, ``1,234 articles``."""
    return f"{n:,} {noun}{'' if n == 1 else 's'}"


# Problems listed on the terminal by an index run, per file and in all; the rest are counted
# (``index --problems`` and ``index --json`` list all).
PROBLEMS_PER_FILE = 20
PROBLEMS_SHOWN = 200


def problems(con: Console, s: IndexSummary) -> None:
    """The problems an index run found in the files it read (those known from earlier runs are
    only counted, by the summary): at most PROBLEMS_PER_FILE a file and PROBLEMS_SHOWN in all,
    then what was not listed, counted per file."""
    listed, unlisted = _listed(s)
    for p in listed:
        _problem(con, p)
    lists = "`newssearch index --problems` lists all"
    # Counted under its name: a file some of whose problems are listed above; the rest together.
    named = [(path, more) for path, more in unlisted.items() if any(p.path == path for p in listed)]
    for path, more in named[:PROBLEMS_PER_FILE]:
        line = f"{path}: … and {_count(more, 'more problem')} in this file ({lists})"
        _hanging(con, _styled("warning: ", "yellow") + Text(safe_name(line)), len("warning: "))
    rest = sum(unlisted.values()) - sum(more for _, more in named[:PROBLEMS_PER_FILE])
    if rest:
        line = f"… and {_count(rest, 'more problem')} in other files ({lists})"
        _hanging(con, _styled("warning: ", "yellow") + Text(line), len("warning: "))


def _listed(s: IndexSummary) -> tuple[list[FileProblem], dict[str, int]]:
    """The run's new problems the terminal lists, and how many it does not, by file."""
    listed: list[FileProblem] = []
    per_file: dict[str, int] = {}
    unlisted: dict[str, int] = {}
    for p in s.problems:
        if not p.new:
            continue
        per_file[p.path] = per_file.get(p.path, 0) + 1
        if per_file[p.path] <= PROBLEMS_PER_FILE and len(listed) < PROBLEMS_SHOWN:
            listed.append(p)
        else:
            unlisted[p.path] = unlisted.get(p.path, 0) + 1
    return listed, unlisted


def _problem(con: Console, p: FileProblem) -> None:
    where = f"{p.path}:{p.line}" if p.line else p.path
    label = f"{p.level}: "
    _hanging(
        con,
        _styled(label, "red" if p.level == "error" else "yellow") + Text(safe_name(f"{where}: {p.reason}")),
        len(label),
    )


def known_problems(con: Console, k: KnownProblems) -> None:
    """``index --problems``: every one, then a line that counts them."""
    for p in k.problems:
        _problem(con, p)
    files = len({p.path for p in k.problems})
    text = (
        f"{_count(len(k.problems), 'known problem')} in {_count(files, 'file')}" if k.problems else "No known problems"
    )
    if k.not_read:
        text += (
            f"; {_count(len(k.not_read), 'file')} new or changed since the last run "
            f"{'is' if len(k.not_read) == 1 else 'are'} not read yet — run `newssearch index` to read "
            f"{'it' if len(k.not_read) == 1 else 'them'}"
        )
    _hanging(con, Text(text + "."))


def _hanging(con: Console, text: Text, indent: int = 0) -> None:
    """One item (a problem, a summary): on a terminal wrapped at word boundaries, with the lines
    after the first indented by ``indent``; piped, one line however long (a script reads it)."""
    if not (con.is_terminal and getattr(con.file, "isatty", lambda: False)()):
        con.print(text, soft_wrap=True)
        return
    first = text.wrap(con, con.width)[0]
    cut = len(first.plain)
    rest = text[cut:]
    rest = rest[len(rest.plain) - len(rest.plain.lstrip(" ")) :]
    con.print(first)
    if rest.plain:  # on a terminal too narrow for the indent, the text keeps half of it
        con.print(Padding(rest, (0, 0, 0, min(indent, con.width // 2))))
