"""A search request against the cluster: the page, its total and facets (aggregations), "did you
mean" (a term suggester) and the words to highlight, from as few requests as possible — one for
most queries: the page, the counts, the facets and the spelling ride together.

Scores are BM25 per field, summed over the parts and words that match, as the embedded engine's;
``dfs_query_then_fetch`` gives every shard the whole index's statistics, so a score does not
depend on which shard holds an article. Equal scores come back in the order of their ids.
"""

from __future__ import annotations

import re
from collections import Counter
from typing import TYPE_CHECKING, Any

from newssearch import querytree, records, rm3, spelling
from newssearch.engines.opensearch import documents
from newssearch.engines.opensearch.mapping import (
    ANALYZER,
    ARTICLE_FIELDS,
    GROUP,
    KIND_ARTICLE,
    KIND_PASSAGE,
    MAX_RESULT_WINDOW,
    PASSAGE_FIELDS,
    PLAIN,
    PLAIN_ANALYZER,
    SPELLING_FIELD,
)
from newssearch.engines.opensearch.translate import DSL, Translation, prepare
from newssearch.errors import UsageError
from newssearch.models import (
    COPIES_LISTED,
    EXACT_UP_TO,
    Article,
    Contribution,
    EmptyFilter,
    Page,
    Passage,
    SearchRequest,
    Terms,
    terms_by_part,
)
from newssearch.querytext import WORD, ParsedQuery
from newssearch.snippets import MAX_ANALYZED
from newssearch.weights import weights

if TYPE_CHECKING:
    from newssearch.engines.opensearch import OpenSearchReader

# Where in a long text a prefix*, wildcard or fuzzy~ match is looked for, to highlight it.
MAX_HIGHLIGHTED = 999_999
# Facet counts name at most this many sources and months.
FACET_SIZE = 10_000
# Spelling candidates asked of the suggester per word, before the embedded engine's rules pick one.
_SUGGESTIONS = 50
# Marks around the words a highlighter found (for prefix*, wildcards and fuzzy~): characters of
# Unicode's private use area, which news text does not hold (a control character is trimmed from
# the end of a fragment by the cluster).
_MARK_START, _MARK_END = "\ue000", "\ue001"
_MARKED = re.compile(f"{_MARK_START}(.*?){_MARK_END}", re.S)


def search(reader: OpenSearchReader, request: SearchRequest, parsed: ParsedQuery) -> Page:
    analysis = reader.analysis
    strict_tree = parsed.tree()
    relaxed_tree = None if parsed.any_words else parsed.tree(any_words=True)
    spelled = _Spelling(reader, parsed.text)
    prepare(analysis, [strict_tree, relaxed_tree])
    filters = _filters(reader, request)
    strict = _translation(reader, parsed, "any" if parsed.any_words else "all")
    q = strict.translate(strict_tree, parsed.text)
    if q is None:  # only words that are not indexed: nothing to look for
        return Page(hits=[], total=0, terms={}, searchable=False, facets=_no_facets(request))
    used = strict
    ranked: DSL = q
    added: set[tuple[str, str]] = set()  # the (field, word) pairs of the words feedback added
    if (
        request.any_words
        and not request.passages
        and request.feedback
        and _feedback_applies(reader, parsed, strict_tree)
    ):
        ranked, added = _with_feedback(reader, q, _words_of(strict_tree), filters)
    answer = _run(reader, request, ranked, filters, spelled, strict.patterns)
    spelled.seen(answer)
    total, exact = _total(answer)
    relaxed = False
    if total == 0 and relaxed_tree is not None and relaxed_tree != strict_tree:
        loose = _translation(reader, parsed, "any")
        relaxed_q = loose.translate(relaxed_tree, parsed.text)
        if relaxed_q is not None and relaxed_q != q:
            q, used = relaxed_q, loose
            answer = _run(reader, request, q, filters, None, loose.patterns)
            total, exact = _total(answer)
            relaxed = total > 0
    hits: list[tuple[float, Article | Passage]] = []
    copies: list[list[Article]] | None = None if request.passages else []
    for hit in answer["hits"]["hits"]:
        data = hit["_source"]["data"]
        found = records.passage(data) if request.passages else records.article(data)
        hits.append((float(hit.get("_score") or 0.0), found))
        if copies is not None:
            inner = hit.get("inner_hits", {}).get("copies", {}).get("hits", {}).get("hits", [])
            others = [records.article(c["_source"]["data"]) for c in inner if c["_id"] != hit["_id"]]
            copies.append(others[:COPIES_LISTED])
    why = [_explanation(hit.get("_explanation"), added) for hit in answer["hits"]["hits"]] if request.explain else None
    terms = _by_part(used.terms)
    if used.patterns:
        _add_highlighted(reader, answer, terms)
    if request.snippets:
        _prepare_snippets(reader, [found for _, found in hits])
    return Page(
        hits=hits,
        total=total,
        total_exact=exact,
        terms=terms,
        relaxed=relaxed,
        facets=_facets(answer) if request.facets and exact else {},  # as on disk: counts of a total only
        empty_filter=_empty_filter(reader, q, request) if total == 0 else None,
        suggestion=spelled.suggestion(),
        explanations=why,
        copies=copies,
        folded=_folded(answer) if exact else 0,
    )


# A leaf of Lucene's explanation of a score: "weight(body:rafah in 12) [PerFieldSimilarity], …",
# "weight(body:\"rafah cross\" in 12)", "weight(spanNear([body:rafah, body:cross], 3, false) in 12)".
_WEIGHT = re.compile(r"weight\((?P<inner>.+) in \d+\)")
_FIELD_TERM = re.compile(r"^(?P<field>[\w.]+):(?P<term>.+)$")
_SPAN_TERMS = re.compile(r"([\w.]+):([^,\]\s]+)")
_SLOP = re.compile(r"\], (\d+),")
_RANGE = re.compile(r"^(?P<field>[\w.]+):[\[{]")
_PART = {field: part for fields in (ARTICLE_FIELDS, PASSAGE_FIELDS) for part, field in fields.items()}


def _explanation(tree: dict[str, Any] | None, added: set[tuple[str, str]]) -> list[Contribution]:
    """What each word and phrase added to a hit's score, from the cluster's explanation of it
    (``explain``): its ``weight(…)`` nodes, and any other node that scores on its own (a range),
    whose values add up to the score; ``added``: the (field, term) pairs feedback put in the query."""
    found: list[Contribution] = []

    def add(term: str, field: str | None, value: float) -> None:
        base = (field or "").split(".")[0]  # body.plain: a pattern's words, in the body
        part = _PART.get(base, base or "any")
        found.append(Contribution(term, part, round(value, 4), feedback=(base, term) in added))

    def walk(node: dict[str, Any]) -> None:
        value = float(node.get("value") or 0.0)
        description = node.get("description", "")
        weight = _WEIGHT.match(description)
        if weight:
            if value:
                inner = weight["inner"]
                single = _FIELD_TERM.match(inner)
                if single and not inner.startswith("span"):
                    add(single["term"], single["field"], value)
                else:
                    terms = _SPAN_TERMS.findall(inner)
                    fields = {f for f, _ in terms}
                    slop = _SLOP.search(inner)
                    text = (
                        '"' + " ".join(t for _, t in terms) + '"' + (f"~{slop[1]}" if slop and slop[1] != "0" else "")
                    )
                    add(text if terms else inner, fields.pop() if len(fields) == 1 else None, value)
            return
        children = node.get("details") or []
        if not children:
            ranged = _RANGE.match(description)
            if value and ranged:
                add(f"{ranged['field']} range", ranged["field"], value)
            return
        for child in children:
            walk(child)

    if tree:
        walk(tree)
    return sorted(found, key=lambda c: -c.score)


def _folded(answer: dict[str, Any]) -> int:
    """How many matches are copies folded under others: the matches less their groups."""
    groups = answer.get("aggregations", {}).get("groups")
    return max(int(answer["hits"]["total"]["value"]) - int(groups["value"]), 0) if groups else 0


def _total(answer: dict[str, Any]) -> tuple[int, bool]:
    """The total of an answer, and whether it counts every match (else a lower bound): with
    copies folded, the number of copy groups among the matches."""
    total = answer["hits"]["total"]
    exact = total.get("relation", "eq") == "eq"
    groups = answer.get("aggregations", {}).get("groups")
    if groups is not None and total["value"]:  # past the exact count, a lower bound as on disk
        return (int(groups["value"]), True) if exact else (min(int(groups["value"]), int(total["value"])), False)
    return int(total["value"]), exact


def highlight_terms(reader: OpenSearchReader, parsed: ParsedQuery, article_id: str | None = None) -> Terms:
    """What ``parsed`` matches, by part; with ``article_id``, also the words its prefix,
    wildcard and fuzzy words match in that article (``show --highlight``)."""
    tree = parsed.tree()
    prepare(reader.analysis, [tree])
    translation = _translation(reader, parsed, "any" if parsed.any_words else "all")
    q = translation.translate(tree, parsed.text)
    if q is None:
        return {}
    terms = _by_part(translation.terms)
    if translation.patterns and article_id is not None:
        visible = documents.visible(reader.generation, KIND_ARTICLE)
        body = {
            "query": {"bool": {"must": [q], "filter": [*visible, {"term": {"key": article_id}}]}},
            "size": 1,
            "_source": False,
            "highlight": _highlight_request(passages=False),
        }
        _add_highlighted(reader, reader.call_search(body), terms)
    return terms


def _translation(reader: OpenSearchReader, parsed: ParsedQuery, group: str) -> Translation:
    names = PASSAGE_FIELDS if parsed.passages else ARTICLE_FIELDS
    parts = weights(passages=parsed.passages, question=parsed.any_words)
    if parsed.field is not None:
        defaults = {names[parsed.field]: parts.get(parsed.field, 1.0)}
    else:
        defaults = {names[part]: weight for part, weight in parts.items()}
    return Translation(reader.analysis, passages=parsed.passages, defaults=defaults, group=group)


def _visible(reader: OpenSearchReader, request: SearchRequest) -> list[DSL]:
    """The request's kind of document (articles or passages) that this generation sees."""
    return documents.visible(reader.generation, KIND_PASSAGE if request.passages else KIND_ARTICLE)


def _filters(reader: OpenSearchReader, request: SearchRequest) -> list[DSL]:
    """The request's kind of document, what this generation sees, and its filters."""
    found = _visible(reader, request)
    if request.source is not None:
        found.append(_source_filter(reader, request.source))
    if request.since or request.until:
        found.append(_date_filter(request))
    return found


def _source_filter(reader: OpenSearchReader, source: str) -> DSL:
    """``--source``: the source's words in order, case and accents folded (``bbc`` finds "BBC
    News")."""
    words = reader.analysis.words(PLAIN_ANALYZER, source)
    if not words:
        raise UsageError(f"--source {source!r} has no words to match — give a source's name, e.g. --source reuters")
    if len(words) == 1:
        return {"term": {"source": words[0]}}
    return {"match_phrase": {"source": {"query": source}}}


def _date_filter(request: SearchRequest) -> DSL:
    bounds = {}
    if request.since:
        bounds["gte"] = request.since.isoformat(timespec="seconds")
    if request.until:
        bounds["lte"] = request.until.isoformat(timespec="seconds")
    return {"range": {"date": bounds}}


def _run(
    reader: OpenSearchReader,
    request: SearchRequest,
    q: DSL,
    filters: list[DSL],
    spelled: _Spelling | None,
    patterns: bool,
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "query": {"bool": {"must": [q], "filter": filters}},
        "from": request.offset,
        "size": request.limit,
        # Counted up to EXACT_UP_TO, then "gte" (README, "Large result sets").
        "track_total_hits": True if request.exact_total else EXACT_UP_TO,
        "_source": ["data"],
    }
    if request.explain:
        body["explain"] = True
    if request.sort == "date":  # newest first; undated last; then as by relevance
        body["sort"] = [{"date": {"order": "desc", "missing": "_last"}}, {"_score": "desc"}, {"key": "asc"}]
        body["track_scores"] = True
    else:
        body["sort"] = [{"_score": "desc"}, {"key": "asc"}]
    if request.facets:
        body["aggs"] = dict(_FACET_AGGS)
    if request.offset >= MAX_RESULT_WINDOW:  # past the deepest page the cluster serves: an empty page
        body["from"], body["size"] = 0, 0
    else:
        body["size"] = min(request.limit, MAX_RESULT_WINDOW - request.offset)
    if patterns:
        body["highlight"] = _highlight_request(request.passages)
    if request.fold_copies and not request.passages:  # one result a story (README, "Wire copies folded")
        copies = {"name": "copies", "size": COPIES_LISTED + 1, "sort": body["sort"], "_source": ["data"]}
        body["collapse"] = {"field": GROUP, "inner_hits": copies}
        # The groups among the matches; exact below the threshold (up to hash collisions, rare).
        body.setdefault("aggs", {})["groups"] = {"cardinality": {"field": GROUP, "precision_threshold": 40_000}}
    if spelled is not None:
        spelled.ask(body)
    return reader.call_search(body)


_FACET_AGGS = {
    "source": {"terms": {"field": "source_name", "size": FACET_SIZE}},
    "month": {"terms": {"field": "month", "size": FACET_SIZE}},
}


def _facets(answer: dict[str, Any]) -> dict[str, dict[str, int]]:
    """Counts of all matches by source (most first, then by name) and by month (in date order)."""
    aggs = answer.get("aggregations", {})
    sources = {b["key"]: b["doc_count"] for b in aggs.get("source", {}).get("buckets", [])}
    months = {b["key"]: b["doc_count"] for b in aggs.get("month", {}).get("buckets", [])}
    return {
        "source": dict(sorted(sources.items(), key=lambda item: (-item[1], item[0]))),
        "month": dict(sorted(months.items())),
    }


def _no_facets(request: SearchRequest) -> dict[str, dict[str, int]]:
    return {"source": {}, "month": {}} if request.facets else {}


def _count(reader: OpenSearchReader, query: DSL, *, facets: bool = False) -> tuple[int, dict[str, dict[str, int]]]:
    body: dict[str, Any] = {"query": query, "size": 0, "track_total_hits": True}
    if facets:
        body["aggs"] = dict(_FACET_AGGS)
    answer = reader.call_search(body)
    return answer["hits"]["total"]["value"], _facets(answer) if facets else {}


def _empty_filter(reader: OpenSearchReader, q: DSL, request: SearchRequest) -> EmptyFilter | None:
    """Why filters left nothing: the filter that matches no article at all (and what there is
    instead), or how many articles match without the filters."""
    if request.source is None and not request.since and not request.until:
        return None
    kind = _visible(reader, request)
    if request.source is not None:
        source = _source_filter(reader, request.source)
        if not _count(reader, {"bool": {"filter": [*kind, source]}})[0]:
            there = _count(reader, {"bool": {"filter": kind}}, facets=True)[1]["source"]
            return EmptyFilter("source", tuple(there))
    dated = request.since or request.until
    if dated and not _count(reader, {"bool": {"filter": [*kind, _date_filter(request)]}})[0]:
        there = _count(reader, {"bool": {"filter": kind}}, facets=True)[1]["month"]
        return EmptyFilter("date", tuple(there))
    return EmptyFilter(None, unfiltered=_count(reader, {"bool": {"must": [q], "filter": kind}})[0])


def _by_part(terms: Terms) -> Terms:
    return terms_by_part(terms, ARTICLE_FIELDS, PASSAGE_FIELDS)


def _highlight_request(passages: bool) -> DSL:
    fields = PASSAGE_FIELDS if passages else ARTICLE_FIELDS
    return {
        "pre_tags": [_MARK_START],
        "post_tags": [_MARK_END],
        "require_field_match": True,
        # Only the first million characters of a field are looked at (the cluster refuses more).
        "max_analyzer_offset": MAX_HIGHLIGHTED,
        "fields": {f"{name}.{PLAIN}": {"number_of_fragments": 100, "fragment_size": 50} for name in fields.values()},
    }


def _add_highlighted(reader: OpenSearchReader, answer: dict[str, Any], terms: Terms) -> None:
    """What a prefix, wildcard or fuzzy word matched in the page's articles, as their highlighter
    marked it: the words, analyzed, join the highlight terms of their part."""
    by_field: dict[str, set[str]] = {}
    for hit in answer["hits"]["hits"]:
        for name, fragments in hit.get("highlight", {}).items():
            field = name.removesuffix(f".{PLAIN}")
            by_field.setdefault(field, set()).update(m.group(1) for f in fragments for m in _MARKED.finditer(f))
    reader.analysis.prepare(ANALYZER, {w for found in by_field.values() for w in found})
    analyzed: Terms = {}
    for field, found in by_field.items():
        analyzed[field] = {w for word in found for w in reader.analysis.words(ANALYZER, word)}
    for part, words in _by_part(analyzed).items():
        terms.setdefault(part, set()).update(words)


def _prepare_snippets(reader: OpenSearchReader, found: list[Article | Passage]) -> None:
    """Analyze, in one request, every text the snippets of the page will look at."""
    reader.analysis.prepare(ANALYZER, [text for item in found for text in texts_of(item)])


def texts_of(item: Article | Passage) -> list[str]:
    """The texts of an article or passage that its snippets and highlights analyze whole (a
    longer one is analyzed in stretches: ``snippets.MAX_ANALYZED``)."""
    if isinstance(item, Article):
        texts = [
            item.title,
            *(s.heading or "" for s in item.sections),
            *(p.text for s in item.sections for p in s.paragraphs),
            *(c.text for c in item.captions),
        ]
    else:
        paragraphs = [p.text for p in item.paragraphs]
        texts = [item.title, item.section or "", *paragraphs, "\n".join(paragraphs)]
    return [text for text in texts if len(text) <= MAX_ANALYZED]


class _Spelling:
    """ "Did you mean" (``spelling.suggest``), asked in the same request as the page: whether the
    index has each of the query's words, and its nearest words for those it lacks."""

    def __init__(self, reader: OpenSearchReader, text: str) -> None:
        self.reader = reader
        self.text = text
        self.answer: dict[str, Any] | None = None
        reader.analysis.prepare(PLAIN_ANALYZER, WORD.findall(text))  # every word in one request
        self.words: list[str] = list(dict.fromkeys(token for _, token in spelling.candidates(text, self._fold)))

    def _fold(self, word: str) -> list[str]:
        return self.reader.analysis.words(PLAIN_ANALYZER, word)

    def ask(self, body: dict[str, Any]) -> None:
        if not self.words:
            return
        filters = {str(n): {"term": {SPELLING_FIELD: word}} for n, word in enumerate(self.words)}
        body.setdefault("aggs", {})["known"] = {"global": {}, "aggs": {"words": {"filters": {"filters": filters}}}}
        body["suggest"] = {
            f"w{n}": {
                "text": word,
                "term": {
                    "field": SPELLING_FIELD,
                    "suggest_mode": "always",
                    "max_edits": 2,
                    "prefix_length": 1,
                    "min_word_length": 3,
                    "size": _SUGGESTIONS,
                    "sort": "frequency",
                },
            }
            for n, word in enumerate(self.words)
        }

    def seen(self, answer: dict[str, Any]) -> None:
        """The answer to the request ``ask`` added to."""
        self.answer = answer

    def suggestion(self) -> str | None:
        answer = self.answer
        if not self.words or answer is None:
            return None
        buckets = answer.get("aggregations", {}).get("known", {}).get("words", {}).get("buckets", {})
        known = {word for n, word in enumerate(self.words) if buckets.get(str(n), {}).get("doc_count", 0) > 0}
        options: dict[str, list[tuple[str, int]]] = {}
        for n, word in enumerate(self.words):
            for entry in answer.get("suggest", {}).get(f"w{n}", []):
                options.setdefault(word, []).extend((o["text"], o["freq"]) for o in entry["options"])

        def closest(token: str) -> str | None:
            found = [(w, f) for w, f in options.get(token, []) if w != token and w[:1] == token[:1]]
            for dist in spelling.edits_allowed(token):
                near = [(w, f) for w, f in found if spelling.edit_distance(token, w) <= dist]
                if near:
                    return max(near, key=lambda item: (item[1], -abs(len(item[0]) - len(token)), item[0]))[0]
            return None

        return spelling.suggest(self.text, fold=self._fold, known=lambda token: token in known, closest=closest)


def _feedback_applies(reader: OpenSearchReader, parsed: ParsedQuery, tree: querytree.Query | None) -> bool:
    """Plain words only (no field, phrase, pattern or exclusion, no ``--in``), at least
    ``rm3.MIN_WORDS`` distinct ones after analysis."""
    if parsed.field is not None or tree is None:
        return False
    words = tree.children if isinstance(tree, querytree.Or) else (tree,)
    if not all(isinstance(w, querytree.Word) and w.field is None for w in words):
        return False
    analysis = reader.analysis
    return len({w for text in _words_of(tree) for w in analysis.words(ANALYZER, text)}) >= rm3.MIN_WORDS


def _words_of(tree: querytree.Query | None) -> list[str]:
    return [leaf.text for leaf in querytree.leaves(tree) if isinstance(leaf, querytree.Word)]


def _with_feedback(
    reader: OpenSearchReader, q: DSL, question: list[str], filters: list[DSL]
) -> tuple[DSL, set[tuple[str, str]]]:
    """``q`` re-weighted RM3-style (``rm3``) from its best articles within the filters, and the
    (field, word) pairs of the words feedback added; ``question``: its words as written."""
    articles = _count(reader, {"bool": {"filter": documents.visible(reader.generation, KIND_ARTICLE)}})[0]
    if articles < rm3.MIN_ARTICLES:
        return q, set()
    analysis = reader.analysis
    # Each word once, however often it was written: the query scores it once (``translate``).
    original = Counter({w: 1 for word in question for w in analysis.words(ANALYZER, word)})
    top = reader.call_search(
        {
            "query": {"bool": {"must": [q], "filter": filters}},
            "size": rm3.FEEDBACK_DOCS,
            "sort": [{"_score": "desc"}, {"key": "asc"}],
            "_source": ["data"],
        }
    )["hits"]["hits"]
    if not top or not original:
        return q, set()
    texts = []
    for hit in top:
        article = records.article(hit["_source"]["data"])
        texts.append((float(hit["_score"]), rm3.feedback_text(article.title, article.body)))
    analysis.prepare(ANALYZER, [text for _, text in texts])
    docs = [(score, analysis.words(ANALYZER, text)) for score, text in texts]

    def too_common(words: list[str]) -> list[str]:
        if not words:
            return []
        counts = reader.call_search(
            {
                "size": 0,
                "query": {"bool": {"filter": [{"term": {"kind": KIND_ARTICLE}}]}},
                "aggs": {"df": {"filters": {"filters": {w: {"term": {"body": w}} for w in words}}}},
            }
        )["aggregations"]["df"]["buckets"]
        return [w for w in words if counts[w]["doc_count"] > rm3.MAX_SHARE * articles]

    asked, found = rm3.weights(original, docs, too_common)
    parts = weights(passages=False, question=True)
    asked_q = _weighted({ARTICLE_FIELDS[p]: w for p, w in parts.items()}, asked)
    fields = {ARTICLE_FIELDS[p]: parts[p] for p in rm3.FEEDBACK_FIELDS}
    found_q = _weighted(fields, found)
    if found_q is None:
        return asked_q or q, set()
    return {"bool": {"must": [asked_q], "should": [found_q]}}, {(f, w) for w in found for f in fields}


def _weighted(fields: dict[str, float], words: dict[str, float]) -> DSL | None:
    terms = [
        {"term": {field: {"value": word, "boost": value * weight}}}
        for word, value in words.items()
        for field, weight in fields.items()
    ]
    return {"bool": {"should": terms, "minimum_should_match": 1}} if terms else None
