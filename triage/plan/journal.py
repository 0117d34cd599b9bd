"""The scan's journal: what a killed scan leaves behind so `triage scan --resume OUT` goes on."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

from triage.errors import UsageError
from triage.ledger.serial import to_json
from triage.report.atomic import write_atomic

JOURNAL_DIR = ".journal"
REQUEST = "scan.json"  # the sources and options, written before anything is read
CHECKPOINT = "checkpoint.json"  # the scan's state at its latest consistent point
# The state is saved at most this often while files are read: a SIGKILL costs at most this
# much work again, and saving (a few KB, fsync'd) every 10 s costs nothing measurable.
CHECKPOINT_EVERY_S = 10.0


def _dump(path: Path, data: dict[str, Any]) -> None:
    write_atomic(path, json.dumps(data, ensure_ascii=True, separators=(",", ":")).encode())


def _load(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_bytes())
    except (OSError, ValueError) as exc:
        raise UsageError(f"cannot read {path} ({exc}); start a new scan instead.") from exc
    if not isinstance(data, dict):
        raise UsageError(f"{path} is not a scan journal; start a new scan instead.")
    return data


class Journal:
    """The journal folder inside a scan's output folder."""

    def __init__(self, out_dir: Path) -> None:
        self.folder = out_dir / JOURNAL_DIR

    def start(self, sources: list[str], options: Any, hashsets: list[dict[str, Any]],
              started_utc: dt.datetime) -> None:
        """Write the request: sources and options (derived from ScanOptions' fields; the
        signing key is never written, only whether there was one)."""
        self.folder.mkdir(parents=True, exist_ok=True)
        key = getattr(options, "signing_key", None)
        _dump(self.folder / REQUEST, {
            "sources": sources, "options": to_json(options),
            "signer": None if key is None else key.fingerprint,  # a public fingerprint only
            "hashsets": hashsets, "started_utc": started_utc.isoformat()})

    def signer(self) -> str | None:
        """The fingerprint of the key the interrupted scan was to be signed with, if any."""
        signer = self.request().get("signer")
        return signer if isinstance(signer, str) else None

    def request(self) -> dict[str, Any]:
        if not (self.folder / REQUEST).is_file():
            raise UsageError(f"{self.folder.parent} holds no interrupted scan to resume "
                             f"(no {JOURNAL_DIR}/{REQUEST}); start a new scan instead.")
        return _load(self.folder / REQUEST)

    def save(self, checkpoint: dict[str, Any]) -> None:
        _dump(self.folder / CHECKPOINT, checkpoint)

    def checkpoint(self) -> dict[str, Any] | None:
        path = self.folder / CHECKPOINT
        return _load(path) if path.is_file() else None

    def remove(self) -> None:
        for name in (REQUEST, CHECKPOINT):
            (self.folder / name).unlink(missing_ok=True)
        try:
            self.folder.rmdir()
        except OSError:
            pass  # something unexpected inside; harmless, and inside the output folder
