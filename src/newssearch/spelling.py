""" "Did you mean", engine-free: which words of a query to look up, and how a suggestion is
written (README, "Query syntax"). An engine says whether a word is in its index and which
indexed word is closest to one that is not."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

from newssearch.querytext import BINARY_OPERATORS, MAX_SUGGESTED, WORD


def candidates(text: str, fold: Callable[[str], list[str]]) -> Iterator[tuple[re.Match[str], str]]:
    """The words of a query that "did you mean" looks up, each with its folded form: not
    operators, field names, patterns or numbers, one token of three letters or more after
    ``fold`` (case and accents folded as the index's unstemmed words are)."""
    for m in WORD.finditer(text):
        word = m.group()
        tail = text[m.end() : m.end() + 1]
        if word in BINARY_OPERATORS | {"NOT"} or tail in (":", "*", "~") or any(c.isdigit() for c in word):
            continue
        folded = fold(word)
        if len(folded) == 1 and len(folded[0]) >= 3:
            yield m, folded[0]


def suggest(
    text: str,
    fold: Callable[[str], list[str]],
    known: Callable[[str], bool],
    closest: Callable[[str], str | None],
) -> str | None:
    """The query with every word that is not in the index replaced by the closest one that is,
    or None when every word is there (or nothing close is, or more than MAX_SUGGESTED are not).

    ``fold``: see ``candidates``; ``known``: whether the index has a folded word; ``closest``:
    the indexed word nearest to one it lacks (within 1 edit, or 2 for a word longer than 4
    letters), or None."""
    out: list[str] = []
    pos = 0
    looked_up = 0
    for m, token in candidates(text, fold):
        if known(token):
            continue
        looked_up += 1
        if looked_up > MAX_SUGGESTED:  # not a typo or two: suggest nothing rather than guess at length
            return None
        fix = closest(token)
        if fix is None:
            continue
        out.append(text[pos : m.start()])
        out.append(fix.capitalize() if m.group()[:1].isupper() else fix)
        pos = m.end()
    if not out:
        return None
    out.append(text[pos:])
    return "".join(out)


def edit_distance(a: str, b: str) -> int:
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


def edits_allowed(word: str) -> tuple[int, ...]:
    """The edit distances a suggestion for ``word`` is looked for at, nearest first."""
    return (1, 2) if len(word) > 4 else (1,)
