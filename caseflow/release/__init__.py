"""Releasing records with a reply (Art. 36(2), 37: 区分处理): the records handed over, their
redactions burnt into page images so that nothing under a box can leak, and what left the office.

- ``redact``: the engine: suggested boxes from the text layer, the burn-in, box files (no database).
- ``records``: a request's records to release: upload, boxes, suggestions, the released copies.
"""

#: The kinds of a request's documents a reply releases (``case_document.kind``): the copy that left the
#: office, and the files that never do (the upload as it came, its PDF conversion). One definition for
#: the engine that links them, the applicant's page that serves only the first, and the evidence
#: package that holds the others only when an auditor asks.
RELEASED = "released"
ORIGINAL = "release_original"
ORIGINAL_PDF = "release_pdf"
INTERNAL_KINDS = frozenset({ORIGINAL, ORIGINAL_PDF})
