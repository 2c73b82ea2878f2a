"""Properties (Hypothesis): whatever the articles and the query, search finds what it should and
fails only with a message. Indexes live in module-scoped folders and are reused across examples.
"""

from __future__ import annotations

import json
from pathlib import Path

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from conftest import fresh_folder
from newssearch.cli import app
from newssearch.errors import QuerySyntaxError
from newssearch.formats import read_bytes
from newssearch.indexer import update_index
from newssearch.models import Hit, SearchRequest
from newssearch.searcher import search, stats

SEED = Path(__file__).resolve().parent.parent / "corpus" / "000_f49d05269f99023b.txt"

SETTINGS = settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])


# --------------------------------------------------------------------------- every article is found

# Filler words: real words, no stop words. Unique words: consonants only (no s, no y), which
# neither the stemmer nor the stop list touches, prefixed so that they are never filler.
FILLER = [
    "harbour", "council", "minister", "river", "market", "drought", "tunnel", "convoy", "ferry",
    "vaccine", "election", "bridge", "factory", "pipeline", "glacier", "festival", "railway", "senate",
]  # fmt: skip
unique_word = st.text("bcdfghjklmnpqrtvwxz", min_size=3, max_size=8).map(lambda w: "zq" + w)
filler_text = st.lists(st.sampled_from(FILLER), min_size=1, max_size=12).map(" ".join)
odd_text = st.text(
    st.characters(blacklist_categories=("Cs", "Cc"), blacklist_characters="\u2028\u2029\x85"), max_size=40
)


@st.composite
def article_files(draw: st.DrawFn) -> list[tuple[str, str]]:
    """Files of one article each: (unique word, file text). The word goes in the title, a
    paragraph, a subheading or a caption line, among filler and arbitrary text."""
    words = draw(st.lists(unique_word, min_size=1, max_size=6, unique=True))
    files = []
    for word in words:
        title = f"{draw(filler_text).capitalize()} report"
        paragraphs = [f"{draw(filler_text).capitalize()} {draw(odd_text)}." for _ in range(draw(st.integers(0, 3)))]
        where = draw(st.sampled_from(["title", "body", "heading", "caption"]))
        if where == "title":
            title = f"{title} {word}"
        elif where == "body":
            paragraphs.insert(
                draw(st.integers(0, len(paragraphs))), f"The {draw(filler_text)} {word} {draw(filler_text)}."
            )
        elif where == "heading":
            paragraphs += [f"Harbour {word} Update", f"The {draw(filler_text)} went on."]
        else:
            paragraphs.append(f"A {draw(filler_text)} near the {word} bridge (AP)")
        blank = draw(st.sampled_from(["\n\n", "\n", "\n\u00a0\n", "\n \n\n"]))
        files.append((word, title + "\n\n" + blank.join(paragraphs) + "\n"))
    return files


@SETTINGS
@given(files=article_files())
def test_every_article_is_found_by_its_unique_word(scratch: Path, files: list[tuple[str, str]]) -> None:
    folder = fresh_folder(scratch)
    for n, (_, text) in enumerate(files):
        (folder / "corpus" / f"{n:02d}.txt").write_text(text, encoding="utf-8")
    summary = update_index(folder / "corpus", folder / "index")
    assert summary.failed == 0
    assert summary.articles >= len(files)
    for n, (word, _) in enumerate(files):
        result = search(folder / "index", SearchRequest(text=word))
        assert [Path(hit.path).name for hit in result.results] == [f"{n:02d}.txt"], word
        (hit,) = result.results
        assert isinstance(hit, Hit)
        highlighted = [m.text[s:e].lower() for m in hit.matches for s, e in m.highlights]
        assert word in highlighted


# --------------------------------------------------------------------------- no query crashes

SYNTAX = ['"', "(", ")", "*", "?", "~", ":", "^", "-", "+", "[", "]", "{", "}", "\\", "/", " ", "'", "\u201c", "\u2019"]
TOKENS = [
    "rafah", "crossing", "gaza", "the", "AND", "OR", "NOT", "ANDNOT", "ANDMAYBE", "TO", "title:",
    "section:", "caption:", "body:", "source:", "date:", "tags:", "foo:", "2025", "2025-01-01", "~2",
    "T\u00fcrkiye", "Hayya\u2019s", "al-Batsh", "~/", "/9",
]  # fmt: skip
query_text = st.one_of(
    st.text(),
    st.lists(st.one_of(st.sampled_from(TOKENS), st.sampled_from(SYNTAX)), max_size=12).map("".join),
    st.lists(st.sampled_from(TOKENS), max_size=6).map(" ".join),
)


@SETTINGS
@example(text="ra~/5", any_words=False, passages=False, field=None)  # fuzzy prefix longer than the word
@given(
    text=query_text,
    any_words=st.booleans(),
    passages=st.booleans(),
    field=st.sampled_from([None, "title", "section", "caption", "body"]),
)
def test_no_query_text_raises_anything_but_a_syntax_error(
    seed_index_once: Path, text: str, any_words: bool, passages: bool, field: str | None
) -> None:
    request = SearchRequest(text=text, any_words=any_words, passages=passages, field=field, limit=5)
    try:
        result = search(seed_index_once, request)
    except QuerySyntaxError as exc:
        assert exc.message and "\n" not in exc.message
        return
    assert result.total >= len(result.results)
    for hit in result.results:
        snippets = (
            [(m.text, m.highlights) for m in hit.matches] if isinstance(hit, Hit) else [(hit.text, hit.highlights)]
        )
        for text, spans in snippets:
            for start, end in spans:
                assert 0 <= start < end <= len(text)


# --------------------------------------------------------------------------- no file crashes

LINES = [
    "", " ", "\u00a0", "\u200b", "TT", "Rafah Crossing", "- 'Limited reopening' -", "What comes next",
    "A gate at the crossing (Reuters)", "Photo (AP)", "(AP)", "What to know:", "\u201cA quote.\u201d",
    "Plain sentence here.", "[Reuters] [/b]", "\x1b[31m", "\ufeff", "\r",
]  # fmt: skip
structured = st.lists(st.sampled_from(LINES), max_size=30).map(lambda ls: "\n".join(ls).encode("utf-8"))
file_bytes = st.one_of(
    st.binary(max_size=2000),
    st.text(max_size=500).map(lambda t: t.encode("utf-8", "surrogatepass")),
    structured,
)


@SETTINGS
@given(data=file_bytes)
def test_read_bytes_never_crashes(data: bytes) -> None:
    read = read_bytes(data, "x.txt")
    for article in read.articles:
        assert article.line >= 1
        assert article.title.strip()
        for section in article.sections:
            assert section.line >= article.line
    if read.error:
        assert read.error.path == "x.txt" and read.error.reason


@SETTINGS
@given(data=file_bytes)
def test_update_index_never_crashes_on_file_contents(scratch: Path, data: bytes) -> None:
    folder = fresh_folder(scratch)
    (folder / "corpus" / "a.txt").write_text(
        "Harbour Strike Ends\n\nDockworkers in Mombasa returned to work.\n", encoding="utf-8"
    )
    (folder / "corpus" / "b.txt").write_bytes(data)
    summary = update_index(folder / "corpus", folder / "index")
    assert summary.failed <= 1
    assert all(p.path == "b.txt" for p in summary.problems)
    result = search(folder / "index", SearchRequest(text="mombasa"))
    assert "a.txt" in [Path(hit.path).name for hit in result.results]
    assert stats(folder / "index").articles == summary.articles


# --------------------------------------------------------------------------- every JSON line parses


@SETTINGS
@given(
    words=st.lists(
        st.sampled_from(["rafah", "crossing", "gaza", "hamas", "putin", "tunnel", "lifeline", "cemetery"]),
        min_size=1,
        max_size=3,
    ),
    flags=st.lists(st.sampled_from(["--any", "--passages"]), unique=True),
    limit=st.integers(1, 30),
    offset=st.integers(0, 5),
)
def test_every_jsonl_line_parses(
    seed_index_once: Path, words: list[str], flags: list[str], limit: int, offset: int
) -> None:
    args = ["query", " ".join(words), "--jsonl", "--index", str(seed_index_once), *flags]
    args += ["--limit", str(limit), "--offset", str(offset)]
    result = CliRunner().invoke(app, args, catch_exceptions=False)
    assert result.exit_code in (0, 1), result.stderr
    lines = result.stdout.splitlines()
    assert len(lines) <= limit
    for n, line in enumerate(lines):
        obj = json.loads(line)
        assert isinstance(obj, dict)
        assert obj["rank"] == offset + n + 1
        assert {"id", "title", "path", "line", "score"} <= set(obj)
        assert ("matches" in obj) != ("--passages" in flags)


@settings(max_examples=300, deadline=None)
@given(text=st.text(alphabet=st.characters(codec="utf-8"), max_size=200))
@example(text="Türkiye’s İstanbul STRASSE straße ÆON œuvre ﬁnancial U.S.A. 3.14 x*y ΣΑΣ the a I")
def test_the_snippet_analyzer_reads_text_as_the_index_does(text: str) -> None:
    """``schema.analyze`` (snippets, highlights) gives the words and offsets of the analyzer the
    text fields are indexed with, for any text."""
    from newssearch.engines.whoosh.schema import STEMMED, analyze
    from newssearch.models import Token

    assert list(analyze(text)) == [Token(t.text, t.startchar, t.endchar) for t in STEMMED(text, chars=True)]


@settings(max_examples=300, deadline=None)
@given(text=st.text(alphabet=st.characters(codec="utf-8"), max_size=200))
@example(text="The Türkiye’s İstanbul of STRASSE a straße ÆON the œuvre ﬁnancial U.S.A. 3.14 x*y ΣΑΣ the a I")
@example(text="the a of")
def test_the_indexed_positions_are_those_of_whooshs_analyzer(text: str) -> None:
    """``schema.positions`` (how an index writer finds a text field's words: ``patches``) gives
    the words and positions Whoosh's ``Positions`` format records with the text fields'
    analyzer, stop words renumbered as its ``StopFilter`` does, for any text."""
    from whoosh.formats import Positions

    from newssearch.engines.whoosh.schema import STEMMED, positions

    whooshs: dict[str, list[int]] = {}
    for t in STEMMED(text, positions=True, mode="index"):
        if not t.stopped:
            whooshs.setdefault(t.text, []).append(t.pos)
    assert positions(text) == whooshs
    assert list(positions(text)) == list(whooshs)  # in order of first appearance
    # And the values Whoosh's writer gets are the ones its own format makes.
    assert list(Positions().word_values(text, STEMMED, mode="index")) == [
        (w, len(at), float(len(at)), Positions().encode(at)) for w, at in whooshs.items()
    ]


@settings(max_examples=300, deadline=None)
@given(texts=st.lists(st.text(alphabet=st.characters(codec="utf-8"), max_size=120), max_size=4))
@example(texts=["Türkiye’s İstanbul STRASSE straße ÆON œuvre ﬁnancial", "U.S.A. 3.14 x*y ΣΑΣ the a I Türkiye"])
def test_the_spelling_vocabulary_is_the_words_the_unstemmed_analyzer_makes(texts: list[str]) -> None:
    """``schema.vocabulary`` (what "did you mean", ``prefix*`` and ``fuzzy~`` look words up in)
    is the set of words Whoosh's unstemmed analyzer makes of the texts, for any texts."""
    from newssearch.engines.whoosh.schema import UNSTEMMED, vocabulary

    assert vocabulary(texts) == {t.text for text in texts for t in UNSTEMMED(text)}
