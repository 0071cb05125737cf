"""Statistics from the cases themselves: the annual-report tables (三 and 四) with their checks, the
period lock on finalized figures, the office's working figures with charts, and candidates for
proactive disclosure. Everything is scoped to an agency (and, usually, its subtree)."""
