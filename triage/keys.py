"""Ed25519 signing keys: create, load, fingerprint, sign and verify (lab bundles and reports)."""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from triage.errors import InvalidInputError

PRIVATE_SUFFIX = ".key"
PUBLIC_SUFFIX = ".pub"


def fingerprint(public: Ed25519PublicKey) -> str:
    """A short, stable name for a public key: 16 hex digits of SHA-256 of its raw bytes."""
    raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:16]


def public_pem(public: Ed25519PublicKey) -> bytes:
    return public.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


@dataclass(frozen=True)
class SigningKey:
    """A private key with its public half and fingerprint."""

    private: Ed25519PrivateKey
    name: str

    @property
    def public(self) -> Ed25519PublicKey:
        return self.private.public_key()

    @property
    def fingerprint(self) -> str:
        return fingerprint(self.public)

    def sign(self, data: bytes) -> bytes:
        return self.private.sign(data)


def generate(directory: Path, name: str, passphrase: bytes | None = None) -> SigningKey:
    """Create NAME.key (mode 0600, optionally encrypted) and NAME.pub in `directory`."""
    directory.mkdir(parents=True, exist_ok=True)
    key_path = directory / f"{name}{PRIVATE_SUFFIX}"
    if key_path.exists():
        raise InvalidInputError(f"{key_path} already exists; choose another name or remove it.")
    private = Ed25519PrivateKey.generate()
    encryption: serialization.KeySerializationEncryption = (
        serialization.BestAvailableEncryption(passphrase)
        if passphrase
        else serialization.NoEncryption()
    )
    pem = private.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption
    )
    # Create with 0600 from the start so the key is never readable by others, even briefly.
    fd = os.open(key_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(pem)
    (directory / f"{name}{PUBLIC_SUFFIX}").write_bytes(public_pem(private.public_key()))
    return SigningKey(private, name)


def load_private(path: Path, passphrase: bytes | None = None) -> SigningKey:
    """Load a private key file written by `generate`."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InvalidInputError(f"cannot read signing key {path}: {exc.strerror}.") from exc
    try:
        private = serialization.load_pem_private_key(data, password=passphrase)
    except TypeError as exc:
        raise InvalidInputError(
            f"signing key {path} is protected by a passphrase; give it with --passphrase."
        ) from exc
    except ValueError as exc:
        raise InvalidInputError(
            f"signing key {path} is not a valid key or the passphrase is wrong."
        ) from exc
    if not isinstance(private, Ed25519PrivateKey):
        raise InvalidInputError(f"signing key {path} is not an Ed25519 key.")
    return SigningKey(private, path.stem)


def load_public(path: Path) -> Ed25519PublicKey:
    """Load a public key (PEM) file."""
    try:
        public = serialization.load_pem_public_key(path.read_bytes())
    except (OSError, ValueError) as exc:
        raise InvalidInputError(f"{path} is not a readable Ed25519 public key.") from exc
    if not isinstance(public, Ed25519PublicKey):
        raise InvalidInputError(f"{path} is not an Ed25519 public key.")
    return public


def load_trusted(directory: Path | None) -> dict[str, Ed25519PublicKey]:
    """All public keys (*.pub) in a folder of trusted keys, by fingerprint."""
    if directory is None or not directory.is_dir():
        return {}
    keys: dict[str, Ed25519PublicKey] = {}
    for path in sorted(directory.glob(f"*{PUBLIC_SUFFIX}")):
        public = load_public(path)
        keys[fingerprint(public)] = public
    return keys


def verify(public: Ed25519PublicKey, signature: bytes, data: bytes) -> bool:
    """True when `signature` is `public`'s signature over `data`."""
    try:
        public.verify(signature, data)
    except InvalidSignature:
        return False
    return True
