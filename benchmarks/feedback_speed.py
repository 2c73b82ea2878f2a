"""What RM3 feedback costs a ``--any`` query, side by side with feedback switched off, in process.

    .venv/bin/python benchmarks/feedback_speed.py INDEX_DIR [QUERY …]

``INDEX_DIR`` is an index made by ``newssearch index`` (benchmarks/README.md measured it on the
21,578 Reuters-21578 articles: ``zcat ../shared/data/reuters21578/reuters21578.jsonl.gz >
corpus/reuters.jsonl && newssearch index``). Each query runs 7 times each way; the medians and
their ratio are printed. Queries under ``feedback.MIN_WORDS`` words get no feedback and should
show a ratio of about 1.
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

import corpora  # noqa: F401  (puts src/ on sys.path)

from newssearch import feedback, searcher
from newssearch.searcher import SearchRequest, search

QUERIES = ["oil", "oil prices", "opec output cut", "how did the fed react to the dollar fall", "zinc"]
REPEATS = 7


def median_ms(index: Path, text: str, with_feedback: bool) -> float:
    searcher.feedback.applies = feedback.applies if with_feedback else (lambda q: False)  # type: ignore[attr-defined]
    runs = []
    for _ in range(REPEATS):
        start = time.perf_counter()
        search(index, SearchRequest(text, any_words=True))
        runs.append(time.perf_counter() - start)
    return statistics.median(runs) * 1000


def main() -> None:
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    index = Path(sys.argv[1])
    applies = feedback.applies
    print(f"{'--any query':45} {'without':>10} {'with':>10} {'ratio':>6}")
    for text in sys.argv[2:] or QUERIES:
        without = median_ms(index, text, False)
        feedback.applies = applies
        with_it = median_ms(index, text, True)
        print(f"{text!r:45} {without:8.1f} ms {with_it:8.1f} ms {with_it / without:6.2f}")


if __name__ == "__main__":
    main()
