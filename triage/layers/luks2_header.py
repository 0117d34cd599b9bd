"""The LUKS2 on-disk header: its JSON metadata, and a key slot opened with a passphrase.

Follows the LUKS2 on-disk format specification (cryptsetup, docs/on-disk-format-luks2.pdf):
a binary header with a SHA-256 checksum, JSON describing key slots, digests and segments;
a key slot's area holds the volume key split by the anti-forensic (AF) splitter.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import struct
from dataclasses import dataclass
from typing import Any

from argon2.low_level import Type, hash_secret_raw

from triage.layers.base import LayerError, Stream
from triage.layers.luks_limits import check_argon2, check_pbkdf2, check_split
from triage.layers.xts import XtsDecryptor

MAGIC_PRIMARY = b"LUKS\xba\xbe"
MAGIC_SECONDARY = b"SKUL\xba\xbe"
_BINARY_HEADER = 4096
# The header sizes cryptsetup may write (LUKS2 spec, section 2): 16 KiB up to 4 MiB.
_HEADER_SIZES = tuple(16384 << n for n in range(9))
_CHECKSUM_AT, _CHECKSUM_LEN = 0x1C0, 64
# Ciphers the data and key-slot decryption here supports; others are named in the reason.
SUPPORTED_CIPHERS = ("aes-xts-plain64", "aes-xts-plain")
_ARGON2 = {"argon2i": Type.I, "argon2id": Type.ID}


@dataclass(frozen=True)
class Segment:
    """The encrypted data: where it starts, how long (None: to the end), how it is encrypted."""

    offset: int
    size: int | None
    cipher: str
    sector_size: int
    iv_tweak: int


@dataclass(frozen=True)
class Header:
    """What a LUKS2 header says (the parsed JSON plus the binary header's UUID and label)."""

    uuid: str
    label: str
    metadata: dict[str, Any]

    def segment(self) -> Segment:
        crypt = [s for _, s in sorted(self.metadata["segments"].items(), key=lambda kv: int(kv[0]))
                 if s.get("type") == "crypt"]
        if not crypt:
            raise LayerError("the LUKS2 header lists no encrypted data segment")
        seg = crypt[0]
        size = None if seg["size"] == "dynamic" else int(seg["size"])
        return Segment(int(seg["offset"]), size, seg["encryption"], int(seg["sector_size"]),
                       int(seg.get("iv_tweak", "0")))

    def keyslots(self) -> list[dict[str, Any]]:
        """The key slots' facts for the officer (no key material)."""
        out = []
        for slot_id, slot in sorted(self.metadata["keyslots"].items(), key=lambda kv: int(kv[0])):
            out.append({"slot": int(slot_id), "type": slot.get("type"),
                        "kdf": slot.get("kdf", {}).get("type"),
                        "priority": slot.get("priority", 1)})
        return out

    def reencrypting(self) -> bool:
        """True while an online re-encryption is unfinished (two segments, mixed keys)."""
        return any(s.get("type") == "reencrypt" for s in self.metadata["keyslots"].values())


def _checksum_ok(binary: bytes, json_area: bytes) -> bool:
    algorithm = binary[0x48:0x68].rstrip(b"\0").decode("ascii", "replace")
    if algorithm not in hashlib.algorithms_available:
        return False
    digest = hashlib.new(algorithm)
    digest.update(binary[:_CHECKSUM_AT] + b"\0" * _CHECKSUM_LEN + binary[_CHECKSUM_AT + 64:])
    digest.update(json_area)
    want = binary[_CHECKSUM_AT : _CHECKSUM_AT + digest.digest_size]
    return hmac.compare_digest(digest.digest(), want)


def _parse_at(stream: Stream, offset: int, magic: bytes) -> Header | None:
    binary = stream.read(offset, _BINARY_HEADER)
    if len(binary) < _BINARY_HEADER or binary[:6] != magic:
        return None
    version, hdr_size = struct.unpack_from(">HQ", binary, 6)
    if version != 2 or hdr_size not in _HEADER_SIZES:
        return None
    json_area = stream.read(offset + _BINARY_HEADER, hdr_size - _BINARY_HEADER)
    if len(json_area) != hdr_size - _BINARY_HEADER or not _checksum_ok(binary, json_area):
        return None
    try:
        metadata = json.loads(json_area.split(b"\0", 1)[0])
    except ValueError:
        return None
    if not isinstance(metadata, dict) or not {"keyslots", "segments", "digests"} <= set(metadata):
        return None
    text = lambda at, n: binary[at : at + n].split(b"\0", 1)[0].decode("utf-8", "replace")  # noqa: E731
    return Header(text(0xA8, 40), text(0x18, 48), metadata)


def read_header(stream: Stream) -> Header:
    """The primary header, or the secondary copy when the primary is damaged."""
    header = _parse_at(stream, 0, MAGIC_PRIMARY)
    if header is not None:
        return header
    first = stream.read(0, _BINARY_HEADER)
    sizes = (struct.unpack_from(">Q", first, 8)[0],) if first[:6] == MAGIC_PRIMARY else ()
    for offset in (*sizes, *_HEADER_SIZES):
        header = _parse_at(stream, offset, MAGIC_SECONDARY)
        if header is not None:
            return header
    raise LayerError("the LUKS2 header is damaged (checksum or JSON) in both copies")


def _derive(kdf: dict[str, Any], secret: bytes, length: int, what: str) -> bytes:
    salt = _b64(kdf["salt"])
    if kdf["type"] == "pbkdf2":
        check_pbkdf2(int(kdf["iterations"]), what)
        return hashlib.pbkdf2_hmac(kdf["hash"], secret, salt, int(kdf["iterations"]), length)
    if kdf["type"] in _ARGON2:
        check_argon2(int(kdf["time"]), int(kdf["memory"]), what)
        return hash_secret_raw(secret, salt, time_cost=int(kdf["time"]),
                               memory_cost=int(kdf["memory"]), parallelism=int(kdf["cpus"]),
                               hash_len=length, type=_ARGON2[kdf["type"]])
    raise LayerError(f"LUKS2 key derivation {kdf['type']!r} is not supported")


def _b64(text: str) -> bytes:
    return base64.b64decode(text)


def _xor(a: bytes, b: bytes) -> bytes:
    return (int.from_bytes(a, "little") ^ int.from_bytes(b, "little")).to_bytes(len(a), "little")


def _diffuse(data: bytes, hash_name: str) -> bytes:
    size = hashlib.new(hash_name).digest_size
    out = bytearray()
    for index in range(0, -(-len(data) // size)):
        chunk = data[index * size : (index + 1) * size]
        out += hashlib.new(hash_name, struct.pack(">I", index) + chunk).digest()[: len(chunk)]
    return bytes(out)


def af_merge(material: bytes, key_size: int, stripes: int, hash_name: str) -> bytes:
    """The key that the anti-forensic splitter spread over `stripes` stripes (LUKS1 spec 2.4)."""
    buffer = bytes(key_size)
    for stripe in range(stripes - 1):
        block = material[stripe * key_size : (stripe + 1) * key_size]
        buffer = _diffuse(_xor(buffer, block), hash_name)
    last = material[(stripes - 1) * key_size : stripes * key_size]
    return _xor(buffer, last)


def _digest_ok(header: Header, slot_id: str, key: bytes) -> bool:
    for digest in header.metadata["digests"].values():
        if slot_id not in digest.get("keyslots", []) or digest.get("type") != "pbkdf2":
            continue
        want = _b64(digest["digest"])
        check_pbkdf2(int(digest["iterations"]), "the LUKS2 volume key digest")
        got = hashlib.pbkdf2_hmac(digest["hash"], key, _b64(digest["salt"]),
                                  int(digest["iterations"]), len(want))
        if hmac.compare_digest(got, want):
            return True
    return False


def open_keyslot(stream: Stream, header: Header, slot_id: str, passphrase: bytes) -> bytes | None:
    """The volume key from key slot `slot_id` with `passphrase`, or None when it does not fit."""
    slot = header.metadata["keyslots"][slot_id]
    if slot.get("type") != "luks2" or slot.get("af", {}).get("type") != "luks1":
        return None
    area, af = slot["area"], slot["af"]
    if area.get("encryption") not in SUPPORTED_CIPHERS:
        raise LayerError(f"LUKS2 key slot cipher {area.get('encryption')!r} is not supported")
    key_size, stripes = int(slot["key_size"]), int(af["stripes"])
    what = f"LUKS2 key slot {slot_id}"
    check_split(key_size, stripes, what)
    length = key_size * stripes
    sectors = -(-length // 512)
    material = stream.read(int(area["offset"]), sectors * 512)
    if len(material) < sectors * 512:
        raise LayerError("the LUKS2 key slot area lies beyond the end of the volume (truncated)")
    area_key = _derive(slot["kdf"], passphrase, int(area["key_size"]), what)
    plain = XtsDecryptor(area_key, 512).decrypt(material, 0)
    key = af_merge(plain[:length], key_size, stripes, af["hash"])
    return key if _digest_ok(header, slot_id, key) else None
