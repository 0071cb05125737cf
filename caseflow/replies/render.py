"""Letters from templates: one Jinja2 environment (autoescape, StrictUndefined), HTML and PDF/A-3b.

The HTML is the letter as issued for the screen and for print; the PDF is rendered from that same
HTML by WeasyPrint with the prepared CJK font (``caseflow.replies.fonts``) added as a stylesheet,
so the stored HTML does not depend on where fonts live on one machine.
"""

from __future__ import annotations

import hashlib
from functools import cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, meta

from caseflow.replies.context import until
from caseflow.templating import shipped_templates, strict_environment


def templates_dir() -> Path:
    """The letter templates: shipped inside the package, or at the project root in a checkout."""
    return _shipped_dir()


@cache
def _shipped_dir() -> Path:
    return shipped_templates("replies", "base.html")  # resolved once (it looks at the file system)


@cache
def environment() -> Environment:
    env = strict_environment(templates_dir(), keep_trailing_newline=True)
    env.filters["until"] = until  # {{ notice.due | until }}: 2026年12月31日（含当日）前
    return env


@cache
def _template_family(name: str, directory: Path) -> tuple[str, ...]:
    """The template and every template it extends or includes (parsed once per folder and name)."""
    env = environment()
    seen: set[str] = set()
    pending = [name]
    while pending:
        current = pending.pop()
        if current in seen:
            continue
        seen.add(current)
        ast = env.parse((directory / current).read_text(encoding="utf-8"))
        pending.extend(t for t in meta.find_referenced_templates(ast) if t)
    return tuple(sorted(seen))


#: (folder, name) -> (each file's (path, mtime_ns, size), digest): a file is re-hashed once it changes.
_digests: dict[tuple[Path, str], tuple[tuple[tuple[str, int, int], ...], str]] = {}


def template_digest(name: str) -> str:
    """SHA-256 over the template and every template it extends or includes (name and bytes), as they
    are now: the digest of what renders the letter at this moment. Kept per template family and
    recomputed when any of its files changes (path, modification time in ns, size)."""
    directory = templates_dir()
    family = _template_family(name, directory)
    stamps = []
    for current in family:
        stat = (directory / current).stat()
        stamps.append((current, stat.st_mtime_ns, stat.st_size))
    key = (directory, name)
    kept = _digests.get(key)
    if kept is not None and kept[0] == tuple(stamps):
        return kept[1]
    digest = hashlib.sha256()
    for current in family:
        digest.update(current.encode("utf-8") + b"\0" + (directory / current).read_bytes() + b"\0")
    _digests[key] = (tuple(stamps), digest.hexdigest())
    return digest.hexdigest()


def render_html(template: str, context: dict[str, Any]) -> str:
    return environment().get_template(f"{template}.html").render(**context)


def render_pdf(html: str) -> bytes:
    """PDF/A-3b of the letter, set in the prepared CJK font."""
    from weasyprint import CSS, HTML
    from weasyprint.text.fonts import FontConfiguration

    from caseflow.replies.fonts import fonts_for

    fonts = fonts_for(html)
    # Every weight maps to the prepared face: a bold title must not fall back to a system font
    # (which would be subset whole, in seconds).
    faces = "".join(
        f'@font-face {{ font-family: "CaseflowLetter{i}"; src: url("{path.resolve().as_uri()}"); '
        f"font-weight: {weight}; }}"
        for i, path in enumerate(fonts)
        for weight in ("normal", "bold")
    )
    families = ", ".join(f'"CaseflowLetter{i}"' for i in range(len(fonts)))
    font_config = FontConfiguration()
    stylesheet = CSS(
        # A user stylesheet: !important is what lets it win over the letter's own font list.
        string=f"{faces} html, body, .issuer, h1 {{ font-family: {families} !important; }} "
        f"@page :right {{ @bottom-right {{ font-family: {families} !important; }} }} "
        f"@page :left {{ @bottom-left {{ font-family: {families} !important; }} }}",
        font_config=font_config,
    )
    pdf = HTML(string=html).write_pdf(
        stylesheets=[stylesheet], font_config=font_config, pdf_variant="pdf/a-3b"
    )
    assert pdf is not None
    return bytes(pdf)
