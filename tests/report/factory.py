"""Builds report folders shaped like the scan's output (report.json + files.jsonl.gz)."""

from __future__ import annotations

import copy
import gzip
import json
from pathlib import Path
from typing import Any

from triage.report.canonical import canonical_bytes

# A suspect-chosen name that would run script if any value reached the page unescaped.
HOSTILE_NAME = "<img src=x onerror=alert(1)>.jpg"

SHA = {
    "a": "a" * 64,
    "b": "b" * 64,
    "c": "c" * 64,
}


def record(
    path: str,
    *,
    meta_addr: int,
    size: int = 1234,
    deleted: bool = False,
    sha256: str | None = None,
    source: str = "suspect.img",
    index: int = 1,
    offset: int = 1048576,
    fs: str = "ntfs",
    **extra: Any,
) -> dict[str, Any]:
    """One file record as FileRecord.to_dict writes it to files.jsonl.gz."""
    name = path.rsplit("/", 1)[-1]
    address = f"{source} · p{index}@{offset} {fs} · {path} · inode {meta_addr}"
    out = {
        "address": address,
        "source": source,
        "partition": {"index": index, "offset": offset, "fs": fs},
        "path": path,
        "meta_addr": meta_addr,
        "name": name,
        "size": size,
        "deleted": deleted,
        "mtime": "2024-03-01T10:00:00Z",
        "atime": "2024-03-02T11:00:00Z",
        "ctime": "2024-03-01T10:00:00Z",
        "crtime": None,
        "mime": "image/jpeg",
        "ext_mismatch": False,
        "md5": (sha256 or "d" * 64)[:32],
        "sha1": (sha256 or "d" * 64)[:40],
        "sha256": sha256 or "d" * 64,
    }
    out.update(extra)
    return out


def listing(serial: str = "SN-001") -> list[dict[str, Any]]:
    return [
        record("/Users/alex/Pictures/K001.jpg", meta_addr=201, sha256=SHA["a"]),
        record(f"/Users/alex/Pictures/{HOSTILE_NAME}", meta_addr=202, sha256=SHA["b"],
               deleted=True),
        record("/Users/alex/notes.txt", meta_addr=203, mime="text/plain",
               facts={"byte_runs": [{"file_offset": 0, "img_offset": 1050624, "len": 4096}]}),
        record("/DCIM/holiday.png", meta_addr=5, sha256=SHA["c"], source="sdcard.img",
               index=0, offset=0, fs="fat32"),
    ]


def finding(rec: dict[str, Any], **fields: Any) -> dict[str, Any]:
    keys = ("address", "source", "partition", "path", "meta_addr", "deleted", "size", "mtime",
            "atime", "ctime", "crtime", "md5", "sha1", "sha256", "mime")
    out = {key: rec[key] for key in keys}
    out.update(fields)
    return out


def report(
    level: str = "red",
    *,
    serial: str = "SN-001",
    case: str = "CASE-42",
    officer: str = "PC 1234 Smith",
    started: str = "2025-01-10T09:00:00Z",
    findings: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """A report.json in the triage-report/1 shape."""
    files = listing(serial)
    if findings is None:
        findings = [
            finding(files[0], kind="exact", severity="critical", title="Known image",
                    hashset="demo-known", hashset_version="3", category="A"),
            finding(files[1], kind="perceptual", severity="high", title="Similar image",
                    hashset="demo-known", category="B", distance=6, reference="K009"),
            finding(files[2], kind="rule", severity="medium", title="Encrypted container",
                    rule="R-7", condition="no encryption software"),
        ]
    reasons = {
        "red": ["Known indecent images were found (1 exact match)."],
        "amber": ["One partition could not be examined because it is encrypted."],
        "green": ["Everything reachable was examined and nothing was found."],
    }[level]
    return {
        "schema": "triage-report/1",
        "verdict": {"level": level, "reasons": reasons},
        "findings": findings if level != "green" else [],
        "coverage": {
            "complete": level != "amber",
            "files_seen": len(files), "files_deleted": 1, "files_hashed": len(files),
            "bytes_hashed": 4936, "files_skipped": {"too large": 1}, "read_errors": 0,
            "other_entries": {"symlink": 2},
            "volumes": [
                {"source": "suspect.img", "index": 1, "offset": 1048576, "size": 10485760,
                 "fs": "ntfs", "status": "examined", "files": 3},
                {"source": "suspect.img", "index": 2, "offset": 11534336, "size": 5242880,
                 "fs": "bitlocker", "status": "not_examined", "reason": "encrypted (BitLocker)",
                 "files": 0},
            ],
            "not_examined": [{"source": "suspect.img", "what": "unpartitioned space",
                              "offset": 16777216, "size": 4096, "reason": "no file system"}],
            "time_budget": {"minutes": None, "reached": False},
        },
        "warnings": [{"address": "suspect.img · p1@1048576 ntfs · /bad.jpg", "stage": "read",
                      "message": "read error at byte 4096"}],
        "warnings_total": 1,
        "provenance": {
            "tool": {"name": "triage", "version": "0.1.0"},
            "started_utc": started, "finished_utc": started[:-3] + "30Z",
            "duration_s": 1.5, "host": "stick-07", "case": case, "officer": officer,
            "command": "triage scan /dev/sdb", "time_to_first_hit_s": 0.25,
            "evidence": [{"source": "suspect.img", "kind": "raw", "size": 20971520,
                          "model": "ACME Disk", "serial": serial,
                          "first_mib_sha256": "e" * 64, "last_mib_sha256": "f" * 64,
                          "read_only": True}],
            "hashsets": [{"name": "demo-known", "version": "3", "kind": "sha256", "count": 3,
                          "digest": "9" * 64, "signer": "lab", "trusted": True,
                          "expires": "2026-01-01"}],
            "rules": [{"id": "R-7", "version": "1", "file": "rules/encryption.yaml",
                       "sha256": "8" * 64}],
        },
        "outputs": {"listing": "files.jsonl.gz"},
    }


def write_scan_output(
    out_dir: Path, rep: dict[str, Any] | None = None,
    files: list[dict[str, Any]] | None = None,
) -> Path:
    """Write report.json (canonical) and files.jsonl.gz the way the scan does."""
    out_dir.mkdir(parents=True, exist_ok=True)
    rep = copy.deepcopy(rep if rep is not None else report())
    (out_dir / "report.json").write_bytes(canonical_bytes(rep))
    # mtime=0 keeps the gzip header, and so the sealed bytes, reproducible.
    with open(out_dir / "files.jsonl.gz", "wb") as raw, gzip.GzipFile(
        fileobj=raw, mode="wb", mtime=0
    ) as handle:
        for rec in files if files is not None else listing():
            handle.write(json.dumps(rec, ensure_ascii=False).encode() + b"\n")
    return out_dir
