"""The Merkle tree hash of RFC 9162 (Certificate Transparency 2.0), section 2.1.1.

``MTH({}) = SHA-256()``, a leaf ``SHA-256(0x00 || leaf)``, an inner node
``SHA-256(0x01 || left || right)``; for n > 1 leaves the left subtree holds the largest power of two
smaller than n. ``Root`` computes it over a stream of leaves with a stack of at most log2(n) subtree
hashes, so memory does not grow with the number of leaves.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable


def leaf_hash(leaf: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + leaf).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


class Root:
    """Add leaves in order, then ``digest()`` (the tree is full: perfect subtrees are merged as
    soon as they are complete, the rest right to left at the end, as RFC 9162 splits them)."""

    def __init__(self) -> None:
        self._stack: list[tuple[int, bytes]] = []  # (number of leaves, subtree hash), sizes decreasing
        self.size = 0

    def add(self, leaf: bytes) -> None:
        size, digest = 1, leaf_hash(leaf)
        while self._stack and self._stack[-1][0] == size:
            left_size, left = self._stack.pop()
            size, digest = left_size + size, node_hash(left, digest)
        self._stack.append((size, digest))
        self.size += 1

    def digest(self) -> bytes:
        if not self._stack:
            return hashlib.sha256(b"").digest()
        digest = self._stack[-1][1]
        for _, left in reversed(self._stack[:-1]):
            digest = node_hash(left, digest)
        return digest


def root_of(leaves: Iterable[bytes]) -> bytes:
    tree = Root()
    for leaf in leaves:
        tree.add(leaf)
    return tree.digest()
