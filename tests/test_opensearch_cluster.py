"""A real OpenSearch cluster from tests/opensearch/cluster: the analysis chain, search, and losing a node.

The script builds the node from Maven Central jars on first use and starts one JVM per node; these tests talk to it
over HTTP with urllib. They need Java 17 and Maven: without them they fail with the script's message, never skip.
"""

from __future__ import annotations

import os
import signal
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from clusters import call, cluster_nodes, running_cluster

pytestmark = pytest.mark.opensearch

NEWS_ANALYSIS = {
    "analysis": {
        "analyzer": {
            "news": {
                "type": "custom",
                "tokenizer": "standard",
                "filter": ["lowercase", "asciifolding", "stop", "porter_stem"],
            }
        }
    }
}
NEWS_MAPPINGS = {
    "properties": {
        "title": {"type": "text", "analyzer": "news"},
        "body": {"type": "text", "analyzer": "news"},
    }
}


def create_news_index(url: str, name: str, **settings: Any) -> None:
    call(url, "PUT", f"/{name}", {"settings": {**NEWS_ANALYSIS, **settings}, "mappings": NEWS_MAPPINGS})


def ids(response: dict[str, Any]) -> list[str]:
    return [hit["_id"] for hit in response["hits"]["hits"]]


@pytest.fixture(scope="module")
def single_node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with running_cluster(tmp_path_factory.mktemp("opensearch"), nodes=1) as url:
        yield url


def test_the_cluster_script_prints_a_green_single_node_cluster(single_node: str) -> None:
    assert single_node.startswith("http://127.0.0.1:")
    health = call(single_node, "GET", "/_cluster/health")
    assert (health["status"], health["number_of_nodes"]) == ("green", 1)


def test_the_news_analyzer_folds_accents_drops_stop_words_and_stems(single_node: str) -> None:
    create_news_index(single_node, "analysis")

    def tokens(**request: Any) -> list[str]:
        return [token["token"] for token in call(single_node, "POST", "/analysis/_analyze", request)["tokens"]]

    assert tokens(tokenizer="standard", filter=["lowercase", "asciifolding"], text="Türkiye") == ["turkiye"]
    assert tokens(analyzer="news", text="Türkiye") == tokens(analyzer="news", text="TURKIYE")
    assert len(tokens(analyzer="news", text="Türkiye")) == 1
    assert tokens(analyzer="news", text="the storms") == tokens(analyzer="news", text="storm")


def test_documents_are_found_through_the_analyzer_with_dfs_query_then_fetch(single_node: str) -> None:
    create_news_index(single_node, "news", number_of_shards=2)
    articles = {
        "quake": {"title": "Earthquake shakes Türkiye", "body": "Rescue teams searched collapsed buildings."},
        "storm": {"title": "Storms flood the coast", "body": "Heavy storms flooded coastal towns overnight."},
        "vote": {"title": "Elections in Brazil", "body": "Voters queued for hours in the heat."},
    }
    for doc_id, article in articles.items():
        call(single_node, "PUT", f"/news/_doc/{doc_id}", article)
    call(single_node, "POST", "/news/_refresh")

    def search(text: str) -> dict[str, Any]:
        query = {"query": {"multi_match": {"query": text, "fields": ["title", "body"]}}}
        response: dict[str, Any] = call(single_node, "POST", "/news/_search?search_type=dfs_query_then_fetch", query)
        assert response["_shards"] == {"total": 2, "successful": 2, "skipped": 0, "failed": 0}
        return response

    assert ids(search("turkiye")) == ["quake"]
    assert ids(search("TÜRKIYE")) == ["quake"]
    assert ids(search("flooding")) == ["storm"]
    assert ids(search("election voter")) == ["vote"]
    assert ids(search("the")) == []  # a stop word matches nothing, though every article has it
    assert all(hit["_score"] > 0 for hit in search("storm")["hits"]["hits"])


def test_every_document_stays_searchable_when_a_node_of_three_is_killed(tmp_path: Path) -> None:
    with running_cluster(tmp_path, nodes=3) as url:
        # A lost replica stays unassigned for the delayed timeout, so the cluster is yellow, not rebuilt to green.
        create_news_index(url, "news", number_of_shards=3, number_of_replicas=1)
        call(url, "PUT", "/news/_settings", {"index.unassigned.node_left.delayed_timeout": "10m"})
        call(url, "GET", "/_cluster/health/news?wait_for_status=green&timeout=60s")
        count = 30
        lines: list[Any] = []
        for number in range(count):
            lines += [{"index": {"_index": "news", "_id": str(number)}}, {"title": f"Report {number}", "body": "Storm"}]
        assert call(url, "POST", "/_bulk?refresh=true", lines)["errors"] is False

        nodes = cluster_nodes(tmp_path)
        shards = call(url, "GET", "/_cat/shards/news?format=json")
        victim_name = next(s["node"] for s in shards if s["shard"] == "0" and s["prirep"] == "p")
        victim = next(node for node in nodes if node["name"] == victim_name)
        survivor = next(f"http://127.0.0.1:{node['http_port']}" for node in nodes if node is not victim)
        os.kill(victim["pid"], signal.SIGKILL)

        health = call(survivor, "GET", "/_cluster/health?wait_for_nodes=2&wait_for_status=yellow&timeout=90s")
        assert (health["number_of_nodes"], health["status"]) == (2, "yellow")
        assert health["unassigned_shards"] > 0
        assert not next(node for node in cluster_nodes(tmp_path) if node["name"] == victim_name)["running"]
        query = {"query": {"match": {"body": "storm"}}, "size": count, "track_total_hits": True}
        found = call(survivor, "POST", "/news/_search?search_type=dfs_query_then_fetch", query)
        assert found["_shards"]["failed"] == 0
        assert sorted(ids(found), key=int) == [str(number) for number in range(count)]
