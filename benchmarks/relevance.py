"""Relevance of newssearch --any against SQLite FTS5 (BM25) on TIME and Cranfield, in one run.

    .venv/bin/python benchmarks/relevance.py [--collections time cranfield] [--json FILE]
                                             [--newssearch-only | --fts5-only] [--time-qrels rel|all]
                                             [--fts5-body-only] [--verify N] [--index URL]

For each collection (``../shared/data/<name>/``: ``<name>.jsonl``, ``queries.tsv``, ``qrels.txt``):

- **newssearch**, used as a user would: the ``.jsonl`` is copied into a temporary corpus folder and
  indexed with ``newssearch.indexer.update_index`` (``.jsonl`` is read directly: ``id``, ``title``,
  ``body``); every query goes through ``searcher.search(index, SearchRequest(text, limit=1000,
  any_words=True))``, i.e. ``newssearch query --any``. A hit's ``doc_id`` (the record's ``id``)
  is the collection's doc id.
- **newssearch-opensearch**, only with ``--index URL`` (an OpenSearch cluster's URL without an
  index name, e.g. ``http://127.0.0.1:9200``): the same temporary corpus is also indexed with
  ``update_index(corpus, f"{URL}/relevance-<collection>", rebuild=True)``, and every query goes
  through ``searcher.search`` at that location with the same request. The index
  ``relevance-<collection>`` is rebuilt from nothing on every run (a new physical index, then the
  alias moved to it and the old one deleted) and left on the cluster afterwards. The report
  adds a column for it, and under the table the difference OpenSearch minus Whoosh (MAP,
  nDCG@10), the paired randomization p of the AP differences, and how many queries have the same
  top 10 on both engines (same documents in the same order; and the same documents in any order).
  ``--index`` cannot be combined with ``--fts5-only``.
- **FTS5** (the baseline), with Python's ``sqlite3`` in memory: ``CREATE VIRTUAL TABLE docs USING
  fts5(title, body, tokenize='porter')`` holding the same title and body; a query is the OR of its
  alphanumeric words, each quoted (``"what" OR "similarity" OR …``), ranked by ``bm25(docs)``
  ascending (FTS5's bm25 is negative, lower is better; ties by rowid, i.e. file order),
  ``LIMIT 1000``. FTS5 has no stop words, and neither has newssearch.

Scored with ir_measures: MAP (= AP@1000), nDCG@10, P@10, R@100; means over the judged queries of
``qrels.txt``, a judged query without results counting 0. Relevant for the binary measures is
rel >= 1 (ir_measures' default); nDCG uses the grades (Cranfield 0-4, TIME all 1). The scores given
to ir_measures follow the rank (1000, 999, …), so ties stay in the order the engine returned them.

Queries are lower-cased for both engines: TIME is all upper case (1963), and newssearch reads
upper-case ``AND``/``OR``/``NOT`` as operators (Cranfield is lower case already). FTS5 folds case
itself and every word is quoted, so it is unaffected.

Snippets are left out (``SearchRequest(snippets=False)``) during the runs.
``search`` builds snippets for every result, which at 1,000 results costs ~0.45 s a query on
Cranfield and ~1 s on TIME, and snippets do not change the order of results. ``--verify N``
(default 3) checks on N queries a collection, for each newssearch engine, that the top 10 with
real snippets is the same.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import shutil
import sqlite3
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import corpora as coll  # noqa: E402  (beside this script; also puts src/ on sys.path)
import ir_measures  # noqa: E402
from ir_measures import AP, P, R, ScoredDoc, nDCG  # noqa: E402

from newssearch.indexer import update_index  # noqa: E402
from newssearch.models import SearchRequest  # noqa: E402
from newssearch.searcher import search  # noqa: E402

LIMIT = 1000
MEASURES = [AP @ 1000, nDCG @ 10, P @ 10, R @ 100]
MEASURE_NAMES = {AP @ 1000: "MAP", nDCG @ 10: "nDCG@10", P @ 10: "P@10", R @ 100: "R@100"}
COLLECTIONS = {"time": ("TIME", "time.jsonl"), "cranfield": ("Cranfield", "cranfield.jsonl")}
WHOOSH, OPENSEARCH = "newssearch", "newssearch-opensearch"  # newssearch's two engines
ENGINES = (WHOOSH, OPENSEARCH, "FTS5")

Ranking = dict[str, list[str]]  # query id → doc ids, best first
_WORD = re.compile(r"[^\W_]+")  # alphanumeric words (Unicode letters and digits)


@dataclass
class Run:
    engine: str
    ranking: Ranking = field(default_factory=dict)
    index_seconds: float = 0.0
    query_seconds: float = 0.0
    verify_seconds: float = 0.0  # the --verify searches, with snippets
    indexed: int = 0  # documents the engine holds
    means: dict[str, float] = field(default_factory=dict)
    per_query: dict[str, dict[str, float]] = field(default_factory=dict)
    snippet_stub_ok: bool | None = None


@dataclass
class Collection:
    key: str
    name: str
    jsonl: Path
    docs: list[dict[str, Any]]
    queries: list[tuple[str, str]]
    qrels_path: Path
    qrels: list[Any]

    @property
    def judged(self) -> list[str]:
        return sorted({q.query_id for q in self.qrels}, key=_qid_order)


def _qid_order(qid: str) -> tuple[int, str]:
    return (int(qid), qid) if qid.isdigit() else (1 << 30, qid)


def load(key: str, time_qrels: str) -> Collection:
    name, jsonl = COLLECTIONS[key]
    path = coll.data_path(key, jsonl)
    docs = list(coll.read_jsonl(path))
    queries = []
    for line in coll.data_path(key, "queries.tsv").read_text(encoding="utf-8").splitlines():
        if line.strip():
            qid, text = line.split("\t", 1)
            queries.append((qid.strip(), text.strip()))
    qrels_path = coll.data_path(key, "qrels_all.txt" if key == "time" and time_qrels == "all" else "qrels.txt")
    qrels = list(ir_measures.read_trec_qrels(str(qrels_path)))
    return Collection(key, name, path, docs, queries, qrels_path, qrels)


# -- newssearch --------------------------------------------------------------------------------


def doc_ids(result: Any) -> list[str]:
    ids = [hit.doc_id for hit in result.results]
    if any(i is None for i in ids):
        raise SystemExit("a newssearch hit has no doc_id: the .jsonl records' ids were not kept")
    return ids


def copy_corpus(c: Collection, tmp: Path) -> Path:
    """A corpus folder holding the collection's ``.jsonl``, as a user would have it."""
    corpus = tmp / "corpus"
    corpus.mkdir()
    shutil.copy(c.jsonl, corpus / c.jsonl.name)
    return corpus


def run_newssearch(
    c: Collection, corpus: Path, index: str | Path, verify: int, engine: str = WHOOSH, rebuild: bool = False
) -> Run:
    """``index``: a folder (Whoosh) or a cluster location ``http://HOST:PORT/NAME`` (OpenSearch)."""
    run = Run(engine)
    started = time.perf_counter()
    summary = update_index(corpus, index, rebuild=rebuild)
    run.index_seconds = time.perf_counter() - started
    run.indexed = summary.articles
    started = time.perf_counter()
    for qid, text in c.queries:  # snippets do not affect ranking, and would be most of the time
        request = SearchRequest(text.lower(), limit=LIMIT, any_words=True, snippets=False)
        run.ranking[qid] = doc_ids(search(index, request))
    run.query_seconds = time.perf_counter() - started
    if verify:  # leaving snippets out changes no ranking: top 10 with real snippets
        started = time.perf_counter()
        run.snippet_stub_ok = all(
            doc_ids(search(index, SearchRequest(text.lower(), limit=10, any_words=True))) == run.ranking[qid][:10]
            for qid, text in c.queries[:verify]
        )
        run.verify_seconds = time.perf_counter() - started
    return run


# -- FTS5 --------------------------------------------------------------------------------------


def fts5_query(text: str) -> str:
    """The OR of the text's words, each quoted (FTS5 syntax: a quoted string is one term)."""
    return " OR ".join(f'"{w}"' for w in _WORD.findall(text.lower()))


def run_fts5(c: Collection, body_only: bool = False) -> Run:
    """``body_only``: one ``body`` column (a diagnostic: TIME's body repeats its synthetic title,
    and the FTS5 numbers quoted in November, MAP 0.655 / nDCG@10 0.715, are this table's)."""
    run = Run("FTS5")
    db = sqlite3.connect(":memory:")
    started = time.perf_counter()
    if body_only:
        db.execute("CREATE VIRTUAL TABLE docs USING fts5(body, tokenize='porter')")
        rows: Iterator[tuple[Any, ...]] = ((n, d.get("body") or "") for n, d in enumerate(c.docs))
        db.executemany("INSERT INTO docs(rowid, body) VALUES (?, ?)", rows)
    else:
        db.execute("CREATE VIRTUAL TABLE docs USING fts5(title, body, tokenize='porter')")
        rows = ((n, d.get("title") or "", d.get("body") or "") for n, d in enumerate(c.docs))
        db.executemany("INSERT INTO docs(rowid, title, body) VALUES (?, ?, ?)", rows)
    ids = [str(d["id"]) for d in c.docs]
    db.commit()
    run.index_seconds = time.perf_counter() - started
    run.indexed = len(ids)
    started = time.perf_counter()
    sql = "SELECT rowid FROM docs WHERE docs MATCH ? ORDER BY bm25(docs), rowid LIMIT ?"
    for qid, text in c.queries:
        match = fts5_query(text)
        run.ranking[qid] = [ids[row] for (row,) in db.execute(sql, (match, LIMIT))] if match else []
    run.query_seconds = time.perf_counter() - started
    db.close()
    return run


# -- scoring -----------------------------------------------------------------------------------


def evaluate(run: Run, c: Collection) -> None:
    """Means over the judged queries; a judged query absent from the run (no results) counts 0.
    (ir_measures 0.4 already yields 0 for those, but older versions and other providers skip
    them, so every judged query is filled with 0 first.) Queries without judgments are ignored."""
    scored = [
        ScoredDoc(qid, doc, float(LIMIT - rank)) for qid, docs in run.ranking.items() for rank, doc in enumerate(docs)
    ]
    judged = c.judged
    run.per_query = {MEASURE_NAMES[m]: dict.fromkeys(judged, 0.0) for m in MEASURES}
    for metric in ir_measures.iter_calc(MEASURES, c.qrels, scored):
        if metric.query_id in run.per_query[MEASURE_NAMES[metric.measure]]:
            run.per_query[MEASURE_NAMES[metric.measure]][metric.query_id] = float(metric.value)
    run.means = {name: sum(v.values()) / len(v) for name, v in run.per_query.items()}


def paired_p(a: dict[str, float], b: dict[str, float], rounds: int = 10_000, seed: int = 1) -> float:
    """Two-sided paired randomization test: the share of random sign flips of the per-query
    differences whose mean is at least as far from 0 as the observed."""
    diffs = [a[q] - b[q] for q in a]
    observed = abs(sum(diffs)) - 1e-12
    if observed <= 0:
        return 1.0
    rng = random.Random(seed)
    extreme = 0
    for _ in range(rounds):
        bits = rng.getrandbits(len(diffs))
        extreme += abs(sum(d if bits >> i & 1 else -d for i, d in enumerate(diffs))) >= observed
    return extreme / rounds


def report(c: Collection, runs: dict[str, Run]) -> dict[str, Any]:
    judged = set(c.judged)
    empty = {e: sorted((q for q, d in r.ranking.items() if not d), key=_qid_order) for e, r in runs.items()}
    n_q = len(c.queries)
    print(
        f"\n{c.name}: {len(c.docs):,} documents, {n_q} queries, {len(judged)} judged "
        f"({c.qrels_path.name}), {LIMIT} results a query"
    )
    engines = [e for e in ENGINES if e in runs]
    widths = [max(12, len(e) + 2) for e in engines]
    p_map = 0.0
    head = f"  {'measure':<22}" + "".join(f"{e:>{w}}" for e, w in zip(engines, widths, strict=True))
    both = WHOOSH in runs and "FTS5" in runs  # the ratio newssearch / FTS5
    print(head + (f"{'ratio':>8}" if both else ""))

    def row(label: str, values: list[str], ratio: str = "") -> None:
        cells = "".join(f"{v:>{w}}" for v, w in zip(values, widths, strict=True))
        print((f"  {label:<22}" + cells + (f"{ratio:>8}" if both else "")).rstrip())

    for name in MEASURE_NAMES.values():
        vals = [runs[e].means[name] for e in engines]
        base = runs["FTS5"].means[name] if both else 0.0
        ratio = f"{runs[WHOOSH].means[name] / base:.3f}" if both and base else ""
        row(name, [f"{v:.4f}" for v in vals], ratio)
    row("documents indexed", [f"{runs[e].indexed:,}" for e in engines])
    row("queries, no results", [f"{len(empty[e])}/{n_q}" for e in engines])
    row("index s", [f"{runs[e].index_seconds:.2f}" for e in engines])
    row("query s (all queries)", [f"{runs[e].query_seconds:.2f}" for e in engines])
    row("query ms (per query)", [f"{runs[e].query_seconds / n_q * 1000:.1f}" for e in engines])
    if both:
        a, b = runs[WHOOSH].per_query["MAP"], runs["FTS5"].per_query["MAP"]
        better = sum(a[q] > b[q] + 1e-9 for q in a)
        worse = sum(a[q] < b[q] - 1e-9 for q in a)
        p_map = paired_p(a, b)
        print(
            f"  AP per judged query: newssearch higher on {better}, FTS5 higher on {worse}, "
            f"equal on {len(a) - better - worse}; paired randomization p (MAP) = {p_map:.3f}"
        )
    engine_pair = engine_comparison(c, runs) if WHOOSH in runs and OPENSEARCH in runs else None
    for e in engines:
        if empty[e]:
            print(f"  {e} found nothing for: {', '.join(empty[e])}")
        if runs[e].snippet_stub_ok is not None:
            print(f"  {e} top 10 without snippets: {'the same' if runs[e].snippet_stub_ok else 'DIFFERENT'}")
    result = {
        "collection": c.name,
        "documents": len(c.docs),
        "queries": n_q,
        "judged_queries": len(judged),
        "qrels": c.qrels_path.name,
        "limit": LIMIT,
        "engines": {
            e: {
                "documents_indexed": r.indexed,
                "index_seconds": round(r.index_seconds, 3),
                "query_seconds": round(r.query_seconds, 3),
                "verify_seconds": round(r.verify_seconds, 3),
                "queries_without_results": empty[e],
                "snippet_stub_verified": r.snippet_stub_ok,
                **{k: round(v, 4) for k, v in r.means.items()},
                "per_query": {m: {q: round(v, 4) for q, v in vals.items()} for m, vals in r.per_query.items()},
            }
            for e, r in runs.items()
        },
        "p_map_paired_randomization": p_map if both else None,
        "ratio_newssearch_over_fts5": (
            {m: round(runs["newssearch"].means[m] / runs["FTS5"].means[m], 4) for m in MEASURE_NAMES.values()}
            if both
            else None
        ),
    }
    if engine_pair is not None:
        result["opensearch_vs_newssearch"] = engine_pair
    return result


def engine_comparison(c: Collection, runs: dict[str, Run]) -> dict[str, Any]:
    """newssearch on OpenSearch against newssearch on Whoosh: the differences of the means
    (OpenSearch minus Whoosh), AP per judged query, and the queries whose top 10 is the same."""
    w, o = runs[WHOOSH], runs[OPENSEARCH]
    diff = {m: o.means[m] - w.means[m] for m in MEASURE_NAMES.values()}
    a, b = o.per_query["MAP"], w.per_query["MAP"]
    higher = sum(a[q] > b[q] + 1e-9 for q in a)
    lower = sum(a[q] < b[q] - 1e-9 for q in a)
    p_map = paired_p(a, b)
    qids = [qid for qid, _ in c.queries]
    identical = [q for q in qids if o.ranking[q][:10] == w.ranking[q][:10]]
    same_docs = [q for q in qids if set(o.ranking[q][:10]) == set(w.ranking[q][:10])]
    differing = [q for q in qids if o.ranking[q][:10] != w.ranking[q][:10]]
    print(
        f"  {OPENSEARCH} minus {WHOOSH}: MAP {diff['MAP']:+.4f}, nDCG@10 {diff['nDCG@10']:+.4f}; "
        f"AP higher on {higher}, lower on {lower}, equal on {len(a) - higher - lower} judged queries; "
        f"paired randomization p (MAP) = {p_map:.3f}"
    )
    print(
        f"  top 10 identical on both engines for {len(identical)}/{len(qids)} queries "
        f"(the same 10 documents, in any order, for {len(same_docs)})"
    )
    if differing:
        shown = ", ".join(differing[:20]) + (f", … ({len(differing)} in all)" if len(differing) > 20 else "")
        print(f"  top 10 differs for: {shown}")
    return {
        "difference": {m: round(v, 4) for m, v in diff.items()},
        "ap_higher_on_opensearch": higher,
        "ap_lower_on_opensearch": lower,
        "p_map_paired_randomization": p_map,
        "identical_top10": len(identical),
        "same_top10_documents": len(same_docs),
        "queries": len(qids),
        "top10_differs": differing,
    }


def cluster_url(text: str) -> str:
    """``--index``: a cluster's URL (scheme, optional user, host, port) with no index name."""
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise argparse.ArgumentTypeError(f"{text!r} is not a cluster URL — write it as http://HOST:PORT")
    if parts.path.strip("/") or parts.query or parts.fragment:
        raise argparse.ArgumentTypeError(
            f"{text!r} names an index — give the cluster's URL without it (e.g. "
            f"{parts.scheme}://{parts.hostname}:{parts.port or 9200}); the script uses relevance-<collection>"
        )
    return f"{parts.scheme}://{parts.netloc}"


def shown_url(url: str) -> str:
    """The URL without a password, for the report."""
    parts = urlsplit(url)
    user = f"{parts.username}@" if parts.username else ""
    return f"{parts.scheme}://{user}{parts.hostname}" + (f":{parts.port}" if parts.port else "")


def cluster_version(url: str) -> str:
    """The cluster's OpenSearch version; exits with a sentence when the client is missing or the
    cluster cannot be reached, before anything is indexed."""
    try:
        from opensearchpy import OpenSearch
        from opensearchpy.exceptions import OpenSearchException
    except ImportError:
        raise SystemExit("--index needs the OpenSearch client: pip install 'newssearch[opensearch]'") from None
    try:
        return str(OpenSearch(hosts=[url], timeout=30).info()["version"]["number"])
    except OpenSearchException as exc:
        reason = type(exc).__name__
        raise SystemExit(f"cannot reach the cluster at {shown_url(url)} ({reason}) — is it running?") from None


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--collections", nargs="+", choices=list(COLLECTIONS), default=list(COLLECTIONS))
    ap.add_argument("--json", type=Path, metavar="FILE", help="also write every number (and per-query values) to FILE")
    only = ap.add_mutually_exclusive_group()
    only.add_argument("--newssearch-only", action="store_true")
    only.add_argument("--fts5-only", action="store_true")
    ap.add_argument(
        "--time-qrels", choices=["rel", "all"], default="rel", help="TIME: qrels.txt (rel, default) or qrels_all.txt"
    )
    ap.add_argument(
        "--fts5-body-only",
        action="store_true",
        help="FTS5 with one body column instead of title, body (diagnostic; TIME's body repeats its title)",
    )
    ap.add_argument(
        "--verify",
        type=int,
        default=3,
        metavar="N",
        help="check on N queries that snippets change no ranking (0: skip)",
    )
    ap.add_argument(
        "--index",
        type=cluster_url,
        metavar="URL",
        help="also measure newssearch on the OpenSearch cluster at URL (no index name: it uses "
        "relevance-<collection>, rebuilt on every run)",
    )
    args = ap.parse_args(argv)
    if args.index and args.fts5_only:
        ap.error("--index measures newssearch on OpenSearch beside Whoosh; it cannot be combined with --fts5-only")
    version = cluster_version(args.index) if args.index else None

    check = sqlite3.connect(":memory:")
    try:
        check.execute("CREATE VIRTUAL TABLE t USING fts5(x, tokenize='porter')")
    except sqlite3.OperationalError as exc:
        if not args.newssearch_only:
            raise SystemExit(f"this Python's SQLite {sqlite3.sqlite_version} has no FTS5: {exc}") from None
    check.close()

    started, ok = time.perf_counter(), True
    print(
        f"newssearch {coll.source_state()}; SQLite {sqlite3.sqlite_version}; ir_measures {ir_measures.__version__}; "
        f"queries lower-cased, snippets left out"
        + ("; FTS5 body column only" if args.fts5_body_only else "")
        + (f"; OpenSearch {version} at {shown_url(args.index)}" if args.index else "")
    )
    out: dict[str, Any] = {
        "source": coll.source_state(),
        "sqlite": sqlite3.sqlite_version,
        "fts5_columns": ["body"] if args.fts5_body_only else ["title", "body"],
        "collections": [],
    }
    if args.index:
        out["opensearch"] = {"url": shown_url(args.index), "version": version, "index_prefix": "relevance-"}
    for key in args.collections:
        c = load(key, args.time_qrels)
        runs: dict[str, Run] = {}
        if not args.fts5_only:
            with tempfile.TemporaryDirectory(prefix=f"newssearch-{key}-") as tmp:
                corpus = copy_corpus(c, Path(tmp))
                runs[WHOOSH] = run_newssearch(c, corpus, Path(tmp) / "index", args.verify)
                if args.index:  # the same corpus, into an index rebuilt from nothing
                    location = f"{args.index}/relevance-{key}"
                    runs[OPENSEARCH] = run_newssearch(c, corpus, location, args.verify, OPENSEARCH, rebuild=True)
        if not args.newssearch_only:
            runs["FTS5"] = run_fts5(c, body_only=args.fts5_body_only)
        for r in runs.values():
            evaluate(r, c)
        out["collections"].append(report(c, runs))
        ok = ok and all(r.snippet_stub_ok is not False for r in runs.values())
    out["seconds"] = round(time.perf_counter() - started, 1)
    print(f"\ntotal {out['seconds']} s")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(out, indent=2) + "\n", encoding="utf-8")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
