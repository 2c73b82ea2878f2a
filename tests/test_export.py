"""The news-site export layout of ``.txt`` files (README, "Input formats"): articles, sections, captions
and their line numbers, checked against the shipped seed and small hand-written variations.

Every line number asserted for the seed was read off ``corpus/000_f49d05269f99023b.txt``
(``cat -n``); the hand-written files are in ``tests/fixtures/export/``.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import SEED
from newssearch.formats import read_bytes
from newssearch.formats.export import ParsedArticle, parse_text

EXPORT = Path(__file__).resolve().parent / "fixtures" / "export"

SEED_TEXT = SEED.read_text(encoding="utf-8")
SEED_LINES = SEED_TEXT.split("\n")


def fixture(name: str) -> str:
    return (EXPORT / name).read_text(encoding="utf-8")


def outline(article: ParsedArticle) -> list[tuple[str | None, int, list[int]]]:
    """(heading, line, paragraph lines) for every section, in order."""
    return [(s.heading, s.line, [p.line for p in s.paragraphs]) for s in article.sections]


def captions(article: ParsedArticle) -> list[tuple[int, str]]:
    return [(c.line, c.text) for c in article.captions]


@pytest.fixture(scope="module")
def seed() -> list[ParsedArticle]:
    return parse_text(SEED_TEXT)


# ---------------------------------------------------------------------------------------------
# The seed, in detail
# ---------------------------------------------------------------------------------------------

SEED_TITLES = [
    (1, "Russia and Iran Have a Troubled History Despite their Current Alliance"),
    (41, "Gazans Long for Reopening of \u2018Lifeline\u2019 Rafah Crossing"),
    (115, "The Rafah Crossing Is Gaza\u2019s Lifeline to the World and Could Open Soon"),
    (167, "Behind Israel\u2019s Recovery of Last Hostage Body in Gaza"),
]

# (heading, heading line — or first paragraph's line for the lead —, paragraph lines) per article.
SEED_OUTLINES = [
    [
        # Line 15, "What to know about the Russian-Iranian relationship:", is a paragraph.
        (None, 12, [12, 13, 14, 15]),
        ("Historic Rivals Become Allies", 16, [17, 18, 19, 20, 21]),
        ("Allies In Syrian Civil War In Bolstering Assad", 22, [23, 24]),
        ("How Russia And Iran Cooperate", 25, list(range(26, 35))),
        ("Healing Rifts, Lifting Suspicions", 35, [36, 37]),
    ],
    [
        (None, 52, list(range(52, 71, 2))),
        ("Limited reopening", 72, list(range(74, 91, 2))),  # from "- 'Limited reopening' -"
        ("Burning with anticipation", 92, list(range(94, 113, 2))),
    ],
    [
        (None, 126, [126, 128, 130, 132]),
        ("What comes next", 134, [136, 138, 140, 142, 144]),
        ("A lifeline for Gaza", 146, [148, 150, 152]),
        ("Questions about the future", 154, [156, 158, 160, 162, 164]),
    ],
    [
        # Lines 192 and 196 hold only a no-break space; 194 is a map caption between them.
        (None, 178, [178, 180, 182, 184, 186, 188, 190]),
        ("Not an Ordinary operation", 198, [200, 202]),
        ("Israeli objection to al-Qassam Brigades' involvement", 206, [208, 210, 212, 214, 216]),
        ("Near Khalil al-Hayya\u2019s Home", 218, [220, 222, 224]),
        ("How Was the Location Identified?", 226, [228, 230, 232, 234]),
        ("Hamas Calls for Enforcement of the Agreement", 240, [242, 244]),
    ],
]

# (line, credit the caption ends with) per article; the header caption is the first one.
SEED_CAPTIONS = [
    [(3, "(Hossein Zohrevand/Tasnim News Agency via AP, File)")],
    [(43, "(Reuters)")],
    [(117, "(AFP)")],
    [
        (169, "(Bring Them Home Now/Handout via REUTERS)"),
        (194, "(White House)"),
        (204, "(AP)"),
        (238, "(AP)"),
    ],
]


def test_seed_has_four_articles_at_their_headlines(seed: list[ParsedArticle]) -> None:
    assert [(a.line, a.title) for a in seed] == SEED_TITLES


@pytest.mark.parametrize("n", range(4))
def test_seed_sections_in_order_with_lines_and_paragraphs(seed: list[ParsedArticle], n: int) -> None:
    assert outline(seed[n]) == SEED_OUTLINES[n]


def test_seed_totals(seed: list[ParsedArticle]) -> None:
    assert [len(a.sections) for a in seed] == [5, 3, 4, 6]
    assert sum(len(a.sections) for a in seed) == 18
    assert [len(a.captions) for a in seed] == [1, 1, 1, 4]


@pytest.mark.parametrize("n", range(4))
def test_seed_captions_once_each_with_line_and_credit(seed: list[ParsedArticle], n: int) -> None:
    got = captions(seed[n])
    assert [line for line, _ in got] == [line for line, _ in SEED_CAPTIONS[n]]
    for (line, text), (_, credit) in zip(got, SEED_CAPTIONS[n], strict=True):
        assert text == SEED_LINES[line - 1].strip()
        assert text.endswith(credit)


def test_seed_header_caption_counted_once_though_printed_four_times(seed: list[ParsedArticle]) -> None:
    for article in seed:
        header = article.captions[0]
        printed = [i + 1 for i, line in enumerate(SEED_LINES) if line.strip() == header.text]
        assert len(printed) == 4
        assert header.line == printed[0]
        assert [c.text for c in article.captions].count(header.text) == 1


def test_seed_texts_are_the_lines_they_point_at(seed: list[ParsedArticle]) -> None:
    """Every paragraph is the whole, stripped text of the line it claims: no line is off by one."""
    for article in seed:
        assert SEED_LINES[article.line - 1].strip() == article.title
        for section in article.sections:
            for p in section.paragraphs:
                assert p.text == SEED_LINES[p.line - 1].strip()
            line = SEED_LINES[section.line - 1].strip()
            if section.heading is None:
                assert section.line == section.paragraphs[0].line
            else:
                assert line in (section.heading, f"- '{section.heading}' -")


def test_seed_artifacts_and_repeated_headline_are_not_content(seed: list[ParsedArticle]) -> None:
    for article in seed:
        texts = [c.text for c in article.captions]
        texts += [s.heading for s in article.sections if s.heading]
        texts += [p.text for s in article.sections for p in s.paragraphs]
        assert "TT" not in texts
        assert article.title not in texts
    # and the body starts after the header: nothing of the header block is a paragraph
    first_paragraphs = [a.sections[0].paragraphs[0].line for a in seed]
    assert first_paragraphs == [12, 52, 126, 178]


def test_seed_colon_line_is_a_paragraph_not_a_heading(seed: list[ParsedArticle]) -> None:
    line = "What to know about the Russian-Iranian relationship:"
    lead = seed[0].sections[0]
    assert lead.heading is None
    assert lead.paragraphs[-1].text == line
    assert all(s.heading != line for a in seed for s in a.sections)


def test_seed_dash_quoted_line_is_a_heading_without_its_dashes(seed: list[ParsedArticle]) -> None:
    assert SEED_LINES[72 - 1] == "- 'Limited reopening' -"
    assert SEED_LINES[92 - 1] == "- 'Burning with anticipation' -"
    headings = [(s.heading, s.line) for s in seed[1].sections]
    assert ("Limited reopening", 72) in headings
    assert ("Burning with anticipation", 92) in headings


def test_seed_question_is_a_heading(seed: list[ParsedArticle]) -> None:
    assert ("How Was the Location Identified?", 226) in [(s.heading, s.line) for s in seed[3].sections]


def test_seed_no_break_space_lines_do_not_split_the_last_article(seed: list[ParsedArticle]) -> None:
    assert SEED_LINES[192 - 1].strip(" ") == "\u00a0"
    assert SEED_LINES[196 - 1].strip(" ") == "\u00a0"
    last = seed[3]
    assert last.title == SEED_TITLES[3][1]
    # The map caption between the no-break-space lines, and everything after it, stay in article 4.
    assert (194, SEED_LINES[194 - 1].strip()) in captions(last)
    assert [s.heading for s in last.sections][-1] == "Hamas Calls for Enforcement of the Agreement"
    assert all(p.text.strip() for s in last.sections for p in s.paragraphs)  # no blank paragraph


# ---------------------------------------------------------------------------------------------
# Hand-written variations of the layout
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "second_title_line"),
    [
        ("two_articles_one_blank.txt", 15),  # a single blank line between the articles
        ("nbsp_separated.txt", 16),  # lines of no-break spaces between the articles
    ],
)
def test_articles_separated_by_one_blank_or_nbsp_lines(name: str, second_title_line: int) -> None:
    first, second = parse_text(fixture(name))
    assert (first.line, first.title) == (1, "Storm Hits the Northern Coast")
    assert captions(first) == [(3, "Waves break over the harbour wall in Bergen (Reuters)")]
    assert outline(first) == [(None, 12, [12, 13])]
    assert (second.line, second.title) == (second_title_line, "Floods Close Schools in the Valley")
    assert captions(second) == [(second_title_line + 2, "A classroom under a metre of water (AFP)")]
    assert outline(second) == [(None, second_title_line + 11, [second_title_line + 11, second_title_line + 12])]


def test_header_without_caption() -> None:
    (article,) = parse_text(fixture("no_header_caption.txt"))
    assert (article.line, article.title) == (1, "Parliament Passes the Budget")
    assert article.captions == []
    assert outline(article) == [(None, 7, [7, 8]), ("What changes in April", 10, [12, 13])]


def test_header_caption_without_credit_is_one_caption() -> None:
    (article,) = parse_text(fixture("caption_without_credit.txt"))
    assert article.title == "Harvest Festival Draws Record Crowds"
    assert captions(article) == [(3, "Dancers in traditional dress on the main square")]
    assert outline(article) == [(None, 12, [12, 13])]


def test_headings_lead_ins_quotes_and_body_captions() -> None:
    (article,) = parse_text(fixture("sections.txt"))
    assert outline(article) == [
        # "Here is what residents should know:" ends with a colon: a paragraph.
        (None, 12, [12, 13]),
        # A question is a heading; the caption at 17 does not end its section, so 20-22 stay in it;
        # the short quotation at 21 and the short sentence at 22 are paragraphs.
        ("What Happens Next?", 14, [15, 20, 21, 22]),
        ("Where to get help", 24, [26]),
    ]
    # The body caption is printed twice (17, 18) and is one caption.
    assert captions(article) == [
        (3, "Boats piled up on the quay at \u00c5lesund (AP)"),
        (17, "A flooded street in the old town (Reuters)"),
    ]


def test_plain_text_is_one_article_titled_by_its_first_line() -> None:
    (article,) = parse_text(fixture("plain.txt"))
    assert (article.line, article.title) == (3, "A Note on Sources")
    assert article.captions == []
    assert [p.text for s in article.sections for p in s.paragraphs] == [
        "This file was typed by hand and has no export header.",
        "It should still be one article.",
    ]
    assert article.sections[0].line == 5


def test_brackets_in_a_headline_are_kept_verbatim() -> None:
    (article,) = parse_text(fixture("brackets.txt"))
    assert article.title == "Oil Prices Rise [Reuters] as Supply Tightens"
    assert captions(article) == [(3, "Tankers anchored off Fujairah (Reuters)")]


@pytest.mark.parametrize(
    ("name", "titles"),
    [
        ("short_same_title.txt", [(1, "Morning Briefing"), (15, "Morning Briefing")]),
        ("short_no_caption.txt", [(1, "Parliament Passes the Budget"), (10, "Central Bank Holds Rates")]),
    ],
)
def test_short_article_is_not_confused_by_the_next_header(name: str, titles: list[tuple[int, str]]) -> None:
    """A one-paragraph article followed closely by the next header: its own repeated headline is
    header, never a subheading of its body (README, "Input formats": the headline is indexed once)."""
    first, second = parse_text(fixture(name))
    assert [(first.line, first.title), (second.line, second.title)] == titles
    for article in (first, second):
        assert [s.heading for s in article.sections] == [None]
        assert len(article.sections[0].paragraphs) == 1


@pytest.mark.parametrize("text", ["", "\n", "\n\n\n", "  \n\t\n", "\u00a0\n \u00a0 \n"])
def test_empty_or_blank_text_has_no_articles(text: str) -> None:
    assert parse_text(text) == []
    assert read_bytes(text.encode(), "blank.txt").articles == []


# ---------------------------------------------------------------------------------------------
# Bytes: line endings, encodings, binary data (read_bytes)
# ---------------------------------------------------------------------------------------------


def test_crlf_line_endings_give_the_same_articles_and_lines() -> None:
    crlf = SEED_TEXT.replace("\n", "\r\n").encode()
    lf = read_bytes(SEED.read_bytes(), SEED.name)
    got = read_bytes(crlf, SEED.name)
    assert got.error is None
    assert got.articles == lf.articles
    assert [a.line for a in got.articles] == [1, 41, 115, 167]
    assert not any("\r" in p.text for a in got.articles for s in a.sections for p in s.paragraphs)


def test_byte_order_mark_is_not_part_of_the_title() -> None:
    got = read_bytes(b"\xef\xbb\xbf" + (EXPORT / "plain.txt").read_bytes(), "bom.txt")
    assert [(a.line, a.title) for a in got.articles] == [(3, "A Note on Sources")]


def test_invalid_utf8_is_replaced_with_a_warning_and_the_article_kept() -> None:
    data = SEED.read_bytes().replace(b"His remains were brought back", b"His remains were \xff\xfe brought back")
    got = read_bytes(data, "sub/broken.txt")
    assert got.error is None
    assert [(w.path, w.level) for w in got.problems] == [("sub/broken.txt", "warning")]
    assert [(a.line, a.title) for a in got.articles] == SEED_TITLES
    (paragraph,) = [p for s in got.articles[1].sections for p in s.paragraphs if p.text.startswith("His remains")]
    assert paragraph.line == 84
    assert "\ufffd" in paragraph.text


@pytest.mark.parametrize(
    "data",
    [
        b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00",
        b"Looks Like a Title\n\nthen\x00\x00\x00 binary\n",
    ],
)
def test_binary_data_is_an_error_with_the_path_and_no_articles(data: bytes) -> None:
    got = read_bytes(data, "photos/image.txt")
    assert got.articles == []
    assert got.error is not None
    assert got.error.path == "photos/image.txt"
    assert got.error.reason


# ---------------------------------------------------------------------------------------------
# Stable ids
# ---------------------------------------------------------------------------------------------


def test_ids_are_stable_across_parses_and_other_files() -> None:
    first = [a.id for a in read_bytes(SEED.read_bytes(), SEED.name).articles]
    read_bytes((EXPORT / "sections.txt").read_bytes(), "sections.txt")  # another file in between
    again = [a.id for a in read_bytes(SEED.read_bytes(), SEED.name).articles]
    assert first == again
    assert len(set(first)) == 4
    assert all(first)


def test_same_title_twice_in_one_file_gets_two_ids() -> None:
    articles = read_bytes((EXPORT / "same_title_twice.txt").read_bytes(), "same_title_twice.txt").articles
    assert [(a.line, a.title) for a in articles] == [(1, "Morning Briefing"), (20, "Morning Briefing")]
    assert articles[0].id != articles[1].id
    assert [c.line for c in articles[0].captions] == [3]
    assert [c.line for c in articles[1].captions] == [22]


def test_same_article_in_two_files_gets_two_ids() -> None:
    data = (EXPORT / "brackets.txt").read_bytes()
    (a,) = read_bytes(data, "a/oil.txt").articles
    (b,) = read_bytes(data, "b/oil.txt").articles
    assert (a.path, b.path) == ("a/oil.txt", "b/oil.txt")
    assert a.id != b.id
