"""manifest.sig: the signature entries over a report's manifest, written and read one way."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from triage.errors import InvalidInputError
from triage.report.atomic import write_atomic
from triage.report.canonical import canonical_bytes
from triage.report.manifest import SIGNATURE_NAME

SIGNATURE_SCHEMA = "triage-signature/1"
SIGNER, COUNTERSIGNER = "signer", "countersigner"
# The fields of one signature entry; every one but "signature" is inside what is signed.
ENTRY_FIELDS = frozenset(
    {"role", "key", "name", "public_key", "tool_version", "signed_utc", "manifest_sha256",
     "previous", "signature"}
)


def entry_digest(entry: dict[str, Any]) -> str:
    """SHA-256 of a whole signature entry (signature included): what a countersigner signs."""
    return hashlib.sha256(canonical_bytes(entry)).hexdigest()


def statement_bytes(entry: dict[str, Any]) -> bytes:
    """The bytes an entry's signature is over: every field but the signature, canonically."""
    return canonical_bytes({k: v for k, v in entry.items() if k != "signature"})


def write_signatures(out_dir: Path, entries: list[dict[str, Any]]) -> None:
    document = {"schema": SIGNATURE_SCHEMA, "signatures": entries}
    write_atomic(out_dir / SIGNATURE_NAME, canonical_bytes(document))


def read_signatures(out_dir: Path) -> list[dict[str, Any]]:
    """The entries of manifest.sig ([] when absent); any alteration of its form is an error."""
    path = out_dir / SIGNATURE_NAME
    if not path.exists():
        return []
    raw = path.read_bytes()
    try:
        document = json.loads(raw)
        canonical = canonical_bytes(document)
    except (ValueError, TypeError) as exc:
        raise InvalidInputError(f"{SIGNATURE_NAME} is not readable JSON: it was altered.") from exc
    # Written canonically, so any other spelling of the same content means someone edited it.
    if canonical != raw:
        raise InvalidInputError(f"{SIGNATURE_NAME} is not in canonical form: it was altered.")
    if (
        not isinstance(document, dict)
        or set(document) != {"schema", "signatures"}
        or document["schema"] != SIGNATURE_SCHEMA
        or not isinstance(document["signatures"], list)
        or not document["signatures"]
    ):
        raise InvalidInputError(f"{SIGNATURE_NAME} is not a {SIGNATURE_SCHEMA} document.")
    for index, entry in enumerate(document["signatures"], 1):
        if not isinstance(entry, dict) or set(entry) != ENTRY_FIELDS:
            raise InvalidInputError(f"{SIGNATURE_NAME}: signature {index} has the wrong fields.")
        for name in ENTRY_FIELDS - {"previous"}:
            if not isinstance(entry[name], str):
                raise InvalidInputError(f"{SIGNATURE_NAME}: signature {index} has a bad {name}.")
    return document["signatures"]
