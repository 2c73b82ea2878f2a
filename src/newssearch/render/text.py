"""Untrusted text made harmless for a terminal and for JSON read on one (stdlib only).

Article text, file names, folder names given on the command line: any of them can hold an
escape sequence (``ESC ] 0;title BEL`` retitles a terminal, ``ESC [ 31m`` colours it, U+009B is
a CSI on 8-bit terminals) or a bidirectional override that shows text in another order than it
is. None of it reaches the terminal as written.
"""

from __future__ import annotations

import codecs
import io
import sys
from typing import Any

# C0 and C1 control characters (but tab and newline), DEL, and the bidirectional embeddings,
# overrides and isolates.
UNSAFE = [
    *range(0x00, 0x09),
    *range(0x0B, 0x20),
    0x7F,
    *range(0x80, 0xA0),
    *range(0x202A, 0x202F),
    *range(0x2066, 0x206A),
]

# For the terminal: each becomes U+FFFD, one character for one, so highlight offsets still fit.
_REPLACED = {c: "\ufffd" for c in UNSAFE}
# For JSON: each is written as a \\u escape, which a JSON reader turns back into the same text
# (json.dumps with ensure_ascii=False escapes only U+0000-U+001F).
_ESCAPED = {c: f"\\u{c:04x}" for c in UNSAFE if c >= 0x20}


def safe(text: str) -> str:
    """``text`` with every control character shown as U+FFFD."""
    return text.translate(_REPLACED)


# Line breaks that would start a new line on a terminal where one item (a file name) should stand.
_BREAKS = {0x0A: "\\n", 0x0D: "\\r", 0x0B: "\\v", 0x0C: "\\f", 0x85: "\\x85", 0x2028: "\\u2028", 0x2029: "\\u2029"}


_NAMED = {**_REPLACED, **_BREAKS}


def safe_name(text: str) -> str:
    """A file name (or any one-line item) for the terminal: line breaks written as escapes
    (``\\n``), so a name cannot print a line that looks like output of its own; other controls
    as in ``safe``."""
    return text.translate(_NAMED)


def json_safe(dumped: str) -> str:
    """JSON text (from ``json.dumps(…, ensure_ascii=False)``) with DEL, C1 and bidi controls
    escaped. Outside strings JSON is ASCII, so only string contents change, and not in value."""
    return dumped.translate(_ESCAPED)


def writes_unicode(stream: Any) -> bool:
    """Whether the stream's encoding can write every character (a UTF one): not so under
    ``PYTHONIOENCODING=ascii`` or a legacy code page."""
    encoding = getattr(stream, "encoding", None) or "utf-8"
    try:
        return codecs.lookup(encoding).name.startswith("utf")
    except LookupError:
        return False


def replace_unwritable() -> None:
    """Output whose encoding cannot write every character shows what it cannot write as "?"
    rather than stopping at the first such character with a traceback (README, "JSON": JSON
    escapes it instead, and so loses nothing)."""
    for stream in (sys.stdout, sys.stderr):
        if isinstance(stream, io.TextIOWrapper) and stream.errors == "strict" and not writes_unicode(stream):
            stream.reconfigure(errors="replace")
