"""`newssearch show` on a terminal: paragraphs apart, each with its line number, long articles
through a pager (README, "newssearch show")."""

from __future__ import annotations

import json
import re
from pathlib import Path

from conftest import SEED, clean_env, entry_point, run_in_terminal
from newssearch.formats import read_bytes


def _article(seed_index_once: Path, tmp_path: Path) -> dict:
    import subprocess

    args = [str(entry_point()), "query", "--index", str(seed_index_once), "title:lifeline title:soon", "--json"]
    out = subprocess.run(args, cwd=tmp_path, env=clean_env(), capture_output=True, text=True, timeout=60).stdout
    return dict(json.loads(out)["results"][0])


def test_every_paragraph_has_its_line_and_a_blank_line_before_it(seed_index_once: Path, tmp_path: Path) -> None:
    hit = _article(seed_index_once, tmp_path)
    args = [str(entry_point()), "show", hit["id"], "--index", str(seed_index_once), "--no-pager"]
    code, out, _ = run_in_terminal(args, tmp_path, clean_env(TERM="xterm-256color", NO_COLOR="1"), columns=100)
    assert code == 0
    article = next(a for a in read_bytes(SEED.read_bytes(), SEED.name).articles if a.id == hit["id"])
    plain = re.sub(r"\x1b\[[0-9;]*m", "", out)
    for section in article.sections:
        for paragraph in section.paragraphs:
            first_words = " ".join(paragraph.text.split()[:4])
            assert re.search(rf"\n\n +{paragraph.line}  {re.escape(first_words)}", plain), paragraph.line
    for caption in article.captions:
        assert re.search(rf"\n +{caption.line}  caption: ", plain)


def test_a_terminal_gets_the_article_through_the_pager(seed_index_once: Path, tmp_path: Path) -> None:
    hit = _article(seed_index_once, tmp_path)
    paged = tmp_path / "paged.txt"
    env = clean_env(TERM="xterm-256color", PAGER=f"cat > {paged}")
    args = [str(entry_point()), "show", hit["id"], "--index", str(seed_index_once)]
    code, out, _ = run_in_terminal(args, tmp_path, env, columns=100)
    assert code == 0
    assert hit["title"] in paged.read_text(encoding="utf-8") and hit["title"] not in out
    code, out, _ = run_in_terminal([*args, "--no-pager"], tmp_path, env, columns=100)
    assert code == 0 and hit["title"] in out
    code, out, _ = run_in_terminal(args, tmp_path, {**env, "PAGER": ""}, columns=100)
    assert code == 0 and hit["title"] in out


def test_a_pipe_gets_no_pager(seed_index_once: Path, tmp_path: Path) -> None:
    import subprocess

    hit = _article(seed_index_once, tmp_path)
    paged = tmp_path / "paged.txt"
    args = [str(entry_point()), "show", hit["id"], "--index", str(seed_index_once), "--color", "always"]
    env = clean_env(PAGER=f"cat > {paged}")
    out = subprocess.run(args, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60).stdout
    assert hit["title"] in out and not paged.exists()


def test_a_pager_that_cannot_run_still_shows_the_article(seed_index_once: Path, tmp_path: Path) -> None:
    hit = _article(seed_index_once, tmp_path)
    env = clean_env(TERM="xterm-256color", PAGER="no-such-pager-anywhere")
    args = [str(entry_point()), "show", hit["id"], "--index", str(seed_index_once)]
    code, out, _ = run_in_terminal(args, tmp_path, env, columns=100)
    assert code == 0 and hit["title"] in out
