"""The sizes a zip declares, checked before any member is read: a zip bomb is refused from its central
directory, in a few kilobytes of memory, before anything is inflated or parsed.

An evidence package as ``export`` writes it stores its members uncompressed, so each member's size
equals its compressed size and the declared total is the file's own size: every limit here holds for
it with room to spare. A package zipped again with compression by another tool is read as well, as
long as no member inflates more than ``max_ratio`` times (text compresses some ten times; a run of
zeros a thousand times) and the whole stays within ``max_ratio`` times the file. While reading, the
reader counts what it inflates and stops a member the moment it passes its declared size
(``zipstream``), so a directory that lies about sizes cannot get past these checks either.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from caseflow.evidence.zipstream import DEFLATED, STORED, ZipLimit, ZipReader

MIB = 1024 * 1024


@dataclass(frozen=True)
class Limits:
    #: Members in one package (an agency's package holds a few per request).
    max_members: int = 20_000_000
    #: Declared size of one member (scans and envelopes are uploads of at most 20 MB).
    max_member_size: int = 512 * MIB
    #: Inflated size over compressed size, for members larger than ``ratio_floor``.
    max_ratio: int = 100
    ratio_floor: int = 1 * MIB
    #: Declared total, at most this many times the file (and never less than ``total_floor``).
    total_floor: int = 64 * MIB


PACKAGE_LIMITS = Limits()


def check_declared(archive: ZipReader, limits: Limits = PACKAGE_LIMITS) -> None:
    """Raise ``ZipLimit`` naming the first declared size (or count) over ``limits``."""
    file_size = archive.path.stat().st_size if isinstance(archive.path, Path) else 0
    max_total = max(file_size * limits.max_ratio, limits.total_floor)
    count = total = compressed = 0
    for name, _raw, _flags, method, csize, size, _offset in archive.entries():
        count += 1
        if count > limits.max_members:
            raise ZipLimit(f"成员超过 {limits.max_members} 个")
        if size > limits.max_member_size:
            raise ZipLimit(
                f"{name} 声明解压后为 {size} 字节，超过单个文件的上限（{limits.max_member_size} 字节）"
            )
        if method == STORED and size != csize:
            raise ZipLimit(f"{name} 未压缩存储，但声明的大小（{size}）与存储的大小（{csize}）不一致")
        if method == DEFLATED and size > limits.ratio_floor and size > csize * limits.max_ratio:
            ratio = size // max(csize, 1)
            raise ZipLimit(f"{name} 的压缩比为 {ratio}:1，超过上限 {limits.max_ratio}:1（疑似压缩炸弹）")
        total += size
        compressed += csize
        if total > max_total:
            raise ZipLimit(
                f"声明的解压后总大小超过上限（{max_total} 字节，文件大小的 {limits.max_ratio} 倍）"
            )
        if compressed > file_size:
            raise ZipLimit("成员声明的压缩大小之和超过文件本身（成员相互重叠）")
