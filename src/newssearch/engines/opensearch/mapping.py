"""The OpenSearch index: its analysis (mirroring the embedded engine's), its fields and its
version — the one place that defines what newssearch keeps on a cluster (README, "Past one
machine").

One physical index (``NAME-<time>``, found through the alias ``NAME``) holds four kinds of
document, told apart by ``kind``, as the embedded index does:

- ``article``: ``title``, ``section`` (its subheadings), ``caption``, ``body``, each analyzed as
  the embedded engine analyzes them (``news``: words, case and accents folded, stop words and
  words of one letter dropped, English stems), each with an unstemmed subfield ``plain`` that
  ``prefix*``, ``wild*card`` and ``fuzzy~`` are matched against; ``words``, every part's words
  unstemmed, the vocabulary "did you mean" draws on; ``data``, the whole article (not indexed)
  that ``show`` and the snippets read;
- ``passage``: one section or caption of an article, for ``--passages``, in ``p_*`` fields, so
  that their length statistics stay apart from the articles';
- ``file``: a corpus file's manifest entry; ``meta``: the committed generation, the corpus
  folder, the time of the last update and this module's ``SCHEMA_VERSION``.

Every article, passage and file document carries ``born``, the generation of the update that
wrote it, and ``dies``, that of the update that removed it: a search sees a document when
``born <= committed < dies``, so an update is visible all at once when its ``meta`` document is
written (``writer``).
"""

from __future__ import annotations

from typing import Any

from newssearch.models import COPIES_LISTED

SCHEMA_VERSION = 3

KIND_ARTICLE = "article"
KIND_PASSAGE = "passage"
KIND_FILE = "file"
KIND_META = "meta"
META_ID = "meta"

ARTICLE_FIELDS = {"title": "title", "section": "section", "caption": "caption", "body": "body"}
PASSAGE_FIELDS = {"title": "p_title", "section": "p_section", "caption": "p_caption", "body": "p_body"}
TEXT_FIELDS = frozenset({*ARTICLE_FIELDS.values(), *PASSAGE_FIELDS.values()})
SPELLING_FIELD = "words"
NAMES_FIELD = "names"
# Wire copies (README, "Wire copies folded"; ``copies.Grouping``): an article's band keys, its copy
# group (results are collapsed on it) and its sketch (kept, not indexed).
BANDS_FIELD, GROUP, SKETCH = "bands", "copygroup", "sketch"
PLAIN = "plain"  # the unstemmed subfield of each text field

# The embedded engine's analysis (Whoosh's RegexTokenizer, LowercaseFilter, CharsetFilter with its
# accent map, StopFilter with its list and minimum length 2, StemFilter's Porter stemmer), in
# OpenSearch's own tokenizer and filters. tests/test_opensearch_engine.py compares the two on the
# seed and on hostile text.
TOKEN_PATTERN = r"[\w*]+(\.?[\w*]+)*"
STOP_WORDS = (  # fmt: skip
    "a",
    "an",
    "and",
    "are",
    "as",
    "at",
    "be",
    "by",
    "can",
    "for",
    "from",
    "have",
    "if",
    "in",
    "is",
    "it",
    "may",
    "not",
    "of",
    "on",
    "or",
    "tbd",
    "that",
    "the",
    "this",
    "to",
    "us",
    "we",
    "when",
    "will",
    "with",
    "yet",
    "you",
    "your",
)
ANALYZER = "news"  # stemmed: what every text field indexes and a word is searched as
PLAIN_ANALYZER = "news_plain"  # unstemmed: the plain subfields, source and the spelling vocabulary
FOLD_ANALYZER = "news_fold"  # a whole pattern (``Crossin*``) folded as the plain subfields are

ANALYSIS: dict[str, Any] = {
    "tokenizer": {
        "news_words": {"type": "pattern", "pattern": TOKEN_PATTERN, "group": 0, "flags": "UNICODE_CHARACTER_CLASS"}
    },
    "filter": {
        "news_length": {"type": "length", "min": 2},
        "news_stop": {"type": "stop", "stopwords": list(STOP_WORDS)},
    },
    "analyzer": {
        ANALYZER: {
            "type": "custom",
            "tokenizer": "news_words",
            "filter": ["lowercase", "asciifolding", "news_length", "news_stop", "porter_stem"],
        },
        PLAIN_ANALYZER: {"type": "custom", "tokenizer": "news_words", "filter": ["lowercase", "asciifolding"]},
        FOLD_ANALYZER: {"type": "custom", "tokenizer": "keyword", "filter": ["lowercase", "asciifolding"]},
    },
    "normalizer": {"news_lower": {"type": "custom", "filter": ["lowercase"]}},
}


def _text(*, copy_to_words: bool) -> dict[str, Any]:
    field: dict[str, Any] = {
        "type": "text",
        "analyzer": ANALYZER,
        "fields": {PLAIN: {"type": "text", "analyzer": PLAIN_ANALYZER}},
    }
    if copy_to_words:
        field["copy_to"] = SPELLING_FIELD
    return field


MAPPINGS: dict[str, Any] = {
    "dynamic": "strict",
    "properties": {
        "kind": {"type": "keyword"},
        "key": {"type": "keyword"},  # an article's id; a passage's id:sNNN / id:cNNN; a file's path
        "id": {"type": "keyword"},
        "path": {"type": "keyword"},
        "born": {"type": "long"},
        "dies": {"type": "long"},
        **{name: _text(copy_to_words=True) for name in ARTICLE_FIELDS.values()},
        **{name: _text(copy_to_words=False) for name in PASSAGE_FIELDS.values()},
        SPELLING_FIELD: {"type": "text", "analyzer": PLAIN_ANALYZER},
        NAMES_FIELD: {"type": "keyword"},  # an article's names as ``key=word`` (``names.name_terms``)
        BANDS_FIELD: {"type": "keyword"},
        GROUP: {"type": "keyword"},
        SKETCH: {"type": "binary"},
        "source": {"type": "text", "analyzer": PLAIN_ANALYZER},
        "source_name": {"type": "keyword"},
        "tags": {"type": "keyword", "normalizer": "news_lower"},
        "date": {"type": "date", "format": "strict_date_optional_time"},
        "month": {"type": "keyword"},
        "data": {"type": "object", "enabled": False},  # kept, never indexed
    },
}

# A page deeper than Lucene's default window (10,000) is still a page: --offset 20000 works.
MAX_RESULT_WINDOW = 1_000_000
ANALYZE_MAX_TOKENS = 200_000


def index_body(shards: int, replicas: str) -> dict[str, Any]:
    """The settings and mappings of a new physical index."""
    return {
        "settings": {
            "index": {
                "number_of_shards": shards,
                "auto_expand_replicas": replicas,
                "max_result_window": MAX_RESULT_WINDOW,
                # A result's copies come as inner hits of its collapsed group, itself included.
                "max_inner_result_window": COPIES_LISTED + 1,
                # The snippets of a page are analyzed in one request (``translate.Analysis``).
                "analyze": {"max_token_count": ANALYZE_MAX_TOKENS},
                # BM25 as the embedded engine's (k1 1.2, b 0.75: Whoosh's and Lucene's defaults).
                "similarity": {"default": {"type": "BM25", "k1": 1.2, "b": 0.75}},
            },
            "analysis": ANALYSIS,
        },
        "mappings": MAPPINGS,
    }
