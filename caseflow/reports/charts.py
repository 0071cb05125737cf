"""Charts drawn on the server as SVG: readable without JavaScript, printable, accessible.

Each chart is an ``<svg role="img">`` with a ``<title>`` and ``aria-label`` naming what it shows,
every bar labelled with its figure in text (not only by its length) and a ``<title>`` per bar.
Labels are escaped; nothing here reads the database.
"""

from __future__ import annotations

from collections.abc import Sequence

from markupsafe import Markup, escape

#: Bars in caseflow's colours: the header red, grey, amber for "soon", dark red for "late".
PALETTE = ("#8b0000", "#57606a", "#d98200", "#1f6feb", "#2da44e", "#8250df", "#b30000")
FONT = "font-family=\"'Noto Sans CJK SC','Microsoft YaHei',sans-serif\""


def _number(value: float) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


def columns(
    items: Sequence[tuple[str, float]],
    *,
    title: str,
    unit: str = "件",
    colors: Sequence[str] | None = None,
    width: int = 560,
    height: int = 200,
) -> Markup:
    """Vertical bars, one per (label, value), each with its value above it and its label below."""
    peak = max([v for _, v in items] + [1])
    n = max(len(items), 1)
    slot = (width - 20) / n
    bar = min(70.0, slot * 0.7)
    top, base = 24, height - 30
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" role="img" '
        f'aria-label="{escape(title)}" viewBox="0 0 {width} {height}" {FONT}>',
        f"<title>{escape(title)}</title>",
        f'<line x1="10" y1="{base}" x2="{width - 10}" y2="{base}" stroke="#d8dee4"/>',
    ]
    for i, (label, value) in enumerate(items):
        h = round((base - top) * value / peak) if peak else 0
        x = 10 + slot * i + (slot - bar) / 2
        color = (colors or PALETTE)[i % len(colors or PALETTE)]
        center = x + bar / 2
        parts.append(
            f"<g><title>{escape(label)}：{_number(value)}{escape(unit)}</title>"
            f'<rect x="{x:.1f}" y="{base - h}" width="{bar:.1f}" height="{h}" fill="{color}"/>'
            f'<text x="{center:.1f}" y="{base - h - 5}" text-anchor="middle" font-size="13">'
            f"{_number(value)}</text>"
            f'<text x="{center:.1f}" y="{base + 18}" text-anchor="middle" font-size="12">'
            f"{escape(label)}</text></g>"
        )
    parts.append("</svg>")
    return Markup("".join(parts))


def bars(
    items: Sequence[tuple[str, float]],
    *,
    title: str,
    unit: str = "件",
    color: str = PALETTE[1],
    width: int = 560,
    label_width: int = 170,
) -> Markup:
    """Horizontal bars for long labels (handlers, agencies): label, bar, figure, one row each."""
    row = 24
    height = max(len(items), 1) * row + 10
    peak = max([v for _, v in items] + [1])
    room = width - label_width - 60
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" role="img" '
        f'aria-label="{escape(title)}" viewBox="0 0 {width} {height}" {FONT}>',
        f"<title>{escape(title)}</title>",
    ]
    if not items:
        parts.append('<text x="10" y="20" font-size="13" fill="#656d76">（无）</text>')
    for i, (label, value) in enumerate(items):
        y = 5 + i * row
        w = round(room * value / peak) if peak else 0
        parts.append(
            f"<g><title>{escape(label)}：{_number(value)}{escape(unit)}</title>"
            f'<text x="{label_width - 8}" y="{y + 16}" text-anchor="end" font-size="13">'
            f"{escape(label)}</text>"
            f'<rect x="{label_width}" y="{y + 3}" width="{w}" height="{row - 8}" fill="{color}"/>'
            f'<text x="{label_width + w + 6}" y="{y + 16}" font-size="13">{_number(value)}</text></g>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))
