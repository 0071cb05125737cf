"""The text layer of a PDF page read for personal data (``redact.suggest``): 居民身份证 numbers (GB 11643
check digit), mainland mobile and fixed-line numbers, and names of natural persons where the context
marks a person; each found with the rectangle its characters cover, in PDF points from the page's
top-left corner as displayed (rotation and crop box applied, like the page images)."""

from __future__ import annotations

import ctypes
import re
from collections.abc import Iterator
from dataclasses import dataclass

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c
from stdnum.cn import ric

#: Single-character surnames: the common ~100 (百家姓 by frequency of the 2020 census).
SINGLE_SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕"
    "丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严"
    "覃武戴莫孔向汤常温康施文牛樊葛邢安齐易乔伍庞颜倪庄聂章鲁岳翟殷詹申欧耿关兰焦俞左柳甘祝包宁尚"
    "符舒阮柯纪梅童凌毕单季裴霍涂成苗谷盛曲翁冉骆蓝路游辛靳管柴蒙鲍华喻祁蒲房滕屈饶解牟艾尤阳时穆"
    "农司卓古吉缪简车项连芦麦褚娄窦戚岑景党宫费卜冷晏席卫米柏宗瞿桂全佟应臧闵苟邬边卞姬师和仇栾"
)
#: Compound surnames (复姓), matched before single ones.
COMPOUND_SURNAMES = (
    "欧阳",
    "司马",
    "诸葛",
    "上官",
    "东方",
    "皇甫",
    "尉迟",
    "公孙",
    "慕容",
    "长孙",
    "宇文",
    "司徒",
    "夏侯",
    "令狐",
    "端木",
    "澹台",
    "轩辕",
    "百里",
    "呼延",
    "南宫",
    "西门",
    "独孤",
    "申屠",
    "钟离",
)
#: The words that mark the next name as a person's (followed by a colon or a space).
PERSON_LABELS = ("法定代表人", "申请人", "联系人", "经办人", "当事人", "负责人", "姓名", "签名")
#: The forms of address that mark the name before them as a person's.
PERSON_TITLES = ("先生", "女士", "同志")

_HAN = "\u4e00-\u9fff"
_SURNAME = "(?:" + "|".join(COMPOUND_SURNAMES) + f"|[{SINGLE_SURNAMES}])"
#: 17 digits and a digit or X, not inside a longer run of letters and digits.
ID_NUMBER = re.compile(r"(?<![0-9A-Za-z])\d{17}[0-9Xx](?![0-9A-Za-z])")
#: 1[3-9] and 9 digits (also written 3-4-4 with spaces or hyphens, optionally after +86).
MOBILE = re.compile(r"(?<![\d+])(?:\+?86[- ]?)?1[3-9]\d(?:[- ]?\d{4}){2}(?![\d])")
#: An area code (010, 02x, 0xxx) and 7-8 digits: 010-12345678, (0755)1234567, 0755 1234567.
FIXED_LINE = re.compile(
    r"(?<![\d(（])(?:[(（]0(?:10|2\d|[3-9]\d{2})[)）]|0(?:10|2\d|[3-9]\d{2})[- ])\d{7,8}(?!\d)"
)
_TITLE = "(?:" + "|".join(PERSON_TITLES) + ")"
_NAME_AFTER_LABEL = re.compile(
    "(?:" + "|".join(PERSON_LABELS) + ")(?:[:：][ \u3000]*|[ \u3000]+)"
    f"(?P<name>{_SURNAME}(?:(?!{_TITLE})[{_HAN}]){{1,2}})"
)
_NAME_BEFORE_TITLE = re.compile(f"(?<![{_HAN}])(?P<name>{_SURNAME}[{_HAN}]{{0,2}}?){_TITLE}(?!们)")


@dataclass(frozen=True, slots=True)
class Hit:
    """Text found on a page: the match and its rectangle (x0, y0, x1, y1), points, top-left origin."""

    text: str
    box: tuple[float, float, float, float]


def find_spans(text: str) -> list[tuple[int, int]]:
    """The (start, end) of each identity number, phone number and person's name in ``text``, in
    order, overlapping ones merged."""
    merged: list[tuple[int, int]] = []
    for start, end in sorted(set(_spans(text))):
        if merged and start < merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def _spans(text: str) -> Iterator[tuple[int, int]]:
    for match in ID_NUMBER.finditer(text):
        if ric.is_valid(match.group()):
            yield match.span()
    for pattern in (MOBILE, FIXED_LINE):
        for match in pattern.finditer(text):
            yield match.span()
    for pattern in (_NAME_AFTER_LABEL, _NAME_BEFORE_TITLE):
        for match in pattern.finditer(text):
            yield match.span("name")


#: Device units per point for pdfium's page-to-device mapping (it returns whole numbers).
_PRECISION = 100


def _page_text(textpage: pdfium.PdfTextPage, count: int) -> str:
    """One character per index of the page's character list (so spans map to char boxes)."""
    text = str(textpage.get_text_range(0, count))
    if len(text) == count:
        return text
    return "".join(chr(pdfium_c.FPDFText_GetUnicode(textpage, i) or 0xFFFD) for i in range(count))


def _to_top_left(page: pdfium.PdfPage, size: tuple[int, int], x: float, y: float) -> tuple[float, float]:
    """A point of PDF user space -> points from the displayed page's top-left corner."""
    dx, dy = ctypes.c_int(), ctypes.c_int()
    pdfium_c.FPDF_PageToDevice(page, 0, 0, size[0], size[1], 0, x, y, dx, dy)
    return dx.value / _PRECISION, dy.value / _PRECISION


def page_hits(page: pdfium.PdfPage, *, pad: float = 1.0) -> list[Hit]:
    """The personal data found in one page's text layer, each with the union of its characters' boxes
    (loose boxes: the font's full height), padded by ``pad`` points and kept inside the page."""
    width, height = page.get_size()  # as displayed: pdfium swaps them for a rotated page
    size = (round(width * _PRECISION), round(height * _PRECISION))
    textpage = page.get_textpage()
    try:
        count = textpage.count_chars()
        if count <= 0:
            return []
        text = _page_text(textpage, count)
        hits = []
        for start, end in find_spans(text):
            corners = []
            for index in range(start, end):
                if text[index].isspace():
                    continue
                left, bottom, right, top = textpage.get_charbox(index, loose=True)
                corners += [_to_top_left(page, size, left, bottom), _to_top_left(page, size, right, top)]
            if not corners:
                continue
            xs = [c[0] for c in corners]
            ys = [c[1] for c in corners]
            box = (
                max(0.0, min(xs) - pad),
                max(0.0, min(ys) - pad),
                min(width, max(xs) + pad),
                min(height, max(ys) + pad),
            )
            if box[0] < box[2] and box[1] < box[3]:
                hits.append(Hit(text[start:end], tuple(round(v, 2) for v in box)))  # type: ignore[arg-type]
        return hits
    finally:
        textpage.close()
