"""FileVault 2 (Core Storage): recognised by its header; a damaged one stays locked, saying why.

No Core Storage volume small enough to commit is published under a usable licence (dfvfs's
fvdetest.qcow2 is larger than the mirrors keep), so unlocking is not tested here: see the note.
"""

from __future__ import annotations

import os

import pytest

from triage.layers import registry
from triage.layers.encrypted import Locked
from triage.layers.fvde import FileVault


class _Bytes:
    def __init__(self, data: bytes) -> None:
        self.data, self.size = data, len(data)

    def read(self, offset: int, length: int) -> bytes:
        return self.data[offset : offset + max(0, length)]


def _core_storage_head() -> bytes:
    head = bytearray(os.urandom(1024 * 1024))
    head[8:10] = b"\x01\x00"  # version 1
    head[88:90] = b"CS"  # the physical volume signature
    return bytes(head)


def test_core_storage_header_is_identified_as_filevault() -> None:
    stream = _Bytes(_core_storage_head())
    layer = registry.identify(stream)
    assert layer is not None and layer.name == "filevault"
    assert not FileVault().probe(b"\0" * 512, stream)


def test_damaged_core_storage_volume_stays_locked_with_its_kind() -> None:
    with pytest.raises(Locked) as caught:
        FileVault().open(_Bytes(_core_storage_head()))
    assert str(caught.value).startswith("filevault volume not opened: libfvde cannot read this "
                                        "Core Storage volume (")
    assert caught.value.encryption["kind"] == "filevault"
    assert caught.value.kind == "encrypted"
