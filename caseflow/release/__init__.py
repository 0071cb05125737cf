"""Releasing records with a reply (Art. 36(2), 37: 区分处理): the records handed over, their
redactions burnt into page images so that nothing under a box can leak, and what left the office.

- ``redact``: the engine: suggested boxes from the text layer, the burn-in, box files (no database).
- ``records``: a request's records to release: upload, boxes, suggestions, the released copies.
"""
