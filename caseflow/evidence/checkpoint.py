"""Signed checkpoints of the evidence chains: the file format, its key, signing and checking.

A checkpoint file is UTF-8 JSON ``{"checkpoint": STATEMENT, "leaves": [LEAF, ...]}``:

- a LEAF is ``[tracking_no, event_count, head]``: a request, the number of its evidence events and
  the hash of its last one, in tracking-number (code-point) order, each tracking number once;
- STATEMENT is ``{"format": "caseflow-checkpoint", "version": 1, "number", "made_at", "tree_size",
  "root", "previous", "key_id", "public_key", "signature"}``: ``root`` the RFC 9162 Merkle tree hash
  (hex) over the leaves, each leaf's bytes its canonical JSON (``chain.canonical``, UTF-8);
  ``previous`` the hash of the previous checkpoint (64 zeros for the first); ``key_id`` the SHA-256
  of the checkpoint key's public key DER; ``public_key`` its raw 32 bytes (base64); ``signature``
  the Ed25519 signature (base64) over the canonical JSON of the statement without ``signature``.

A checkpoint's hash (what the next one names as ``previous``, what a TSA stamps) is the SHA-256 of
the canonical JSON of its whole statement. The leaves are bound by ``root``, so the statement is
all that must be kept elsewhere (mailed to auditors, stamped); the leaves let anyone check any
request against it later. The key is kept outside the database and outside any backup.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from caseflow.evidence.chain import GENESIS, canonical
from caseflow.evidence.keys import new_key_pair, public_key_fingerprint
from caseflow.evidence.merkle import Root
from caseflow.settings import get_settings

FORMAT = "caseflow-checkpoint"
VERSION = 1
Leaf = tuple[str, int, str]
_HEX = frozenset("0123456789abcdef")


class CheckpointProblem(Exception):
    """A checkpoint that cannot be trusted (unsigned by the key, altered, malformed); in Chinese."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


# --- the key -------------------------------------------------------------------------------------


def key_file() -> Path:
    settings = get_settings()
    return settings.checkpoint_key_file or settings.data_dir / "checkpoint-key" / "checkpoint-key.pem"


def public_key_file() -> Path:
    private = key_file()
    return private.with_name(private.name.removesuffix(".pem") + ".pub.pem")


def ensure_key() -> tuple[Ed25519PrivateKey, bool]:
    """The checkpoint key, made on first use (owner-readable only): (key, created)."""
    path = key_file()
    if path.exists():
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
        if not isinstance(key, Ed25519PrivateKey):
            raise CheckpointProblem(f"{path} 不是Ed25519私钥")
        return key, False
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    return new_key_pair(path, public_key_file()), True


def public_pem(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)


def configured_public_pem() -> bytes | None:
    """The public key of the configured checkpoint key (None when this machine has neither)."""
    if public_key_file().exists():
        return public_key_file().read_bytes()
    if key_file().exists():
        return public_pem(ensure_key()[0].public_key())
    return None


def load_public_key(pem: bytes) -> Ed25519PublicKey:
    try:
        key = serialization.load_pem_public_key(pem)
    except ValueError:
        raise CheckpointProblem("检查点公钥不是PEM格式的Ed25519公钥") from None
    if not isinstance(key, Ed25519PublicKey):
        raise CheckpointProblem("检查点公钥不是Ed25519公钥")
    return key


# --- statements ----------------------------------------------------------------------------------


def leaf_bytes(leaf: Leaf) -> bytes:
    return canonical(list(leaf)).encode("utf-8")


def sign(
    key: Ed25519PrivateKey, *, number: int, made_at: dt.datetime, tree_size: int, root: str, previous: str
) -> dict[str, Any]:
    if made_at.tzinfo is None:
        raise ValueError("a checkpoint's moment must be timezone-aware")
    public = key.public_key()
    statement: dict[str, Any] = {
        "format": FORMAT,
        "version": VERSION,
        "number": number,
        "made_at": made_at.isoformat(),
        "tree_size": tree_size,
        "root": root,
        "previous": previous,
        "key_id": public_key_fingerprint(public),
        "public_key": base64.b64encode(
            public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        ).decode(),
    }
    statement["signature"] = base64.b64encode(key.sign(canonical(statement).encode("utf-8"))).decode()
    return statement


def statement_hash(statement: dict[str, Any]) -> str:
    return hashlib.sha256(canonical(statement).encode("utf-8")).hexdigest()


def write_file(path: Path, statement: dict[str, Any], leaf_lines: Path) -> None:
    """Write the checkpoint file from the statement and a spool of canonical leaves, one a line
    (written aside, then moved into place)."""
    partial = path.with_name(path.name + ".partial")
    with partial.open("w", encoding="utf-8") as out, leaf_lines.open(encoding="utf-8") as leaves:
        out.write('{"checkpoint":' + canonical(statement) + ',\n"leaves":[')
        for i, line in enumerate(leaves):
            out.write(("," if i else "") + "\n" + line.rstrip("\n"))
        out.write("\n]}\n")
        out.flush()
        os.fsync(out.fileno())
    os.replace(partial, path)


# --- checking a file -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Checkpoint:
    statement: dict[str, Any]
    leaves: list[Leaf]

    @property
    def number(self) -> int:
        return int(self.statement["number"])

    @property
    def made_at(self) -> str:
        return str(self.statement["made_at"])

    @property
    def hash(self) -> str:
        return statement_hash(self.statement)


def _hex64(value: object) -> bool:
    return isinstance(value, str) and len(value) == 64 and set(value) <= _HEX


def check_signature(statement: dict[str, Any], trusted_pem: bytes) -> None:
    """The statement is signed by the trusted checkpoint key (else ``CheckpointProblem``)."""
    key = load_public_key(trusted_pem)
    expected = public_key_fingerprint(key)
    if statement.get("key_id") != expected:
        raise CheckpointProblem(
            f"检查点不是用受信任的检查点密钥签名的：其密钥指纹为 {statement.get('key_id')}，"
            f"受信任的检查点密钥指纹为 {expected}"
        )
    unsigned = {k: v for k, v in statement.items() if k != "signature"}
    try:
        signature = base64.b64decode(str(statement.get("signature", "")), validate=True)
        key.verify(signature, canonical(unsigned).encode("utf-8"))
    except (InvalidSignature, binascii.Error, ValueError):
        raise CheckpointProblem("检查点签名无效：检查点在签名后被改动，或不是该密钥签发的") from None


def parse(data: bytes, trusted_pem: bytes) -> Checkpoint:
    """Check a checkpoint file's bytes: its shape, its signature with the trusted key (first),
    then its Merkle root and size over its leaves; returns the checkpoint or raises."""
    try:
        body = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise CheckpointProblem("检查点文件不是UTF-8编码的JSON") from None
    statement = body.get("checkpoint") if isinstance(body, dict) else None
    raw_leaves = body.get("leaves") if isinstance(body, dict) else None
    if not isinstance(statement, dict) or not isinstance(raw_leaves, list):
        raise CheckpointProblem("检查点文件缺少 checkpoint 或 leaves")
    if statement.get("format") != FORMAT or statement.get("version") != VERSION:
        raise CheckpointProblem(f"不是本系统的检查点格式（{FORMAT} 第{VERSION}版）")
    check_signature(statement, trusted_pem)
    if not _hex64(statement.get("root")) or not _hex64(statement.get("previous")):
        raise CheckpointProblem("检查点的根哈希或前一检查点哈希格式不对")
    tree = Root()
    leaves: list[Leaf] = []
    for i, item in enumerate(raw_leaves, 1):
        if not (
            isinstance(item, list)
            and len(item) == 3
            and isinstance(item[0], str)
            and type(item[1]) is int
            and item[1] >= 1
            and _hex64(item[2])
        ):
            raise CheckpointProblem(f"检查点第{i}个叶子不是 [编号, 证据记录数, 链头哈希]")
        leaf: Leaf = (item[0], item[1], item[2])
        if leaves and leaf[0] <= leaves[-1][0]:
            raise CheckpointProblem(f"检查点第{i}个叶子 {leaf[0]} 未按编号升序排列或重复")
        leaves.append(leaf)
        tree.add(leaf_bytes(leaf))
    if tree.size != statement.get("tree_size") or tree.digest().hex() != statement["root"]:
        raise CheckpointProblem(
            "检查点的叶子与签名的默克尔根不符（叶子被增删或改动）："
            f"签名记录{statement.get('tree_size')}个叶子、根 {statement['root'][:16]}…，"
            f"文件中{tree.size}个叶子、根 {tree.digest().hex()[:16]}…"
        )
    return Checkpoint(statement, leaves)


def load(path: Path, trusted_pem: bytes) -> Checkpoint:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise CheckpointProblem(f"无法读取检查点文件 {path}：{exc.strerror}") from None
    return parse(data, trusted_pem)


__all__ = ["GENESIS", "Checkpoint", "CheckpointProblem", "Leaf", "load", "parse", "sign"]
