"""Packages are trusted by key: whose key signed a package, and verifying against a trusted key.

A package carries its signer's public key, which proves only that it was not changed after it was
signed, not by whom: anyone can rebuild a package and sign it with a key of their own. Trust comes
from checking the signature with a key obtained elsewhere (this installation's, or one an auditor
was given), named by its fingerprint, the SHA-256 of the public key's DER.
"""

from __future__ import annotations

from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from caseflow.evidence.export import PUBLIC_KEY
from caseflow.evidence.keys import public_key_fingerprint
from caseflow.evidence.verify import PackageProblem, Summary, verify_package
from caseflow.evidence.zipstream import ZipProblem, ZipReader

MAX_KEY_FILE = 64 * 1024


def key_id(pem: bytes) -> str | None:
    """The fingerprint of a PEM Ed25519 public key (None when it is not one)."""
    try:
        key = serialization.load_pem_public_key(pem)
    except (ValueError, TypeError):
        return None
    return public_key_fingerprint(key) if isinstance(key, Ed25519PublicKey) else None


def embedded_key_id(package: Path) -> str | None:
    """The fingerprint of the public key a package carries (None when it has none readable)."""
    try:
        with ZipReader(package) as archive:
            for entry in archive.entries():
                if entry[0] == PUBLIC_KEY and entry[5] <= MAX_KEY_FILE:
                    return key_id(archive.read(entry))
    except (OSError, ZipProblem):
        return None
    return None


class UntrustedSigner(PackageProblem):
    """The package is signed (or claims to be) by a key other than the trusted one."""

    def __init__(self, signer: str | None, trusted: str) -> None:
        self.signer, self.trusted = signer, trusted
        super().__init__(
            f"证据包不是用受信任的密钥签名的，不予采信：包内签名密钥指纹 {signer or '（无）'}，"
            f"受信任的签名密钥指纹 {trusted}"
        )


def verify_trusted(package: Path, trusted_pem: bytes) -> tuple[Summary, str]:
    """Verify ``package`` against ``trusted_pem``: (summary, the trusted key's fingerprint).

    A package whose own key is another key is refused as ``UntrustedSigner`` (whatever else is wrong
    with it); any other problem is raised as ``verify_package`` names it, and so is every problem of
    a file that carries no readable key (not a zip, say: there is no other signer to name)."""
    trusted = key_id(trusted_pem)
    if trusted is None:
        raise PackageProblem("受信任的公钥不是PEM格式的Ed25519公钥")
    try:
        return verify_package(package, trusted_pem), trusted
    except PackageProblem:
        signer = embedded_key_id(package)
        if signer is not None and signer != trusted:
            raise UntrustedSigner(signer, trusted) from None
        raise
