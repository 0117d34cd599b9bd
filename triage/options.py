"""What the user asked a scan to do: sources aside, every option with its default."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from triage.containers import ContainerLimits
from triage.cores import machine_workers
from triage.keys import SigningKey
from triage.layers.secrets import KeyRing
from triage.plan.journal import CHECKPOINT_EVERY_S

# Every core the scan may run on (taskset and cgroups included), bounded by memory: hashing and
# picture decoding release the GIL (pictures go to worker processes), so all of them are used.
WORKERS = machine_workers()


@dataclass
class ScanOptions:
    """What the user asked for; defaults give a full scan with nothing loaded."""

    hashsets: Path | None = None
    trusted_keys: Path | None = None
    rules: Path | None = None
    case: str | None = None
    officer: str | None = None
    subject: str | None = None  # a reference to the person the scan concerns, never a name
    time_budget_min: float | None = None
    since: dt.datetime | None = None
    command: str = ""
    workers: int = WORKERS
    # Bomb limits for looking inside archives, documents and videos; None: do not look inside.
    containers: ContainerLimits | None = field(default_factory=ContainerLimits)
    stop_on_first_red: bool = False  # the officer may end the scan at the first RED finding
    checkpoint_s: float = CHECKPOINT_EVERY_S  # how often the journal saves the state
    thumbnails: bool = False  # blurred greyscale thumbnails of flagged pictures in report.html
    artefacts: bool = True  # read browser history, registry, event logs, shell histories
    require_trusted_hashsets: bool = False  # refuse to start rather than cap the verdict
    # The stick's (or officer's) key; None: unsigned. Never written down (the journal keeps
    # only whether there was one).
    signing_key: SigningKey | None = field(default=None, metadata={"transient": True})
    # Disks deliberately left out (the stick itself), as {"source", "reason"}; the report says so.
    excluded: list[dict[str, str]] = field(default_factory=list)
    quick_pass: bool = True  # the block quick pass over raw disks, before the file scan
    quick_pass_only: bool = False  # the quick pass and nothing else (files listed, not read)
    sample: float | None = None  # fraction of each disk the quick pass reads; None: all
    sample_seed: int | None = None  # which units are sampled; None: drawn and recorded
    # How the computer booted the stick (UEFI/BIOS, Secure Boot, SbatLevel): provenance.boot.
    boot: dict[str, Any] | None = None
    # Secrets for encrypted volumes and the prompt for more. Never written down: `--resume` is
    # given them again.
    keyring: KeyRing | None = field(default=None, metadata={"transient": True})
