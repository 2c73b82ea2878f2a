"""Query text, engine-free: normalising, strict syntax checks, limits, notes and date bounds.

Search engines' query parsers never fail: Whoosh's silently turns ``title:(storm`` into a term
and ``rafah AND`` into ``rafah``. ``check_syntax`` reads the text first and refuses what a
parser would repair, with the column and a way out. Typographic quotes are straightened first,
so a phrase pasted from an article (``“Rafah crossing”``) is a phrase. An engine then reads the
checked text (README, "Query syntax") into its own query.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from newssearch.errors import QueryLimitError, QuerySyntaxError, UsageError

if TYPE_CHECKING:
    from newssearch.querytree import Query

# Limits that keep one query from taking minutes (README, "Query syntax"). Words: a pasted
# paragraph is well under 200; at 1,500 Whoosh's query tree overflowed Python's stack, and each
# word costs about 7 ms of parsing. Prefix and fuzzy words: each walks the word list of every
# segment (a word~2 about 0.1-0.5 s). Words looked up for "did you mean": each unknown word costs
# a walk of the word list too, and a query with more misspellings than this is not a typo.
MAX_WORDS = 200
MAX_PATTERNS = 8
MAX_SUGGESTED = 8
# The most parentheses a query may have open at once (Whoosh's parser recurses on each).
MAX_NESTING = 50

_QUOTES = str.maketrans(
    {
        "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u201f": '"', "\u2033": '"', "\u00ab": '"', "\u00bb": '"',
        "\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201b": "'", "\u2032": "'",
        "\u00a0": " ", "\u3000": " ",
    }
)  # fmt: skip
_TOKEN = re.compile(r'"[^"]*"?|\(|\)|\[[^\]]*\]?|\{[^}]*\}?|[^\s()"\[{]+')
_FIELD = re.compile(r"^([A-Za-z_]\w*):(.*)$", re.S)
# word~N…: a fuzzy word; word~N, word~N/P (P letters must match first), either with a ^boost.
_FUZZY = re.compile(r"(?<=\w)~(\d\S*)$")
_FUZZY_FORM = re.compile(r"(\d+)(?:/\d+)?(?:\^[\d.]+)?")
ONLY_EXCLUDES = "the query only leaves articles out — add a word to find, e.g. rafah -egypt"


@dataclass(frozen=True)
class ParsedQuery:
    """A query's text, checked, with how it is to be read: ``any_words`` (``--any``: any word,
    ranked), ``passages`` (ranking sections and captions), ``field`` (``--in``: every word in
    that part of an article). ``notes``: how the text was read where that may not be what was
    meant (a lower-case ``or``). ``variants``: the other spellings of names to search for each
    word as written (``names.respell``)."""

    text: str  # as the user typed it, quotes straightened
    any_words: bool = False
    passages: bool = False
    field: str | None = None
    notes: tuple[str, ...] = ()
    variants: tuple[tuple[str, tuple[str, ...]], ...] = ()
    _trees: dict[bool, Query | None] = dataclasses.field(default_factory=dict, compare=False, repr=False)

    def tree(self, *, any_words: bool | None = None) -> Query | None:
        """The query tree engines translate (``querytree``); ``any_words`` True: the relaxed
        reading, any of the words. Read once per reading: the checks and the engine share it. A
        "?" is a question mark, not a one-letter wildcard: "What reopens Rafah?" must not look
        for six-letter words starting "rafah"."""
        from newssearch.querytree import parse_tree  # it reads the field names from here

        reading = self.any_words if any_words is None else any_words
        if reading not in self._trees:
            tree = parse_tree(self.text.replace("?", " "), any_words=reading)
            if self.variants:
                from newssearch.names import spelled

                tree = spelled(tree, dict(self.variants))
            self._trees[reading] = tree
        return self._trees[reading]

    def respelled(self, variants: dict[str, tuple[str, ...]]) -> ParsedQuery:
        """This query with names searched in the other spellings ``variants`` gives."""
        if not variants:
            return self
        return dataclasses.replace(self, variants=tuple(variants.items()), _trees={})


def normalise(text: str) -> str:
    return text.translate(_QUOTES).strip()


# The parts of an article a query names (``title:rafah``), and the fields every article may have.
PARTS = ("title", "section", "caption", "body")
SHARED_FIELDS = ("source", "date", "tags")
# The field names a query may use, in the order the error message lists them.
QUERY_FIELDS = (*PARTS, *SHARED_FIELDS)
# Words that are operators when written in capitals.
BINARY_OPERATORS = frozenset({"AND", "OR", "ANDNOT", "ANDMAYBE"})
# A word of the query text.
WORD = re.compile(r"[^\W_]+(?:'[^\W_]+)*")


def writes_exclusion(text: str) -> bool:
    """Whether the text excludes something (``-egypt``, ``NOT egypt``): when nothing else of it
    can be found, the query only leaves articles out."""
    return re.search(r"(?<![^\s(])-|\bNOT\b", text) is not None


def parse_query(text: str, *, passages: bool = False, any_words: bool = False, field: str | None = None) -> ParsedQuery:
    """Check the user's query; raises ``QuerySyntaxError`` for anything a parser would repair or
    that can only leave articles out, and ``QueryLimitError`` past the limits."""
    from newssearch.querytree import And, Or, finds_something  # it reads the field names from here

    text = normalise(text)
    if not text:
        raise QuerySyntaxError("the query is empty — give a word or a phrase to search for")
    check_syntax(text)
    check_size(text)
    notes = () if any_words else _operator_notes(text)
    parsed = ParsedQuery(text=text, any_words=any_words, passages=passages, field=field, notes=notes)
    tree = parsed.tree()
    if not finds_something(tree):
        if isinstance(tree, (And, Or)) and not tree.children:
            raise QuerySyntaxError("the query has nothing to search for — give a word or a phrase")
        raise QuerySyntaxError(ONLY_EXCLUDES)
    return parsed


# Lower-case words that look like operators, and what the capital form would have done.
_LOWER_OPERATORS = {
    "or": "for either word write OR in capitals: {before} OR {after}",
    "not": "to leave out articles with a word write NOT in capitals: {before} NOT {after}",
}


def _operator_notes(text: str) -> tuple[str, ...]:
    """A note for each lower-case ``or``/``not`` between two words: operators are written in
    capitals (README, "Query syntax"), and these are common words that are not indexed, so
    ``rafah or egypt`` finds articles with both words."""
    tokens = [m.group() for m in _TOKEN.finditer(text)]
    notes = []
    for n in range(1, len(tokens) - 1):
        word = tokens[n]
        hint = _LOWER_OPERATORS.get(word.lower())
        if hint is None or word.isupper():
            continue
        before = "(…)" if tokens[n - 1] == ")" else "…" if tokens[n - 1] == "(" else tokens[n - 1]
        after = "(…)" if tokens[n + 1] == "(" else "…" if tokens[n + 1] == ")" else tokens[n + 1]
        said = hint.format(before=before, after=after)
        notes.append(f"'{word}' is searched as a word, and it is too common to be indexed; {said}")
    return tuple(dict.fromkeys(notes))


def check_syntax(text: str) -> None:
    """Refuse what Whoosh's parser would silently drop or repair."""
    tokens = [(m.group(), m.start() + 1) for m in _TOKEN.finditer(text)]
    depth: list[int] = []
    for n, (tok, col) in enumerate(tokens):
        prev = tokens[n - 1][0] if n else None
        nxt = tokens[n + 1][0] if n + 1 < len(tokens) else None
        if tok.startswith('"') and (len(tok) == 1 or not tok.endswith('"')):
            raise QuerySyntaxError(f'unclosed quote at column {col} — add the closing " or remove the opening one')
        if (tok.startswith("[") and not tok.endswith("]")) or (tok.startswith("{") and not tok.endswith("}")):
            raise QuerySyntaxError(f"unclosed range at column {col} — write ranges as date:[2025-01-01 TO 2025-12-31]")
        if tok == "(":
            depth.append(col)
            if len(depth) > MAX_NESTING:
                raise QuerySyntaxError(
                    f"more than {MAX_NESTING} parentheses open at column {col} — write the query with fewer"
                )
        elif tok == ")":
            if not depth:
                raise QuerySyntaxError(f"unmatched ')' at column {col} — remove it or add a '(' before it")
            depth.pop()
        elif tok in BINARY_OPERATORS:
            if (
                prev is None
                or prev in BINARY_OPERATORS
                or prev in ("(", "NOT")
                or nxt is None
                or nxt in BINARY_OPERATORS
                or nxt == ")"
            ):
                raise QuerySyntaxError(
                    f"'{tok}' at column {col} needs a word on each side — e.g. rafah {tok} gaza "
                    f"(write it in lower case to search for the word itself)"
                )
        elif tok == "NOT":
            if nxt is None or nxt in BINARY_OPERATORS or nxt in (")", "NOT"):
                raise QuerySyntaxError(f"'NOT' at column {col} needs a word after it — e.g. rafah NOT egypt")
        else:
            fuzzy = _FUZZY.search(tok)
            form = _FUZZY_FORM.fullmatch(fuzzy.group(1)) if fuzzy else None
            if fuzzy and not tok.startswith('"') and (form is None or int(form.group(1)) > 2):
                raise QuerySyntaxError(
                    f"'{tok}' at column {col}: a word matches within 1 or 2 edits at most — "
                    f"write {tok[: fuzzy.start()]}~1 or {tok[: fuzzy.start()]}~2"
                )
            m = _FIELD.match(tok)
            if m and not m.group(1).isdigit():
                name, rest = m.group(1), m.group(2)
                # "https://…", "10:30" or "said: that" hold a colon, not a field someone meant.
                end = col - 1 + len(tok)
                follow = rest[:1] or text[end : end + 1]
                meant = follow != "" and (follow.isalnum() or follow in '"([{*')
                if name not in QUERY_FIELDS and meant:
                    raise QuerySyntaxError(
                        f"unknown field '{name}:' at column {col} — fields are "
                        + ", ".join(f + ":" for f in QUERY_FIELDS)
                    )
                if name in QUERY_FIELDS and not meant:
                    raise QuerySyntaxError(
                        f"'{name}:' at column {col} has nothing right after it — write it without a space, "
                        f"e.g. {name}:gaza"
                    )
    if depth:
        raise QuerySyntaxError(f"unclosed '(' at column {depth[-1]} — add a ')' or remove the '('")


_OPERATORS = BINARY_OPERATORS | {"NOT", "TO"}
_FIELD_NAME = re.compile(r"(?<![^\s(])[A-Za-z_]\w*:")
_RANGE = re.compile(r"[\[{][^\]}]*[\]}]")
# A wildcard anywhere in a word, or a fuzzy ~ after one (with or without its number of edits).
_PATTERN = re.compile(r"\*|(?<=\w)~")


def check_size(text: str) -> None:
    """Refuse a query past the limits above, before any of it is searched."""
    searched = _RANGE.sub(" ", _FIELD_NAME.sub(" ", text))  # field names and date ranges are no words
    words = sum(1 for w in WORD.findall(searched) if w not in _OPERATORS)
    if words > MAX_WORDS:
        raise QueryLimitError(
            f"the query has {words:,} words; at most {MAX_WORDS} are searched — keep the words that matter "
            f"(for a pasted text, a sentence or two with --any is enough)"
        )
    patterns = [tok for tok in _TOKEN.findall(text) if not tok.startswith('"') and _PATTERN.search(tok)]
    if len(patterns) > MAX_PATTERNS:
        raise QueryLimitError(
            f"the query has {len(patterns)} prefix* or fuzzy~ words; at most {MAX_PATTERNS} are searched "
            f"(each looks through every word of the index) — write the others out in full"
        )


def date_bound(value: str | None, option: str, end: bool = False) -> datetime | None:
    """A --since/--until date: YYYY, YYYY-MM or YYYY-MM-DD; ``end`` makes it the last second of
    that year, month or day, so ``--until 2025-02`` includes 28 February."""
    if value is None:
        return None
    parts = value.strip().split("-")
    try:
        numbers = [int(p) for p in parts]
        if not 1 <= len(numbers) <= 3 or len(parts[0]) != 4:
            raise ValueError
        year, month, day = (numbers + [1, 1])[:3]
        start = datetime(year, month, day)
    except ValueError:
        raise UsageError(f"{option} {value!r} is not a date — write it as YYYY, YYYY-MM or YYYY-MM-DD") from None
    if not end:
        return start
    if len(numbers) == 1:
        following = datetime(year + 1, 1, 1)
    elif len(numbers) == 2:
        following = datetime(year + (month == 12), month % 12 + 1, 1)
    else:
        following = start + timedelta(days=1)
    return following - timedelta(seconds=1)
