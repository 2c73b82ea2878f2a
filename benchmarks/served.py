"""newssearch through a resident searcher (``newssearch serve``) beside the same commands without
one, in the same run, on the Reuters corpora that ``speed.py`` builds.

    .venv/bin/python benchmarks/speed.py --work /tmp/ns-speed --sizes 100000 --index-repeats 1   # builds them
    .venv/bin/python benchmarks/served.py --work /tmp/ns-speed --sizes 10000 100000 --repeats 9

For each size, on ``WORK/reuters-N/ns-index`` (built by ``speed.py --work WORK``):

- a server is started (``serve --detach --idle 0``) and stopped at the end;
- **queries**: speed.py's five queries, each as ``newssearch query Q --limit 10`` (terminal output
  with snippets, to a pipe) and with ``--json``, answered by the server, and the same two with
  ``NEWSSEARCH_NO_SERVER=1``, beside ``python -c pass``; one warm-up round, then ``--repeats``
  rounds of all 25 commands, their order rotating. Medians, and the client's peak RSS (GNU time).
  Each served command's stdout, stderr and exit code must be the unserved one's (exit 1 otherwise);
- **add 100**: speed.py's file of 100 more articles copied into the corpus, ``newssearch index``
  timed, then the next served ``stats --json`` must count N + 100 (and the file removed, indexed
  again, N); ``--repeats`` times;
- the server's RSS (``/proc/PID/status`` VmRSS and VmHWM) after the queries.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
from pathlib import Path
from typing import Any

import speed  # beside this script
from speed import NEWSSEARCH, PYTHON, Run, checked, spawn

KINDS = speed.KINDS
VARIANTS = (
    "python -c pass",
    "newssearch, no server",
    "newssearch --json, no server",
    "newssearch, server",
    "newssearch --json, server",
)
NO_SERVER = {"NEWSSEARCH_NO_SERVER": "1"}


def command(variant: str, index: str, q: str) -> tuple[list[str], dict[str, str] | None]:
    if variant == "python -c pass":
        return [PYTHON, "-c", "pass"], None
    argv = [NEWSSEARCH, "query", q, "--limit", "10", "--index", index, *(["--json"] if "--json" in variant else [])]
    return argv, (NO_SERVER if "no server" in variant else None)


def server_memory(pid: int) -> dict[str, float]:
    fields = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        name, _, value = line.partition(":")
        if name in ("VmRSS", "VmHWM"):
            fields[name] = float(value.split()[0]) / 1024
    return fields


def measure(base: Path, queries: dict[str, str], repeats: int) -> dict[str, Any]:
    index = str(base / "ns-index")
    corpus = base / "corpus"
    size = speed.article_count(index)
    started = checked(spawn([NEWSSEARCH, "serve", "--detach", "--idle", "0", "--index", index]), "serve --detach")
    pid = int(started.err.split("(pid ")[1].split(")")[0])
    try:
        runs: dict[str, dict[str, list[Run]]] = {kind: {v: [] for v in VARIANTS} for kind in KINDS}
        problems: list[str] = []
        for round_ in range(repeats + 1):  # round 0 is the warm-up
            order = VARIANTS[round_ % len(VARIANTS) :] + VARIANTS[: round_ % len(VARIANTS)]
            for kind in KINDS:
                for variant in order:
                    argv, env = command(variant, index, queries[kind])
                    run = spawn(argv, env)
                    if round_:
                        runs[kind][variant].append(run)
            for kind in KINDS:  # the server's answer is the command's own
                for text in ("newssearch", "newssearch --json"):
                    a, b = runs[kind][f"{text}, server"], runs[kind][f"{text}, no server"]
                    if a and (a[-1].out, a[-1].err, a[-1].code) != (b[-1].out, b[-1].err, b[-1].code):
                        problems.append(f"{kind} {text}: the served output differs")
        memory = server_memory(pid)
        out: dict[str, Any] = {"size": size, "server_mb": memory, "problems": problems, "queries": {}}
        for kind in KINDS:
            by = runs[kind]
            out["queries"][kind] = {
                "query": queries[kind],
                **{
                    v: {
                        "median_ms": statistics.median(r.seconds for r in by[v]) * 1000,
                        "peak_rss_mb": max(r.rss_mb for r in by[v]),
                    }
                    for v in VARIANTS
                },
            }
            ms = {v: round(out["queries"][kind][v]["median_ms"]) for v in VARIANTS}
            speed.log(f"  {kind} {queries[kind]}: " + ", ".join(f"{v} {n} ms" for v, n in ms.items()))
        out["add"] = measure_add(base, corpus, index, size, repeats, problems)
        out["server_mb"] = server_memory(pid)
        return out
    finally:
        spawn([NEWSSEARCH, "serve", "--stop", "--index", index])


def measure_add(base: Path, corpus: Path, index: str, size: int, repeats: int, problems: list[str]) -> dict[str, Any]:
    added = base / f"added-{speed.ADDED}.jsonl"
    if not added.exists():  # speed.py's file of 100 more articles, as it writes it
        records = speed.corpora.reuters_records()
        speed.corpora.write_jsonl(speed.corpora.replicate(records[: speed.ADDED], speed.ADDED, suffix="add"), added)
    index_s, seen_ms = [], []
    for _ in range(repeats):
        shutil.copy(added, corpus / added.name)
        run = checked(spawn([NEWSSEARCH, "index", "--corpus", str(corpus), "--index", index, "-q"]), "index (add)")
        index_s.append(run.seconds)
        stats = checked(spawn([NEWSSEARCH, "stats", "--json", "--index", index]), "stats (served)")
        seen_ms.append(stats.seconds * 1000)
        if json.loads(stats.out)["articles"] != size + speed.ADDED:
            problems.append(f"after add 100 the server counted {json.loads(stats.out)['articles']}")
        (corpus / added.name).unlink()
        checked(spawn([NEWSSEARCH, "index", "--corpus", str(corpus), "--index", index, "-q"]), "index (remove)")
    return {"index_median_s": statistics.median(index_s), "next_stats_median_ms": statistics.median(seen_ms)}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    ap.add_argument("--work", type=Path, required=True, help="the WORK folder of `speed.py --work WORK`")
    ap.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000], metavar="N")
    ap.add_argument("--repeats", type=int, default=9, metavar="N")
    ap.add_argument("--json", type=Path, metavar="FILE", help="also write every number to FILE")
    args = ap.parse_args(argv)
    queries = speed.pick_queries(speed.corpora.reuters_records()[:10_000])
    load_before = os.getloadavg()
    results = {}
    for size in args.sizes:
        base = args.work / f"reuters-{size}"
        if not (base / "ns-index").is_dir():
            hint = f"run benchmarks/speed.py --work {args.work} --sizes {size} first"
            print(f"no index at {base / 'ns-index'} — {hint}", file=sys.stderr)
            return 2
        speed.log(f"{size:,} articles")
        results[size] = measure(base, queries, args.repeats)
    load_after = os.getloadavg()
    results_all = {"load_before": load_before, "load_after": load_after, "machine": speed.machine(), "sizes": results}
    for size, r in results.items():
        print(f"\n{size:,} articles (load {load_before[0]:.2f} → {load_after[0]:.2f}); server RSS {r['server_mb']}")
        print("| query | server | --json, server | no server | --json, no server | python -c pass | client RSS |")
        print("|---|---|---|---|---|---|---|")
        for kind, q in r["queries"].items():
            cells = [f"{q[v]['median_ms']:.0f} ms" for v in VARIANTS[3:] + VARIANTS[1:3] + VARIANTS[:1]]
            rss = q["newssearch, server"]["peak_rss_mb"]
            print(f"| {kind} `{q['query']}` | " + " | ".join(cells) + f" | {rss:.0f} MB |")
        add = r["add"]
        print(f"add 100 + index: {add['index_median_s']:.2f} s; next served stats {add['next_stats_median_ms']:.0f} ms")
        for problem in r["problems"]:
            print(f"PROBLEM: {problem}")
    if args.json:
        args.json.write_text(json.dumps(results_all, indent=1))
    return 1 if any(r["problems"] for r in results.values()) else 0


if __name__ == "__main__":
    sys.exit(main())
