"""Ed25519 signatures over a bundle's manifest, and checking them against trusted lab keys."""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import load_pem_public_key

from triage import keys
from triage.hashdb.manifest import SIGNATURE


@dataclass(frozen=True)
class SignatureCheck:
    """What the signature of a bundle says: who signed, whether it holds, whether we trust it."""

    signer: str | None  # fingerprint, None when unsigned
    valid: bool  # the signature matches the manifest bytes and the embedded key
    trusted: bool  # valid, and the signer is one of the trusted keys
    problem: str | None  # one sentence when not trusted


def sign(directory: Path, manifest_bytes: bytes, key: keys.SigningKey) -> None:
    """Write signature.json: the signer's fingerprint, public key and signature."""
    record = {
        "algorithm": "ed25519",
        "signer": key.fingerprint,
        "public_key": keys.public_pem(key.public).decode("ascii"),
        "signature": base64.b64encode(key.sign(manifest_bytes)).decode("ascii"),
    }
    (directory / SIGNATURE).write_text(json.dumps(record, indent=2, sort_keys=True) + "\n")


def check(
    directory: Path,
    manifest_bytes: bytes,
    trusted: dict[str, Ed25519PublicKey] | None,
    name: str,
    what: str = "hash set",
) -> SignatureCheck:
    """Check signature.json; with `trusted` None only validity against the embedded key counts.

    `what` names the kind of signed folder in the problem sentences ("keyword list").
    """
    label = f"{what} {name!r}"
    path = directory / SIGNATURE
    if not path.exists():
        return SignatureCheck(None, False, False, f"{label} is not signed")
    try:
        record = json.loads(path.read_bytes().decode("utf-8"))
        signer = str(record["signer"])
        signature = base64.b64decode(record["signature"], validate=True)
        embedded = load_pem_public_key(record["public_key"].encode("ascii"))
    except (OSError, ValueError, KeyError, TypeError, UnicodeError, binascii.Error):
        return SignatureCheck(None, False, False, f"{label} has an unreadable signature")
    if record.get("algorithm") != "ed25519" or not isinstance(embedded, Ed25519PublicKey):
        return SignatureCheck(signer, False, False, f"{label} is not signed with Ed25519")
    if keys.fingerprint(embedded) != signer:
        return SignatureCheck(signer, False, False, f"{label} names the wrong signer key")
    if not keys.verify(embedded, signature, manifest_bytes):
        return SignatureCheck(signer, False, False, f"{label} was altered (bad signature)")
    if trusted is None:
        return SignatureCheck(signer, True, False, None)
    known = trusted.get(signer)
    if known is None:
        return SignatureCheck(
            signer, True, False, f"{label} is signed by key {signer}, which is not trusted"
        )
    if not keys.verify(known, signature, manifest_bytes):
        return SignatureCheck(signer, False, False, f"{label} was altered (bad signature)")
    return SignatureCheck(signer, True, True, None)
