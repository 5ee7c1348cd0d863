"""The name a downloaded original is saved under, and the ``Content-Disposition`` header that says it.

Pure functions on text (no ORM, no storage), like ``reviews.timecode``. An uploaded file's name is
whatever the uploader's disk, browser or script said: quotes, line breaks, slashes, bidi overrides,
any script. ``download_name`` keeps every character a person would want in a saved file's name and
drops those that could break a header, climb a folder or disguise an extension;
``attachment_header`` then writes it as RFC 6266 asks: an ASCII ``filename`` for old clients and
the exact UTF-8 name in ``filename*`` (RFC 8187), which every current browser prefers.
"""

from __future__ import annotations

import unicodedata
from pathlib import PurePosixPath
from urllib.parse import quote

# Most file systems take names of at most 255 bytes.
MAX_NAME_BYTES = 255
# Control, format (bidi overrides and isolates, zero-width joiners, soft hyphen, BOM), surrogate,
# private-use and unassigned characters, and the line and paragraph separators.
_DROPPED_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"})
_WHITESPACE = frozenset("\t\n\r\v\f\x1c\x1d\x1e\x1f\x85")
# A name is a name, not a path: no separator of any system survives.
_SEPARATORS = frozenset("/\\")
# An extension is kept whole when a long name is cut, if it looks like one.
_MAX_SUFFIX = 16


def _cleaned(name: str) -> str:
    kept = []
    for char in unicodedata.normalize("NFC", name):
        if char in _WHITESPACE:
            kept.append(" ")
        elif char in _SEPARATORS:
            kept.append("_")
        elif unicodedata.category(char) not in _DROPPED_CATEGORIES:
            kept.append(char)
    # Runs of spaces become one; leading dots (hidden files, "..") and trailing dots go.
    return " ".join("".join(kept).split()).lstrip(". ").rstrip(". ")


def _fit(name: str, limit: int) -> str:
    """`name` cut to at most `limit` UTF-8 bytes, its extension kept when it has a short one."""
    if len(name.encode()) <= limit:
        return name
    suffix = PurePosixPath(name).suffix
    if len(suffix) > _MAX_SUFFIX or len(suffix.encode()) >= limit:
        suffix = ""
    stem = name[: len(name) - len(suffix)]
    while stem and len((stem + suffix).encode()) > limit:
        stem = stem[:-1]
    return stem.rstrip(". ") + suffix


def download_name(name: str, *, fallback: str) -> str:
    """`name` as a browser may save it: NFC; tabs and line breaks read as spaces, control and format
    characters (bidi overrides, zero-width spaces) dropped, ``/`` and ``\\`` become ``_``, runs of
    spaces one, no leading or trailing dots; at most 255 UTF-8 bytes, the extension kept. Quotes,
    accents and any script stay. `fallback` (made safe the same way) when nothing is left, and
    ``download`` when that is empty too."""
    for candidate in (name, fallback):
        cleaned = _fit(_cleaned(candidate), MAX_NAME_BYTES)
        if cleaned:
            return cleaned
    return "download"


def _ascii_fallback(name: str) -> str:
    """The name in plain ASCII for a client that ignores ``filename*``: accents dropped, quotes,
    backslashes and percent signs (which some clients decode) become ``_``; ``download`` and the
    extension when no letter or digit is left (a name all in another script)."""
    plain = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")
    plain = " ".join("".join(c if c.isprintable() and c not in '"\\%' else "_" for c in plain).split())
    stem, dot, extension = plain.rpartition(".")
    if not (dot and extension.isalnum() and len(extension) < _MAX_SUFFIX):
        stem, extension = plain, ""
    stem = stem.strip(". ")
    if not any(char.isalnum() for char in stem):
        stem = "download"
    return f"{stem}.{extension}" if extension else stem


def attachment_header(filename: str) -> str:
    """``Content-Disposition: attachment`` naming `filename` (already made safe by
    ``download_name``): ``attachment; filename="<ASCII>"; filename*=UTF-8''<percent-encoded>``."""
    return (
        f"attachment; filename=\"{_ascii_fallback(filename)}\"; filename*=UTF-8''{quote(filename, safe='')}"
    )
