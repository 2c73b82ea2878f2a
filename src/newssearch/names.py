"""Names in every spelling (README, "Names in every spelling"): a name searched in one spelling
finds the others the news uses.

Two sources of spellings, both engine-free here; the index answers which of them it holds:

- **The table**: groups of spellings of one name (``names.txt`` beside this module, each group
  with the source it was taken from), and the user's own groups (``user_table_path``). A group
  line may also say that two look-alike spellings are different names (``Kerry != Gerry``).
- **Spellings the index itself has**: each word that is written as a name in an article (with a
  capital letter inside a sentence more often than without, ``article_names``) is indexed under
  its ``key``, which the transliteration rules make the same for the spellings they relate
  (``Qaddafi``, ``Kadhafi``, ``Qadhafi`` → ``kadafi``). A word of the query that is
  itself a name (or that the index does not have) searches the names with its key.

A word in quotes is a phrase, never respelled. ``respell`` returns the spellings to search for
each word of the query; ``ParsedQuery.tree`` puts them in (``spelled``).
"""

from __future__ import annotations

import os
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from newssearch.engine import Reader
    from newssearch.models import Article
    from newssearch.querytree import Query


# -- The transliteration rules -------------------------------------------------------------------

# Words shorter than this have no key, and are searched as written: among short names, one
# letter apart is usually another name (Kerry/Gerry, Kent/Ghent, Sony/Sonny, Scott/Scot, Bath/Baath,
# Lyons/Lions: benchmarks/names.py lists what the rules join in BBC News and Reuters).
SHORTEST = 6
# Not g/k: in English names it joins different people far more often than spellings of one
# (Gilroy/Kilroy, Gaydon/Kaydon, McGinley/McKinley); the table has the Arabic names it would join
# (Gaddafi, Kadhafi).
_RULES = [("kh", "k"), ("gh", "g"), ("dh", "d"), ("dj", "j"), ("zh", "j"), ("ou", "u"), ("q", "k"), ("j", "i"),
          ("y", "i")]  # fmt: skip
_DOUBLED = re.compile(r"(.)\1+")
# A name's leading article, as in al-Qaeda, el-Sisi, ad-Din (written with a hyphen or a space).
ARTICLES = frozenset({"al", "el", "ul", "ad", "ag", "ar", "as", "ash", "at", "az", "an"})
# The most other spellings searched for one word (those the index uses most): more would make
# the query a different one.
MOST_SPELLINGS = 8
# A spelling that differs from the query's only by doubled letters or y/i is searched when it is
# this rare beside it (a misspelling: Phillipines beside Philippines), not when it is common in its
# own right (Elliot beside Elliott).
TYPO_SHARE = 0.05
# A word is a name in the index when at least this share of the articles that hold it write it
# as one (``article_names``).
NAME_SHARE = 0.5


def fold(word: str) -> str:
    """Lower case, accents off: the form names are indexed and compared in."""
    if word.isascii():  # most names: no accent to take off, and no loop over the characters
        return word.lower()
    decomposed = unicodedata.normalize("NFKD", word.lower())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def key(word: str) -> str | None:
    """The word's key under the transliteration rules (a folded word of letters), or None when
    it is too short to have one."""
    letters = "".join(c for c in fold(word) if c.isalpha())
    if len(letters) < SHORTEST:
        return None
    for written, same in _RULES:
        letters = letters.replace(written, same)
    return _DOUBLED.sub(r"\1", letters)


# -- Names in an article -------------------------------------------------------------------------

_WORD = re.compile(r"\w+(?:\.?\w+)*")  # the engines' tokens
_CAPITAL = r"\b[A-ZÀ-ÖØ-Þ][^\W\d_]+\b"
_LOWER = r"\b[a-zß-öø-ÿ][^\W\d_]*\b"
# A capital where any word has one: after the end of a sentence, a colon, a line's start, then
# any opening quotes or brackets.
_SENTENCE_START = r"(?:^|[.!?:;\n])[\s\"'“‘«(\[]*([A-ZÀ-ÖØ-Þ][^\W\d_]+)\b"


def article_names(texts: Iterable[str]) -> set[str]:
    """The words of ``texts`` (an article's paragraphs and captions, not its headlines, which
    capitalise every word) written as names: inside a sentence with a capital more often than
    without one. Folded (``fold``), of ``SHORTEST`` letters or more; a word all in capitals
    (``NATO``, a shouted line) counts neither way."""
    capital: Counter[str] = Counter()
    lower: Counter[str] = Counter()
    for text in texts:  # re caches the compiled patterns; a query never compiles them
        capital.update(re.findall(_CAPITAL, text))
        capital.subtract(re.findall(_SENTENCE_START, text))
        lower.update(re.findall(_LOWER, text))
    names: set[str] = set()
    for word, n in capital.items():
        if n > 0 and len(word) >= SHORTEST and not word.isupper() and n > lower[word.lower()]:
            names.add(fold(word))
    return names


def article_name_terms(article: Article) -> list[str]:
    """The words the article writes as names in its paragraphs and captions, as an index keeps
    them (``name_terms``)."""
    texts = [p.text for s in article.sections for p in s.paragraphs]
    return list(name_terms(article_names([*texts, *(c.text for c in article.captions)])))


def name_terms(names: Iterable[str]) -> Iterator[str]:
    """What the index keeps of a name: ``key=word``, so the names of one key are found together."""
    for name in names:
        k = key(name)
        if k is not None:
            yield f"{k}={name}"


# -- The table -----------------------------------------------------------------------------------

SHIPPED_TABLE = Path(__file__).with_name("names.txt")


def user_table_path() -> Path:
    """The user's own spellings: ``NEWSSEARCH_NAMES``, else ``names.txt`` in newssearch's
    configuration folder (``$XDG_CONFIG_HOME/newssearch``, by default ``~/.config/newssearch``)."""
    explicit = os.environ.get("NEWSSEARCH_NAMES")
    if explicit:
        return Path(explicit).expanduser()
    config = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(config) / "newssearch" / "names.txt"


class Table:
    """Groups of spellings of one name, by each spelling's ``_norm``; pairs of look-alikes that
    are different names; and the lines of a table that could not be read (``file:line: why``).
    Read the shipped table first, then the user's: a later line wins over an earlier one. (Not
    a dataclass: making one costs a query about a millisecond of start-up.)"""

    def __init__(self) -> None:
        self.groups: dict[str, tuple[str, ...]] = {}
        self.different: set[frozenset[str]] = set()
        self.problems: list[str] = []

    def read(self, path: Path) -> None:
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            return
        except OSError as err:
            self.problems.append(f"{path}: cannot be read ({err.strerror or err})")
            return
        for number, raw in enumerate(data.removeprefix(b"\xef\xbb\xbf").splitlines(), 1):
            try:
                line = raw.decode("utf-8")
            except UnicodeDecodeError:
                self.problems.append(f"{path}:{number}: not UTF-8 text")
                continue
            text = line.split("#", 1)[0].strip()
            if not text:
                continue
            if "!=" in text:
                sides = [s.strip() for s in text.split("!=")]
                if len(sides) != 2 or not all(_norm(s) for s in sides):
                    self.problems.append(f"{path}:{number}: write the two different names as Kerry != Gerry")
                    continue
                self.different.add(frozenset(_norm(s) for s in sides))
                continue
            spellings = tuple(dict.fromkeys(s.strip() for s in text.split("|") if _norm(s)))
            if len(spellings) < 2:
                self.problems.append(f"{path}:{number}: write two or more spellings of a name: Kyiv | Kiev")
                continue
            if any(len(s.split()) > 1 for s in spellings):
                self.problems.append(f"{path}:{number}: a spelling is one word (al-Qaida, not al Qaida)")
                continue
            self._add(spellings)

    def _add(self, spellings: tuple[str, ...]) -> None:
        """A group joins any group that shares a spelling with it (a user's line adds to ours)."""
        merged = dict.fromkeys(spellings)
        for s in spellings:
            merged.update(dict.fromkeys(self.groups.get(_norm(s), ())))
        group = tuple(merged)
        joined = {_norm(s) for s in group}
        self.different = {pair for pair in self.different if not pair <= joined}  # a later line wins
        for s in group:
            self.groups[_norm(s)] = group
            bare = _without_article(s)
            if bare is not None:
                self.groups.setdefault(_norm(bare), group)

    def spellings(self, word: str) -> tuple[str, ...]:
        return self.groups.get(_norm(word), ())


_TABLE: Table | None = None


def table() -> Table:
    """The shipped table and the user's, read once a process — and again when the user's file
    is another one or has changed (a resident searcher's processes answer clients of other
    folders and environments)."""
    global _TABLE, _TABLE_STAMP
    user = user_table_path()
    where = os.path.realpath(user)  # a relative NEWSSEARCH_NAMES is another file in another folder
    try:
        st = os.stat(where)
        stamp: tuple[object, ...] = (where, st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)
    except OSError:
        stamp = (where,)
    if _TABLE is None or stamp != _TABLE_STAMP:
        loaded = Table()
        loaded.read(SHIPPED_TABLE)
        loaded.read(user)
        _TABLE, _TABLE_STAMP = loaded, stamp
    return _TABLE


_TABLE_STAMP: tuple[object, ...] | None = None


def _norm(spelling: str) -> str:
    return "".join(c for c in fold(spelling) if c.isalpha())


def _split_article(written: str) -> tuple[str | None, str]:
    """``al-Qaeda`` → (``al-``, ``Qaeda``); a word without an article → (None, the word)."""
    m = re.match(r"(?i)([a-z]{2,3})([-\s’'])(.+)$", written)
    if m and m.group(1).lower() in ARTICLES and m.group(3)[:1].isalpha():
        return m.group(1) + m.group(2), m.group(3)
    return None, written


def _without_article(written: str) -> str | None:
    article, rest = _split_article(written)
    return rest if article is not None else None


# -- A query's words, respelled ------------------------------------------------------------------


def respell(
    tree: Query | None, reader: Reader, as_table: Table | None = None
) -> tuple[dict[str, tuple[str, ...]], list[str]]:
    """For each word of the query (as written, not in quotes, in the text of an article, not a
    field such as ``source``), the other spellings of it to search: the table's and the index's
    names of the same key that the index holds, most used first, at most ``MOST_SPELLINGS``; and
    the lines of the table that could not be read (the table is read only for a query of words)."""
    words = _name_words(tree)
    if not words:
        return {}, []
    known = as_table if as_table is not None else table()
    return _respell(words, reader, known), known.problems


def _respell(words: list[str], reader: Reader, known: Table) -> dict[str, tuple[str, ...]]:
    plans: dict[str, tuple[str | None, str, tuple[str, ...]]] = {}
    for written in words:
        article, rest = _split_article(written)
        if not rest.replace("-", "").replace("'", "").replace("’", "").isalpha():
            continue
        group = known.spellings(written) or known.spellings(rest)
        listed = tuple(
            _shaped(s, article)
            for s in group
            if _norm(s) != _norm(written) and frozenset({_norm(_last_word(s)), _norm(rest)}) not in known.different
        )
        plans[written] = (article, rest, listed)
    if not plans:
        return {}
    keys = {k for _, rest, _ in plans.values() if (k := key(rest)) is not None}
    listed_words = {fold(_last_word(s)) for _, _, listed in plans.values() for s in listed}
    names, articles = reader.name_counts(keys, listed_words)
    # A word's own count matters only where its key holds other names (is it a name itself?),
    # and is known already when it is one of them: on a cluster, a query of words that are no
    # names costs one request, not two.
    unknown = {
        mine
        for _, rest, _ in plans.values()
        if (k := key(rest)) is not None and (mine := fold(rest)) not in articles and set(names.get(k, ())) - {mine}
    }
    if unknown:
        articles = {**articles, **reader.name_counts((), unknown)[1]}
    found: dict[str, tuple[str, ...]] = {}
    for written, (article, rest, listed) in plans.items():
        spellings = [s for s in listed if articles.get(fold(_last_word(s)), 0) > 0]
        k = key(rest)
        mine = fold(rest)
        if k is not None and _is_name(mine, names.get(k, {}), articles):
            for word, _ in sorted(names.get(k, {}).items(), key=lambda item: (-articles.get(item[0], 0), item[0])):
                if word == mine or not _is_name(word, names[k], articles) or not _rules_relate(mine, word, articles):
                    continue
                if frozenset({_norm(word), _norm(rest)}) in known.different:
                    continue
                spelling = _shaped(_like(word, rest), article)
                if _norm(spelling) not in {_norm(s) for s in spellings}:
                    spellings.append(spelling)
        spellings.sort(key=lambda s: -articles.get(fold(_last_word(s)), 0))
        if spellings:
            found[written] = tuple(spellings[:MOST_SPELLINGS])
    return found


def _rules_relate(mine: str, other: str, articles: dict[str, int]) -> bool:
    """Whether the rules take ``other`` (a name of the same key) for a spelling of ``mine``: when
    a transliteration rule joins them (kh/k, q/k, gh/g, dh/d, zh/j, ou/u, j/i), or, when they differ
    only by doubled letters or y/i — as many English names do that are different people (Elliott,
    Elliot; Snyder, Snider) — when ``other`` is rare beside ``mine``, as a misspelling is
    (``TYPO_SHARE``), or ``mine`` is not in the index at all."""
    if _plain(mine) != _plain(other):
        return True
    return articles.get(mine, 0) == 0 or articles.get(other, 0) <= TYPO_SHARE * articles[mine]


def _plain(word: str) -> str:
    return _DOUBLED.sub(r"\1", word.replace("y", "i"))


def _is_name(word: str, names: dict[str, int], articles: dict[str, int]) -> bool:
    """A word the index does not have may be a name (what else to go by); one it has is a name
    when most articles that hold it write it as one."""
    total = articles.get(word, 0)
    return total == 0 or names.get(word, 0) >= NAME_SHARE * total


def _name_words(tree: Query | None) -> list[str]:
    """The query's words as written (not phrases, patterns or ranges), those in a part of an
    article (not ``source:``), each once."""
    from newssearch.querytext import PARTS
    from newssearch.querytree import Word, leaves

    found = (leaf.text for leaf in leaves(tree) if isinstance(leaf, Word) and leaf.field in (None, *PARTS))
    return list(dict.fromkeys(found))


def _last_word(spelling: str) -> str:
    words = _WORD.findall(spelling)
    return words[-1] if words else spelling


def _shaped(spelling: str, article: str | None) -> str:
    """A table spelling as the query wrote its name: with the article when the query has one
    (``al-Qaeda`` → ``al-Qaida``), without when it has none (``Qaeda`` → ``Qaida``)."""
    own_article, rest = _split_article(spelling)
    if article is None:
        return rest
    return spelling if own_article is not None else article + rest


def _like(word: str, written: str) -> str:
    """An indexed (folded) spelling written with the query word's capitals: ``qaddafi`` for
    ``Gaddafi`` → ``Qaddafi``."""
    return word[:1].upper() + word[1:] if written[:1].isupper() else word


def spelled(tree: Query | None, variants: dict[str, tuple[str, ...]]) -> Query | None:
    """The tree with each respelled word searched in any of its spellings (each one word: the
    table's are, and the index's are words)."""
    from newssearch.querytext import PARTS
    from newssearch.querytree import Or, Word, map_leaves

    def respelled(leaf: Query) -> Query:
        if isinstance(leaf, Word) and leaf.text in variants and leaf.field in (None, *PARTS):
            others = tuple(Word(s, leaf.field) for s in variants[leaf.text])
            return Or((Word(leaf.text, leaf.field), *others), leaf.boost)
        return leaf

    return map_leaves(tree, respelled)
