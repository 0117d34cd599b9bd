"""What the user asked a scan to do: sources aside, every option with its default."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

from triage.containers import ContainerLimits
from triage.keys import SigningKey
from triage.layers.secrets import KeyRing
from triage.plan.journal import CHECKPOINT_EVERY_S

# Two workers match the two cores of the machines this runs on; hashing and picture decoding
# release the GIL (pictures go to worker processes), so both cores are used.
WORKERS = 2


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
    # Secrets for encrypted volumes and the prompt for more. Never written down: `--resume` is
    # given them again.
    keyring: KeyRing | None = field(default=None, metadata={"transient": True})
