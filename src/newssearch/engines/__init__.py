"""The engines newssearch can keep its index in, found by the index location (``--index``).

Each engine is a package of its own, imported only when a location is its: importing newssearch
loads none of them. An engine registers the locations it takes and a factory; the first that
takes a location opens it. The embedded Whoosh engine takes any folder, so it is asked last.
"""

from __future__ import annotations

from collections.abc import Callable
from importlib import import_module
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

if TYPE_CHECKING:
    from newssearch.engine import Engine


class _Registered(NamedTuple):
    name: str
    takes: Callable[[str], bool]
    factory: str  # "module:callable", imported when a location is the engine's


_ENGINES: list[_Registered] = []


def register(name: str, takes: Callable[[str], bool], factory: str) -> None:
    """Register an engine: ``takes(location)`` says whether a location is the engine's, and
    ``factory`` ("package.module:callable") opens one, called with the location. Registered
    later, asked first: the embedded engine, which takes any folder, stays the last resort. A
    name registered again replaces its registration."""
    _ENGINES[:] = [engine for engine in _ENGINES if engine.name != name]
    _ENGINES.insert(0, _Registered(name, takes, factory))


def engine_at(index: str | Path | Engine) -> Engine:
    """The engine for an index location (an engine already opened is itself)."""
    if not isinstance(index, (str, Path)):
        return index
    where = str(index)
    for engine in _ENGINES:
        if engine.takes(where):
            module, _, attr = engine.factory.partition(":")
            make: Callable[[str], Engine] = getattr(import_module(module), attr)
            return make(where)
    raise LookupError(f"no engine takes the index location {where!r}")  # the embedded one takes all


register("whoosh", lambda location: True, "newssearch.engines.whoosh:WhooshEngine")
# A cluster's URL (README, "Past one machine"); the client is an optional extra, imported only then.
register(
    "opensearch",
    lambda location: location.startswith(("http://", "https://")),
    "newssearch.engines.opensearch:OpenSearchEngine",
)
