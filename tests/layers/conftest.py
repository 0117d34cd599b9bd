"""Encrypted test volumes, made once per session with cryptsetup (see encrypted_images.py)."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.layers.bitlocker_image import BitLockerImage, make_bitlocker
from tests.layers.encrypted_images import TOOLS, Made, make_luks, make_plain_ntfs

_RECIPES: dict[str, dict[str, object]] = {
    "luks2": {"version": 2, "pbkdf": "argon2id"},
    "luks2_pbkdf2_4k": {"version": 2, "pbkdf": "pbkdf2", "sector_size": 4096},
    "luks2_plain": {"version": 2, "pbkdf": "pbkdf2", "cipher": "aes-xts-plain"},
    "luks1": {"version": 1, "pbkdf": "pbkdf2"},
    # Not aes-xts: read by libluksde rather than our own XTS path.
    "luks1_cbc": {"version": 1, "pbkdf": "pbkdf2", "cipher": "aes-cbc-essiv:sha256",
                  "key_bits": 256},
    # cryptsetup 1.x's defaults: SHA-1 for PBKDF2 and the AF splitter, AES-128-XTS.
    "luks1_sha1_128": {"version": 1, "pbkdf": "pbkdf2", "hash_name": "sha1", "key_bits": 256},
}


@pytest.fixture(scope="session")
def luks_volume(tmp_path_factory: pytest.TempPathFactory) -> Callable[[str], Made]:
    """`luks_volume("luks2")`: a LUKS volume holding known pictures (skips without cryptsetup)."""
    missing = [tool for tool in TOOLS if shutil.which(tool) is None]
    made: dict[str, Made] = {}
    folder = Path(tmp_path_factory.mktemp("luks"))

    def get(name: str) -> Made:
        if missing:
            pytest.skip(f"LUKS test volumes need {', '.join(missing)}; apt-get install "
                        "cryptsetup-bin e2fsprogs")
        if name not in made:
            made[name] = make_luks(folder, name, **_RECIPES[name])  # type: ignore[arg-type]
        return made[name]

    return get


# BitLocker volumes wrap a small NTFS (libbde insists on NTFS inside), with these protectors.
_BITLOCKER = {
    "clear_key": ("clear key",),
    "protected": ("recovery password", "password", "startup key"),
}
BITLOCKER_PLAIN_SIZE = 4 * 1024 * 1024


@pytest.fixture(scope="session")
def bitlocker_volume(tmp_path_factory: pytest.TempPathFactory
                     ) -> Callable[[str], BitLockerImage]:
    """`bitlocker_volume("protected")`: a BitLocker volume (see bitlocker_image.py)."""
    missing = [tool for tool in ("mkntfs", "ntfscp") if shutil.which(tool) is None]
    made: dict[str, BitLockerImage] = {}
    folder = Path(tmp_path_factory.mktemp("bitlocker"))

    def get(name: str) -> BitLockerImage:
        if missing:
            pytest.skip(f"BitLocker test volumes need {', '.join(missing)}; apt-get install "
                        "ntfs-3g")
        if name not in made:
            plain = folder / "plain-ntfs.img"
            if not plain.exists():
                make_plain_ntfs(folder, BITLOCKER_PLAIN_SIZE)
            made[name] = make_bitlocker(folder, plain, name, _BITLOCKER[name],
                                        size=BITLOCKER_PLAIN_SIZE + 4 * 1024 * 1024)
        return made[name]

    return get
