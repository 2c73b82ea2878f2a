"""``newssearch index`` on a cluster: the same promises as the embedded engine's (README, "Past
one machine").

- **Incremental, nothing half-visible.** Documents carry the generation of the update that wrote
  them (``born``) and of the one that removed them (``dies``); readers see the generation the
  ``meta`` document names (``mapping``). An update writes generation G + 1 beside G, marks what it
  replaces, and commits by rewriting ``meta``: one document, so every reader sees all of the
  update or none of it. What a failed run wrote is invisible, and removed by the next run.
- **A rebuild** (or a first run, or an index of another schema version) fills a new physical
  index and then moves the alias ``NAME`` to it in one ``_aliases`` request: no reader ever sees
  a half-built index, and the old one is deleted after.
- **Bulk requests** of ``BULK_DOCUMENTS`` documents; those the cluster turns away as too busy
  (429) are sent again with back-off; any other refusal stops the run (exit 3), committing
  nothing.
- **One writer at a time**: a lock document in ``NAME-lock``, created only if absent; a second
  run is refused (exit 3). A run that died leaves it behind, so the lock is a lease that the
  holder renews while it writes: one not renewed for ``LEASE_SECONDS`` is taken over.
"""

from __future__ import annotations

import base64
import hashlib
import os
import re
import secrets
import socket
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from opensearchpy import OpenSearch, helpers
from opensearchpy import exceptions as oe

from newssearch.copies import Grouping, Member
from newssearch.engines.opensearch import documents
from newssearch.engines.opensearch.connection import Location, reaching
from newssearch.engines.opensearch.mapping import (
    BANDS_FIELD,
    GROUP,
    KIND_ARTICLE,
    KIND_FILE,
    KIND_META,
    META_ID,
    SCHEMA_VERSION,
    SKETCH,
    index_body,
)
from newssearch.errors import IndexBusyError, IndexUpdateError
from newssearch.models import Article

if TYPE_CHECKING:
    from newssearch.engine import Update
    from newssearch.manifest import IndexSummary, ManifestEntry

# Documents per bulk request (an article is one document and one per section and caption).
BULK_DOCUMENTS = 500
# Articles whose copies are looked for in the committed index with one search (``copies``).
GROUPED_ARTICLES = 200
# How often a 429 ("too many requests") is answered by waiting and sending again, and the waits.
BULK_RETRIES = 8
BULK_FIRST_WAIT = 1
BULK_LONGEST_WAIT = 30
# A lock not renewed for this long belongs to a run that died; the holder renews it this often
# (between bulk requests: longer than a bulk request's retries and back-off can take, 3 x 60 s
# and 2 minutes).
LEASE_SECONDS = 600.0
RENEW_SECONDS = 20.0
# Shards of a new index, and its replicas: one copy on every other node, up to one (a
# single-node cluster has none, and stays green). NEWSSEARCH_OPENSEARCH_SHARDS overrides the shards.
SHARDS_VARIABLE = "NEWSSEARCH_OPENSEARCH_SHARDS"
REPLICAS = "0-1"
# Paths per request that looks up the documents of removed files.
_PATHS_PER_REQUEST = 500
# The suffix of a physical index's name: NAME-<time>-<random>.
_STAMPED = re.compile(r"\d{14}-[0-9a-f]{6}")


def update(location: Location, client: OpenSearch, apply: Update, *, rebuild: bool) -> IndexSummary:
    with reaching(location, exit_code=3), _lock(client, location) as lease:
        current, meta = current_index(client, location)
        _drop_orphans(client, location, keep=current)  # what runs that died left (we hold the lock)
        fresh = rebuild or current is None or meta.get("schema") != SCHEMA_VERSION
        if fresh:
            target = _create(client, location)
            committed, manifest, meta = 0, {}, {}
        else:
            assert current is not None
            target, committed = current, int(meta["generation"])
            _forget_unfinished(client, location, target, committed)
            manifest = documents.read_manifest(client, target, committed)
        writer = OpenSearchWriter(client, location, target, committed, meta, manifest, fresh=fresh, lease=lease)
        try:
            summary = apply(writer)
        finally:
            if fresh and not writer.committed:  # a half-built index (or an empty one) no alias points at
                _drop(client, target)
        if writer.committed:
            _forget_removed(client, target, writer.generation)
        return summary


def current_index(client: OpenSearch, location: Location) -> tuple[str | None, dict[str, Any]]:
    """The physical index the alias points at, and its committed ``meta`` (None and {} when the
    alias does not exist yet). Refuses a NAME that is an index newssearch did not make."""
    if client.indices.exists(index=location.name) and not client.indices.exists_alias(name=location.name):
        raise IndexUpdateError(
            f"the cluster has an index named {location.name!r} that newssearch did not make — choose another name "
            f"in --index"
        )
    return documents.committed(client, location) or (None, {})


def _drop_orphans(client: OpenSearch, location: Location, keep: str | None) -> None:
    """Delete the physical indices of this name that no alias points at: left by a first run or
    a rebuild that died before its switch, or by one that died after it, before deleting the old
    index. Only ever called by the holder of the lock, so no other run is filling one."""
    found = client.indices.get(index=f"{location.name}-*", expand_wildcards="open,closed", ignore_unavailable=True)
    for index, info in found.items():
        if index == keep or index == f"{location.name}-lock" or info.get("aliases"):
            continue
        if _STAMPED.fullmatch(index.removeprefix(f"{location.name}-")):
            _drop(client, index)


def _create(client: OpenSearch, location: Location) -> str:
    stamp = datetime.now(UTC).strftime("%Y%m%d%H%M%S")
    name = f"{location.name}-{stamp}-{secrets.token_hex(3)}"
    shards = int(os.environ.get(SHARDS_VARIABLE) or 1)
    body = index_body(shards, REPLICAS)
    body["settings"]["index"]["refresh_interval"] = "-1"  # nothing is searched until the switch
    client.indices.create(index=name, body=body)
    client.cluster.health(index=name, wait_for_status="yellow")
    return name


def _drop(client: OpenSearch, index: str) -> None:
    with suppress(oe.OpenSearchException):  # no alias points at it: nothing reads it
        client.indices.delete(index=index, ignore_unavailable=True)


def _forget_unfinished(client: OpenSearch, location: Location, index: str, generation: int) -> None:
    """Remove what a run that did not commit wrote (born after the committed generation), and
    take back its marks on what it meant to remove; refreshed first, so that its last writes are
    among what is removed."""
    client.indices.refresh(index=index)
    answer = client.delete_by_query(
        index=index,
        body={"query": {"range": {"born": {"gt": generation}}}},
        conflicts="proceed",
        refresh=True,
    )
    marked = _ids(client, index, {"range": {"dies": {"gt": generation}}})
    refused = _bulk(client, index, [{"_op_type": "update", "_id": i, "doc": {"dies": None}} for i in marked])
    if answer.get("failures") or refused:
        raise IndexUpdateError(
            f"the cluster at {location.shown} could not clear what an interrupted run left "
            f"({(answer.get('failures') or refused)[0]}) — nothing was changed; run `newssearch index` again"
        )
    client.indices.refresh(index=index)


def _ids(client: OpenSearch, index: str, query: dict[str, Any]) -> list[str]:
    return [hit["_id"] for hit in helpers.scan(client, index=index, query={"query": query, "_source": False})]


def _bulk(client: OpenSearch, index: str, actions: list[dict[str, Any]]) -> list[Any]:
    """Send ``actions``; those refused as too many at once (429) again, with back-off. The items
    refused for another reason."""
    failed: list[Any] = []
    for ok, item in helpers.streaming_bulk(
        client,
        ({"_index": index, **action} for action in actions),
        chunk_size=BULK_DOCUMENTS,
        max_retries=BULK_RETRIES,
        initial_backoff=BULK_FIRST_WAIT,
        max_backoff=BULK_LONGEST_WAIT,
        raise_on_error=False,
        raise_on_exception=True,
    ):
        if not ok:
            failed.append(item)
    return failed


def _forget_removed(client: OpenSearch, index: str, generation: int) -> None:
    """After a commit: delete what no reader sees any more (best effort; a later run retries)."""
    with suppress(oe.OpenSearchException):
        client.delete_by_query(
            index=index,
            body={"query": {"range": {"dies": {"lte": generation}}}},
            conflicts="proceed",
            wait_for_completion=False,
        )


class OpenSearchWriter:
    """One update: generation ``committed + 1`` written beside the committed one (``update``)."""

    def __init__(
        self,
        client: OpenSearch,
        location: Location,
        index: str,
        committed: int,
        meta: dict[str, Any],
        manifest: dict[str, ManifestEntry],
        *,
        fresh: bool,
        lease: _Lease,
    ) -> None:
        self.client = client
        self.location = location
        self.index = index
        self.generation = committed + 1
        self._meta = meta
        self._manifest = manifest
        self.fresh = fresh
        self.lease = lease
        self.committed = False
        self._pending: list[dict[str, Any]] = []
        self._articles: list[Article] = []  # waiting for their copy groups, found a batch at a time
        self._grouping = Grouping(None if fresh else self._committed_copies)
        self._removed: set[str] = set()  # paths whose committed articles this update removes
        self._replaced: set[str] = set()  # paths whose committed manifest entry this update replaces
        self._touched = False

    @property
    def meta(self) -> dict[str, Any]:
        return self._meta

    @property
    def manifest(self) -> dict[str, ManifestEntry]:
        return self._manifest

    @property
    def rebuilt(self) -> bool:
        return self.fresh

    def parallel(self, processes: int) -> None:
        pass  # the cluster spreads the work over its nodes; one client process feeds it

    def remove_file(self, relpath: str) -> None:
        self._touched = True
        self._removed.add(relpath)
        self._replaced.add(relpath)

    def add_article(self, article: Article) -> None:
        self._touched = True
        self._articles.append(article)
        if len(self._articles) >= GROUPED_ARTICLES:
            self._group()

    def _group(self) -> None:
        """The waiting articles' documents, with their copy groups: one search of the committed
        articles for all their band keys (``copies.Grouping``)."""
        articles, self._articles = self._articles, []
        for article, grouped in zip(articles, self._grouping.assign(articles), strict=True):
            for doc in documents.article_documents(article, self.generation, grouped):
                self._add(doc)

    def _committed_copies(self, keys: list[str]) -> Iterator[tuple[Member, list[str]]]:
        """The committed articles that hold any of these band keys (``copies.Finder``), less the
        files this update removes."""
        committed = self.generation - 1
        query = {"bool": {"filter": [{"terms": {BANDS_FIELD: keys}}, *documents.visible(committed, KIND_ARTICLE)]}}
        wanted = set(keys)
        fields = ["key", "path", BANDS_FIELD, GROUP, SKETCH]
        for hit in helpers.scan(self.client, index=self.index, query={"query": query, "_source": fields}):
            found = hit["_source"]
            if found.get("path") in self._removed or SKETCH not in found:
                continue
            member = Member(found["key"], found[GROUP], base64.b64decode(found[SKETCH]))
            yield member, [k for k in found.get(BANDS_FIELD, []) if k in wanted]

    def put_entry(self, relpath: str, entry: ManifestEntry) -> None:
        self._touched = True
        self._replaced.add(relpath)
        digest = hashlib.sha1(relpath.encode("utf-8", "surrogateescape")).hexdigest()
        self._add(
            {
                "_id": f"file:{digest}@{self.generation}",
                "kind": KIND_FILE,
                "key": relpath,
                "path": relpath,
                "born": self.generation,
                "data": entry.to_json(),
            }
        )

    def changed(self) -> bool:
        return self._touched

    def commit(self, meta: dict[str, Any]) -> None:
        self._group()
        self._flush()
        if not self.fresh:
            self._mark_removed()
        self.client.indices.refresh(index=self.index)
        record = {
            **meta,
            "generation": self.generation,
            "schema": SCHEMA_VERSION,
            "updated": datetime.now(UTC).isoformat(timespec="seconds"),
        }
        self.lease.renew()
        # The one document that names the generation readers see: written, an update is committed.
        meta_document = {"kind": KIND_META, "key": META_ID, "data": record}
        self.client.index(index=self.index, id=META_ID, body=meta_document, refresh=True)
        self._meta = record
        if self.fresh:  # searchable once the alias moves to it, refreshing as usual from then on
            self.client.indices.put_settings(index=self.index, body={"index": {"refresh_interval": None}})
            self._switch_alias()
        else:
            self.committed = True

    def _switch_alias(self) -> None:
        """Point the alias at the new index, in one step; then it is committed, whatever happens to
        the old one (deleted now, or by the next run)."""
        old = self._aliased()
        actions: list[dict[str, Any]] = [{"remove": {"index": index, "alias": self.location.name}} for index in old]
        actions.append({"add": {"index": self.index, "alias": self.location.name}})
        try:
            self.client.indices.update_aliases(body={"actions": actions})
        except oe.OpenSearchException:
            if self._aliased() != [self.index]:  # not applied (or not known to be): not committed
                raise
        self.committed = True
        for index in old:
            if index != self.index:
                _drop(self.client, index)

    def _aliased(self) -> list[str]:
        try:
            return sorted(self.client.indices.get_alias(name=self.location.name))
        except oe.NotFoundError:
            return []

    def _add(self, doc: dict[str, Any]) -> None:
        self._pending.append(doc)
        if len(self._pending) >= BULK_DOCUMENTS:
            self._flush()

    def _flush(self) -> None:
        if not self._pending:
            return
        actions = [{"_id": doc.pop("_id"), "_source": doc} for doc in self._pending]
        self._pending = []
        self.lease.renew_if_due()
        self._refused(_bulk(self.client, self.index, actions))

    def _refused(self, failed: list[Any]) -> None:
        if failed:
            first = next(iter(failed[0].values()))
            reason = first.get("error", {})
            reason = reason.get("reason", reason) if isinstance(reason, dict) else reason
            raise IndexUpdateError(
                f"the cluster at {self.location.shown} refused {len(failed):,} documents ({first.get('status')}: "
                f"{reason}) — nothing was committed; fix that and run `newssearch index` again"
            )

    def _mark_removed(self) -> None:
        """Mark the committed documents of removed files (articles, passages, manifest entries)
        as dying with this generation."""
        committed = self.generation - 1
        for paths, kind in ((self._removed, None), (self._replaced - self._removed, KIND_FILE)):
            ordered = sorted(paths)
            for start in range(0, len(ordered), _PATHS_PER_REQUEST):
                self.lease.renew_if_due()
                filters = [
                    {"terms": {"path": ordered[start : start + _PATHS_PER_REQUEST]}},
                    *documents.visible(committed, kind),
                ]
                marked = _ids(self.client, self.index, {"bool": {"filter": filters}})
                updates = [{"_op_type": "update", "_id": i, "doc": {"dies": self.generation}} for i in marked]
                self._refused(_bulk(self.client, self.index, updates))


class _Lease:
    """The lock, held: renewed as the run goes, so that another run sees it alive."""

    def __init__(self, client: OpenSearch, location: Location, index: str, token: str, seq: tuple[int, int]) -> None:
        self.client = client
        self.location = location
        self.index = index
        self.token = token
        self.seq = seq
        self.renewed = time.monotonic()

    def renew_if_due(self) -> None:
        if time.monotonic() - self.renewed >= RENEW_SECONDS:
            self.renew()

    def renew(self) -> None:
        try:
            answer = self.client.index(
                index=self.index,
                id="update",
                body=_holder(self.token),
                if_seq_no=self.seq[0],
                if_primary_term=self.seq[1],
                refresh=True,
            )
        except oe.ConflictError:  # a request retried after a timeout may have renewed it already
            held = self.client.get(index=self.index, id="update")
            if held["_source"].get("token") != self.token:
                raise IndexUpdateError(
                    f"another `newssearch index` run took over the index at {self.location.shown} while this one "
                    f"was stalled for over {LEASE_SECONDS / 60:.0f} minutes — nothing of this run was committed"
                ) from None
            answer = held
        self.seq = (answer["_seq_no"], answer["_primary_term"])
        self.renewed = time.monotonic()


def _holder(token: str) -> dict[str, Any]:
    return {
        "token": token,
        "host": socket.gethostname(),
        "pid": os.getpid(),
        "renewed": datetime.now(UTC).isoformat(timespec="seconds"),
        "renewed_epoch": time.time(),
    }


@contextmanager
def _lock(client: OpenSearch, location: Location) -> Iterator[_Lease]:
    index = f"{location.name}-lock"
    token = secrets.token_hex(8)
    if not client.indices.exists(index=index):
        try:
            client.indices.create(
                index=index,
                body={"settings": {"index": {"number_of_shards": 1, "auto_expand_replicas": REPLICAS}}},
            )
        except oe.RequestError as exc:
            if exc.error != "resource_already_exists_exception":
                raise
    busy = (
        f"the index at {location.shown} is being updated by another `newssearch index` run — wait for it to "
        f"finish, then run this again"
    )
    try:
        answer = client.index(index=index, id="update", body=_holder(token), op_type="create", refresh=True)
    except oe.ConflictError:
        answer = client.get(index=index, id="update")
        holder = answer["_source"]
        if holder.get("token") != token:  # not this run's own create, answered late and retried
            # The holder's clock against this one's: a lease is long enough for hosts a little apart.
            if time.time() - float(holder.get("renewed_epoch", 0)) < LEASE_SECONDS:
                raise IndexBusyError(
                    busy.replace(" run —", f" run (on {holder.get('host')}, process {holder.get('pid')}) —", 1)
                ) from None
            try:  # the holder stopped renewing: it died; take the lock over, unless another run just did
                answer = client.index(
                    index=index,
                    id="update",
                    body=_holder(token),
                    if_seq_no=answer["_seq_no"],
                    if_primary_term=answer["_primary_term"],
                    refresh=True,
                )
            except oe.ConflictError:
                raise IndexBusyError(busy) from None
    lease = _Lease(client, location, index, token, (answer["_seq_no"], answer["_primary_term"]))
    try:
        yield lease
    finally:
        with suppress(oe.OpenSearchException):  # taken over, or the cluster is gone: the lease runs out
            client.delete(index=index, id="update", if_seq_no=lease.seq[0], if_primary_term=lease.seq[1])
