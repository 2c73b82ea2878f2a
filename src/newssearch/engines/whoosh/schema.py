"""The Whoosh schema, its analyzers and its version: the one place that defines the index.

One index holds five kinds of document, told apart by ``kind``:

- ``article``: an article as a whole — ``title``, ``section`` (its subheadings), ``caption``,
  ``body`` (all paragraphs) — and its stored record (``data``), with what finds its wire copies
  (``bands``, ``copygroup``, ``sketch``: ``copies.Grouping``);
- ``passage``: one section or caption of an article, for ``--passages``, in ``p_*`` fields so
  that their length statistics stay apart from the articles'. It stores no text of its own:
  its record is made from its article's (``key`` is the article's and the passage's suffix);
- ``words``: the vocabulary of one corpus file's articles, unstemmed (``vocabulary``), each
  word once with, as its weight, the number of the file's articles that hold it. It is the
  spelling source for "did you mean" and the word list that ``prefix*`` and ``fuzzy~`` expand
  over: Whoosh's ``frequency("words", w)`` is the number of articles that hold ``w``, while
  the postings are one per word and file rather than per word and article. Beside them, in
  ``names``, the words the file's articles write as names (``names.article_names``), each as
  ``key=word`` (``names.name_terms``) with the number of articles that write it so: the
  spellings of a name are those of one key ("Names in every spelling");
- ``file``: the manifest entry of a corpus file (size, mtime, hash), so an update knows what
  changed, committed atomically with the articles it produced;
- ``meta``: the schema version, the corpus folder and the time of the last update.

Articles, passages and a file's ``words`` carry its ``path``, so removing a file's documents
removes them all. Articles and passages also carry their metadata: ``source`` (words, for
``source:reuters``), ``tags``, ``date`` (as written, offset dropped: ``formats.dates.wall_time``),
and ``source_name`` and ``month`` (``YYYY-MM``) for facet counts.

Articles and passages list in ``has`` the text fields (of ``ARTICLE_FIELDS`` and
``PASSAGE_FIELDS``) that hold at least one word after analysis: ``doc_frequency("has", field)``
is then the number of documents with that field, which BM25 needs (``ranking``) and which Whoosh
does not keep. Like Whoosh's other statistics it counts deleted documents until their segment is
merged, so it stays in step with the field's total length.

The schema is pickled into the index, so it uses only Whoosh's own analyzer classes.
Bump ``SCHEMA_VERSION`` whenever a field, an analyzer or what goes into a field changes: an
index of another version is rebuilt by ``newssearch index`` and refused by the other commands.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from whoosh.analysis import (
    CharsetFilter,
    DelimitedAttributeFilter,
    LowercaseFilter,
    RegexTokenizer,
    StemFilter,
    StopFilter,
)
from whoosh.columns import NumericColumn
from whoosh.fields import DATETIME, ID, KEYWORD, STORED, TEXT, Schema
from whoosh.support.charset import accent_map

from newssearch.models import Token

SCHEMA_VERSION = 7

# Case and accents fold before stop words and stems: "Türkiye" = "turkiye", "Crossings" = "cross".
STEMMED = RegexTokenizer() | LowercaseFilter() | CharsetFilter(accent_map) | StopFilter() | StemFilter()
UNSTEMMED = RegexTokenizer() | LowercaseFilter() | CharsetFilter(accent_map)
# A ``words`` document's text: its words, made by UNSTEMMED, each once with its count as the
# token's boost ("gaza^3 rafah^1"), which Whoosh's frequency format adds up as the word's weight.
COUNTED = RegexTokenizer(r"\S+") | DelimitedAttributeFilter("^", "boost", 1.0, float)


def analyze(text: str) -> Iterator[Token]:
    """The words of ``text`` as the text fields index them (``STEMMED``), with their offsets:
    what a query's terms are matched against when highlighting.

    The same steps as ``STEMMED``, with its own pattern, character map, stop list and stemmer,
    in one loop rather than a chain of generators over a shared token, an ASCII word not sent
    through the character map (which changes no lower-case ASCII letter) and stems kept in a
    plain dict: every snippet of every result is made this way, three times faster
    (tests/test_properties.py checks that the two always agree)."""
    for match in _PATTERN(text):
        word = _indexed(match.group(0))
        if word is not None:
            yield Token(word, match.start(), match.end())


def positions(text: str) -> dict[str, list[int]]:
    """Each word of ``text`` as the text fields index it (``STEMMED``) with its positions, in
    order of first appearance: what Whoosh's ``Positions`` format records of the text, made as
    ``analyze`` makes the words (an index writer's change in ``patches``; tests/test_properties.py
    checks that it always agrees with the chain). As Whoosh's ``StopFilter`` numbers them, a
    stop word leaves no gap: the first word kept keeps its place, and the next ones follow it."""
    found: dict[str, list[int]] = {}
    pos = -1
    for n, match in enumerate(_PATTERN(text)):
        word = _indexed(match.group(0))
        if word is not None:
            pos = n if pos < 0 else pos + 1
            found.setdefault(word, []).append(pos)
    return found


def is_text_analyzer(analyzer: object) -> bool:
    """Whether ``analyzer`` is ``STEMMED``, step for step and setting for setting (an index's
    schema holds its own copy): what ``positions`` reproduces. Whoosh's own comparison of
    analyzers leaves some settings out (a tokenizer's ``gaps``, a stop list's longest word)."""
    items, steps = getattr(analyzer, "items", None), _STEPS
    if type(analyzer) is not type(STEMMED) or not isinstance(items, list) or len(items) != len(steps):
        return False
    return all(
        type(theirs) is type(ours) and _settings(theirs) == _settings(ours)
        for theirs, ours in zip(items, steps, strict=True)
    )


def _settings(step: object) -> dict[str, object]:
    """An analyzer step's settings: its attributes but a stemmer's cache of stems (``_stem``)."""
    return {name: value for name, value in vars(step).items() if name != "_stem"}


def _indexed(token: str) -> str | None:
    """A token of ``_PATTERN`` as ``STEMMED`` indexes it: None for a stop word."""
    word = token.lower()
    if not (_ASCII_KEPT and word.isascii()):
        word = word.translate(_CHARMAP)
    if len(word) < _SHORTEST or (_LONGEST is not None and len(word) > _LONGEST) or word in _STOPS:
        return None
    if word in _NOT_STEMMED:
        return word
    stemmed = _STEMS.get(word)
    if stemmed is None:
        if len(_STEMS) >= _STEMS_KEPT:
            _STEMS.clear()
        stemmed = _STEMS[word] = _STEM(word)
    return stemmed


_STEPS: list[object] = list(STEMMED.items)
_TOKENIZER, _, _CHARSET, _STOP, _STEMMER = STEMMED.items
_PATTERN = _TOKENIZER.expression.finditer
_CHARMAP = _CHARSET.charmap
_STOPS, _SHORTEST, _LONGEST = _STOP.stops, _STOP.min, _STOP.max
_STEM, _NOT_STEMMED = (_STEMMER._stem if _STEMMER.lang else _STEMMER.stemfn), _STEMMER.ignore
_STEMS: dict[str, str] = {}
_STEMS_KEPT = 200_000
# Whether the character map leaves lower-case ASCII as it is (it does in the pinned Whoosh).
_ASCII_KEPT = all(_CHARMAP.get(ord(c), c) == c for c in map(chr, range(128)) if not c.isupper())


def vocabulary(texts: Iterable[str]) -> set[str]:
    """The distinct words ``UNSTEMMED`` makes of ``texts``: an article's spelling vocabulary.
    Each distinct word of the text is lower-cased and folded once, rather than every word
    through the chain (tests/test_properties.py checks that the two always agree)."""
    found = {match.group(0) for text in texts for match in _UNSTEMMED_PATTERN(text)}
    lowered = {word.lower() for word in found}
    if _ASCII_KEPT:
        return {word if word.isascii() else word.translate(_UNSTEMMED_CHARMAP) for word in lowered}
    return {word.translate(_UNSTEMMED_CHARMAP) for word in lowered}


_UNSTEMMED_TOKENIZER, _, _UNSTEMMED_CHARSET = UNSTEMMED.items
_UNSTEMMED_PATTERN = _UNSTEMMED_TOKENIZER.expression.finditer
_UNSTEMMED_CHARMAP = _UNSTEMMED_CHARSET.charmap


KIND_ARTICLE = "article"
KIND_PASSAGE = "passage"
KIND_WORDS = "words"
KIND_FILE = "file"
KIND_META = "meta"
META_KEY = "meta"

# The fields a user names in a query (``title:rafah``) and the field each maps to per mode.
ARTICLE_FIELDS = {"title": "title", "section": "section", "caption": "caption", "body": "body"}
PASSAGE_FIELDS = {"title": "p_title", "section": "p_section", "caption": "p_caption", "body": "p_body"}
# Fields every query may name, whatever the mode.
SHARED_FIELDS = ("source", "date", "tags")
SPELLING_FIELD = "words"
NAMES_FIELD = "names"
# The fields whose documents ``has`` counts: every text field a query can score.
COUNTED_FIELDS = (*ARTICLE_FIELDS.values(), *PASSAGE_FIELDS.values())
HAS_FIELD = "has"


def build_schema() -> Schema:
    text = {name: TEXT(analyzer=STEMMED) for name in COUNTED_FIELDS}
    return Schema(
        kind=ID(stored=True),
        key=ID(unique=True, stored=True, sortable=True),
        id=STORED(),  # the article's id, for results (articles are looked up by ``key``)
        path=ID(stored=True),
        words=TEXT(analyzer=COUNTED, phrase=False),
        names=TEXT(analyzer=COUNTED, phrase=False),
        source=TEXT(analyzer=UNSTEMMED),
        tags=KEYWORD(commas=True, lowercase=True),
        # Undated articles sort as 0, so "newest first" lists them last (Whoosh's default is the
        # largest value, which put them first).
        date=DATETIME(sortable=NumericColumn("Q", default=0)),
        # Facet counts (``query --json`` "facets"): the source as written, and the date's month.
        source_name=ID(sortable=True),
        month=ID(sortable=True),
        data=STORED(),
        # Wire copies (README, "Wire copies folded"; ``copies``): an article's band keys, found by
        # its copies as they are added; its copy group, a column each result is folded by; its sketch.
        bands=KEYWORD(),
        copygroup=ID(stored=True, sortable=True),
        sketch=STORED(),
        has=KEYWORD(),  # the names of the document's non-empty COUNTED_FIELDS, space-separated
        **text,
    )
