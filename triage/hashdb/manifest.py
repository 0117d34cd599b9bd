"""The bundle manifest: what it records, how it is written and read back safely."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from triage.errors import InvalidInputError
from triage.files import sha256_file

FORMAT = "triage-hashset/1"
MANIFEST = "manifest.json"
SIGNATURE = "signature.json"
REFS_TEXT = "refs.txt"
REFS_OFFSETS = "refs.off"
KEY_SUFFIX = "key"  # <algorithm>.key: sorted little-endian uint64 of the first 8 digest bytes
TAIL_SUFFIX = "tail"  # <algorithm>.tail: the remaining digest bytes, same order
FENCE_SUFFIX = "fence"  # <algorithm>.fence: every FENCE_STRIDE-th key, read into memory
MAX_MANIFEST_BYTES = 16 << 20  # a manifest lists a few dozen files; anything bigger is not ours

_REQUIRED = ("format", "name", "version", "kind", "created", "counts", "files")


class BundleError(InvalidInputError):
    """A bundle folder that cannot be used at all (missing, unreadable, malformed manifest)."""


def encode(manifest: dict[str, Any]) -> bytes:
    """The exact bytes signed and stored: sorted keys, two-space indent, trailing newline."""
    return (json.dumps(manifest, indent=2, sort_keys=True, ensure_ascii=False) + "\n").encode()


def read(directory: Path, fmt: str = FORMAT, what: str = "hash-set"
         ) -> tuple[dict[str, Any], bytes]:
    """(manifest, its raw bytes) of a bundle folder, validated enough to open the bundle.

    `fmt` and `what` let other signed lab folders (keyword lists) share the same checks.
    """
    path = directory / MANIFEST
    try:
        size = path.stat().st_size
        if size > MAX_MANIFEST_BYTES:
            raise BundleError(f"{path} is too large to be a {what} manifest; rebuild the bundle.")
        raw = path.read_bytes()
    except OSError as exc:
        raise BundleError(f"cannot read {path}: {exc.strerror}; rebuild the bundle.") from exc
    try:
        manifest = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise BundleError(f"{path} is not valid JSON ({exc}); rebuild the bundle.") from exc
    if not isinstance(manifest, dict):
        raise BundleError(f"{path} is not a {what} manifest; rebuild the bundle.")
    missing = [key for key in _REQUIRED if key not in manifest]
    if missing:
        raise BundleError(f"{path} lacks {', '.join(missing)}; rebuild the bundle.")
    if manifest["format"] != fmt:
        raise BundleError(
            f"{path} has format {manifest['format']!r}, this tool reads {fmt!r}; "
            "rebuild the bundle with this version."
        )
    if not isinstance(manifest["files"], dict) or not isinstance(manifest["counts"], dict):
        raise BundleError(f"{path} has malformed 'files' or 'counts'; rebuild the bundle.")
    for name in manifest["files"]:
        # Names come from the manifest: never let one reach outside the bundle folder.
        if not isinstance(name, str) or "/" in name or "\\" in name or name.startswith("."):
            raise BundleError(f"{path} names an invalid file {name!r}; rebuild the bundle.")
    return manifest, raw


def altered_files(folder: Path, listed: dict[str, Any], label: str) -> list[str]:
    """Problems found by re-hashing every file of a signed folder (a hash-set bundle, a block
    filter) against its manifest's `files`, and files the manifest does not list; empty when
    intact."""
    problems = []
    for name, expected in sorted(listed.items()):
        path = folder / name
        try:
            ok = (isinstance(expected, dict) and path.stat().st_size == expected.get("size")
                  and sha256_file(path) == expected.get("sha256"))
        except OSError:
            problems.append(f"{label} was altered (file {name} is missing)")
            continue
        if not ok:
            problems.append(f"{label} was altered (file {name} does not match its manifest)")
    allowed = set(listed) | {MANIFEST, SIGNATURE}
    for extra in sorted(p.name for p in folder.iterdir() if p.name not in allowed):
        problems.append(f"{label} was altered (file {extra} is not in its manifest)")
    return problems
