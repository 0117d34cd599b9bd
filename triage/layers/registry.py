"""The registered layers, in probe order; a duplicate name is an error."""

from __future__ import annotations

from triage.layers.base import Layer, Stream

LAYERS: dict[str, Layer] = {}


def register(layer: Layer) -> Layer:
    """Add `layer` to the probe order (insertion order); registering a name twice is a bug."""
    if layer.name in LAYERS:
        raise ValueError(f"layer {layer.name!r} is registered twice")
    LAYERS[layer.name] = layer
    return layer


def identify(stream: Stream, *, beside: bool = False) -> Layer | None:
    """The first registered layer whose probe accepts `stream`, or None.

    `beside` picks the layers that offer views beside a volume (snapshots) instead of the ones
    that wrap it (see Layer.beside).
    """
    layers = [layer for layer in LAYERS.values() if layer.beside == beside]
    want = max((layer.probe_bytes for layer in layers), default=0)
    head = stream.read(0, min(want, stream.size)) if want else b""
    for layer in layers:
        try:
            if layer.probe(head, stream):
                return layer
        except Exception:  # noqa: BLE001, S112 - a probe must never stop the walk
            continue
    return None
