"""Sealing a scan's output folder: exports, manifest and the detached Ed25519 signature."""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization

from triage.errors import InvalidInputError
from triage.keys import SigningKey
from triage.model import utc_text
from triage.report import case_uco, dfxml, html
from triage.report.listing import iter_listing
from triage.report.manifest import MANIFEST_NAME, SIGNATURE_NAME, write_manifest
from triage.report.signatures import (
    COUNTERSIGNER,
    SIGNER,
    entry_digest,
    read_signatures,
    statement_bytes,
    write_signatures,
)

__all__ = ["COUNTERSIGNER", "SIGNATURE_NAME", "SIGNER", "countersign", "load_report",
           "make_entry", "seal_output", "write_exports", "write_signatures"]

REPORT_NAME = "report.json"
LISTING_DEFAULT = "files.jsonl.gz"


def load_report(out_dir: Path) -> dict[str, Any]:
    """Read report.json from an output folder."""
    path = out_dir / REPORT_NAME
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise InvalidInputError(
            f"cannot read {path}: {exc.strerror}; is it a report folder?"
        ) from exc
    try:
        # The scan writes suspect-chosen names that are not valid UTF-8 with surrogateescape.
        report = json.loads(raw.decode("utf-8", "surrogateescape"))
    except ValueError as exc:
        raise InvalidInputError(
            f"{path} is not valid JSON; re-run the scan to rebuild it."
        ) from exc
    if not isinstance(report, dict):
        raise InvalidInputError(f"{path} is not a triage report; re-run the scan to rebuild it.")
    return report


def listing_path(out_dir: Path, report: dict[str, Any]) -> Path:
    outputs = report.get("outputs") if isinstance(report.get("outputs"), dict) else {}
    name = outputs.get("listing") or LISTING_DEFAULT
    return out_dir / str(name)


def raw_public(key: SigningKey) -> bytes:
    return key.public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def make_entry(
    key: SigningKey,
    *,
    role: str,
    manifest: bytes,
    tool_version: str,
    previous: dict[str, Any] | None,
    signed_utc: str | None = None,
) -> dict[str, Any]:
    """A signed statement binding the manifest (and any earlier signature) to `key`."""
    entry: dict[str, Any] = {
        "role": role,
        "key": key.fingerprint,
        "name": key.name,
        "public_key": base64.b64encode(raw_public(key)).decode("ascii"),
        "tool_version": tool_version,
        "signed_utc": signed_utc or utc_text(),
        "manifest_sha256": hashlib.sha256(manifest).hexdigest(),
        "previous": None if previous is None else entry_digest(previous),
    }
    entry["signature"] = base64.b64encode(key.sign(statement_bytes(entry))).decode("ascii")
    return entry


def write_exports(out_dir: Path, thumbnails: Mapping[str, bytes] | None = None) -> None:
    """Write report.html, report.dfxml and report.case.jsonld beside report.json.

    `thumbnails` (finding address -> PNG) go into report.html only when the scan was asked for
    them (authorised reviewers); by default the report holds no images at all.
    """
    report = load_report(out_dir)
    listing = listing_path(out_dir, report)
    if not listing.is_file():
        raise InvalidInputError(f"the file listing {listing} is missing; re-run the scan.")
    html.write_html(out_dir / html.HTML_NAME, report, thumbnails)
    wanted = _flagged_addresses(report)
    flagged: list[dict[str, Any]] = []

    def listed() -> Iterator[dict[str, Any]]:
        # One pass over the listing for both exports: decompressing and parsing it is ~8 us a
        # file, and CASE wants only the few records a finding names.
        for record in iter_listing(listing):
            if record.get("address") in wanted:
                flagged.append(record)
            yield record

    dfxml.write_dfxml(out_dir / dfxml.DFXML_NAME, report, listed)
    case_uco.write_case(out_dir / case_uco.CASE_NAME, report, flagged)


def _flagged_addresses(report: dict[str, Any]) -> set[Any]:
    """The listing addresses a finding names: the files the CASE export describes.

    The full listing is already in files.jsonl.gz and report.dfxml; repeating it in CASE cost
    ~1.5 KB and ~35 µs per file (1.5 GB and 35 s for a million files, measured by
    bench/scan_bench.py), for no investigative gain.
    """
    findings = report.get("findings") if isinstance(report.get("findings"), list) else []
    return {f.get("address") for f in findings if isinstance(f, dict) and f.get("path")}


def seal_output(out_dir: Path, key: SigningKey | None, tool_version: str,
                thumbnails: Mapping[str, bytes] | None = None) -> None:
    """Write the exports, then manifest.json, then (given a key) the detached manifest.sig.

    A full output disk raises OutputError; the folder is then left unsealed (no manifest, no
    signature), never with a manifest or signature describing files that changed since.
    """
    for name in (SIGNATURE_NAME, MANIFEST_NAME):
        # An old manifest or signature would describe exports about to be rewritten.
        (out_dir / name).unlink(missing_ok=True)
    write_exports(out_dir, thumbnails)
    manifest = write_manifest(out_dir, tool_version)
    if key is not None:
        entry = make_entry(
            key, role=SIGNER, manifest=manifest, tool_version=tool_version, previous=None
        )
        write_signatures(out_dir, [entry])


def countersign(out_dir: Path, key: SigningKey, tool_version: str) -> dict[str, Any]:
    """Add a countersignature over the last signature; the caller verifies the report first."""
    manifest = (out_dir / MANIFEST_NAME).read_bytes()
    entries = read_signatures(out_dir)
    if not entries:
        raise InvalidInputError(
            f"{out_dir} is unsigned; only a signed report can be countersigned."
        )
    if any(e["key"] == key.fingerprint for e in entries):
        raise InvalidInputError(f"key {key.fingerprint} has already signed {out_dir}.")
    entry = make_entry(
        key, role=COUNTERSIGNER, manifest=manifest, tool_version=tool_version,
        previous=entries[-1],
    )
    write_signatures(out_dir, [*entries, entry])
    return entry
