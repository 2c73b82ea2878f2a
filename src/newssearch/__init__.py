"""newssearch: full-text search for news articles kept as files."""

from __future__ import annotations

from newssearch import whoosh_patches

# Before any other module imports Whoosh: see whoosh_patches for what changes and why.
whoosh_patches.install()


def __getattr__(name: str) -> str:
    # The version comes from the package metadata, read only when asked for: importing
    # importlib.metadata costs ~30 ms, and start-up time is part of every query.
    if name == "__version__":
        from importlib.metadata import PackageNotFoundError, version

        try:
            return version("newssearch")
        except PackageNotFoundError:  # a source tree that was not installed
            return "0+unknown"
    raise AttributeError(f"module 'newssearch' has no attribute {name!r}")
