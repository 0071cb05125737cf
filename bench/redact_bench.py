"""Redaction (issue 19): the burn-in of a 100-page record against pdfium's own render of the same pages
at the same resolution (the anchor), and the suggestions from the text layer; peak memory at 20 and
100 pages, each in a fresh process. Goal: ratio <= 2 and < 30 s for 100 pages; memory flat in pages.

The record is made by WeasyPrint (Chinese paragraphs with identity numbers, phone numbers and
names; Noto Sans CJK SC), one A4 page per section. Boxes: the suggestions plus one manual box a page.
Both sides are single-process (the anchor renders every page to a PIL image at 150 dpi, as the
burn-in does, without drawing or writing). Medians of N rounds, alternating anchor and burn-in.
"""

from __future__ import annotations

import json
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.common import Figure

DPI = 150
GOAL_RATIO = 2.0
GOAL_SECONDS = 30.0
_SURNAMES = "王李张刘陈杨黄赵吴周"
_TEXT = (
    "根据《中华人民共和国政府信息公开条例》第三十六条的规定，本机关经审查，现将有关政府信息提供如下。"
    "该项目于二〇二三年启动，涉及道路养护、公园绿化、学校建设等事项，预算资金已按程序批复，"
    "施工单位依法组织招标，监理单位按月报送进度。"
)


def record(pages: int, seed: int = 19) -> bytes:
    """A ``pages``-page PDF of realistic Chinese text with personal data on every page."""
    import weasyprint
    from stdnum.cn import ric

    rng = random.Random(seed)
    sections = []
    for number in range(1, pages + 1):
        paragraphs = []
        for _ in range(4):
            body = f"110101{rng.randint(1950, 2000)}{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}"
            body += f"{rng.randint(0, 999):03d}"
            idn = body + ric.calc_check_digit(body + "0")
            phone = f"1{rng.choice('3456789')}{rng.randint(0, 999_999_999):09d}"
            name = rng.choice(_SURNAMES) + rng.choice("明华强伟芳静")
            paragraphs.append(f"<p>申请人：{name}，身份证号码{idn}，联系电话{phone}。{_TEXT * 2}</p>")
        sections.append(f"<section><h2>第{number}页 政府信息公开材料</h2>{''.join(paragraphs)}</section>")
    html = (
        "<html><head><style>@page { size: A4; margin: 2cm } "
        "body { font-family: 'Noto Sans CJK SC'; font-size: 11pt; line-height: 1.6 } "
        "section { page-break-after: always; height: 24cm; overflow: hidden }</style></head>"
        f"<body>{''.join(sections)}</body></html>"
    )
    return bytes(weasyprint.HTML(string=html).write_pdf())


def _anchor(data: bytes) -> float:
    import pypdfium2 as pdfium

    started = time.perf_counter()
    doc = pdfium.PdfDocument(data)
    for index in range(len(doc)):
        page = doc[index]
        page.render(scale=DPI / 72).to_pil()
        page.close()
    doc.close()
    return time.perf_counter() - started


def _anchor_same_mode(data: bytes) -> float:
    """The anchor rendering each page as the burn-in does: greyscale where nothing on it is coloured
    (the same check, ``redact._has_colour``, counted in the anchor's time), annotations drawn."""
    import pypdfium2 as pdfium

    from caseflow.release import redact

    started = time.perf_counter()
    doc = pdfium.PdfDocument(data)
    for index in range(len(doc)):
        page = doc[index]
        grey = not redact._has_colour(page)
        page.render(scale=DPI / 72, grayscale=grey, may_draw_forms=True, draw_annots=True).to_pil()
        page.close()
    doc.close()
    return time.perf_counter() - started


def _burn(data: bytes, boxes: list, target: Path) -> float:  # type: ignore[type-arg]
    from caseflow.release import redact

    started = time.perf_counter()
    with target.open("wb") as out:
        redact.burn_in(data, boxes, out, dpi=DPI)
    return time.perf_counter() - started


def _boxes(data: bytes) -> list:  # type: ignore[type-arg]
    from caseflow.release import redact

    info = redact.inspect(data)
    manual = [
        redact.Box(p, (60.0, 700.0, 400.0, 760.0), "withheld.internal_affairs")
        for p in range(1, info.pages + 1)
    ]
    return [*redact.suggest(data), *manual]


def _peak_rss(pages: int, tmp: Path) -> float:
    """Peak RSS (MiB) of a fresh process burning in a ``pages``-page record (made beforehand)."""
    pdf = tmp / f"rss-{pages}.pdf"
    pdf.write_bytes(record(pages))
    script = (
        "import resource, sys, io\n"
        "from pathlib import Path\n"
        "from bench.redact_bench import _boxes, _burn\n"
        f"data = Path({str(pdf)!r}).read_bytes()\n"
        f"_burn(data, _boxes(data), Path({str(tmp / 'rss-out.pdf')!r}))\n"
        "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    return int(done.stdout.strip().splitlines()[-1]) / 1024


def run(quick: bool) -> list[Figure]:
    pages = 20 if quick else 100
    rounds = 2 if quick else 3
    with tempfile.TemporaryDirectory(prefix="caseflow-redact-bench-") as name:
        tmp = Path(name)
        data = record(pages)
        boxes = _boxes(data)
        anchors, same_modes, burns, suggests = [], [], [], []
        _anchor(data)  # warm-up: fonts and caches
        for _ in range(rounds):
            anchors.append(_anchor(data))
            same_modes.append(_anchor_same_mode(data))
            burns.append(_burn(data, boxes, tmp / "out.pdf"))
            from caseflow.release import redact

            started = time.perf_counter()
            redact.suggest(data)
            suggests.append(time.perf_counter() - started)
        size = (tmp / "out.pdf").stat().st_size
        rss = {n: _peak_rss(n, tmp) for n in (20, pages if pages > 20 else 40)}
    anchor, same_mode, burn, found = (statistics.median(v) for v in (anchors, same_modes, burns, suggests))
    ratio = burn / anchor
    verdict = "PASS" if ratio <= GOAL_RATIO and burn < GOAL_SECONDS else "MISS"
    memory = ", ".join(f"{n} pages {mib:.0f} MiB" for n, mib in rss.items())
    return [
        Figure(
            f"redact: burn-in of a {pages}-page record at {DPI} dpi ({len(boxes)} boxes), single process",
            burn,
            "s",
            f"pypdfium2 render of the same {pages} pages at {DPI} dpi to PIL images, single process",
            anchor,
            f"ratio <= {GOAL_RATIO:.0f} and < {GOAL_SECONDS:.0f} s: {verdict}",
            f"medians of {rounds} rounds; {burn / pages * 1000:.0f} ms/page vs "
            f"{anchor / pages * 1000:.0f} ms/page; "
            f"output {size / 2**20:.1f} MiB; peak RSS {memory}",
        ),
        Figure(
            f"redact: the same burn-in against the render in its own colour mode ({pages} pages)",
            burn,
            "s",
            f"pypdfium2 render of the same {pages} pages at {DPI} dpi, greyscale where the burn-in "
            "renders greyscale (the same colour check), single process",
            same_mode,
            "stricter anchor: the drawing and the PDF writing alone",
            f"{same_mode / pages * 1000:.0f} ms/page for the render alone",
        ),
        Figure(
            f"redact: suggestions (ID, phone, names) on a {pages}-page record",
            found,
            "s",
            f"pypdfium2 render of the same {pages} pages at {DPI} dpi",
            anchor,
            "informational",
            f"{found / pages * 1000:.1f} ms/page",
        ),
    ]


if __name__ == "__main__":
    for f in run("--quick" in sys.argv):
        print(
            f"{f.name}\n  {f.value:.2f} {f.unit}, anchor {f.anchor_value:.2f} {f.unit}, "
            f"ratio {f.ratio:.2f}, {f.goal}\n  {f.note}"
        )
        print(json.dumps(f.to_json(), ensure_ascii=False))
