"""The query tree every engine translates (``newssearch.querytree``): how query text is read,
and that the embedded engine's translation of it is the query Whoosh's own parser makes of the
same text (newssearch read queries with that parser before the tree existed)."""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import Result
from whoosh import qparser
from whoosh import query as wq

import newssearch.engines.whoosh  # noqa: F401  (installs the Whoosh patches first)
from newssearch.engines.whoosh import parse, ranking
from newssearch.engines.whoosh.schema import ARTICLE_FIELDS, PASSAGE_FIELDS
from newssearch.errors import NewsSearchError
from newssearch.querytext import parse_query
from newssearch.querytree import (
    And,
    AndMaybe,
    AndNot,
    Everything,
    Fuzzy,
    Not,
    Or,
    Phrase,
    Prefix,
    Range,
    Require,
    Wildcard,
    Word,
    parse_tree,
)


def w(text: str, field: str | None = None, boost: float = 1.0) -> Word:
    return Word(text, field, boost)


@pytest.mark.parametrize(
    ("text", "tree"),
    [
        ("rafah crossing", And((w("rafah"), w("crossing")))),
        # NOT binds tightest, then AND, then OR, then ANDNOT/ANDMAYBE; side by side comes last.
        ("a b OR c", And((w("a"), Or((w("b"), w("c")))))),
        ("a AND b OR c", And((Or((And((w("a"), w("b"))), w("c"))),))),
        ("a OR b AND c", And((Or((w("a"), And((w("b"), w("c"))))),))),
        ("NOT a b", And((Not(w("a")), w("b")))),
        ("a ANDNOT b c", And((AndNot(w("a"), w("b")), w("c")))),
        ("a ANDMAYBE b", And((AndMaybe(w("a"), w("b")),))),
        ("a REQUIRE b", And((Require(w("a"), w("b")),))),
        ("a AND b AND c", And((And((w("a"), w("b"), w("c"))),))),
        # + and - among the pieces beside them, at any depth.
        ("rafah -egypt", AndNot(And((w("rafah"),)), Or((w("egypt"),)))),
        ("a +b", AndMaybe(And((w("b"),)), And((w("a"),)))),
        ("x (gaza -egypt)", And((w("x"), AndNot(And((w("gaza"),)), Or((w("egypt"),)))))),
        ("al-Batsh US-brokered", And((w("al-Batsh"), w("US-brokered")))),  # a hyphen inside is a word's
        # Fields, boosts, phrases, patterns, ranges.
        ("title:rafah", And((w("rafah", "title"),))),
        ("title:(rafah gaza)", And((And((w("rafah", "title"), w("gaza", "title"))),))),
        ("source:bbc news", And((w("bbc", "source"), w("news")))),
        ("10:30 said: that", And((w("10:30"), w("said:"), w("that")))),  # not fields
        ("rafah^2", And((w("rafah", boost=2.0),))),
        ('"gaza aid"~5', And((Phrase("gaza aid", None, 5),))),
        ('caption:"the strike"^0.5', And((Phrase("the strike", "caption", 1, 0.5),))),
        ("cross* ra*h", And((Prefix("cross"), Wildcard("ra*h")))),
        ("rafha~ rafha~2 rafha~2/1", And((Fuzzy("rafha"), Fuzzy("rafha", None, 2), Fuzzy("rafha", None, 2, 1)))),
        ("date:[2025 TO 2025-06]", And((Range("2025", "2025-06", field="date"),))),
        ("date:{2025 TO]", And((Range("2025", None, True, False, "date"),))),
        ("title:* *:*", And((Wildcard("*", "title"), Everything()))),
    ],
)
def test_query_text_is_read_into_this_tree(text: str, tree: object) -> None:
    assert parse_tree(text) == tree


def test_any_words_joins_the_pieces_with_or() -> None:
    assert parse_tree("rafah crossing", any_words=True) == Or((w("rafah"), w("crossing")))


# -- The embedded engine's translation against Whoosh's own parser ------------------------------


def _whoosh_parser(
    text: str, weights: dict[str, float], any_words: bool, field: str | None, passages: bool
) -> wq.Query:
    """Whoosh's query parser with the plugins newssearch used before it had a tree of its own."""
    names = PASSAGE_FIELDS if passages else ARTICLE_FIELDS
    parser = parse._Parser(None, parse._SCHEMA, group=qparser.OrGroup if any_words else qparser.AndGroup)
    parser.add_plugin(qparser.MultifieldPlugin([names[field]] if field else list(weights), fieldboosts=weights))
    parser.remove_plugin_class(qparser.SingleQuotePlugin)
    parser.add_plugin(qparser.FuzzyTermPlugin())
    parser.add_plugin(qparser.PlusMinusPlugin(plusexpr=r"(?<![^\s(])\+", minusexpr=r"(?<![^\s(])-"))
    parser.add_plugin(qparser.FieldAliasPlugin({real: [name] for name, real in names.items() if real != name}))
    return parser.parse(text.replace("?", " "))


def _translated(text: str, weights: dict[str, float], any_words: bool, field: str | None, passages: bool) -> wq.Query:
    names = PASSAGE_FIELDS if passages else ARTICLE_FIELDS
    defaults = {names[field]: weights.get(names[field], 1.0)} if field else dict(weights)
    parser = parse._Parser(None, parse._SCHEMA, group=qparser.OrGroup if any_words else qparser.AndGroup)
    tree = parse_query(text, any_words=any_words).tree()
    q = parse._Translation(parser, names, defaults).query(tree) if tree is not None else None
    return (q if q else wq.NullQuery).normalize()


_WORDS = ["rafah", "gaza", "the", "Crossings", "al-Batsh", "US-brokered", "Türkiye", "10:30", "it's", "a"]
_PIECES = [
    *("AND", "OR", "NOT", "ANDNOT", "ANDMAYBE", "REQUIRE", "(", ")", "-", "+"),
    *("title:", "body:", "caption:", "section:", "source:", "tags:", "date:", "*", "title:*", "*:*", "^2"),
    *('"rafah crossing"', '"the gaza"~3', "cross*", "ra*h", "rafha~", "rafha~2", "rafha~1/2", "^0.5"),
    *("date:2025", "date:[2025 TO 2026]", "date:[2025 TO]", "{a TO b}", "[2025-01 TO 2025-06]", "Rafah?"),
]
_FIXED = [
    "rafah crossing", "Rafah?", "rafah OR egypt", "rafah -egypt", "rafah NOT egypt", "title:rafah gaza",
    '"rafah crossing"', '"gaza aid"~5', "cross*", "rafha~", "rafha~2", "date:[2025-01-01 TO 2025-12-31]",
    "source:reuters oil", "tags:politics", "(rafah OR gaza) AND crossing", "rafah^2 gaza", "the rafah of",
    "US-brokered al-Batsh", "why did the ferry stop at the quay", "NOT egypt rafah", "a AND b OR c ANDNOT d",
]  # fmt: skip


def _queries() -> list[str]:
    rng = random.Random(20261207)
    made = [
        "".join(
            (rng.choice(_WORDS) if rng.random() < 0.5 else rng.choice(_PIECES)) + rng.choice(["", " ", " ", " "])
            for _ in range(rng.randint(1, 7))
        ).strip()
        for _ in range(1500)
    ]
    return _FIXED + made


@pytest.mark.parametrize(
    ("any_words", "field", "passages"),
    [(False, None, False), (True, None, False), (False, "title", False), (False, None, True), (True, None, True)],
    ids=["all", "any", "in-title", "passages", "any-passages"],
)
def test_the_embedded_engine_reads_every_query_as_whooshs_parser_did(
    any_words: bool, field: str | None, passages: bool
) -> None:
    weights = ranking.weights(passages=passages, question=any_words)
    compared = 0
    for raw in _queries():
        try:
            text = parse_query(raw, any_words=any_words).text  # only checked text reaches a parser
        except NewsSearchError:
            continue
        try:
            expected = _whoosh_parser(text, weights, any_words, field, passages)
        except Exception:  # Whoosh's parser failed: the user was told it could not be read
            continue
        assert _translated(text, weights, any_words, field, passages) == expected, text
        compared += 1
    assert compared > 700


def test_an_exclusion_inside_parentheses_leaves_out_within_them(cli: Callable[..., Result], seed_corpus: Path) -> None:
    """Every seed article with "rafah" and "crossing" also says "hostage": leaving it out
    inside the parentheses leaves no article with all the words (Whoosh's parser could not read
    this query; a dropped or required "-hostage" would find three)."""
    assert cli("index").exit_code == 0
    found = cli("query", "rafah (crossing -hostage)", "--json")
    assert found.exit_code == 0, found.stderr
    assert json.loads(found.stdout)["relaxed"] is True
    assert json.loads(cli("query", "rafah crossing", "--json").stdout)["relaxed"] is False


def test_parentheses_of_exclusions_alone_leave_out(cli: Callable[..., Result], seed_corpus: Path) -> None:
    """``rafah (-hostage)`` is ``rafah (NOT hostage)``: not ``rafah`` with the group dropped."""
    assert cli("index").exit_code == 0
    assert cli("query", "rafah (-hostage)").exit_code == 1  # every Rafah article says "hostage"
    assert json.loads(cli("query", "rafah (-zzyzx)", "--json").stdout)["total"] == 3


@pytest.mark.parametrize("text", ["NOT egypt", "-egypt", "(NOT egypt)"])
def test_a_query_that_only_leaves_out_is_refused_before_the_index_is_opened(
    cli: Callable[..., Result], text: str
) -> None:
    result = cli("query", "--index", "nowhere", "--", text)
    assert result.exit_code == 2
    assert "only leaves articles out" in result.stderr


def test_a_query_of_common_words_says_only_that(cli: Callable[..., Result], seed_corpus: Path) -> None:
    assert cli("index").exit_code == 0
    result = cli("query", "the or a")
    assert result.exit_code == 1
    assert "too common" in result.stderr and "OR in capitals" not in result.stderr
