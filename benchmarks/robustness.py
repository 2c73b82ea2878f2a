"""A hostile probe of the installed ``newssearch``, for the numbers a robustness claim needs: runs
killed at random moments (SIGKILL, SIGTERM, SIGINT), what they leave behind and what the next run
reclaims, articles lost, random damage to the index and what finds it, and what each query limit
costs to refuse. Every command's stderr is searched for tracebacks and internal errors.

    .venv/bin/python benchmarks/robustness.py [--kills 12] [--flips 30] [--seed 1]

Uses the Reuters-21578 collection (../shared/data), repeated to 6,000 articles in 3 files, in a
temporary folder. Prints one table; takes 3-6 minutes on 2 cores.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from corpora import reuters_records, source_state, write_replicated_jsonl

ARTICLES = 6_000
COMMAND = [str(Path(sys.executable).parent / "newssearch")]
BAD = ("Traceback", "internal error")


class Probe:
    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.corpus = folder / "corpus"
        self.index = folder / "index"
        self.commands = 0
        self.tracebacks: list[str] = []

    def run(self, *args: str, timeout: float = 600) -> subprocess.CompletedProcess[str]:
        self.commands += 1
        done = subprocess.run(
            [*COMMAND, *args, "--index", str(self.index)],
            cwd=self.folder,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        self._look(done.stderr)
        return done

    def _look(self, err: str) -> None:
        if any(bad in err for bad in BAD):
            self.tracebacks.append(err[-400:])

    def folder_bytes(self) -> int:
        return sum(p.stat().st_size for p in self.index.rglob("*") if p.is_file())


def kills(probe: Probe, count: int, rng: random.Random) -> dict[str, object]:
    """Index runs killed at a random moment: a full rebuild, then an update adding a file."""
    largest = 0
    reclaimed = 0
    lost = 0
    kinds = {"KILL": signal.SIGKILL, "TERM": signal.SIGTERM, "INT": signal.SIGINT}
    full = probe.run("index", "--corpus", str(probe.corpus), "--json")
    assert full.returncode == 0, full.stderr
    expected = json.loads(full.stdout)["articles"]
    seconds = json.loads(full.stdout)["seconds"]
    for n in range(count):
        name = list(kinds)[n % len(kinds)]
        args = ["index", "--corpus", str(probe.corpus), "--rebuild", "--json"]
        proc = subprocess.Popen(
            [*COMMAND, *args, "--index", str(probe.index)], cwd=probe.folder, stderr=subprocess.PIPE, text=True
        )
        probe.commands += 1
        time.sleep(rng.uniform(0.2, seconds * 1.1))  # the moment of the signal is the probe's input
        proc.send_signal(kinds[name])
        _, err = proc.communicate(timeout=600)
        probe._look(err)
        largest = max(largest, probe.folder_bytes())
        found = probe.run("query", "said", "--json", "--limit", "0")
        if found.returncode not in (0, 1) or json.loads(found.stdout)["total"] < expected * 0.5:
            lost += 1  # the last committed index must answer, whole
        again = probe.run("index", "--corpus", str(probe.corpus), "--json")
        summary = json.loads(again.stdout)
        reclaimed = max(reclaimed, summary.get("reclaimed_bytes", 0))
        if summary["articles"] != expected:
            lost += 1
    return {"kills": count, "largest folder after a kill": largest, "largest reclaimed": reclaimed, "lost": lost}


def flips(probe: Probe, count: int, rng: random.Random) -> dict[str, object]:
    """Random 16-byte damage in the index's segments: does index --check find it, does any read crash?"""
    found = 0
    refused = 0
    backup = probe.folder / "backup"
    shutil.rmtree(backup, ignore_errors=True)
    shutil.copytree(probe.index, backup)
    for _ in range(count):
        shutil.rmtree(probe.index)
        shutil.copytree(backup, probe.index)
        segments = sorted(probe.index.glob("MAIN_*.seg"))
        segment = rng.choice(segments)
        data = bytearray(segment.read_bytes())
        at = rng.randrange(len(data) - 16)
        for i in range(16):
            data[at + i] = (data[at + i] + rng.randrange(1, 256)) % 256
        segment.write_bytes(bytes(data))
        check = probe.run("index", "--check", "--corpus", str(probe.corpus))
        found += check.returncode == 1 and "damaged" in check.stdout
        for args in (["query", "said"], ["query", "oil prices", "--json"], ["stats"], ["query", "countr*"]):
            probe.run(*args)
        update = probe.run("index", "--corpus", str(probe.corpus))
        refused += update.returncode == 3 and "damaged" in update.stderr
    shutil.rmtree(probe.index)
    shutil.copytree(backup, probe.index)
    return {"flips": count, "found by --check": found, "refused by index": refused}


def limits(probe: Probe) -> list[tuple[str, int, float]]:
    """What each query limit costs to refuse, from the shell: (case, exit code, seconds)."""
    words = ["oil", "prices", "said", "trade", "bank", "dollar", "market", "company", "shares", "year"]
    cases = {
        "201 words": " ".join(words[i % 10] for i in range(201)),
        "10,000 words": " ".join(words[i % 10] for i in range(10_000)),
        "9 prefix/fuzzy words": " OR ".join(f"{w}~2" for w in words[:9]),
        "8 word~2 (allowed)": " OR ".join(f"{w}~2" for w in words[:8]),
        "150 unknown words (--any)": " ".join(f"zq{i}xv" for i in range(150)),
    }
    out = []
    for name, text in cases.items():
        args = ["query", "--any", text] if "--any" in name else ["query", text]
        started = time.monotonic()
        done = probe.run(*args)
        out.append((name, done.returncode, time.monotonic() - started))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--kills", type=int, default=12)
    parser.add_argument("--flips", type=int, default=30)
    parser.add_argument("--seed", type=int, default=1)
    options = parser.parse_args()
    rng = random.Random(options.seed)
    print(f"newssearch at {source_state()}; load average {os.getloadavg()[0]:.2f} at the start")
    with tempfile.TemporaryDirectory(prefix="ns-robust-") as tmp:
        probe = Probe(Path(tmp))
        write_replicated_jsonl(reuters_records(), ARTICLES, probe.corpus, files=3)
        killed = kills(probe, options.kills, rng)
        damaged = flips(probe, options.flips, rng)
        refused = limits(probe)
    print(f"commands run: {probe.commands}; tracebacks or internal errors: {len(probe.tracebacks)}")
    for err in probe.tracebacks[:3]:
        print("  ", err.replace("\n", "\n   "))
    for key, value in {**killed, **damaged}.items():
        print(f"{key:>28}: {value:,}" if isinstance(value, int) else f"{key:>28}: {value}")
    for name, code, seconds in refused:
        print(f"{name:>28}: exit {code} in {seconds:.2f} s")
    print(f"load average {os.getloadavg()[0]:.2f} at the end")


if __name__ == "__main__":
    main()
