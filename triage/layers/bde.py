"""BitLocker volumes (incl. To Go), unlocked read-only: our fast path, else libbde (pybde)."""

from __future__ import annotations

import datetime as dt
import struct
import uuid
from typing import Any

import pybde

from triage.layers import fast
from triage.layers.base import LayerError, Stream
from triage.layers.bde_keys import unlock
from triage.layers.bde_metadata import Metadata, MetadataError, read_metadata
from triage.layers.bde_sectors import METHODS, SectorDecryptor
from triage.layers.bde_stream import BdeStream
from triage.layers.encrypted import (
    CLEAR_KEY,
    EncryptionLayer,
    LibyalStream,
    StreamFile,
    Unlocked,
    libyal_cause,
)
from triage.layers.registry import register
from triage.layers.secrets import PASSPHRASE, RECOVERY_PASSWORD, STARTUP_KEY, Secret

_SIGNATURE = b"-FVE-FS-"  # Vista, 7 and later fixed disks (at offset 3)
_TO_GO_OEM = b"MSWIN4.1"  # a To Go stick starts with a FAT "discovery volume" boot sector
# BitLocker's identifier in the boot sector (libbde's format documentation, "volume header").
_BITLOCKER_GUID = uuid.UUID("4967d63b-2e29-4ad8-8399-f6a339e3d001").bytes_le
_GUID_AT = {"fixed": 0xA0, "to go": 0x1A8}
# Where the three copies of the FVE metadata start (byte offsets in the volume).
_METADATA_AT = {"fixed": 0xB0, "to go": 0x1B8}

_PROTECTOR_KINDS = {
    pybde.key_protection_types.CLEAR_KEY: CLEAR_KEY,
    pybde.key_protection_types.TPM: "TPM",
    pybde.key_protection_types.STARTUP_KEY: STARTUP_KEY,
    pybde.key_protection_types.TPM_AND_PIN: "TPM and PIN",
    pybde.key_protection_types.RECOVERY_PASSWORD: RECOVERY_PASSWORD,
    pybde.key_protection_types.PASSWORD: "password",
}
_METHODS = {getattr(pybde.encryption_methods, name): name.lower().replace("_", "-")
            for name in dir(pybde.encryption_methods) if name.isupper()}
# libbde decrypts every sector; a volume encrypted "used disk space only" has free space that
# was never written since, and it reads as noise. Which mode was used is not in the metadata.
USED_SPACE_ONLY_LIMIT = ("free space never written since a 'used disk space only' encryption "
                         "reads as noise; unallocated space is not examined")
# Which code decrypts an unlocked volume (coverage's `encryption.engine`): ours
# (fast.aes_engine(): AES-NI or `cryptography`'s AES) for the Windows 7+ layouts with AES-CBC or
# AES-XTS; libbde (its own, slower AES) for the rest: Vista, the Elephant diffuser, metadata
# ours cannot read.
ENGINE_LIBBDE = "libbde"


def _flavour(head: bytes) -> str | None:
    if head[3:11] == _SIGNATURE:
        return "fixed"
    if head[3:11] == _TO_GO_OEM and head[0x1A8:0x1B8] == _BITLOCKER_GUID:
        return "to go"
    return None


class BitLocker(EncryptionLayer):
    """BitLocker: clear key, recovery password, password, startup key (.BEK)."""

    name = "bitlocker"
    probe_bytes = 512
    secret_kinds = frozenset({RECOVERY_PASSWORD, PASSPHRASE, STARTUP_KEY})

    def probe(self, head: bytes, stream: Stream) -> bool:
        return _flavour(head) is not None

    def facts(self, stream: Stream) -> dict[str, Any]:
        head = stream.read(0, 512)
        flavour = _flavour(head) or "fixed"
        facts: dict[str, Any] = {"to_go": flavour == "to go"}
        offsets = struct.unpack_from("<3Q", head, _METADATA_AT[flavour])
        volume = pybde.volume()
        try:
            volume.open_file_object(StreamFile(stream))
        except OSError as exc:
            ours = _our_facts(stream)  # libbde refuses a volume with one damaged copy
            if ours is not None:
                return {**facts, **ours}
            if offsets[0] and offsets[0] >= stream.size:
                raise LayerError(f"the BitLocker metadata lies at byte {offsets[0]}, beyond the "
                                 f"end of the {stream.size}-byte volume (truncated)") from None
            raise LayerError("libbde cannot read this BitLocker volume "
                             f"({libyal_cause(exc)})") from None
        try:
            facts.update(_volume_facts(volume))
        finally:
            volume.close()
        return facts

    def attempt(self, stream: Stream, secret: Secret | None) -> Unlocked | None:
        try:
            meta = read_metadata(stream)
            if meta.method not in METHODS:
                raise MetadataError(f"encryption method 0x{meta.method:04x} is decrypted by "
                                    "libbde")
            keys = unlock(meta.protectors, meta.fvek, meta.method, secret)
            if keys is None:
                return None  # libbde reads the same protectors: the secret opens none of them
            plain = BdeStream(stream, meta, SectorDecryptor(keys.method, keys.fvek,
                                                              meta.bytes_per_sector))
        except (MetadataError, OSError, ValueError) as exc:
            unlocked = self._libbde_attempt(stream, secret)
            if unlocked is not None:
                unlocked.details.update(engine=ENGINE_LIBBDE, engine_reason=str(exc))
            return unlocked
        details: dict[str, Any] = {"engine": fast.aes_engine()}
        if meta.problems:
            details["problems"] = list(meta.problems)
        return Unlocked(plain, keys.protector, keys.protector_id, details)

    def _libbde_attempt(self, stream: Stream, secret: Secret | None) -> Unlocked | None:
        volume = pybde.volume()
        handle = StreamFile(stream)
        try:
            if secret is not None and secret.kind == RECOVERY_PASSWORD:
                volume.set_recovery_password(secret.value)
            elif secret is not None and secret.kind == PASSPHRASE:
                volume.set_password(secret.value)
            elif secret is not None:
                volume.read_startup_key(secret.value)
            volume.open_file_object(handle)
            if volume.is_locked() and not volume.unlock():
                volume.close()
                return None
        except OSError:
            # libbde refuses a key it cannot use (a .BEK of another volume) with an error.
            volume.close()
            return None
        kind = CLEAR_KEY if secret is None else (
            "password" if secret.kind == PASSPHRASE else secret.kind)
        return Unlocked(LibyalStream(volume, volume.get_size(), handle), kind,
                        _protector_id(volume, kind), {"engine": ENGINE_LIBBDE})

    def fits(self, secret: Secret, facts: dict[str, Any]) -> bool:
        # Each recovery password or password attempt costs libbde about 2-3 s (a million
        # SHA-256 rounds), so a secret is tried only where a protector of its kind exists.
        kinds = {p["kind"] for p in facts.get("key_protectors", [])}
        wanted = {RECOVERY_PASSWORD: RECOVERY_PASSWORD, PASSPHRASE: "password",
                  STARTUP_KEY: STARTUP_KEY}.get(secret.kind)
        return wanted in kinds

    def limits(self, facts: dict[str, Any]) -> list[str]:
        return [USED_SPACE_ONLY_LIMIT]


def _protectors(volume: pybde.volume) -> list[dict[str, str]]:
    out = []
    for index in range(volume.get_number_of_key_protectors()):
        protector = volume.get_key_protector(index)
        kind = _PROTECTOR_KINDS.get(protector.get_type(), f"type 0x{protector.get_type():04x}")
        out.append({"kind": kind, "id": str(protector.get_identifier()).upper()})
    return out


def _protector_id(volume: pybde.volume, kind: str) -> str | None:
    ids = [p["id"] for p in _protectors(volume) if p["kind"] == kind]
    return ids[0] if len(ids) == 1 else None  # with two of a kind libbde does not say which


def _volume_facts(volume: pybde.volume) -> dict[str, Any]:
    created = volume.get_creation_time()
    if isinstance(created, dt.datetime):
        created_text = created.replace(microsecond=0).isoformat()
    else:
        created_text = None
    method = volume.get_encryption_method()
    return {
        "volume_id": str(volume.get_volume_identifier()).upper(),
        # Windows writes "COMPUTERNAME C: 05/12/2026": the officer asks for that PC's key.
        "description": volume.get_description() or "",
        "created": created_text,
        "method": _METHODS.get(method, f"0x{method:04x}" if method is not None else None),
        "key_protectors": _protectors(volume),
    }


def _our_facts(stream: Stream) -> dict[str, Any] | None:
    """The same facts from our own reading of the metadata, or None when it fails too."""
    try:
        meta = read_metadata(stream)
    except (MetadataError, OSError):
        return None
    return _metadata_facts(meta)


def _metadata_facts(meta: Metadata) -> dict[str, Any]:
    created = dt.datetime(1601, 1, 1) + dt.timedelta(microseconds=meta.created // 10)
    facts: dict[str, Any] = {
        "volume_id": meta.volume_id,
        "description": meta.description,
        "created": created.replace(microsecond=0).isoformat() if meta.created else None,
        "method": _METHODS.get(meta.method, f"0x{meta.method:04x}"),
        "key_protectors": [{"kind": p.kind, "id": p.id} for p in meta.protectors],
    }
    if meta.problems:
        facts["problems"] = list(meta.problems)
    return facts


register(BitLocker())
