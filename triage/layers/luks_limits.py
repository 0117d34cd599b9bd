"""Limits on what a LUKS header may ask for, so a damaged or crafted one cannot stall the scan.

A key slot's cost (PBKDF2 iterations, Argon2 time and memory, anti-forensic stripes) comes from
the evidence; cryptsetup's own defaults aim at about 2 s per slot. Far beyond that, the slot is
not tried and the volume stays locked with the reason.
"""

from __future__ import annotations

from triage.layers.base import LayerError
from triage.layers.kdf_limits import MAX_PBKDF2_ITERATIONS

# cryptsetup's Argon2 ceiling is 4 GiB; time x memory beyond 64 GiB-passes is minutes of work.
MAX_ARGON2_MEMORY_KIB = 4 * 1024 * 1024
MAX_ARGON2_WORK_KIB = 64 * 1024 * 1024
# LUKS1 always writes 4000 stripes; LUKS2 the same unless told otherwise.
MAX_STRIPES = 65536
MAX_KEY_BYTES = 64


def check_pbkdf2(iterations: int, what: str) -> None:
    """LayerError when `iterations` is past any real volume's (a damaged or crafted header)."""
    if not 0 < iterations <= MAX_PBKDF2_ITERATIONS:
        raise LayerError(f"{what} asks for {iterations} PBKDF2 iterations, which no cryptsetup "
                         "volume uses (damaged or crafted header); not tried")


def check_argon2(time_cost: int, memory_kib: int, what: str) -> None:
    """LayerError when an Argon2 cost is past any real volume's."""
    if not (0 < memory_kib <= MAX_ARGON2_MEMORY_KIB
            and 0 < time_cost * memory_kib <= MAX_ARGON2_WORK_KIB):
        raise LayerError(f"{what} asks for Argon2 with {memory_kib} KiB x {time_cost} passes, "
                         "which no cryptsetup volume uses (damaged or crafted header); not tried")


def check_split(key_bytes: int, stripes: int, what: str) -> None:
    """LayerError when the split key material would be implausibly large."""
    if not (0 < key_bytes <= MAX_KEY_BYTES and 0 < stripes <= MAX_STRIPES):
        raise LayerError(f"{what} has a {key_bytes}-byte key in {stripes} stripes, which no "
                         "cryptsetup volume uses (damaged or crafted header); not tried")
