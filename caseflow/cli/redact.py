"""``caseflow redact IN.pdf --suggest | --boxes BOXES.json --out OUT.pdf``: the redaction engine
(``caseflow.release.redact``) from the command line, without a database."""

from __future__ import annotations

import json
import os
import sys
import tempfile
from pathlib import Path
from typing import Annotated

import typer

from caseflow.cli.common import console, fail


def redact(
    source: Annotated[Path, typer.Argument(help="The PDF to redact.", show_default=False)],
    suggest: Annotated[
        bool,
        typer.Option(
            "--suggest",
            help="Print the suggested boxes (identity numbers, phone numbers, names of natural persons) "
            'as JSON: \\[{"page", "box": \\[x0, y0, x1, y1], "ground", "text"}], PDF points from the '
            "top-left corner.",
        ),
    ] = False,
    boxes: Annotated[
        Path | None, typer.Option("--boxes", help="The boxes to burn in (the JSON of --suggest).")
    ] = None,
    out: Annotated[Path | None, typer.Option("--out", help="Where to write the released copy.")] = None,
    dpi: Annotated[
        int, typer.Option(help="Resolution of the released copy's page images.", min=72, max=600)
    ] = 150,
) -> None:
    """Suggest redaction boxes for a PDF, or write its released copy: every page an image, the boxes
    filled black with their ground (第十四条 to 第十六条), no text layer, metadata or attachments."""
    from caseflow.release.redact import RedactionError, burn_in, inspect, load_boxes
    from caseflow.release.redact import suggest as find

    if suggest == (boxes is not None):
        raise fail("give either --suggest or --boxes BOXES.json --out OUT.pdf")
    try:
        data = source.read_bytes()
    except OSError as exc:
        raise fail(f"无法读取 {source}：{exc.strerror}") from None
    try:
        if suggest:
            found = [
                {"page": b.page, "box": list(b.box), "ground": b.ground, "text": b.text} for b in find(data)
            ]
            sys.stdout.write(json.dumps(found, ensure_ascii=False) + "\n")
            return
        assert boxes is not None
        if out is None:
            raise fail("--boxes needs --out OUT.pdf (where to write the released copy)")
        wanted = load_boxes(boxes)
        pages = inspect(data).pages
        out.parent.mkdir(parents=True, exist_ok=True)
        handle, temp = tempfile.mkstemp(prefix=f".{out.name}.", suffix=".tmp", dir=out.parent)
        try:
            with os.fdopen(handle, "wb") as stream:
                redacted = burn_in(data, wanted, stream, dpi=dpi)
            os.replace(temp, out)
        except BaseException:
            Path(temp).unlink(missing_ok=True)
            raise
    except RedactionError as exc:
        raise fail(str(exc)) from None
    console.print(
        f"已写入 {out}：共{pages}页，其中{redacted}页有遮盖（{len(wanted)}个遮盖框）",
        highlight=False,
        soft_wrap=True,
    )
