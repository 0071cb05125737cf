"""The installation's Ed25519 signing key (created by ``caseflow init``) for evidence packages."""

from __future__ import annotations

import os
import time
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from caseflow.settings import get_settings


def key_paths(data_dir: Path | None = None) -> tuple[Path, Path]:
    keys = (data_dir or get_settings().data_dir) / "keys"
    return keys / "signing-key.pem", keys / "signing-key.pub.pem"


def ensure_signing_key(data_dir: Path | None = None) -> tuple[Path, bool]:
    """Create the key pair once (private key readable by its owner only): (public key path, created)."""
    private_path, public_path = key_paths(data_dir)
    if private_path.exists():
        return public_path, False
    private_path.parent.mkdir(parents=True, exist_ok=True)
    try:
        new_key_pair(private_path, public_path)
    except FileExistsError:  # another process (a second server starting) made it first: use theirs
        for _ in range(200):  # it writes the public key right after the private one
            if public_path.exists():
                break
            time.sleep(0.01)
        return public_path, False
    return public_path, True


def new_key_pair(private_path: Path, public_path: Path) -> Ed25519PrivateKey:
    """Generate an Ed25519 key, write it (PKCS#8 PEM, readable by its owner only, never over an
    existing file) and its public key (SubjectPublicKeyInfo PEM) beside it."""
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    fd = os.open(private_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(pem)
    public_path.write_bytes(
        key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )
    return key


def load_private_key(data_dir: Path | None = None) -> Ed25519PrivateKey:
    private_path, _ = key_paths(data_dir)
    key = serialization.load_pem_private_key(private_path.read_bytes(), password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise ValueError(f"{private_path} is not an Ed25519 key")
    return key


def load_public_key(data_dir: Path | None = None) -> Ed25519PublicKey:
    _, public_path = key_paths(data_dir)
    key = serialization.load_pem_public_key(public_path.read_bytes())
    if not isinstance(key, Ed25519PublicKey):
        raise ValueError(f"{public_path} is not an Ed25519 public key")
    return key


def public_key_fingerprint(key: Ed25519PublicKey) -> str:
    """How a key is named for trust decisions: SHA-256 (hex) of its public key's DER
    (SubjectPublicKeyInfo), as ``openssl pkey -pubin -outform DER | sha256sum`` computes it."""
    import hashlib

    der = key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return hashlib.sha256(der).hexdigest()


def installation_public_pem(data_dir: Path | None = None) -> bytes:
    """This installation's evidence signing public key (PEM), the key packages are trusted by."""
    return key_paths(data_dir)[1].read_bytes()
