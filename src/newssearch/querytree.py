"""Checked query text → the query tree that every engine translates (README, "Query syntax").

The tree is syntax, not analysis: a leaf holds the text as the user wrote it (``Word("Crossings")``)
and the engine analyzes it as its index does (stems, stop words, a word that is two tokens). A
leaf with no ``field`` is searched in every part of an article, with the engine's field weights.

The reading follows the embedded engine's parser (Whoosh's ``qparser``, as newssearch configures
it), so that every engine reads a query the same way:

- ``NOT`` binds tightest, then ``AND``, then ``OR``, then ``ANDNOT`` and ``ANDMAYBE``, then
  ``REQUIRE``; words side by side are all required (``any_words``: any of them, ranked);
- ``+word`` is required and ``-word`` left out, among the words beside it (``rafah -egypt``,
  ``rafah (gaza -egypt)``);
- ``field:`` applies to the word, phrase, range or parenthesised group right after it; a name
  that is not a field is text (``10:30``); ``^N`` boosts what it follows;
- ``"a b"~N``: the words within N positions; ``word*``: a prefix; ``wo*d``: a wildcard;
  ``word~``, ``word~N``, ``word~N/P``: fuzzy, within N edits, the first P letters as written;
  ``[a TO b]`` and ``{a TO b}``: a range, ends included or not (``date:[2025 TO]``).

Check the text first (``querytext.parse_query``): this reads any text, as leniently as the parser
it follows, and relies on the checks for the mistakes a user should be told about.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

from newssearch.querytext import QUERY_FIELDS


class _Syntax:
    """A node of the tree: plain data, compared and printed by its fields. Not a dataclass: the
    tree's fourteen classes are made at every query's start-up, and a frozen dataclass costs
    about 0.5 ms to make (measured on Python 3.11); these cost next to nothing."""

    __slots__: tuple[str, ...] = ()

    def _values(self) -> tuple[object, ...]:
        return tuple(getattr(self, name) for name in self.__slots__)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Syntax) and type(self) is type(other) and self._values() == other._values()

    def __hash__(self) -> int:
        return hash((type(self), self._values()))

    def __repr__(self) -> str:
        fields = ", ".join(f"{name}={getattr(self, name)!r}" for name in self.__slots__)
        return f"{type(self).__name__}({fields})"


class Word(_Syntax):
    """A word as written, to be analyzed; ``field`` None: every part of an article."""

    __slots__ = ("text", "field", "boost")

    def __init__(self, text: str, field: str | None = None, boost: float = 1.0) -> None:
        self.text, self.field, self.boost = text, field, boost


class Phrase(_Syntax):
    """``"a b"``: the words of ``text`` next to each other; with ``slop`` > 1, within that many
    positions."""

    __slots__ = ("text", "field", "slop", "boost")

    def __init__(self, text: str, field: str | None = None, slop: int = 1, boost: float = 1.0) -> None:
        self.text, self.field, self.slop, self.boost = text, field, slop, boost


class Prefix(_Syntax):
    """``cross*``: words that start with ``text``."""

    __slots__ = ("text", "field", "boost")

    def __init__(self, text: str, field: str | None = None, boost: float = 1.0) -> None:
        self.text, self.field, self.boost = text, field, boost


class Wildcard(_Syntax):
    """``ra*h``: words that match ``pattern`` (``*``: any letters); ``*`` alone: any word."""

    __slots__ = ("pattern", "field", "boost")

    def __init__(self, pattern: str, field: str | None = None, boost: float = 1.0) -> None:
        self.pattern, self.field, self.boost = pattern, field, boost


class Fuzzy(_Syntax):
    """``rafha~2/1``: words within ``maxdist`` edits of ``text``, whose first ``prefix`` letters
    are as written."""

    __slots__ = ("text", "field", "maxdist", "prefix", "boost")

    def __init__(
        self, text: str, field: str | None = None, maxdist: int = 1, prefix: int = 0, boost: float = 1.0
    ) -> None:
        self.text, self.field, self.maxdist, self.prefix, self.boost = text, field, maxdist, prefix, boost


class Range(_Syntax):
    """``date:[2025-01 TO 2025-06]``: values from ``start`` to ``end`` (None: open), each end
    included unless ``*_excluded``."""

    __slots__ = ("start", "end", "start_excluded", "end_excluded", "field", "boost")

    def __init__(
        self,
        start: str | None,
        end: str | None,
        start_excluded: bool = False,
        end_excluded: bool = False,
        field: str | None = None,
        boost: float = 1.0,
    ) -> None:
        self.start, self.end, self.start_excluded, self.end_excluded = start, end, start_excluded, end_excluded
        self.field, self.boost = field, boost


class Everything(_Syntax):
    """``*:*``: every article."""

    __slots__ = ()


Leaf = Word | Phrase | Prefix | Wildcard | Fuzzy | Range | Everything


class And(_Syntax):
    __slots__ = ("children", "boost")

    def __init__(self, children: tuple[Query, ...], boost: float = 1.0) -> None:
        self.children, self.boost = children, boost


class Or(_Syntax):
    __slots__ = ("children", "boost")

    def __init__(self, children: tuple[Query, ...], boost: float = 1.0) -> None:
        self.children, self.boost = children, boost


class Not(_Syntax):
    """Articles without ``child``; only meaningful beside something that finds articles."""

    __slots__ = ("child",)

    def __init__(self, child: Query) -> None:
        self.child = child


class AndNot(_Syntax):
    """``a ANDNOT b``: ``a``'s articles without ``b``."""

    __slots__ = ("a", "b")

    def __init__(self, a: Query, b: Query) -> None:
        self.a, self.b = a, b


class AndMaybe(_Syntax):
    """``a ANDMAYBE b``: ``a``'s articles, those with ``b`` too scored higher."""

    __slots__ = ("a", "b")

    def __init__(self, a: Query, b: Query) -> None:
        self.a, self.b = a, b


class Require(_Syntax):
    """``a REQUIRE b``: ``a``'s articles that have ``b``, scored by ``a`` alone."""

    __slots__ = ("a", "b")

    def __init__(self, a: Query, b: Query) -> None:
        self.a, self.b = a, b


Query = Leaf | And | Or | Not | AndNot | AndMaybe | Require


def parse_tree(text: str, *, any_words: bool = False) -> Query | None:
    """The tree of checked query text (an ``And`` or ``Or`` with no children, or None, when it
    holds nothing to search for)."""
    top = "or" if any_words else "and"
    nodes = _tag(text)
    group = _groups(nodes, top)
    group = _clean_boost(group)
    group = _fuzzy(group)
    group = _wildcards(group)
    group = _fieldnames(group)
    group = _no_whitespace(group)
    group = _boosts(group)
    group = _plus_minus(group, top=True)
    group = _operators(group)
    return group.query()


# -- Syntax nodes: the text cut into pieces, then arranged ----------------------------------------


class _Node:
    has_fieldname = False
    has_boost = False
    has_text = False
    is_ws = False
    original = ""
    fieldname: str | None = None
    boost = 1.0

    def set_fieldname(self, name: str, override: bool = False) -> None:
        if self.has_fieldname and (self.fieldname is None or override):
            self.fieldname = name

    def query(self) -> Query | None:
        return None


class _Text(_Node):
    has_fieldname = True
    has_boost = True
    has_text = True

    def __init__(self, text: str) -> None:
        self.text = text
        self.original = text


class _WordNode(_Text):
    def query(self) -> Query | None:
        return Word(self.text, self.fieldname, self.boost)


class _PhraseNode(_Text):
    def __init__(self, text: str, slop: int, original: str) -> None:
        super().__init__(text)
        self.slop = slop
        self.original = original

    def query(self) -> Query | None:
        return Phrase(self.text, self.fieldname, self.slop, self.boost)


class _WildNode(_Text):
    def query(self) -> Query | None:
        return Wildcard(self.text, self.fieldname, self.boost)


class _PrefixNode(_Text):
    def query(self) -> Query | None:
        return Prefix(self.text, self.fieldname, self.boost)


class _FuzzyNode(_Text):
    def __init__(self, word: _Node, maxdist: int, prefix: int) -> None:
        super().__init__(getattr(word, "text", ""))
        self.fieldname, self.boost = word.fieldname, word.boost
        self.maxdist, self.prefix = maxdist, prefix

    def query(self) -> Query | None:
        return Fuzzy(self.text, self.fieldname, self.maxdist, self.prefix, self.boost)


class _RangeNode(_Node):
    has_fieldname = True
    has_boost = True

    def __init__(self, start: str | None, end: str | None, start_excluded: bool, end_excluded: bool, original: str):
        self.start, self.end = start, end
        self.start_excluded, self.end_excluded = start_excluded, end_excluded
        self.original = original

    def query(self) -> Query | None:
        return Range(self.start, self.end, self.start_excluded, self.end_excluded, self.fieldname, self.boost)


class _EveryNode(_Node):
    def query(self) -> Query | None:
        return Everything()


class _Marker(_Node):
    """A piece that arranges others: a bracket, ``+``, ``-``, a field name, a boost, a ``~``,
    whitespace. Left where it cannot act, it is read as text (``_as_word``)."""

    def __init__(self, kind: str, original: str, **values: object) -> None:
        self.kind = kind
        self.original = original
        self.values = values
        self.is_ws = kind == "ws"


class _Operator(_Node):
    def __init__(self, kind: str, original: str) -> None:
        self.kind = kind  # not | and | or | andnot | andmaybe | require
        self.original = original


def _as_word(node: _Node) -> _Node:
    return _WordNode(node.original)


class _Group(_Node):
    """``kind``: and | or | not | andnot | andmaybe | require."""

    has_boost = True

    def __init__(self, kind: str, nodes: list[_Node] | None = None) -> None:
        self.kind = kind
        self.nodes = list(nodes or [])
        if kind in ("not", "andnot", "andmaybe", "require"):
            self.has_boost = False

    @property
    def merging(self) -> bool:
        return self.kind in ("and", "or")

    def empty_copy(self) -> _Group:
        group = _Group(self.kind)
        group.boost = self.boost
        return group

    def set_fieldname(self, name: str, override: bool = False) -> None:
        for node in self.nodes:
            node.set_fieldname(name, override)

    def query(self) -> Query | None:
        if self.kind == "not":
            child = self.nodes[0].query()
            return Not(child) if child is not None else None
        if self.kind in _BINARY:
            a, b = self.nodes[0].query(), self.nodes[1].query()
            if a is None or b is None:
                return a if b is None else b
            return _BINARY[self.kind](a, b)
        children = tuple(q for q in (node.query() for node in self.nodes) if q is not None)
        return (And if self.kind == "and" else Or)(children, self.boost)  # () when empty: "()"


_BINARY: dict[str, type[AndNot] | type[AndMaybe] | type[Require]] = {
    "andnot": AndNot,
    "andmaybe": AndMaybe,
    "require": Require,
}


# -- Cutting the text into pieces ---------------------------------------------------------------

# Tried in this order at each position; the text between matches is words.
_TAGS: list[tuple[str, re.Pattern[str]]] = [
    ("andnot", re.compile(r"(?<=\s)ANDNOT(?=\s)")),
    ("andmaybe", re.compile(r"(?<=\s)ANDMAYBE(?=\s)")),
    ("every", re.compile(r"[*]:[*]")),
    ("field", re.compile(r"(?P<text>\w+|[*]):")),
    ("wild", re.compile(r"(?P<text>[*?\u055e\u061f\u1367])")),
    ("phrase", re.compile(r'"(?P<text>.*?)"(~(?P<slop>[1-9][0-9]*))?')),
    ("open", re.compile(r"[(]")),
    ("close", re.compile(r"[)]")),
    ("not", re.compile(r"(^|(?<=(\s|[()])))NOT(?=\s)")),
    ("and", re.compile(r"(?<=\s)AND(?=\s)")),
    ("or", re.compile(r"(?<=\s)OR(?=\s)")),
    ("require", re.compile(r"(^|(?<=\s))REQUIRE(?=\s)")),
    ("boost", re.compile(r"\^(?P<boost>[0-9]*(\.[0-9]+)?)($|(?=[ \t\r\n)]))")),
    ("fuzzy", re.compile(r"(?<=\S)~(?P<maxdist>[0-9])?(/(?P<prefix>[1-9][0-9]*))?")),
    ("plus", re.compile(r"(?<![^\s(])\+")),
    ("minus", re.compile(r"(?<![^\s(])-")),
    (
        "range",
        re.compile(
            r"(?P<open>\{|\[)(?P<start>('[^']*?'\s+)|([^\]}]+?(?=[Tt][Oo])))?[Tt][Oo]"
            r"(?P<end>(\s+'[^']*?')|([^\]}]+?))?(?P<close>}|])"
        ),
    ),
    ("ws", re.compile(r"\s+")),
]


def _tag(text: str) -> list[_Node]:
    nodes: list[_Node] = []
    pos = prev = 0
    while pos < len(text):
        for kind, pattern in _TAGS:
            m = pattern.match(text, pos)
            if m is not None and m.end() > pos:
                if prev < pos:
                    nodes.append(_WordNode(text[prev:pos]))
                nodes.append(_node(kind, m))
                prev = pos = m.end()
                break
        else:
            pos += 1
    if prev < len(text):
        nodes.append(_WordNode(text[prev:]))
    return nodes


def _node(kind: str, m: re.Match[str]) -> _Node:
    original = m.group(0)
    if kind in ("not", "and", "or", "andnot", "andmaybe", "require"):
        return _Operator(kind, original)
    if kind == "every":
        return _EveryNode()
    if kind == "wild":
        return _WildNode(original)
    if kind == "phrase":
        return _PhraseNode(m.group("text"), int(m.group("slop") or 1), original)
    if kind == "range":
        start, end = m.group("start"), m.group("end")
        if start:
            start = start.rstrip()
            start = start[1:-1] if start.startswith("'") and start.endswith("'") else start
        if end:
            end = end.lstrip()
            end = end[1:-1] if end.startswith("'") and end.endswith("'") else end
        return _RangeNode(start or None, end or None, m.group("open") == "{", m.group("close") == "}", original)
    if kind == "field":
        return _Marker("field", original, name=m.group("text"))
    if kind == "boost":
        try:
            return _Marker("boost", original, boost=float(m.group("boost")))
        except ValueError:  # "^" alone
            return _WordNode(original)
    if kind == "fuzzy":
        return _Marker("fuzzy", original, maxdist=int(m.group("maxdist") or 1), prefix=int(m.group("prefix") or 0))
    return _Marker(kind, original)  # open, close, plus, minus, ws


def _is(node: _Node, kind: str) -> bool:
    return isinstance(node, _Marker) and node.kind == kind


# -- Arranging the pieces: each step as the parser it follows takes it ---------------------------


def _groups(nodes: list[_Node], top: str) -> _Group:
    """Brackets → nested groups (an unclosed one ends at the end; a stray ``)`` is dropped)."""
    stack = [_Group(top)]
    for node in nodes:
        if _is(node, "open"):
            stack.append(_Group(top))
        elif _is(node, "close"):
            if len(stack) > 1:
                last = stack.pop()
                stack[-1].nodes.append(last)
        else:
            stack[-1].nodes.append(node)
    first = stack[0]
    for level in stack[1:]:
        first.nodes.extend(level.nodes)
    if len(first.nodes) == 1 and isinstance(first.nodes[0], _Group):
        inner = first.nodes[0]
        inner.boost = first.boost
        return inner
    return first


def _clean_boost(group: _Group) -> _Group:
    """A ``^N`` with nothing before it to boost is text."""
    for i, node in enumerate(group.nodes):
        if _is(node, "boost") and (not i or not group.nodes[i - 1].has_boost):
            group.nodes[i] = _as_word(node)
    return group


def _fuzzy(group: _Group) -> _Group:
    """A word and the ``~N`` right after it → a fuzzy word; a ``~`` after anything else is text."""
    out = group.empty_copy()
    i = 0
    while i < len(group.nodes):
        node = group.nodes[i]
        if i < len(group.nodes) - 1 and type(node) is _WordNode and _is(group.nodes[i + 1], "fuzzy"):
            values = group.nodes[i + 1].values  # type: ignore[attr-defined]
            node = _FuzzyNode(node, int(values["maxdist"]), int(values["prefix"]))
            i += 1
        if _is(node, "fuzzy"):
            node = _as_word(node)
        if isinstance(node, _Group):
            node = _fuzzy(node)
        out.nodes.append(node)
        i += 1
    return out


def _wildcards(group: _Group) -> _Group:
    """A ``*`` joins the text on either side of it; a word ending in its only ``*`` is a prefix."""
    nodes = group.nodes
    i = 0
    while i < len(nodes):
        node = nodes[i]
        if isinstance(node, _WildNode):
            if i < len(nodes) - 1 and isinstance(nodes[i + 1], _Text):
                node.text += nodes.pop(i + 1).text  # type: ignore[attr-defined]
            if i > 0 and isinstance(nodes[i - 1], _Text):
                node.text = nodes.pop(i - 1).text + node.text  # type: ignore[attr-defined]
            else:
                i += 1
        else:
            if isinstance(node, _Group):
                _wildcards(node)
            i += 1
    for i, node in enumerate(nodes):
        if isinstance(node, _WildNode):
            text = node.text
            if len(text) > 1 and not any(q in text for q in "?\u055e\u061f\u1367") and text.find("*") == len(text) - 1:
                nodes[i] = _PrefixNode(text[:-1])
    return group


def _fieldnames(group: _Group) -> _Group:
    """``field:`` applies to the piece right after it; a name that is not a field is text,
    joined to the text after it (``10:30``)."""
    kept = group.empty_copy()
    unknown: _Node | None = None
    for node in group.nodes:
        if _is(node, "field") and node.values["name"] not in QUERY_FIELDS:  # type: ignore[attr-defined]
            unknown = node
            continue
        if unknown is not None:
            if isinstance(node, _Text):
                node.text = unknown.original + node.text
            else:
                kept.nodes.append(_as_word(unknown))
            unknown = None
        kept.nodes.append(node)
    if unknown is not None:
        kept.nodes.append(_as_word(unknown))
    out: list[_Node] = []
    nodes = kept.nodes
    i = len(nodes)
    while i > 0:
        i -= 1
        node = nodes[i]
        if _is(node, "field"):
            node = _as_word(node)  # before nothing it can apply to
        elif isinstance(node, _Group):
            node = _fieldnames(node)
        if i > 0 and not node.is_ws and _is(nodes[i - 1], "field"):
            node.set_fieldname(nodes[i - 1].values["name"])  # type: ignore[attr-defined]
            i -= 1
        out.append(node)
    out.reverse()
    kept.nodes = out
    return kept


def _no_whitespace(group: _Group) -> _Group:
    out = group.empty_copy()
    for node in group.nodes:
        if isinstance(node, _Group):
            out.nodes.append(_no_whitespace(node))
        elif not node.is_ws:
            out.nodes.append(node)
    return out


def _boosts(group: _Group) -> _Group:
    """``^N`` boosts the piece before it."""
    out = group.empty_copy()
    for node in group.nodes:
        if isinstance(node, _Group):
            node = _boosts(node)
        elif _is(node, "boost"):
            if out.nodes and out.nodes[-1].has_boost:
                out.nodes[-1].boost = float(node.values["boost"])  # type: ignore[attr-defined]
                continue
            node = _as_word(node)
        out.nodes.append(node)
    return out


def _plus_minus(group: _Group, top: bool = False) -> _Group:
    """``+`` requires the next piece, ``-`` leaves it out, at every level: ``rafah (gaza -egypt)``
    leaves out what has "egypt" among the articles with "gaza". (The parser this follows did
    this at the top level only, and could not read such a query.)"""
    nodes = [_plus_minus(node) if isinstance(node, _Group) else node for node in group.nodes]
    if not any(_is(node, "plus") or _is(node, "minus") for node in nodes):
        group.nodes = nodes
        return group
    required = _Group("and")
    optional = _Group(group.kind)
    optional.boost = group.boost
    banned = _Group("or")
    target = optional
    for node in nodes:
        if _is(node, "plus"):
            target = required
        elif _is(node, "minus"):
            target = banned
        else:
            target.nodes.append(node)
            target = optional
    if not top and not required.nodes and not optional.nodes:
        return _Group("not", [banned])  # "iran (-russia)": as "iran (NOT russia)"
    result = optional
    if required.nodes:
        result = _Group("andmaybe", [required, result])
    if banned.nodes:
        result = _Group("andnot", [result, banned])
    return result


# The operators, tightest first; each is applied through a whole group before the next.
_OPERATORS = ("not", "and", "or", "andnot", "andmaybe", "require")


def _operators(group: _Group) -> _Group:
    nodes = group.nodes
    for kind in _OPERATORS:
        i = 0
        while i < len(nodes):
            node = nodes[i]
            if not (isinstance(node, _Operator) and node.kind == kind):
                i += 1
                continue
            if kind == "not":  # NOT: the piece after it
                del nodes[i]
                if i < len(nodes):
                    nodes[i] = _Group("not", [nodes[i]])
                i += 1
                continue
            if 0 < i < len(nodes) - 1:
                left, right = nodes[i - 1], nodes[i + 1]
                if kind in ("and", "or") and isinstance(left, _Group) and left.kind == kind:
                    left.nodes.append(right)  # a AND b AND c: one group
                    del nodes[i : i + 2]
                else:
                    nodes[i - 1 : i + 2] = [_Group(kind, [left, right])]
            else:
                del nodes[i]  # an operator at either end acts on nothing
    for i, node in enumerate(nodes):
        if isinstance(node, _Group):
            nodes[i] = _operators(node)
    return group


def leaves(node: Query | None) -> Iterator[Query]:
    """The tree's leaves (words, phrases, patterns, ranges), those under NOT too, in order."""
    if node is None:
        return
    if isinstance(node, (And, Or)):
        for child in node.children:
            yield from leaves(child)
    elif isinstance(node, Not):
        yield from leaves(node.child)
    elif isinstance(node, (AndNot, AndMaybe, Require)):
        yield from leaves(node.a)
        yield from leaves(node.b)
    else:
        yield node


def map_leaves(node: Query | None, change: Callable[[Query], Query]) -> Query | None:
    """The tree with each leaf (as ``leaves`` finds them) replaced by ``change(leaf)``."""
    if node is None:
        return None
    if isinstance(node, (And, Or)):
        return type(node)(tuple(map_leaves(child, change) for child in node.children), node.boost)  # type: ignore[misc]
    if isinstance(node, Not):
        return Not(map_leaves(node.child, change))  # type: ignore[arg-type]
    if isinstance(node, (AndNot, AndMaybe, Require)):
        return type(node)(map_leaves(node.a, change), map_leaves(node.b, change))  # type: ignore[arg-type]
    return change(node)


def finds_something(node: Query | None) -> bool:
    """Whether the tree has a part that finds articles, not only parts that leave them out
    (``NOT egypt`` alone, ``-egypt`` alone)."""
    if node is None or isinstance(node, Not):
        return False
    if isinstance(node, (AndNot, AndMaybe, Require)):
        return finds_something(node.a)
    if isinstance(node, And):
        return any(finds_something(child) for child in node.children)
    if isinstance(node, Or):  # its NOT parts are kept apart, as exclusions of the rest
        kept = [child for child in node.children if not isinstance(child, Not)]
        return bool(kept) and all(finds_something(child) for child in kept)
    return True
