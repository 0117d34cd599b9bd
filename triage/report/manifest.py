"""The manifest: every output file of a report with its size and SHA-256."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from triage.files import sha256_file
from triage.plan.journal import JOURNAL_DIR
from triage.report.atomic import write_atomic
from triage.report.canonical import canonical_bytes

MANIFEST_NAME = "manifest.json"
SIGNATURE_NAME = "manifest.sig"
MANIFEST_SCHEMA = "triage-manifest/1"
# Files the manifest cannot list: itself, and the signatures made over it afterwards.
UNLISTED = frozenset({MANIFEST_NAME, SIGNATURE_NAME})


@dataclass(frozen=True, slots=True)
class ManifestEntry:
    """One output file as sealed."""

    path: str  # relative, '/'-separated
    size: int
    sha256: str

    def to_dict(self) -> dict[str, Any]:
        return {"path": self.path, "size": self.size, "sha256": self.sha256}


@dataclass(frozen=True, slots=True)
class OutputScan:
    """What an output folder holds: regular files, and entries that are not regular files."""

    files: list[str]
    irregular: list[str]  # symlinks, devices, sockets: never written by triage


def scan_output(out_dir: Path) -> OutputScan:
    """List the output folder without following links, in a stable order."""
    files: list[str] = []
    irregular: list[str] = []
    for root, dirs, names in os.walk(out_dir, followlinks=False):
        rel_root = Path(root).relative_to(out_dir)
        if root == str(out_dir) and JOURNAL_DIR in dirs:
            # An unfinished scan's journal: never sealed (the scan removes it once sealed,
            # and verify refuses a folder that still has one).
            dirs.remove(JOURNAL_DIR)
        for name in dirs:
            if (Path(root) / name).is_symlink():
                irregular.append((rel_root / name).as_posix())
        for name in names:
            full = Path(root) / name
            rel = (rel_root / name).as_posix()
            if full.is_symlink() or not full.is_file():
                irregular.append(rel)
            elif rel not in UNLISTED:
                files.append(rel)
    return OutputScan(sorted(files), sorted(irregular))


def build_manifest(out_dir: Path, tool_version: str) -> dict[str, Any]:
    """The manifest of every file now in `out_dir` (except the manifest and its signatures)."""
    scan = scan_output(out_dir)
    if scan.irregular:
        raise ValueError(f"{out_dir} holds links or special files ({', '.join(scan.irregular)}).")
    entries = [
        ManifestEntry(rel, (out_dir / rel).stat().st_size, sha256_file(out_dir / rel))
        for rel in scan.files
    ]
    return {
        "schema": MANIFEST_SCHEMA,
        "tool_version": tool_version,
        "files": [entry.to_dict() for entry in entries],
    }


def write_manifest(out_dir: Path, tool_version: str) -> bytes:
    """Write manifest.json canonically and return its bytes (what the signature covers)."""
    data = canonical_bytes(build_manifest(out_dir, tool_version))
    write_atomic(out_dir / MANIFEST_NAME, data)
    return data


def is_safe_relative(path: str) -> bool:
    """True for a plain relative path that stays inside the output folder."""
    pure = PurePosixPath(path)
    return bool(path) and not pure.is_absolute() and ".." not in pure.parts and "\\" not in path
