"""Limits on one file, one record and one article (the README's "Limits"): past them an input is
reported and skipped, or cut, so that one input cannot block a run or make ``query`` and ``show``
slow. Each limit is far beyond any real news article: a very long article is about 100 KB of text
in 50 paragraphs; a long feature has a few dozen sections and images.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from newssearch.formats.parsed import WARNING, ParsedArticle, Problem
from newssearch.models import Paragraph, Section

# The largest file read. Every format is read whole, and held two or three times over while it is
# parsed (bytes, text, lines). A .jsonl of 100,000 articles of 1 KB is 100 MB; split bigger
# exports into several files.
MAX_FILE_BYTES = 128 << 20
# The largest .html page read: its text is held several times over (text, UTF-8 for libxml2,
# values in the tree). A saved page is a few hundred KB; with an image inlined, a few MB (an
# inline image of 10 MB still fits).
MAX_PAGE_BYTES = 16 << 20
# The most tags of a page read; the rest of the page is left out. Real pages have a few thousand.
# Each element costs libxml2's tree about 170 bytes and the walk of the article tens of µs: a 16 MB
# page of empty elements took 700 MB and 8 s, and 97 MB and 1 s cut here.
MAX_PAGE_TAGS = 100_000
# The longest .jsonl line (one record), in characters: room for an article at MAX_ARTICLE_CHARS
# written with \u escapes; a longer line is skipped before it is decoded (a 200 MB line took
# 3 GB and never finished).
MAX_RECORD_CHARS = 16 << 20
# The most text one article keeps: title, headings, captions and paragraphs together. Whoosh
# indexes about 1 MB of prose a second and each word is indexed three times (the article, its
# passage, all its words). The rest of the text is left out. Ten times the longest articles.
MAX_ARTICLE_CHARS = 1 << 20
# The most different words (as split at white space) one article keeps. Each costs Whoosh about
# 90 µs of CPU whatever its length: 1 MB of different words took 14 s, against 1.5 s for 1 MB
# of prose. A long real article has a few thousand; the text past the limit is left out.
MAX_ARTICLE_WORDS = 30_000
# How much of a .md file is read as Markdown; the rest is read as plain text (paragraphs between
# blank lines). markdown-it-py takes up to 30 µs a character on punctuation, brackets or many short
# lines (6 s for 200,000 of them), against a hundredth of that on prose. Twice the longest articles.
MAX_MARKDOWN_CHARS = 200_000
# The longest title or heading. A title is stored and indexed again with every passage of its
# article; a longer one is cut there for the title and kept whole as text.
MAX_TITLE_CHARS = 1_000
# The most sections an article keeps (a feature with 200 is extreme). Every section is a passage
# of its own in the index: 100,000 of them took 49 s to index and 44 s to show. Past the limit,
# headings and text are kept as paragraphs of the last section kept.
MAX_SECTIONS = 500
# The most captions an article keeps (each is a passage too); the rest are left out.
MAX_CAPTIONS = 200
# The most paragraphs an article keeps as paragraphs; the rest are joined into the last one kept
# (their text stays; their line numbers go). ``show`` lays out each paragraph.
MAX_PARAGRAPHS = 5_000
# How deep inside an HTML article elements are walked one by one; deeper, an element's text is read
# as one paragraph (real pages nest their text a few dozen deep; walking is recursive).
MAX_HTML_DEPTH = 200


class TooLarge(bytes):
    """What ``read_file`` gives in place of a file past its limit: not its bytes, but its size and
    the limit (as text, so that the indexer's checksum changes with them)."""

    def __new__(cls, size: int, limit: int) -> TooLarge:
        made = super().__new__(cls, f"{size} bytes, more than {limit}".encode())
        made.size, made.limit = size, limit
        return made

    size: int
    limit: int

    def reason(self) -> str:
        what = "one file" if self.limit == MAX_FILE_BYTES else "one page"
        way_out = " — split it into smaller files" if self.limit == MAX_FILE_BYTES else ""
        return (
            f"this file is {self.size:,} bytes, more than the {self.limit >> 20} MB {what} may be "
            f"(see Limits in the README); skipped{way_out}"
        )


def read_file(path: Path) -> bytes:
    """A file's bytes, or ``TooLarge`` (without reading it) when it is past its limit."""
    limit = MAX_PAGE_BYTES if path.suffix.lower() in (".html", ".htm") else MAX_FILE_BYTES
    size = path.stat().st_size
    if size > limit:
        return TooLarge(size, limit)
    data = path.read_bytes()
    return TooLarge(len(data), limit) if len(data) > limit else data  # it grew since


def record_too_long(length: int) -> str:
    return (
        f"this line is {length:,} characters long, more than the {MAX_RECORD_CHARS:,} one record may be "
        f"(see Limits in the README); line skipped"
    )


def within_limits(article: ParsedArticle, problems: list[Problem]) -> ParsedArticle:
    """The article cut to the limits above, each cut reported as a warning at its line."""

    def warn(reason: str) -> None:
        problems.append(Problem(f"{reason} (see Limits in the README)", article.line, WARNING))

    sections = list(article.sections)
    if len(article.title) > MAX_TITLE_CHARS:
        warn(f"a title of {len(article.title):,} characters is cut at {MAX_TITLE_CHARS:,}; all of it is kept as text")
        lead = Paragraph(article.title, article.line)
        if sections and sections[0].heading is None:
            sections[0] = replace(sections[0], paragraphs=(lead, *sections[0].paragraphs))
        else:
            sections.insert(0, Section(None, article.line, (lead,)))
        article = replace(article, title=_cut(article.title, MAX_TITLE_CHARS))
    for section in sections:
        if section.heading is not None and len(section.heading) > MAX_TITLE_CHARS:
            warn(
                f"a heading of {len(section.heading):,} characters (line {section.line}) is cut at "
                f"{MAX_TITLE_CHARS:,}; all of it is kept as text"
            )
    sections = [_short_heading(s) for s in sections]
    if len(sections) > MAX_SECTIONS:
        warn(
            f"{len(sections):,} sections: past the {MAX_SECTIONS:,}th, their headings and text are kept "
            f"as text of the {MAX_SECTIONS:,}th"
        )
        sections = _fold_sections(sections)
    captions = article.captions
    if len(captions) > MAX_CAPTIONS:
        warn(f"{len(captions):,} captions: past the {MAX_CAPTIONS:,}th they are left out")
        captions = captions[:MAX_CAPTIONS]
    paragraphs = sum(len(s.paragraphs) for s in sections)
    if paragraphs > MAX_PARAGRAPHS:
        warn(f"{paragraphs:,} paragraphs: past the {MAX_PARAGRAPHS:,}th they are joined into one")
        sections = _join_paragraphs(sections)
    around = len(article.title) + sum(len(c.text) for c in captions)
    length = around + sum(len(s.heading or "") + sum(len(p.text) for p in s.paragraphs) for s in sections)
    if length > MAX_ARTICLE_CHARS:
        warn(f"{length:,} characters of text: past {MAX_ARTICLE_CHARS:,} the rest is left out of the index")
        sections = _cut_text(sections, max(MAX_ARTICLE_CHARS - around, 0))
    sections, cut = _cut_words(sections, set(article.title.split()))
    if cut:
        warn(f"more than {MAX_ARTICLE_WORDS:,} different words: the rest of the text is left out of the index")
    return replace(article, sections=sections, captions=captions)


def _short_heading(section: Section) -> Section:
    """A heading past ``MAX_TITLE_CHARS``: cut, and kept whole as its section's first paragraph."""
    if section.heading is None or len(section.heading) <= MAX_TITLE_CHARS:
        return section
    whole = Paragraph(section.heading, section.line)
    return Section(_cut(section.heading, MAX_TITLE_CHARS), section.line, (whole, *section.paragraphs))


def _fold_sections(sections: list[Section]) -> list[Section]:
    kept, rest = sections[: MAX_SECTIONS - 1], sections[MAX_SECTIONS - 1 :]
    last = rest[0]
    paragraphs = list(last.paragraphs)
    for s in rest[1:]:
        if s.heading:
            paragraphs.append(Paragraph(s.heading, s.line))
        paragraphs.extend(s.paragraphs)
    return [*kept, Section(last.heading, last.line, tuple(paragraphs))]


def _join_paragraphs(sections: list[Section]) -> list[Section]:
    out: list[Section] = []
    left = MAX_PARAGRAPHS
    for n, s in enumerate(sections):
        if len(s.paragraphs) < left:
            out.append(s)
            left -= len(s.paragraphs)
            continue
        rest = [p.text for p in s.paragraphs[left - 1 :]]
        for later in sections[n + 1 :]:
            rest += [later.heading] if later.heading else []
            rest += [p.text for p in later.paragraphs]
        joined = Paragraph(" ".join(rest), s.paragraphs[left - 1].line)
        out.append(Section(s.heading, s.line, (*s.paragraphs[: left - 1], joined)))
        break
    return out


def _cut_text(sections: list[Section], budget: int) -> list[Section]:
    out: list[Section] = []
    for s in sections:
        budget -= len(s.heading or "")
        if budget <= 0:
            break
        paragraphs: list[Paragraph] = []
        for p in s.paragraphs:
            if len(p.text) >= budget:
                paragraphs.append(Paragraph(_cut(p.text, budget), p.line))
                budget = 0
                break
            paragraphs.append(p)
            budget -= len(p.text)
        out.append(Section(s.heading, s.line, tuple(paragraphs)))
        if budget <= 0:
            break
    return out


def _cut_words(sections: list[Section], seen: set[str]) -> tuple[list[Section], bool]:
    """The sections up to the word that would be the article's ``MAX_ARTICLE_WORDS + 1``-th
    different one, and whether anything was cut."""
    for n, s in enumerate(sections):
        seen.update((s.heading or "").split())
        for k, p in enumerate(s.paragraphs):
            words = p.text.split()
            if len(seen) + len(words) <= MAX_ARTICLE_WORDS:
                seen.update(words)
                continue
            for w, word in enumerate(words):
                seen.add(word)
                if len(seen) > MAX_ARTICLE_WORDS:
                    kept = (*s.paragraphs[:k], Paragraph(" ".join(words[:w]) + " …", p.line)) if w else s.paragraphs[:k]
                    last = [Section(s.heading, s.line, tuple(kept))] if kept or s.heading else []
                    return [*sections[:n], *last], True
    return sections, False


def _cut(text: str, limit: int) -> str:
    """``text`` cut to at most ``limit`` characters, at a space when there is one near the end."""
    if len(text) <= limit:
        return text
    head = text[: limit - 2]
    space = head.rfind(" ", max(0, len(head) - 200))
    return (head[:space] if space > 0 else head) + " …"
