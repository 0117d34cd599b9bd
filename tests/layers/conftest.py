"""Encrypted test volumes, made once per session with cryptsetup (see encrypted_images.py)."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.layers.bitlocker_image import (
    AES_CBC_256,
    AES_XTS_128,
    AES_XTS_256,
    NOT_ENCRYPTED,
    BitLockerImage,
    make_bitlocker,
)
from tests.layers.encrypted_images import TOOLS, Made, make_luks, make_plain_ntfs
from triage.layers import fast

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


# BitLocker volumes wrap a small NTFS (libbde insists on NTFS inside), with these protectors
# and make_bitlocker options (method: AES-128-CBC unless named).
_BITLOCKER: dict[str, tuple[tuple[str, ...], dict[str, Any]]] = {
    "clear_key": (("clear key",), {}),
    "protected": (("recovery password", "password", "startup key"), {}),
    "cbc256": (("clear key",), {"method": AES_CBC_256}),
    "xts128": (("clear key",), {"method": AES_XTS_128}),
    "xts256": (("clear key",), {"method": AES_XTS_256}),
    "not_encrypted": (("recovery password",), {"method": NOT_ENCRYPTED}),
    "xts128_win10": (("clear key",), {"method": AES_XTS_128, "header_entry": False}),
    # The header states the sector count (metadata inside the volume, read as zeros) and
    # only the first 6 MiB are encrypted (a volume being decrypted).
    "xts128_partial": (("clear key",), {"method": AES_XTS_128, "count_sectors": True,
                                        "encrypted_size": 6 * 1024 * 1024}),
    "cbc128_partial": (("clear key",), {"count_sectors": True,
                                        "encrypted_size": 6 * 1024 * 1024}),
    "xts_protected": (("recovery password", "password", "startup key"),
                      {"method": AES_XTS_128}),
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
            protectors, options = _BITLOCKER[name]
            made[name] = make_bitlocker(folder, plain, name, protectors,
                                        size=BITLOCKER_PLAIN_SIZE + 4 * 1024 * 1024, **options)
        return made[name]

    return get


@pytest.fixture(params=["avx512", "aesni", "c", "numpy"])
def sector_engine(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Runs a test with each way sectors are decrypted: _cpu_crypto.c with AVX-512 (VAES) and
    with plain AES-NI; without it, `cryptography` with the C helper _sectors.c or numpy."""
    engine = str(request.param)
    if engine in ("avx512", "aesni"):
        if fast.cpu_aes is None:
            pytest.skip("triage.layers._cpu_crypto is not built or this CPU lacks AES-NI")
        if engine == "avx512" and not fast.cpu_aes.HAS_WIDE:
            pytest.skip("this CPU lacks VAES on AVX-512")
        wide = fast.cpu_aes.use_wide(engine == "avx512")
        request.addfinalizer(lambda: fast.cpu_aes.use_wide(wide))  # type: ignore[union-attr]
        return engine
    monkeypatch.setattr(fast, "cpu_aes", None)
    if engine == "numpy":
        monkeypatch.setattr(fast, "sectors", None)
    elif fast.sectors is None:
        pytest.skip("triage.layers._sectors is not built (python setup.py build_ext --inplace)")
    return engine
