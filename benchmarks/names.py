"""Names in every spelling (README, "Names in every spelling"), measured three ways:

1. **The pairs written down before the matcher** (``name_variants.tsv``): an archive of one short
   article per spelling (the spelling written as a name, inside sentences), then each pair's
   first spelling searched. Recall: of the pairs that are one name, how many searched the other
   spelling; precision: of the listed pairs it searched, how many are one name.
2. **A real archive** (BBC News and Reuters-21578 together, 24k articles): every group of names
   the index holds under one key (the rules' spellings, ``names.key``), most used first, to read
   and judge; and the table's names the archive holds in more than one spelling.
3. **The cost**: the same queries with names respelled and ``--as-spelled`` (in-process, the
   index open, rounds interleaved, medians).

    .venv/bin/python benchmarks/names.py [--work /tmp/ns-names] [--groups 60] [--rounds 15]

The index build's own cost (the names noted at index time) is ``index_size.py --against`` an
install of the commit before.
"""

from __future__ import annotations

import argparse
import csv
import json
import statistics
import time
from pathlib import Path

from corpora import REPO, data_path, read_jsonl, reuters_records, source_state, write_jsonl

from newssearch import names
from newssearch.engines.whoosh.schema import NAMES_FIELD, SPELLING_FIELD
from newssearch.indexer import update_index
from newssearch.models import SearchRequest
from newssearch.searcher import search

PAIRS = REPO / "benchmarks" / "name_variants.tsv"


def read_pairs() -> list[tuple[str, str, bool, str]]:
    with PAIRS.open(encoding="utf-8") as f:
        rows = csv.DictReader((line for line in f if not line.startswith("#")), delimiter="\t")
        return [(r["query"], r["spelling"], r["same"] == "yes", r["why"]) for r in rows]


def pairs_archive(pairs: list[tuple[str, str, bool, str]], root: Path) -> Path:
    """One article per spelling of the list, the spelling written as a name three times."""
    spellings = sorted({s for q, v, _, _ in pairs for s in (q, v)})
    records = [
        {
            "id": f"n{i}",
            "title": f"Report {i}",
            "body": f"Officials said {s} arrived in the capital on Monday.\n\n"
            f"Reporters asked {s} about the talks, and {s} did not answer.",
        }
        for i, s in enumerate(spellings)
    ]
    (root / "corpus").mkdir(parents=True, exist_ok=True)
    write_jsonl(records, root / "corpus" / "names.jsonl")
    update_index(root / "corpus", root / "index", rebuild=True)
    return root / "index"


def measure_pairs(work: Path) -> None:
    pairs = read_pairs()
    index = pairs_archive(pairs, work / "pairs")
    searched: dict[str, set[str]] = {}
    rows = []
    for query, spelling, same, why in pairs:
        if query not in searched:
            found = search(index, SearchRequest(query, limit=100, snippets=False, facets=False))
            searched[query] = {names.fold(s) for s in found.variants.get(query, [])} | {names.fold(query)}
        hit = names.fold(spelling) in searched[query]
        rows.append((query, spelling, same, hit, why))
    yes = [r for r in rows if r[2]]
    found_yes = [r for r in yes if r[3]]
    found_all = [r for r in rows if r[3]]
    print(f"## 1. The pairs of {PAIRS.name} ({len(yes)} the same name, {len(rows) - len(yes)} look-alikes)\n")
    print(f"recall    {len(found_yes)}/{len(yes)} = {len(found_yes) / len(yes):.3f}")
    print(f"precision {len(found_yes)}/{len(found_all)} = {len(found_yes) / max(1, len(found_all)):.3f}\n")
    print("missed (the same name, not searched):")
    for q, s, same, hit, why in rows:
        if same and not hit:
            print(f"  {q} → {s}  ({why})")
    print("searched though a different name:")
    for q, s, same, hit, why in rows:
        if hit and not same:
            print(f"  {q} → {s}  ({why})")
    print()


def real_archive(work: Path) -> Path:
    root = work / "real"
    index = root / "index"
    if (index / "newssearch.json").exists() or any(index.glob("*.toc")):
        return index
    (root / "corpus").mkdir(parents=True, exist_ok=True)
    bbc = [
        {"id": f"bbc-{r['id']}", "title": r["title"], "body": r["body"]}
        for r in read_jsonl(data_path("bbc", "bbc.jsonl.gz"))
    ]
    write_jsonl(bbc, root / "corpus" / "bbc.jsonl")
    write_jsonl(reuters_records(), root / "corpus" / "reuters.jsonl")
    started = time.perf_counter()
    update_index(root / "corpus", index, rebuild=True)
    print(f"(indexed BBC + Reuters in {time.perf_counter() - started:.0f} s)\n")
    return index


def measure_real(index: Path, groups_shown: int) -> None:
    from whoosh import index as windex

    ix = windex.open_dir(str(index))
    with ix.searcher() as s:
        reader = s.reader()
        by_key: dict[str, dict[str, int]] = {}
        for term in reader.lexicon(NAMES_FIELD):
            text = term.decode("utf-8") if isinstance(term, bytes) else term
            k, _, word = text.partition("=")
            by_key.setdefault(k, {})[word] = int(reader.frequency(NAMES_FIELD, text))
        held = {w: int(reader.frequency(SPELLING_FIELD, w)) for found in by_key.values() for w in found}
    named = {k: {w: n for w, n in found.items() if n >= names.NAME_SHARE * held[w]} for k, found in by_key.items()}
    joined = {k: found for k, found in named.items() if len(found) > 1}
    print("## 2. BBC News + Reuters-21578: what the rules search\n")
    print(f"{sum(len(f) for f in named.values()):,} words written as names; {len(joined):,} keys hold two or more")
    print("each key's most used name searched (its articles), and the spellings searched with it:")
    ordered = sorted(joined.items(), key=lambda item: -sum(held[w] for w in item[1]))
    pairs = 0
    for _, found in ordered:
        first = max(found, key=lambda w: (held[w], w))
        variants = search(index, SearchRequest(first, limit=1, snippets=False, facets=False)).variants.get(first, [])
        pairs += len(variants)
        if groups_shown > 0 and variants:
            groups_shown -= 1
            spellings = ", ".join(f"{v} {held.get(names.fold(v), 0)}" for v in variants)
            print(f"  {first} {held[first]} → {spellings}")
    print(f"({pairs} spellings searched for the {len(ordered)} keys' most used names)")
    table = names.table()
    print("\nthe table's names this archive holds in two or more spellings:")
    seen: set[tuple[str, ...]] = set()
    with ix.searcher() as s:
        reader = s.reader()
        for group in table.groups.values():
            if group in seen:
                continue
            seen.add(group)
            present = [(g, int(reader.frequency(SPELLING_FIELD, names.fold(g.split("-")[-1])))) for g in group]
            present = [(g, n) for g, n in present if n]
            if len(present) > 1:
                print("  " + ", ".join(f"{g} {n}" for g, n in present))
    print()


def measure_cost(index: Path, rounds: int) -> None:
    queries = ["Gaddafi", "Peking", "Mohammed", "Tehran", "Kuwait Iran", "Gorbachev reforms", "oil prices"]
    times: dict[tuple[str, bool], list[float]] = {}
    for _ in range(rounds):
        for q in queries:
            for respell in (True, False):
                started = time.perf_counter()
                search(index, SearchRequest(q, respell=respell))
                times.setdefault((q, respell), []).append(time.perf_counter() - started)
    print(f"## 3. The cost: in-process, {rounds} rounds interleaved, medians (ms)\n")
    print(f"{'query':<20} {'respelled':>10} {'as spelled':>11} {'ratio':>6}  spellings searched")
    for q in queries:
        a, b = statistics.median(times[(q, True)]), statistics.median(times[(q, False)])
        variants = search(index, SearchRequest(q, snippets=False, facets=False)).variants
        print(f"{q:<20} {a * 1000:>10.1f} {b * 1000:>11.1f} {a / b:>6.2f}  {json.dumps(variants, ensure_ascii=False)}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--work", type=Path, default=Path("/tmp/ns-names"))
    ap.add_argument("--groups", type=int, default=60, help="how many of the rules' groups to list")
    ap.add_argument("--rounds", type=int, default=15)
    args = ap.parse_args()
    print(f"newssearch {source_state()}; load average {Path('/proc/loadavg').read_text().split()[:3]}\n")
    measure_pairs(args.work)
    index = real_archive(args.work)
    measure_real(index, args.groups)
    measure_cost(index, args.rounds)
    print(f"\nload average {Path('/proc/loadavg').read_text().split()[:3]}")


if __name__ == "__main__":
    main()
