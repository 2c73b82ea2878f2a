"""The best matches of a query without scoring every match (README, "Large result sets").

A query that matches more than ``models.EXACT_UP_TO`` documents has its page found by MaxScore
(Turtle and Flood, 1995) with block bounds: the query's score is a sum of its words' scores in each
field (BM25F, ``ranking``), each word's postings in a field (a "leaf") has a bound on its score,
for its whole list and for each block of 128 postings, and a document that cannot reach the
score of the page's last result so far (the threshold) is never scored:

- the leaves whose bounds together stay under the threshold are *non-essential*: a document
  that has none of the others cannot reach it, so only the others' postings are walked;
- where the current blocks of the walked leaves cannot reach it together, their postings are
  skipped to the end of the first of those blocks;
- a document that may reach it is checked and scored by the query's own matcher, exactly as an
  exhaustive search scores it, so a page found this way is the page of sorting every match: the
  same articles, the same scores, equal scores in order of key (``search._ties_by_key``).

Only a document whose bound is below the threshold (less a margin for rounding) is passed
over, so every document that ties with the page's last result is kept. Bounds come from
Whoosh's postings (a block's greatest word count and shortest text, lengths rounded up as the
scorer rounds them), which BM25 cannot exceed.

Where the index has two large segments, they are walked in two processes (``parallel``).

It applies to queries made of words and phrases (terms, the words a prefix, wildcard or fuzzy
word expands to, and a phrase, which Whoosh scores as the sum of its words' scores) under AND,
OR, ANDMAYBE, REQUIRE (the filters) and ANDNOT: every match of such a query has a word that
scores, and its score is the sum of its words' (``leaves``). A range or a date query is scored
every match, as before.
"""

from __future__ import annotations

import heapq
import itertools
from collections.abc import Callable
from typing import Any

from whoosh import query as wq
from whoosh.matching import wrappers
from whoosh.reading import TermNotFound
from whoosh.searching import Searcher

from newssearch.engines.whoosh import parallel

# A document is passed over when its bound is below the threshold by more than this (relative):
# the query's matcher adds the same scores in its own order, which can differ in the last bits.
_MARGIN = 1e-9


def exceeds(searcher: Searcher, q: wq.Query, limit: int, counts: tuple[int, int]) -> tuple[bool, list[int] | None]:
    """Whether ``q`` matches more than ``limit`` documents — told by how many documents have its
    words when that settles it (``counts``: its ``bounds``), else from its first ``limit`` + 1
    matches (``first_matches``) — and those matches when they were read."""
    lower, upper = counts
    if lower > limit:
        return True, None
    if upper <= limit:
        return False, None
    first = first_matches(searcher, q, limit + 1)
    return len(first) > limit, first


def first_matches(searcher: Searcher, q: wq.Query, n: int) -> list[int]:
    """The first ``n`` documents ``q`` matches, in index order, as its matcher gives them: from
    its words' postings read a block at a time (``_known_ids``), each list no further than it
    must, and a phrase's positions where all its words are, when ``q`` is words and phrases
    under AND, OR, ANDNOT, ANDMAYBE and REQUIRE; else by walking its matcher, ten times dearer."""
    found = _first_from_postings(searcher, q, n)
    if found is not None:
        return found
    found = []
    for sub, offset in searcher.leaf_searchers():
        walk = q.matcher(sub, sub.boolean_context()).all_ids()
        found.extend(offset + docnum for docnum in itertools.islice(walk, n - len(found)))
        if len(found) >= n:
            break
    return found


def _first_from_postings(searcher: Searcher, q: wq.Query, n: int) -> list[int] | None:
    found: list[int] = []
    for sub, offset in searcher.leaf_searchers():
        deleted = sub.reader().deleted_docs_set
        reading = n - len(found)
        while True:
            known = _known_ids(q, sub, reading + len(deleted))
            if known is None:
                return None
            ids = sorted(known[0] - deleted)
            if len(ids) >= n - len(found) or known[1] is None:  # enough, or the whole segment
                break
            reading *= 4  # the words' first postings had too few documents in common: read further
        found.extend(offset + docnum for docnum in ids[: n - len(found)])
        if len(found) >= n:
            break
    return found


def _known_ids(q: wq.Query, sub: Searcher, n: int) -> tuple[set[int], int | None] | None:
    """The documents of one segment that ``q`` matches below ``end`` (None: all of them), from
    at most about ``n`` of each word's postings; deleted documents included. None for a query
    that is not words under AND, OR, ANDNOT, ANDMAYBE and REQUIRE."""
    if type(q) is wq.Term:
        postings = _postings(sub, q.fieldname, q.text)
        return _first_ids(postings, n) if postings is not None else (set(), None)
    if type(q) is wq.Phrase and q.slop == 1 and q.words:
        return _phrase_ids(q, sub, n)
    if type(q) in (wq.Or, wq.And) and not (isinstance(q, wq.Or) and (q.minmatch or q.scale)):
        parts = [_known_ids(sub_q, sub, n) for sub_q in q.subqueries]
        if any(part is None for part in parts):
            return None
        if not parts:
            return set(), None
        sets = [ids for ids, _ in parts]  # type: ignore[misc]
        combined = set().union(*sets) if isinstance(q, wq.Or) else set.intersection(*sets)
        return _below(combined, [end for _, end in parts])  # type: ignore[misc]
    if isinstance(q, (wq.AndNot, wq.Require, wq.AndMaybe)):
        a = _known_ids(q.a, sub, n)
        if a is None or isinstance(q, wq.AndMaybe):
            return a
        b = _known_ids(q.b, sub, n)
        if b is None:
            return None
        return _below(a[0] - b[0] if isinstance(q, wq.AndNot) else a[0] & b[0], [a[1], b[1]])
    return None


def _phrase_ids(q: wq.Phrase, sub: Searcher, n: int) -> tuple[set[int], int | None]:
    """At least ``n`` of the first documents where the phrase's words stand one after the other
    (the first word at some position p, the i-th at p + i: what Whoosh's ``SpanNear2`` with a
    slop of 1 finds), and where they end, as ``_known_ids`` gives them: the documents that hold
    every word are found by skipping each list to the furthest, and only those are read for
    their positions."""
    if q.fieldname not in sub.schema or not sub.schema[q.fieldname].format.supports("positions"):
        return set(), None
    lists = [_postings(sub, q.fieldname, word) for word in q.words]
    if any(m is None or not m.is_active() for m in lists):
        return set(), None
    ms: list[Any] = lists
    found: set[int] = set()
    while len(found) < n:
        docnum = max(m.id() for m in ms)
        for m in ms:
            if m.id() < docnum:
                m.skip_to(docnum)
            if not m.is_active():
                return found, None
        if all(m.id() == docnum for m in ms):
            first, *rest = [m.value_as("positions") for m in ms]
            later = [set(positions) for positions in rest]
            if any(all(p + i in at for i, at in enumerate(later, 1)) for p in first):
                found.add(docnum)
            ms[0].next()
            if not ms[0].is_active():
                return found, None
    return found, max(found) + 1 if found else 0


def _below(ids: set[int], ends: list[int | None]) -> tuple[set[int], int | None]:
    """``ids`` below the least of ``ends``: where every part is still known."""
    known = [end for end in ends if end is not None]
    if not known:
        return ids, None
    end = min(known)
    return {docnum for docnum in ids if docnum < end}, end


def _first_ids(postings: Any, n: int) -> tuple[set[int], int | None]:
    """At least ``n`` of a word's first documents and where they end: every document of the word
    below ``end`` is among them (None: they are all of them). Whoosh's ``all_ids`` steps through
    postings one call at a time; the pinned Whoosh's are read here a block at a time."""
    if not all(hasattr(postings, name) for name in ("_read_ids", "_next_block", "_i")):
        return set(postings.all_ids()), None
    ids: set[int] = set()
    last = -1
    while postings.is_active() and len(ids) < n:
        if postings._ids is None:
            postings._read_ids()
        block = postings._ids[postings._i :]
        ids.update(block)
        last = block[-1] if len(block) else last
        postings._i = postings._blocklength
        postings._next_block()
    return ids, (last + 1 if postings.is_active() else None)


def _postings(sub: Searcher, fieldname: str, text: str, weighting: Any = None) -> Any:
    """A word's postings in one segment, scored with ``weighting`` (else unscored), deleted
    documents included (the query's matcher, or the caller, leaves them out); None when the
    segment does not have the word."""
    if fieldname not in sub.schema:
        return None
    word = sub.schema[fieldname].to_bytes(text)
    if (fieldname, word) not in sub.reader():
        return None
    if weighting is None:
        postings = sub.reader().postings(fieldname, word)
    else:
        postings = sub.postings(fieldname, word, weighting=weighting)
    return postings.child if isinstance(postings, wrappers.FilterMatcher) else postings


def bounds(q: wq.Query, reader: Any) -> tuple[int, int]:
    """The fewest and the most documents ``q`` can match, from how many have each word
    (``doc_frequency``, which counts deleted documents too until their segment is merged)."""
    everything = reader.doc_count_all()
    deleted = everything - reader.doc_count()

    def having(fieldname: str, text: str) -> int:
        try:
            return int(reader.doc_frequency(fieldname, text))
        except (TermNotFound, ValueError):  # a field the index does not have; a word it cannot hold
            return 0

    def of(q: wq.Query) -> tuple[int, int]:
        if type(q) is wq.Term:
            has = having(q.fieldname, q.text)
            return max(0, has - deleted), has
        if type(q) is wq.Phrase:
            return 0, min((having(q.fieldname, word) for word in q.words), default=0)
        if type(q) in (wq.Or, wq.And) and q.subqueries:
            parts = [of(sub) for sub in q.subqueries]
            if isinstance(q, wq.Or) and not q.minmatch:
                return max(low for low, _ in parts), min(sum(high for _, high in parts), everything)
            return 0, min(high for _, high in parts)
        if isinstance(q, wq.AndNot):
            (a_low, a_high), (_, b_high) = of(q.a), of(q.b)
            return max(0, a_low - b_high), a_high
        if isinstance(q, wq.AndMaybe):
            return of(q.a)
        if isinstance(q, wq.Require):
            return 0, min(of(q.a)[1], of(q.b)[1])
        return 0, everything

    return of(q)


def leaves(q: wq.Query, boost: float = 1.0) -> list[tuple[str, str, float]] | None:
    """The words whose scores add up to ``q``'s, as (field, word, boost), or None when ``q``
    is not a sum of words' scores (a range, a NOT of its own, an OR that needs several of its
    parts)."""
    if type(q) is wq.Term:
        return [(q.fieldname, q.text, boost * q.boost)]
    if type(q) is wq.Phrase:  # Whoosh scores a phrase as its words: the sum of their scores where it stands
        return [(q.fieldname, word, boost * q.boost) for word in q.words]
    if type(q) in (wq.And, wq.Or):
        if isinstance(q, wq.Or) and (q.scale or q.minmatch):
            return None
        found: list[tuple[str, str, float]] = []
        for sub in q.subqueries:
            part = leaves(sub, boost * q.boost)
            if part is None:
                return None
            found += part
        return found
    if isinstance(q, (wq.Require, wq.AndNot)):  # only the first part scores
        return leaves(q.a, boost)
    if isinstance(q, wq.AndMaybe):
        a, b = leaves(q.a, boost), leaves(q.b, boost)
        return None if a is None or b is None else a + b
    return None


class _Leaf:
    """One word's postings in one field of one segment, with its boost and bounds."""

    __slots__ = ("m", "boost", "bound", "_block_at", "_block_bound")

    def __init__(self, matcher: Any, boost: float) -> None:
        self.m = matcher
        self.boost = boost
        self.bound = boost * matcher.max_quality()
        self._block_at: int | None = None
        self._block_bound = 0.0

    def block_bound(self) -> float:
        """The bound of the current block, worked out once a block (where its data starts in
        the postings file tells one block from another; a short list kept with its word in the
        term index has none, and is worked out each time)."""
        at = getattr(self.m, "_dataoffset", None)
        if at is None:
            return float(self.boost * self.m.block_quality())
        if at != self._block_at:
            self._block_at, self._block_bound = at, self.boost * self.m.block_quality()
        return self._block_bound


class _Best:
    """The best scores so far, and every document that scored at least the threshold.

    With ``group`` (a document's copy group: README, "Wire copies folded"), the page holds
    ``wanted`` groups, not documents: only a group's first score counts towards the threshold,
    which so stays at most the ``wanted``-th best group's best score — a bound that may skip
    less, never one that loses a group."""

    def __init__(self, wanted: int) -> None:
        self.wanted = wanted
        self.scores: list[float] = []  # a heap of the ``wanted`` best
        self.kept: list[tuple[float, int]] = []
        self.threshold = float("-inf")
        self.group: Callable[[int], bytes] | None = None  # of a document of the current segment
        self.groups: set[bytes] = set()

    def add(self, score: float, docnum: int) -> None:
        if score < self.threshold:
            return
        self.kept.append((score, docnum))
        if self.group is not None:
            group = self.group(docnum)
            if group in self.groups:
                return
            if group:
                self.groups.add(group)
        if len(self.scores) < self.wanted:
            heapq.heappush(self.scores, score)
        elif score > self.scores[0]:
            heapq.heapreplace(self.scores, score)
        else:
            return
        if len(self.scores) == self.wanted:
            self.threshold = self.scores[0]
            if len(self.kept) > 4 * self.wanted + 64:
                self.kept = [hit for hit in self.kept if hit[0] >= self.threshold]

    def bar(self) -> float:
        """What a bound must reach for its document to be scored."""
        theta = self.threshold
        return theta - _MARGIN * max(1.0, abs(theta)) if theta != float("-inf") else theta

    def ranked(self) -> list[tuple[float, int]]:
        """Every document that scored at least the page's last, best first."""
        return sorted((hit for hit in self.kept if hit[0] >= self.threshold), key=lambda hit: -hit[0])


def top(
    searcher: Searcher,
    q: wq.Query,
    words: list[tuple[str, str, float]],
    wanted: int,
    group: Callable[[Any, int], Callable[[int], bytes]] | None = None,
    parallel_from: int = parallel.PARALLEL_FROM,
) -> list[tuple[float, int]]:
    """The ``wanted`` best documents of ``q`` (and all that tie with the last of them) as
    (score, document number), best first; ``words`` are ``q``'s ``leaves``. With ``group`` (for a
    segment's reader and first document number, a document's copy group), the documents of the
    ``wanted`` best groups, and others as they came.

    Where the segments are split (``parallel``), a forked process walks every segment but the
    largest, each with a threshold of its own, while this one walks that, and its hits (every
    document it kept, in the order it kept them) are added here as if this process had found
    them: each process's threshold stays at most the page's last score, so each keeps every
    document that may be on the page."""
    best = _Best(wanted)
    context = searcher.context()  # as an exhaustive search makes the matcher: the same scores
    here, there = parallel.split(searcher, parallel_from)

    def walked_there() -> list[list[tuple[float, int]]]:
        found = []
        for sub, offset in there:
            theirs = _Best(wanted)
            _walk_segment(sub, offset, q, words, group, context, theirs)
            found.append(theirs.kept)
        return found

    with parallel.elsewhere(walked_there if there else None) as away:
        for sub, offset in here:
            _walk_segment(sub, offset, q, words, group, context, best)
        hits = away.result() if away is not None else None
    for n, (sub, offset) in enumerate(there):
        if hits is None:  # no process, or it failed: its segments are walked here
            _walk_segment(sub, offset, q, words, group, context, best)
            continue
        best.group = group(sub.reader(), offset) if group is not None else None
        for score, docnum in hits[n]:
            best.add(score, docnum)
    return best.ranked()


def _walk_segment(
    sub: Searcher,
    offset: int,
    q: wq.Query,
    words: list[tuple[str, str, float]],
    group: Callable[[Any, int], Callable[[int], bytes]] | None,
    context: Any,
    best: _Best,
) -> None:
    if group is not None:
        best.group = group(sub.reader(), offset)
    found = []
    for fieldname, text, boost in words:
        postings = _postings(sub, fieldname, text, context.weighting)
        if postings is not None and postings.is_active():
            found.append(_Leaf(postings, boost))
    if found:
        _walk(q.matcher(sub, context), sorted(found, key=lambda leaf: leaf.bound), offset, best)


def _block_end(m: Any) -> int:
    """The last document of the matcher's current block (a short list kept with its word in
    the term index has no blocks: its current document)."""
    end = getattr(m, "block_max_id", None)
    return int(end()) if end is not None else int(m.id())


def _walk(matcher: Any, ordered: list[_Leaf], offset: int, best: _Best) -> None:
    """MaxScore through one segment: ``ordered`` by bound, smallest first. Which leaves are
    walked is worked out again only when the threshold rises or a walked leaf runs out; their
    blocks' bounds are added up again only when one of them may have left its block."""
    threshold: float | None = None
    walked: list[_Leaf] = []
    lesser, rest, bar = 0, 0.0, 0.0
    # The walked leaves' block bounds added up, and the first block end among them: while no
    # walked leaf is past it, each is in the block it was in (-1: to be added up again).
    blocks, until = 0.0, -1
    while True:
        if threshold != best.threshold or not walked:
            threshold, bar = best.threshold, best.bar()
            lesser, rest = 0, 0.0  # the non-essential leaves: the first ``lesser``, bounds adding to ``rest``
            while lesser < len(ordered) and rest + ordered[lesser].bound < bar:
                rest += ordered[lesser].bound
                lesser += 1
            walked = [leaf for leaf in ordered[lesser:] if leaf.m.is_active()]
            if not walked:
                return
            until = -1
        if until < 0:
            blocks = sum(leaf.block_bound() for leaf in walked)
            until = min(_block_end(leaf.m) for leaf in walked)
        if rest + blocks < bar:
            # No document up to the end of the first of these blocks can reach the bar.
            for leaf in walked:
                if leaf.m.id() <= until:
                    leaf.m.skip_to(until + 1)
            walked = [leaf for leaf in walked if leaf.m.is_active()]
            until = -1
            continue
        docnum = min(leaf.m.id() for leaf in walked)
        here = [leaf for leaf in walked if leaf.m.id() == docnum]
        bound = rest + sum(leaf.boost * leaf.m.score() for leaf in here)
        for leaf in reversed(ordered[:lesser]):  # the lesser leaves, largest bound first
            if bound < bar:
                break
            bound -= leaf.bound
            m = leaf.m
            if m.is_active() and m.id() < docnum:
                m.skip_to(docnum)
            if m.is_active() and m.id() == docnum:
                bound += leaf.boost * m.score()
        if bound >= bar:
            if matcher.is_active() and matcher.id() < docnum:
                matcher.skip_to(docnum)
            if matcher.is_active() and matcher.id() == docnum:
                best.add(matcher.score(), offset + docnum)
        for leaf in here:
            leaf.m.next()
            if not leaf.m.is_active():
                walked = [leaf for leaf in walked if leaf.m.is_active()]
                until = -1
            elif leaf.m.id() > until:
                until = -1
