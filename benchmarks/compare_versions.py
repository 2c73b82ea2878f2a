"""Two installs of newssearch side by side on one index: the same shell queries through each
``newssearch`` command, alternating, with their times and peak memory.

    .venv/bin/python benchmarks/compare_versions.py OLD_COMMAND NEW_COMMAND INDEX_DIR [--repeats 5]

For instance OLD_COMMAND is an earlier commit installed into its own venv
(``git worktree add /tmp/before <commit> && python3 -m venv /tmp/before/.venv &&
/tmp/before/.venv/bin/pip install /tmp/before``, then ``/tmp/before/.venv/bin/newssearch``) and
NEW_COMMAND is ``.venv/bin/newssearch``. Both read INDEX_DIR; when the old version's schema
differs, give it its own index of the same corpus with ``--old-index DIR``.
Every run is a fresh process, stdout to a pipe, under GNU ``/usr/bin/time -f %M`` for its own
peak RSS; medians are reported. The queries are ``speed.py``'s five kinds, each also with ``--json``.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time

QUERIES = ["abastecimento", "said", "united states", '"west germany"', "countries~1"]


def run(command: str, args: list[str], index: str) -> tuple[float, float]:
    """(milliseconds, peak RSS in MB) of one ``command query ARGS --limit 10 --index INDEX``."""
    started = time.perf_counter()
    proc = subprocess.run(
        ["/usr/bin/time", "-f", "%M", command, "query", *args, "--limit", "10", "--index", index],
        capture_output=True,
        text=True,
    )
    elapsed = (time.perf_counter() - started) * 1000
    if proc.returncode not in (0, 1):
        raise SystemExit(f"{command} query {args}: exit {proc.returncode}: {proc.stderr[-500:]}")
    return elapsed, int(proc.stderr.strip().splitlines()[-1]) / 1024


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("old")
    parser.add_argument("new")
    parser.add_argument("index")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--old-index", help="the index the old command reads (default: INDEX)")
    args = parser.parse_args()
    floor = statistics.median(_python_pass() for _ in range(7))
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"python -c pass: {floor:.0f} ms; {args.repeats} runs each, medians; load average {load}")
    print(f"{'query':28} {'old':>9} {'MB':>6} | {'new':>9} {'MB':>6} | ratio")
    for text in QUERIES:
        for extra in ([], ["--json"]):
            times: dict[str, list[float]] = {"old": [], "new": []}
            peak = {"old": 0.0, "new": 0.0}
            for _ in range(args.repeats):
                for name in ("old", "new"):
                    index = args.old_index or args.index if name == "old" else args.index
                    ms, mb = run(getattr(args, name), [text, *extra], index)
                    times[name].append(ms)
                    peak[name] = max(peak[name], mb)
            old, new = statistics.median(times["old"]), statistics.median(times["new"])
            label = " ".join([text, *extra])
            print(f"{label:28} {old:6.0f} ms {peak['old']:6.0f} | {new:6.0f} ms {peak['new']:6.0f} | {new / old:.2f}x")
    return 0


def _python_pass() -> float:
    started = time.perf_counter()
    subprocess.run([sys.executable, "-c", "pass"], check=True)
    return (time.perf_counter() - started) * 1000


if __name__ == "__main__":
    raise SystemExit(main())
