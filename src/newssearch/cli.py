"""The ``newssearch`` command: options → a request → one core call → a renderer → an exit code.

Exit codes (README, "Exit codes"): 0 found / done, 1 the query matched nothing, 2 usage error, bad query,
missing or unreadable index or corpus, 3 ``index`` could not update the index at all.
Heavy modules (Whoosh, Rich) are imported inside the command that needs them.
"""

from __future__ import annotations

import errno
import functools
import io
import os
import signal
import sys
from collections.abc import Callable
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, NoReturn, TypeVar

import typer
from typer.core import TyperCommand

try:  # Typer's newer releases carry their own copy of Click, whose exceptions are the ones raised
    from typer._click.exceptions import NoSuchOption
    from typer._click.exceptions import UsageError as ClickUsageError
except ImportError:  # pragma: no cover - older Typer depends on Click itself
    from click.exceptions import NoSuchOption  # type: ignore[no-redef]
    from click.exceptions import UsageError as ClickUsageError  # type: ignore[no-redef]

import newssearch
from newssearch.errors import NewsSearchError, UsageError, display
from newssearch.render.text import replace_unwritable, safe

if TYPE_CHECKING:
    from datetime import datetime

    # Rich is imported only by the commands that print with it
    import click
    from rich.console import Console

    from newssearch.alerts import Alert
    from newssearch.manifest import IndexSummary

T = TypeVar("T")
N = TypeVar("N", int, float)

QUERY_HELP = """Search the index; print the best articles, best first, with highlighted snippets.

\b
Query syntax:
  rafah crossing            every word must match (stemmed: crossings = crossing);
                            when none has them all, any word is enough (said on stderr)
  "rafah crossing"          an exact phrase ("curly quotes" work too)
  "gaza aid"~5              the words within 5 positions of each other, either order
  rafah OR egypt            either word; also AND, NOT, ANDNOT, ANDMAYBE, ( )
  rafah -egypt              leave out articles with a word (= rafah NOT egypt)
  title:rafah               in a field: title, section (subheadings), caption, body,
                            source, tags, date
  date:[2025-01-01 TO 2025-12-31]   a date range (date:[2025 TO] for open-ended)
  cross*   rafha~   rafha~2 prefix; fuzzy (1 or 2 edits; a swap is 1)
Case, accents (Türkiye = Turkiye) and typographic quotes are folded.
"""

app = typer.Typer(
    name="newssearch",
    help="Full-text search for news articles kept as files.",
    no_args_is_help=True,
    add_completion=True,  # --install-completion, --show-completion (README, "Shell completion")
    rich_markup_mode=None,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


class Color(StrEnum):
    auto = "auto"
    always = "always"
    never = "never"


class SearchField(StrEnum):
    title = "title"  # type: ignore[assignment]  # shadows str.title, harmlessly
    section = "section"
    caption = "caption"
    body = "body"


class Sort(StrEnum):
    relevance = "relevance"
    date = "date"


CorpusOpt = Annotated[
    Path,
    typer.Option("--corpus", envvar="NEWSSEARCH_CORPUS", metavar="DIR", help="Folder of articles.", show_default=True),
]
# A location, not a path: an engine may take other kinds than a folder (README, "Engines").
IndexOpt = Annotated[
    str,
    typer.Option(
        "--index",
        envvar="NEWSSEARCH_INDEX",
        metavar="DIR|URL",
        help="Index folder, or an OpenSearch cluster's http(s)://HOST:PORT/NAME.",
        show_default=True,
    ),
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print one JSON object (see the README for its keys).")]
ColorOpt = Annotated[
    Color, typer.Option("--color", help="Colour: auto (a terminal only; NO_COLOR honoured), always, never.")
]


# The options of a search that ``query`` and ``alert add`` share.
AnyOpt = Annotated[bool, typer.Option("--any", help="Match any of the words, ranked (for pasted sentences).")]
SourceOpt = Annotated[str | None, typer.Option("--source", metavar="NAME", help="Only articles from this source.")]
SinceOpt = Annotated[
    str | None, typer.Option("--since", metavar="DATE", help="Only articles dated on or after (YYYY[-MM[-DD]]).")
]
UntilOpt = Annotated[
    str | None, typer.Option("--until", metavar="DATE", help="Only articles dated on or before (YYYY[-MM[-DD]]).")
]
InOpt = Annotated[SearchField | None, typer.Option("--in", help="Every word must match in this field.")]
SortOpt = Annotated[Sort, typer.Option("--sort", help="relevance, or date (newest first).")]


def _dates(since: str | None, until: str | None) -> tuple[datetime | None, datetime | None]:
    """--since and --until as the first and the last moment they include."""
    from newssearch.querytext import date_bound

    start, end = date_bound(since, "--since"), date_bound(until, "--until", end=True)
    if start and end and start > end:
        raise UsageError(f"--since {since} is after --until {until} — swap them")
    return start, end


QuietOpt = Annotated[
    bool, typer.Option("--quiet", "-q", help="Print only the results: no counts, notes or suggestions on stderr.")
]


def _not_negative(value: N) -> N:
    if value < 0:
        raise typer.BadParameter(f"{value} is negative — give 0 or more")
    return value


def _positive(value: int | None) -> int | None:
    if value is not None and value < 1:
        raise typer.BadParameter(f"{value} is less than 1 — give 1 or more")
    return value


class _Command(TyperCommand):
    """A command whose usage line names its arguments plainly: ``ID``, not Typer's ``{ID}``."""

    def collect_usage_pieces(self, ctx: typer.Context) -> list[str]:  # type: ignore[override]
        return [piece.strip("{}") for piece in super().collect_usage_pieces(ctx)]


def _version(value: bool) -> None:
    if value:
        typer.echo(f"newssearch {newssearch.__version__}")
        raise typer.Exit()


@app.callback()
def _main(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version and exit.")
    ] = False,
) -> None:
    """Full-text search for news articles kept as files."""


def _index_done(summary: IndexSummary) -> str:
    """What a finished `index` run has done, whatever happens to its output."""
    if summary.added or summary.changed or summary.removed or summary.rebuilt:
        return "the index was updated (the update is committed)"
    return "the index is up to date"


@app.command(cls=_Command)
def index(
    corpus: CorpusOpt = Path("corpus"),
    index_dir: IndexOpt = "index",
    rebuild: Annotated[bool, typer.Option("--rebuild", help="Start from an empty index.")] = False,
    json_out: JsonOpt = False,
    check: Annotated[
        bool,
        typer.Option(
            "--check", help="Compare the index with the corpus and report; change nothing (exit 1: not in step)."
        ),
    ] = False,
    jobs: Annotated[
        int | None,
        typer.Option(
            "--jobs",
            "-j",
            metavar="N",
            callback=_positive,
            help="Processes to index with (default: one per core, up to 4, when there is a lot to parse).",
        ),
    ] = None,
    problems: Annotated[
        bool,
        typer.Option("--problems", help="List every known problem of the corpus; change nothing (like --check)."),
    ] = False,
    quiet: Annotated[
        bool, typer.Option("--quiet", "-q", help="No progress bar and no problem lines: only the summary and errors.")
    ] = False,
    follow: Annotated[
        bool,
        typer.Option(
            "--follow", "-L", help="Follow symbolic links in the corpus (not followed otherwise, and each is listed)."
        ),
    ] = False,
) -> None:
    """Bring the index up to date with the corpus: parse new and changed files, drop deleted ones."""
    from newssearch.render import as_json, human

    if check and problems:
        _fail(UsageError("--check and --problems cannot be used together — pick one"))
    if (check or problems) and rebuild:
        _fail(UsageError(f"{'--check' if check else '--problems'} only reads the index; run it without --rebuild"))
    if check:
        from newssearch.check import check_index

        found = _run(lambda: check_index(corpus, index_dir, follow=follow))
        _output(json_out, lambda: as_json.index_check(found), lambda con: human.index_check(con, found))
        raise typer.Exit(1 if found.advice else 0)
    if problems:
        from newssearch.problems import known_problems

        known = _run(lambda: known_problems(corpus, index_dir, follow=follow))
        _output(json_out, lambda: as_json.known_problems(known), lambda con: human.known_problems(con, known))
        return
    from newssearch.indexer import update_index
    from newssearch.render.progress import progress_bar

    err = human.console(file=sys.stderr)

    def update() -> IndexSummary:
        # The bar is ended before _run says anything (an error, Ctrl-C): never glued to it.
        with progress_bar(err, shown=not quiet) as progress:
            return update_index(corpus, index_dir, rebuild=rebuild, progress=progress, procs=jobs, follow=follow)

    summary = _run(update, index_cmd=True)
    if not quiet:
        human.problems(err, summary)
    if json_out:
        _write(lambda: as_json.write(as_json.index_summary(summary)), done=_index_done(summary))
    else:
        _write(lambda: human.index_summary(human.console(), summary, quiet), done=_index_done(summary))


class _QueryCommand(_Command):
    """The ``query`` command: a query that starts with ``-`` is pointed to ``--`` rather than
    refused as an unknown option."""

    def parse_args(self, ctx: typer.Context, args: list[str]) -> list[str]:  # type: ignore[override]
        typed = list(args)  # the parser consumes ``args``
        try:
            return list(super().parse_args(ctx, args))
        except NoSuchOption as exc:
            if exc.option_name.startswith("--"):
                raise
            import shlex  # only for this message

            given = next((a for a in typed if a.startswith(exc.option_name)), exc.option_name)
            raise ClickUsageError(
                f"no such option: {exc.option_name} — a query that starts with '-' goes after '--': "
                f"newssearch query -- {shlex.quote(given)}",
                ctx,
            ) from None


@app.command(help=QUERY_HELP, cls=_QueryCommand)
def query(
    text: Annotated[
        str, typer.Argument(metavar="QUERY", help="What to search for (see the syntax above).", show_default=False)
    ],
    limit: Annotated[
        int, typer.Option("--limit", "-n", metavar="N", callback=_not_negative, help="How many results.")
    ] = 10,
    offset: Annotated[
        int, typer.Option("--offset", metavar="N", callback=_not_negative, help="Skip this many results first.")
    ] = 0,
    any_words: AnyOpt = False,
    passages: Annotated[bool, typer.Option("--passages", help="Rank sections and captions on their own.")] = False,
    source: SourceOpt = None,
    since: SinceOpt = None,
    until: UntilOpt = None,
    in_field: InOpt = None,
    sort: SortOpt = Sort.relevance,
    exact_total: Annotated[
        bool,
        typer.Option("--exact-total", help="Count every match, and by source and month, however many (else 10,000+)."),
    ] = False,
    explain: Annotated[
        bool, typer.Option("--explain", help="Show what each word added to each result's score, by field.")
    ] = False,
    as_spelled: Annotated[
        bool, typer.Option("--as-spelled", help="Search names only as written, not in their other spellings.")
    ] = False,
    all_copies: Annotated[
        bool,
        typer.Option("--all-copies", help="List every copy of a story as a result (else one, its copies under it)."),
    ] = False,
    json_out: JsonOpt = False,
    jsonl: Annotated[bool, typer.Option("--jsonl", help="Print one JSON result object a line.")] = False,
    csv_out: Annotated[bool, typer.Option("--csv", help="Print a CSV table: a header, then a row a result.")] = False,
    vimgrep: Annotated[
        bool,
        typer.Option("--vimgrep", help="Print path:line:column:text, a line a snippet (for editors' quickfix lists)."),
    ] = False,
    quiet: QuietOpt = False,
    color: ColorOpt = Color.auto,
    index_dir: IndexOpt = "index",
) -> None:
    """Search the index."""
    from newssearch.models import SearchRequest
    from newssearch.render import as_json
    from newssearch.searcher import search

    formats = [
        name
        for name, on in (("--json", json_out), ("--jsonl", jsonl), ("--csv", csv_out), ("--vimgrep", vimgrep))
        if on
    ]
    if len(formats) > 1:
        _fail(UsageError(f"{' and '.join(formats)} cannot be used together — pick one output format"))
    if explain and (csv_out or vimgrep):
        _fail(UsageError(f"--explain goes with the terminal output, --json or --jsonl, not {formats[0]}"))

    def request() -> SearchRequest:
        start, end = _dates(since, until)
        return SearchRequest(
            text=text,
            limit=limit,
            offset=offset,
            any_words=any_words,
            passages=passages,
            source=source,
            since=start,
            until=end,
            field=in_field.value if in_field else None,
            sort=sort.value,
            exact_total=exact_total,
            facets=json_out or not formats,  # only the JSON object and the terminal show counts
            explain=explain,
            respell=not as_spelled,
            fold_copies=not all_copies,
        )

    result = _run(lambda: search(index_dir, request()))
    if json_out:
        _write(lambda: as_json.write(as_json.search_result(result)))
    elif jsonl:
        _write(lambda: _print("".join(line + "\n" for line in as_json.search_lines(result))))
    elif csv_out or vimgrep:
        from newssearch.render import lines

        _write(lambda: (lines.write_csv if csv_out else lines.write_vimgrep)(result, sys.stdout))
    else:
        from newssearch.render import human  # Rich: only for the terminal format

        _write(lambda: human.search_result(human.console(color.value), result))
    if not quiet and not json_out:
        from newssearch.render import human

        human.search_notes(human.console(color.value, file=sys.stderr), result, offset, passages)
    raise typer.Exit(0 if result.total else 1)


@app.command(cls=_Command)
def show(
    article_id: Annotated[str, typer.Argument(metavar="ID", help="An article id (or its first characters).")],
    highlight: Annotated[
        str | None, typer.Option("--highlight", metavar="QUERY", help="Highlight the words of this query.")
    ] = None,
    json_out: JsonOpt = False,
    pager: Annotated[
        bool,
        typer.Option(
            "--pager/--no-pager",
            help="On a terminal, page a long article through $PAGER (else less); --no-pager prints it all.",
        ),
    ] = True,
    color: ColorOpt = Color.auto,
    index_dir: IndexOpt = "index",
) -> None:
    """Print a whole article: title, metadata, captions, sections."""
    if pager and not json_out and sys.stdout.isatty():
        from newssearch import client

        client.pager_here()  # a pager reads keys from the terminal: a server hands this back
    from newssearch.render import as_json, human
    from newssearch.searcher import show as show_article

    article, marks, copies = _run(lambda: show_article(index_dir, article_id, highlight))
    if json_out:
        _write(lambda: as_json.write(as_json.article(article, marks, copies)))
        return
    con = human.console(color.value)
    if pager and sys.stdout.isatty():  # a terminal, not --color always into a pipe
        _write(lambda: human.paged(con, lambda c: human.article(c, article, marks, copies)))
    else:
        _write(lambda: human.article(con, article, marks, copies))


@app.command(cls=_Command)
def similar(
    article_id: Annotated[str, typer.Argument(metavar="ID", help="An article id (or its first characters).")],
    limit: Annotated[
        int, typer.Option("--limit", "-n", metavar="N", callback=_positive, help="How many stories.")
    ] = 10,
    json_out: JsonOpt = False,
    quiet: QuietOpt = False,
    color: ColorOpt = Color.auto,
    index_dir: IndexOpt = "index",
) -> None:
    """Stories like this article, best first (its copies left out)."""
    from newssearch.searcher import similar as find_similar

    found = _run(lambda: find_similar(index_dir, article_id, limit))
    if json_out:
        from newssearch.render import as_json

        _write(lambda: as_json.write(as_json.search_result(found)))
    else:
        from newssearch.render import human

        _write(lambda: human.search_result(human.console(color.value), found))
        if not quiet:
            human.similar_notes(human.console(color.value, file=sys.stderr), found)
    raise typer.Exit(0 if found.results else 1)


@app.command(cls=_Command)
def stats(json_out: JsonOpt = False, index_dir: IndexOpt = "index") -> None:
    """Articles, sections, captions, files, distinct terms, index size and last update."""
    from newssearch.render import as_json, human
    from newssearch.searcher import stats as index_stats

    result = _run(lambda: index_stats(index_dir))
    _output(json_out, lambda: as_json.stats(result), lambda con: human.stats(con, result))


@app.command(cls=_Command)
def serve(
    index_dir: IndexOpt = "index",
    watch: Annotated[
        bool, typer.Option("--watch", help="Also index the corpus's changes as they happen (see --corpus).")
    ] = False,
    corpus: CorpusOpt = Path("corpus"),
    idle: Annotated[
        float,
        typer.Option(
            "--idle",
            metavar="MINUTES",
            callback=_not_negative,
            help="Stop after this many minutes without a command (0: never).",
        ),
    ] = 60.0,
    detach: Annotated[bool, typer.Option("--detach", help="Run in the background; return once it answers.")] = False,
    status: Annotated[
        bool, typer.Option("--status", help="Say whether a server answers for the index (exit 1: none).")
    ] = False,
    stop: Annotated[bool, typer.Option("--stop", help="Stop the index's server (exit 1: none was running).")] = False,
    json_out: Annotated[bool, typer.Option("--json", help="With --status: print one JSON object.")] = False,
) -> None:
    """Keep the index open and answer query, show, similar and stats at once (README, "A resident searcher")."""
    from newssearch import server

    if status and stop:
        _fail(UsageError("--status and --stop cannot be used together — pick one"))
    if (status or stop) and (watch or detach):
        _fail(UsageError(f"{'--status' if status else '--stop'} asks a running server; leave out --watch and --detach"))
    if json_out and not status:
        _fail(UsageError("--json goes with --status"))
    folder = _run(lambda: server.index_folder(index_dir))
    shown = display(folder)
    if status:
        found = _run(lambda: server.status(folder))
        from newssearch.render import as_json, human

        _output(json_out, lambda: as_json.server_status(found), lambda con: human.server_status(con, found, shown))
        raise typer.Exit(0 if found else 1)
    if stop:
        pid = _run(lambda: server.stop(folder))
        if pid is None:
            typer.echo(safe(f"newssearch: no server answers for {shown}"), err=True)
            raise typer.Exit(1)
        typer.echo(safe(f"newssearch: stopped the server of {shown} (pid {pid})"), err=True)
        return
    watched = corpus if watch else None
    if watched is not None:  # up to date before serving, with the bar `index` shows
        from newssearch.render import human
        from newssearch.render.progress import progress_bar

        err = human.console(file=sys.stderr)

        def first_update() -> None:
            with progress_bar(err) as progress:
                server.update_now(watched, folder, _say, progress=progress)

        _run(first_update, index_cmd=True)
    if detach:
        pid = _run(lambda: server.start_detached(folder, idle_minutes=idle, corpus=watched))
        typer.echo(
            safe(f"newssearch: serving {shown} in the background (pid {pid}) — `newssearch serve --stop` stops it"),
            err=True,
        )
        return
    _run(lambda: server.serve(folder, idle_minutes=idle, corpus=watched, say=_say))


alert_app = typer.Typer(
    name="alert",
    help="Saved searches that show only what is new: add, list, remove, run.",
    no_args_is_help=True,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)
app.add_typer(alert_app)


@alert_app.command("add", cls=_Command)
def alert_add(
    name: Annotated[str, typer.Argument(metavar="NAME", help="What to call it (letters, digits, . _ -).")],
    text: Annotated[str, typer.Argument(metavar="QUERY", help="The query, as `newssearch query` takes it.")],
    any_words: AnyOpt = False,
    source: SourceOpt = None,
    since: SinceOpt = None,
    until: UntilOpt = None,
    in_field: InOpt = None,
    sort: SortOpt = Sort.relevance,
    index_dir: IndexOpt = "index",
) -> None:
    """Save a query as an alert of this index; `alert run` then shows what it has not shown."""
    from dataclasses import replace

    from newssearch import alerts
    from newssearch.searcher import search

    def add() -> alerts.Alert:
        alerts.check_name(name)
        _dates(since, until)  # the dates read, in order
        alert = alerts.Alert(
            name=name,
            query=text,
            any_words=any_words,
            source=source,
            since=since,
            until=until,
            field=in_field.value if in_field else None,
            sort=sort.value,
            added=alerts.now(),
        )
        # Searched once now: the index must be there, and the query must read (a bad date, say).
        search(index_dir, replace(alert.request(), limit=0))
        with alerts.alerts_of(index_dir) as known:
            if name in known:
                raise UsageError(f"there is an alert named {name!r} already — `newssearch alert remove {name}` first")
            known[name] = alert
        return alert

    alert = _run(add)
    _say(f"newssearch: added alert {name!r} ({_alert_query(alert)}) — `newssearch alert run {name}` shows its matches")


@alert_app.command("list", cls=_Command)
def alert_list(json_out: JsonOpt = False, index_dir: IndexOpt = "index") -> None:
    """The alerts of this index: name, query, options, last run."""
    from newssearch import alerts

    def read() -> list[alerts.Alert]:
        with alerts.alerts_of(index_dir) as known:
            return [known[name] for name in sorted(known)]

    found = _run(read)
    if json_out:
        from newssearch.render import as_json

        _write(lambda: as_json.write(as_json.alert_list(alerts.index_key(index_dir), found)))
        return
    if not found:
        _say(f"newssearch: no alerts for {index_dir} — `newssearch alert add NAME QUERY` adds one")
        return
    _write(lambda: _print("".join(f"{a.name}\t{_alert_query(a)}\t{_last_run(a)}\n" for a in found)))


@alert_app.command("remove", cls=_Command)
def alert_remove(
    name: Annotated[str, typer.Argument(metavar="NAME", help="The alert to remove.")], index_dir: IndexOpt = "index"
) -> None:
    """Remove an alert (and what it remembers having shown)."""
    from newssearch import alerts

    def remove() -> None:
        with alerts.alerts_of(index_dir) as known:
            if name not in known:
                raise UsageError(
                    f"no alert named {name!r} for this index (its alerts: {', '.join(sorted(known)) or 'none'})"
                )
            del known[name]

    _run(remove)
    _say(f"newssearch: removed alert {name!r}")


@alert_app.command("run", cls=_Command)
def alert_run(
    names: Annotated[
        list[str] | None, typer.Argument(metavar="[NAME]...", help="The alerts to run (default: all).")
    ] = None,
    json_out: JsonOpt = False,
    color: ColorOpt = Color.auto,
    index_dir: IndexOpt = "index",
) -> None:
    """Show each alert's matches that it has not shown before (new or changed articles), then
    remember them; exit 0 when something was new, 1 when nothing was."""
    from newssearch import alerts

    with alerts.one_run_at_a_time():
        ran = _run(lambda: alerts.find(index_dir, names or []))
        if not ran:
            _say(f"newssearch: no alerts for {index_dir} — `newssearch alert add NAME QUERY` adds one")
            raise typer.Exit(1)
        # Printed first, remembered after: output that could not be written shows them again next time.
        if json_out:
            from newssearch.render import as_json

            _write(lambda: as_json.write(as_json.alert_runs(ran)))
        else:
            from newssearch.render import human

            _write(lambda: human.alert_runs(human.console(color.value), ran))
        _run(lambda: alerts.remember(index_dir, ran))
    for r in ran:
        if r.error is not None:
            _say(
                f"newssearch: alert {r.alert.name!r} cannot run: {r.error} — "
                f"`newssearch alert remove {r.alert.name}` and add it again as it should read"
            )
    if any(r.error for r in ran):
        raise typer.Exit(2)
    raise typer.Exit(0 if any(r.result and r.result.total for r in ran) else 1)


def _alert_query(alert: Alert) -> str:
    """The alert as a query line: ``rafah crossing --since 2025 --sort date``."""
    options = " ".join(f"--{k}" if v is True else f"--{k} {v}" for k, v in alert.options().items())
    return f"{alert.query} {options}".strip()


def _last_run(alert: Alert) -> str:
    if alert.last_run is None:
        return "never run"
    return f"last run {alert.last_run}, {len(alert.seen):,} shown"


def _say(line: str) -> None:
    """A line on stderr, now (a server's log is read as it runs)."""
    sys.stderr.write(safe(line) + "\n")
    sys.stderr.flush()


def _run(call: Callable[[], T], index_cmd: bool = False) -> T:
    """Call the core; a NewsSearchError becomes its message on stderr and its exit code."""
    try:
        return call()
    except NewsSearchError as exc:
        _fail(exc)
    except KeyboardInterrupt:
        what = "the index was left as it was" if index_cmd else "stopped"
        typer.echo(f"newssearch: interrupted — {what}", err=True)
        raise typer.Exit(130) from None
    except Exception as exc:
        if os.environ.get("NEWSSEARCH_DEBUG"):
            raise
        typer.echo(
            safe(
                f"newssearch: internal error: {exc.__class__.__name__}: {exc} — "
                f"run again with NEWSSEARCH_DEBUG=1 for the traceback and report it"
            ),
            err=True,
        )
        raise typer.Exit(3 if index_cmd else 2) from None


def _fail(exc: NewsSearchError) -> NoReturn:
    typer.echo(safe(f"newssearch: {exc.message}"), err=True)
    raise typer.Exit(exc.exit_code)


def _output(json_out: bool, as_json: Callable[[], object], as_text: Callable[[Console], None]) -> None:
    """A command's result on stdout: one JSON object, or text for a reader."""
    from newssearch.render import as_json as json_render
    from newssearch.render import human

    if json_out:
        _write(lambda: json_render.write(as_json()))
    else:
        _write(lambda: as_text(human.console()))


def _write(emit: Callable[[], None], done: str | None = None) -> None:
    """Write to stdout; a reader that went away (``| head``) ends the program quietly. Output
    that cannot be written (a full disk, a closed stdout) is said on stderr, exit 2; ``done``
    says what the command had already done by then (``index``: its commit stands)."""
    try:
        emit()
        sys.stdout.flush()
    except BrokenPipeError:
        _stdout_to_devnull()
        raise typer.Exit(0) from None
    except OSError as exc:
        _unwritable(exc, done)


def _unwritable(exc: OSError, done: str | None = None) -> NoReturn:
    """Stdout cannot take the output (a full disk, a closed stdout): a sentence, exit 2."""
    _stdout_to_devnull()  # what is still buffered would fail again at exit
    before = f"{done}, but " if done else ""
    reason = exc.strerror or str(exc)
    sys.stderr.write(safe(f"newssearch: {before}its output could not be written: {reason} — check where stdout goes\n"))
    raise SystemExit(2)


def _stdout_to_devnull() -> None:
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):
        pass


class _ClosedStdout(io.TextIOBase):
    """Stands in for a stdout that was closed before the program started (``>&-``): writing to
    it fails as writing to a closed file does, and ``_write`` says so."""

    def write(self, text: str) -> int:
        raise OSError(errno.EBADF, "stdout is closed")

    def fileno(self) -> int:
        raise OSError(errno.EBADF, "stdout is closed")

    def isatty(self) -> bool:
        return False


def _print(text: str) -> None:
    sys.stdout.write(text)


def main() -> None:
    if sys.stdout is None:  # started with stdout closed
        sys.stdout = _ClosedStdout()
    replace_unwritable()
    try:
        os.getcwd()
    except OSError:  # paths are shown relative to it: say so rather than fail inside a command
        sys.stderr.write("newssearch: the current folder no longer exists — cd to one that does and run it again\n")
        raise SystemExit(2) from None
    try:
        _run_app()
    except OSError as exc:  # Click writing help or a usage error where nothing can be written
        _unwritable(exc)


@functools.cache
def command() -> click.Command:
    """The Click command Typer makes of ``app``: made once a process (a resident searcher makes
    it before it forks; Typer would make it again on every call, ~10 ms)."""
    return typer.main.get_command(app)


def _run_app() -> None:
    if signal.getsignal(signal.SIGINT) is newssearch._interrupted_while_starting:
        signal.signal(signal.SIGINT, signal.default_int_handler)  # Ctrl-C is KeyboardInterrupt again
    try:
        command()()
    except KeyboardInterrupt:  # before a command's own handling: while starting up
        typer.echo("newssearch: interrupted", err=True)
        raise SystemExit(130) from None
