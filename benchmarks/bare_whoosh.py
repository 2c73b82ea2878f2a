"""The baseline that ``speed.py`` runs beside newssearch: plain Whoosh, nothing else.

    python benchmarks/bare_whoosh.py index CORPUS_DIR INDEX_DIR    # every *.jsonl record, one commit
    python benchmarks/bare_whoosh.py index CORPUS_DIR INDEX_DIR 2  # the same with MpWriter, 2 processes
    python benchmarks/bare_whoosh.py add FILE.jsonl INDEX_DIR      # its records into an index, one commit
    python benchmarks/bare_whoosh.py query INDEX_DIR QUERY         # 10 hits, each body highlighted

Schema: ``id`` (stored), ``title`` and ``body`` (``StemmingAnalyzer``, stored for highlighting).
One single-process writer (``limitmb`` as newssearch's ``WRITER_MEMORY_MB``), or, when ``index`` is
given a number of processes, Whoosh's ``MpWriter`` with that many, each writing a segment of its own
(``multisegment``, as newssearch's parallel runs do). ``index`` and ``add``
print ``{"documents": N}`` (the index's count after the commit). ``query`` parses with a
``MultifieldParser`` over title and body (all words required, Whoosh's default) plus
``FuzzyTermPlugin`` for ``word~1``, searches with ``limit=10`` and prints each hit's rank, title,
id and ``hit.highlights("body")`` (Whoosh's default HTML formatter).

Stdlib and Whoosh only, and a command imports only what it uses: this is what a minimal Whoosh
CLI costs, the floor newssearch is compared with.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING  # typing is imported by Whoosh anyway (through asyncio)

if TYPE_CHECKING:
    from whoosh.writing import IndexWriter

WRITER_MEMORY_MB = 256  # as newssearch.indexer.WRITER_MEMORY_MB


def _add_records(writer: IndexWriter, paths: list[str]) -> None:
    import json

    add = writer.add_document
    for path in paths:
        with open(path, encoding="utf-8") as lines:
            for line in lines:
                if line.strip():
                    record = json.loads(line)
                    add(id=str(record["id"]), title=record.get("title") or "", body=record.get("body") or "")


def index(corpus: str, index_dir: str, procs: str = "1") -> None:
    import glob
    import os

    from whoosh import index as windex
    from whoosh.analysis import StemmingAnalyzer
    from whoosh.fields import ID, TEXT, Schema

    os.makedirs(index_dir, exist_ok=True)
    schema = Schema(
        id=ID(stored=True, unique=True),
        title=TEXT(analyzer=StemmingAnalyzer(), stored=True),
        body=TEXT(analyzer=StemmingAnalyzer(), stored=True),
    )
    ix = windex.create_in(index_dir, schema)
    if int(procs) > 1:
        from whoosh.multiproc import MpWriter

        writer: IndexWriter = MpWriter(ix, procs=int(procs), multisegment=True, limitmb=WRITER_MEMORY_MB)
    else:
        writer = ix.writer(limitmb=WRITER_MEMORY_MB)
    _add_records(writer, sorted(glob.glob(os.path.join(corpus, "**", "*.jsonl"), recursive=True)))
    writer.commit()
    print(f'{{"documents": {ix.doc_count()}}}')


def add(path: str, index_dir: str) -> None:
    from whoosh import index as windex

    ix = windex.open_dir(index_dir)
    writer = ix.writer(limitmb=WRITER_MEMORY_MB)
    _add_records(writer, [path])
    writer.commit()
    print(f'{{"documents": {ix.doc_count()}}}')


def query(index_dir: str, text: str) -> None:
    from whoosh import index as windex
    from whoosh.qparser import FuzzyTermPlugin, MultifieldParser

    ix = windex.open_dir(index_dir)
    parser = MultifieldParser(["title", "body"], ix.schema)
    parser.add_plugin(FuzzyTermPlugin())
    out = []
    with ix.searcher() as searcher:
        for hit in searcher.search(parser.parse(text), limit=10):
            out.append(f"{hit.rank + 1}. {hit['title']}\n   {hit['id']}\n   {hit.highlights('body')}\n")
    sys.stdout.write("".join(out))


if __name__ == "__main__":
    command, *args = sys.argv[1:]
    {"index": index, "add": add, "query": query}[command](*args)
