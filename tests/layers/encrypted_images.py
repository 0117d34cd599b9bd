"""LUKS test volumes made here with cryptsetup from an ext4 image holding known pictures.

`cryptsetup reencrypt --encrypt` works offline on an image file (no device mapper needed) and
writes LUKS2; `cryptsetup convert --type luks1` then rewrites the header as LUKS1.
"""

from __future__ import annotations

import hashlib
import io
import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from PIL import Image

from tests.fixtures.content import gradient_picture, shapes_picture

MIB = 1024 * 1024
# cryptsetup puts the LUKS header into half of the space it is told to take from the device.
REDUCE = 4 * MIB
PLAIN_SIZE = 12 * MIB
# A passphrase only a test knows; argon2 with little memory keeps each attempt quick.
PASSPHRASE = "correct horse battery staple"  # noqa: S105 - test volumes only
TOOLS = ("cryptsetup", "mkfs.ext4")


def _jpeg(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=85)
    return out.getvalue()


def pictures() -> dict[str, bytes]:
    """The files put into every test volume: path -> bytes (benign generated pictures)."""
    return {
        "/Pictures/gradient.jpg": _jpeg(gradient_picture(hue=40)),
        "/Pictures/shapes.jpg": _jpeg(shapes_picture(seed=5)),
        "/notes.txt": b"an encrypted note\n" * 50,
    }


def expected_sha256() -> dict[str, str]:
    return {path: hashlib.sha256(data).hexdigest() for path, data in pictures().items()}


@dataclass(frozen=True)
class Made:
    """An encrypted test volume and the plain file system image it was made from."""

    path: Path
    plain: Path  # the ext4 image before encryption (same bytes as the decrypted data)
    data_offset: int


def _run(*args: str, stdin: bytes | None = None) -> None:
    subprocess.run(args, input=stdin, check=True, capture_output=True)  # noqa: S603


def make_plain(folder: Path) -> Path:
    """An ext4 image of PLAIN_SIZE bytes holding pictures()."""
    tree = folder / "tree"
    for path, data in pictures().items():
        target = tree / path.lstrip("/")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
    image = folder / "plain.img"
    with image.open("wb") as handle:
        handle.truncate(PLAIN_SIZE)
    _run("mkfs.ext4", "-q", "-F", "-b", "4096", "-d", str(tree), "-E", "root_owner=0:0", str(image))
    shutil.rmtree(tree)
    return image


def make_plain_ntfs(folder: Path, size: int = PLAIN_SIZE) -> Path:
    """An NTFS image holding pictures() at its root, written with ntfscp (no mount needed).

    libbde checks that a BitLocker volume decrypts to an NTFS boot sector, so BitLocker test
    volumes wrap NTFS."""
    image = folder / "plain-ntfs.img"
    with image.open("wb") as handle:
        handle.truncate(size)
    _run("mkntfs", "-q", "-F", "-Q", "-s", "512", str(image))
    for path, data in pictures().items():
        source = folder / path.rsplit("/", 1)[-1]
        source.write_bytes(data)
        _run("ntfscp", "-f", "-q", str(image), str(source), path.rsplit("/", 1)[-1])
        source.unlink()
    return image


def expected_root_sha256() -> dict[str, str]:
    """The pictures as make_plain_ntfs stores them: at the root."""
    return {"/" + path.rsplit("/", 1)[-1]: digest for path, digest in expected_sha256().items()}


def make_luks(folder: Path, name: str, *, version: int = 2, pbkdf: str = "argon2id",
              sector_size: int = 512, cipher: str = "aes-xts-plain64", hash_name: str = "sha256",
              key_bits: int = 512) -> Made:
    """A LUKS volume whose data is the plain ext4 image; the passphrase is PASSPHRASE."""
    folder.mkdir(parents=True, exist_ok=True)
    plain = folder / "plain.img"
    if not plain.exists():
        make_plain(folder)
    image = folder / f"{name}.img"
    with image.open("wb") as out, plain.open("rb") as src:
        shutil.copyfileobj(src, out)
        out.truncate(PLAIN_SIZE + REDUCE)  # room for the header; the file system keeps its size
    key_file = folder / f"{name}.key"
    key_file.write_text(PASSPHRASE)
    kdf = ["--pbkdf", pbkdf]
    kdf += (["--pbkdf-force-iterations", "1000"] if pbkdf == "pbkdf2" else
            ["--pbkdf-force-iterations", "4", "--pbkdf-memory", "32768"])
    _run("cryptsetup", "reencrypt", "--encrypt", "--type", "luks2", "--batch-mode",
         "--reduce-device-size", f"{REDUCE // MIB}M", "--sector-size", str(sector_size),
         "--cipher", cipher, "--hash", hash_name, "--key-size", str(key_bits),
         "--key-file", str(key_file), *kdf, str(image))
    if version == 1:
        _run("cryptsetup", "convert", "--type", "luks1", "--batch-mode", str(image))
    os.unlink(key_file)
    return Made(image, plain, REDUCE // 2)
