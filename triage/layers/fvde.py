"""Core Storage / FileVault 2 volumes (macOS 10.7-10.12), unlocked with libfvde (pyfvde)."""

from __future__ import annotations

from typing import Any

import pyfvde

from triage.layers.base import LayerError, Stream
from triage.layers.encrypted import (
    EncryptionLayer,
    LibyalStream,
    StreamFile,
    Unlocked,
    libyal_cause,
    unlock_mac,
)
from triage.layers.registry import register
from triage.layers.secrets import PASSPHRASE, RECOVERY_PASSWORD, Secret

# A Core Storage physical volume header: version 1 at byte 8, signature "CS" at byte 88.
_VERSION_AT, _SIGNATURE_AT = 8, 88
ONLY_FIRST_LIMIT = "only the first logical volume of this Core Storage group is examined"


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


class FileVault(EncryptionLayer):
    """FileVault 2 (Core Storage): the user's password or the recovery key."""

    name = "filevault"
    secret_kinds = frozenset({PASSPHRASE, RECOVERY_PASSWORD})

    def probe(self, head: bytes, stream: Stream) -> bool:
        return head[_SIGNATURE_AT:_SIGNATURE_AT + 2] == b"CS" and head[
            _VERSION_AT:_VERSION_AT + 2] == b"\x01\x00"

    def facts(self, stream: Stream) -> dict[str, Any]:
        volume, group, _ = _open(stream)
        try:
            return {"volume_group": group.get_name(),
                    "volume_group_id": str(group.get_identifier()).upper(),
                    "logical_volumes": [
                        {"name": lv.get_name(), "id": str(lv.get_identifier()).upper(),
                         "size": lv.get_size()} for lv in group.logical_volumes]}
        finally:
            volume.close()

    def attempt(self, stream: Stream, secret: Secret | None) -> Unlocked | None:
        volume, group, handle = _open(stream)
        if not group.get_number_of_logical_volumes():
            volume.close()
            return None
        logical = group.get_logical_volume(0)
        protector = "not encrypted"
        try:
            if logical.is_locked():
                protector = None if secret is None else unlock_mac(logical, secret)
        except OSError:
            protector = None
        if protector is None:
            volume.close()
            return None
        return Unlocked(LibyalStream(logical, logical.get_size(), (volume, handle)), protector,
                        str(logical.get_identifier()).upper())

    def limits(self, facts: dict[str, Any]) -> list[str]:
        return [ONLY_FIRST_LIMIT] if len(facts.get("logical_volumes", [])) > 1 else []


register(FileVault())
