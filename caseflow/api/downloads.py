"""The one way the application names a downloaded file: ``Content-Disposition`` with the name in
RFC 5987 / RFC 6266 form (``filename*=UTF-8''…``, percent-encoded by ``urllib.parse.quote``) and a
plain ASCII ``filename=`` for clients that do not read the extended form. The header is pure ASCII,
so it is valid latin-1 whatever the name (Chinese 文号, tracking numbers, agency names)."""

from __future__ import annotations

import re
from urllib.parse import quote

#: Characters kept as they are in the ASCII fallback name; anything else becomes "_".
_UNSAFE_IN_FALLBACK = re.compile(r"[^A-Za-z0-9._-]+")


def ascii_fallback(filename: str) -> str:
    """A plain-ASCII stand-in for ``filename`` (its extension kept) for old clients."""
    stem, dot, ext = filename.rpartition(".")
    if not dot:
        stem, ext = filename, ""
    safe_stem = _UNSAFE_IN_FALLBACK.sub("_", stem).strip("._") or "download"
    safe_ext = _UNSAFE_IN_FALLBACK.sub("", ext)
    return f"{safe_stem}.{safe_ext}" if safe_ext else safe_stem


def content_disposition(filename: str, *, inline: bool = False, fallback: str | None = None) -> str:
    """``attachment; filename="ASCII"; filename*=UTF-8''PERCENT-ENCODED`` for ``filename``
    (``inline`` to be shown in the browser rather than saved)."""
    plain = ascii_fallback(fallback if fallback is not None else filename)
    disposition = "inline" if inline else "attachment"
    return f"{disposition}; filename=\"{plain}\"; filename*=UTF-8''{quote(filename, safe='')}"


def disposition_headers(
    filename: str, *, inline: bool = False, fallback: str | None = None
) -> dict[str, str]:
    """The response headers naming a download (for ``Response(headers=...)``)."""
    return {"Content-Disposition": content_disposition(filename, inline=inline, fallback=fallback)}
