"""Zip files written and read member by member, in memory that does not grow with their size.

``zipfile`` keeps a ``ZipInfo`` (some 600 bytes) per member in memory, both to write the central
directory at the end and when it opens an archive, and opens each member through several layers
of Python. An evidence package of an agency holds two or more members per request, so here:

- ``ZipWriter`` stores members (no compression: verification then reads the bytes it hashes
  directly) and spools its central directory to a temporary file;
- ``ZipReader`` streams the central directory in chunks and reads members sequentially.

Both follow the zip specification (APPNOTE 6.3), with ZIP64 records where sizes, offsets or the
number of members need them; ``zipfile`` and ``unzip`` read what ``ZipWriter`` writes, and
``ZipReader`` reads stored and deflated members written by other tools. CRC-32 is written but not
checked on reading: the evidence checks compare SHA-256 digests of every member instead.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import struct
import tempfile
import zlib
from collections.abc import Iterable, Iterator
from pathlib import Path
from types import TracebackType
from typing import BinaryIO

#: (name, raw name, flags, method, compressed size, size, offset of the local header)
Entry = tuple[str, bytes, int, int, int, int, int]

CHUNK = 1 << 14  # small: memory stays the same whatever the size of the archive
LIMIT = 0xFFFFFFFF  # beyond: ZIP64
STORED, DEFLATED = 0, 8
UTF8_NAME = 0x800
VERSION, VERSION64 = 20, 45
MADE_BY = (3 << 8) | VERSION64  # Unix, so that the external attributes carry the file mode
FILE_MODE = 0o100644 << 16

LOCAL = struct.Struct("<4s5H3L2H")  # signature, version, flags, method, time, date, crc, sizes, lengths
CENTRAL = struct.Struct("<4s6H3L5H2L")
CENTRAL_READ = struct.Struct("<4s4xHH8xLLHHH8xL")  # the fields a reader needs
END = struct.Struct("<4s4H2LH")
END64 = struct.Struct("<4sQ2H2L4Q")
LOCATOR64 = struct.Struct("<4sLQL")
SIG_LOCAL, SIG_CENTRAL = b"PK\x03\x04", b"PK\x01\x02"
SIG_END, SIG_END64, SIG_LOCATOR64 = b"PK\x05\x06", b"PK\x06\x06", b"PK\x06\x07"


class ZipProblem(Exception):
    """The file is not a zip this module can read."""


class ZipLimit(ZipProblem):
    """A member inflates past its declared size, or the declared sizes pass the reader's limits."""


def _past_declared(name: str, size: int) -> ZipLimit:
    return ZipLimit(f"{name} 解压后超过目录声明的 {size} 字节（声明的大小不实，已停止解压）")


def _dos_time(moment: dt.datetime) -> tuple[int, int]:
    year = min(max(moment.year, 1980), 2107)
    return (
        moment.hour << 11 | moment.minute << 5 | moment.second // 2,
        (year - 1980) << 9 | moment.month << 5 | moment.day,
    )


class ZipWriter:
    """Write a zip to ``path`` one stored member at a time; ``close`` adds the central directory."""

    def __init__(self, path: Path, moment: dt.datetime) -> None:
        self._out: BinaryIO = path.open("wb")
        self._central: BinaryIO = tempfile.TemporaryFile(prefix="caseflow-zip-")  # noqa: SIM115
        self._count = 0
        self._time, self._date = _dos_time(moment)

    def __enter__(self) -> ZipWriter:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if kind is None:
            self.close()
        else:
            self._out.close()
            self._central.close()

    def add(self, name: str, data: bytes) -> str:
        """Store ``data`` as ``name``; returns its SHA-256 (hex)."""
        self._member(name, (data,), len(data), zlib.crc32(data))
        return hashlib.sha256(data).hexdigest()

    def add_stream(self, name: str, chunks: Iterable[bytes], size: int) -> None:
        """Store ``size`` bytes read from ``chunks`` as ``name``."""
        self._member(name, chunks, size)

    def _member(self, name: str, chunks: Iterable[bytes], size: int, known_crc: int | None = None) -> None:
        try:
            raw, flags = name.encode("ascii"), 0
        except UnicodeEncodeError:
            raw, flags = name.encode("utf-8"), UTF8_NAME
        offset = self._out.tell()
        big = size >= LIMIT
        stated = LIMIT if big else size  # with ZIP64, the sizes are in the extra field
        extra = struct.pack("<2H2Q", 1, 16, size, size) if big else b""
        version = VERSION64 if big else VERSION
        when = (self._time, self._date)
        crc = known_crc or 0
        lengths = (len(raw), len(extra))
        header = LOCAL.pack(SIG_LOCAL, version, flags, STORED, *when, crc, stated, stated, *lengths)
        self._out.write(header + raw + extra)
        written = 0
        for chunk in chunks:
            if known_crc is None:
                crc = zlib.crc32(chunk, crc)
            written += len(chunk)
            self._out.write(chunk)
        if written != size:
            raise ValueError(f"{name}: {written} bytes written, {size} announced")
        if known_crc is None:
            end = self._out.tell()
            self._out.seek(offset + 14)  # the CRC-32, known only now
            self._out.write(struct.pack("<L", crc))
            self._out.seek(end)
        fields64 = ([size, size] if big else []) + ([offset] if offset >= LIMIT else [])
        extra = struct.pack(f"<2H{len(fields64)}Q", 1, 8 * len(fields64), *fields64) if fields64 else b""
        version = VERSION64 if fields64 else VERSION
        entry = CENTRAL.pack(
            SIG_CENTRAL, MADE_BY, version, flags, STORED, *when, crc, stated, stated, len(raw), len(extra),
            0, 0, 0, FILE_MODE, min(offset, LIMIT),
        )  # fmt: skip
        self._central.write(entry + raw + extra)
        self._count += 1

    def close(self) -> None:
        start = self._out.tell()
        self._central.seek(0)
        while chunk := self._central.read(CHUNK):
            self._out.write(chunk)
        self._central.close()
        end = self._out.tell()
        size = end - start
        if self._count >= 0xFFFF or start >= LIMIT or size >= LIMIT:
            self._out.write(
                END64.pack(SIG_END64, 44, MADE_BY, VERSION64, 0, 0, self._count, self._count, size, start)
                + LOCATOR64.pack(SIG_LOCATOR64, 0, end, 1)
            )
        count = min(self._count, 0xFFFF)
        self._out.write(END.pack(SIG_END, 0, 0, count, count, min(size, LIMIT), min(start, LIMIT), 0))
        self._out.close()


class _Cursor:
    """A file read member by member, sequentially where the members follow each other."""

    def __init__(self, file: BinaryIO) -> None:
        self.file = file
        self.position = -1

    def start(self, entry: Entry) -> None:
        """Position the file at the member's data, after checking its local header."""
        name, raw, flags, method, _csize, _size, offset = entry
        if flags & 0x1:
            raise ZipProblem(f"{name} 已加密，无法读取")
        if method not in (STORED, DEFLATED):
            raise ZipProblem(f"{name} 使用了不支持的压缩方法（{method}，只支持存储和deflate）")
        f = self.file
        if self.position != offset:
            f.seek(offset)
        header = f.read(LOCAL.size + len(raw))
        if header[:4] != SIG_LOCAL or header[LOCAL.size :] != raw:
            raise ZipProblem(f"{name} 的本地文件头损坏")
        nlen, xlen = struct.unpack_from("<2H", header, 26)
        if nlen != len(raw):
            raise ZipProblem(f"{name} 的本地文件头记载的是另一个文件名")
        if xlen:
            f.seek(xlen, 1)
        self.position = offset + LOCAL.size + nlen + xlen

    def read(self, entry: Entry) -> bytes:
        self.start(entry)
        name, _, _, method, csize, size, _ = entry
        data = self.file.read(csize)
        self.position += len(data)
        if len(data) != csize:
            raise ZipProblem(f"{name} 不完整（文件被截断）")
        if method == DEFLATED:  # never more than the declared size plus one byte is inflated
            inflate = zlib.decompressobj(-15)
            try:
                data = inflate.decompress(data, size + 1)
            except zlib.error as exc:
                raise ZipProblem(f"{name} 的压缩数据已损坏（zlib：{exc}）") from None
            if len(data) > size:
                raise _past_declared(name, size)
        if len(data) != size:
            raise ZipProblem(f"{name} 实有 {len(data)} 字节，中央目录记载为 {size} 字节")
        return data

    def chunks(self, entry: Entry) -> Iterator[bytes]:
        self.start(entry)
        name, _, _, method, left, size, _ = entry
        inflate = zlib.decompressobj(-15) if method == DEFLATED else None
        produced = 0
        while left > 0:
            chunk = self.file.read(min(CHUNK, left))
            if not chunk:
                raise ZipProblem(f"{name} 不完整（文件被截断）")
            left -= len(chunk)
            self.position += len(chunk)
            if inflate is None:
                produced += len(chunk)
                yield chunk
                continue
            # inflated a bounded piece at a time, and never past the declared size
            while chunk:
                try:
                    piece = inflate.decompress(chunk, CHUNK * 4)
                except zlib.error as exc:
                    raise ZipProblem(f"{name} 的压缩数据已损坏（zlib：{exc}）") from None
                produced += len(piece)
                if produced > size:
                    raise _past_declared(name, size)
                chunk = inflate.unconsumed_tail
                if piece:
                    yield piece
        if produced != size:
            raise ZipProblem(f"{name} 实有 {produced} 字节，中央目录记载为 {size} 字节")


class ZipReader:
    """Read a zip's central directory as a stream and its members in the order they are asked for."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._cursor = _Cursor(path.open("rb"))
        try:
            self._find_directory(self._cursor.file)
        except BaseException:
            self.close()
            raise

    def __enter__(self) -> ZipReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._cursor.file.close()

    def _find_directory(self, f: BinaryIO) -> None:
        size = f.seek(0, 2)
        tail_start = max(0, size - END.size - 0xFFFF)
        f.seek(tail_start)
        tail = f.read()
        at = tail.rfind(SIG_END)
        if at < 0 or at + END.size > len(tail):
            raise ZipProblem("找不到中央目录结束记录：不是zip文件，或文件被截断")
        _, _, _, _, count, cd_size, cd_offset, comment = END.unpack_from(tail, at)
        if at + END.size + comment > len(tail):
            raise ZipProblem("中央目录结束记录不完整（文件被截断）")
        end_at = tail_start + at
        if count == 0xFFFF or cd_size == LIMIT or cd_offset == LIMIT:
            f.seek(max(0, end_at - LOCATOR64.size))
            locator = f.read(LOCATOR64.size)
            if len(locator) == LOCATOR64.size and locator[:4] == SIG_LOCATOR64:
                end64_at = LOCATOR64.unpack(locator)[2]
                f.seek(end64_at)
                record = f.read(END64.size)
                if len(record) != END64.size or record[:4] != SIG_END64:
                    raise ZipProblem("缺少ZIP64中央目录结束记录")
                _, _, _, _, _, _, _, count, cd_size, cd_offset = END64.unpack(record)
                end_at = end64_at
        # bytes before the archive (a self-extracting stub): offsets are relative to its start
        self._shift = end_at - cd_size - cd_offset
        if self._shift < 0:
            raise ZipProblem("中央目录的位置超出了文件范围")
        self._cd_start = cd_offset + self._shift
        self._cd_size = cd_size

    def entries(self) -> Iterator[Entry]:
        """Every member as listed in the central directory (read in chunks, never all at once)."""
        with self.path.open("rb") as f:
            f.seek(self._cd_start)
            left = self._cd_size
            buf, pos = b"", 0
            while left > 0:
                if len(buf) - pos < CENTRAL.size:
                    buf, pos = buf[pos:] + f.read(CHUNK), 0
                    if len(buf) < CENTRAL.size:
                        raise ZipProblem("中央目录不完整（文件被截断）")
                sig, flags, method, csize, size, nlen, xlen, clen, offset = CENTRAL_READ.unpack_from(buf, pos)
                if sig != SIG_CENTRAL:
                    raise ZipProblem("中央目录中有损坏的条目")
                length = CENTRAL.size + nlen + xlen + clen
                if len(buf) - pos < length:
                    buf, pos = buf[pos:] + f.read(max(CHUNK, length)), 0
                    if len(buf) < length:
                        raise ZipProblem("中央目录不完整（文件被截断）")
                raw = buf[pos + CENTRAL.size : pos + CENTRAL.size + nlen]
                if csize == LIMIT or size == LIMIT or offset == LIMIT:
                    extra = buf[pos + CENTRAL.size + nlen : pos + CENTRAL.size + nlen + xlen]
                    size, csize, offset = _zip64(extra, size, csize, offset)
                name = raw.decode("utf-8" if flags & UTF8_NAME else "cp437", "replace")
                yield name, raw, flags, method, csize, size, offset + self._shift
                pos += length
                left -= length

    def read(self, entry: Entry) -> bytes:
        """A member's bytes (for members small enough to hold)."""
        return self._cursor.read(entry)

    def chunks(self, entry: Entry) -> Iterator[bytes]:
        """A member's bytes in chunks; read them all before reading another member."""
        return self._cursor.chunks(entry)

    def stream(self, entry: Entry) -> Iterator[bytes]:
        """A member's bytes in chunks through a file of its own (to read alongside other members)."""
        with self.path.open("rb") as f:
            yield from _Cursor(f).chunks(entry)


def _zip64(extra: bytes, size: int, csize: int, offset: int) -> tuple[int, int, int]:
    """The 64-bit values of the ZIP64 extra field, for the fields marked 0xFFFFFFFF."""
    at = 0
    while at + 4 <= len(extra):
        kind, length = struct.unpack_from("<2H", extra, at)
        if kind == 1:
            values = list(struct.unpack_from(f"<{length // 8}Q", extra, at + 4))
            if size == LIMIT and values:
                size = values.pop(0)
            if csize == LIMIT and values:
                csize = values.pop(0)
            if offset == LIMIT and values:
                offset = values.pop(0)
            return size, csize, offset
        at += 4 + length
    raise ZipProblem("ZIP64条目缺少其扩展字段")
