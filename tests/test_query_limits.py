"""A query has limits a user can read (README, "Query syntax"): past them a sentence and exit 2,
before anything is searched; misspellings are looked up only while they look like typos."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import Result

from conftest import clean_env, entry_point, one_line_error
from newssearch.querytext import MAX_PATTERNS, MAX_SUGGESTED, MAX_WORDS

Cli = Callable[..., Result]
# Words of the seed, so a query of many of them is a real one.
SEED_WORDS = ["rafah", "crossing", "gaza", "egypt", "israel", "hostage", "reopening", "border", "tunnel", "ceasefire"]


def _words(n: int) -> str:
    return " ".join(SEED_WORDS[i % len(SEED_WORDS)] for i in range(n))


@pytest.mark.parametrize("mode", [[], ["--any"], ["--passages"]])
def test_too_many_words_is_refused_with_the_limit(seed_index_once: Path, cli: Cli, mode: list[str]) -> None:
    index = ["--index", str(seed_index_once)]
    allowed = cli("query", *index, *mode, "--any", _words(MAX_WORDS), "--json")
    assert allowed.exit_code == 0 and json.loads(allowed.stdout)["total"] > 0
    operators = cli("query", *index, *mode, " OR ".join(_words(MAX_WORDS).split()), "--json")
    assert operators.exit_code == 0  # OR, AND, NOT are not words searched for
    refused = cli("query", *index, *mode, _words(MAX_WORDS + 1))
    assert refused.exit_code == 2
    assert f"at most {MAX_WORDS}" in one_line_error(refused)


def test_a_query_of_many_thousand_words_is_refused_at_once_not_after_a_crash(seed_index_once: Path) -> None:
    """1,500 words overflowed Whoosh's query tree (RecursionError) after a minute of parsing."""
    text = _words(10_000)
    args = [str(entry_point()), "query", "--index", str(seed_index_once), text]
    done = subprocess.run(args, env=clean_env(), capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert "10,000 words" in done.stderr and "Traceback" not in done.stderr and "internal error" not in done.stderr


def test_too_many_prefix_and_fuzzy_words_are_refused(seed_index_once: Path, cli: Cli) -> None:
    index = ["--index", str(seed_index_once)]
    patterns = [f"{w}~2" if n % 2 else f"{w[:4]}*" for n, w in enumerate(SEED_WORDS)]
    allowed = cli("query", *index, " OR ".join(patterns[:MAX_PATTERNS]), "--json")
    assert allowed.exit_code == 0 and json.loads(allowed.stdout)["total"] > 0
    refused = cli("query", *index, " OR ".join(patterns[: MAX_PATTERNS + 1]))
    assert refused.exit_code == 2
    assert f"at most {MAX_PATTERNS}" in one_line_error(refused)
    quoted = cli("query", *index, '"' + " ".join(p.rstrip("*~2") for p in patterns) + '"', "--json")
    assert quoted.exit_code in (0, 1)  # inside a phrase, * and ~ are not patterns


def test_did_you_mean_looks_up_only_a_few_misspellings(seed_index_once: Path, cli: Cli) -> None:
    index = ["--index", str(seed_index_once)]
    typos = ["rafha", "crosing", "egpyt", "israle", "hostgae", "tunel", "gazza", "bordr", "cesefire"]
    few = json.loads(cli("query", *index, " ".join(typos[:MAX_SUGGESTED]), "--any", "--json").stdout)
    assert few["suggestion"] is not None and "rafah" in few["suggestion"]
    many = json.loads(cli("query", *index, " ".join(typos[: MAX_SUGGESTED + 1]), "--any", "--json").stdout)
    assert many["suggestion"] is None


def test_fuzzy_words_at_two_edits_find_swaps_and_edits_together(seed_index_once: Path, cli: Cli) -> None:
    """ "rfaah" is "rafah" with a swap and… nothing else; "rfaahh" adds an edit to the swap."""
    index = ["--index", str(seed_index_once)]
    rafah = json.loads(cli("query", *index, "rafah", "--json").stdout)["total"]
    for word in ("rfaah~2", "rfaahh~2", "rfaha~2"):  # a swap; a swap and an edit; two swaps
        found = json.loads(cli("query", *index, word, "--json").stdout)
        assert found["total"] >= rafah, word
    assert cli("query", *index, "rfaahh~1").exit_code == 1  # two edits apart


def test_every_kind_of_pattern_counts_and_field_names_do_not(seed_index_once: Path, cli: Cli) -> None:
    index = ["--index", str(seed_index_once)]
    for patterns in ("a~ b~ c~ d~ e~ f~ g~ h~ i~", "ra*h ga*a eg*t is*l cr*g ho*e tu*l se*h op*n", "ra*^2 " * 9):
        refused = cli("query", *index, patterns)
        assert refused.exit_code == 2 and f"at most {MAX_PATTERNS}" in refused.stderr, patterns
    fielded = " ".join(["title:rafah"] * MAX_WORDS) + " date:[2025-01-01 TO 2025-12-31]"
    assert cli("query", *index, fielded, "--json").exit_code in (0, 1)  # 200 words, not 400 and more
