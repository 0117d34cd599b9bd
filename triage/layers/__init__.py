"""Layers: read-only byte streams over other streams (image formats, volumes, encryption)."""

from triage.layers.base import Layer, LayerError, Opened, Stream
from triage.layers.registry import LAYERS, register

__all__ = ["LAYERS", "Layer", "LayerError", "Opened", "Stream", "register"]
