"""Random-looking volumes (VeraCrypt, TrueCrypt, plain dm-crypt): listed as locked, never opened."""

from __future__ import annotations

from typing import Any

from triage.layers.base import Layer, Opened, Stream
from triage.layers.encrypted import LOCKED, Locked
from triage.walk.classify import HIGH_ENTROPY_BITS, entropy

# Sampled this far into the volume: VeraCrypt's header is the first 64 KiB, and 1 MiB is the
# sample classify.py's threshold was chosen on.
SAMPLE_BYTES = 1024 * 1024
EXPLANATION = ("high entropy with no known header (possibly VeraCrypt, TrueCrypt or plain "
               "dm-crypt); this build cannot open such volumes")


class HighEntropy(Layer):
    """Random-looking volumes: an encryption gap with the reason, since no header says more.

    Not in the registry: random bytes match no signature, so the walk asks this layer only
    after every registered layer and every file system has declined the stream.
    """

    name = "high entropy"
    probe_bytes = 4096

    def probe(self, head: bytes, stream: Stream) -> bool:
        sample = stream.read(0, min(SAMPLE_BYTES, stream.size))
        return len(sample) >= 64 * 1024 and entropy(sample) >= HIGH_ENTROPY_BITS

    def open(self, stream: Stream, **context: Any) -> list[Opened]:
        raise Locked(EXPLANATION, {"kind": "high entropy", "state": LOCKED,
                                   "facts": {"sample_bytes": SAMPLE_BYTES}})


HIGH_ENTROPY = HighEntropy()
