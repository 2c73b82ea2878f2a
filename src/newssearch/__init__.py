"""newssearch: full-text search for news articles kept as files."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("newssearch")
except PackageNotFoundError:  # running from a source tree that was not installed
    __version__ = "0+unknown"
