"""Durability with real processes on a real on-disk index: ``newssearch index`` killed with
SIGKILL in each phase of a run, two ``index`` runs at once, queries during a run, and a killed run
that held the lock (README: "An interrupted or failed run leaves the previous index whole; a
second `index` run while one is going says the index is busy (exit 3)").

Every command runs as ``python -m newssearch`` in a subprocess. An ``index`` run commits once,
at its end (``indexer.update_index``), so after any kill the index holds either the state before
the run or the state after it — never anything in between. The kills land at named phases of a
run (parsing, a worker's flush, the merge, the commit's rename), found by Python's audit hooks in
the killed process; the concurrency tests catch a run mid-work by polling the locks it holds
(``/proc/locks``) and hold it there with SIGSTOP. Neither depends on timing.
"""

from __future__ import annotations

import json
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from conftest import clean_env
from newssearch.querytext import MAX_WORDS

ARTICLES = 3000
FILES = 6  # 500 articles a file
PER_FILE = ARTICLES // FILES
# Every title has this word, so `query dispatch` counts the article documents in the index.
COMMON = "dispatch"
VOCAB = ["harbour", "council", "storm", "ferry", "budget", "minister", "river", "bridge", "school", "hospital"]
VOCAB += ["election", "festival", "market", "strike", "talks", "court", "police", "weather", "railway", "port"]
SEED = 20251125
# Lock files (flock) in the index folder: newssearch's, held for a whole run (store.update_lock),
# and Whoosh's, held while its writer is open (from the first changed file to the commit).
UPDATE_LOCK = "newssearch_UPDATE"
WRITER_LOCK = "MAIN_WRITELOCK"
WAIT = 60.0  # seconds: the most any condition polled for may take


def marker(n: int) -> str:
    """The word only article ``n`` has (digits at the end: no stemmer touches it)."""
    return f"marker{n:05d}"


def corpus_parts() -> list[str]:
    """The synthetic corpus: FILES .jsonl files of PER_FILE articles, each with its marker."""
    rng = random.Random(SEED)
    parts = []
    for f in range(FILES):
        lines = []
        for n in range(f * PER_FILE, (f + 1) * PER_FILE):
            paragraphs = [" ".join(rng.choice(VOCAB) for _ in range(15)) for _ in range(2)]
            paragraphs[-1] += f" {marker(n)}."
            record = {
                "id": f"a{n}",
                "title": f"Dispatch {n} on the {rng.choice(VOCAB)}",
                "body": "\n\n".join(paragraphs),
                "date": f"2025-01-{n % 28 + 1:02d}",
                "source": "Wire Desk",
            }
            lines.append(json.dumps(record) + "\n")
        parts.append("".join(lines))
    return parts


PARTS = corpus_parts()


def write_parts(corpus: Path, numbers: range, per_file: int = PER_FILE) -> None:
    """The parts, each with its first ``per_file`` articles (articles ``f * PER_FILE`` on)."""
    corpus.mkdir(exist_ok=True)
    for f in numbers:
        text = "".join(PARTS[f].splitlines(keepends=True)[:per_file])
        (corpus / f"part{f}.jsonl").write_text(text, encoding="utf-8")


# --------------------------------------------------------------------------- processes


def command(*args: str) -> list[str]:
    return [sys.executable, "-m", "newssearch", *args]


def run(*args: str, cwd: Path, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(command(*args), cwd=cwd, env=clean_env(), capture_output=True, text=True, timeout=timeout)
    assert "Traceback" not in proc.stderr, proc.stderr
    return proc


Spawn = Callable[..., "subprocess.Popen[str]"]


@pytest.fixture
def spawn() -> Iterator[Spawn]:
    """Start a command in the background; whatever is still running at the end is killed."""
    started: list[subprocess.Popen[str]] = []

    def start(*args: str, cwd: Path) -> subprocess.Popen[str]:
        proc = subprocess.Popen(
            command(*args), cwd=cwd, env=clean_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        started.append(proc)
        return proc

    yield start
    for proc in started:
        if proc.poll() is None:
            proc.kill()  # SIGKILL reaches a stopped process too
        if proc.stdout and not proc.stdout.closed:
            proc.communicate(timeout=WAIT)


def index_args(corpus: Path, index_dir: Path, *extra: str) -> list[str]:
    return ["index", "--corpus", str(corpus), "--index", str(index_dir), "--json", *extra]


def build(corpus: Path, index_dir: Path, articles: int) -> None:
    proc = run(*index_args(corpus, index_dir), cwd=corpus.parent)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["articles"] == articles


def held_locks(pid: int) -> set[int]:
    """The inodes of the files ``pid`` holds an flock on."""
    inodes = set()
    for line in Path("/proc/locks").read_text().splitlines():
        fields = line.split()  # "1: FLOCK  ADVISORY  WRITE 4242 fe:00:2302286 0 EOF"; waiters have "->"
        if len(fields) >= 6 and fields[1] == "FLOCK" and fields[4] == str(pid):
            inodes.add(int(fields[5].rsplit(":", 1)[1]))
    return inodes


def writing(proc: subprocess.Popen[str], index_dir: Path) -> bool:
    """Whether the ``index`` run holds the update lock and has its Whoosh writer open."""
    if not Path("/proc/locks").exists():  # not Linux: the writer's temporary folder
        return (index_dir / "MAIN.tmp").is_dir()
    try:
        wanted = {(index_dir / UPDATE_LOCK).stat().st_ino, (index_dir / WRITER_LOCK).stat().st_ino}
    except FileNotFoundError:
        return False
    return wanted <= held_locks(proc.pid)


def wait_until_writing(proc: subprocess.Popen[str], index_dir: Path) -> None:
    deadline = time.monotonic() + WAIT
    while not writing(proc, index_dir):
        if proc.poll() is not None:
            out, err = proc.communicate()
            pytest.fail(f"the index run ended (exit {proc.returncode}) before it was seen writing: {err}{out}")
        assert time.monotonic() < deadline, "the index run never took its locks"
        time.sleep(0.005)  # polling


# --------------------------------------------------------------------------- observing the index


@dataclass(frozen=True)
class Observation:
    articles: int  # `stats --json`: the manifest's count
    found: int  # `query dispatch --json`: the article documents
    probe_ids: list[str]  # `query <probe> --json`: the doc_ids the probe word finds


def observe(index_dir: Path, probe: str, cwd: Path) -> Observation:
    """Stats, a query for every article and a query for one word, run side by side. Each must
    answer: valid JSON, no traceback, exit 0 (1 for a probe word that is not in the index)."""
    calls = {
        "stats": ["stats", "--json", "--index", str(index_dir)],
        "all": ["query", COMMON, "--json", "--limit", "1", "--index", str(index_dir)],
        "probe": ["query", probe, "--json", "--index", str(index_dir)],
    }
    procs = {
        name: subprocess.Popen(
            command(*args), cwd=cwd, env=clean_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        for name, args in calls.items()
    }
    answers = {}
    for name, proc in procs.items():
        out, err = proc.communicate(timeout=120)
        assert "Traceback" not in err, f"{name}: {err}"
        assert proc.returncode in ((0, 1) if name == "probe" else (0,)), f"{name}: exit {proc.returncode}: {err}"
        assert out.count("\n") == 1, f"{name}: {out!r} {err}"
        answers[name] = json.loads(out)
        if name == "probe":
            assert (proc.returncode == 1) == (answers[name]["total"] == 0), err
    return Observation(
        articles=answers["stats"]["articles"],
        found=answers["all"]["total"],
        probe_ids=[r["doc_id"] for r in answers["probe"]["results"]],
    )


def count_all(index_dir: Path, cwd: Path) -> int:
    proc = run("query", COMMON, "--json", "--limit", "1", "--index", str(index_dir), cwd=cwd)
    assert proc.returncode == 0, proc.stderr
    total: int = json.loads(proc.stdout)["total"]
    return total


def files_in(index_dir: Path) -> int:
    return sum(1 for p in index_dir.rglob("*") if p.is_file())


def file_kinds(index_dir: Path) -> dict[str, int]:
    """What the index folder holds, by kind, for the report."""
    kinds: dict[str, int] = {}
    for p in index_dir.rglob("*"):
        if not p.is_file():
            continue
        if p.parent != index_dir:
            kind = f"{p.parent.name}/*"
        elif re.fullmatch(r"_MAIN_\d+\.toc", p.name):
            kind = "toc"
        elif ".toc." in p.name:
            kind = "toc (temporary)"
        elif p.suffix == ".seg":
            kind = "segment"
        elif p.name.startswith("MAIN_") and p.name != WRITER_LOCK:
            kind = "segment part"
        else:
            kind = p.name
        kinds[kind] = kinds.get(kind, 0) + 1
    return kinds


# --------------------------------------------------------------------------- 1. crash safety

# `python -m newssearch ARGS`, SIGKILLed at the first moment of a phase of its run. Python's audit
# hooks see every file the run opens and renames (in its worker processes too: they are forked),
# and the frames on the stack say which part of Whoosh is at work, so the kill lands in that phase
# every time, on any machine, without changing what the program does.
KILL_AT_PHASE = r"""
import os, runpy, signal, sys

phase, corpus = sys.argv[1], os.path.realpath(sys.argv[2])
del sys.argv[1:3]
run_pid = os.getpid()
state = {"corpus files opened": 0, "table of contents renamed": False, "killing": False}


def inside(function):
    frame = sys._getframe(2)
    while frame is not None:
        if frame.f_code.co_name == function:
            return True
        frame = frame.f_back
    return False


def kill():
    state["killing"] = True  # os.kill is an audit event too
    os.kill(run_pid, signal.SIGKILL)  # from a worker: the run, as `kill -9` would
    os.kill(os.getpid(), signal.SIGKILL)


def hook(event, args):
    if state["killing"]:
        return
    if state["table of contents renamed"]:
        kill()  # the commit's rename is done: its next step (syncing the folder) never happens
    if event == "os.rename" and os.fspath(args[1]).endswith(".toc"):
        if phase == "before the rename of the table of contents":
            kill()
        state["table of contents renamed"] = phase == "after the rename of the table of contents"
    if event != "open" or isinstance(args[0], int):
        return
    path = os.fspath(args[0])
    path = path.decode() if isinstance(path, bytes) else path
    if path.startswith(corpus + os.sep) and os.getpid() == run_pid:
        state["corpus files opened"] += 1
        if phase == "parsing" and state["corpus files opened"] == 2:
            kill()  # the first file's articles are in the writer, not yet committed
    elif phase == "a worker's flush" and os.getpid() != run_pid and inside("_finalize_segment"):
        kill()  # a worker writing out its segment
    elif phase == "the merge" and os.getpid() == run_pid and inside("_merge_segments"):
        kill()  # reading an old segment to merge it into the new one


sys.addaudithook(hook)
runpy.run_module("newssearch", run_name="__main__", alter_sys=True)
"""

# Articles a file in the runs that are killed: the phases do not depend on the size of the run.
KILLED_PER_FILE = 100
# (run, phase, state the index must answer with afterwards). The update removes part0 (a quarter
# of the index's documents deleted, so its commit merges every segment) and adds part4 and part5.
# Kills before the commit's rename leave the previous state; after it, the new one; a killed
# rebuild leaves the new one too.
PHASES = [
    ("update --jobs 1", "parsing", "previous"),
    ("update --jobs 2", "a worker's flush", "previous"),
    ("update --jobs 1", "the merge", "previous"),
    ("update --jobs 2", "the merge", "previous"),
    ("update --jobs 1", "before the rename of the table of contents", "previous"),
    ("update --jobs 2", "after the rename of the table of contents", "new"),
    ("rebuild --jobs 2", "a worker's flush", "new"),
    ("rebuild --jobs 1", "before the rename of the table of contents", "new"),
]


def test_sigkill_at_each_phase_of_a_run_leaves_a_committed_index(tmp_path: Path) -> None:
    """A SIGKILL in each phase of `index` runs (parsing, a worker's flush, the merge, the commit's
    rename), for an update that removes 100 articles of 400 and adds 200, then for rebuilds:
    after each, the index answers, whole, with the previous or the new committed state as the
    phase says; one uninterrupted run then gives every article, each found by its own word."""
    corpus, index_dir = tmp_path / "corpus", tmp_path / "index"
    write_parts(corpus, range(4), KILLED_PER_FILE)
    build(corpus, index_dir, 4 * KILLED_PER_FILE)
    (corpus / "part0.jsonl").unlink()
    write_parts(corpus, range(4, FILES), KILLED_PER_FILE)
    states = {"previous": 4 * KILLED_PER_FILE, "new": (FILES - 1) * KILLED_PER_FILE}
    numbers = [n for f in range(1, FILES) for n in range(f * PER_FILE, f * PER_FILE + KILLED_PER_FILE)]
    # One query tells the states apart: an article only the previous state has, one only the new.
    gone_n, new_n = 0, numbers[-1]
    probe = f"{marker(gone_n)} OR {marker(new_n)}"
    probe_ids = {"previous": [f"a{gone_n}"], "new": [f"a{new_n}"]}

    log = []
    for run_spec, phase, expected in PHASES:
        mode, _, jobs = run_spec.split()
        extra = ("--rebuild",) if mode == "rebuild" else ()
        job = subprocess.run(
            [
                sys.executable,
                "-c",
                KILL_AT_PHASE,
                phase,
                str(corpus),
                *index_args(corpus, index_dir, *extra, "--jobs", jobs),
            ],
            cwd=tmp_path,
            env=clean_env(),
            capture_output=True,
            text=True,
            timeout=WAIT,
        )
        assert job.returncode == -signal.SIGKILL, (
            f"{run_spec} never reached {phase}: exit {job.returncode}: {job.stderr}"
        )
        assert "Traceback" not in job.stderr, job.stderr

        seen = observe(index_dir, probe, tmp_path)
        log.append(f"{run_spec:16} killed at {phase}: {seen.articles} articles, {file_kinds(index_dir)}")
        assert seen.articles == states[expected], log  # never a partial state, nor the other one
        assert seen.found == seen.articles, (seen, log)  # the articles agree with the manifest
        assert seen.probe_ids == probe_ids[expected], (seen, log)

    files_after_kills = files_in(index_dir)
    kinds_after_kills = file_kinds(index_dir)
    # The final run: a touched file (same content, new mtime) makes it commit even when the update
    # is already in, and a commit is when Whoosh deletes the files no committed state uses.
    touched = corpus / "part1.jsonl"
    st = touched.stat()
    os.utime(touched, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000_000))
    proc = run(*index_args(corpus, index_dir), cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    summary = json.loads(proc.stdout)
    full = states["new"]
    assert (summary["articles"], summary["failed"]) == (full, 0)
    seen = observe(index_dir, probe, tmp_path)
    assert (seen.articles, seen.found, seen.probe_ids) == (full, full, probe_ids["new"])

    # Every article is found by its word, and by nothing else: queries of as many of the words as
    # a query may have (README, "Query syntax"), and in each result the only highlighted word is
    # its own article's.
    everyone = [gone_n, *numbers]
    found = {}
    for start in range(0, len(everyone), MAX_WORDS):
        words = " OR ".join(marker(n) for n in everyone[start : start + MAX_WORDS])
        proc = run("query", words, "--jsonl", "--limit", str(ARTICLES), "--index", str(index_dir), cwd=tmp_path)
        assert proc.returncode in (0, 1), proc.stderr
        for line in proc.stdout.splitlines():
            hit = json.loads(line)
            marked = {m["text"][a:b].lower() for m in hit["matches"] for a, b in m["highlights"]}
            found[hit["doc_id"]] = marked
    assert found == {f"a{n}": {marker(n)} for n in numbers}

    kinds_after_final = file_kinds(index_dir)
    print(
        "\n"
        + "\n".join(log)
        + f"\nfiles in the index folder: {files_after_kills} after the kills {kinds_after_kills}; "
        f"{files_in(index_dir)} after the final run {kinds_after_final}"
    )
    # What killed runs leave behind goes at the next commit: no loose segment parts, no writer's
    # temporary files, one table of contents. (A temporary table of contents, from the kill between
    # its write and its rename, is never deleted by Whoosh; it is reported above.)
    assert kinds_after_final.get("segment part", 0) == 0, kinds_after_final
    assert kinds_after_final.get("MAIN.tmp/*", 0) == 0, kinds_after_final
    assert kinds_after_final["toc"] == 1, kinds_after_final


# --------------------------------------------------------------------------- 2. concurrency

NEW_FILES = range(1, 3)  # 1,000 articles added to the previous state's 500
OLD, NEW = PER_FILE, 3 * PER_FILE
PROBE_N = 3 * PER_FILE - 1  # an article of the added files
PROBE = marker(PROBE_N)


@pytest.fixture(scope="module")
def previous_state(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder with a corpus of one file and its index: the committed state before a run."""
    folder = tmp_path_factory.mktemp("previous")
    write_parts(folder / "corpus", range(1))
    build(folder / "corpus", folder / "index", OLD)
    return folder


@pytest.fixture
def updating(previous_state: Path, tmp_path: Path) -> tuple[Path, Path]:
    """(corpus, index) in tmp_path: the previous state's index, and the corpus with files added."""
    shutil.copytree(previous_state, tmp_path, dirs_exist_ok=True)
    write_parts(tmp_path / "corpus", NEW_FILES)
    return tmp_path / "corpus", tmp_path / "index"


def test_second_index_run_says_busy_and_the_first_completes(updating: tuple[Path, Path], spawn: Spawn) -> None:
    corpus, index_dir = updating
    first = spawn(*index_args(corpus, index_dir), cwd=corpus.parent)
    wait_until_writing(first, index_dir)
    first.send_signal(signal.SIGSTOP)  # held mid-run, so the second run surely meets it
    try:
        second = run(*index_args(corpus, index_dir), cwd=corpus.parent)
    finally:
        first.send_signal(signal.SIGCONT)
    assert second.returncode == 3, second.stderr
    assert second.stdout == ""
    err = second.stderr.strip()
    assert "\n" not in err and err.startswith("newssearch: "), err
    assert "LockError" not in err and str(index_dir) in err
    assert re.search(r"busy|being updated|another", err), err

    out, err = first.communicate(timeout=WAIT)
    assert first.returncode == 0, err
    assert "Traceback" not in err
    assert json.loads(out)["articles"] == NEW
    seen = observe(index_dir, PROBE, corpus.parent)
    assert (seen.articles, seen.found, seen.probe_ids) == (NEW, NEW, [f"a{PROBE_N}"])


def test_query_during_an_index_run_answers_from_the_last_commit(updating: tuple[Path, Path], spawn: Spawn) -> None:
    corpus, index_dir = updating
    proc = spawn(*index_args(corpus, index_dir), cwd=corpus.parent)
    wait_until_writing(proc, index_dir)
    proc.send_signal(signal.SIGSTOP)
    try:
        seen = observe(index_dir, PROBE, corpus.parent)
    finally:
        proc.send_signal(signal.SIGCONT)
    assert (seen.articles, seen.found, seen.probe_ids) == (OLD, OLD, [])

    # While it runs on, through its commit: the old state, then the new one, never anything else.
    counts = []
    while proc.poll() is None:
        counts.append(count_all(index_dir, corpus.parent))
    assert set(counts) <= {OLD, NEW} and counts == sorted(counts), counts
    out, err = proc.communicate(timeout=WAIT)
    assert proc.returncode == 0, err
    assert json.loads(out)["articles"] == NEW
    seen = observe(index_dir, PROBE, corpus.parent)
    assert (seen.articles, seen.found, seen.probe_ids) == (NEW, NEW, [f"a{PROBE_N}"])


def alive(pid: int) -> bool:
    """Whether ``pid`` runs (a zombie, dead but not yet reaped by anyone, does not)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except (FileNotFoundError, IndexError):
        return False


BUSY_TICKS = os.sysconf("SC_CLK_TCK") // 5


def cpu_ticks(pid: int) -> int:
    """The CPU time ``pid`` has used, in clock ticks (user and system; 0 once it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (FileNotFoundError, IndexError):
        return 0
    return int(fields[11]) + int(fields[12])  # utime and stime, the 14th and 15th fields


def children(pid: int) -> list[int]:
    return [int(c) for f in Path(f"/proc/{pid}/task").glob("*/children") for c in f.read_text().split()]


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_run_killed_while_holding_the_lock_does_not_block_the_next(
    updating: tuple[Path, Path], spawn: Spawn, jobs: str
) -> None:
    """With ``--jobs 2`` the run's worker processes go with it: forked, they hold its lock
    files open, and left waiting for work they would keep every later run out."""
    corpus, index_dir = updating
    proc = spawn(*index_args(corpus, index_dir, "--jobs", jobs), cwd=corpus.parent)
    wait_until_writing(proc, index_dir)  # both newssearch's lock and Whoosh's writer lock are held
    deadline = time.monotonic() + WAIT
    while jobs == "2" and len(workers := children(proc.pid)) < 2:
        assert proc.poll() is None and time.monotonic() < deadline, "the run never started its workers"
        time.sleep(0.01)  # polling
    proc.kill()
    proc.communicate(timeout=WAIT)
    assert proc.returncode == -signal.SIGKILL
    if jobs == "2":
        while any(alive(w) for w in workers):
            assert time.monotonic() < deadline, "the workers outlived the run"
            time.sleep(0.01)  # polling
    seen = observe(index_dir, PROBE, corpus.parent)
    assert (seen.articles, seen.found, seen.probe_ids) == (OLD, OLD, [])

    after = run(*index_args(corpus, index_dir), cwd=corpus.parent, timeout=WAIT)
    assert after.returncode == 0, after.stderr
    summary = json.loads(after.stdout)
    assert (summary["articles"], summary["added"], summary["unchanged"]) == (NEW, 2, 1)
    seen = observe(index_dir, PROBE, corpus.parent)
    assert (seen.articles, seen.found, seen.probe_ids) == (NEW, NEW, [f"a{PROBE_N}"])


@pytest.mark.parametrize("moment", ["workers started", "workers busy"])
def test_ctrl_c_during_a_parallel_run_says_one_sentence_and_keeps_the_index(tmp_path: Path, moment: str) -> None:
    """Ctrl-C reaches every process of the terminal's group: the workers leave it to the run,
    which says it was interrupted (exit 130), with no traceback from anyone — as soon as the
    workers are started (the run once hung then, waiting at exit for a queue nobody read, or
    failed on a worker not started yet), and while they index."""
    corpus, index_dir = tmp_path / "corpus", tmp_path / "index"
    corpus.mkdir()
    for copy in range(5):  # 15,000 articles: seconds of work, so the interrupt lands mid-run
        for n, text in enumerate(PARTS):
            (corpus / f"copy{copy}-part{n}.jsonl").write_text(text)
    proc = subprocess.Popen(
        command(*index_args(corpus, index_dir, "--jobs", "2")),
        cwd=tmp_path,
        env=clean_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # its own process group, as a terminal gives it
        # Ctrl-C handled as in a terminal, even when these tests run in the background (a shell
        # starts background jobs with SIGINT ignored, and children inherit that).
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    try:
        deadline = time.monotonic() + WAIT
        while len(children(proc.pid)) < 2:
            assert proc.poll() is None and time.monotonic() < deadline, "the run never started its workers"
            time.sleep(0.01)  # polling
        # The workers are busy indexing: the run has handed out batches of documents (files in its
        # temporary folder, each taken and deleted by a worker) and each worker has indexed for a
        # while (a fifth of a second of CPU time).
        while moment == "workers busy" and not (
            any(index_dir.rglob("*.doclist")) and all(cpu_ticks(w) >= BUSY_TICKS for w in children(proc.pid))
        ):
            assert proc.poll() is None and time.monotonic() < deadline, (
                f"the workers never got to work: exit {proc.returncode}, "
                f"{ {w: cpu_ticks(w) for w in children(proc.pid)} }, {sorted(index_dir.rglob('*'))[:5]}"
            )
            time.sleep(0.005)  # polling
        os.killpg(proc.pid, signal.SIGINT)
        _, err = proc.communicate(timeout=WAIT)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    assert proc.returncode == 130, err
    assert "Traceback" not in err and "KeyboardInterrupt" not in err, err
    assert err.strip().splitlines()[-1].startswith("newssearch: interrupted"), err
    missing = run("query", COMMON, "--index", str(index_dir), cwd=tmp_path)
    assert missing.returncode == 2 and "newssearch index" in missing.stderr  # no index was left half-made
