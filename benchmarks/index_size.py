"""What a full index costs to build and to keep, and what its bytes are: newssearch beside bare
Whoosh (``MpWriter`` with 2 processes, as newssearch indexes, and one process) in the same run,
and, with ``--against``, beside another install of newssearch (an earlier commit).

    .venv/bin/python benchmarks/index_size.py --work /tmp/ns-speed --sizes 10000 --repeats 3
    .venv/bin/python benchmarks/index_size.py --work /tmp/ns-speed --sizes 10000 100000 --repeats 1 \\
        --against /tmp/ns-old/bin/newssearch      # an install of the commit to compare with
    # also: --layout per-article (one article a file), --no-single, --json FILE

Corpus: ``speed.py``'s Reuters corpus of N articles (``WORK/reuters-N/corpus``, 10 ``.jsonl`` files,
written if missing), or with ``--layout per-article`` the same articles one ``.jsonl`` file each
(``WORK/reuters-N-per-article/corpus``): newssearch keeps some things per corpus file, and a folder
of one article a file is its least favourable case.

Each round builds, into empty folders and in an order that rotates: ``newssearch index --json``
(then ``stats --json`` must count N articles), the ``--against`` install's the same, and
``bare_whoosh.py index`` with 2 processes and with 1. Every command is timed from spawn to exit
(wall) under GNU time for its CPU seconds (user + system, workers included) and its peak RSS.
Reported: medians over ``--repeats`` rounds, ratios to bare Whoosh with 2 processes, the size on
disk, and the last index's composition read with Whoosh (postings per field, the term index,
stored fields, the rest), which says where a change took bytes from.

Then the ``--passages`` cost: speed.py's five queries with ``--passages --limit 10 --json`` on each
newssearch index, fresh processes, rounds interleaved, medians; the pages must be equal (the same
ids, passages and scores), or the run says where they differ.
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import speed  # beside this script
from speed import BARE, NEWSSEARCH, PYTHON, Failed


@dataclass
class Cost:
    wall: float
    cpu: float
    rss_mb: float
    out: str


def timed(cmd: list[str]) -> Cost:
    """Run ``cmd``: wall seconds, CPU seconds and peak RSS (GNU time's %U, %S and %M)."""
    if speed.TIME is None:
        raise Failed("GNU time (/usr/bin/time) is needed for CPU seconds: apt-get install time")
    env = {k: v for k, v in os.environ.items() if k not in ("FORCE_COLOR", "NEWSSEARCH_INDEX", "NEWSSEARCH_CORPUS")}
    with tempfile.NamedTemporaryFile("r", prefix="cost-", suffix=".txt") as report:
        started = time.perf_counter()
        proc = subprocess.run(
            [speed.TIME, "-f", "%U %S %M", "-o", report.name, *cmd], capture_output=True, text=True, env=env
        )
        wall = time.perf_counter() - started
        if proc.returncode != 0:
            raise Failed(f"{' '.join(cmd[:3])} exited {proc.returncode}: {proc.stderr.strip()[-2000:]}")
        user, system, kb = report.read().split()[-3:]
    return Cost(wall, float(user) + float(system), float(kb) / 1024, proc.stdout)


def per_article_corpus(work: Path, size: int, records: list[dict[str, Any]]) -> Path:
    """The first ``size`` replicated records, one ``.jsonl`` file each (reused when complete)."""
    corpus = work / f"reuters-{size}-per-article" / "corpus"
    done = corpus.parent / "complete"
    if done.exists():
        return corpus
    shutil.rmtree(corpus.parent, ignore_errors=True)
    corpus.mkdir(parents=True)
    speed.log(f"{size:,} articles, one a file: writing {corpus} ...")
    for n, record in enumerate(speed.corpora.replicate(records, size)):
        folder = corpus / f"{n // 1000:04d}"  # a thousand files a folder
        folder.mkdir(exist_ok=True)
        speed.corpora.write_jsonl([record], folder / f"{n:07d}.jsonl")
    done.write_text(str(size))
    return corpus


def composition(index: Path) -> dict[str, float]:
    """MB of the index's parts: postings per field (``postings:FIELD``, inlined ones in the term
    index), the term index, stored fields, lengths and columns, other files."""
    from whoosh import index as windex
    from whoosh.filedb.compound import CompoundStorage
    from whoosh.reading import SegmentReader

    ix = windex.open_dir(str(index))
    parts: collections.Counter[str] = collections.Counter()
    for segment in ix._segments():
        reader = SegmentReader(ix.storage, ix.schema, segment)
        for fieldname in reader.indexed_field_names():
            for term in reader.lexicon(fieldname):
                info = reader.term_info(fieldname, term)
                length = info._length
                if length:  # W3TermInfo reads its length as a 1-tuple
                    parts[f"postings:{fieldname}"] += length[0] if isinstance(length, tuple) else length
        reader.close()
        if not segment.is_compound():
            continue  # its files are "other"
        with ix.storage.open_file(segment.make_filename(segment.COMPOUND_EXT)) as handle:
            compound = CompoundStorage(handle, use_mmap=False)
            for sub in compound.list():
                nbytes = compound.file_length(sub)
                if sub.endswith(".trm"):
                    parts["term index"] += nbytes
                elif sub.endswith("_stored.col"):
                    parts["stored fields"] += nbytes
                elif sub.endswith(".col"):
                    parts["lengths and columns"] += nbytes
                elif not sub.endswith(".pst"):
                    parts["other"] += nbytes
    total = speed.folder_mb(index) * 1e6
    parts["other"] += total - sum(parts.values())
    return {k: round(v / 1e6, 2) for k, v in sorted(parts.items(), key=lambda kv: -kv[1])}


def measure_builds(corpus: Path, base: Path, size: int, args: argparse.Namespace) -> dict[str, Any]:
    builders: dict[str, Any] = {
        "newssearch": lambda out: [NEWSSEARCH, "index", "--corpus", str(corpus), "--index", str(out), "--json"],
        "bare Whoosh, 2 processes": lambda out: [PYTHON, str(BARE), "index", str(corpus), str(out), "2"],
    }
    if not args.no_single:
        builders["bare Whoosh, 1 process"] = lambda out: [PYTHON, str(BARE), "index", str(corpus), str(out), "1"]
    if args.against:
        builders["against"] = lambda out: [
            args.against,
            "index",
            "--corpus",
            str(corpus),
            "--index",
            str(out),
            "--json",
        ]
    names = list(builders)
    runs: dict[str, list[Cost]] = {name: [] for name in names}
    folders = {name: base / f"size-{n}" for n, name in enumerate(names)}
    for r in range(args.repeats):
        order = names[r % len(names) :] + names[: r % len(names)]
        for name in order:
            shutil.rmtree(folders[name], ignore_errors=True)
            cost = timed(builders[name](folders[name]))
            if name in ("newssearch", "against"):
                stats = timed(
                    [
                        NEWSSEARCH if name == "newssearch" else args.against,
                        "stats",
                        "--json",
                        "--index",
                        str(folders[name]),
                    ]
                )
                count = json.loads(stats.out)["articles"]
                if count != size:
                    raise Failed(f"{name}: {count:,} articles in the index, {size:,} in the corpus")
            runs[name].append(cost)
            speed.log(
                f"  {r + 1}/{args.repeats} {name}: {cost.wall:.1f} s wall, {cost.cpu:.1f} s CPU, {cost.rss_mb:.0f} MB"
            )
    out: dict[str, Any] = {}
    for name in names:
        out[name] = {
            "wall_s": statistics.median(c.wall for c in runs[name]),
            "cpu_s": statistics.median(c.cpu for c in runs[name]),
            "peak_rss_mb": max(c.rss_mb for c in runs[name]),
            "disk_mb": speed.folder_mb(folders[name]),
            "composition_mb": composition(folders[name]),
        }
    out["folders"] = {name: str(folder) for name, folder in folders.items()}
    return out


def measure_passages(builds: dict[str, Any], queries: dict[str, str], args: argparse.Namespace) -> dict[str, Any]:
    """``--passages`` queries on each newssearch index, interleaved rounds: medians (ms) and
    whether the pages agree."""
    commands = {"newssearch": NEWSSEARCH, **({"against": args.against} if args.against else {})}
    times: dict[tuple[str, str], list[float]] = collections.defaultdict(list)
    pages: dict[tuple[str, str], Any] = {}
    for r in range(args.repeats + 1):  # the first round warms the page cache and is not counted
        for kind, text in queries.items():
            for name, command in commands.items():
                index = builds["folders"][name]
                run = speed.spawn([command, "query", text, "--passages", "--limit", "10", "--json", "--index", index])
                speed.checked(run, f"{name} query --passages {text}", codes=(0, 1))
                if r:
                    times[(name, kind)].append(run.seconds * 1000)
                result = json.loads(run.out)
                pages[(name, kind)] = [(h["id"], h["kind"], h["line"], h["score"]) for h in result["results"]]
    out: dict[str, Any] = {}
    for kind, text in queries.items():
        row = {name: round(statistics.median(times[(name, kind)]), 1) for name in commands}
        if args.against:
            row["same page"] = pages[("newssearch", kind)] == pages[("against", kind)]
        out[f"{kind}: {text}"] = row
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    ap.add_argument("--work", type=Path, required=True, help="where corpora and indexes are kept (as speed.py --work)")
    ap.add_argument("--sizes", type=int, nargs="+", default=[10_000], metavar="N")
    ap.add_argument("--repeats", type=int, default=3, metavar="N", help="rounds of builds and of queries (default 3)")
    ap.add_argument("--layout", choices=("files", "per-article"), default="files")
    ap.add_argument("--against", metavar="NEWSSEARCH", help="another install's newssearch command to compare with")
    ap.add_argument("--no-single", action="store_true", help="leave out bare Whoosh with one process (slow at 1M)")
    ap.add_argument("--json", type=Path, metavar="FILE", help="also write every number to FILE")
    args = ap.parse_args(argv)
    records = speed.corpora.reuters_records()
    queries = speed.pick_queries(records[:10_000])
    load_before = os.getloadavg()
    results: dict[str, Any] = {}
    for size in args.sizes:
        if args.layout == "files":
            corpus = speed.prepare_corpus(args.work / f"reuters-{size}", size, records)
        else:
            corpus = per_article_corpus(args.work, size, records)
        base = args.work / f"index-size-{size}-{args.layout}"
        base.mkdir(parents=True, exist_ok=True)
        speed.log(f"{size:,} articles ({args.layout}): building")
        builds = measure_builds(corpus, base, size, args)
        passages = measure_passages(builds, queries, args)
        results[str(size)] = {"builds": builds, "passages": passages}
        print(report(size, builds, passages))
    load_after = os.getloadavg()
    print(f"load average {load_before[0]:.2f} before, {load_after[0]:.2f} after; {speed.install_kind()} install")
    if args.json:
        facts = {"load_before": load_before, "load_after": load_after, "machine": speed.machine(), "sizes": results}
        args.json.write_text(json.dumps(facts, indent=1))
    return 0


def report(size: int, builds: dict[str, Any], passages: dict[str, Any]) -> str:
    names = [n for n in builds if n != "folders"]
    base = builds["bare Whoosh, 2 processes"]
    lines = [f"\n{size:,} articles: full index (medians), ratios to bare Whoosh with 2 processes"]
    for name in names:
        b = builds[name]
        lines.append(
            f"  {name:26} {b['wall_s']:8.1f} s wall ({b['wall_s'] / base['wall_s']:.2f}x)  "
            f"{b['cpu_s']:8.1f} s CPU ({b['cpu_s'] / base['cpu_s']:.2f}x)  {b['peak_rss_mb']:6.0f} MB peak  "
            f"{b['disk_mb']:8.1f} MB on disk ({b['disk_mb'] / base['disk_mb']:.2f}x)"
        )
    for name in names:
        parts = ", ".join(f"{k} {v}" for k, v in list(builds[name]["composition_mb"].items())[:9])
        lines.append(f"  {name} MB: {parts}")
    lines.append("  --passages --json, ms (medians):")
    for query, row in passages.items():
        lines.append(f"    {query:40} " + ", ".join(f"{k} {v}" for k, v in row.items()))
    return "\n".join(lines)


if __name__ == "__main__":
    try:
        sys.exit(main())
    except Failed as exc:
        print(f"index_size.py: {exc}", file=sys.stderr)
        sys.exit(1)
