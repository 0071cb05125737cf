"""The name of the browser's session cookie: set and cleared by the sign-in pages, read by the
dependencies that find the caller and by the input check that skips the body of a call answered 401."""

from __future__ import annotations

SESSION_COOKIE = "caseflow_session"
