"""Index and query speed of newssearch, as ratios against plain Whoosh measured side by side.

    .venv/bin/python benchmarks/speed.py [--reuters] [--index-repeats N] [--query-repeats N] [--json FILE]

BBC (2,225 articles) always; with ``--reuters`` also Reuters-21578 (21,578 stories). Each
collection is written to a temporary corpus of .txt files (one article a file) and then:

- full index: ``newssearch.indexer.update_index`` vs a baseline plain-Whoosh indexer that reads the
  same files and adds each one's text to a single stemmed body field (``StemmingAnalyzer``,
  stored for highlighting), one writer (same 256 MB buffer), one commit;
- re-index with nothing changed: ``update_index`` again, vs walking the corpus and stat-ing every
  file (the least any "what changed?" check must do);
- queries: ~20 queries made of words taken from the collection, each through
  ``newssearch.searcher.search`` (limit 10, all words, snippets) vs the baseline
  ``searcher.search(q, limit=10)`` plus ``hit.highlights("body")`` for every hit. ``search``
  opens the index on every call, so the main baseline does too ("cold": ``open_dir`` +
  searcher per query); a "warm" baseline keeps one searcher open for all queries.

Every phase runs in a fresh subprocess, so its peak RSS (``ru_maxrss``) is its own and no cache
survives from one phase to the next. Index phases alternate newssearch / baseline and the best
of ``--index-repeats`` is kept; query latencies are the median and p95 over all repetitions.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve()
WRITER_MEMORY_MB = 256  # as newssearch.indexer.WRITER_MEMORY_MB


import corpora as coll  # noqa: E402  (beside this script; also puts src/ on sys.path)

# -- phases, each run in its own process ---------------------------------------------------------


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: kB


def phase_ns_index(work: Path, reps: int) -> dict[str, Any]:
    from newssearch.indexer import update_index

    index_dir = work / "ns-index"
    shutil.rmtree(index_dir, ignore_errors=True)
    rss0 = _rss_mb()
    started = time.perf_counter()
    summary = update_index(work / "corpus", index_dir, rebuild=True)
    seconds = time.perf_counter() - started
    return {
        "seconds": seconds,
        "articles": summary.articles,
        "sections": summary.sections,
        "captions": summary.captions,
        "failed": summary.failed,
        "rss_start_mb": rss0,
        "bytes": _size(index_dir),
    }


def phase_base_index(work: Path, reps: int) -> dict[str, Any]:
    from whoosh import index as windex
    from whoosh.analysis import StemmingAnalyzer
    from whoosh.fields import ID, TEXT, Schema

    index_dir = work / "base-index"
    shutil.rmtree(index_dir, ignore_errors=True)
    rss0 = _rss_mb()
    started = time.perf_counter()
    index_dir.mkdir()
    schema = Schema(path=ID(stored=True, unique=True), body=TEXT(analyzer=StemmingAnalyzer(), stored=True))
    ix = windex.create_in(str(index_dir), schema)
    writer = ix.writer(limitmb=WRITER_MEMORY_MB)
    docs = 0
    for path in sorted((work / "corpus").iterdir()):
        writer.add_document(path=path.name, body=path.read_text(encoding="utf-8"))
        docs += 1
    writer.commit()
    seconds = time.perf_counter() - started
    return {"seconds": seconds, "articles": docs, "rss_start_mb": rss0, "bytes": _size(index_dir)}


def phase_ns_reindex(work: Path, reps: int) -> dict[str, Any]:
    from newssearch.indexer import update_index

    rss0 = _rss_mb()
    times = []
    for _ in range(reps):
        started = time.perf_counter()
        summary = update_index(work / "corpus", work / "ns-index")
        times.append(time.perf_counter() - started)
        if summary.added or summary.changed or summary.removed:
            raise SystemExit(f"the no-change re-index changed something: {summary}")
    return {"seconds": statistics.median(times), "times": times, "unchanged": summary.unchanged, "rss_start_mb": rss0}


def phase_base_rescan(work: Path, reps: int) -> dict[str, Any]:
    rss0 = _rss_mb()
    times = []
    for _ in range(reps):
        started = time.perf_counter()
        seen = 0
        for root, _dirs, names in os.walk(work / "corpus"):
            for name in names:
                os.stat(os.path.join(root, name))
                seen += 1
        times.append(time.perf_counter() - started)
    return {"seconds": statistics.median(times), "times": times, "files": seen, "rss_start_mb": rss0}


def phase_ns_query(work: Path, reps: int) -> dict[str, Any]:
    from newssearch.searcher import SearchRequest, search

    queries = json.loads((work / "queries.json").read_text())
    index_dir = work / "ns-index"
    rss0 = _rss_mb()
    hits = [len(search(index_dir, SearchRequest(q, limit=10)).results) for q in queries]  # warm-up
    times = []
    for _ in range(reps):
        for q in queries:
            started = time.perf_counter()
            result = search(index_dir, SearchRequest(q, limit=10))
            for hit in result.results:  # the snippets are part of the result
                _ = [m.text for m in hit.matches]
            times.append(time.perf_counter() - started)
    return {"times_ms": [t * 1000 for t in times], "hits": hits, "rss_start_mb": rss0}


def _base_query(work: Path, reps: int, warm: bool) -> dict[str, Any]:
    from whoosh import index as windex
    from whoosh import qparser

    queries = json.loads((work / "queries.json").read_text())
    index_dir = str(work / "base-index")
    rss0 = _rss_mb()

    def one(searcher: Any, parser: Any, q: str) -> int:
        results = searcher.search(parser.parse(q), limit=10)
        snippets = [hit.highlights("body") for hit in results]
        return len(snippets)

    times = []
    if warm:
        ix = windex.open_dir(index_dir)
        parser = qparser.QueryParser("body", ix.schema)
        with ix.searcher() as searcher:
            hits = [one(searcher, parser, q) for q in queries]  # warm-up
            for _ in range(reps):
                for q in queries:
                    started = time.perf_counter()
                    one(searcher, parser, q)
                    times.append(time.perf_counter() - started)
    else:

        def cold(q: str) -> int:
            ix = windex.open_dir(index_dir)
            with ix.searcher() as searcher:
                return one(searcher, qparser.QueryParser("body", ix.schema), q)

        hits = [cold(q) for q in queries]  # warm-up
        for _ in range(reps):
            for q in queries:
                started = time.perf_counter()
                cold(q)
                times.append(time.perf_counter() - started)
    return {"times_ms": [t * 1000 for t in times], "hits": hits, "rss_start_mb": rss0}


def phase_base_query_cold(work: Path, reps: int) -> dict[str, Any]:
    return _base_query(work, reps, warm=False)


def phase_base_query_warm(work: Path, reps: int) -> dict[str, Any]:
    return _base_query(work, reps, warm=True)


PHASES = {
    "ns-index": phase_ns_index,
    "base-index": phase_base_index,
    "ns-reindex": phase_ns_reindex,
    "base-rescan": phase_base_rescan,
    "ns-query": phase_ns_query,
    "base-query-cold": phase_base_query_cold,
    "base-query-warm": phase_base_query_warm,
}


def _size(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.iterdir() if p.is_file())


def run_phase(name: str, work: Path, reps: int = 1) -> dict[str, Any]:
    """Run one phase in a fresh interpreter; its measurements plus its peak RSS."""
    proc = subprocess.run(
        [sys.executable, str(HERE), "--phase", name, "--work", str(work), "--reps", str(reps)],
        capture_output=True,
        text=True,
    )
    if proc.returncode != 0:
        raise SystemExit(f"phase {name} failed (exit {proc.returncode}):\n{proc.stderr}")
    out: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    return out


# -- queries -------------------------------------------------------------------------------------


def pick_queries(docs: list[Any], seed: int = 20261124) -> list[str]:
    """20 queries of words taken from the collection: 7 of one word, 7 of two and 4 of three
    neighbouring content words of a paragraph, and 2 quoted two-word phrases. All lower case
    and alphabetic, so nothing is read as an operator; every query matches its source article."""
    from whoosh.analysis import STOP_WORDS

    rng = random.Random(seed)
    plan = [1] * 7 + [2] * 7 + [3] * 4 + [-2] * 2  # -2: a phrase
    queries: list[str] = []
    while len(queries) < len(plan):
        doc = rng.choice(docs)
        paragraphs = [p for p in doc.body.split("\n") if len(p) > 80]
        if not paragraphs:
            continue
        tokens = re.findall(r"[A-Za-z]+", rng.choice(paragraphs).lower())
        size = plan[len(queries)]
        if size > 0:
            words = [t for t in tokens if len(t) >= 4 and t not in STOP_WORDS]
            if len(words) < size:
                continue
            start = rng.randrange(len(words) - size + 1)
            q = " ".join(words[start : start + size])
        else:
            pairs = [
                (a, b)
                for a, b in zip(tokens, tokens[1:], strict=False)
                if min(len(a), len(b)) >= 4 and not {a, b} & STOP_WORDS
            ]
            if not pairs:
                continue
            q = '"{} {}"'.format(*rng.choice(pairs))
        if q not in queries:
            queries.append(q)
    return queries


# -- orchestration -------------------------------------------------------------------------------


def _pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    k = (len(ordered) - 1) * p
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def bench(name: str, docs: list[Any], args: argparse.Namespace, tmp: Path) -> dict[str, Any]:
    work = tmp / name
    work.mkdir()
    corpus = coll.write_corpus(docs, work / "corpus")
    text_bytes = sum(p.stat().st_size for p in corpus.files())
    queries = pick_queries(docs)
    (work / "queries.json").write_text(json.dumps(queries))
    print(f"{name}: {len(docs):,} documents, {text_bytes / 1e6:.1f} MB of text; indexing ...", file=sys.stderr)

    ns_runs, base_runs = [], []
    for _ in range(args.index_repeats):  # alternate, so drift on a shared machine hits both
        ns_runs.append(run_phase("ns-index", work))
        base_runs.append(run_phase("base-index", work))
    ns_index = min(ns_runs, key=lambda r: r["seconds"])
    base_index = min(base_runs, key=lambda r: r["seconds"])
    print(
        f"  index: newssearch {ns_index['seconds']:.1f} s, baseline {base_index['seconds']:.1f} s; "
        "re-index and queries ...",
        file=sys.stderr,
    )
    reindex = run_phase("ns-reindex", work, args.reindex_repeats)
    rescan = run_phase("base-rescan", work, args.reindex_repeats)
    ns_query = run_phase("ns-query", work, args.query_repeats)
    base_cold = run_phase("base-query-cold", work, args.query_repeats)
    base_warm = run_phase("base-query-warm", work, args.query_repeats)

    def lat(r: dict[str, Any]) -> dict[str, float]:
        return {"median_ms": statistics.median(r["times_ms"]), "p95_ms": _pct(r["times_ms"], 0.95)}

    return {
        "collection": name,
        "documents": len(docs),
        "text_bytes": text_bytes,
        "queries": queries,
        "index": {
            "newssearch": ns_index,
            "baseline": base_index,
            "all_seconds": {
                "newssearch": [r["seconds"] for r in ns_runs],
                "baseline": [r["seconds"] for r in base_runs],
            },
        },
        "reindex": {"newssearch": reindex, "baseline": rescan},
        "query": {
            "newssearch": {**lat(ns_query), "rss_mb": ns_query["rss_mb"], "hits": ns_query["hits"]},
            "baseline_cold": {**lat(base_cold), "rss_mb": base_cold["rss_mb"], "hits": base_cold["hits"]},
            "baseline_warm": {**lat(base_warm), "rss_mb": base_warm["rss_mb"], "hits": base_warm["hits"]},
            "repeats": args.query_repeats,
        },
    }


def report(r: dict[str, Any]) -> None:
    ix, rx, q = r["index"], r["reindex"], r["query"]
    ns, base = ix["newssearch"], ix["baseline"]
    rows: list[tuple[str, str, str, str]] = []

    def row(what: str, a: float, b: float, unit: str, fmt: str = "{:.2f}") -> None:
        rows.append((what, fmt.format(a) + unit, fmt.format(b) + unit, f"{a / b:.2f}×" if b else "–"))

    row("full index, s", ns["seconds"], base["seconds"], " s")
    rows.append(
        ("  documents / s", f"{ns['articles'] / ns['seconds']:.0f}", f"{base['articles'] / base['seconds']:.0f}", "")
    )
    row("  index size on disk", ns["bytes"] / 1e6, base["bytes"] / 1e6, " MB", "{:.1f}")
    row("  peak RSS", ns["rss_mb"], base["rss_mb"], " MB", "{:.0f}")
    row(
        "re-index, nothing changed (baseline: walk+stat)",
        rx["newssearch"]["seconds"] * 1000,
        rx["baseline"]["seconds"] * 1000,
        " ms",
        "{:.1f}",
    )
    row("  peak RSS", rx["newssearch"]["rss_mb"], rx["baseline"]["rss_mb"], " MB", "{:.0f}")
    for label, key in (("cold", "baseline_cold"), ("warm", "baseline_warm")):
        b = q[key]
        row(f"query median vs {label} baseline", q["newssearch"]["median_ms"], b["median_ms"], " ms", "{:.1f}")
        row(f"query p95 vs {label} baseline", q["newssearch"]["p95_ms"], b["p95_ms"], " ms", "{:.1f}")
        row(f"  peak RSS ({label})", q["newssearch"]["rss_mb"], b["rss_mb"], " MB", "{:.0f}")

    print(
        f"\n{r['collection']}: {r['documents']:,} documents ({r['text_bytes'] / 1e6:.1f} MB of .txt), "
        f"newssearch indexed {ns['articles']:,} articles, {ns['sections']:,} sections, {ns['captions']:,} captions"
    )
    w = max(len(x[0]) for x in rows)
    header = f"{'':<{w}}  {'newssearch':>11}  {'baseline':>11}  {'ratio':>7}"
    print(header)
    print("-" * len(header))
    for what, a, b, ratio in rows:
        print(f"{what:<{w}}  {a:>11}  {b:>11}  {ratio:>7}")
    runs = {side: ", ".join(f"{s:.2f}" for s in ix["all_seconds"][side]) for side in ("newssearch", "baseline")}
    print(
        f"index: best of {len(ix['all_seconds']['newssearch'])} "
        f"(newssearch {runs['newssearch']} s; baseline {runs['baseline']} s)"
    )
    print(
        f"queries: {len(r['queries'])} × {q['repeats']} runs after a warm-up; results returned in all "
        f"(newssearch/baseline): {sum(q['newssearch']['hits'])}/{sum(q['baseline_cold']['hits'])}"
    )
    print("  " + "; ".join(r["queries"]))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument(
        "--reuters", action="store_true", help="also benchmark Reuters-21578 (21,578 stories; a few minutes)"
    )
    ap.add_argument(
        "--index-repeats",
        type=int,
        default=2,
        metavar="N",
        help="full index runs per side; the best is kept (default 2)",
    )
    ap.add_argument(
        "--reindex-repeats",
        type=int,
        default=5,
        metavar="N",
        help="no-change re-index runs; the median is kept (default 5)",
    )
    ap.add_argument(
        "--query-repeats", type=int, default=5, metavar="N", help="passes over the queries after a warm-up (default 5)"
    )
    ap.add_argument("--json", type=Path, metavar="FILE", help="also write every measurement to FILE")
    ap.add_argument("--phase", choices=sorted(PHASES), help=argparse.SUPPRESS)
    ap.add_argument("--work", type=Path, help=argparse.SUPPRESS)
    ap.add_argument("--reps", type=int, default=1, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)

    if args.phase:  # a child process: one phase, one JSON line on stdout
        out = PHASES[args.phase](args.work, args.reps)
        out["rss_mb"] = _rss_mb()
        print(json.dumps(out))
        return 0

    collections = [("BBC", coll.bbc_docs)]
    if args.reuters:
        collections.append(("Reuters-21578", coll.reuters_docs))
    started = time.perf_counter()
    results = []
    with tempfile.TemporaryDirectory(prefix="newssearch-speed-") as tmp:
        for name, load in collections:
            results.append(bench(name, load(), args, Path(tmp)))
            shutil.rmtree(Path(tmp) / name)
    total = time.perf_counter() - started
    import whoosh

    print(f"newssearch {coll.source_state()}; measured {time.strftime('%Y-%m-%d %H:%M')}")
    print(
        f"Python {platform.python_version()}, Whoosh {'.'.join(map(str, whoosh.__version__))}, "
        f"{os.cpu_count()} CPUs, {platform.machine()}; ratio = newssearch / baseline (lower is better for newssearch)"
    )
    for r in results:
        report(r)
    print(f"\ntotal {total:.0f} s")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(
            json.dumps({"source": coll.source_state(), "total_seconds": total, "results": results}, indent=2) + "\n",
            encoding="utf-8",
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
