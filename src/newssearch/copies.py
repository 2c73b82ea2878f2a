"""Wire copies: the same story filed by several outlets or re-sent, told apart from different
stories on the same subject by the text alone.

An article's body becomes a ``Sketch``: a MinHash signature of its word shingles (runs of
``SHINGLE`` words, lower-cased, accents folded, numbers kept), how many shingles it has, and a
small exact sample of its figures. ``bands`` turns a sketch into a few short keys to store as
index terms: articles that share a key are candidate copies, found by term lookup. ``is_copy``
then decides from the two stored sketches alone.

A copy is the same text give or take a headline (the title is not sketched), a dateline or
byline, a trimmed last paragraph or two, a correction of a few words. So the shorter text must
be nearly all inside the longer one (``COPY_SHARE`` of its shingles), the longer not much longer
(``LENGTH_SHARE``), and the figures of the one with fewer must be the other's too
(``FIGURE_SHARE``): a daily market report of another day has the same template and words but
other figures. An article with fewer than ``MIN_SHINGLES`` shingles (a flash, a dividend notice, a
price line) has no copies: the body alone cannot tell them apart — two firms' dividend notices are
often word for word the same, and one word more or less makes another flash.

The parameters, and why, are measured in benchmarks/copies.py.
"""

from __future__ import annotations

import re
import struct
import unicodedata
import zlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

if TYPE_CHECKING:
    from newssearch.models import Article

SHINGLE = 3  # words a shingle (2: 23x the candidate pairs on Reuters, from common word pairs)
PERMS = 128  # MinHash values a sketch, 16 bits each (256 bytes)
BANDS, ROWS = 8, 2  # LSH keys of ROWS values each: a pair with Jaccard 0.3 shares one 53% of the time, 0.6 97%
COPY_SHARE = 0.9  # share of the shorter text's shingles that must be in the longer one
# The shorter text has at least this share of the longer's shingles. Not more: BBC News' last
# paragraphs are long, and at 0.5 a copy less its last paragraph was found 68% of the time, not
# 88% (benchmarks/README.md); the price is that a roundup holding two stories folds with each.
LENGTH_SHARE = 0.3
FIGURE_SHARE = 0.9  # share of the figures (of the text with fewer) that the other has too
MIN_SHINGLES = 20  # below this, never a copy: too short to tell (two firms' dividend notices are word for word)
FIGURES_KEPT = 16  # a sketch keeps the smallest hashes of this many distinct figures

_VERSION = 1
_HEADER = struct.Struct("<BIH")  # version, shingles, figures (distinct)
_MASK64 = np.uint64(0xFFFFFFFFFFFFFFFF)

_rng = np.random.default_rng(0x5EED_C0B1E5)  # fixed: sketches are stored and compared across runs
_MUL = _rng.integers(1, 2**63, PERMS, dtype=np.uint64) * np.uint64(2) + np.uint64(1)  # odd multipliers
_ADD = _rng.integers(0, 2**63, PERMS, dtype=np.uint64)
_SHIFT = [np.uint64(0x9E3779B97F4A7C15 * (i + 1) & 0xFFFFFFFFFFFFFFFF) | np.uint64(1) for i in range(SHINGLE)]

_WORD = re.compile(r"[^\W_]+(?:[.,'/:-][^\W_]+)*")
# Words that are figures; dates among them, which tell reports of different days apart as figures do.
_FIGURE_WORDS = frozenset({
    "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve",
    "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen", "twenty", "thirty",
    "forty", "fifty", "sixty", "seventy", "eighty", "ninety", "hundred", "thousand", "half", "quarter",
    "third", "january", "february", "march", "april", "may", "june", "july", "august", "september", "october",
    "november", "december", "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov",
    "dec", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday",
})  # fmt: skip
# A leading "LONDON, March 3 (Reuters) - " or "NEW YORK - "; a first paragraph "By Jane Doe, Reuters".
_DATELINE = re.compile(
    r"^[A-Z][A-Z.'-]+(?: [A-Z][A-Z.'-]+){0,3}(?:, [A-Z][a-z]{2,8}\.? \d{1,2})?(?: \([A-Za-z ]+\))? ?(?:-{1,2}|–|—) "
)
_BYLINE = re.compile(r"^By [A-Z][\w.'-]*(?: [A-Z][\w.'-]*){0,3}(?:,? [\w ]{0,40})?$")


@dataclass(frozen=True, eq=False)
class Sketch:
    """What is kept of an article to find and verify its copies: ``values``, the MinHash
    signature (``PERMS`` 16-bit values; all zero for an empty body); ``shingles``, how many
    distinct shingles the body has; ``figures``, how many distinct figures, and ``figure_hashes``
    the smallest hashes of up to ``FIGURES_KEPT`` of them (sorted)."""

    values: npt.NDArray[np.uint16]
    shingles: int
    figures: int
    figure_hashes: tuple[int, ...]

    def to_bytes(self) -> bytes:
        head = _HEADER.pack(_VERSION, self.shingles, self.figures)
        figures = struct.pack(f"<{len(self.figure_hashes)}I", *self.figure_hashes)
        return head + self.values.astype("<u2").tobytes() + figures

    @classmethod
    def from_bytes(cls, data: bytes) -> Sketch:
        version, shingles, figures = _HEADER.unpack_from(data)
        if version != _VERSION:
            raise ValueError(f"a copies sketch of version {version}, not {_VERSION}")
        start = _HEADER.size
        values = np.frombuffer(data, "<u2", PERMS, start).astype(np.uint16)
        rest = data[start + 2 * PERMS :]
        hashes = struct.unpack(f"<{len(rest) // 4}I", rest)
        return cls(values, shingles, figures, hashes)


def words(paragraphs: list[str]) -> list[str]:
    """The body's words as sketched: lower-cased, accents folded, a leading dateline or byline
    left out; figures ("1.5", "6-3/16", "155,221") are one word each."""
    paragraphs = [p for p in paragraphs if p.strip()]
    if paragraphs and _BYLINE.match(paragraphs[0].strip()):
        paragraphs = paragraphs[1:]
    if paragraphs:
        paragraphs = [_DATELINE.sub("", paragraphs[0].lstrip(), count=1), *paragraphs[1:]]
    text = "\n".join(paragraphs).replace("\u2019", "'")
    if not text.isascii():  # most wire text is: nothing to fold, and no character-by-character loop
        text = "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))
    return _WORD.findall(text.lower())


def _is_figure(word: str) -> bool:
    return word in _FIGURE_WORDS or _DIGIT(word) is not None


_DIGIT = re.compile(r"\d").search


def sketch(paragraphs: list[str]) -> Sketch:
    """The sketch of an article's body (its paragraphs, without the title)."""
    found = words(paragraphs)
    hashes = np.fromiter((zlib.crc32(w.encode()) for w in found), np.uint64, len(found))
    figure_hashes = sorted({int(h) for w, h in zip(found, hashes, strict=True) if _is_figure(w)})
    if len(found) < SHINGLE:  # a text shorter than a shingle is one shingle
        hashes = np.concatenate([hashes, np.zeros(SHINGLE - len(found), np.uint64)]) if len(found) else hashes
    shingles = np.zeros(max(len(hashes) - SHINGLE + 1, 0), np.uint64)
    with np.errstate(over="ignore"):
        for i in range(SHINGLE):
            shingles = shingles * _SHIFT[i] + hashes[i : len(hashes) - SHINGLE + 1 + i]
        shingles = np.unique(_mix(shingles))
        if len(shingles) == 0:
            values = np.zeros(PERMS, np.uint16)
        else:  # per permutation, the smallest multiply-add hash of a shingle; 16 of its middle bits
            smallest = np.full(PERMS, np.iinfo(np.uint64).max, np.uint64)
            for start in range(0, len(shingles), _CHUNK):  # a long text's rows a chunk at a time
                rows = shingles[start : start + _CHUNK, None] * _MUL + _ADD
                np.minimum(smallest, rows.min(axis=0), out=smallest)
            values = (smallest >> np.uint64(24)).astype(np.uint16)
    return Sketch(values, len(shingles), len(figure_hashes), tuple(figure_hashes[:FIGURES_KEPT]))


_CHUNK = 2048  # shingles hashed at once: 2 MB of 64-bit values, however long the article


def _mix(x: npt.NDArray[np.uint64]) -> npt.NDArray[np.uint64]:
    """MurmurHash3's 64-bit finaliser: every bit of a shingle's hash depends on every bit of it."""
    x = x ^ (x >> np.uint64(33))
    x = x * np.uint64(0xFF51AFD7ED558CCD)
    x = x ^ (x >> np.uint64(33))
    x = x * np.uint64(0xC4CEB93F53B1FE85)
    return (x ^ (x >> np.uint64(33))) & _MASK64


def bands(s: Sketch) -> list[str]:
    """The sketch's LSH keys ("c3:1f9a0c3e": band 3, its values in hex), to store as index terms;
    none for an empty body. Copies share at least one key (nearly always: benchmarks/copies.py)."""
    if s.shingles == 0:
        return []
    rows = s.values[: BANDS * ROWS].reshape(BANDS, ROWS)
    return [f"c{band:x}:" + "".join(f"{int(v):04x}" for v in row) for band, row in enumerate(rows)]


def similarity(a: Sketch, b: Sketch) -> float:
    """The estimated share of the shorter body's shingles that are in the longer one (0 to 1)."""
    if a.shingles == 0 or b.shingles == 0:
        return 0.0
    jaccard = float(np.count_nonzero(a.values == b.values)) / PERMS
    shared = jaccard * (a.shingles + b.shingles) / (1 + jaccard)
    return min(shared / min(a.shingles, b.shingles), 1.0)


def _figure_share(a: Sketch, b: Sketch) -> float:
    """The share of the figures of the text with fewer that the other has too (1 when it has none):
    exact up to ``FIGURES_KEPT`` figures; above that, counted on the kept figures of the one with
    fewer that fall within the range of the other's kept smallest hashes."""
    few, many = (a, b) if a.figures <= b.figures else (b, a)
    if few.figures == 0:
        return 1.0
    complete = many.figures <= len(many.figure_hashes)
    seen = [h for h in few.figure_hashes if complete or h <= many.figure_hashes[-1]]
    if not seen:
        return 0.0
    kept = set(many.figure_hashes)
    return sum(1 for h in seen if h in kept) / len(seen)


def is_copy(a: Sketch, b: Sketch) -> bool:
    """Whether two articles are copies of one story (see the module's docstring)."""
    if a.shingles == 0 or b.shingles == 0:
        return False
    shorter, longer = sorted((a.shingles, b.shingles))
    if shorter < MIN_SHINGLES or shorter < LENGTH_SHARE * longer:
        return False
    return similarity(a, b) >= COPY_SHARE and _figure_share(a, b) >= FIGURE_SHARE


# -- Groups of copies, as an update adds articles ------------------------------------------------


@dataclass(frozen=True)
class Member:
    """An article of the index, as its copies are found: its id, its copy group, its sketch (or
    what reads it: a committed article's sketch is read only when it is compared)."""

    key: str
    group: str
    sketch: bytes | Callable[[], bytes]

    def read_sketch(self) -> Sketch:
        return Sketch.from_bytes(self.sketch if isinstance(self.sketch, bytes) else self.sketch())


@dataclass(frozen=True)
class Grouped:
    """What the index keeps of an article for its copies: its group (named when its first article
    started it), its band keys (none when it is too short to have copies) and its sketch."""

    group: str
    bands: list[str]
    sketch: bytes


# The articles of the index that hold any of these band keys, less those the update removes, each
# with the keys it holds.
Finder = Callable[[list[str]], Iterable[tuple[Member, list[str]]]]


class Grouping:
    """Puts each article an update adds in the group of its copies (README, "Wire copies
    folded"): those among the articles the update added before it, and those the index already
    holds (``find``; None for a new or rebuilt index), found by their band keys and verified by
    ``is_copy`` from the stored sketches, without reading any article again. An article with no
    copy starts a group of its own, named by its id and its sketch's digest; with copies in
    several groups, it joins the one whose name sorts first. A group is only a name its articles
    share: removing one of them leaves the others together, and the next copy added joins them."""

    def __init__(self, find: Finder | None) -> None:
        self.find = find
        # This update's articles by band key (as a number: ``_number``), a member or a list of
        # them: most keys have one, and a full build keeps BANDS keys an article in memory.
        self.added: dict[int, Member | list[Member]] = {}

    def assign(self, articles: list[Article]) -> list[Grouped]:
        """For each article, in order: its group, keys and sketch (of its paragraphs: not its
        headline, subheadings or captions)."""
        sketches = [sketch([p.text for s in a.sections for p in s.paragraphs]) for a in articles]
        keys = [bands(s) if s.shingles >= MIN_SHINGLES else [] for s in sketches]
        stored: dict[str, list[Member]] = {}
        wanted = sorted({k for ks in keys for k in ks})
        if self.find is not None and wanted:
            for found, keys_held in self.find(wanted):
                for k in keys_held:
                    stored.setdefault(k, []).append(found)
        grouped = []
        for article, s, ks in zip(articles, sketches, keys, strict=True):
            article_id = article.id
            candidates = {m.key: m for k in ks for m in (*stored.get(k, ()), *self._added(k))}
            candidates.pop(article_id, None)
            data = s.to_bytes()
            # A new group's name is used by no other article, even by this one as it was before
            # an edit: its id and its sketch's digest. (Its id alone would put an article edited
            # into another story back in the group its old copies still carry.)
            group = _first_group(s, candidates.values()) or f"{article_id}.{zlib.crc32(data):08x}"
            member = Member(article_id, group, data)
            for k in ks:
                n = _number(k)
                before = self.added.get(n)
                if before is None:
                    self.added[n] = member
                elif isinstance(before, list):
                    before.append(member)
                else:
                    self.added[n] = [before, member]
            grouped.append(Grouped(group, ks, data))
        return grouped

    def _added(self, key: str) -> list[Member]:
        held = self.added.get(_number(key))
        return [] if held is None else held if isinstance(held, list) else [held]


def _first_group(s: Sketch, candidates: Iterable[Member]) -> str | None:
    """The name that sorts first among the groups holding a copy of ``s`` (None when no candidate
    is one). The groups are tried in order of their names, each member until one is a copy: with
    a story's copies in one group, one sketch is read and compared, not one for every copy."""
    groups: dict[str, list[Member]] = {}
    for m in candidates:
        groups.setdefault(m.group, []).append(m)
    for group in sorted(groups):
        if any(is_copy(s, m.read_sketch()) for m in groups[group]):
            return group
    return None


def _number(key: str) -> int:
    """A band key as a number: its band (one hex digit) and its values ("c3:1f9a0c3e" → 0x31f9a0c3e)."""
    return int(key[1] + key[3:], 16)
