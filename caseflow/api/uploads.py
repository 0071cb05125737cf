"""Files posted in an applicant's form (``caseflow.portal.uploads.FIELDS``): the JSON interface
(``caseflow.api.routes.portal``) and the online form (``caseflow.api.web.apply``) read them the same way."""

from __future__ import annotations

from collections.abc import Iterator

from starlette.datastructures import FormData, UploadFile

from caseflow.portal import uploads


def chosen_files(raw: FormData) -> Iterator[tuple[str, str, bytes]]:
    """Each file chosen in the form as (kind, filename, content), read; an empty file input (no file
    chosen) is no file."""
    for kind, field in uploads.FIELDS.items():
        for item in raw.getlist(field):
            if not isinstance(item, UploadFile):
                continue
            data = item.file.read()
            if data or item.filename:
                yield kind, item.filename or "", data
