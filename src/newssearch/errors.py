"""The errors a user can hit. Each message is a sentence that says what to do next."""

from __future__ import annotations

from pathlib import Path


class NewsSearchError(Exception):
    """Base class; ``exit_code`` follows the README's "Exit codes"."""

    exit_code = 2

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class IndexMissingError(NewsSearchError):
    pass


class IndexOutdatedError(NewsSearchError):
    pass


class IndexBusyError(NewsSearchError):
    exit_code = 3


class IndexUpdateError(NewsSearchError):
    exit_code = 3


class CorpusMissingError(NewsSearchError):
    pass


class QuerySyntaxError(NewsSearchError):
    pass


class QueryLimitError(NewsSearchError):
    """A query past one of the limits that keep a query from running for minutes."""


class ArticleNotFoundError(NewsSearchError):
    pass


class UsageError(NewsSearchError):
    pass


def display(path: Path) -> str:
    """A path as a message shows it: as given, with ``./`` before a relative one."""
    text = str(path)
    return text if path.is_absolute() or text.startswith(".") else f"./{text}"
