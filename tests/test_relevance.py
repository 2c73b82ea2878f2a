"""A relevance floor: newssearch's ranking on the SMART TIME collection (423 articles of 1963,
83 natural-language questions, binary judgments TIME.REL) must not get worse unnoticed.

The floor sits about 0.02 below the value measured when it was set, so a ranking change that
costs more than that fails here; one that helps should raise the floor. The side-by-side numbers
(baseline, field-weight variants, diagnostics) come from ``benchmarks/relevance_time.py``.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import newssearch.snippets as snippets_module
from newssearch.indexer import update_index
from newssearch.searcher import SearchRequest, search

# As tests/conftest.py's SHARED_DATA: the collections live beside the repository, never in it.
TIME = Path(__file__).resolve().parent.parent.parent / "shared" / "data" / "time"
NEEDED = ("time.jsonl", "queries.tsv", "qrels.txt")

# Measured 2026-11-24 (ranking.ARTICLE_WEIGHTS all 1.0, KindBM25F statistics per kind of
# document; whoosh-reloaded 2.7.5; --any; queries lower-cased; 1,000 results a query; TIME.REL,
# 79 judged queries): MAP 0.6239, nDCG@10 0.6911, P@10 0.2367. In the same run plain Whoosh BM25F
# on the body alone got MAP 0.6091, title weight 1.5 got 0.5638 and the first ranking (title 3,
# Whoosh's statistics over every document) 0.5120; benchmarks/README.md has the table.
MAP_FLOOR = 0.60
NDCG10_FLOOR = 0.67

pytestmark = [
    pytest.mark.data,
    pytest.mark.skipif(
        not all((TIME / name).is_file() for name in NEEDED),
        reason=f"the TIME collection is not in {TIME} (needs {', '.join(NEEDED)}); see ../shared/data",
    ),
]


def test_time_collection_ranking_stays_above_its_floor(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    ir_measures = pytest.importorskip(
        "ir_measures", reason="ir-measures is a test dependency: pip install -e '.[test]'"
    )
    from ir_measures import AP, ScoredDoc, nDCG

    # One .txt file per article, named by the judgement id (which time.jsonl's `id` already is,
    # see PROVENANCE.md): title line, blank line, body. A result's path ends with that name.
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    ids = set()
    for line in (TIME / "time.jsonl").read_text(encoding="utf-8").splitlines():
        doc = json.loads(line)
        ids.add(doc["id"])
        (corpus / f"{doc['id']}.txt").write_text(f"{doc['title']}\n\n{doc['body']}\n", encoding="utf-8")
    summary = update_index(corpus, tmp_path / "index")
    assert summary.articles == len(ids) == 423

    # Snippets do not change the order, and building them for every one of 1,000 hits would take
    # about a second a query on these long articles: the ranking is measured without them.
    monkeypatch.setattr(snippets_module, "article_matches", lambda *args, **kwargs: [])

    run = []
    queries = [
        row.split("\t", 1) for row in (TIME / "queries.tsv").read_text(encoding="utf-8").splitlines() if row.strip()
    ]
    assert len(queries) == 83
    for qid, text in queries:
        # Lower-cased: the collection is all upper case, and upper-case AND/OR/NOT are operators.
        result = search(tmp_path / "index", SearchRequest(text.lower(), limit=1000, any_words=True))
        assert result.results, f"query {qid} found nothing"
        for hit in result.results:
            doc_id = Path(hit.path).stem
            assert doc_id in ids
            # Scores follow the rank, so ties are broken as newssearch broke them.
            run.append(ScoredDoc(qid.strip(), doc_id, float(1000 - hit.rank)))

    qrels = list(ir_measures.read_trec_qrels(str(TIME / "qrels.txt")))
    scores = ir_measures.calc_aggregate([AP, nDCG @ 10], qrels, run)
    measured = f"MAP {scores[AP]:.4f}, nDCG@10 {scores[nDCG @ 10]:.4f}"
    assert scores[AP] >= MAP_FLOOR, f"MAP fell below its floor {MAP_FLOOR}: {measured}"
    assert scores[nDCG @ 10] >= NDCG10_FLOOR, f"nDCG@10 fell below its floor {NDCG10_FLOOR}: {measured}"
