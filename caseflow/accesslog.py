"""Access logs without query strings: query codes, search terms and names typed into a search box
stay out of the server's log (uvicorn logs ``METHOD /path?query HTTP/1.1`` by default).

``install()`` puts ``NoQueryString`` on the ``uvicorn.access`` logger; ``caseflow serve`` calls it
before starting uvicorn and the application again when it is built (in every worker process, after
uvicorn has configured its logging). Installing twice adds one filter.
"""

from __future__ import annotations

import logging

ACCESS_LOGGER = "uvicorn.access"


class NoQueryString(logging.Filter):
    """Drop the query part of the path in uvicorn's access records (the record is kept)."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple) and len(args) >= 3 and isinstance(args[2], str) and "?" in args[2]:
            record.args = (*args[:2], args[2].split("?", 1)[0], *args[3:])
        elif isinstance(record.msg, str) and "?" in record.msg and not args:
            record.msg = _strip_queries(record.msg)
        return True


def _strip_queries(message: str) -> str:
    """A preformatted line: every ``?query`` up to the next space removed."""
    parts = message.split(" ")
    return " ".join(part.split("?", 1)[0] if "?" in part else part for part in parts)


def install() -> None:
    logger = logging.getLogger(ACCESS_LOGGER)
    if not any(isinstance(f, NoQueryString) for f in logger.filters):
        logger.addFilter(NoQueryString())
