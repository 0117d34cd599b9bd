"""How many workers this machine can run: its usable cores, fewer when memory is short."""

from __future__ import annotations

import os

# Memory one worker needs besides what the workers share (a mapped block filter, the page
# cache): its read buffers, digests and Python itself; bounds the count on small machines.
WORKER_MEMORY = 256 << 20


def usable_cores() -> int:
    """Cores this process may run on (taskset and cgroups included)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not Linux
        return max(1, os.cpu_count() or 1)


def machine_workers() -> int:
    """Workers for this machine: one per usable core, bounded by the memory available."""
    cores = usable_cores()
    try:
        with open("/proc/meminfo", encoding="ascii") as handle:
            fields = dict(line.split(":", 1) for line in handle)
        available = int(fields["MemAvailable"].split()[0]) * 1024
    except (OSError, KeyError, ValueError):
        return cores
    return max(1, min(cores, available // WORKER_MEMORY))
