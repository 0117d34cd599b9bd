"""The layer registry: probe order, duplicate names refused, a failing probe skipped."""

from __future__ import annotations

from typing import Any

import pytest

from triage.layers import registry
from triage.layers.base import Layer, Opened, Stream


class _Bytes:
    def __init__(self, data: bytes) -> None:
        self.data = data
        self.size = len(data)

    def read(self, offset: int, length: int) -> bytes:
        return self.data[offset : offset + length]


class _Magic(Layer):
    def __init__(self, name: str, magic: bytes) -> None:
        self.name = name
        self.magic = magic

    def probe(self, head: bytes, stream: Stream) -> bool:
        return head.startswith(self.magic)

    def open(self, stream: Stream, **context: Any) -> list[Opened]:
        return [Opened(self.name, stream)]


class _Broken(_Magic):
    def probe(self, head: bytes, stream: Stream) -> bool:
        raise RuntimeError("probe bug")


@pytest.fixture()
def empty_registry(monkeypatch: pytest.MonkeyPatch) -> dict[str, Layer]:
    layers: dict[str, Layer] = {}
    monkeypatch.setattr(registry, "LAYERS", layers)
    return layers


def test_first_matching_layer_in_registration_order(empty_registry: dict[str, Layer]) -> None:
    registry.register(_Broken("broken", b"AB"))
    registry.register(_Magic("ab", b"AB"))
    registry.register(_Magic("a", b"A"))
    assert registry.identify(_Bytes(b"ABC")).name == "ab"
    assert registry.identify(_Bytes(b"AX")).name == "a"
    assert registry.identify(_Bytes(b"X")) is None


def test_duplicate_name_is_refused(empty_registry: dict[str, Layer]) -> None:
    registry.register(_Magic("vmdk", b"KDMV"))
    with pytest.raises(ValueError, match="registered twice"):
        registry.register(_Magic("vmdk", b"KDMV"))
