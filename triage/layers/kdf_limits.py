"""The key-derivation cost past which a volume's secret is not tried at all (damaged or crafted).

The count comes from the evidence, and the libraries that derive keys (libfsapfs, libfvde)
cannot be interrupted: billions of rounds would hold the scan for hours per attempt.
"""

from __future__ import annotations

from collections.abc import Iterable

# cryptsetup's 2 s benchmark gives 1-5 million rounds on today's CPUs and macOS aims at about
# 0.1 s (hundreds of thousands); 50 million is ~30 s here.
MAX_PBKDF2_ITERATIONS = 50_000_000


def mac_pbkdf2_problem(counts: Iterable[int], holder: str) -> str | None:
    """Why no secret is tried on a Mac volume whose `holder` (its key bag, its encryption
    context) asks for these PBKDF2 counts, or None when none is past any Mac's."""
    worst = max(counts, default=0)
    if worst > MAX_PBKDF2_ITERATIONS:
        return (f"{holder} asks for {worst:,} PBKDF2 iterations, which no Mac uses (damaged or "
                "crafted); no secret was tried")
    return None
