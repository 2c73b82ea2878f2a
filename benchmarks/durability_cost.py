"""What syncing the index to disk costs: ``update_index`` with newssearch's ``DurableStorage``
(every new index file fsynced before the table of contents that names it is renamed into place,
then the folder) against Whoosh's plain ``FileStorage``, side by side in one run.

    .venv/bin/python benchmarks/durability_cost.py [--articles 3000] [--repeats 5]

Three cases, each timed ``--repeats`` times per storage, alternating, median reported: a full
index of a generated corpus (``--articles`` records in 6 ``.jsonl`` files), an update after one
of those files changed, and an update that adds one small file.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import partial
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))

from whoosh.filedb.filestore import FileStorage  # noqa: E402

from newssearch.engines.whoosh import store  # noqa: E402  (first: it installs the Whoosh patches)
from newssearch.indexer import update_index  # noqa: E402

WORDS = ["harbour", "council", "storm", "ferry", "budget", "minister", "river", "bridge", "school", "hospital"]


def write_corpus(corpus: Path, articles: int, files: int = 6) -> None:
    corpus.mkdir(parents=True)
    per = articles // files
    for f in range(files):
        lines = []
        for n in range(f * per, (f + 1) * per):
            body = " ".join(WORDS[(n * 7 + k) % len(WORDS)] for k in range(120)) + f" marker{n}."
            lines.append(json.dumps({"id": str(n), "title": f"Dispatch {n}", "body": body}))
        (corpus / f"part{f}.jsonl").write_text("\n".join(lines) + "\n")


@contextmanager
def plain_storage() -> Iterator[None]:
    """Whoosh's own storage in place of DurableStorage: no fsync."""
    saved = (store.DurableStorage.create_file, store.DurableStorage.rename_file)
    store.DurableStorage.create_file = FileStorage.create_file  # type: ignore[method-assign]
    store.DurableStorage.rename_file = FileStorage.rename_file  # type: ignore[method-assign]
    try:
        yield
    finally:
        store.DurableStorage.create_file, store.DurableStorage.rename_file = saved  # type: ignore[method-assign]


def timed(call: Callable[[], object]) -> float:
    started = time.perf_counter()
    call()
    return time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=3000)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="ns-fsync-"))
    try:
        corpus = work / "corpus"
        write_corpus(corpus, args.articles)
        results: dict[str, dict[str, list[float]]] = {}
        for _ in range(args.repeats):
            for name, storage in (("fsync", None), ("plain", plain_storage)):
                with storage() if storage else _nothing():
                    index = work / f"index-{name}"
                    shutil.rmtree(index, ignore_errors=True)
                    times = results.setdefault(name, {})
                    update = partial(update_index, corpus, index)
                    times.setdefault("full index", []).append(timed(partial(update, procs=1)))
                    changed = corpus / "part2.jsonl"
                    original = changed.read_text()
                    changed.write_text(original.replace("marker", "marked", 1))
                    times.setdefault("one file changed", []).append(timed(update))
                    changed.write_text(original)
                    update()
                    extra = corpus / "extra.jsonl"
                    extra.write_text(json.dumps({"title": "Late", "body": "late news"}) + "\n")
                    times.setdefault("one small file added", []).append(timed(update))
                    extra.unlink()
                    update()
        print(f"{args.articles:,} articles, {args.repeats} runs each, medians")
        print(f"{'case':22} {'fsync':>10} {'plain':>10} {'ratio':>7}")
        for case in results["fsync"]:
            a, b = statistics.median(results["fsync"][case]), statistics.median(results["plain"][case])
            print(f"{case:22} {a * 1000:8.0f} ms {b * 1000:8.0f} ms {a / b:6.2f}x")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


@contextmanager
def _nothing() -> Iterator[None]:
    yield


if __name__ == "__main__":
    raise SystemExit(main())
