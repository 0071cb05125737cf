"""A file that becomes one of the request's documents when it is registered (its kind and bytes).

Below the registration (``caseflow.cases.intake``) and the forms' pending uploads
(``caseflow.cases.pending_uploads``, ``caseflow.portal.uploads``) that hand such files to it.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Upload:
    kind: str  # application, envelope, confirmation, identity, ...
    data: bytes
    media_type: str
    filename: str = ""
