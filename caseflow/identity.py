"""Identity numbers (PIPL): encrypted at rest, committed to by a keyed HMAC, masked for display.

An applicant's full ID number lives in one column, ``applicant.id_number_enc``: AES-256-GCM under a
key kept outside the database (``CASEFLOW_IDENTITY_KEY_FILE``, default
``$CASEFLOW_DATA_DIR/keys/identity.key``, mode 0600). Everything else sees only:

- ``id_number_hmac``: ``hmac-sha256:<hex>``, HMAC-SHA256 over the normalised (ID type, number) with
  a key derived apart from the encryption key. Look-ups (an applicant's requests this month, the
  applicants of a disclosure candidate) compare commitments, and new evidence events carry it, so
  a number can be proven against the chain without being written into it;
- ``id_number_masked``: the number with at least half of its characters hidden (``mask``).

The key file is JSON: a format tag, the key id used for new ciphertexts (``current``), the key id
the commitment key is derived from (``commitment``, fixed for the life of the data: commitments
are compared across years and stored in the chain) and the keys by id. A ciphertext names its key
id (``v1:<kid>:<base64>``), so a key can be rotated: ``rotate_key`` adds a new current key and
``reencrypt`` rewrites the rows still under an older one. The key file is part of a backup
(``keys/``): without it no full number can be read back.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import math
import os
import secrets
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, cast

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from caseflow.settings import get_settings

if TYPE_CHECKING:
    from sqlmodel import Session

    from caseflow.models import Applicant, OnlineApplication

FORMAT = "caseflow-identity-key/1"
CIPHER_PREFIX = "v1"
COMMITMENT_PREFIX = "hmac-sha256:"
MASK = "*"
#: Numbers shorter than this are masked whole.
FULLY_MASKED_BELOW = 6
#: The most characters a masked number shows at each end.
MAX_PREFIX, MAX_SUFFIX = 4, 4


class IdentityKeyError(Exception):
    """The identity key is missing, unreadable or not the one the data was written with."""


# --- masking -------------------------------------------------------------------------------------


def mask(number: str) -> str:
    """Hide at least half of ``number``'s characters: a short prefix and suffix stay, the rest are
    ``*`` (one per character). E12345678 -> E1*****78; an 18-character 身份证 number shows 8;
    numbers shorter than 6 characters are masked whole."""
    text = number.strip()
    n = len(text)
    if n < FULLY_MASKED_BELOW:
        return MASK * n
    shown = n // 2  # so that at least ceil(n / 2) are hidden
    suffix = min(MAX_SUFFIX, shown // 2)
    prefix = min(MAX_PREFIX, shown - suffix)
    return text[:prefix] + MASK * (n - prefix - suffix) + text[n - suffix :]


def hidden_share(number: str, masked: str) -> float:
    """The share of ``number``'s characters that ``masked`` does not show (for checks and tests)."""
    text = number.strip()
    if not text:
        return 1.0
    shown = sum(1 for a, b in zip(text, masked, strict=False) if b != MASK and a == b)
    return 1 - shown / len(text)


# --- the key -------------------------------------------------------------------------------------


def key_path() -> Path:
    settings = get_settings()
    return settings.identity_key_file or settings.data_dir / "keys" / "identity.key"


@dataclass(frozen=True)
class IdentityKeys:
    current: str
    commitment: str
    keys: Mapping[str, bytes]
    _derived: dict[tuple[str, bytes], bytes] = field(default_factory=dict, compare=False, repr=False)

    def _derive(self, kid: str, purpose: bytes) -> bytes:
        if kid not in self.keys:
            raise IdentityKeyError(
                f"the identity key file has no key {kid!r}: it is not the key the data was written with"
            )
        derived = self._derived.get((kid, purpose))
        if derived is None:  # HKDF once per key and purpose (bulk data seals millions of numbers)
            derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=purpose).derive(
                self.keys[kid]
            )
            self._derived[(kid, purpose)] = derived
        return derived

    def encryption_key(self, kid: str) -> bytes:
        return self._derive(kid, b"caseflow identity number encryption v1")

    def commitment_key(self) -> bytes:
        return self._derive(self.commitment, b"caseflow identity number commitment v1")


def _new_secret() -> str:
    return base64.b64encode(secrets.token_bytes(32)).decode()


def _write_new(path: Path, document: dict[str, Any], *, replace: bool) -> bool:
    """Write the key file readable by its owner only; a new file appears whole or not at all.
    False when another process created it first (theirs is kept)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(document, handle, indent=2, sort_keys=True)
            handle.write("\n")
            handle.flush()
            os.fsync(handle.fileno())
        if replace:
            os.replace(tmp, path)
        else:
            os.link(tmp, path)  # fails if another process created it first
    except FileExistsError:
        return False
    finally:
        tmp.unlink(missing_ok=True)
    return True


def ensure_key(path: Path | None = None) -> tuple[Path, bool]:
    """Create the identity key once (``caseflow init`` and the first use): (its path, created)."""
    target = path or key_path()
    if target.exists():
        return target, False
    kid = f"k{secrets.token_hex(4)}"
    created = _write_new(
        target,
        {"format": FORMAT, "current": kid, "commitment": kid, "keys": {kid: _new_secret()}},
        replace=False,
    )
    return target, created


_cache: dict[tuple[str, int], IdentityKeys] = {}


def _read(path: Path) -> dict[str, Any]:
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise IdentityKeyError(f"cannot read the identity key {path}: {exc}") from None
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise IdentityKeyError(f"{path} is not a caseflow identity key ({FORMAT})")
    return document


def load_keys(path: Path | None = None, *, create: bool = True) -> IdentityKeys:
    """The identity keys (created on first use unless ``create`` is false), cached per file version."""
    target = path or key_path()
    if create:
        ensure_key(target)
    try:
        stamp = target.stat().st_mtime_ns
    except OSError:
        raise IdentityKeyError(f"the identity key {target} is missing") from None
    cached = _cache.get((str(target), stamp))
    if cached is not None:
        return cached
    document = _read(target)
    try:
        keys = {str(k): base64.b64decode(v, validate=True) for k, v in document["keys"].items()}
        loaded = IdentityKeys(str(document["current"]), str(document["commitment"]), keys)
    except (KeyError, TypeError, AttributeError, ValueError) as exc:
        raise IdentityKeyError(f"{target}: malformed identity key ({exc})") from None
    if (
        loaded.current not in keys
        or loaded.commitment not in keys
        or any(len(k) != 32 for k in keys.values())
    ):
        raise IdentityKeyError(f"{target}: malformed identity key (unknown key id or not 32 bytes)")
    _cache.clear()
    _cache[(str(target), stamp)] = loaded
    return loaded


def rotate_key(path: Path | None = None) -> str:
    """Add a new key and make it the one new ciphertexts use (the commitment key stays): its id."""
    target = path or key_path()
    document = _read(target)
    kid = f"k{secrets.token_hex(4)}"
    document["keys"][kid] = _new_secret()
    document["current"] = kid
    _write_new(target, document, replace=True)
    return kid


def reencrypt(session: Session, batch: int = 500) -> int:
    """After ``rotate_key``: rewrite the ciphertexts still under an older key with the current one,
    applicants' (``applicant.id_number_enc``) and online applications' (``online_application.
    id_number_enc``, the number as submitted on the portal); commitments and masked forms do not
    change; commits per batch; returns the rows rewritten (of both tables)."""
    from caseflow.models import Applicant, OnlineApplication  # noqa: F811 - at run time

    keys = load_keys(create=False)
    return sum(_reencrypt_table(session, model, keys, batch) for model in (Applicant, OnlineApplication))


def _reencrypt_table(
    session: Session, model: type[Applicant] | type[OnlineApplication], keys: IdentityKeys, batch: int
) -> int:
    from sqlmodel import col, select

    current = f"{CIPHER_PREFIX}:{keys.current}:"
    done, last = 0, 0
    while True:
        rows = cast(
            "Sequence[Applicant | OnlineApplication]",
            session.exec(
                select(model)
                .where(col(model.id) > last, ~col(model.id_number_enc).startswith(current))
                .order_by(col(model.id))
                .limit(batch)
            ).all(),
        )
        if not rows:
            return done
        for row in rows:
            row.id_number_enc = encrypt(decrypt(row.id_number_enc, keys), keys)
            session.add(row)
        last = rows[-1].id or last
        done += len(rows)
        session.commit()


# --- encryption and commitment -------------------------------------------------------------------


def _aad(kid: str) -> bytes:
    return f"caseflow identity number|{CIPHER_PREFIX}|{kid}".encode()


def encrypt(number: str, keys: IdentityKeys | None = None) -> str:
    """``v1:<kid>:<base64(nonce || AES-256-GCM ciphertext and tag)>``."""
    k = keys or load_keys()
    nonce = secrets.token_bytes(12)
    sealed = AESGCM(k.encryption_key(k.current)).encrypt(nonce, number.encode("utf-8"), _aad(k.current))
    return f"{CIPHER_PREFIX}:{k.current}:{base64.b64encode(nonce + sealed).decode()}"


def key_id(ciphertext: str) -> str:
    return ciphertext.split(":", 2)[1] if ciphertext.count(":") >= 2 else ""


def decrypt(ciphertext: str, keys: IdentityKeys | None = None) -> str:
    version, _, rest = ciphertext.partition(":")
    kid, _, body = rest.partition(":")
    if version != CIPHER_PREFIX or not kid or not body:
        raise IdentityKeyError("not an encrypted identity number")
    k = keys or load_keys(create=False)
    try:
        raw = base64.b64decode(body, validate=True)
        return AESGCM(k.encryption_key(kid)).decrypt(raw[:12], raw[12:], _aad(kid)).decode("utf-8")
    except (InvalidTag, ValueError) as exc:
        raise IdentityKeyError(
            "the identity number cannot be decrypted with this installation's identity key "
            f"({exc.__class__.__name__}): it is not the key the data was written with"
        ) from None


def normalise(id_type: str, number: str) -> tuple[str, str]:
    """What makes two numbers the same: NFKC (full-width digits are digits), no white space, upper case."""
    kind = unicodedata.normalize("NFKC", id_type).strip()
    text = "".join(unicodedata.normalize("NFKC", number).split()).upper()
    return kind, text


def commitment(id_type: str, number: str, keys: IdentityKeys | None = None) -> str:
    """``hmac-sha256:<hex>`` over the normalised (ID type, number), under the commitment key."""
    k = keys or load_keys()
    message = json.dumps(list(normalise(id_type, number)), ensure_ascii=False, separators=(",", ":"))
    digest = hmac.new(k.commitment_key(), message.encode("utf-8"), hashlib.sha256).hexdigest()
    return COMMITMENT_PREFIX + digest


@dataclass(frozen=True)
class Sealed:
    """What the applicant row and the register event hold instead of the number."""

    enc: str
    hmac: str
    masked: str


def seal(id_type: str, number: str, keys: IdentityKeys | None = None) -> Sealed:
    k = keys or load_keys()
    return Sealed(encrypt(number, k), commitment(id_type, number, k), mask(number))


class _HasIdentity(Protocol):
    id_type: str
    id_number_enc: str
    id_number_hmac: str


def reveal(applicant: _HasIdentity) -> str:
    """The full number (callers record the view: ``view_identity``)."""
    return decrypt(applicant.id_number_enc)


def matches(applicant: _HasIdentity, facts: Mapping[str, Any]) -> bool:
    """Does a register event's ``facts`` name this applicant's number? New events carry the
    commitment (``id_number_hmac``), events before it the number in clear (``id_number``)."""
    if "id_number_hmac" in facts:
        return hmac.compare_digest(str(facts["id_number_hmac"]).encode(), applicant.id_number_hmac.encode())
    if "id_number" in facts:
        return hmac.compare_digest(reveal(applicant).encode(), str(facts["id_number"]).encode())
    return False


# --- evidence payloads written before the commitment ---------------------------------------------

#: An event shown or exported with its clear identity number replaced (its hash as recorded).
REDACTED = "identity"


def redact_payload(payload: str) -> str | None:
    """An old payload whose facts hold ``id_number`` in clear, with the number masked and
    ``id_number_redacted: true`` added; None when there is nothing to redact. The text is
    canonical again, but its hash is no longer the event's: it stands in for the stored payload."""
    if '"id_number":' not in payload:
        return None
    try:
        body = json.loads(payload)
    except ValueError:
        return None
    facts = body.get("facts") if isinstance(body, dict) else None
    if not isinstance(facts, dict) or not isinstance(facts.get("id_number"), str):
        return None
    facts["id_number"] = mask(facts["id_number"])
    facts["id_number_redacted"] = True
    return json.dumps(body, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def masked_event(event: dict[str, Any]) -> dict[str, Any]:
    """An event for output (the events API, a masked package): old clear payloads redacted and
    marked ``"redacted": "identity"``; everything else, the hashes included, as stored."""
    redacted = redact_payload(event["payload"]) if isinstance(event.get("payload"), str) else None
    if redacted is None:
        return event
    return {**event, "payload": redacted, "redacted": REDACTED}


def redacted_hidden_enough(payload: str) -> bool:
    """A redacted payload shows its number masked (what a verifier may ask of one)."""
    try:
        facts = json.loads(payload).get("facts", {})
    except (ValueError, AttributeError):
        return False
    value = facts.get("id_number") if isinstance(facts, dict) else None
    return (
        isinstance(facts, dict)
        and facts.get("id_number_redacted") is True
        and isinstance(value, str)
        and value.count(MASK) >= math.ceil(len(value.strip()) / 2)
    )
