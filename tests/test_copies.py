"""Wire copies (newssearch.copies): a story and its copies with another headline, a dateline or
byline, a trimmed last paragraph or a few corrected words are copies and share a band key;
different stories on one subject — a market report of another day — are not."""

from __future__ import annotations

import gzip
import json

import pytest

from conftest import SHARED_DATA
from newssearch.copies import MIN_SHINGLES, Grouping, Member, Sketch, bands, is_copy, similarity, sketch
from newssearch.models import Article, Paragraph, Section

STORY = [
    "Brazil's coffee exporters have registered 1.2 million bags for shipment in March, the Brazilian "
    "Coffee Institute said, against 940,000 bags registered in the same month a year ago, as growers "
    "sold stocks held back during the long dispute over the minimum export price.",
    "Traders in Santos said the institute's decision to reopen registrations at the end of February "
    "had released a backlog of contracts, and that most of the coffee was bound for the United States "
    "and West Germany, where roasters had run their own stocks down to a few weeks of use.",
    "The institute said it would review the export quota system at a meeting of the coffee council "
    "in Rio de Janeiro next month, but gave no sign that it intended to change the price, which "
    "exporters say is still well above what buyers in New York are willing to pay.",
    "Brazil is the world's largest coffee producer, and its exports earned the country 2.1 billion "
    "dlrs last year, down from 2.6 billion dlrs in 1985, according to figures from the central bank.",
]

# One template, two days: the same words but the figures and the day.
REPORT_MONDAY = [
    "The Bank of England said it had provided the money market with 120 mln stg assistance in the "
    "afternoon session on Monday, bringing its total help so far today to 315 mln stg.",
    "This compares with the bank's revised estimate of a 400 mln stg shortage in the system, which "
    "it had earlier forecast at 350 mln stg before taking into account its morning operations.",
    "The central bank bought bills outright in band two at 9-3/8 pct and in band three at 9-5/16 pct, "
    "dealers said, and made no change to its dealing rates.",
]
REPORT_TUESDAY = [
    "The Bank of England said it had provided the money market with 215 mln stg assistance in the "
    "afternoon session on Tuesday, bringing its total help so far today to 480 mln stg.",
    "This compares with the bank's revised estimate of a 550 mln stg shortage in the system, which "
    "it had earlier forecast at 500 mln stg before taking into account its morning operations.",
    "The central bank bought bills outright in band two at 9-7/16 pct and in band three at 9-3/8 pct, "
    "dealers said, and made no change to its dealing rates.",
]


def copy_with(edit: str) -> list[str]:
    if edit == "dateline":
        return [f"SAO PAULO, March 3 (Reuters) - {STORY[0]}", *STORY[1:]]
    if edit == "byline":
        return ["By Jane Doe, Reuters", *STORY]
    if edit == "trimmed":
        return STORY[:-1]
    if edit == "corrected":
        fixed = STORY[1].replace("Santos", "Sao Paulo").replace("reopen", "resume")
        return [STORY[0], fixed, STORY[2].replace("next month", "in April"), STORY[3]]
    if edit == "accents":
        return [p.replace("Sao Paulo", "São Paulo").replace("Brazil's", "Brazil\u2019s") for p in STORY]
    raise ValueError(edit)


EDITS = ["dateline", "byline", "trimmed", "corrected", "accents"]


@pytest.mark.parametrize("edit", EDITS)
def test_a_story_and_its_edited_copy_are_copies(edit: str) -> None:
    original, copy = sketch(STORY), sketch(copy_with(edit))
    assert is_copy(original, copy) and is_copy(copy, original)
    assert similarity(original, copy) >= 0.9


@pytest.mark.parametrize("edit", EDITS)
def test_copies_share_a_band_key(edit: str) -> None:
    assert set(bands(sketch(STORY))) & set(bands(sketch(copy_with(edit))))


def test_a_new_headline_changes_nothing() -> None:
    # The title is not sketched: the caller passes the body only.
    assert sketch(STORY).to_bytes() == sketch(list(STORY)).to_bytes()


def test_the_same_report_on_another_day_is_not_a_copy() -> None:
    monday, tuesday = sketch(REPORT_MONDAY), sketch(REPORT_TUESDAY)
    assert not is_copy(monday, tuesday)
    assert is_copy(monday, sketch(["LONDON, March 2 - " + REPORT_MONDAY[0], *REPORT_MONDAY[1:]]))


def test_one_figure_changed_in_a_short_report_is_another_report() -> None:
    other_day = [REPORT_MONDAY[0], REPORT_MONDAY[1], REPORT_MONDAY[2].replace("9-3/8", "9-1/2")]
    assert similarity(sketch(REPORT_MONDAY), sketch(other_day)) >= 0.9  # the words alone say copy
    assert not is_copy(sketch(REPORT_MONDAY), sketch(other_day))


def test_another_story_on_the_same_subject_is_not_a_copy() -> None:
    other = [
        "Brazil's coffee exporters said they would press the Brazilian Coffee Institute to cut the "
        "minimum export price, which they blame for the loss of sales to Colombia and Central America.",
        "The exporters' association said in a statement that registrations for March shipment were "
        "running well below last year's, and that the institute's quota system had left the trade "
        "unable to compete for business in the United States.",
        "The institute is due to review the export quota system at a meeting of the coffee council in "
        "Rio de Janeiro next month.",
    ]
    assert not is_copy(sketch(STORY), sketch(other))
    assert similarity(sketch(STORY), sketch(other)) < 0.5


def test_a_story_is_not_a_copy_of_one_paragraph_of_it() -> None:
    longer = STORY + [p.replace("coffee", "cocoa") for p in STORY] + [p.replace("Brazil", "Ghana") for p in STORY]
    assert not is_copy(sketch(STORY[:1]), sketch(longer))


def test_sketches_round_trip_through_bytes() -> None:
    for paragraphs in (STORY, REPORT_MONDAY, [], ["Reuters will resume the service tomorrow."]):
        s = sketch(paragraphs)
        back = Sketch.from_bytes(s.to_bytes())
        assert back.to_bytes() == s.to_bytes()
        assert bands(back) == bands(s)
        assert (s.shingles == 0) or is_copy(back, s) == is_copy(s, s)
    assert len(sketch(STORY).to_bytes()) < 350


def test_short_flashes_and_empty_bodies_have_no_copies() -> None:
    flash = sketch(["Reuters will resume the service tomorrow."])
    assert 0 < flash.shingles < MIN_SHINGLES
    assert not is_copy(flash, flash)
    assert not is_copy(flash, sketch(["Reuters will resume the service on Monday."]))
    empty = sketch([])
    assert bands(empty) == [] and not is_copy(empty, empty) and similarity(empty, sketch(STORY)) == 0.0


def test_band_keys_are_short_terms() -> None:
    keys = bands(sketch(STORY))
    assert 1 <= len(keys) <= 16 and len(set(keys)) == len(keys)
    assert all(len(k) <= 16 and k.isascii() and " " not in k for k in keys)


def _article(article_id: str, paragraphs: list[str]) -> Article:
    section = Section(None, 1, tuple(Paragraph(text, n + 1) for n, text in enumerate(paragraphs)))
    return Article(article_id, "wire.jsonl", 1, "A headline", (section,), ())


class _Committed:
    """The index's articles as ``Grouping`` finds them, counting the sketches it reads."""

    def __init__(self, *articles: tuple[str, str, list[str]]) -> None:
        self.sketches = {key: sketch(paragraphs) for key, _, paragraphs in articles}
        self.groups = {key: group for key, group, _ in articles}
        self.read: list[str] = []

    def __call__(self, keys: list[str]) -> list[tuple[Member, list[str]]]:
        found = []
        for key, s in self.sketches.items():
            held = [k for k in bands(s) if k in keys]
            if held:
                found.append((Member(key, self.groups[key], lambda key=key: self._read(key)), held))
        return found

    def _read(self, key: str) -> bytes:
        self.read.append(key)
        return self.sketches[key].to_bytes()


def test_an_added_copy_joins_the_first_named_group_holding_a_copy() -> None:
    """Copies in two groups: the one whose name sorts first. A group holding no copy is passed
    over, whatever its name; and a group's sketches are read only until one is a copy."""
    # Half of it rewritten: it shares band keys with the story but is not a copy; its group sorts first.
    rewritten = STORY[:2] + [p.replace("Brazil", "Ghana").replace("the", "a") for p in STORY[2:]]
    committed = _Committed(
        ("rewritten", "a-story", rewritten),
        ("trimmed", "b-story", copy_with("trimmed")),
        ("byline", "b-story", copy_with("byline")),
        ("dateline", "c-story", copy_with("dateline")),
    )
    (grouped,) = Grouping(committed).assign([_article("new", STORY)])
    assert grouped.group == "b-story"
    assert committed.read[0] == "rewritten" and len(committed.read) == 2  # then one of b-story's


def test_an_article_with_no_copy_among_its_candidates_starts_a_group() -> None:
    committed = _Committed(("monday", "a-report", REPORT_MONDAY))  # the same template: shares band keys
    (grouped,) = Grouping(committed).assign([_article("tuesday", REPORT_TUESDAY)])
    assert committed.read == ["monday"] and grouped.group.startswith("tuesday.")
    assert Grouping(committed).assign([_article("monday-again", REPORT_MONDAY)])[0].group == "a-report"


BBC = SHARED_DATA / "bbc" / "bbc.jsonl.gz"


@pytest.mark.data
@pytest.mark.skipif(not BBC.is_file(), reason=f"the BBC News collection is not in {BBC.parent} (needs {BBC.name})")
def test_bbc_listed_duplicates_are_copies_and_other_categories_are_not() -> None:
    with gzip.open(BBC, "rt", encoding="utf-8") as lines:
        bodies = {r["id"]: r["body"].split("\n\n") for r in map(json.loads, lines)}
    listed = [line.split("\t") for line in (BBC.parent / "duplicates.tsv").read_text().splitlines()[1:]]
    for kept, duplicate in listed[:20]:
        assert is_copy(sketch(bodies[kept]), sketch(bodies[duplicate])), (kept, duplicate)
    sport = [sketch(bodies[f"sport/{n:03d}"]) for n in range(1, 41)]
    business = [sketch(bodies[f"business/{n:03d}"]) for n in range(1, 41)]
    assert not any(is_copy(a, b) for a in sport for b in business)
