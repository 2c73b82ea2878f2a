"""Relevance of newssearch's ranking on the SMART TIME collection, side by side with a baseline.

    .venv/bin/python benchmarks/relevance_time.py [--qrels rel|all] [--json FILE]

Indexes the 423 TIME articles once (temporary corpus of .txt files, one per article), runs the 83
natural-language queries and scores each configuration's ranking with ir_measures (MAP, nDCG@10,
P@10) against TIME.REL (``qrels.txt``, 79 judged queries) or, with ``--qrels all``, TIME.REL.ALL.

Configurations, all in one run and on the same documents:

- newssearch as shipped, with ``--any`` (the mode for questions) and in the default all-words mode
  (which relaxes to any word when nothing has them all);
- a baseline: plain Whoosh, one body field with ``StemmingAnalyzer``, ``BM25F()`` defaults,
  ``OrGroup`` (and ``AndGroup`` relaxed to ``OrGroup`` beside the all-words mode);
- variants of ``newssearch.ranking.ARTICLE_WEIGHTS`` (title 0.5 / 1 / 2 / 3, body only), and the
  searcher's ``KindBM25F`` swapped back to Whoosh's plain ``BM25F()`` (statistics over every
  document of the index), patched in-process, so a change to the ranking can state its effect in
  numbers. ``body only`` must equal the OR baseline: same text, same statistics, same scoring;
- diagnostics that are not options of the tool, each isolating one cause of a difference: the raw
  upper-case query text (its ``AND``/``OR`` become operators) and hyphenated words written as two
  words (equal to shipped unless the parser mistreats hyphens).

Queries are lower-cased before they are run: the collection is all upper case (1963 punch cards),
and newssearch, like Whoosh, reads upper-case ``AND``/``OR``/``NOT`` as operators (27 of the 83
queries contain one). The ``raw upper-case text`` row shows what the text as distributed gives.

Snippets do not change the order of results, and building them for 1,000 hits costs about a second
a query on TIME's long articles, so ``article_matches`` is stubbed out for the runs; ``--verify N``
(default 5) checks on N queries that the top 10 with real snippets is the same.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import corpora as coll  # noqa: E402  (beside this script; also puts src/ on sys.path)
import ir_measures  # noqa: E402
from ir_measures import AP, P, ScoredDoc, nDCG  # noqa: E402
from whoosh import index as windex  # noqa: E402
from whoosh import qparser, scoring  # noqa: E402
from whoosh.analysis import StemmingAnalyzer  # noqa: E402
from whoosh.fields import ID, TEXT, Schema  # noqa: E402

import newssearch.query as ns_query  # noqa: E402
import newssearch.ranking as ns_ranking  # noqa: E402
import newssearch.snippets as ns_snippets  # noqa: E402
import newssearch.store as ns_store  # noqa: E402
from newssearch.indexer import update_index  # noqa: E402
from newssearch.searcher import SearchRequest, search  # noqa: E402

LIMIT = 1000
MEASURES = [AP, nDCG @ 10, P @ 10]
MEASURE_NAMES = {AP: "MAP", nDCG @ 10: "nDCG@10", P @ 10: "P@10"}

Ranking = dict[str, list[str]]  # query id → doc ids, best first


@dataclass
class Config:
    name: str
    kind: str  # "newssearch" | "baseline"
    any_words: bool = True
    weights: dict[str, float] | None = None  # ranking.ARTICLE_WEIGHTS override
    whoosh_stats: bool = False  # the searcher's KindBM25F swapped for Whoosh's plain BM25F()
    raw_case: bool = False  # run the upper-case text as distributed
    hyphens_as_spaces: bool = False  # "east-west" → "east west"
    diagnostic: bool = False
    note: str = ""
    ranking: Ranking = field(default_factory=dict)
    scores: dict[str, list[float]] = field(default_factory=dict)  # rounded as newssearch rounds (4 places)
    relaxed: int = 0
    seconds: float = 0.0


BODY_ONLY = "--any body only"
BASELINE_OR = "baseline BM25F body, OR"


def configs() -> list[Config]:
    shipped = dict(ns_ranking.ARTICLE_WEIGHTS)

    def title(w: float) -> dict[str, float]:
        return {**shipped, "title": w}

    return [
        Config(
            "newssearch --any (shipped)",
            "newssearch",
            note=f"ranking.ARTICLE_WEIGHTS {_fmt_weights(shipped)}, KindBM25F (statistics per kind of document)",
        ),
        Config(
            "newssearch all words→any (shipped)",
            "newssearch",
            any_words=False,
            note="default mode: all words, relaxed to any word when no article has them all",
        ),
        Config(
            BASELINE_OR,
            "baseline",
            note="plain Whoosh: one body field, StemmingAnalyzer, BM25F(), QueryParser OrGroup",
        ),
        Config(
            "baseline BM25F body, AND→OR",
            "baseline",
            any_words=False,
            note="the same with AndGroup, relaxed to OrGroup when nothing matches",
        ),
        Config("--any title 0.5", "newssearch", weights=title(0.5)),
        Config("--any title 1.0", "newssearch", weights=title(1.0)),
        Config("--any title 1.5", "newssearch", weights=title(1.5), note="the title weight of 074c58f"),
        Config("--any title 2.0", "newssearch", weights=title(2.0)),
        Config("--any title 3.0", "newssearch", weights=title(3.0), note="the title weight before 074c58f"),
        Config(
            BODY_ONLY,
            "newssearch",
            weights={"body": 1.0},
            note="ARTICLE_WEIGHTS = {body: 1}: title, section, caption not searched; must equal the OR baseline",
        ),
        Config(
            "--any Whoosh's default statistics (all documents)",
            "newssearch",
            whoosh_stats=True,
            note="the searcher's KindBM25F swapped for scoring.BM25F(): N and average field length counted over "
            "every document of the index (articles, passages, file entries, meta)",
        ),
        Config(
            "--any title 1.5, Whoosh's default statistics",
            "newssearch",
            weights=title(1.5),
            whoosh_stats=True,
            note="whether KindBM25F helps depends on the title weight",
        ),
        Config(
            "--any eed017b ranking (title 3, section 2, caption 1.5, Whoosh statistics)",
            "newssearch",
            weights={"title": 3.0, "section": 2.0, "caption": 1.5, "body": 1.0},
            whoosh_stats=True,
            note="the ranking before 074c58f, put back in-process (eed017b measured MAP 0.5120 on TIME.REL)",
        ),
        # Diagnostics: not options of the tool, each isolates one cause of a difference.
        Config(
            "diag: raw upper-case text",
            "newssearch",
            raw_case=True,
            diagnostic=True,
            note="upper-case AND/OR/NOT in the questions become operators",
        ),
        Config(
            "diag: hyphens as spaces",
            "newssearch",
            hyphens_as_spaces=True,
            diagnostic=True,
            note="'east-west' written 'east west'; equals the shipped row unless the parser mistreats hyphens "
            "(bc93f44 read east NOT west: MAP 0.4736)",
        ),
    ]


def _fmt_weights(w: dict[str, float]) -> str:
    return " ".join(f"{k}={v:g}" for k, v in w.items())


# -- running newssearch ------------------------------------------------------------------------


@contextmanager
def patched(cfg: Config, stub_snippets: bool = True) -> Iterator[None]:
    """Apply a configuration's overrides to the imported modules, and undo them afterwards."""
    saved: list[tuple[Any, str, Any]] = []

    def put(obj: Any, name: str, value: Any) -> None:
        saved.append((obj, name, getattr(obj, name)))
        setattr(obj, name, value)

    try:
        if cfg.weights is not None:  # query._parse reads ranking.ARTICLE_WEIGHTS at call time
            put(ns_ranking, "ARTICLE_WEIGHTS", dict(cfg.weights))
        if cfg.whoosh_stats:  # store.open_searcher calls KindBM25F() by its module-global name
            put(ns_store, "KindBM25F", scoring.BM25F)
        if stub_snippets:
            put(ns_snippets, "article_matches", lambda *args, **kwargs: [])
        yield
    finally:
        for obj, name, value in reversed(saved):
            setattr(obj, name, value)


_HYPHEN = re.compile(r"(?<=\w)-(?=\w)")


def parser_checks() -> dict[str, bool]:
    """Facts about the parser that explain rows of the table (they change as src/ changes)."""
    hyphen = str(ns_query.parse_query("an east-west nonaggression pact", any_words=True).strict)
    return {"hyphenated word excludes its second half": "NOT" in hyphen}


def query_text(text: str, cfg: Config) -> str:
    if cfg.hyphens_as_spaces:
        text = _HYPHEN.sub(" ", text)
    return text if cfg.raw_case else text.lower()


def run_newssearch(index_dir: Path, corpus: Any, queries: list[tuple[str, str]], cfg: Config) -> None:
    started = time.perf_counter()
    with patched(cfg):
        for qid, text in queries:
            result = search(index_dir, SearchRequest(query_text(text, cfg), limit=LIMIT, any_words=cfg.any_words))
            cfg.ranking[qid] = [corpus.doc_id(hit.path) for hit in result.results]
            cfg.scores[qid] = [hit.score for hit in result.results]
            cfg.relaxed += result.relaxed
    cfg.seconds = time.perf_counter() - started


def verify_snippet_stub(index_dir: Path, corpus: Any, queries: list[tuple[str, str]], cfg: Config, n: int) -> bool:
    """The top 10 with real snippets equals the top 10 of the stubbed run, for the first n queries."""
    with patched(Config("verify", "newssearch"), stub_snippets=False):
        for qid, text in queries[:n]:
            result = search(index_dir, SearchRequest(query_text(text, cfg), limit=10, any_words=cfg.any_words))
            if [corpus.doc_id(hit.path) for hit in result.results] != cfg.ranking[qid][:10]:
                return False
    return True


# -- the baseline ------------------------------------------------------------------------------


def build_baseline(docs: list[Any], index_dir: Path) -> windex.Index:
    """Plain Whoosh: the article text in one stemmed body field, one writer, one commit."""
    schema = Schema(docid=ID(stored=True, unique=True), body=TEXT(analyzer=StemmingAnalyzer()))
    index_dir.mkdir(parents=True, exist_ok=True)
    ix = windex.create_in(str(index_dir), schema)
    writer = ix.writer()
    for doc in docs:
        writer.add_document(docid=doc.id, body=doc.body)  # TIME's body holds the whole article
    writer.commit()
    return ix


def run_baseline(ix: windex.Index, queries: list[tuple[str, str]], cfg: Config) -> None:
    started = time.perf_counter()
    any_parser = qparser.QueryParser("body", ix.schema, group=qparser.OrGroup)
    all_parser = qparser.QueryParser("body", ix.schema)  # AndGroup
    with ix.searcher(weighting=scoring.BM25F()) as searcher:
        for qid, text in queries:
            text = query_text(text, cfg)
            results = searcher.search((any_parser if cfg.any_words else all_parser).parse(text), limit=LIMIT)
            if not cfg.any_words and results.is_empty():
                results = searcher.search(any_parser.parse(text), limit=LIMIT)
                cfg.relaxed += 1
            cfg.ranking[qid] = [hit["docid"] for hit in results]
            cfg.scores[qid] = [round(hit.score, 4) for hit in results]
    cfg.seconds = time.perf_counter() - started


# -- scoring -----------------------------------------------------------------------------------


def evaluate(ranking: Ranking, qrels: list[Any]) -> tuple[dict[str, float], dict[str, dict[str, float]]]:
    """Mean of each measure over the judged queries (a query with no results scores 0, as with
    ``trec_eval -c``), and the per-query values. Scores given to ir_measures follow the rank, so
    ties are broken exactly as the engine broke them."""
    run = [
        ScoredDoc(qid, doc, float(len(docs) - rank)) for qid, docs in ranking.items() for rank, doc in enumerate(docs)
    ]
    judged = sorted({q.query_id for q in qrels})
    per_query: dict[str, dict[str, float]] = {MEASURE_NAMES[m]: dict.fromkeys(judged, 0.0) for m in MEASURES}
    for metric in ir_measures.iter_calc(MEASURES, qrels, run):
        per_query[MEASURE_NAMES[metric.measure]][metric.query_id] = float(metric.value)
    means = {name: sum(values.values()) / len(values) for name, values in per_query.items()}
    return means, per_query


def same_up_to_ties(a: Config, b: Config, qid: str) -> bool:
    """The same documents with the same scores in the same order, except that documents of equal
    score may come in another order (newssearch breaks ties by article key, Whoosh by document
    number)."""

    def groups(cfg: Config) -> list[tuple[float, frozenset[str]]]:
        out: list[tuple[float, set[str]]] = []
        for doc, score in zip(cfg.ranking[qid], cfg.scores[qid], strict=True):
            if out and out[-1][0] == score:
                out[-1][1].add(doc)
            else:
                out.append((score, {doc}))
        return [(score, frozenset(docs)) for score, docs in out]

    return groups(a) == groups(b)


def paired_p(a: dict[str, float], b: dict[str, float], rounds: int = 10_000, seed: int = 1) -> float:
    """Two-sided paired randomization test on the mean difference of per-query values: the share
    of random sign flips of the differences whose mean is at least as far from 0 as the observed."""
    diffs = [a[q] - b[q] for q in a]
    observed = abs(sum(diffs)) - 1e-12
    if observed <= 0:
        return 1.0
    rng = random.Random(seed)
    extreme = 0
    for _ in range(rounds):
        bits = rng.getrandbits(len(diffs))
        if abs(sum(d if bits >> i & 1 else -d for i, d in enumerate(diffs))) >= observed:
            extreme += 1
    return extreme / rounds


def wins_losses(a: dict[str, float], b: dict[str, float], eps: float = 1e-9) -> tuple[int, int]:
    return sum(a[q] > b[q] + eps for q in a), sum(a[q] < b[q] - eps for q in a)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument(
        "--qrels",
        choices=["rel", "all"],
        default="rel",
        help="rel: qrels.txt (TIME.REL, default); all: qrels_all.txt (TIME.REL.ALL)",
    )
    ap.add_argument("--json", type=Path, metavar="FILE", help="also write every number (and per-query AP) to FILE")
    ap.add_argument("--verify", type=int, default=5, metavar="N", help="check the snippet stub on N queries (0: skip)")
    args = ap.parse_args(argv)

    docs = coll.time_docs()
    queries = coll.time_queries()
    qrels_path = coll.time_qrels(args.qrels)
    qrels = list(ir_measures.read_trec_qrels(str(qrels_path)))
    cfgs = configs()

    with tempfile.TemporaryDirectory(prefix="newssearch-time-") as tmp:
        tmpdir = Path(tmp)
        corpus = coll.write_corpus(docs, tmpdir / "corpus")
        started = time.perf_counter()
        summary = update_index(corpus.folder, tmpdir / "index")
        ns_index_s = time.perf_counter() - started
        if summary.articles != len(docs):
            print(f"warning: newssearch indexed {summary.articles} articles from {len(docs)} files", file=sys.stderr)
        started = time.perf_counter()
        base_ix = build_baseline(docs, tmpdir / "baseline")
        base_index_s = time.perf_counter() - started

        verified: bool | None = None
        for cfg in cfgs:
            if cfg.kind == "baseline":
                run_baseline(base_ix, queries, cfg)
            else:
                run_newssearch(tmpdir / "index", corpus, queries, cfg)
            print(f"  ran {cfg.name} in {cfg.seconds:.1f} s", file=sys.stderr)
        if args.verify:
            verified = verify_snippet_stub(tmpdir / "index", corpus, queries, cfgs[0], args.verify)

    scored = [(cfg, *evaluate(cfg.ranking, qrels)) for cfg in cfgs]
    shipped_ap = scored[0][2]["MAP"]
    judged = len(shipped_ap)

    qrels_label = "TIME.REL (qrels.txt)" if args.qrels == "rel" else "TIME.REL.ALL (qrels_all.txt)"
    print(f"newssearch {coll.source_state()}; measured {time.strftime('%Y-%m-%d %H:%M')}")
    print(
        f"TIME collection: {len(docs)} articles, {len(queries)} queries, "
        f"judgments {qrels_label}: {len(qrels)} pairs, {judged} judged queries"
    )
    print(f"queries lower-cased; {LIMIT} results a query; means over the {judged} judged queries")
    print(f"index time: newssearch {ns_index_s:.1f} s, baseline {base_index_s:.1f} s")
    print()
    name_w = max(len(c.name) for c in cfgs)
    header = (
        f"{'configuration':<{name_w}}  {'MAP':>6}  {'nDCG@10':>7}  {'P@10':>6}  {'ΔMAP':>7}  "
        f"{'AP W/L vs shipped':>17}  {'p (MAP)':>7}  relaxed"
    )
    print(header)
    print("-" * len(header))
    for n, (cfg, means, per_query) in enumerate(scored):
        if cfg.diagnostic and not cfgs[n - 1].diagnostic:
            print(f"{'diagnostics (not options of the tool):':<{name_w}}")
        delta = means["MAP"] - scored[0][1]["MAP"]
        wl = "" if cfg is cfgs[0] else "{}/{}".format(*wins_losses(per_query["MAP"], shipped_ap))
        p_map = "" if cfg is cfgs[0] else f"{paired_p(per_query['MAP'], shipped_ap):.4f}"
        relaxed = f"{cfg.relaxed}/{len(queries)}" if not cfg.any_words else ""
        print(
            f"{cfg.name:<{name_w}}  {means['MAP']:6.4f}  {means['nDCG@10']:7.4f}  {means['P@10']:6.4f}  "
            f"{delta:+7.4f}  {wl:>17}  {p_map:>7}  {relaxed}"
        )
    print()
    print(
        "  p (MAP): paired randomization test of the MAP difference with the shipped row "
        "(10,000 sign flips of the per-query AP differences, two-sided)"
    )
    for cfg in cfgs:
        if cfg.note:
            print(f"  {cfg.name}: {cfg.note}")
    checks = parser_checks()
    print("  parser checks: " + "; ".join(f"{k}: {'yes' if v else 'no'}" for k, v in checks.items()))
    by_name = {cfg.name: cfg for cfg in cfgs}
    same = sum(same_up_to_ties(by_name[BODY_ONLY], by_name[BASELINE_OR], q) for q, _ in queries)
    checks["body only scores as the OR baseline"] = same == len(queries)
    print(
        f"  harness check: {BODY_ONLY!r} gives the same documents and scores as {BASELINE_OR!r} "
        f"for {same}/{len(queries)} queries (ties may be broken in another order)"
        + ("" if same == len(queries) else ": THE STATISTICS OR THE TEXT DIFFER")
    )
    if verified is not None:
        print(
            f"  snippet stub check ({args.verify} queries, top 10 with real snippets): "
            f"{'same ranking' if verified else 'RANKINGS DIFFER'}"
        )

    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(
            json.dumps(
                {
                    "collection": "TIME",
                    "source": coll.source_state(),
                    "qrels": qrels_path.name,
                    "documents": len(docs),
                    "queries": len(queries),
                    "judged_queries": judged,
                    "limit": LIMIT,
                    "index_seconds": {"newssearch": round(ns_index_s, 3), "baseline": round(base_index_s, 3)},
                    "snippet_stub_verified": verified,
                    "checks": checks,
                    "configurations": [
                        {
                            "name": cfg.name,
                            "kind": cfg.kind,
                            "any_words": cfg.any_words,
                            "weights": cfg.weights,
                            "whoosh_stats": cfg.whoosh_stats,
                            "raw_case": cfg.raw_case,
                            "hyphens_as_spaces": cfg.hyphens_as_spaces,
                            "diagnostic": cfg.diagnostic,
                            "relaxed": cfg.relaxed,
                            "seconds": round(cfg.seconds, 3),
                            **{k: round(v, 4) for k, v in means.items()},
                            "p_map_vs_shipped": None if cfg is cfgs[0] else paired_p(per_query["MAP"], shipped_ap),
                            "ap_by_query": {q: round(v, 4) for q, v in per_query["MAP"].items()},
                        }
                        for cfg, means, per_query in scored
                    ],
                },
                indent=2,
            )
            + "\n",
            encoding="utf-8",
        )
    return 0 if verified is not False and checks["body only scores as the OR baseline"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
