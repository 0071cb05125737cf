"""Identity numbers (issue 13 item 6): masking, encryption at rest, keyed commitments, the key file."""

from __future__ import annotations

import base64
import json
import math
import stat
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from caseflow import identity

PASSPORT = "E12345678"
RESIDENT = "110101199001011234"


# --- masking -------------------------------------------------------------------------------------


def shown(number: str, masked: str) -> list[int]:
    """Positions ``masked`` shows (not ``*``), each checked to be the number's own character."""
    text = number.strip()
    assert len(masked) == len(text)
    positions = [i for i, ch in enumerate(masked) if ch != identity.MASK]
    assert all(masked[i] == text[i] for i in positions)
    return positions


@given(st.text(min_size=1, max_size=80))
def test_masking_hides_at_least_half_of_any_number(number: str) -> None:
    masked = identity.mask(number)
    text = number.strip()
    positions = shown(number, masked)
    assert len(positions) <= len(text) // 2  # at least ceil(n / 2) characters hidden
    assert len(text) - len(positions) >= math.ceil(len(text) / 2)
    # only a short prefix and suffix stay
    assert all(i < identity.MAX_PREFIX or i >= len(text) - identity.MAX_SUFFIX for i in positions)
    assert identity.hidden_share(number, masked) >= 0.5


@given(st.text(alphabet="0123456789X", min_size=1, max_size=5))
def test_very_short_numbers_are_masked_whole(number: str) -> None:
    assert identity.mask(number) == identity.MASK * len(number)


def test_masks_of_common_numbers() -> None:
    # The example E12*****78 shows 5 of 9 characters (4 hidden, less than half): at least
    # half hidden means at most 4 shown.
    assert identity.mask(PASSPORT) == "E1*****78"
    assert identity.mask(RESIDENT) == "1101**********1234"  # 8 of 18 shown
    assert identity.mask("91310115MA1FL2X4Q0") == "9131**********X4Q0"
    assert identity.mask("１１０１０１１９９００１０１１２３Ｘ") == "１１０１**********１２３Ｘ"
    assert identity.mask("G1234") == "*****"


# --- the key, encryption and commitments ---------------------------------------------------------


def test_key_created_on_first_use_readable_by_its_owner_only(isolated_data_dir: Path) -> None:
    path = isolated_data_dir / "keys" / "identity.key"
    assert not path.exists()
    sealed = identity.seal("居民身份证", RESIDENT)
    assert path.exists() and stat.S_IMODE(path.stat().st_mode) == 0o600
    document = json.loads(path.read_text(encoding="utf-8"))
    assert document["format"] == identity.FORMAT and document["current"] in document["keys"]
    assert RESIDENT not in sealed.enc and sealed.enc.startswith(f"v1:{document['current']}:")
    assert identity.decrypt(sealed.enc) == RESIDENT
    assert identity.ensure_key() == (path, False)  # created once


def test_key_file_setting_outside_the_data_dir(
    isolated_data_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.conftest import _forget_settings

    elsewhere = tmp_path / "secrets" / "caseflow-identity.key"
    monkeypatch.setenv("CASEFLOW_IDENTITY_KEY_FILE", str(elsewhere))
    _forget_settings()
    identity.seal("护照", PASSPORT)
    assert elsewhere.exists() and not (isolated_data_dir / "keys" / "identity.key").exists()


def test_each_encryption_is_fresh_and_tampering_is_detected(isolated_data_dir: Path) -> None:
    first, second = identity.encrypt(RESIDENT), identity.encrypt(RESIDENT)
    assert first != second  # a fresh nonce each time: equal numbers are not visible as equal
    version, kid, body = first.split(":", 2)
    raw = bytearray(base64.b64decode(body))
    raw[-1] ^= 0x01  # one bit of the authentication tag (a base64 letter may only touch padding bits)
    flipped = base64.b64encode(bytes(raw)).decode()
    with pytest.raises(identity.IdentityKeyError):
        identity.decrypt(f"{version}:{kid}:{flipped}")


def test_another_installations_key_cannot_decrypt(isolated_data_dir: Path, tmp_path: Path) -> None:
    sealed = identity.seal("居民身份证", RESIDENT)
    other = identity.load_keys(tmp_path / "other.key")
    with pytest.raises(identity.IdentityKeyError, match="not the key the data was written with"):
        identity.decrypt(sealed.enc, other)
    # the same key id with another secret: the authenticated encryption refuses it
    same_id = identity.IdentityKeys(other.current, other.commitment, {identity.key_id(sealed.enc): bytes(32)})
    with pytest.raises(identity.IdentityKeyError, match="cannot be decrypted"):
        identity.decrypt(sealed.enc, same_id)
    # and its commitments differ: the HMAC is keyed, not a plain hash of a guessable number
    assert identity.commitment("居民身份证", RESIDENT, other) != sealed.hmac


def test_rotation_keeps_old_ciphertexts_readable_and_commitments_stable(isolated_data_dir: Path) -> None:
    before = identity.seal("居民身份证", RESIDENT)
    old_kid = identity.key_id(before.enc)
    new_kid = identity.rotate_key()
    assert new_kid != old_kid
    after = identity.seal("居民身份证", RESIDENT)
    assert identity.key_id(after.enc) == new_kid
    assert identity.decrypt(before.enc) == identity.decrypt(after.enc) == RESIDENT
    assert after.hmac == before.hmac  # look-ups and the chain's commitments survive a rotation


def test_commitment_is_over_the_normalised_type_and_number(isolated_data_dir: Path) -> None:
    base = identity.commitment("居民身份证", "11010119900101123x")
    assert base.startswith("hmac-sha256:") and len(base) == len("hmac-sha256:") + 64
    assert identity.commitment(" 居民身份证 ", "１１０１０１１９９００１０１１２３Ｘ") == base
    assert identity.commitment("居民身份证", "110101 19900101 123X") == base
    assert identity.commitment("护照", "11010119900101123X") != base
    assert identity.commitment("居民身份证", "110101199001011230") != base


def test_missing_key_is_an_error_not_a_new_key_when_reading(isolated_data_dir: Path) -> None:
    sealed = identity.seal("居民身份证", RESIDENT)
    (isolated_data_dir / "keys" / "identity.key").unlink()
    with pytest.raises(identity.IdentityKeyError, match="missing"):
        identity.decrypt(sealed.enc)
    assert not (isolated_data_dir / "keys" / "identity.key").exists()


# --- old payloads on output ----------------------------------------------------------------------


def test_old_payload_redacted_for_output() -> None:
    payload = json.dumps(
        {"action": "register", "facts": {"id_number": RESIDENT, "applicant_name": "王小明"}, "seq": 1},
        ensure_ascii=False,
        sort_keys=True,
        separators=(",", ":"),
    )
    event = {"seq": 1, "payload": payload, "hash": "ab" * 32}
    shown_event = identity.masked_event(event)
    assert RESIDENT not in json.dumps(shown_event, ensure_ascii=False)
    assert shown_event["redacted"] == "identity" and shown_event["hash"] == event["hash"]
    facts = json.loads(shown_event["payload"])["facts"]
    assert facts == {
        "id_number": "1101**********1234",
        "id_number_redacted": True,
        "applicant_name": "王小明",
    }
    assert identity.redacted_hidden_enough(shown_event["payload"])
    # a payload without a clear number is left exactly as it is
    new = payload.replace(f'"id_number":"{RESIDENT}"', '"id_number_hmac":"hmac-sha256:00"')
    assert identity.masked_event({"payload": new}) == {"payload": new}


def test_first_use_in_several_processes_makes_one_key(isolated_data_dir: Path) -> None:
    """Workers starting together: one creates the key, the others read that one."""
    from concurrent.futures import ThreadPoolExecutor

    path = isolated_data_dir / "keys" / "identity.key"
    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(lambda _: identity.ensure_key(path), range(16)))
    assert sum(created for _, created in results) == 1
    sealed = identity.seal("居民身份证", RESIDENT)
    assert identity.decrypt(sealed.enc, identity.load_keys(path, create=False)) == RESIDENT
    assert [p.name for p in path.parent.iterdir()] == ["identity.key"]  # no temporary file left
