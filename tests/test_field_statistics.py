"""Field length statistics count only the documents that have the field (README, "Ranking").

BM25 scores a match by the word's idf, its count in the field, and the field's length against
the field's average length. Here every body is eight words long, and the one caption (and the
one subheading) is the only one of its kind, so each of them is exactly as long as its field's
average: a word found once in any of them, and in no other document's same field, must score
the same whether it is in a caption, a subheading or a body, in articles and in passages alike.
Averaging a caption's length over every article, most of which have none, made it look many
times longer than average, and it scored next to nothing.

The statistics come from the index, so they must follow incremental updates: after adding,
changing or removing the captioned file, scores are those of an index rebuilt from the same
corpus.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from newssearch.cli import app
from newssearch.engines.whoosh.schema import STEMMED

# Few captionless articles are needed: the caption's old average length was its own divided by
# the number of articles, so already at 60 it looked 60 times longer than average.
FILLER_ARTICLES = 60
FILLER = ["market", "council", "ferry", "budget", "train", "river", "festival", "museum", "bridge", "clinic"]
WORDS_PER_BODY = 8

CAPTION = "Waves break over market wall while strikers watch"  # "market" is in most bodies too
BODY_WITH_WAVES = "Residents watched waves crash along promenade until midnight"
HEADING = "Gale warnings for coastal towns"
STOP_WORDS_CAPTION = "As it is"  # no word left after analysis: a caption of length 0


def _filler(n: int) -> str:
    return " ".join(FILLER[(n + i) % len(FILLER)] for i in range(WORDS_PER_BODY))


def _news() -> list[dict[str, object]]:
    """Articles with eight-word bodies and no caption words: fillers, one body with "waves" and
    "promenade", one whose caption is stop words only, and one whose body is a section under a
    subheading."""
    articles: list[dict[str, object]] = [
        {"id": f"filler-{n}", "title": f"Report {n}", "body": _filler(n)} for n in range(FILLER_ARTICLES)
    ]
    articles.append({"id": "coast", "title": "Coast", "body": BODY_WITH_WAVES})
    articles.append({"id": "quiet", "title": "Quiet", "body": _filler(4), "captions": [STOP_WORDS_CAPTION]})
    articles.append({"id": "gale", "title": "Gale", "body": "", "sections": [{"heading": HEADING, "text": _filler(2)}]})
    return articles


def _photos(caption: bool = True) -> list[dict[str, object]]:
    """One article with an eight-word body and, unless told otherwise, the one caption."""
    return [{"id": "storm", "title": "Storm", "body": _filler(3), **({"captions": [CAPTION]} if caption else {})}]


def _write(path: Path, articles: list[dict[str, object]]) -> None:
    path.write_text("".join(json.dumps(a) + "\n" for a in articles), encoding="utf-8")


def _length(text: str) -> int:
    """A text's length as the index counts it: its words after analysis."""
    return sum(1 for _ in STEMMED(text, mode="index"))


def test_the_fixture_holds_what_the_comparisons_assume() -> None:
    """Every body, every section's text and the caption are equally long (an article's body is
    all its paragraphs: the article with a subheading has no lead); each field query's word is
    in one text only (and "waves" in the caption and one body, which the passages test checks)."""
    articles = [*_news(), *_photos()]
    bodies = [str(a["body"]) for a in articles if a["body"]]
    bodies += [s["text"] for a in articles for s in a.get("sections", [])]  # type: ignore[attr-defined]
    assert {_length(b) for b in bodies} == {_length(CAPTION)} == {WORDS_PER_BODY}
    assert _length(STOP_WORDS_CAPTION) == 0
    texts = [*bodies, CAPTION, HEADING]
    for word in ("strikers", "promenade", "gale"):
        assert sum(word in t.lower() for t in texts) == 1, word


@pytest.fixture(scope="module")
def corpus_index(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One index, built by `newssearch index`, of the news file and the captioned file."""
    folder = tmp_path_factory.mktemp("fields")
    (folder / "corpus").mkdir()
    _write(folder / "corpus" / "news.jsonl", _news())
    _write(folder / "corpus" / "photos.jsonl", _photos())
    result = _invoke("index", "--corpus", str(folder / "corpus"), "--index", str(folder / "index"))
    assert result.exit_code == 0, result.stderr
    return folder / "index"


def _invoke(*args: str) -> Result:
    return CliRunner().invoke(app, list(args), catch_exceptions=False)


def _scores(index: Path, query: str, *options: str) -> list[tuple[str, str | None, float]]:
    """(title, passage kind, score) of every result, best first."""
    result = _invoke("query", query, "--index", str(index), "--json", "--limit", "100", *options)
    assert result.exit_code in (0, 1), result.stderr
    return [(r["title"], r.get("kind"), r["score"]) for r in json.loads(result.stdout)["results"]]


def test_a_caption_passage_scores_like_a_body_passage_of_its_length(corpus_index: Path) -> None:
    """The user's report: with many captionless articles, a caption that says "waves" scored 0.01
    and a body sentence that says it 2.91."""
    found = _scores(corpus_index, "waves", "--passages")
    assert sorted((title, kind) for title, kind, _ in found) == [("Coast", "body"), ("Storm", "caption")]
    assert found[0][2] == found[1][2] > 0


@pytest.mark.parametrize("passages", [False, True], ids=["articles", "passages"])
@pytest.mark.parametrize("query", ["caption:strikers", "section:gale"])
def test_a_caption_or_subheading_match_scores_like_a_body_match(corpus_index: Path, query: str, passages: bool) -> None:
    options = ("--passages",) if passages else ()
    (field_hit,) = _scores(corpus_index, query, *options)
    (body_hit,) = _scores(corpus_index, "body:promenade", *options)
    assert field_hit[2] == body_hit[2] > 0


@pytest.mark.parametrize("passages", [False, True], ids=["articles", "passages"])
def test_a_word_common_in_the_bodies_is_as_common_in_a_caption(corpus_index: Path, passages: bool) -> None:
    """The idf of a word in a caption or subheading counts the documents that have it in the
    body too. Counted in its own field only, "market", which most bodies and the one caption
    say, would be as rare in captions as "waves", and every caption that says it would come
    first. Every body that says it is as long as the caption and says it once."""
    options = ("--passages",) if passages else ()
    (caption_hit,) = _scores(corpus_index, "caption:market", *options)
    body_scores = {score for _, _, score in _scores(corpus_index, "body:market", *options)}
    assert body_scores == {caption_hit[2]}


UPDATE_QUERIES = [
    ("waves", "--passages"),
    ("caption:strikers",),
    ("caption:strikers", "--passages"),
    ("body:promenade",),
    ("market OR promenade OR waves",),
]


def test_statistics_follow_incremental_updates(cli: Callable[..., Result], tmp_path: Path) -> None:
    """Adding the captioned file, changing it to have no caption, and removing it give the scores
    of an index rebuilt from the same corpus."""
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    _write(corpus / "news.jsonl", _news())
    assert cli("index").exit_code == 0

    def same_as_rebuilt() -> None:
        assert cli("index", "--index", "rebuilt", "--rebuild").exit_code == 0
        for query, *options in UPDATE_QUERIES:
            updated = _scores(tmp_path / "index", query, *options)
            assert updated == _scores(tmp_path / "rebuilt", query, *options), (query, options)

    for step in ("add", "change", "remove"):
        if step == "remove":
            (corpus / "photos.jsonl").unlink()
        else:
            _write(corpus / "photos.jsonl", _photos(caption=step == "add"))
        result = cli("index", "--json")
        assert result.exit_code == 0
        assert json.loads(result.stdout)["rebuilt"] is False
        same_as_rebuilt()
