"""A real OpenSearch cluster for tests, from tests/opensearch/cluster: start one, find its nodes, call it.

The script builds the node from Maven Central jars on first use and starts one JVM per node. Without Java 17 or
Maven, a test that needs a cluster fails with the script's message; it never skips.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

CLUSTER = Path(__file__).resolve().parent / "opensearch" / "cluster"
# Room for a first build from an empty Maven repository (downloads ~50 MB) and a slow start on a loaded machine.
START_TIMEOUT = 900


def call(url: str, method: str, path: str, body: Any = None) -> Any:
    """One REST call; a JSON body, or NDJSON when `body` is a list of lines. An HTTP error fails with its answer."""
    data: bytes | None = None
    content_type = "application/json"
    if isinstance(body, list):
        data, content_type = "".join(json.dumps(line) + "\n" for line in body).encode(), "application/x-ndjson"
    elif body is not None:
        data = json.dumps(body).encode()
    request = urllib.request.Request(url + path, data=data, method=method, headers={"Content-Type": content_type})
    try:
        with urllib.request.urlopen(request, timeout=120) as response:
            return json.load(response)
    except urllib.error.HTTPError as error:
        raise AssertionError(f"{method} {path} answered {error.code}: {error.read().decode()}") from None


def run_cluster(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(CLUSTER), *args],
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        timeout=START_TIMEOUT,
        check=False,
    )


@contextmanager
def running_cluster(directory: Path, nodes: int) -> Iterator[str]:
    """Start a cluster of `nodes` nodes with its files in `directory`; yield its URL; stop it."""
    # --owner: if this test run is killed before it stops the cluster, the nodes stop by themselves.
    started = run_cluster("start", "--nodes", str(nodes), "--dir", str(directory), "--owner", str(os.getpid()))
    if started.returncode != 0:
        # Java or Maven missing, a failed build, a node that died: the script's stderr says which.
        pytest.fail(f"tests/opensearch/cluster start failed (exit {started.returncode}):\n{started.stderr}")
    try:
        yield started.stdout.strip()
    finally:
        run_cluster("stop", "--dir", str(directory))


def cluster_nodes(directory: Path) -> list[dict[str, Any]]:
    listed = run_cluster("status", "--json", "--dir", str(directory))
    nodes: list[dict[str, Any]] = json.loads(listed.stdout)["nodes"]
    return nodes
