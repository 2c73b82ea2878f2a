"""newssearch from the shell at 10,000 and 100,000 articles, each cost beside a baseline run in the
same benchmark run, and the targets of the 100,000-article work met or not.

    .venv/bin/python benchmarks/speed.py                 # 10k and 100k, 3 full indexes each: ~40 min
    .venv/bin/python benchmarks/speed.py --index-repeats 1 --repeats 5   # ~15 min
    .venv/bin/python benchmarks/speed.py --quick         # 10k only, 3 repeats, 1 full index: ~1.5 min
    .venv/bin/python benchmarks/speed.py --work /tmp/ns-speed --json speed.json
    .venv/bin/python benchmarks/speed.py --opensearch http://127.0.0.1:9252   # and the OpenSearch engine
    # also: --sizes 10000 100000, --repeats N (queries, add 100), --index-repeats N (full index)

Corpus: the Reuters-21578 records (``../shared/data/reuters21578/reuters21578.jsonl.gz``, less the
one record with neither title nor body) over and over to N articles, unchanged but for the id
(``"17"`` → ``"17-c0"``, ``"17-c1"``, …), as 10 ``.jsonl`` files in ``WORK/reuters-N/corpus``.
``--work DIR`` keeps it (and the indexes) for the next run; by default WORK is a temporary folder
deleted at the end.

Every measurement is a fresh process, timed from spawn to exit (wall clock), stdout and stderr to
pipes, run under GNU ``/usr/bin/time -f %M`` for its own peak RSS (``ru_maxrss``: the largest single
process, if it starts workers). Medians are reported; peak RSS is the largest run's.

``--opensearch URL`` (a cluster, no index name) also measures newssearch on that cluster, in the
index ``URL/speed-N``, beside newssearch on Whoosh in the same run: each full index and add 100
below gets a third command and the queries two more variants, in the same loops, reported as
medians and as ratios to newssearch on Whoosh (the table's rows starting "OpenSearch", and
``opensearch_vs_whoosh`` in ``--json``), with each query's matches and how much of its page of
10 is Whoosh's. Its peak RSS is the client's (the ``newssearch`` process), not the node's; a
wrong count on the cluster is a problem as on disk (exit status 1). Start a node for it with
``tests/opensearch/cluster start --dir DIR --heap 2g`` (the default node is built to start fast,
not to run fast).

- **full index**: ``newssearch index --corpus C --index I --json`` into an empty folder, then
  ``newssearch stats --json`` must count N articles; vs ``bare_whoosh.py index`` (stemmed title and
  body, stored, one single-process writer, one commit) over the same files. Alternating, each
  ``--index-repeats`` times; the queries then use the last two indexes. OpenSearch: ``newssearch
  index --corpus C --index URL/speed-N --rebuild --json``, then ``newssearch stats`` must count N,
  after the other two in each round; its index size is the primaries' store (``_stats/store``).
- **queries**: ``newssearch query Q --limit 10 --index I`` (the human output, with snippets) and the
  same with ``--json``, vs ``bare_whoosh.py query I Q`` (open, parse, search 10, highlight every
  hit's body, print) and vs ``python -c pass``. One warm-up run of each, then ``--repeats`` rounds of
  all 20 commands, their order rotating. OpenSearch: the same two newssearch commands with
  ``--index URL/speed-N`` ("newssearch-opensearch", "newssearch-opensearch --json"), two more
  variants in the rotation (30 commands a round).
- **add 100**: a file of 100 more records (ids ``…-add0``) is copied into the corpus and
  ``newssearch index`` run (counted: N + 100), then removed and ``newssearch index`` run again
  (timed apart, counted: N); vs ``bare_whoosh.py add`` into a fresh copy of its index. ``--repeats``
  times. OpenSearch: the same add and remove, counted the same (N + 100, then N), against
  ``URL/speed-N``, after the other two in each round.

The five queries come from the first 10,000 records (the 10k corpus, so the same queries run at
every size). Words are the lower-case runs of a–z in title and body, of ≥ 4 letters, not Whoosh stop
words, counted once per article; pairs are two such words next to each other in a title or a body:

- rare: the alphabetically first word of ≥ 8 letters whose Porter stem is in exactly 2 articles;
- common: the word in the most articles;
- two words: the pair in the most articles among pairs whose words are each in ≤ 5 % of articles;
- phrase: the second such pair, in double quotes;
- fuzzy: the word of ≥ 7 letters in the most articles among words in ≤ 5 % of them, with ``~1``.
"""

from __future__ import annotations

import argparse
import collections
import hashlib
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import corpora  # beside this script

HERE = Path(__file__).resolve().parent
BARE = HERE / "bare_whoosh.py"
PYTHON = sys.executable
NEWSSEARCH = str(Path(sys.executable).parent / "newssearch")
FILES = 10  # .jsonl files a corpus
ADDED = 100  # articles in the file that "add 100" puts in the corpus
CORPUS_LAYOUT = 1  # bump when the corpus written here changes, so --work folders are rewritten
KINDS = ("rare word", "common word", "two words", "phrase", "fuzzy word")
VARIANTS = ("python -c pass", "bare Whoosh", "newssearch", "newssearch --json")
OS_VARIANTS = ("newssearch-opensearch", "newssearch-opensearch --json")  # with --opensearch
# Issue 6, "Done when" (100k articles, medians).
QUERY_MS = 100
QUERY_RATIO = 1.0
QUERY_RSS_MB = 150
INDEX_S = 45
ADD_S = 1.0


# -- running one process -------------------------------------------------------------------------


@dataclass
class Run:
    seconds: float
    rss_mb: float
    code: int
    out: str
    err: str


def _gnu_time() -> str | None:
    try:
        probe = subprocess.run(["/usr/bin/time", "-f", "%M", "true"], capture_output=True, text=True)
    except OSError:
        return None
    return "/usr/bin/time" if probe.returncode == 0 and probe.stderr.strip().isdigit() else None


# A child's ru_maxrss starts at its parent's (Linux carries the high-water mark through fork and exec):
# read with os.wait4 here, every command would report at least this process's peak (~160 MB with the
# records loaded; checked: `python -c pass` spawned from a 300 MB process reports 307 MB). GNU time is
# a small process, so its %M (its child's ru_maxrss) is the command's own peak (8 MB for that one).
TIME = _gnu_time()


def spawn(cmd: list[str], extra_env: dict[str, str] | None = None) -> Run:
    """Run ``cmd`` to its end: wall time from spawn to exit, and its own peak RSS."""
    env = {k: v for k, v in os.environ.items() if k not in ("FORCE_COLOR", "NEWSSEARCH_INDEX", "NEWSSEARCH_CORPUS")}
    env.update(extra_env or {})
    with tempfile.NamedTemporaryFile("r", prefix="rss-", suffix=".txt") as rss:
        full = [TIME, "-f", "%M", "-o", rss.name, *cmd] if TIME else cmd
        started = time.perf_counter()
        proc = subprocess.Popen(full, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
        out, err = proc.communicate()
        seconds = time.perf_counter() - started
        # The last word: GNU time writes "Command exited with non-zero status 1" before it; nothing
        # when time itself was killed.
        words = rss.read().split() if TIME else []
        kb = float(words[-1]) if words and words[-1].isdigit() else float("nan")
    return Run(seconds, kb / 1024, proc.returncode, out.decode(errors="replace"), err.decode(errors="replace"))


class Failed(Exception):
    pass


def checked(run: Run, what: str, codes: tuple[int, ...] = (0,)) -> Run:
    if run.code not in codes:
        how = f"was killed by signal {-run.code}" if run.code < 0 else f"exited {run.code}"
        raise Failed(f"{what} {how} after {run.seconds:.1f} s: {run.err.strip()[-2000:]}")
    return run


def article_count(index: Path | str) -> int:
    run = checked(spawn([NEWSSEARCH, "stats", "--json", "--index", str(index)]), "newssearch stats")
    return int(json.loads(run.out)["articles"])


def folder_mb(folder: Path) -> float:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file()) / 1e6


def http_json(url: str) -> Any:
    with urllib.request.urlopen(url, timeout=60) as response:
        return json.load(response)


def cluster_facts(url: str) -> dict[str, Any]:
    """The cluster's version, nodes and heaps, or an exit with what went wrong."""
    try:
        nodes = http_json(f"{url}/_nodes/jvm,os")["nodes"].values()
    except (OSError, ValueError, KeyError) as error:
        raise SystemExit(f"--opensearch {url}: cannot read the cluster's nodes ({error})") from None
    return {
        "url": url,
        "nodes": len(nodes),
        "version": sorted({n["version"] for n in nodes}),
        "heap_max_mb": [round(n["jvm"]["mem"]["heap_max_in_bytes"] / 2**20) for n in nodes],
        "jvm_arguments": [n["jvm"].get("input_arguments", []) for n in nodes],
        "processors": [n.get("os", {}).get("allocated_processors") for n in nodes],
    }


def cluster_index_mb(location: str) -> float:
    """The primaries' store of the index the alias ``location`` names (NaN if it cannot be read)."""
    try:
        stats = http_json(f"{location}/_stats/store")
        return float(stats["_all"]["primaries"]["store"]["size_in_bytes"]) / 1e6
    except (OSError, ValueError, KeyError):
        return float("nan")


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# -- corpus and queries --------------------------------------------------------------------------


def prepare_corpus(base: Path, size: int, records: list[dict[str, Any]]) -> Path:
    """``base/corpus``: ``size`` replicated records in FILES files; reused when a previous run
    wrote the same (``base/corpus.json`` lists the files and their sizes)."""
    corpus, manifest = base / "corpus", base / "corpus.json"
    source = corpora.data_path("reuters21578", "reuters21578.jsonl.gz")
    want = {"layout": CORPUS_LAYOUT, "articles": size, "files": FILES, "source_bytes": source.stat().st_size}
    if manifest.exists() and corpus.is_dir():
        known = json.loads(manifest.read_text())
        sizes = {p.name: p.stat().st_size for p in corpus.iterdir()}
        if {k: known.get(k) for k in want} == want and known.get("sizes") == sizes:
            log(f"{size:,} articles: reusing {corpus}")
            return corpus
    shutil.rmtree(base, ignore_errors=True)
    log(f"{size:,} articles: writing {corpus} ...")
    paths = corpora.write_replicated_jsonl(records, size, corpus, FILES)
    manifest.write_text(json.dumps({**want, "sizes": {p.name: p.stat().st_size for p in paths}}, indent=1))
    return corpus


def pick_queries(records: list[dict[str, Any]]) -> dict[str, str]:
    """The five queries, by the rules in this module's docstring."""
    from whoosh.analysis import STOP_WORDS
    from whoosh.lang.porter import stem

    words = re.compile(r"[a-z]+")
    df: collections.Counter[str] = collections.Counter()
    stem_df: collections.Counter[str] = collections.Counter()
    pair_df: collections.Counter[tuple[str, str]] = collections.Counter()
    for r in records:
        fields = [words.findall(str(r.get(key) or "").lower()) for key in ("title", "body")]
        tokens = {t for f in fields for t in f}
        df.update(t for t in tokens if len(t) >= 4 and t not in STOP_WORDS)
        stem_df.update({stem(t) for t in tokens})
        pair_df.update(
            {
                (a, b)
                for f in fields
                for a, b in zip(f, f[1:], strict=False)
                if min(len(a), len(b)) >= 4 and not {a, b} & STOP_WORDS
            }
        )
    few = 0.05 * len(records)
    ordered = sorted(df.items(), key=lambda item: (-item[1], item[0]))
    pairs = [
        p for p, _ in sorted(pair_df.items(), key=lambda item: (-item[1], item[0])) if max(df[p[0]], df[p[1]]) <= few
    ]
    rare = min(w for w in df if len(w) >= 8 and stem_df[stem(w)] == 2)
    fuzzy = next(w for w, n in ordered if len(w) >= 7 and n <= few)
    return {
        "rare word": rare,
        "common word": ordered[0][0],
        "two words": " ".join(pairs[0]),
        "phrase": '"{} {}"'.format(*pairs[1]),
        "fuzzy word": f"{fuzzy}~1",
    }


# -- measurements --------------------------------------------------------------------------------


def measure_index(corpus: Path, base: Path, size: int, repeats: int, cluster: str | None) -> dict[str, Any]:
    """``cluster``: the OpenSearch location (URL/speed-N) to index as well, or None."""
    ns_index, bare_index = base / "ns-index", base / "bare-index"
    out: dict[str, Any] = {"newssearch": [], "baseline": [], "counts": [], "summaries": []}
    if cluster:
        out.update(opensearch=[], opensearch_counts=[])
    for r in range(repeats):
        shutil.rmtree(ns_index, ignore_errors=True)
        ns = checked(
            spawn([NEWSSEARCH, "index", "--corpus", str(corpus), "--index", str(ns_index), "--json"]),
            "newssearch index",
        )
        count = article_count(ns_index)
        summary = json.loads(ns.out)
        summary["problems"] = summary.get("problems", [])[:20]
        shutil.rmtree(bare_index, ignore_errors=True)
        bare = checked(spawn([PYTHON, str(BARE), "index", str(corpus), str(bare_index)]), "bare_whoosh.py index")
        docs = int(json.loads(bare.out)["documents"])
        out["newssearch"].append({"seconds": ns.seconds, "rss_mb": ns.rss_mb, "articles": count})
        out["baseline"].append({"seconds": bare.seconds, "rss_mb": bare.rss_mb, "documents": docs})
        out["counts"].append(count)
        out["summaries"].append(summary)
        flag = "" if count == size else f"  <-- MISMATCH: {size:,} in the corpus"
        log(
            f"  full index {r + 1}/{repeats}: newssearch {ns.seconds:.1f} s, {ns.rss_mb:.0f} MB, "
            f"{count:,} articles{flag}; bare Whoosh {bare.seconds:.1f} s, {bare.rss_mb:.0f} MB, {docs:,} documents"
        )
        if cluster:
            command = [NEWSSEARCH, "index", "--corpus", str(corpus), "--index", cluster, "--rebuild", "--json"]
            os_run = checked(spawn(command), "newssearch index (OpenSearch)")
            os_count = article_count(cluster)
            out["opensearch"].append({"seconds": os_run.seconds, "rss_mb": os_run.rss_mb, "articles": os_count})
            out["opensearch_counts"].append(os_count)
            flag = "" if os_count == size else f"  <-- MISMATCH: {size:,} in the corpus"
            log(f"    OpenSearch {os_run.seconds:.1f} s, client {os_run.rss_mb:.0f} MB, {os_count:,} articles{flag}")
    out["index_mb"] = {"newssearch": folder_mb(ns_index), "baseline": folder_mb(bare_index)}
    if cluster:
        out["index_mb"]["opensearch"] = cluster_index_mb(cluster)
    return out


def _bare_hits(out: str) -> int:
    n = 0
    while f"\n{n + 1}. " in "\n" + out:
        n += 1
    return n


def _results(run: Run) -> tuple[int, int, list[str]]:
    """(total, shown, ids shown) of a ``newssearch query --json`` run; -1, -1, [] if it is not one."""
    try:
        result = json.loads(run.out)
        return result["total"], len(result["results"]), [hit["id"] for hit in result["results"]]
    except (ValueError, KeyError, TypeError):
        return -1, -1, []


def measure_queries(base: Path, queries: dict[str, str], repeats: int, cluster: str | None) -> dict[str, Any]:
    """``cluster``: the OpenSearch location (URL/speed-N) to query as well, or None."""
    ns_index, bare_index = str(base / "ns-index"), str(base / "bare-index")
    commands: dict[str, Callable[[str], list[str]]] = {
        "python -c pass": lambda q: [PYTHON, "-c", "pass"],
        "bare Whoosh": lambda q: [PYTHON, str(BARE), "query", bare_index, q],
        "newssearch": lambda q: [NEWSSEARCH, "query", q, "--limit", "10", "--index", ns_index],
        "newssearch --json": lambda q: [NEWSSEARCH, "query", q, "--limit", "10", "--index", ns_index, "--json"],
    }
    variants: tuple[str, ...] = VARIANTS
    if cluster:
        variants += OS_VARIANTS
        location: str = cluster
        commands["newssearch-opensearch"] = lambda q: [NEWSSEARCH, "query", q, "--limit", "10", "--index", location]
        commands["newssearch-opensearch --json"] = lambda q: [*commands["newssearch-opensearch"](q), "--json"]
    runs: dict[str, dict[str, list[Run]]] = {kind: {v: [] for v in variants} for kind in KINDS}
    for round_ in range(repeats + 1):  # round 0 is the warm-up
        order = variants[round_ % len(variants) :] + variants[: round_ % len(variants)]
        for kind in KINDS:
            for variant in order:
                run = spawn(commands[variant](queries[kind]))
                if round_:
                    runs[kind][variant].append(run)
                if run.code not in (0, 1):  # 1: newssearch found nothing
                    log(f"  {variant} {queries[kind]!r} exited {run.code}: {run.err.strip()[-500:]}")
    out: dict[str, Any] = {}
    for kind in KINDS:
        by = runs[kind]
        total, shown, ids = _results(by["newssearch --json"][-1])
        out[kind] = {
            "query": queries[kind],
            **{
                v: {
                    "median_ms": statistics.median(r.seconds for r in by[v]) * 1000,
                    "ms": [r.seconds * 1000 for r in by[v]],
                    "peak_rss_mb": max(r.rss_mb for r in by[v]),
                    "exit_codes": sorted({r.code for r in by[v]}),
                }
                for v in variants
            },
            "newssearch_total": total,
            "newssearch_shown": shown,
            "bare_shown": _bare_hits(by["bare Whoosh"][-1].out),
            "newssearch_stderr": by["newssearch"][-1].err.strip()[-300:],
        }
        q = out[kind]
        log(
            f"  {kind} {queries[kind]}: newssearch {q['newssearch']['median_ms']:.0f} ms, "
            f"--json {q['newssearch --json']['median_ms']:.0f} ms, bare Whoosh {q['bare Whoosh']['median_ms']:.0f} ms, "
            f"python -c pass {q['python -c pass']['median_ms']:.0f} ms; {total} matches"
        )
        if cluster:
            os_total, os_shown, os_ids = _results(by["newssearch-opensearch --json"][-1])
            q["opensearch_total"], q["opensearch_shown"] = os_total, os_shown
            q["opensearch_same_ids"] = os_ids == ids  # the same page, in the same order, as on Whoosh
            q["opensearch_common_ids"] = len(set(os_ids) & set(ids))  # articles on both pages
            q["opensearch_stderr"] = by["newssearch-opensearch"][-1].err.strip()[-300:]
            log(
                f"    OpenSearch {q['newssearch-opensearch']['median_ms']:.0f} ms, "
                f"--json {q['newssearch-opensearch --json']['median_ms']:.0f} ms; {os_total} matches"
                + ("" if os_ids == ids else "; not the same page as on Whoosh")
            )
    return out


def measure_add(
    corpus: Path, base: Path, size: int, records: list[dict[str, Any]], repeats: int, cluster: str | None
) -> dict[str, Any]:
    """``cluster``: the OpenSearch location (URL/speed-N) to add to as well, or None."""
    ns_index, bare_index, scratch = base / "ns-index", base / "bare-index", base / "bare-index-add"
    added = base / f"added-{ADDED}.jsonl"
    corpora.write_jsonl(corpora.replicate(records[:ADDED], ADDED, suffix="add"), added)
    target = corpus / added.name
    out: dict[str, Any] = {"newssearch": [], "remove": [], "baseline": [], "counts": []}
    if cluster:
        out.update(opensearch=[], opensearch_remove=[], opensearch_counts=[])
    try:
        for r in range(repeats):
            shutil.copy(added, target)  # a new file, with a new mtime
            add = checked(
                spawn([NEWSSEARCH, "index", "--corpus", str(corpus), "--index", str(ns_index), "--json"]),
                "newssearch index (add)",
            )
            after_add = article_count(ns_index)
            target.unlink()
            remove = checked(
                spawn([NEWSSEARCH, "index", "--corpus", str(corpus), "--index", str(ns_index), "--json"]),
                "newssearch index (remove)",
            )
            after_remove = article_count(ns_index)
            shutil.rmtree(scratch, ignore_errors=True)
            shutil.copytree(bare_index, scratch)
            bare = checked(spawn([PYTHON, str(BARE), "add", str(added), str(scratch)]), "bare_whoosh.py add")
            docs = int(json.loads(bare.out)["documents"])
            shutil.rmtree(scratch)
            out["newssearch"].append({"seconds": add.seconds, "rss_mb": add.rss_mb, "summary": json.loads(add.out)})
            out["remove"].append({"seconds": remove.seconds, "rss_mb": remove.rss_mb})
            out["baseline"].append({"seconds": bare.seconds, "rss_mb": bare.rss_mb, "documents": docs})
            out["counts"].append({"after_add": after_add, "after_remove": after_remove, "baseline_after_add": docs})
            ok = after_add == size + ADDED and after_remove == size and docs == size + ADDED
            log(
                f"  add {ADDED} {r + 1}/{repeats}: newssearch {add.seconds * 1000:.0f} ms "
                f"(then {after_add:,} articles), remove {remove.seconds * 1000:.0f} ms (then {after_remove:,}); "
                f"bare Whoosh {bare.seconds * 1000:.0f} ms" + ("" if ok else "  <-- COUNT MISMATCH")
            )
            if cluster:
                command = [NEWSSEARCH, "index", "--corpus", str(corpus), "--index", cluster, "--json"]
                shutil.copy(added, target)
                os_add = checked(spawn(command), "newssearch index (OpenSearch, add)")
                os_after_add = article_count(cluster)
                target.unlink()
                os_remove = checked(spawn(command), "newssearch index (OpenSearch, remove)")
                os_after_remove = article_count(cluster)
                out["opensearch"].append(
                    {"seconds": os_add.seconds, "rss_mb": os_add.rss_mb, "summary": json.loads(os_add.out)}
                )
                out["opensearch_remove"].append({"seconds": os_remove.seconds, "rss_mb": os_remove.rss_mb})
                out["opensearch_counts"].append({"after_add": os_after_add, "after_remove": os_after_remove})
                ok = os_after_add == size + ADDED and os_after_remove == size
                log(
                    f"    OpenSearch {os_add.seconds * 1000:.0f} ms (then {os_after_add:,} articles), "
                    f"remove {os_remove.seconds * 1000:.0f} ms (then {os_after_remove:,})"
                    + ("" if ok else "  <-- COUNT MISMATCH")
                )
    finally:
        target.unlink(missing_ok=True)
    return out


# -- the table -----------------------------------------------------------------------------------


@dataclass
class Row:
    measurement: str
    size: str
    newssearch: str
    baseline: str
    ratio: str
    target: str


def count_problems(size: int, r: dict[str, Any]) -> list[str]:
    """Every article count that is not what the corpus holds."""
    problems = [
        f"newssearch index counted {c:,} articles, not {size:,}"
        for c in r.get("index", {}).get("counts", [])
        if c != size
    ]
    problems += [
        f"bare Whoosh indexed {x['documents']:,} documents, not {size:,}"
        for x in r.get("index", {}).get("baseline", [])
        if x["documents"] != size
    ]
    for c in r.get("add", {}).get("counts", []):
        if (c["after_add"], c["after_remove"], c["baseline_after_add"]) != (size + ADDED, size, size + ADDED):
            problems.append(f"add {ADDED}: counts {c}, expected {size + ADDED:,} / {size:,} / {size + ADDED:,}")
    problems += [
        f"newssearch index on OpenSearch counted {c:,} articles, not {size:,}"
        for c in r.get("index", {}).get("opensearch_counts", [])
        if c != size
    ]
    for c in r.get("add", {}).get("opensearch_counts", []):
        if (c["after_add"], c["after_remove"]) != (size + ADDED, size):
            problems.append(f"add {ADDED} on OpenSearch: counts {c}, expected {size + ADDED:,} / {size:,}")
    return problems


def opensearch_vs_whoosh(r: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Each OpenSearch measurement of one size beside newssearch on Whoosh in the same run: medians
    (peak RSS: the largest run's, of the client process), and ratio = OpenSearch / Whoosh. Empty
    without ``--opensearch``."""
    out: dict[str, dict[str, Any]] = {}

    def pair(key: str, unit: str, opensearch: float, whoosh: float) -> None:
        ratio = opensearch / whoosh if whoosh else float("nan")
        out[key] = {"unit": unit, "opensearch": opensearch, "whoosh": whoosh, "ratio": ratio}

    def median(runs: list[dict[str, Any]], scale: float = 1.0) -> float:
        return float(statistics.median(x["seconds"] for x in runs)) * scale

    def peak(*runs: list[dict[str, Any]]) -> float:
        return float(max(x["rss_mb"] for group in runs for x in group))

    ix = r.get("index", {})
    if ix.get("opensearch"):
        pair("full index", "s", median(ix["opensearch"]), median(ix["newssearch"]))
        pair("full index, client peak RSS", "MB", peak(ix["opensearch"]), peak(ix["newssearch"]))
        pair("index size", "MB", ix["index_mb"]["opensearch"], ix["index_mb"]["newssearch"])
    for kind, q in r.get("queries", {}).items():
        if "newssearch-opensearch" in q:
            os_human, os_json = q["newssearch-opensearch"], q["newssearch-opensearch --json"]
            pair(f"query, {kind}", "ms", os_human["median_ms"], q["newssearch"]["median_ms"])
            pair(f"query --json, {kind}", "ms", os_json["median_ms"], q["newssearch --json"]["median_ms"])
            pair(
                f"query peak RSS, {kind}",
                "MB",
                max(os_human["peak_rss_mb"], os_json["peak_rss_mb"]),
                max(q["newssearch"]["peak_rss_mb"], q["newssearch --json"]["peak_rss_mb"]),
            )
    add = r.get("add", {})
    if add.get("opensearch"):
        pair(f"add {ADDED}", "ms", median(add["opensearch"], 1000), median(add["newssearch"], 1000))
        pair(f"remove {ADDED}", "ms", median(add["opensearch_remove"], 1000), median(add["remove"], 1000))
        pair(f"add {ADDED}, client peak RSS", "MB", peak(add["opensearch"]), peak(add["newssearch"]))
    return out


def _short(size: int) -> str:
    return f"{size // 1000}k" if size % 1000 == 0 else f"{size:,}"


def _met(ok: bool) -> str:
    return "met" if ok else "**not met**"


def rows_for(size: int, r: dict[str, Any]) -> list[tuple[str, list[str]]]:
    """(row key, cells: measurement, size, newssearch, baseline, ratio, target) for one size."""
    rows: list[tuple[str, list[str]]] = []
    s = _short(size)
    vs = opensearch_vs_whoosh(r)

    def row(key: str, label: str, a: float, b: float, unit: str, fmt: str, target: str = "") -> None:
        ratio = f"{a / b:.2f}×" if b else "–"
        rows.append((key, [label, s, fmt.format(a) + unit, fmt.format(b) + unit, ratio, target]))

    def os_row(key: str, label: str, measurement: str, fmt: str, scale: float = 1.0) -> None:
        """A row of newssearch on OpenSearch (newssearch column) vs on Whoosh (baseline column)."""
        if measurement in vs:
            m = vs[measurement]
            row(key, label, m["opensearch"] * scale, m["whoosh"] * scale, " " + m["unit"], fmt)

    def os_counts(key: str, label: str, counts: list[str], ok: bool) -> None:
        rows.append((key, [label, s, " / ".join(counts) if ok else "**MISMATCH** (see JSON)", "", "", ""]))

    if "index" in r:
        ix = r["index"]
        ns_s = statistics.median(x["seconds"] for x in ix["newssearch"])
        bare_s = statistics.median(x["seconds"] for x in ix["baseline"])
        row("index", "full index", ns_s, bare_s, " s", "{:.1f}", f"≤ {INDEX_S} s: {_met(ns_s <= INDEX_S)}")
        counts = ix["counts"]
        rows.append(
            (
                "count",
                [
                    "  articles in the index (stats --json) / in the corpus",
                    s,
                    " / ".join(f"{c:,}" for c in sorted(set(counts))),
                    f"{size:,}",
                    "",
                    f"all present: {_met(all(c == size for c in counts))}",
                ],
            )
        )
        ns_rss = max(x["rss_mb"] for x in ix["newssearch"])
        row("index-rss", "  peak RSS, full index", ns_rss, max(x["rss_mb"] for x in ix["baseline"]), " MB", "{:.0f}")
        row(
            "index-mb",
            "  index size on disk",
            ix["index_mb"]["newssearch"],
            ix["index_mb"]["baseline"],
            " MB",
            "{:.0f}",
        )
        if ix.get("opensearch"):
            os_row("os-index", "  OpenSearch (`--rebuild`) vs newssearch", "full index", "{:.1f}")
            counts = ix["opensearch_counts"]
            os_counts(
                "os-count",
                "  OpenSearch: articles in the index (stats --json)",
                [f"{c:,}" for c in sorted(set(counts))],
                all(c == size for c in counts),
            )
            os_row("os-index-rss", "  OpenSearch: client peak RSS, full index", "full index, client peak RSS", "{:.0f}")
            os_row("os-index-mb", "  OpenSearch: index size (primaries' store)", "index size", "{:.0f}")
    for kind, q in r.get("queries", {}).items():
        ns, js, bare, floor = q["newssearch"], q["newssearch --json"], q["bare Whoosh"], q["python -c pass"]
        ms = ns["median_ms"]
        fast, close = ms <= QUERY_MS, ms <= bare["median_ms"] * QUERY_RATIO
        target = f"≤ {QUERY_MS} ms: {_met(fast)}; ≤ {QUERY_RATIO:.1f}×: {_met(close)}"
        row(f"q-{kind}", f"query, {kind}: `{q['query']}`", ms, bare["median_ms"], " ms", "{:.0f}", target)
        row(f"q-{kind}-pass", "  vs `python -c pass`", ms, floor["median_ms"], " ms", "{:.0f}")
        json_ok = js["median_ms"] <= ms
        row(f"q-{kind}-json", "  `--json` vs human", js["median_ms"], ms, " ms", "{:.0f}", f"≤ 1.0×: {_met(json_ok)}")
        rss = max(ns["peak_rss_mb"], js["peak_rss_mb"])
        row(
            f"q-{kind}-rss",
            "  peak RSS (human or --json) vs bare",
            rss,
            bare["peak_rss_mb"],
            " MB",
            "{:.0f}",
            f"≤ {QUERY_RSS_MB} MB: {_met(rss <= QUERY_RSS_MB)}",
        )
        os_row(f"q-{kind}-os", "  OpenSearch vs newssearch", f"query, {kind}", "{:.0f}")
        os_row(f"q-{kind}-os-json", "  OpenSearch `--json` vs newssearch `--json`", f"query --json, {kind}", "{:.0f}")
        os_row(f"q-{kind}-os-rss", "  OpenSearch: client peak RSS vs newssearch", f"query peak RSS, {kind}", "{:.0f}")
    if "add" in r:
        add = r["add"]
        ns_s = statistics.median(x["seconds"] for x in add["newssearch"])
        bare_s = statistics.median(x["seconds"] for x in add["baseline"])
        row(
            "add",
            f"add a file of {ADDED} articles + index",
            ns_s * 1000,
            bare_s * 1000,
            " ms",
            "{:.0f}",
            f"≤ {ADD_S:.0f} s: {_met(ns_s <= ADD_S)}",
        )
        ok = all(c["after_add"] == size + ADDED and c["after_remove"] == size for c in add["counts"])
        rows.append(
            (
                "add-count",
                [
                    "  articles after add / after removing it again",
                    s,
                    f"{size + ADDED:,} / {size:,}" if ok else "**MISMATCH** (see JSON)",
                    "",
                    "",
                    "",
                ],
            )
        )
        row(
            "add-rss",
            "  peak RSS, add",
            max(x["rss_mb"] for x in add["newssearch"]),
            max(x["rss_mb"] for x in add["baseline"]),
            " MB",
            "{:.0f}",
        )
        if add.get("opensearch"):
            os_row("os-add", f"  OpenSearch: add {ADDED} vs newssearch", f"add {ADDED}", "{:.0f}")
            os_counts(
                "os-add-count",
                "  OpenSearch: articles after add / after removing it",
                [f"{size + ADDED:,}", f"{size:,}"],
                all(c["after_add"] == size + ADDED and c["after_remove"] == size for c in add["opensearch_counts"]),
            )
            os_row("os-add-rss", "  OpenSearch: client peak RSS, add", f"add {ADDED}, client peak RSS", "{:.0f}")
    return rows


def table(results: dict[int, dict[str, Any]]) -> str:
    per_size = {size: dict(rows_for(size, r)) for size, r in results.items()}
    keys: list[str] = []
    for rows in per_size.values():
        keys += [k for k in rows if k not in keys]
    header = ["measurement", "size", "newssearch", "baseline", "ratio", "target (at 100k)"]
    lines = [header] + [per_size[size][k] for k in keys for size in per_size if k in per_size[size]]
    widths = [max(len(line[i]) for line in lines) for i in range(len(header))]
    right = {2, 3, 4}

    def fmt(cells: list[str]) -> str:
        return (
            "| "
            + " | ".join(
                c.rjust(w) if i in right else c.ljust(w) for i, (c, w) in enumerate(zip(cells, widths, strict=True))
            )
            + " |"
        )

    rule = "|" + "|".join("-" * (w + 1) + ":" if i in right else "-" * (w + 2) for i, w in enumerate(widths)) + "|"
    return "\n".join([fmt(header), rule, *(fmt(line) for line in lines[1:])])


# -- machine and source --------------------------------------------------------------------------


def src_digest() -> str:
    """A digest of src/ as it is now: other people edit it while this runs."""
    h = hashlib.sha256()
    for p in sorted((corpora.REPO / "src").rglob("*.py")):
        h.update(p.relative_to(corpora.REPO).as_posix().encode() + b"\0" + p.read_bytes())
    return h.hexdigest()[:12]


def install_kind() -> str:
    """How newssearch is installed in this venv: "editable" (``pip install -e``, the development
    venv) or "regular" (``pip install .``, what the README tells users). An editable install
    finds its modules through an import hook, which costs every command about 40 ms of start-up
    (10k: a rare word 196 ms editable, 154 ms regular, 2026-11-25)."""
    from importlib import metadata

    try:
        direct = json.loads(metadata.distribution("newssearch").read_text("direct_url.json") or "{}")
    except metadata.PackageNotFoundError:
        return "not installed"
    return "editable" if direct.get("dir_info", {}).get("editable") else "regular"


def machine() -> dict[str, Any]:
    import whoosh

    facts: dict[str, Any] = {
        "python": platform.python_version(),
        "whoosh": ".".join(map(str, whoosh.__version__)),
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        "cpus_usable": len(os.sched_getaffinity(0)),
    }
    facts["install"] = install_kind()
    for path, key, field in (("/proc/cpuinfo", "cpu", "model name"), ("/proc/meminfo", "memory", "MemTotal")):
        try:
            for line in Path(path).read_text().splitlines():
                if line.startswith(field):
                    value = line.split(":", 1)[1].strip()
                    facts[key] = f"{int(value.split()[0]) / 2**20:.1f} GiB" if value.endswith(" kB") else value
                    break
        except OSError:
            pass
    return facts


# -- main ----------------------------------------------------------------------------------------


def _cluster_line(facts: dict[str, Any]) -> str:
    heaps = ", ".join(f"{mb:,} MB" for mb in facts["heap_max_mb"])
    return f"{facts['url']}, {' / '.join(facts['version'])}, {facts['nodes']} node(s), heap {heaps}"


def run_size(
    work: Path, size: int, records: list[dict[str, Any]], queries: dict[str, str], args: argparse.Namespace
) -> dict[str, Any]:
    base = work / f"reuters-{size}"
    corpus = prepare_corpus(base, size, records)
    cluster = f"{args.opensearch}/speed-{size}" if args.opensearch else None
    r: dict[str, Any] = {"articles": size, "corpus_mb": folder_mb(corpus)}
    if cluster:
        r["opensearch_index"] = cluster
    try:
        log(f"{size:,} articles ({r['corpus_mb']:.0f} MB of .jsonl): full index × {args.index_repeats} ...")
        r["index"] = measure_index(corpus, base, size, args.index_repeats, cluster)
        log(f"{size:,} articles: queries, {args.repeats} rounds after a warm-up ...")
        r["queries"] = measure_queries(base, queries, args.repeats, cluster)
        log(f"{size:,} articles: add {ADDED} × {args.repeats} ...")
        r["add"] = measure_add(corpus, base, size, records, args.repeats, cluster)
    except Failed as e:
        log(f"  FAILED: {e}")
        r["error"] = str(e)
    return r


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    ap.add_argument("--sizes", type=int, nargs="+", metavar="N", help="corpus sizes in articles (default 10000 100000)")
    ap.add_argument(
        "--repeats", type=int, metavar="N", help="measured runs of every query command and of add 100 (default 7)"
    )
    ap.add_argument("--index-repeats", type=int, metavar="N", help="full index runs per side (default 3)")
    ap.add_argument("--quick", action="store_true", help="a fast check: --sizes 10000 --repeats 3 --index-repeats 1")
    ap.add_argument(
        "--work",
        type=Path,
        metavar="DIR",
        help="keep corpora and indexes here and reuse them (default: a temporary folder)",
    )
    ap.add_argument("--json", type=Path, metavar="FILE", help="also write every number to FILE")
    ap.add_argument(
        "--opensearch",
        metavar="URL",
        help="also measure newssearch on this OpenSearch cluster (http://HOST:PORT, no index name), in the index "
        "URL/speed-N, beside newssearch on Whoosh",
    )
    args = ap.parse_args(argv)
    if args.opensearch:
        args.opensearch = args.opensearch.rstrip("/")
        if not re.fullmatch(r"https?://[^/\s]+", args.opensearch):
            ap.error(
                f"--opensearch {args.opensearch!r}: give the cluster's URL without an index, e.g. http://HOST:PORT"
            )
    quick = {"sizes": [10_000], "repeats": 3, "index_repeats": 1}
    full = {"sizes": [10_000, 100_000], "repeats": 7, "index_repeats": 3}
    for key, value in (quick if args.quick else full).items():
        if getattr(args, key) is None:
            setattr(args, key, value)
    if not Path(NEWSSEARCH).exists():
        raise SystemExit(f"{NEWSSEARCH} not found: run this with the Python of the venv newssearch is installed in")

    started = time.perf_counter()
    state, digest = corpora.source_state(), src_digest()
    facts = machine()
    facts["load_average_start"] = os.getloadavg()
    log(f"newssearch {state} (src {digest}); {facts.get('cpu', '?')}, {facts['cpus_usable']} CPUs")
    if args.opensearch:
        facts["opensearch"] = cluster_facts(args.opensearch)
        log(f"OpenSearch: {_cluster_line(facts['opensearch'])}")
    if not TIME:
        log("no GNU /usr/bin/time: peak RSS is not measured (see TIME)")
    if facts["install"] == "editable":
        log(
            "newssearch is an editable install here: every command starts about 40 ms slower than "
            "after `pip install .` (what users run); for those numbers run this with the Python of a "
            "venv made with `pip install .` (and reinstall after changing src/)"
        )
    records = corpora.reuters_records()
    queries = pick_queries(records[:10_000])
    log("queries: " + "; ".join(f"{k}: {v}" for k, v in queries.items()))

    results: dict[int, dict[str, Any]] = {}
    if args.work:
        args.work.mkdir(parents=True, exist_ok=True)
        for size in sorted(args.sizes):
            results[size] = run_size(args.work, size, records, queries, args)
    else:
        with tempfile.TemporaryDirectory(prefix="newssearch-speed-") as tmp:
            for size in sorted(args.sizes):
                results[size] = run_size(Path(tmp), size, records, queries, args)
                shutil.rmtree(Path(tmp) / f"reuters-{size}")
    total = time.perf_counter() - started
    facts["load_average_end"] = os.getloadavg()
    digest_end = src_digest()

    print(
        f"newssearch {state}, src digest {digest}"
        + ("" if digest_end == digest else f" → {digest_end} (src/ CHANGED during the run)")
    )
    print(
        f"measured {time.strftime('%Y-%m-%d %H:%M')}; {facts['install']} install; "
        f"Python {facts['python']}, Whoosh {facts['whoosh']}, "
        f"{facts['cpus_usable']} CPUs ({facts.get('cpu', '?')}), {facts.get('memory', '?')} RAM; "
        f"load average {facts['load_average_start'][0]:.1f} at the start, {facts['load_average_end'][0]:.1f} at the end"
    )
    if args.opensearch:
        print(f"OpenSearch: {_cluster_line(facts['opensearch'])}, on this machine")
    print(
        f"medians of {args.repeats} runs (full index: {args.index_repeats}); "
        "peak RSS: the largest run's own ru_maxrss; ratio = newssearch / baseline; "
        "baseline = bare_whoosh.py unless the row says otherwise"
        + (
            "; rows with OpenSearch: newssearch on OpenSearch / newssearch on Whoosh (client process RSS)\n"
            if args.opensearch
            else "\n"
        )
    )
    print(table(results))
    print()
    for size, r in results.items():
        if "error" in r:
            print(f"{_short(size)}: FAILED — {r['error']}")
        for kind, q in r.get("queries", {}).items():
            codes = {
                v: q[v]["exit_codes"]
                for v in (*VARIANTS, *OS_VARIANTS)
                if v in q and q[v]["exit_codes"] not in ([0], [1])
            }
            opensearch = (
                f"; on OpenSearch {q['opensearch_total']:,} matches, shows {q['opensearch_shown']}, "
                + (
                    "the same page as on Whoosh"
                    if q["opensearch_same_ids"]
                    else f"{q['opensearch_common_ids']} of them on Whoosh's page too"
                )
                if "opensearch_total" in q
                else ""
            )
            print(
                f"{_short(size)} {kind} `{q['query']}`: newssearch {q['newssearch_total']:,} matches, shows "
                f"{q['newssearch_shown']}; bare Whoosh shows {q['bare_shown']}"
                + opensearch
                + (f"; exit codes {codes}" if codes else "")
            )
        if "index" in r:
            runs = ", ".join(f"{x['seconds']:.1f}" for x in r["index"]["newssearch"])
            bare = ", ".join(f"{x['seconds']:.1f}" for x in r["index"]["baseline"])
            problems = sum(len(s.get("problems", [])) for s in r["index"]["summaries"])
            on_cluster = ", ".join(f"{x['seconds']:.1f}" for x in r["index"].get("opensearch", []))
            print(
                f"{_short(size)} full index runs: newssearch {runs} s; bare Whoosh {bare} s; "
                + (f"newssearch on OpenSearch {on_cluster} s; " if on_cluster else "")
                + f"problems newssearch reported: {problems}"
            )
    print(f"total {total / 60:.1f} min")

    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        payload = {
            "source": state,
            "src_digest": {"start": digest, "end": digest_end},
            "measured": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            "machine": facts,
            "options": {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()},
            "queries": queries,
            "total_seconds": total,
            "results": {str(size): r for size, r in results.items()},
            "table": [asdict(Row(*cells)) for size, r in results.items() for _, cells in rows_for(size, r)],
        }
        if args.opensearch:
            payload["opensearch_vs_whoosh"] = {str(size): opensearch_vs_whoosh(r) for size, r in results.items()}
        args.json.write_text(json.dumps(payload, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    bad = [f"{_short(size)}: {p}" for size, r in results.items() for p in count_problems(size, r)]
    for line in bad:
        print("PROBLEM " + line)
    return 1 if bad or any("error" in r for r in results.values()) else 0


if __name__ == "__main__":
    raise SystemExit(main())
