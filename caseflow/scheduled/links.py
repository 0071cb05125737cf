"""Links in notifications: only to the system's own pages.

A notification names a page by its path on this system (``/cases/12``, ``/dashboard``), on a line
of its own. Pages make a link of such a line only when it is a path of our own: it starts with a
single ``/`` and has no scheme, host, backslash, space or control character, so a row changed in
the database (``https://evil.example``, ``//evil.example``, ``/\\evil.example``) is shown as plain
text, never as a link. Mails make the path absolute with ``CASEFLOW_BASE_URL``.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

#: A path of this system: "/" then no second "/" or "\\", and only URL path/query characters.
_OWN_PATH = re.compile(r"/(?![/\\])[A-Za-z0-9\-._~!$&'()*+,;=:@%/?#]*")


def case_path(case_id: int) -> str:
    return f"/cases/{case_id}"


DASHBOARD_PATH = "/dashboard"


def own_path(text: str) -> str | None:
    """``text`` if it is a path of one of this system's pages, else None."""
    if not _OWN_PATH.fullmatch(text):
        return None
    parts = urlsplit(text)
    if parts.scheme or parts.netloc:
        return None
    return text


def body_lines(body: str) -> list[dict[str, Any]]:
    """The body line by line, each with ``href`` set when the line is a path of our own."""
    return [{"text": line, "href": own_path(line)} for line in body.split("\n")]


def mail_body(body: str, base_url: str) -> str:
    """The body for a mail: our own paths made absolute with the configured address."""
    root = base_url.rstrip("/")
    return "\n".join(f"{root}{line}" if own_path(line) else line for line in body.split("\n"))
