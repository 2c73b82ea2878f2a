"""``.md`` notes: optional YAML front matter, ``#`` headings as sections, images as captions.

Front matter is the block between a first line ``---`` and the next ``---`` (or ``...``) line,
read with PyYAML's safe loader; keys ``id``, ``title``, ``date``, ``source``, ``url``, ``tags``.
Front matter that does not parse is reported, and its lines are kept as text of the lead (its
metadata is not guessed from them); the rest of the file is read as usual.

The Markdown itself is read by markdown-it-py (CommonMark, with tables), whose tokens carry
source lines. The title is the front matter's ``title``, else a ``#`` heading before any text,
else the first line of text. Every other heading starts a section. An image's alt text is a
caption, unless the line right under the image is wholly emphasised (``*Photo: … (AP)*``): then
that line is the caption. Paragraphs, list items, quotes, table rows and code blocks are
paragraphs, as plain text (link text kept, markup and URLs dropped).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import yaml
from markdown_it import MarkdownIt
from markdown_it.token import Token

from newssearch.formats.limits import MAX_MARKDOWN_CHARS
from newssearch.formats.parsed import WARNING, Metadata, Parsed, ParsedArticle, Problem, title_from
from newssearch.models import Paragraph, Section

_FENCE = re.compile(r"^(---|\.\.\.)[ \t]*$")
_TOP_KEY = re.compile(r"^([A-Za-z_][\w-]*)\s*:")
_MARKDOWN = MarkdownIt("commonmark").enable("table")


class _FrontMatterLoader(yaml.SafeLoader):
    """PyYAML's safe loader, but dates stay text: ``dates.normalise_date`` reads them, and a
    ``date: 2025-02-30`` costs that one value, not the whole front matter."""


_FrontMatterLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_BREAKS = ("softbreak", "hardbreak")
_EMPHASIS = ("em_open", "strong_open")
# What a line may hold besides images and still be an image line: ``[![alt](img)](url)``.
_IMAGE_LINE = ("image", "link_open", "link_close")


def read_markdown(text: str) -> Parsed:
    parsed = Parsed()
    # markdown-it takes a lone CR for a line break, editors and grep do not: keep lines theirs.
    lines = text.replace("\r\n", "\n").replace("\r", " ").split("\n")
    record, body_from, unread = _front_matter(lines, parsed.problems)
    meta = Metadata(parsed.problems, 1, _key_lines(lines[:body_from]))
    title = meta.text(record, "title") if record else None
    builder = _Builder(title=title)
    if unread:  # front matter that could not be read is kept as text: nothing in the file is lost
        builder.keep(" ".join(" ".join(lines[1 : body_from - 1]).split()), 2)
    plain_from = _markdown_end(lines, body_from)
    tokens = _MARKDOWN.parse("\n".join(lines[body_from:plain_from]))
    builder.feed(tokens, offset=body_from)
    if plain_from < len(lines):
        reason = f"the text from this line on, past {MAX_MARKDOWN_CHARS:,} characters, is read as plain text"
        parsed.problems.append(Problem(f"{reason}, not Markdown (see Limits in the README)", plain_from + 1, WARNING))
        _plain_text(builder, lines, plain_from)
    article = builder.article()
    if title:  # the article starts with its front matter
        article.line = 1
    if record:
        meta.apply(article, record)
    if not article.is_empty:
        parsed.articles.append(article)
    return parsed


def _markdown_end(lines: list[str], start: int) -> int:
    """Where the Markdown to parse ends: after the last blank line within ``MAX_MARKDOWN_CHARS`` of
    ``start`` (or the end of the file). markdown-it takes up to 30 µs a character of punctuation,
    brackets or short lines: what lies further is read as plain text."""
    size, last_blank = 0, None
    for n in range(start, len(lines)):
        size += len(lines[n]) + 1
        if size > MAX_MARKDOWN_CHARS:
            return last_blank + 1 if last_blank is not None else n
        if not lines[n].strip():
            last_blank = n
    return len(lines)


def _plain_text(builder: _Builder, lines: list[str], start: int) -> None:
    """Lines as paragraphs (runs of lines between blank ones), markup and all."""
    first, run = start, list[str]()
    for n in range(start, len(lines) + 1):
        if n < len(lines) and lines[n].strip():
            if not run:
                first = n
            run.append(lines[n])
        elif run:
            builder.add_text(" ".join(run), first + 1)
            run = []


def _front_matter(lines: list[str], problems: list[Problem]) -> tuple[dict[str, Any], int, bool]:
    """The front matter as a mapping (empty when absent or unreadable), the index of the first
    line after it, and whether it was there but could not be read. A first line ``---`` not
    followed by a ``key:`` line is a thematic break, and the text after it is Markdown."""
    if len(lines) < 2 or lines[0].strip() != "---" or not _TOP_KEY.match(lines[1]):
        return {}, 0, False
    end = next((i for i in range(1, len(lines)) if _FENCE.match(lines[i])), None)
    if end is None:
        problems.append(Problem("the front matter has no closing --- line; the file was read as text", 1, WARNING))
        return {}, 0, False
    try:
        record = yaml.load("\n".join(lines[1:end]), Loader=_FrontMatterLoader)  # noqa: S506 (a safe loader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 2 if mark is not None else 1
        what = getattr(exc, "problem", None) or "not valid YAML"
        problems.append(
            Problem(f"the front matter is not valid YAML ({what}); its metadata was ignored", line, WARNING)
        )
        return {}, end + 1, True
    except (ValueError, TypeError, OverflowError, RecursionError) as exc:  # !!int abc
        reason = f"the front matter has a value that cannot be read ({exc}); its metadata was ignored"
        problems.append(Problem(reason, 1, WARNING))
        return {}, end + 1, True
    if record is None:
        return {}, end + 1, False
    if not isinstance(record, dict):
        problems.append(Problem("the front matter is not a set of keys (key: value); ignored", 1, WARNING))
        return {}, end + 1, True
    return {str(k): v for k, v in record.items()}, end + 1, False


def _key_lines(front_matter: list[str]) -> dict[str, int]:
    """The line of each top-level key of the front matter, for problems about its value."""
    found: dict[str, int] = {}
    for n, line in enumerate(front_matter, start=1):
        key = _TOP_KEY.match(line)
        if key:
            found.setdefault(key.group(1), n)
    return found


@dataclass
class _Builder:
    """Walks markdown-it's tokens and collects the article's parts, with file lines."""

    title: str | None
    title_line: int = 1
    sections: list[Section] = field(default_factory=list)
    captions: list[tuple[str, int]] = field(default_factory=list)
    heading: str | None = None
    heading_line: int = 0
    paragraphs: list[Paragraph] = field(default_factory=list)
    seen_text: bool = False
    image: tuple[str, int] | None = None  # an image whose caption may be the next line

    def feed(self, tokens: list[Token], offset: int) -> None:
        """``offset``: the file line the Markdown starts after (the front matter's end)."""
        block: Token | None = None
        block_line = 0
        row: list[str] = []
        for token in tokens:
            line = (token.map[0] if token.map else 0) + offset + 1
            if token.type in ("heading_open", "paragraph_open", "tr_open"):
                block, block_line = token, line
            elif token.type == "inline" and block is not None:
                children = token.children or []
                if block.type == "heading_open":
                    self._heading(block.tag, _plain(children), block_line)
                elif block.type == "paragraph_open":
                    self._paragraph(children, block_line)
                else:
                    row.append(_plain(children))
            elif token.type == "tr_close":
                self.add_text(" | ".join(cell for cell in row if cell), block_line)
                row, block = [], None
            elif token.type in ("fence", "code_block"):
                self.add_text(token.content, line)
            elif token.type == "html_block":
                self._html(token.content, line)
            elif token.type in ("heading_close", "paragraph_close"):
                block = None

    def _heading(self, tag: str, text: str, line: int) -> None:
        self._flush_image()
        if not text:
            return
        if self.title is None and tag == "h1" and not self.seen_text and not self.sections:
            self.title, self.title_line = text, line
            return
        if text == self.title and not self.seen_text and not self.sections:
            self.title_line = line
            return
        self._close_section()
        self.heading, self.heading_line = text, line

    def _paragraph(self, children: list[Token], first_line: int) -> None:
        """A paragraph's lines: an image line is a caption (alt text, or the emphasised line
        right under it); the other lines make paragraphs."""
        pending: list[str] = []
        pending_line = first_line
        for n, line_tokens in enumerate(_split_lines(children)):
            line = first_line + n
            images = [t for t in line_tokens if t.type == "image"]
            others = [t for t in line_tokens if t.type not in _IMAGE_LINE and not _is_space(t)]
            if images and not others:
                self.add_text(" ".join(pending), pending_line)
                pending = []
                self._flush_image()
                self.image = (_plain(images[-1].children or []) or images[-1].content, line)
                for extra in images[:-1]:
                    self._add_caption(_plain(extra.children or []) or extra.content, line)
                continue
            if self.image is not None and _wholly_emphasised(line_tokens):
                self._add_caption(_plain(line_tokens), line)
                self.image = None
                continue
            self._flush_image()
            text = _plain(line_tokens)
            if self.title is None and text:  # no title yet: the first line of text is the title
                self.title, self.title_line = text, line
                continue
            if not pending:
                pending_line = line
            pending.append(text)
        self.add_text(" ".join(p for p in pending if p), pending_line)

    def _html(self, html: str, line: int) -> None:
        """HTML written into the Markdown: its figcaptions are captions, its text a paragraph."""
        from newssearch.formats.html import html_text  # lxml: only for notes that hold HTML

        captions, text = html_text(html)
        for caption in captions:
            self._add_caption(caption, line)
        self.add_text(text, line)

    def _flush_image(self) -> None:
        if self.image is not None:
            self._add_caption(*self.image)
            self.image = None

    def _add_caption(self, text: str, line: int) -> None:
        self.captions.append((text, line))  # folded, and kept once, by ParsedArticle.add_caption

    def keep(self, text: str, line: int) -> None:
        """Text to keep that is not the article's own (unreadable front matter): it does not
        take the place of a ``#`` title."""
        if text:
            self.paragraphs.append(Paragraph(text, line))

    def add_text(self, text: str, line: int) -> None:
        text = " ".join(text.split())
        if not text:
            return
        self._flush_image()
        self.seen_text = True
        self.paragraphs.append(Paragraph(text, line))

    def _close_section(self) -> None:
        if self.heading is not None or self.paragraphs:
            line = self.heading_line if self.heading is not None else self.paragraphs[0].line
            self.sections.append(Section(self.heading, line, tuple(self.paragraphs)))
        self.heading, self.paragraphs = None, []

    def article(self) -> ParsedArticle:
        self._flush_image()
        self._close_section()
        title = self.title if self.title is not None else title_from(self.sections)
        article = ParsedArticle(title=title, line=self.title_line, sections=self.sections)
        for text, line in self.captions:
            article.add_caption(text, line)
        return article


def _split_lines(children: list[Token]) -> list[list[Token]]:
    lines: list[list[Token]] = [[]]
    for token in children:
        if token.type in _BREAKS:
            lines.append([])
        else:
            lines[-1].append(token)
    return lines


def _wholly_emphasised(tokens: list[Token]) -> bool:
    """``*text*``, ``_text_`` or ``**text**`` and nothing else on the line."""
    meaningful = [t for t in tokens if not _is_space(t)]
    return (
        len(meaningful) >= 3
        and meaningful[0].type in _EMPHASIS
        and meaningful[-1].type == meaningful[0].type.replace("_open", "_close")
    )


def _is_space(token: Token) -> bool:
    return token.type == "text" and not token.content.strip()


def _plain(tokens: list[Token]) -> str:
    """Inline tokens as plain text: text, code and link text kept; markup, URLs and HTML dropped."""
    out: list[str] = []
    for token in tokens:
        if token.type in ("text", "code_inline"):
            out.append(token.content)
        elif token.type in _BREAKS:
            out.append(" ")
        elif token.type == "image":
            out.append(_plain(token.children or []))
    return " ".join("".join(out).split())
