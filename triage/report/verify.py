"""Verifying a sealed report folder: files against the manifest, signatures, trusted signers."""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from triage.errors import InvalidInputError
from triage.keys import fingerprint, load_trusted, verify
from triage.plan.journal import JOURNAL_DIR
from triage.report.manifest import (
    MANIFEST_NAME,
    MANIFEST_SCHEMA,
    SIGNATURE_NAME,
    is_safe_relative,
    scan_output,
    sha256_file,
)
from triage.report.signatures import (
    COUNTERSIGNER,
    SIGNER,
    entry_digest,
    read_signatures,
    statement_bytes,
)

# Overall states, worst last; review shows them as they are.
VERIFIED = "verified"
UNTRUSTED = "untrusted"  # intact and validly signed, but by a key not in the trusted folder
UNSIGNED = "unsigned"
TAMPERED = "tampered"
UNFINISHED = "unfinished"  # the scan never finished: nothing was sealed yet (not tampering)
NOT_A_REPORT = "not a report"  # no such folder, or a folder that never held a report


@dataclass(frozen=True, slots=True)
class SignerStatus:
    """One signature in manifest.sig and what verification found."""

    role: str
    key: str
    name: str
    signed_utc: str
    tool_version: str
    valid: bool
    trusted: bool


@dataclass(slots=True)
class VerifyResult:
    """The outcome: ok only when every file matches and every signer is valid and trusted."""

    ok: bool
    problems: list[str] = field(default_factory=list)
    signers: list[SignerStatus] = field(default_factory=list)
    status: str = TAMPERED

    @property
    def signer(self) -> SignerStatus | None:
        return next((s for s in self.signers if s.role == SIGNER), None)

    @property
    def countersigners(self) -> list[SignerStatus]:
        return [s for s in self.signers if s.role == COUNTERSIGNER]


def _strict_b64(text: Any, size: int) -> bytes | None:
    """Decode base64 only in its one canonical spelling (no spare bits, no other alphabet)."""
    if not isinstance(text, str):
        return None
    try:
        raw = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        return None
    if len(raw) != size or base64.b64encode(raw).decode("ascii") != text:
        return None
    return raw


def _raw(public: Ed25519PublicKey) -> bytes:
    return public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def _check_files(out_dir: Path, manifest: dict[str, Any], problems: list[str]) -> None:
    listed: dict[str, dict[str, Any]] = {}
    for item in manifest["files"]:
        path = item.get("path") if isinstance(item, dict) else None
        if not isinstance(path, str) or not is_safe_relative(path) or path in listed:
            problems.append(f"{MANIFEST_NAME} lists a bad or repeated path {path!r}.")
            continue
        listed[path] = item
    if (out_dir / JOURNAL_DIR).exists():
        problems.append(f"{JOURNAL_DIR} is still there: the scan did not finish; finish it "
                        f"with `triage scan --resume {out_dir}`.")
    scan = scan_output(out_dir)
    for rel in scan.irregular:
        problems.append(f"{rel} is a link or special file, which triage never writes.")
    for rel in scan.files:
        if rel not in listed:
            problems.append(f"{rel} is not in {MANIFEST_NAME}: it was added after sealing.")
    present = set(scan.files)
    for rel, item in listed.items():
        if rel not in present:
            problems.append(f"{rel} is listed in {MANIFEST_NAME} but missing: it was removed.")
            continue
        actual = sha256_file(out_dir / rel)
        if actual != item.get("sha256") or (out_dir / rel).stat().st_size != item.get("size"):
            problems.append(
                f"{rel} does not match {MANIFEST_NAME} (SHA-256 {actual}, sealed as "
                f"{item.get('sha256')}): it was changed after sealing."
            )


def _check_entry(
    index: int,
    entry: dict[str, Any],
    previous: dict[str, Any] | None,
    manifest_sha256: str,
    trusted: dict[str, Ed25519PublicKey] | None,
    trusted_dir: Path | None,
    problems: list[str],
) -> SignerStatus:
    who = f"signature {index} ({entry['role']}, key {entry['key']}, {entry['name']!r})"
    start = len(problems)
    expected_role = SIGNER if previous is None else COUNTERSIGNER
    if entry["role"] != expected_role:
        problems.append(f"{who} should be a {expected_role}: {SIGNATURE_NAME} was altered.")
    raw_public = _strict_b64(entry["public_key"], 32)
    public = None if raw_public is None else Ed25519PublicKey.from_public_bytes(raw_public)
    if public is None or fingerprint(public) != entry["key"]:
        problems.append(f"{who} carries a public key that does not match its fingerprint.")
    if entry["manifest_sha256"] != manifest_sha256:
        problems.append(f"{who} is over a different manifest: {MANIFEST_NAME} was changed.")
    wanted_previous = None if previous is None else entry_digest(previous)
    if entry["previous"] != wanted_previous:
        problems.append(f"{who} does not countersign the signature before it.")
    signature = _strict_b64(entry["signature"], 64)
    crypto_ok = (
        public is not None
        and signature is not None
        and verify(public, signature, statement_bytes(entry))
    )
    if not crypto_ok and public is not None:
        problems.append(f"{who} is not a valid signature: {SIGNATURE_NAME} was altered.")
    valid = len(problems) == start
    is_trusted = False
    if trusted is None:
        problems.append(f"{who} cannot be trusted: no trusted keys folder was given (--trusted).")
    elif entry["key"] not in trusted:
        problems.append(f"{who} is not among the trusted keys in {trusted_dir}.")
    else:
        # Compare whole keys, not only the 64-bit fingerprints, so a forged look-alike fails.
        is_trusted = raw_public is not None and _raw(trusted[entry["key"]]) == raw_public
        if not is_trusted:
            problems.append(f"{who} is not the trusted key with that fingerprint.")
    return SignerStatus(
        entry["role"], entry["key"], entry["name"], entry["signed_utc"], entry["tool_version"],
        valid, is_trusted,
    )


def load_trusted_dir(trusted_dir: Path | None) -> dict[str, Ed25519PublicKey] | None:
    """Trusted keys by fingerprint, or None when no folder was given."""
    if trusted_dir is None:
        return None
    if not trusted_dir.is_dir():
        raise InvalidInputError(
            f"trusted keys folder {trusted_dir} does not exist; check --trusted."
        )
    return load_trusted(trusted_dir)


def verify_report(out_dir: Path, trusted: Path | None) -> VerifyResult:
    """Check every file against the manifest, every signature, and that signers are trusted."""
    trusted_keys = load_trusted_dir(trusted)
    if not out_dir.is_dir():
        what = "is not a folder" if out_dir.exists() else "does not exist"
        return VerifyResult(False, [f"{out_dir} {what}; give a report folder."],
                            status=NOT_A_REPORT)
    manifest_path = out_dir / MANIFEST_NAME
    if not manifest_path.is_file() and (out_dir / JOURNAL_DIR).exists():
        return VerifyResult(False, [f"the scan in {out_dir} never finished, so nothing was sealed; "
                                    f"finish it with `triage scan --resume {out_dir}`, then verify "
                                    "it."], status=UNFINISHED)
    if not manifest_path.is_file() and not (out_dir / "report.json").exists():
        return VerifyResult(False, [f"{out_dir} holds no report (no report.json or "
                                    f"{MANIFEST_NAME}); give a report folder."],
                            status=NOT_A_REPORT)
    if not manifest_path.is_file():
        return VerifyResult(
            False, [f"{MANIFEST_NAME} is missing: the report was never sealed or it was removed."]
        )
    manifest_raw = manifest_path.read_bytes()
    try:
        manifest = json.loads(manifest_raw)
    except ValueError:
        manifest = None
    if (
        not isinstance(manifest, dict)
        or manifest.get("schema") != MANIFEST_SCHEMA
        or not isinstance(manifest.get("files"), list)
    ):
        return VerifyResult(False, [f"{MANIFEST_NAME} is not a readable manifest: it was altered."])
    problems: list[str] = []
    _check_files(out_dir, manifest, problems)
    files_ok = not problems
    try:
        entries = read_signatures(out_dir)
    except InvalidInputError as exc:
        return VerifyResult(False, [*problems, str(exc)], [], TAMPERED)
    if not entries:
        problems.append(f"the report is unsigned ({SIGNATURE_NAME} is missing).")
        return VerifyResult(False, problems, [], UNSIGNED if files_ok else TAMPERED)
    manifest_sha256 = hashlib.sha256(manifest_raw).hexdigest()
    signers: list[SignerStatus] = []
    previous: dict[str, Any] | None = None
    for index, entry in enumerate(entries, 1):
        signers.append(
            _check_entry(index, entry, previous, manifest_sha256, trusted_keys, trusted, problems)
        )
        previous = entry
    if not files_ok or not all(s.valid for s in signers):
        status = TAMPERED
    elif not all(s.trusted for s in signers):
        status = UNTRUSTED
    else:
        status = VERIFIED
    return VerifyResult(not problems, problems, signers, status)
