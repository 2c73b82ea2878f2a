"""What two optional parts of a query cost, each beside the same query without it, in process:
RM3 feedback for ``--any`` questions, and the facet counts (by source and month) that ``--json``
and terminal output carry and ``--jsonl`` skips.

    .venv/bin/python benchmarks/query_costs.py INDEX_DIR [QUERY …]

``INDEX_DIR`` is an index made by ``newssearch index`` (benchmarks/README.md measured it on the
21,578 Reuters-21578 articles: ``zcat ../shared/data/reuters21578/reuters21578.jsonl.gz >
corpus/reuters.jsonl && newssearch index``). Each query runs 7 times each way; the medians and
their ratio are printed. Queries under ``feedback.MIN_WORDS`` words get no feedback and should
show a ratio of about 1 there.
"""

from __future__ import annotations

import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import corpora  # noqa: F401  (puts src/ on sys.path)

from newssearch.models import SearchRequest
from newssearch.searcher import search

QUERIES = ["oil", "oil prices", "opec output cut", "how did the fed react to the dollar fall", "zinc"]
REPEATS = 7


def median_ms(run: Callable[[], object]) -> float:
    runs = []
    for _ in range(REPEATS):
        start = time.perf_counter()
        run()
        runs.append(time.perf_counter() - start)
    return statistics.median(runs) * 1000


def main() -> None:
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    index = Path(sys.argv[1])
    queries = sys.argv[2:] or QUERIES

    print(f"{'--any query: feedback':45} {'without':>10} {'with':>10} {'ratio':>6}")
    for text in queries:
        request = SearchRequest(text, any_words=True)
        without = median_ms(lambda: search(index, replace(request, feedback=False)))  # noqa: B023 (run at once)
        with_it = median_ms(lambda: search(index, request))  # noqa: B023
        print(f"{text!r:45} {without:8.1f} ms {with_it:8.1f} ms {with_it / without:6.2f}")

    print(f"\n{'query: facet counts':45} {'without':>10} {'with':>10} {'ratio':>6}")
    for text in queries:
        request = SearchRequest(text)
        without = median_ms(lambda: search(index, replace(request, facets=False)))  # noqa: B023
        with_it = median_ms(lambda: search(index, request))  # noqa: B023
        print(f"{text!r:45} {without:8.1f} ms {with_it:8.1f} ms {with_it / without:6.2f}")


if __name__ == "__main__":
    main()
