"""The checkpoint's Merkle tree hash is RFC 9162's (section 2.1.1), computed in flat memory."""

from __future__ import annotations

import hashlib

import pytest

from caseflow.evidence.merkle import Root, leaf_hash, node_hash, root_of


def _reference(leaves: list[bytes]) -> bytes:
    """RFC 9162 2.1.1, as written: split at the largest power of two smaller than n."""
    if not leaves:
        return hashlib.sha256(b"").digest()
    if len(leaves) == 1:
        return hashlib.sha256(b"\x00" + leaves[0]).digest()
    k = 1
    while k * 2 < len(leaves):
        k *= 2
    return hashlib.sha256(b"\x01" + _reference(leaves[:k]) + _reference(leaves[k:])).digest()


# The test vector of RFC 6962's reference implementation (certificate-transparency, merkle tests).
CT_LEAVES = [bytes.fromhex(h) for h in ("", "00", "10", "2021", "3031", "40414243", "5051525354555657",
                                           "606162636465666768696a6b6c6d6e6f")]  # fmt: skip
CT_ROOTS = {
    1: "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    2: "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    3: "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    8: "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
}


@pytest.mark.parametrize("size", sorted(CT_ROOTS))
def test_certificate_transparency_vectors(size: int) -> None:
    assert root_of(CT_LEAVES[:size]).hex() == CT_ROOTS[size]


def test_empty_tree_is_the_hash_of_nothing() -> None:
    assert root_of([]) == hashlib.sha256(b"").digest()


def test_same_as_the_recursive_definition_for_every_size_up_to_70() -> None:
    leaves = [f"leaf {i}".encode() for i in range(70)]
    for n in range(71):
        tree = Root()
        for leaf in leaves[:n]:
            tree.add(leaf)
        assert tree.size == n
        assert tree.digest() == _reference(leaves[:n]), n


def test_domain_separation_leaf_versus_node() -> None:
    a, b = leaf_hash(b"a"), leaf_hash(b"b")
    # a two-leaf tree's root is not the leaf hash of the concatenated children (second preimage)
    assert root_of([b"a", b"b"]) == node_hash(a, b) != leaf_hash(a + b)
    assert root_of([b"a", b"b"]) != root_of([b"b", b"a"])
