"""Query text → Whoosh query: strict syntax errors, relaxation, prefix/fuzzy expansion, suggestions.

Whoosh's parser never fails: it silently turns ``title:(storm`` into a term and ``rafah AND``
into ``rafah``. ``check_syntax`` reads the text first and refuses what the parser would repair,
with the column and a way out. Typographic quotes are straightened first, so a phrase pasted
from an article (``“Rafah crossing”``) is a phrase.

Fields are stemmed, so ``prefix*`` and ``fuzzy~`` are matched against the unstemmed word list
(``words``) and replaced by the stems of the words they match: ``crossin*`` finds "crossing".
"""

from __future__ import annotations

import copy
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta

from whoosh import qparser
from whoosh import query as wq
from whoosh.query.spans import SpanNear2
from whoosh.reading import IndexReader
from whoosh.searching import Searcher

from newssearch import ranking
from newssearch.errors import QueryLimitError, QuerySyntaxError, UsageError
from newssearch.highlight import Terms
from newssearch.schema import (
    ARTICLE_FIELDS,
    PASSAGE_FIELDS,
    SHARED_FIELDS,
    SPELLING_FIELD,
    STEMMED,
    UNSTEMMED,
    build_schema,
)

# The most index words a single prefix*/fuzzy~ may expand to.
MAX_EXPANSION = 1024
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
_BINARY = {"AND", "OR", "ANDNOT", "ANDMAYBE"}
_TOKEN = re.compile(r'"[^"]*"?|\(|\)|\[[^\]]*\]?|\{[^}]*\}?|[^\s()"\[{]+')
_FIELD = re.compile(r"^([A-Za-z_]\w*):(.*)$", re.S)
_WORD = re.compile(r"[^\W_]+(?:'[^\W_]+)*")
# word~N…: a fuzzy word; word~N, word~N/P (P letters must match first), either with a ^boost.
_FUZZY = re.compile(r"(?<=\w)~(\d\S*)$")
_FUZZY_FORM = re.compile(r"(\d+)(?:/\d+)?(?:\^[\d.]+)?")
_ONLY_EXCLUDES = "the query only leaves articles out — add a word to find, e.g. rafah -egypt"


@dataclass(frozen=True)
class ParsedQuery:
    """``strict`` is ``NullQuery`` when nothing in the text can be found (only stop words); then
    ``notes`` says why. ``notes``: how the text was read where that may not be what was meant
    (a lower-case ``or``)."""

    text: str  # as the user typed it, quotes straightened
    strict: wq.Query  # all words required (or --any's ranked OR)
    relaxed: wq.Query | None  # any word, when that is a different query
    notes: tuple[str, ...] = ()

    @property
    def findable(self) -> bool:
        return self.strict is not wq.NullQuery


def normalise(text: str) -> str:
    return text.translate(_QUOTES).strip()


# The field names a query may use, in the order the error message lists them.
QUERY_FIELDS = (*ARTICLE_FIELDS, *SHARED_FIELDS)


def parse_query(text: str, *, passages: bool = False, any_words: bool = False, field: str | None = None) -> ParsedQuery:
    """Parse the user's query; raises ``QuerySyntaxError`` for anything the parser would repair."""
    text = normalise(text)
    if not text:
        raise QuerySyntaxError("the query is empty — give a word or a phrase to search for")
    check_syntax(text)
    check_size(text)
    weights = ranking.weights(passages=passages, question=any_words)
    try:
        strict = _parse(text, weights, group="any" if any_words else "all", field=field, passages=passages)
    except _NothingFindable as nothing:
        return ParsedQuery(text=text, strict=wq.NullQuery, relaxed=None, notes=(str(nothing),))
    relaxed = None
    if not any_words:
        loose = _parse(text, weights, group="any", field=field, passages=passages)
        if loose != strict:
            relaxed = loose
    return ParsedQuery(text=text, strict=strict, relaxed=relaxed, notes=() if any_words else _operator_notes(text))


class _NothingFindable(Exception):
    """Every word of the query is one that is not indexed: it can only match nothing."""


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
        elif tok in _BINARY:
            if prev is None or prev in _BINARY or prev in ("(", "NOT") or nxt is None or nxt in _BINARY or nxt == ")":
                raise QuerySyntaxError(
                    f"'{tok}' at column {col} needs a word on each side — e.g. rafah {tok} gaza "
                    f"(write it in lower case to search for the word itself)"
                )
        elif tok == "NOT":
            if nxt is None or nxt in _BINARY or nxt in (")", "NOT"):
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


_OPERATORS = _BINARY | {"NOT", "TO"}
_FIELD_NAME = re.compile(r"(?<![^\s(])[A-Za-z_]\w*:")
_RANGE = re.compile(r"[\[{][^\]}]*[\]}]")
# A wildcard anywhere in a word, or a fuzzy ~ after one (with or without its number of edits).
_PATTERN = re.compile(r"\*|(?<=\w)~")


def check_size(text: str) -> None:
    """Refuse a query past the limits above, before any of it is searched."""
    searched = _RANGE.sub(" ", _FIELD_NAME.sub(" ", text))  # field names and date ranges are no words
    words = sum(1 for w in _WORD.findall(searched) if w not in _OPERATORS)
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


class _Parser(qparser.QueryParser):  # type: ignore[misc]
    """Whoosh's parser with prefix, wildcard and fuzzy terms kept unstemmed, to be expanded
    over the unstemmed word list by ``expand``."""

    def term_query(self, fieldname, text, termclass, boost=1.0, tokenize=True, removestops=True):  # type: ignore[no-untyped-def]
        if termclass is not wq.Term and fieldname in _TEXT_FIELDS:
            words = [t.text for t in UNSTEMMED(text, mode="query", tokenize=False)]
            return termclass(fieldname, words[0] if words else text.lower(), boost=boost)
        return super().term_query(fieldname, text, termclass, boost, tokenize, removestops)


_TEXT_FIELDS = frozenset({*ARTICLE_FIELDS.values(), *PASSAGE_FIELDS.values()})
_SCHEMA = build_schema()


def _parse(text: str, weights: dict[str, float], *, group: str, field: str | None, passages: bool) -> wq.Query:
    names = PASSAGE_FIELDS if passages else ARTICLE_FIELDS
    defaults = [names[field]] if field is not None else list(weights)
    og = qparser.OrGroup if group == "any" else qparser.AndGroup
    parser = _Parser(None, _SCHEMA, group=og)
    parser.add_plugin(qparser.MultifieldPlugin(defaults, fieldboosts=weights))
    parser.remove_plugin_class(qparser.SingleQuotePlugin)
    parser.add_plugin(qparser.FuzzyTermPlugin())
    # "-word" excludes, but only at the start of a word: "al-Batsh" and "US-brokered" are words.
    parser.add_plugin(qparser.PlusMinusPlugin(plusexpr=r"(?<![^\s(])\+", minusexpr=r"(?<![^\s(])-"))
    # Users name the logical fields; in passage mode they map to the p_* fields.
    parser.add_plugin(qparser.FieldAliasPlugin({real: [name] for name, real in names.items() if real != name}))
    try:
        # "?" is a question mark, not Whoosh's one-letter wildcard: "What reopens Rafah?" must
        # not look for six-letter words starting "rafah". Only "*" is a wildcard here.
        q = parser.parse(text.replace("?", " "))
    except Exception as exc:  # Whoosh raises bare ValueErrors for, e.g., unreadable dates
        if "date:" in text:
            raise QuerySyntaxError(
                "could not read a date in the query — write dates as YYYY, YYYY-MM or YYYY-MM-DD, "
                "e.g. date:[2025-01-01 TO 2025-06-30]"
            ) from exc
        raise QuerySyntaxError("could not read the query — see `newssearch query --help` for the syntax") from exc
    for leaf in _leaves(q):
        error = getattr(leaf, "error", None)
        if error:
            raise QuerySyntaxError(f"could not read part of the query: {error}")
    if isinstance(q, type(wq.NullQuery)):
        words = [w for w in _WORD.findall(text) if w not in _BINARY | {"NOT"}]
        if re.search(r"(?<![^\s(])-|\bNOT\b", text):  # "-egypt" alone parses to nothing
            raise QuerySyntaxError(_ONLY_EXCLUDES)
        if words:
            raise _NothingFindable(
                f"every word of {text!r} is too common (or too short) to be indexed, so nothing can match it — "
                f"add a more specific word"
            )
        raise QuerySyntaxError("the query has nothing to search for — give a word or a phrase")
    q = _exclusions_apart(q.accept(_unordered_proximity))
    if not _finds_something(q):  # "NOT egypt" alone parses to a Not
        raise QuerySyntaxError(_ONLY_EXCLUDES)
    return q


def _exclusions_apart(q: wq.Query) -> wq.Query:
    """In an OR of words (``--any``, or a relaxed query), ``NOT egypt`` would match every article
    without "egypt": keep it an exclusion, ``(a OR b) ANDNOT egypt``."""
    if not q.is_leaf():
        q = q.apply(_exclusions_apart)
    if isinstance(q, wq.Or):
        excluded = [c.query for c in q.children() if isinstance(c, wq.Not)]
        kept = [c for c in q.children() if not isinstance(c, wq.Not)]
        if excluded and kept:
            found = kept[0] if len(kept) == 1 else wq.Or(kept, boost=q.boost)
            return wq.AndNot(found, excluded[0] if len(excluded) == 1 else wq.Or(excluded))
    return q


def _finds_something(q: wq.Query) -> bool:
    """Whether the query has a part that finds articles, not only parts that leave them out."""
    if isinstance(q, wq.Not):
        return False
    if isinstance(q, wq.AndNot):
        return _finds_something(q.a)
    if isinstance(q, wq.Or):
        return all(_finds_something(c) for c in q.children())
    if q.is_leaf():
        return True
    return any(_finds_something(c) for c in q.children())


_OWN_FIELDS = {False: frozenset({*ARTICLE_FIELDS.values(), SPELLING_FIELD}), True: frozenset(PASSAGE_FIELDS.values())}


def one_kind(q: wq.Query, *, passages: bool = False) -> bool:
    """Whether ``q`` can only match articles (with ``passages``: passages): whether every
    document it matches has a word in a field that only that kind of document has. A shared
    field (``source:``, ``date:``, ``tags:``) or a bare ``NOT`` (which matches whatever lacks a
    word) can match other kinds."""
    return _needs_field(q, _OWN_FIELDS[passages])


def _needs_field(q: wq.Query, fields: frozenset[str]) -> bool:
    if q is wq.NullQuery:
        return True  # matches nothing
    if isinstance(q, (wq.AndNot, wq.AndMaybe, wq.Require)):
        return _needs_field(q.a, fields)  # its matches are some of the first part's
    if isinstance(q, wq.And):
        return any(_needs_field(c, fields) for c in q.children())
    if isinstance(q, wq.Or):
        return all(_needs_field(c, fields) for c in q.children())
    if isinstance(q, (wq.Term, wq.Phrase, wq.Every)):  # Every(None) matches every document
        return q.fieldname in fields
    return False  # a kind of query not looked into here: the filter stays


def _unordered_proximity(q: wq.Query) -> wq.Query:
    """``"a b"~5`` matches the words within 5 positions in either order (Whoosh's own sloppy
    phrase keeps the order: "crossing rafah"~4 would miss "Rafah crossing")."""
    if isinstance(q, wq.Phrase) and q.slop > 1 and len(q.words) > 1:
        near = SpanNear2([wq.Term(q.fieldname, w) for w in q.words], slop=q.slop, ordered=False, mindist=0)
        return near if q.boost == 1 else wq.Or([near], boost=q.boost)
    return q


def _leaves(q: wq.Query) -> Iterator[wq.Query]:
    if q.is_leaf():
        yield q
    else:
        for child in q.children():
            yield from _leaves(child)


def expand(q: wq.Query, reader: IndexReader, _stems: dict[tuple[object, ...], list[str]] | None = None) -> wq.Query:
    """Replace prefix, wildcard and fuzzy terms by the stems of the index words they match."""
    if isinstance(q, wq.Wildcard) and q.text == "*" and q.fieldname in _TEXT_FIELDS:
        return wq.Every(q.fieldname)  # title:* — any article with a title
    found = {} if _stems is None else _stems  # a word is searched in every field: expand it once
    if isinstance(q, (wq.Prefix, wq.Wildcard, wq.FuzzyTerm)) and q.fieldname in _TEXT_FIELDS:
        key = (type(q), q.text, getattr(q, "maxdist", None), getattr(q, "prefixlength", None))
        if key not in found:
            stems: dict[str, None] = {}
            for word in _expansions(q, reader):
                for token in STEMMED(word, mode="query", removestops=False):
                    stems[token.text] = None
            found[key] = sorted(stems)
        terms = [wq.Term(q.fieldname, s, boost=q.boost) for s in found[key]]
        if not terms:
            return wq.NullQuery
        return terms[0] if len(terms) == 1 else wq.Or(terms)
    if q.is_leaf():
        return q
    return q.apply(lambda child: expand(child, reader, found))


def _expansions(q: wq.Query, reader: IndexReader) -> list[str]:
    """The unstemmed index words a prefix, wildcard or fuzzy term matches (at most MAX_EXPANSION)."""
    if isinstance(q, wq.FuzzyTerm):
        # Whoosh's automaton counts a swapped pair of letters as two edits, so "rafha~" would
        # miss "rafah": the swaps are looked up apart. At one edit, each swap is looked up as a
        # word; at two, each swap is the centre of a one-edit search (a swap and another edit
        # touch different letters, so doing the swap first finds them all), and two swaps are
        # looked up as words. An automaton of one more edit finds the same words at far greater
        # cost: 0.8 s for one word~2 among 2,225 BBC articles, against 0.1 s this way.
        prefix = min(q.prefixlength, len(q.text))
        leaves = [leaf for leaf, _ in reader.leaf_readers()]
        # Segment by segment: a segment's reader walks its word list with an automaton, while
        # Whoosh's reader of several segments computes the distance to every word in Python
        # (2.6 s instead of 0.3 s for "countries~1" over 10,000 articles in 11 segments).
        near = _within(leaves, q.text, q.maxdist, prefix)
        swapped = _swaps(q.text, prefix)
        if q.maxdist == 1:
            near.update(w for w in swapped if _in_index(leaves, w))
        else:
            for variant in swapped:
                near.update(_within(leaves, variant, 1, prefix))
            near.update(w for v in swapped for w in _swaps(v, prefix) if _in_index(leaves, w))
        words = sorted(w for w in near if _edit_distance(q.text, w) <= q.maxdist)
        return words[:MAX_EXPANSION]
    probe = copy.copy(q)
    probe.fieldname = SPELLING_FIELD
    words = []
    for btext in probe._btexts(reader):
        words.append(btext.decode("utf-8") if isinstance(btext, bytes) else btext)
        if len(words) >= MAX_EXPANSION:
            break
    return words


def _within(leaves: list[IndexReader], word: str, edits: int, prefix: int) -> set[str]:
    return {w for leaf in leaves for w in leaf.terms_within(SPELLING_FIELD, word, edits, prefix=prefix)}


def _in_index(leaves: list[IndexReader], word: str) -> bool:
    return any((SPELLING_FIELD, word) in leaf for leaf in leaves)


def _swaps(word: str, keep: int) -> set[str]:
    """The word with two adjacent letters swapped, the first ``keep`` letters left as they are."""
    return {word[:i] + word[i + 1] + word[i] + word[i + 2 :] for i in range(keep, len(word) - 1)} - {word}


def _edit_distance(a: str, b: str) -> int:
    """Levenshtein distance with adjacent transpositions counted as one edit (OSA)."""
    prev2: list[int] = []
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i] + [0] * len(b)
        for j, cb in enumerate(b, 1):
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb))
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                cur[j] = min(cur[j], prev2[j - 2] + 1)
        prev2, prev = prev, cur
    return prev[-1]


def highlight_terms(q: wq.Query) -> Terms:
    """What to highlight, by field: term texts, and exact phrases as tuples of term texts
    (a sloppy ``"a b"~5`` highlights its words one by one). Terms under NOT are left out."""
    terms: Terms = {}

    def walk(node: wq.Query) -> None:
        if isinstance(node, wq.Not):
            return
        if isinstance(node, wq.AndNot):
            walk(node.a)
            return
        if isinstance(node, wq.Term):
            terms.setdefault(node.fieldname, set()).add(node.text)
        elif isinstance(node, wq.Phrase):
            if node.slop <= 1:
                terms.setdefault(node.fieldname, set()).add(tuple(node.words))
            else:
                terms.setdefault(node.fieldname, set()).update(node.words)
        elif not node.is_leaf():
            for child in node.children():
                walk(child)

    walk(q)
    return terms


def suggest(text: str, searcher: Searcher) -> str | None:
    """The query with every word that is not in the index replaced by the closest one that is,
    or None when every word is there (or nothing close is, or more than MAX_SUGGESTED are not)."""
    reader = searcher.reader()
    out: list[str] = []
    pos = 0
    changed = False
    looked_up = 0
    for m in _WORD.finditer(text):
        word = m.group()
        tail = text[m.end() : m.end() + 1]
        if word in _BINARY | {"NOT"} or tail in (":", "*", "~") or any(c.isdigit() for c in word):
            continue
        folded = [t.text for t in UNSTEMMED(word)]
        if len(folded) != 1 or len(folded[0]) < 3:
            continue
        token = folded[0]
        if reader.doc_frequency(SPELLING_FIELD, token):
            continue
        looked_up += 1
        if looked_up > MAX_SUGGESTED:  # not a typo or two: suggest nothing rather than guess at length
            return None
        fix = _closest(reader, token)
        if fix is None:
            continue
        out.append(text[pos : m.start()])
        out.append(fix.capitalize() if word[:1].isupper() else fix)
        pos = m.end()
        changed = True
    if not changed:
        return None
    out.append(text[pos:])
    return "".join(out)


def _closest(reader: IndexReader, word: str) -> str | None:
    for dist in (1, 2) if len(word) > 4 else (1,):
        # Segment by segment, as in _expansions: the reader of several segments measures every word.
        found = sorted(_within([leaf for leaf, _ in reader.leaf_readers()], word, dist, 1) - {word})
        if found:
            best: str = max(found, key=lambda w: (reader.doc_frequency(SPELLING_FIELD, w), -abs(len(w) - len(word)), w))
            return best
    return None


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
