"""BagIt's text files read as the ``bagit`` package reads them: manifests and tag files.

Used by ``verify`` on members read from the zip: a manifest line at a time, tag files as a stream
of (name, value), and what ``bagit`` validates beyond the payload (bagit.txt, Payload-Oxum, the
tag manifest).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator

from caseflow.evidence.casecheck import PackageProblem
from caseflow.evidence.export import BAG_INFO, TAGMANIFEST
from caseflow.evidence.zipstream import Entry, ZipReader


def manifest_line(line: bytes, filename: str, n: int) -> tuple[str, str] | None:
    """A BagIt manifest line: (relative path, SHA-256), or None for a blank line."""
    try:
        text = line.decode("utf-8")
    except UnicodeDecodeError:
        text = ""
    digest, _, name = text.partition(" ")
    name = name.strip()
    if not name or len(digest) != 64:
        if not line.strip():
            return None
        raise PackageProblem(f"{filename} 第{n}行不是“SHA256 路径”格式")
    return name, digest.lower()


def manifest(rows: Iterable[bytes], filename: str) -> dict[str, str]:
    """A whole manifest: relative path -> SHA-256."""
    entries = {}
    for n, line in enumerate(rows, 1):
        parsed = manifest_line(line, filename, n)
        if parsed is not None:
            entries[parsed[0]] = parsed[1]
    return entries


def lines(chunks: Iterable[bytes | memoryview], digest: hashlib._Hash) -> Iterator[bytes]:
    """The lines of a member read in chunks, hashed on the way."""
    rest = b""
    for chunk in chunks:
        digest.update(chunk)
        *complete, rest = (rest + chunk).split(b"\n")
        yield from complete
    if rest:
        yield rest


def tags(rows: Iterable[bytes], filename: str = BAG_INFO) -> Iterator[tuple[str, str]]:
    """The tags of a BagIt tag file (``Name: value``, folded lines continued), as ``bagit`` reads them."""
    name: str | None = None
    value = ""
    for raw in rows:
        try:
            line = raw.decode("utf-8").rstrip("\r")
        except UnicodeDecodeError:
            raise PackageProblem(f"不是有效的BagIt证据包：{filename} 不是UTF-8编码") from None
        if not line or line.isspace():
            continue
        if line[0].isspace() and name is not None:
            value += "\n" + line
            continue
        if name is not None:
            yield name, value.strip()
        if ":" not in line:
            raise PackageProblem(f"{filename} 中有无效的标签行（应为“名称: 值”）：{line.strip()}")
        name, _, value = line.strip().partition(":")
        name = name.strip()
    if name is not None:
        yield name, value.strip()


def digest_of(chunks: Iterable[bytes | memoryview]) -> str:
    """SHA-256 (hex) of bytes read in chunks."""
    digest = hashlib.sha256()
    for chunk in chunks:
        digest.update(chunk)
    return digest.hexdigest()


def one_of(values: list[str]) -> str:
    """A tag's value as ``bagit`` gives it: the value, or the list of values if repeated."""
    return "" if not values else values[0] if len(values) == 1 else str(values)


def check_bag(
    archive: ZipReader,
    root: dict[str, Entry],
    tagmanifest: dict[str, str],
    known: dict[str, str],
    oxum: list[str],
    payload: tuple[int, int],
) -> None:
    """What ``bagit`` validates beyond the payload manifest: bagit.txt, the Payload-Oxum and the
    tag manifest (``known``: digests of tag files already hashed). ``payload``: (files, bytes)."""
    declaration = archive.read(root["bagit.txt"])
    if declaration.startswith(b"\xef\xbb\xbf"):
        raise PackageProblem("不是有效的BagIt证据包：bagit.txt 不得以字节顺序标记（BOM）开头")
    declared = dict(tags(declaration.split(b"\n"), "bagit.txt"))
    missing = [t for t in ("BagIt-Version", "Tag-File-Character-Encoding") if t not in declared]
    if missing:
        raise PackageProblem(f"不是有效的BagIt证据包：bagit.txt 缺少必需的标签 {'、'.join(missing)}")
    if oxum:
        size, _, count = oxum[0].partition(".")
        if not size.isdigit() or not count.isdigit():
            raise PackageProblem(
                f"不是有效的BagIt证据包：Payload-Oxum 的值 {oxum[0]} 格式不对（应为“字节数.文件数”）"
            )
        if (int(count), int(size)) != payload:
            raise PackageProblem(
                f"Payload-Oxum 不符：{BAG_INFO} 记载 {count} 个文件、{size} 字节，"
                f"证据包实有 {payload[0]} 个文件、{payload[1]} 字节（导出后文件被添加、删除或改动）"
            )
    for name, digest in sorted(tagmanifest.items()):
        entry = root.get(name)
        if entry is None:
            raise PackageProblem(f"{TAGMANIFEST} 列有文件 {name}，但证据包中没有（导出后被删除）")
        if (known.get(name) or digest_of(archive.stream(entry))) != digest:
            raise PackageProblem(f"文件 {name} 的SHA-256与 {TAGMANIFEST} 所列不符（导出后被改动）")
