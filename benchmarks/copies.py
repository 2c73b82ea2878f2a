"""How well ``newssearch.copies`` tells wire copies from different stories, and what it costs, on
the BBC News and Reuters-21578 collections (``../shared/data``).

    .venv/bin/python benchmarks/copies.py            # all of it, a few minutes
    .venv/bin/python benchmarks/copies.py --show 30  # print 30 of the unlisted pairs found, to read

Measured:

- listed duplicates (bbc/duplicates.tsv, reuters21578/duplicates.tsv): the share of their pairs
  found — sharing a band key and verified by ``is_copy`` — over the whole collection;
- every other pair found, all-pairs through the band keys: how many, sorted into "same body"
  (the same words once a dateline is left out: copies for certain), "same headline" (re-sent
  versions) and "other", with a seeded sample printed to be read;
- daily market reports: Reuters stories whose titles follow one template (figures aside) from a
  recurring report (money market, Treasury, Fed, metals, CBT, ...), pairs of different days; each
  pair found is printed;
- near-copies made from real articles with three paragraphs or more by the edits a copy may have,
  500 of each kind a collection: found (a shared band key and ``is_copy``) per kind;
- different stories on one subject: the BBC same-category pairs (not the same body) with the
  highest ``similarity``, beside ``COPY_SHARE``;
- cost: µs per article for sketch + bands (ours, and datasketch 1.6.5's MinHash on the same
  shingles when it is installed), median of interleaved rounds, and bytes per article.
"""

from __future__ import annotations

import argparse
import collections
import difflib
import itertools
import os
import random
import re
import statistics
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import numpy as np
from corpora import data_path, read_jsonl, reuters_records, source_state  # beside this script

from newssearch import copies
from newssearch.copies import Sketch, bands, is_copy, similarity, sketch, words
from newssearch.formats.parsed import paragraphs_of

# Titles of Reuters' recurring market reports: one template a report, the figures changing.
MARKET = re.compile(
    r"MONEY MARKET|TREASURY|METALS|\bCBT\b|\bFED\b|BANK OF (?:JAPAN|ENGLAND|FRANCE)|\bGOLD\b|FUTURES|"
    r"BILL AUCTION|DOLLAR FIX|FLUCTUATIONS|FORWARDS|\bEDT\b|RESERVES|REPURCHASE"
)
CITIES = ["LONDON", "NEW YORK", "TOKYO", "WASHINGTON", "PARIS", "FRANKFURT", "CHICAGO"]
MONTHS = ["Jan", "Feb", "March", "April", "May", "June", "July", "Aug", "Sept", "Oct", "Nov", "Dec"]
WRITERS = ["Jane Doe", "John Smith", "Peter Hart", "Maria Lopez", "Ken Ito"]
AGENCIES = ["Reuters", "AP", "AFP", "Reuter"]


@dataclass
class Article:
    id: str
    title: str
    paragraphs: list[str]
    date: str = ""
    dateline: str = ""


def bbc_articles() -> list[Article]:
    return [
        Article(str(r["id"]), str(r["title"]), [p for p in str(r["body"]).split("\n\n") if p.strip()])
        for r in read_jsonl(data_path("bbc", "bbc.jsonl.gz"))
    ]


def reuters_articles() -> list[Article]:
    return [
        Article(
            str(r["id"]),
            str(r.get("title") or ""),
            [p.text for p in paragraphs_of(str(r.get("body") or ""), 1)],
            str(r.get("date") or "")[:10],
            str(r.get("dateline") or ""),
        )
        for r in reuters_records()
    ]


def listed_pairs(collection: str) -> set[frozenset[str]]:
    """The pairs of a duplicates.tsv: every two ids of a line (kept id, then the duplicates)."""
    pairs = set()
    lines = data_path(collection, "duplicates.tsv").read_text(encoding="utf-8").splitlines()[1:]
    for line in lines:
        ids = [i for field in line.split("\t") for i in field.split(",") if i.strip()]
        pairs.update(frozenset(p) for p in itertools.combinations([i.strip() for i in ids], 2))
    return pairs


def found_pairs(sketches: dict[str, Sketch]) -> tuple[set[frozenset[str]], int]:
    """All pairs that share a band key and are copies; and how many candidate pairs were verified."""
    by_key: dict[str, list[str]] = collections.defaultdict(list)
    for id_, s in sketches.items():
        for key in bands(s):
            by_key[key].append(id_)
    candidates = {frozenset(p) for ids in by_key.values() for p in itertools.combinations(ids, 2)}
    found = {p for p in candidates if is_copy(*(sketches[i] for i in p))}
    return found, len(candidates)


def share_key(a: Sketch, b: Sketch) -> bool:
    return bool(set(bands(a)) & set(bands(b)))


def template(title: str) -> str:
    return " ".join(re.sub(r"[0-9][0-9.,/:-]*", "#", title.upper()).split())


def show_pair(a: Article, b: Article, sa: Sketch, sb: Sketch) -> None:
    print(f"  {a.id} [{a.date}] {a.title[:60]!r}  |  {b.id} [{b.date}] {b.title[:60]!r}")
    print(f"    similarity {similarity(sa, sb):.2f}, shingles {sa.shingles}/{sb.shingles}")
    diff = [
        line
        for line in difflib.unified_diff(words(a.paragraphs), words(b.paragraphs), lineterm="", n=0)
        if line[:1] in "+-" and line[:3] not in ("---", "+++")
    ]
    print(f"    words differing: {len(diff)}: {' '.join(diff[:24])[:200]}")


# ---- the edits a copy may have ---------------------------------------------------------------


def add_dateline(p: list[str], rng: random.Random) -> list[str]:
    line = f"{rng.choice(CITIES)}, {rng.choice(MONTHS)} {rng.randint(1, 28)}"
    agency = f" ({rng.choice(AGENCIES)})" if rng.random() < 0.5 else ""
    return [f"{line}{agency} - {p[0]}", *p[1:]]


def add_byline(p: list[str], rng: random.Random) -> list[str]:
    return [f"By {rng.choice(WRITERS)}, {rng.choice(AGENCIES)}", *p]


def trim(p: list[str], rng: random.Random) -> list[str]:
    return p[: -2 if len(p) >= 8 else -1]


def correct(p: list[str], rng: random.Random) -> list[str]:
    """1-5 words of the text, not figures, each replaced by another word of the article."""
    p = [para.split() for para in p]
    spots = [(i, j) for i, para in enumerate(p) for j, w in enumerate(para) if w.isalpha()]
    vocab = sorted({p[i][j] for i, j in spots})
    for i, j in rng.sample(spots, min(rng.randint(1, 5), len(spots))):
        p[i][j] = rng.choice([w for w in vocab if w != p[i][j]] or ["corrected"])
    return [" ".join(para) for para in p]


Edit = Callable[[list[str], random.Random], list[str]]


def both(*edits: Edit) -> Edit:
    def edit(p: list[str], rng: random.Random) -> list[str]:
        for e in edits:
            p = e(p, rng)
        return p

    return edit


EDITS: dict[str, Edit] = {
    "new headline": lambda p, rng: p,  # the title is not sketched: the body is unchanged
    "dateline added": add_dateline,
    "byline added": add_byline,
    "last paragraph(s) trimmed": trim,
    "1-5 words corrected": correct,
    "dateline + trimmed": both(add_dateline, trim),
    "dateline + corrected": both(correct, add_dateline),
    "trimmed + corrected": both(trim, correct),
    "byline + dateline + trimmed + corrected": both(trim, correct, add_dateline, add_byline),
}


def edit_recall(name: str, articles: list[Article], rng: random.Random, n: int, reuters: bool) -> None:
    pool = [a for a in articles if len(a.paragraphs) >= 3]
    sample = rng.sample(pool, n)
    print(f"  {name}: {n} of its {len(pool)} articles with >= 3 paragraphs (median words {_median_words(sample)})")
    kinds = dict(EDITS)
    if reuters:  # the wire's own dateline, on the original and left off the copy
        kinds["dateline removed (the wire's own)"] = lambda p, rng: p
    for kind, edit in kinds.items():
        keyed = copied = 0
        for a in sample:
            original = a.paragraphs
            if kind.startswith("dateline removed"):
                original = [f"{a.dateline} - {original[0]}", *original[1:]] if a.dateline else original
            sa, sb = sketch(original), sketch(edit(list(a.paragraphs), rng))
            keyed += share_key(sa, sb)
            copied += share_key(sa, sb) and is_copy(sa, sb)
        print(f"    {kind:42} found {copied / n:6.1%}   (share a band key {keyed / n:6.1%})")


def _median_words(articles: Iterable[Article]) -> int:
    return int(statistics.median(sum(len(p.split()) for p in a.paragraphs) for a in articles))


# ---- the measurements ------------------------------------------------------------------------


def collection_report(name: str, articles: list[Article], listed: set[frozenset[str]], show: int) -> None:
    by_id = {a.id: a for a in articles}
    sketches = {a.id: sketch(a.paragraphs) for a in articles}
    found, candidates = found_pairs(sketches)
    n_bodies = sum(1 for s in sketches.values() if s.shingles)
    short = sum(1 for s in sketches.values() if 0 < s.shingles < copies.MIN_SHINGLES)
    print(
        f"\n{name}: {len(articles):,} articles ({n_bodies:,} with a body, "
        f"{short:,} under {copies.MIN_SHINGLES} shingles)"
    )
    print(f"  candidate pairs (a shared band key): {candidates:,}, {2 * candidates / n_bodies:.1f} an article")
    keyed = sum(1 for p in listed if share_key(*(sketches[i] for i in p)))
    print(
        f"  listed duplicate pairs found: {len(listed & found)} of {len(listed)} "
        f"({len(listed & found) / len(listed):.1%}; share a band key: {keyed})"
    )
    for p in sorted(listed - found, key=sorted)[:5]:
        a, b = sorted(p)
        print(f"    missed: {a} {b} ({sketches[a].shingles} shingles)")
    extra = sorted(found - listed, key=sorted)
    kinds: dict[str, list[frozenset[str]]] = collections.defaultdict(list)
    for p in extra:
        a, b = (by_id[i] for i in sorted(p))
        same_body = words(a.paragraphs) == words(b.paragraphs)
        kind = "same body" if same_body else "same headline" if a.title == b.title else "other"
        kinds[kind].append(p)
    print(f"  other pairs found: {len(extra)}: " + ", ".join(f"{k} {len(v)}" for k, v in sorted(kinds.items())))
    rng = random.Random(7)
    for kind in ("other", "same headline"):
        sample = rng.sample(kinds[kind], min(show, len(kinds[kind])))
        if sample:
            print(f"  a sample of {len(sample)} '{kind}' pairs, to read:")
        for p in sorted(sample, key=sorted):
            a, b = (by_id[i] for i in sorted(p))
            show_pair(a, b, sketches[a.id], sketches[b.id])
    if name == "Reuters":
        market_report(articles, sketches, found)
    else:
        margin(articles, sketches)


def market_report(articles: list[Article], sketches: dict[str, Sketch], found: set[frozenset[str]]) -> None:
    groups: dict[str, list[Article]] = collections.defaultdict(list)
    for a in articles:
        if a.paragraphs and MARKET.search(a.title):
            groups[template(a.title)].append(a)
    pairs = [(a, b) for g in groups.values() for a, b in itertools.combinations(g, 2) if a.date and a.date != b.date]
    folded = [(a, b) for a, b in pairs if frozenset((a.id, b.id)) in found]
    same = [(a, b) for a, b in folded if words(a.paragraphs) == words(b.paragraphs)]
    print(
        f"  market reports: {sum(1 for g in groups.values() if len(g) > 1)} title templates with 2 or more stories, "
        f"{len(pairs):,} pairs of different days; folded: {len(folded)} "
        f"({len(same)} of them the same words, figures and all)"
    )
    ranked = sorted(pairs, key=lambda ab: -similarity(sketches[ab[0].id], sketches[ab[1].id]))
    print("  the different-day pairs most alike, with what differs:")
    shown = 0
    for a, b in ranked:
        if shown == 8:
            break
        if words(a.paragraphs) == words(b.paragraphs):
            continue
        shown += 1
        print(f"    {'FOLDED ' if frozenset((a.id, b.id)) in found else ''}", end="")
        show_pair(a, b, sketches[a.id], sketches[b.id])
    for a, b in folded:
        if words(a.paragraphs) != words(b.paragraphs):
            print("    folded, and not the same words: ", end="")
            show_pair(a, b, sketches[a.id], sketches[b.id])


def margin(articles: list[Article], sketches: dict[str, Sketch]) -> None:
    """The BBC same-category pairs (not the same body) most alike by ``similarity``."""
    by_cat: dict[str, list[Article]] = collections.defaultdict(list)
    for a in articles:
        by_cat[a.id.split("/")[0]].append(a)
    scored = []
    for group in by_cat.values():
        values = np.stack([sketches[a.id].values for a in group])
        for i, a in enumerate(group):
            equal = (values[i + 1 :] == values[i]).sum(axis=1)
            for j in np.flatnonzero(equal > copies.PERMS // 4):
                b = group[i + 1 + j]
                if words(a.paragraphs) != words(b.paragraphs):
                    scored.append((similarity(sketches[a.id], sketches[b.id]), a, b))
    scored.sort(key=lambda t: -t[0])
    print(f"  same-category pairs, not the same body, most alike (copy at similarity >= {copies.COPY_SHARE}):")
    for sim, a, b in scored[:14]:
        sa, sb = sketches[a.id], sketches[b.id]
        verdict = "COPY" if is_copy(sa, sb) else "not a copy"
        title = "same headline" if a.title == b.title else "other headlines"
        length = min(sa.shingles, sb.shingles) / max(sa.shingles, sb.shingles)
        print(f"    {sim:.2f} {verdict:10} {a.id} {b.id} ({title}; length ratio {length:.2f})")


def cost(articles: list[Article], rounds: int) -> None:
    sample = random.Random(3).sample([a for a in articles if a.paragraphs], 1000)
    n_words = [sum(len(p.split()) for p in a.paragraphs) for a in sample]
    print(f"\ncost: 1,000 articles (BBC and Reuters, median {int(statistics.median(n_words))} words), {rounds} rounds")
    runs: dict[str, list[float]] = collections.defaultdict(list)
    contenders: dict[str, Callable[[Article], object]] = {
        "words only (tokenising)": lambda a: words(a.paragraphs),
        "sketch + bands (numpy)": lambda a: bands(sketch(a.paragraphs)),
    }
    try:
        import datasketch  # type: ignore[import-untyped]

        def with_datasketch(a: Article) -> object:
            w = words(a.paragraphs)
            shingles = {
                " ".join(w[i : i + copies.SHINGLE]).encode() for i in range(max(len(w) - copies.SHINGLE + 1, 1))
            }
            m = datasketch.MinHash(num_perm=copies.PERMS)
            m.update_batch(list(shingles))
            return m.hashvalues[: copies.BANDS * copies.ROWS]

        contenders[f"datasketch {datasketch.__version__} MinHash"] = with_datasketch
    except ImportError:
        print("  (datasketch not installed: pip install datasketch==1.6.5 to compare)")
    for _ in range(rounds):
        for name, run in contenders.items():
            start = time.perf_counter()
            for a in sample:
                run(a)
            runs[name].append((time.perf_counter() - start) / len(sample) * 1e6)
    for name, times in runs.items():
        print(
            f"  {name:34} {statistics.median(times):8.0f} µs an article "
            f"(rounds: {', '.join(f'{t:.0f}' for t in times)})"
        )
    long = [a for a in sample if sum(len(p.split()) for p in a.paragraphs) >= 500][:100]
    start = time.perf_counter()
    for a in long:
        bands(sketch(a.paragraphs))
    print(
        f"  sketch + bands, the {len(long)} of >= 500 words: "
        f"{(time.perf_counter() - start) / len(long) * 1e6:.0f} µs an article"
    )
    stored = [len(sketch(a.paragraphs).to_bytes()) for a in sample]
    keys = [sum(len(k) for k in bands(sketch(a.paragraphs))) for a in sample]
    print(
        f"  stored an article: sketch {statistics.median(stored):.0f} bytes median (max {max(stored)}), "
        f"band terms {copies.BANDS} x {statistics.median(keys) / copies.BANDS:.0f} characters "
        f"= {statistics.median(keys):.0f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--show", type=int, default=12, help="unlisted pairs found to print, a kind (default 12)")
    parser.add_argument("--edits", type=int, default=500, help="near-copies made of each kind a collection")
    parser.add_argument("--rounds", type=int, default=5, help="rounds of the timing")
    args = parser.parse_args()
    started = time.perf_counter()
    print(f"newssearch at {source_state()}; load average {' '.join(f'{x:.2f}' for x in os.getloadavg())} at the start")
    print(
        f"parameters: shingles of {copies.SHINGLE} words, {copies.PERMS} values, "
        f"{copies.BANDS} bands x {copies.ROWS} rows, "
        f"copy at similarity >= {copies.COPY_SHARE}, length >= {copies.LENGTH_SHARE}, "
        f"figures >= {copies.FIGURE_SHARE}, short under {copies.MIN_SHINGLES} shingles"
    )
    bbc, reuters = bbc_articles(), reuters_articles()
    collection_report("BBC", bbc, listed_pairs("bbc"), args.show)
    collection_report("Reuters", reuters, listed_pairs("reuters21578"), args.show)
    print("\nnear-copies made by the edits a copy may have:")
    rng = random.Random(11)
    edit_recall("BBC", bbc, rng, args.edits, reuters=False)
    edit_recall("Reuters", reuters, rng, args.edits, reuters=True)
    cost(bbc + reuters, args.rounds)
    print(
        f"\nload average {' '.join(f'{x:.2f}' for x in os.getloadavg())} at the end; "
        f"{time.perf_counter() - started:.0f} s"
    )


if __name__ == "__main__":
    main()
