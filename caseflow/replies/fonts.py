"""The CJK font letters are set in, prepared once so that a PDF renders in well under a second.

WeasyPrint subsets every embedded font on every render, and subsetting a 26 MB CFF collection such
as Noto Serif CJK costs ~12 s (FACTS.md). So caseflow prepares, once per installation and cached
under ``$CASEFLOW_DATA_DIR/fonts/``, a font holding the characters letters use: GB 2312 (6,763
hanzi), ASCII, full-width forms and CJK punctuation, with TrueType outlines (converted from CFF,
much cheaper to subset) and without the vertical and OpenType layout tables horizontal Chinese
text does not need. A letter with a character outside that set (a rare character in a name) gets a
small extra font with just those characters, cached too.
"""

from __future__ import annotations

import fcntl
import hashlib
import subprocess
from dataclasses import dataclass
from pathlib import Path

from fontTools import subset
from fontTools.pens.cu2quPen import Cu2QuPen
from fontTools.pens.ttGlyphPen import TTGlyphPen
from fontTools.ttLib import TTFont, newTable

from caseflow.settings import get_settings

#: The faces tried, best first: a serif (宋体-like) face close to the 仿宋 of GB/T 9704.
CANDIDATES = ("Noto Serif CJK SC", "AR PL UMing CN", "Noto Sans CJK SC", "WenQuanYi Micro Hei")
INSTALL_HINT = (
    "no Chinese (CJK) font is installed, so letters cannot be rendered without empty boxes. "
    "Install one and try again: on Debian/Ubuntu `sudo apt-get install fonts-noto-cjk` "
    "(or fonts-arphic-uming); on other systems install Noto Serif CJK SC."
)
DROPPED_TABLES = ("GSUB", "GPOS", "GDEF", "BASE", "vhea", "vmtx", "VORG", "JSTF")


class FontMissing(RuntimeError):
    """No CJK font: the message says exactly how to install one."""


@dataclass(frozen=True)
class FontSource:
    path: Path
    index: int
    family: str


def find_source() -> FontSource:
    """The installed CJK face letters will use (via fontconfig)."""
    for family in CANDIDATES:
        try:
            out = subprocess.run(
                ["fc-match", "-f", "%{file}\t%{index}\t%{family[0]}", f"{family}:lang=zh-cn"],
                capture_output=True,
                text=True,
                check=True,
                timeout=10,
            ).stdout
        except (OSError, subprocess.SubprocessError):
            raise FontMissing(INSTALL_HINT + " (fontconfig's fc-match is not available)") from None
        parts = out.split("\t")
        if len(parts) == 3 and parts[2] == family and Path(parts[0]).is_file():
            return FontSource(Path(parts[0]), int(parts[1] or 0), family)
    raise FontMissing(INSTALL_HINT)


def base_characters() -> str:
    """GB 2312, ASCII, full-width forms and the punctuation of official documents."""
    chars = {chr(c) for c in range(0x20, 0x7F)}
    chars |= {chr(c) for c in range(0xFF01, 0xFF5F)}  # full-width ASCII forms
    chars |= {chr(c) for c in range(0x3000, 0x3040)}  # CJK symbols and punctuation
    chars |= set("“”‘’…—–·×〔〕")
    for hi in range(0xA1, 0xF8):
        for lo in range(0xA1, 0xFF):
            try:
                chars.add(bytes((hi, lo)).decode("gb2312"))
            except UnicodeDecodeError:
                continue
    return "".join(sorted(chars))


def _to_truetype(font: TTFont) -> None:
    """Replace CFF outlines with quadratic TrueType outlines (cheap to subset at render time)."""
    if "glyf" in font:
        return
    order = font.getGlyphOrder()
    glyph_set = font.getGlyphSet()
    glyf = newTable("glyf")
    glyf.glyphOrder = order
    glyf.glyphs = {}
    for name in order:
        pen = TTGlyphPen(glyph_set)
        glyph_set[name].draw(Cu2QuPen(pen, max_err=1.0, reverse_direction=True))
        glyf.glyphs[name] = pen.glyph()
    font["glyf"] = glyf
    font["loca"] = newTable("loca")
    maxp = font["maxp"]
    maxp.tableVersion = 0x00010000
    for attr in (
        "maxTwilightPoints",
        "maxStorage",
        "maxFunctionDefs",
        "maxInstructionDefs",
        "maxStackElements",
        "maxSizeOfInstructions",
        "maxComponentElements",
    ):
        setattr(maxp, attr, 0)
    maxp.maxZones = 1
    font["head"].indexToLocFormat = 0
    font["head"].glyphDataFormat = 0
    del font["CFF "]
    font.sfntVersion = "\x00\x01\x00\x00"
    post = font["post"]
    post.formatType = 2.0
    post.extraNames = []
    post.mapping = {}
    post.glyphOrder = order


def _subset_to(source: FontSource, text: str, target: Path) -> Path:
    font = TTFont(str(source.path), fontNumber=source.index, lazy=False)
    options = subset.Options()
    options.layout_features = []
    options.name_IDs = ["*"]
    options.notdef_outline = True
    options.drop_tables = [*options.drop_tables, *DROPPED_TABLES]
    subsetter = subset.Subsetter(options)
    subsetter.populate(text=text)
    subsetter.subset(font)
    _to_truetype(font)
    for tag in DROPPED_TABLES:
        if tag in font:
            del font[tag]
    tmp = target.with_suffix(".tmp")
    font.save(str(tmp))
    tmp.replace(target)
    return target


def _fonts_dir() -> Path:
    settings = get_settings()
    directory = settings.font_cache_dir or settings.data_dir / "fonts"
    directory.mkdir(parents=True, exist_ok=True)
    return directory


def _key(source: FontSource, text: str = "") -> str:
    stat = source.path.stat()
    material = f"{source.path}:{source.index}:{stat.st_size}:{stat.st_mtime_ns}:{text}"
    return hashlib.sha256(material.encode("utf-8")).hexdigest()[:16]


def _prepared(name: str, source: FontSource, text: str) -> Path:
    target = _fonts_dir() / name
    if target.exists():
        return target
    with open(target.with_suffix(".lock"), "w") as lock:  # one process prepares; the others wait
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not target.exists():
            _subset_to(source, text, target)
    return target


def base_font() -> tuple[Path, frozenset[int]]:
    """The prepared letter font (made on first use, ~1 minute) and the code points it covers."""
    source = find_source()
    path = _prepared(f"letters-{_key(source)}.ttf", source, base_characters())
    return path, _coverage(path)


_coverage_cache: dict[Path, frozenset[int]] = {}


def _coverage(path: Path) -> frozenset[int]:
    if path not in _coverage_cache:
        font = TTFont(str(path), lazy=True)
        _coverage_cache[path] = frozenset(font.getBestCmap())
    return _coverage_cache[path]


def fonts_for(text: str) -> list[Path]:
    """The font files a letter with this text needs: the base font, plus one for rare characters."""
    base, covered = base_font()
    missing = "".join(sorted({c for c in text if ord(c) not in covered and not c.isspace()}))
    if not missing:
        return [base]
    source = find_source()
    extra = _prepared(f"extra-{_key(source, missing)}.ttf", source, missing)
    return [base, extra]
