"""The scan's journal: what a killed scan leaves behind so `triage scan --resume OUT` goes on."""

from __future__ import annotations

import base64
import datetime as dt
import json
from collections import Counter
from dataclasses import asdict, fields
from pathlib import Path
from typing import Any

from triage.containers import ContainerLimits
from triage.errors import UsageError
from triage.model import Address, FileRecord, Finding, PartitionRef, ScanWarning, Severity
from triage.report.atomic import write_atomic

JOURNAL_DIR = ".journal"
REQUEST = "scan.json"  # the sources and options, written before anything is read
CHECKPOINT = "checkpoint.json"  # the scan's state at its latest consistent point
# The state is saved at most this often while files are read: a SIGKILL costs at most this
# much work again, and saving (a few KB, fsync'd) every 10 s costs nothing measurable.
CHECKPOINT_EVERY_S = 10.0

# ScanOptions fields kept in the request (the signing key is not: it is never written down).
_OPTION_FIELDS = ("hashsets", "trusted_keys", "rules", "case", "officer", "time_budget_min",
                  "since", "command", "workers", "containers", "thumbnails",
                  "require_trusted_hashsets", "stop_on_first_red", "excluded", "boot")
_PATH_OPTIONS = ("hashsets", "trusted_keys", "rules")


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


def options_to_json(options: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name in _OPTION_FIELDS:
        value = getattr(options, name)
        if name in _PATH_OPTIONS and value is not None:
            value = str(value)
        elif name == "since" and value is not None:
            value = value.isoformat()
        elif name == "containers" and value is not None:
            value = {k: v for k, v in asdict(value).items() if k != "spill_dir"}
        out[name] = value
    return out


def options_from_json(data: dict[str, Any]) -> dict[str, Any]:
    """Keyword arguments for ScanOptions, as the interrupted scan had them."""
    out = dict(data)
    for name in _PATH_OPTIONS:
        if out.get(name) is not None:
            out[name] = Path(out[name])
    if out.get("since") is not None:
        out["since"] = dt.datetime.fromisoformat(out["since"])
    if out.get("containers") is not None:
        out["containers"] = ContainerLimits(**out["containers"])
    return out


# --- records, findings and warnings as JSON -------------------------------------------------

def record_to_json(record: FileRecord) -> dict[str, Any]:
    a = record.address
    out = {f.name: getattr(record, f.name) for f in fields(record) if f.name != "address"}
    out["address"] = [a.source, None if a.partition is None else list(
        (a.partition.index, a.partition.offset, a.partition.fs)), a.path, a.meta_addr,
        a.stream, a.member]
    return out


def record_from_json(data: dict[str, Any]) -> FileRecord:
    source, part, path, meta_addr, stream, member = data["address"]
    address = Address(source, None if part is None else PartitionRef(*part), path, meta_addr,
                      stream, member)
    return FileRecord(**{**data, "address": address})


def finding_to_json(finding: Finding) -> dict[str, Any]:
    out = {f.name: getattr(finding, f.name) for f in fields(finding)}
    out["severity"] = finding.severity.value
    out["record"] = None if finding.record is None else record_to_json(finding.record)
    return out


def finding_from_json(data: dict[str, Any]) -> Finding:
    record = None if data["record"] is None else record_from_json(data["record"])
    return Finding(**{**data, "severity": Severity(data["severity"]), "record": record})


class Journal:
    """The journal folder inside a scan's output folder."""

    def __init__(self, out_dir: Path) -> None:
        self.folder = out_dir / JOURNAL_DIR

    def start(self, sources: list[str], options: Any, hashsets: list[dict[str, Any]],
              started_utc: dt.datetime) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        _dump(self.folder / REQUEST, {
            "sources": sources, "options": options_to_json(options),
            "hashsets": hashsets, "started_utc": started_utc.isoformat()})

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


def state_to_json(state: Any) -> dict[str, Any]:
    """The parts of the scan's state a resumed scan continues from."""
    return {
        "elapsed_s": state.elapsed(), "budget_reached": state.budget_reached,
        "stopped": state.stopped, "files_seen": state.files_seen,
        "files_deleted": state.files_deleted, "files_hashed": state.files_hashed,
        "bytes_hashed": state.bytes_hashed, "read_errors": state.read_errors,
        "skipped": dict(state.skipped), "other_entries": dict(state.other_entries),
        "findings": [finding_to_json(f) for f in state.findings],
        "warnings": [asdict(w) for w in state.warnings], "warnings_total": state.warnings_total,
        "writable_devices": state.writable_devices, "volumes": state.volumes,
        "not_examined": state.not_examined, "evidence": state.evidence,
        "first_hit": state.first_hit, "first_hit_address": state.first_hit_address,
        "thumbnails": None if state.thumbnails is None else {
            k: base64.b64encode(v).decode() for k, v in state.thumbnails.items()},
        "planned": [[*k, *v] for k, v in state.planned.items()],
        "reached": [[*k, *v] for k, v in state.reached.items()],
        "done_entries": state.done_entries, "resumed": state.resumed,
        "finished": state.finished, "priority": state.priority,
        "stopped_early": state.stopped_early,
    }


def restore_state(state: Any, data: dict[str, Any]) -> None:
    """Put a checkpoint's values back into a fresh state (the inverse of state_to_json)."""
    for name in ("budget_reached", "stopped", "files_seen", "files_deleted", "files_hashed",
                 "bytes_hashed", "read_errors", "warnings_total", "writable_devices", "volumes",
                 "not_examined", "evidence", "first_hit", "first_hit_address", "done_entries",
                 "resumed",
                 "finished", "priority", "stopped_early"):
        setattr(state, name, data[name])
    state.elapsed_before = data["elapsed_s"]
    state.skipped = Counter(data["skipped"])
    state.other_entries = Counter(data["other_entries"])
    state.findings = [finding_from_json(f) for f in data["findings"]]
    state.warnings = [ScanWarning(**w) for w in data["warnings"]]
    if data["thumbnails"] is not None:
        state.thumbnails = {k: base64.b64decode(v) for k, v in data["thumbnails"].items()}
    state.planned = {(r[0], r[1]): [r[2], r[3]] for r in data["planned"]}
    state.reached = {(r[0], r[1]): [r[2], r[3]] for r in data["reached"]}
