"""Core Storage / FileVault 2 volumes (macOS 10.7-10.12): our fast path, else libfvde (pyfvde)."""

from __future__ import annotations

import weakref
from typing import Any

import pyfvde

from triage.layers import fast
from triage.layers.base import LayerError, Stream
from triage.layers.encrypted import (
    EncryptionLayer,
    LibyalStream,
    StreamFile,
    Unlocked,
    libyal_cause,
    unlock_mac,
)
from triage.layers.fvde_keys import Context, cost_problem, read_context, tweak_key, volume_key
from triage.layers.fvde_metadata import CoreStorage, CoreStorageError, read_core_storage
from triage.layers.fvde_stream import FvdeStream
from triage.layers.registry import register
from triage.layers.secrets import (
    PASSPHRASE,
    RECOVERY_PASSWORD,
    Secret,
    looks_like_mac_recovery_key,
)
from triage.layers.xts import XtsDecryptor

# A Core Storage physical volume header: version 1 at byte 8, signature "CS" at byte 88.
_VERSION_AT, _SIGNATURE_AT = 8, 88
ONLY_FIRST_LIMIT = "only the first logical volume of this Core Storage group is examined"
NOT_ENCRYPTED = "not encrypted"
# Which code decrypts an unlocked volume (coverage's `encryption.engine`): ours
# (fast.aes_engine()) for one logical volume on one physical volume with its encryption
# context in the metadata; libfvde (its own, slower AES) for the rest.
ENGINE_LIBFVDE = "libfvde"
# libfvde calls a volume unlocked only when the sector at byte 1024 is an HFS+/HFSX header;
# ours asks the same, so a key that unwraps but decrypts to anything else is never shown.
_HFS_AT, _HFS_SIGNATURES = 1024, (b"H+", b"HX")


def _open(stream: Stream) -> tuple[Any, Any, StreamFile]:
    volume = pyfvde.volume()
    handle = StreamFile(stream)
    try:
        volume.open_file_object(handle)
        volume.open_physical_volume_files_as_file_objects([handle])
        return volume, volume.get_volume_group(), handle
    except OSError as exc:
        raise LayerError(f"libfvde cannot read this Core Storage volume "
                         f"({libyal_cause(exc)})") from None


def _read(stream: Stream) -> CoreStorage:
    """read_core_storage, remembered for the last stream (facts, the cost check and each
    attempt read the same metadata: MiBs on a real volume)."""
    global _last
    remembered = _last
    if remembered is not None and remembered[0]() is stream:
        if isinstance(remembered[1], CoreStorageError):
            raise CoreStorageError(str(remembered[1]))  # fresh: no traceback piling up
        return remembered[1]
    try:
        result: CoreStorage | CoreStorageError = read_core_storage(stream)
    except CoreStorageError as exc:
        result = exc
    try:
        _last = (weakref.ref(stream), result)
    except TypeError:  # a stream that cannot be weakly referenced: read again next time
        _last = None
    if isinstance(result, CoreStorageError):
        raise result
    return result


_last: tuple[weakref.ref[Any], CoreStorage | CoreStorageError] | None = None


def _context(storage: CoreStorage) -> Context | None:
    return read_context(storage.context) if storage.context is not None else None


class FileVault(EncryptionLayer):
    """FileVault 2 (Core Storage): the user's password or the recovery key."""

    name = "filevault"
    secret_kinds = frozenset({PASSPHRASE, RECOVERY_PASSWORD})

    def probe(self, head: bytes, stream: Stream) -> bool:
        return head[_SIGNATURE_AT:_SIGNATURE_AT + 2] == b"CS" and head[
            _VERSION_AT:_VERSION_AT + 2] == b"\x01\x00"

    def facts(self, stream: Stream) -> dict[str, Any]:
        try:
            return _our_facts(_read(stream))
        except CoreStorageError:
            pass  # libfvde's reading, and its words for what is wrong
        volume, group, _ = _open(stream)
        try:
            return {"volume_group": group.get_name(),
                    "volume_group_id": str(group.get_identifier()).upper(),
                    "logical_volumes": [
                        {"name": lv.get_name(), "id": str(lv.get_identifier()).upper(),
                         "size": lv.get_size()} for lv in group.logical_volumes]}
        finally:
            volume.close()

    def refusal(self, stream: Stream) -> str | None:
        try:
            context = _context(_read(stream))
        except CoreStorageError:
            return None  # unread here: libfvde decides (its count is not known)
        return cost_problem(context) if context is not None else None

    def attempt(self, stream: Stream, secret: Secret | None) -> Unlocked | None:
        try:
            storage = _read(stream)
            context = _context(storage)
            if secret is not None and context is not None:
                problem = cost_problem(context)
                if problem is not None:  # never handed to libfvde either
                    raise LayerError(problem)
            return _our_attempt(stream, storage, context, secret)
        except CoreStorageError as exc:
            unlocked = _libfvde_attempt(stream, secret)
            if unlocked is not None:
                unlocked.details.update(engine=ENGINE_LIBFVDE, engine_reason=str(exc))
            return unlocked

    def limits(self, facts: dict[str, Any]) -> list[str]:
        return [ONLY_FIRST_LIMIT] if len(facts.get("logical_volumes", [])) > 1 else []


def _our_facts(storage: CoreStorage) -> dict[str, Any]:
    """The facts libfvde gives, from our reading of the same metadata."""
    return {"volume_group": storage.group_name, "volume_group_id": storage.group_id,
            "logical_volumes": [{"name": lv.name, "id": lv.uuid, "size": lv.size}
                                for lv in storage.volumes]}


def _our_attempt(stream: Stream, storage: CoreStorage, context: Context | None,
                 secret: Secret | None) -> Unlocked | None:
    """The volume decrypted here, None when `secret` opens no user; CoreStorageError for a
    variant left to libfvde."""
    if len(storage.volumes) != 1 or storage.physical_volumes != 1:
        raise CoreStorageError(f"{len(storage.volumes)} logical volumes on "
                               f"{storage.physical_volumes} physical volumes")
    volume = storage.volumes[0]
    if not (volume.segments and volume.segments[0].logical == 0 and volume.size
            and volume.family and volume.uuid):
        raise CoreStorageError("the logical volume's description is incomplete")
    details: dict[str, Any] = {"engine": fast.aes_engine()}
    if storage.problems:
        details["problems"] = list(storage.problems)
    plain = FvdeStream(stream, volume, storage.block_size, storage.bytes_per_sector, None)
    head = plain.read(_HFS_AT, 2)
    if head in _HFS_SIGNATURES:
        return Unlocked(plain, NOT_ENCRYPTED, volume.uuid, details)
    if secret is None:
        return None
    if len(head) < 2:  # nothing to decrypt: no secret is worth a derivation
        raise LayerError(f"the logical volume's data lies beyond the end of the "
                         f"{stream.size}-byte image (truncated)")
    if context is None:
        raise CoreStorageError("no encryption context in the metadata")
    if context.conversion not in (None, "Complete"):
        raise CoreStorageError(f"the volume's conversion is {context.conversion!r}")
    key = volume_key(context, secret.value)
    if key is None:
        return None  # libfvde reads the same users: the secret opens none of them
    decryptor = XtsDecryptor(key + tweak_key(key, volume.family), storage.bytes_per_sector)
    decrypted = FvdeStream(stream, volume, storage.block_size, storage.bytes_per_sector,
                           decryptor)
    if decrypted.read(_HFS_AT, 2) not in _HFS_SIGNATURES:
        raise CoreStorageError("the key unwraps but the volume does not decrypt to HFS+")
    protector = "recovery key" if looks_like_mac_recovery_key(secret.value) else "password"
    return Unlocked(decrypted, protector, volume.uuid, details)


def _libfvde_attempt(stream: Stream, secret: Secret | None) -> Unlocked | None:
    volume, group, handle = _open(stream)
    if not group.get_number_of_logical_volumes():
        volume.close()
        return None
    logical = group.get_logical_volume(0)
    protector = NOT_ENCRYPTED
    try:
        if logical.is_locked():
            protector = None if secret is None else unlock_mac(logical, secret)
    except OSError:
        protector = None
    if protector is None:
        volume.close()
        return None
    return Unlocked(LibyalStream(logical, logical.get_size(), (volume, handle)), protector,
                    str(logical.get_identifier()).upper(), {"engine": ENGINE_LIBFVDE})


register(FileVault())
