"""Shell completion (README, "Shell completion"): Typer's, through the installed ``newssearch``
command, run from and exercised in a real bash."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from conftest import clean_env, entry_point

pytestmark = pytest.mark.skipif(shutil.which("bash") is None, reason="bash is not installed")


def _env(home: Path) -> dict[str, str]:
    """A clean environment whose PATH finds this install's ``newssearch`` first."""
    env = clean_env(HOME=str(home))
    env["PATH"] = f"{entry_point().parent}:{env.get('PATH', '')}"
    return env


def _from_bash(home: Path, args: str) -> subprocess.CompletedProcess[str]:
    """``newssearch ARGS`` run by bash, as a user runs it: Typer asks the process tree which
    shell to set up (a second command keeps bash from replacing itself with newssearch)."""
    return subprocess.run(
        ["bash", "-c", f"newssearch {args}; exit $?"], env=_env(home), capture_output=True, text=True, timeout=60
    )


def _completions(home: Path, words: list[str], script: str) -> list[str]:
    """What bash's completion function offers for the last of ``words`` (``script`` run first)."""
    line = " ".join(f"'{w}'" for w in words)
    program = f"""
        {script}
        COMP_WORDS=({line}); COMP_CWORD={len(words) - 1}
        _newssearch_completion newssearch
        printf '%s\\n' "${{COMPREPLY[@]}}"
    """
    done = subprocess.run(["bash", "-c", program], env=_env(home), capture_output=True, text=True, timeout=60, cwd=home)
    assert done.returncode == 0, done.stderr
    return [w for w in done.stdout.splitlines() if w]


def test_bash_completes_commands_options_and_their_values(tmp_path: Path) -> None:
    script = _from_bash(tmp_path, "--show-completion")
    assert script.returncode == 0, script.stderr
    assert "complete " in script.stdout and "_NEWSSEARCH_COMPLETE" in script.stdout
    (tmp_path / "newssearch.sh").write_text(script.stdout)
    source = f"source {tmp_path / 'newssearch.sh'}"
    assert _completions(tmp_path, ["newssearch", "s"], source) == ["show", "similar", "stats", "serve"]
    assert _completions(tmp_path, ["newssearch", "query", "--li"], source) == ["--limit"]
    assert set(_completions(tmp_path, ["newssearch", "query", "--so"], source)) == {"--source", "--sort"}
    assert _completions(tmp_path, ["newssearch", "query", "--color", ""], source) == ["auto", "always", "never"]
    assert _completions(tmp_path, ["newssearch", "query", "--sort", "d"], source) == ["date"]


def test_install_completion_sets_up_bash_for_the_next_shell(tmp_path: Path) -> None:
    done = _from_bash(tmp_path, "--install-completion")
    assert done.returncode == 0, done.stderr
    assert (tmp_path / ".bash_completions" / "newssearch.sh").is_file()
    assert ".bash_completions/newssearch.sh" in (tmp_path / ".bashrc").read_text()
    # A new shell reads ~/.bashrc, and then completes.
    assert _completions(tmp_path, ["newssearch", "ind"], f"source {tmp_path / '.bashrc'}") == ["index"]
