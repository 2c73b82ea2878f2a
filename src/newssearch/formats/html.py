"""``.html``/``.htm``: a saved article page → its headline, sections, captions and metadata.

Parsed with lxml's HTML parser (libxml2: fast, forgiving of broken markup, and every element
knows its source line). The article is the page's ``<article>`` with the most text, else its
``articleBody``, ``<main>`` or ``<body>``. Inside it:

- ``<h1>`` is the headline (else JSON-LD ``headline``, ``og:title``, ``<title>``);
- ``<h2>``…``<h6>`` start sections;
- each ``<figcaption>`` is a caption (the rest of a ``<figure>`` is not text);
- paragraphs, list items, quotes, preformatted text and table rows are paragraphs;
- navigation, site headers and footers, asides, forms, scripts, styles, hidden elements, and
  anything whose class or id names an ad, a promo, a newsletter box, sharing buttons, related
  stories, comments or a cookie banner are left out.

Metadata comes from the page's JSON-LD (``NewsArticle`` and kin), then its ``<meta>`` tags
(``article:published_time``, ``og:site_name``, ``article:tag``, ``keywords`` …), then a
``<time datetime>`` in the article; the url from ``<link rel=canonical>`` or ``og:url``.
"""

from __future__ import annotations

import itertools
import json
import re
from collections.abc import Iterator
from typing import Any

import lxml.html
from lxml import etree

from newssearch.formats.limits import MAX_HTML_DEPTH, MAX_PAGE_TAGS
from newssearch.formats.parsed import (
    WARNING,
    FormatError,
    Metadata,
    Parsed,
    ParsedArticle,
    Problem,
    lead_and_sections,
    title_from,
)
from newssearch.models import Paragraph, Section


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


_SKIP_TAGS = _words(
    "script style noscript template iframe object embed svg canvas form button input select textarea "
    "nav aside dialog menu video audio picture source map head"
)
_PARAGRAPH_TAGS = _words("p li blockquote pre dd dt address")
_HEADING_TAGS = _words("h2 h3 h4 h5 h6")
_SKIP_ROLES = _words("navigation banner contentinfo complementary search dialog alert menu menubar toolbar")
# Words in a class or id that mark page furniture rather than the article.
_FURNITURE = _words(
    "ad ads adv advert adverts advertisement advertising adslot adunit dfp gpt sponsor sponsored promo promos "
    "promotion newsletter newsletters subscribe subscription signup paywall related recommended recirculation "
    "outbrain taboola share sharing social comment comments disqus cookie cookies consent gdpr popup modal "
    "breadcrumb breadcrumbs skiplink sidebar"
)
_SPLIT_CLASS = re.compile(r"[\s_\-]+")
_ARTICLE_TYPES = re.compile(r"(Article|BlogPosting|Report)$")
_XML_DECLARATION = re.compile(r"^\s*<\?xml[^>]*\?>")
_TAG = re.compile(r"<[A-Za-z]")  # an opening tag (or a "<" in a script that looks like one)
_DATE_METAS = (
    "article:published_time",
    "og:published_time",
    "datepublished",
    "pubdate",
    "publishdate",
    "publish-date",
    "date",
    "dc.date",
    "dc.date.issued",
    "dcterms.created",
    "sailthru.date",
    "parsely-pub-date",
)
# An <article> with less than this share of the main container's paragraph text is a teaser.
_TEASER_SHARE = 0.3
# A block named like furniture is kept when it holds at least this share of the article's text
# (``<div class="article-body has-ads">``, ``<article class="tone-comment">``).
_FURNITURE_MAX_SHARE = 0.5
# Text written straight into a container, outside any <p>, is read when it is at least this many
# words (shorter runs are labels and buttons), or always on pages without a <p>.
_LOOSE_MIN_WORDS = 8
# Elements whose edges separate words: <p>a</p><p>b</p> is "a b", not "ab".
_BLOCK_TAGS = _words(
    "address article aside blockquote br dd div dl dt figcaption figure footer h1 h2 h3 h4 h5 h6 header hr li "
    "main nav ol p pre section table td th tr ul"
)
_TITLE_SEPARATORS = (" | ", " - ", " – ", " — ")
# libxml2 stops reading a page, without an error, at a text or attribute value over 10 MB (an
# inline base64 image, a data-* blob) and at elements nested 256 deep, unless the page is allowed
# to be "huge": then everything after that point was lost, and an article beside a large image was
# "a headline only". The limit on a page's size (``limits.MAX_PAGE_BYTES``) bounds what it reads.
_PARSER = lxml.html.HTMLParser(huge_tree=True)


def read_html(text: str) -> Parsed:
    parsed = Parsed()
    text, cut_line = _first_tags(_XML_DECLARATION.sub("", text, count=1))
    if cut_line is not None:
        reason = f"more than {MAX_PAGE_TAGS:,} tags: the page is read up to this line, the rest is left out"
        parsed.problems.append(Problem(f"{reason} (see Limits in the README)", cut_line, WARNING))
    try:
        doc = lxml.html.document_fromstring(text, parser=_PARSER)
    except (etree.ParserError, ValueError):
        raise FormatError("no HTML page in this file (it is empty)") from None
    for cut in _PARSER.error_log.filter_types([etree.ErrorTypes.ERR_RESOURCE_LIMIT]):
        reason = f"the page could not be read past this line ({cut.message.split(',')[0]}); the rest is left out"
        parsed.problems.append(Problem(reason, cut.line, WARNING))
    page = _PageMetadata(doc)
    root = _article_root(doc)
    walker = _Walker(root)
    walker.start()
    title = walker.title or page.title or ""
    if not walker.paragraphs_seen and not walker.captions:  # a gallery of captions is an article
        what = f" (a headline only: {title[:60]!r})" if title else ""
        raise FormatError(f"no article text found in this page{what}")
    sections = walker.sections()
    line = walker.title_line or root.sourceline or 1
    article = ParsedArticle(title=title or title_from(sections), line=line, sections=sections)
    for caption, caption_line in walker.captions:
        article.add_caption(caption, caption_line)
    meta = Metadata(parsed.problems, article.line)
    article.date = page.date(meta, root)
    article.source = page.source
    article.url = page.url
    article.tags = meta.tags(page.tags)
    parsed.articles.append(article)
    return parsed


def _first_tags(text: str) -> tuple[str, int | None]:
    """The page up to its ``MAX_PAGE_TAGS + 1``-th tag, and the line where it was cut (None: it
    was not). libxml2's tree of a page takes some 170 bytes an element and our walk tens of
    microseconds: the number of tags, not the page's size, is what a page costs."""
    if text.count("<") <= MAX_PAGE_TAGS:
        return text, None
    past = next(itertools.islice(_TAG.finditer(text), MAX_PAGE_TAGS, None), None)
    if past is None:
        return text, None
    return text[: past.start()], text.count("\n", 0, past.start()) + 1


def _article_root(doc: lxml.html.HtmlElement) -> lxml.html.HtmlElement:
    """The element that holds the article: of the ``<article>``s and ``articleBody``s, the one
    with the most paragraph text — unless that is a teaser next to the page's main text, in which
    case ``<main>`` (or the body) is."""
    candidates = [*doc.iter("article"), *doc.xpath('//*[@itemprop="articleBody"]')]
    container = next(iter(doc.xpath('//main | //*[@role="main"] | //body')), doc)
    if candidates:
        best = max(candidates, key=_paragraph_text_length)
        if _paragraph_text_length(best) >= _TEASER_SHARE * _paragraph_text_length(container):
            return best
    return container


def _paragraph_text_length(el: lxml.html.HtmlElement) -> int:
    return sum(len(p.text_content()) for p in el.iter("p"))


def _is_furniture(el: lxml.html.HtmlElement) -> bool:
    if el.get("hidden") is not None or el.get("aria-hidden") == "true":
        return True
    if (el.get("role") or "").lower() in _SKIP_ROLES:
        return True
    names = f"{el.get('class') or ''} {el.get('id') or ''}".lower()
    return bool(names.strip()) and any(part in _FURNITURE for part in _SPLIT_CLASS.split(names))


def _text(el: lxml.html.HtmlElement) -> str:
    """An element's text, words kept apart at ``<br>`` and block edges, white space folded.
    Walked with a stack, not by recursion: elements may be nested thousands deep."""
    parts: list[str] = []
    stack: list[tuple[lxml.html.HtmlElement, bool]] = [(el, False)]
    while stack:
        node, closing = stack.pop()
        tag = node.tag.lower() if isinstance(node.tag, str) else None  # None: a comment
        if tag in _BLOCK_TAGS:
            parts.append(" ")
        if closing:
            if node is not el:
                parts.append(node.tail or "")
            continue
        stack.append((node, True))
        if tag is not None and tag not in ("script", "style", "template"):
            parts.append(node.text or "")
            stack.extend((child, False) for child in reversed(node))
    return " ".join("".join(parts).split())


class _Walker:
    """Collects the article's parts in document order, skipping page furniture."""

    def __init__(self, root: lxml.html.HtmlElement) -> None:
        self.root = root
        self.in_article = root.tag == "article"
        self.title: str | None = None
        self.title_line = 0
        self.lead: list[Paragraph] = []
        self.done: list[Section] = []
        self.heading: str | None = None
        self.heading_line = 0
        self.paragraphs: list[Paragraph] = []
        self.captions: list[tuple[str, int]] = []
        self.paragraphs_seen = False
        self.no_paragraphs = next(root.iter("p"), None) is None
        self.root_text = max(_paragraph_text_length(root), 1)

    def start(self) -> None:
        self._loose_text(self.root.text, self.root.sourceline or 1)
        self.walk(self.root, 1)

    def walk(self, el: lxml.html.HtmlElement, depth: int) -> None:
        for child in el:
            if isinstance(child.tag, str):  # not a comment or processing instruction
                self._visit(child, depth)
            self._loose_text(child.tail, child.sourceline or 0)

    def _visit(self, el: lxml.html.HtmlElement, depth: int) -> None:
        tag = el.tag.lower()
        line = el.sourceline or 0
        if tag in _SKIP_TAGS:
            return
        if depth > MAX_HTML_DEPTH:  # no real page nests its text this deep: read it as one paragraph
            self._paragraph(_text(el), line)
            return
        if _is_furniture(el) and _paragraph_text_length(el) < _FURNITURE_MAX_SHARE * self.root_text:
            return
        if tag in ("header", "footer") and not self._inside_article(el):
            return  # the site's header or footer, not the article's
        if tag == "h1":
            self._h1(_text(el), line)
        elif tag in _HEADING_TAGS:
            self._section(_text(el), line)
        elif tag in ("figure", "figcaption"):
            for caption in el.iter("figcaption"):  # the rest of a figure is not text
                self.captions.append((_text(caption), caption.sourceline or line))
        elif tag == "table":
            for row in el.iter("tr"):
                cells = [_text(cell) for cell in row if isinstance(cell.tag, str)]
                self._paragraph(" | ".join(c for c in cells if c), row.sourceline or line)
        elif tag in _PARAGRAPH_TAGS and not _has_blocks(el):
            self._paragraph(_text(el), line)
        else:
            self._loose_text(el.text, line)
            self.walk(el, depth + 1)

    def _inside_article(self, el: lxml.html.HtmlElement) -> bool:
        return self.in_article or any(True for _ in el.iterancestors("article"))

    def _h1(self, text: str, line: int) -> None:
        if not text:
            return
        if self.title is None:
            self.title, self.title_line = text, line
        elif text != self.title:
            self._section(text, line)

    def _section(self, text: str, line: int) -> None:
        if not text:
            return
        self._close()
        self.heading, self.heading_line = text, line

    def _paragraph(self, text: str, line: int) -> None:
        if text:
            self.paragraphs.append(Paragraph(text, line))
            self.paragraphs_seen = True

    def _loose_text(self, text: str | None, line: int) -> None:
        """Text written straight into a container (``<div>One.<br><br>Two.</div>``)."""
        words = text.split() if text else []
        if words and (self.no_paragraphs or len(words) >= _LOOSE_MIN_WORDS):
            self._paragraph(" ".join(words), line)

    def _close(self) -> None:
        if self.heading is None:
            self.lead.extend(self.paragraphs)
        else:
            self.done.append(Section(self.heading, self.heading_line, tuple(self.paragraphs)))
        self.paragraphs = []

    def sections(self) -> list[Section]:
        self._close()
        return lead_and_sections(self.lead, self.done)


def html_text(html: str) -> tuple[list[str], str]:
    """A piece of HTML (written into a Markdown note) as its figcaptions and the rest of its text."""
    try:
        fragment = lxml.html.fragment_fromstring(html, create_parent="div", parser=_PARSER)
    except (etree.ParserError, ValueError):
        return [], ""
    captions = [_text(el) for el in fragment.iter("figcaption")]
    for el in list(fragment.iter("figcaption", "script", "style")):
        el.drop_tree()
    return [c for c in captions if c], _text(fragment)


def _has_blocks(el: lxml.html.HtmlElement) -> bool:
    """Whether an ``<li>`` or ``<blockquote>`` holds paragraphs of its own to walk into."""
    return any(isinstance(c.tag, str) and c.tag in ("p", "ul", "ol", "figure", "table") for c in el.iterdescendants())


class _PageMetadata:
    """What the page says about the article outside its text: JSON-LD and ``<meta>`` tags."""

    def __init__(self, doc: lxml.html.HtmlElement) -> None:
        self.doc = doc
        self.ld = _json_ld_article(doc)
        self.metas: dict[str, list[tuple[str, int]]] = {}
        for el in doc.iter("meta"):
            name = (el.get("property") or el.get("name") or el.get("itemprop") or "").strip().lower()
            content = el.get("content")
            if name and content and content.strip():
                self.metas.setdefault(name, []).append((content.strip(), el.sourceline or 1))
        self.source = _ld_name(self.ld.get("publisher")) or self._meta("og:site_name") or self._meta("application-name")
        self.url = self._link("canonical") or self._meta("og:url") or _ld_text(self.ld.get("url"))
        self.title = self._title()
        tags = [t for t, _ in self.metas.get("article:tag", [])]
        self.tags: Any = tags or self.ld.get("keywords") or self._meta("news_keywords") or self._meta("keywords")

    def _meta(self, name: str) -> str | None:
        found = self.metas.get(name)
        return found[0][0] if found else None

    def _link(self, rel: str) -> str | None:
        for el in self.doc.iter("link"):
            if rel in (el.get("rel") or "").lower().split() and el.get("href"):
                return str(el.get("href")).strip()
        return None

    def _title(self) -> str | None:
        title = _ld_text(self.ld.get("headline")) or self._meta("og:title")
        if title:
            return title
        h1 = next(self.doc.iter("h1"), None)
        if h1 is not None and (headline := _text(h1)):
            return headline
        el = next(self.doc.iter("title"), None)
        if el is None:
            return None
        text = _text(el)
        for sep in _TITLE_SEPARATORS:  # "Headline | Site name"
            if self.source and text.endswith(sep + self.source):
                return text[: -len(sep + self.source)]
        return text or None

    def _date_candidates(self, root: lxml.html.HtmlElement) -> Iterator[tuple[Any, int | None]]:
        if self.ld.get("datePublished"):
            yield self.ld["datePublished"], self.ld.get("_line")
        for name in _DATE_METAS:
            yield from self.metas.get(name, [])
        times = [t for t in root.iter("time") if t.get("datetime")]
        times.sort(key=lambda t: t.get("pubdate") is None and t.get("itemprop") != "datePublished")
        for t in times[:1]:
            yield t.get("datetime"), t.sourceline

    def date(self, meta: Metadata, root: lxml.html.HtmlElement) -> str | None:
        """The first publication date the page gives that can be read; when none can, the first
        one is reported."""
        unread: list[Problem] = []
        for value, line in self._date_candidates(root):
            attempt = Metadata(unread, line)
            found = attempt.date(value)
            if found:
                return found
        if unread:
            meta.problems.append(unread[0])
        return None


def _json_ld_article(doc: lxml.html.HtmlElement) -> dict[str, Any]:
    """The page's JSON-LD object for the article (``NewsArticle``, ``Article``, ``BlogPosting`` …)."""
    for script in doc.iter("script"):
        if (script.get("type") or "").strip().lower() != "application/ld+json":
            continue
        try:
            data = json.loads(script.text or "")
        except (ValueError, RecursionError):
            continue
        for item in _ld_items(data):
            types = item.get("@type")
            names = types if isinstance(types, list) else [types]
            if any(isinstance(n, str) and _ARTICLE_TYPES.search(n) for n in names):
                return {**item, "_line": script.sourceline}
    return {}


def _ld_items(data: Any, depth: int = 0) -> Iterator[dict[str, Any]]:
    if depth > 3:
        return
    if isinstance(data, list):
        for item in data:
            yield from _ld_items(item, depth + 1)
    elif isinstance(data, dict):
        yield data
        if "@graph" in data:
            yield from _ld_items(data["@graph"], depth + 1)


def _ld_text(value: Any) -> str | None:
    if isinstance(value, str) and value.strip():
        return " ".join(value.split())
    return None


def _ld_name(value: Any) -> str | None:
    if isinstance(value, list):
        value = value[0] if value else None
    if isinstance(value, dict):
        return _ld_text(value.get("name"))
    return _ld_text(value)
