"""Where an OpenSearch index is (``--index http(s)://[USER[:PASSWORD]@]HOST:PORT/NAME``), the
client that reaches it, and what its failures say (README, "Past one machine").

A password comes from the URL or from ``NEWSSEARCH_OPENSEARCH_PASSWORD`` and is never printed:
every message names the cluster by ``Location.shown``. ``https`` verifies certificates against
the system's (``certifi``'s) authorities, or ``NEWSSEARCH_OPENSEARCH_CA``.
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote, urlsplit

from opensearchpy import OpenSearch
from opensearchpy import exceptions as oe

from newssearch.errors import NewsSearchError, UsageError

# The client logs every failed request as a warning, which Python would print on stderr: the
# failures that matter reach the user as sentences (``reaching``).
logging.getLogger("opensearch").addHandler(logging.NullHandler())

PASSWORD_VARIABLE = "NEWSSEARCH_OPENSEARCH_PASSWORD"
CA_VARIABLE = "NEWSSEARCH_OPENSEARCH_CA"
# Seconds a request may take (a search, or a bulk request of 500 documents) unless
# NEWSSEARCH_OPENSEARCH_TIMEOUT says otherwise; a request that times out is tried twice more.
TIMEOUT = 60.0
TIMEOUT_VARIABLE = "NEWSSEARCH_OPENSEARCH_TIMEOUT"
# An index name OpenSearch takes: lower case, no separators or wildcards, not starting with - _ +.
_NAME = re.compile(r"[a-z0-9][a-z0-9._-]{0,200}")


class ClusterError(NewsSearchError):
    """The cluster cannot be reached, refuses the credentials, times out or fails a request
    (README, "Exit codes": 2; for ``index``, 3)."""


@dataclass(frozen=True)
class Location:
    scheme: str
    host: str
    port: int
    name: str  # the alias searches go through; the physical indices are NAME-<time>
    user: str | None = None
    password: str | None = field(default=None, repr=False)  # never printed

    @property
    def shown(self) -> str:
        """The URL without its password, for messages."""
        user = f"{self.user}@" if self.user else ""
        return f"{self.scheme}://{user}{self.host}:{self.port}/{self.name}"


def parse_location(url: str) -> Location:
    shown = _without_password(url)
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise UsageError(
            f"--index {shown!r} is not a URL newssearch can read — write it as http://HOST:PORT/NAME"
        ) from None
    name = parts.path.strip("/")
    example = f"{parts.scheme}://{parts.hostname or 'localhost'}:{port or 9200}/news"
    if not parts.hostname:
        raise UsageError(f"--index {shown!r} names no host — write it as {example}")
    if not name:
        raise UsageError(f"--index {shown!r} names no index — add its name after the port, e.g. {example}")
    if not _NAME.fullmatch(name):
        raise UsageError(
            f"--index: {name!r} cannot name an OpenSearch index — use lower-case letters, digits, '.', '-' and "
            f"'_', starting with a letter or digit, e.g. {example}"
        )
    password = unquote(parts.password) if parts.password else os.environ.get(PASSWORD_VARIABLE) or None
    user = unquote(parts.username) if parts.username else None
    return Location(
        parts.scheme, parts.hostname, port or (443 if parts.scheme == "https" else 9200), name, user, password
    )


def _without_password(url: str) -> str:
    return re.sub(r"(//[^:/@]*):[^@/]*@", r"\1:***@", url)


def connect(location: Location) -> OpenSearch:
    """A client for the cluster (it connects on the first request)."""
    options: dict[str, Any] = {}
    if location.scheme == "https":
        options.update(use_ssl=True, verify_certs=True, ssl_show_warn=False)
        ca = os.environ.get(CA_VARIABLE)
        if ca:
            if not os.path.isfile(ca):
                raise UsageError(f"{CA_VARIABLE}={ca!r} is not a file — point it at the CA certificate (PEM)")
            options["ca_certs"] = ca
    if location.user is not None:
        options["http_auth"] = (location.user, location.password or "")
    return OpenSearch(
        hosts=[{"host": location.host, "port": location.port}],
        timeout=timeout(),
        max_retries=2,
        retry_on_timeout=True,
        http_compress=True,
        **options,
    )


def timeout() -> float:
    """Seconds a request may take (``NEWSSEARCH_OPENSEARCH_TIMEOUT``, or ``TIMEOUT``)."""
    given = os.environ.get(TIMEOUT_VARIABLE)
    if not given:
        return TIMEOUT
    try:
        seconds = float(given)
        if seconds <= 0:
            raise ValueError
    except ValueError:
        raise UsageError(f"{TIMEOUT_VARIABLE}={given!r} is not a number of seconds — e.g. 60") from None
    return seconds


@contextmanager
def reaching(location: Location, exit_code: int = 2) -> Iterator[None]:
    """Requests to the cluster inside: a failure becomes one sentence that says what to do
    (``exit_code`` 2 for a query, 3 for ``index``)."""
    try:
        yield
    except oe.AuthenticationException:
        raise _error(
            f"the cluster at {location.shown} refused the credentials — check the user in the URL and the password "
            f"(in the URL or ${PASSWORD_VARIABLE})",
            exit_code,
        ) from None
    except oe.AuthorizationException as exc:
        raise _error(
            f"the cluster at {location.shown} does not let this user do that ({_reason(exc)}) — ask its "
            f"administrator for read and write rights on {location.name}*",
            exit_code,
        ) from None
    except oe.ConnectionTimeout:
        raise _error(
            f"the cluster at {location.shown} did not answer within {timeout():g} s — check that it is healthy "
            f"(GET /_cluster/health), or allow more time with {TIMEOUT_VARIABLE}, then try again",
            exit_code,
        ) from None
    except oe.SSLError as exc:
        raise _error(
            f"cannot verify the certificate of {location.shown} ({_reason(exc)}) — for a private authority, "
            f"set {CA_VARIABLE} to its certificate",
            exit_code,
        ) from None
    except oe.ConnectionError:
        raise _error(
            f"cannot reach the cluster at {location.shown} — check that it is running and the host and port are right",
            exit_code,
        ) from None
    except oe.TransportError as exc:
        raise _error(
            f"the cluster at {location.shown} failed a request ({exc.status_code}: {_reason(exc)}) — "
            f"check its health (GET /_cluster/health), then try again",
            exit_code,
        ) from None
    except oe.OpenSearchException as exc:  # e.g. a scroll that some shards failed to serve
        raise _error(
            f"the cluster at {location.shown} did not return everything asked for ({exc}) — check its health "
            f"(GET /_cluster/health), then try again",
            exit_code,
        ) from None


def _reason(exc: oe.TransportError) -> str:
    info = exc.info
    if isinstance(info, dict):
        error = info.get("error")
        if isinstance(error, dict):
            root = (error.get("root_cause") or [error])[0]
            return str(root.get("reason") or root.get("type") or error)
        if error:
            return str(error)
    return str(exc.error)


def _error(message: str, exit_code: int) -> ClusterError:
    error = ClusterError(message)
    error.exit_code = exit_code
    return error
