"""Macs' encrypted volumes: FileVault 2 decryption (the engine that opens it) against raw AES-XTS
over the same bytes, and scans of unlocked FileVault and APFS volumes against the same plain file
systems.

    python bench/unlock_mac_bench.py [--size-mb M] [--repeat R]

The FileVault volume is made here (tests/layers/corestorage_image.py) around M MiB of
HFS+-headed random bytes for the throughput row, and around dfvfs's small HFS+ test file system
for the scan row; the APFS volume is dfvfs's apfs.raw encrypted here (apfs_encrypted_image.py).
No tool here writes larger HFS+ or APFS file systems, so the scan rows are small (a few MB):
they show the per-volume cost of unlocking, not a throughput. See bench/README.md ("Macs").
"""

from __future__ import annotations

import argparse
import functools
import random
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # tests.layers, triage

import pyfsapfs  # noqa: E402
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes  # noqa: E402

from bench.unlock_bde import engine_name  # noqa: E402
from bench.unlock_bench import MIB, READ, _best, _read_all  # noqa: E402
from tests.layers.apfs_encrypted_image import encrypt_apfs  # noqa: E402
from tests.layers.apfs_large_file import grow_first_file  # noqa: E402
from tests.layers.corestorage_image import (  # noqa: E402
    hfs_like_payload,
    hfsplus_volume,
    make_filevault,
)
from tests.layers.images import published  # noqa: E402
from tests.layers.streams import FileStream  # noqa: E402
from triage.layers import registry  # noqa: E402
from triage.layers.base import Stream  # noqa: E402
from triage.layers.kdf_limits import MAX_PBKDF2_ITERATIONS  # noqa: E402
from triage.layers.secrets import PASSPHRASE, KeyRing, Secret  # noqa: E402
from triage.layers.xts import XtsDecryptor  # noqa: E402
from triage.pipeline import ScanOptions, run_scan  # noqa: E402
from triage.walk.apfs import ApfsContent  # noqa: E402
from triage.walk.apfs_direct import DirectReader  # noqa: E402
from triage.walk.apfs_keybag import KeyBags, key_bags  # noqa: E402

PASSWORD = "bench password"  # noqa: S105 - the benchmark's own volumes


def _raw_xts(key: bytes, data: bytes, out: bytearray | None = None) -> None:
    """OpenSSL's AES-XTS over the same bytes, one call (one data unit) per 4 MiB: new bytes
    per call as a stream read must (`update`), or the cipher alone (`update_into` `out`)."""
    view = memoryview(data)
    for offset in range(0, len(data), READ):
        dec = Cipher(algorithms.AES(key), modes.XTS(bytes(16))).decryptor()
        if out is None:
            dec.update(view[offset : offset + READ])
        else:
            dec.update_into(view[offset : offset + READ], out)


def _opened(path: Path) -> tuple[Stream, str]:
    """The unlocked volume and which engine decrypts it."""
    stream = FileStream(path)
    layer = registry.identify(stream)
    assert layer is not None and layer.name == "filevault"  # noqa: S101 - built here
    [opened] = layer.open(stream, keyring=KeyRing([Secret(PASSPHRASE, PASSWORD, "bench")]))
    return opened.stream, opened.facts["encryption"].get("engine", "libfvde")


def decryption_rows(folder: Path, size_mb: int, repeat: int) -> list[list[str]]:
    image = folder / f"filevault-{size_mb}.img"
    if not image.exists():
        make_filevault(image, hfs_like_payload(size_mb * MIB), PASSWORD)
    length = size_mb * MIB
    stream, engine = _opened(image)
    cipher = FileStream(image).read(64 * 4096, length)  # the data starts at block 64
    key = bytes(range(32))  # AES-128-XTS, as FileVault 2
    out = bytearray(READ + 16)
    ours = _best(repeat, lambda: _read_all(stream, length))
    base = _best(repeat, lambda: _raw_xts(key, cipher))
    floor = _best(repeat, lambda: _raw_xts(key, cipher, out))
    # The decryptor FileVault's stream uses, alone on the same bytes in memory.
    xts = XtsDecryptor(bytes(range(32)), 512)
    view = memoryview(cipher)

    def decrypt_all() -> None:  # (each result dropped at once, as a stream's reader does)
        for at in range(0, length, READ):
            xts.decrypt(view[at : at + READ], at // 512)

    alone = _best(repeat, decrypt_all)
    return [[f"FileVault 2 ({engine}, reads the image) vs raw AES-XTS `update`, "
             f"{READ // MIB} MiB calls", f"{length / MIB / ours:,.0f} MiB/s",
             f"{length / MIB / base:,.0f} MiB/s",
             f"{base / ours:.2f}; against `update_into` ({length / MIB / floor:,.0f} MiB/s): "
             f"{floor / ours:.2f}"],
            [f"its sector decryptor alone, in memory ({engine_name()})",
             f"{length / MIB / alone:,.0f} MiB/s", f"{length / MIB / base:,.0f} MiB/s",
             f"{base / alone:.2f}; against `update_into`: {floor / alone:.2f}"]]


def _scan(image: Path, out: Path, secret: str | None) -> tuple[float, int]:
    keyring = KeyRing([Secret(PASSPHRASE, secret, "bench")]) if secret else None
    start = time.perf_counter()
    result = run_scan([str(image)], out, ScanOptions(keyring=keyring))
    return time.perf_counter() - start, result.report["coverage"]["volumes"][0].get("files", 0)


@functools.cache
def _apfs_images(folder: Path, size_mb: int) -> tuple[Path, Path, int]:
    """dfvfs's APFS container with its first file grown to `size_mb` MiB of random bytes, plain
    and encrypted (made once a run, in `folder`), and that file's identifier."""
    plain, encrypted = folder / f"apfs-{size_mb}.raw", folder / f"apfs-{size_mb}-filevault.raw"
    oid = grow_first_file(published("apfs.raw", folder), plain, random.randbytes(size_mb * MIB))
    encrypt_apfs(plain, encrypted, PASSWORD)
    return plain, encrypted, oid


def apfs_rows(folder: Path, size_mb: int, repeat: int) -> list[list[str]]:
    """An unlocked APFS volume's file read with our XTS (apfs_direct) and with libfsapfs alone,
    against raw AES-XTS over the same bytes, and libfsapfs on the plain container."""
    plain, encrypted, oid = _apfs_images(folder, size_mb)
    length = size_mb * MIB
    readers = {}
    keep = []
    for name, image, secret in (("plain", plain, None), ("encrypted", encrypted, PASSWORD)):
        container = pyfsapfs.container()
        container.open(str(image))
        volume = container.get_volume(0)
        if secret:
            volume.set_password(secret)
            volume.unlock()
        keep.append(container)
        readers[name] = (volume.get_file_entry_by_identifier(oid), volume)
    entry, volume = readers["encrypted"]
    key = key_bags(FileStream(encrypted).read, uuid.UUID(volume.identifier).bytes).volume_key(
        PASSWORD, MAX_PBKDF2_ITERATIONS)
    assert key is not None  # noqa: S101 - made here
    lock = threading.RLock()
    sides = {"ours": ApfsContent(entry, length, lock, DirectReader(FileStream(encrypted), key)),
             "libfsapfs": ApfsContent(entry, length, lock),
             "libfsapfs, plain container": ApfsContent(readers["plain"][0], length, lock)}
    physical, _, _ = entry.get_extent(0)
    cipher = FileStream(encrypted).read(physical, length)
    out = bytearray(READ + 16)
    times = {side: _best(repeat, lambda c=content: _read_all(c, length))  # type: ignore[misc]
             for side, content in sides.items()}
    base = _best(repeat, lambda: _raw_xts(bytes(range(32)), cipher))
    floor = _best(repeat, lambda: _raw_xts(bytes(range(32)), cipher, out))
    assert sides["ours"].read(0, 64) == sides["libfsapfs, plain container"].read(0, 64)  # noqa: S101
    rows = []
    for side, seconds in times.items():
        against = (f"{base / seconds:.2f}; against `update_into` ({length / MIB / floor:,.0f} "
                   f"MiB/s): {floor / seconds:.2f}")
        rows.append([f"encrypted APFS, one {size_mb} MiB file read in {READ // MIB} MiB pieces: "
                     f"{side}", f"{length / MIB / seconds:,.0f} MiB/s",
                     f"{length / MIB / base:,.0f} MiB/s", against])
    return rows


def scan_rows(folder: Path, size_mb: int, repeat: int) -> list[list[str]]:
    payload = hfsplus_volume(folder)
    plain_hfs, filevault = folder / "hfs.img", folder / "filevault-hfs.img"
    plain_hfs.write_bytes(payload)
    make_filevault(filevault, payload, PASSWORD)
    plain_apfs, apfs, _ = _apfs_images(folder, size_mb)
    rows = []
    cases = (("FileVault 2 (HFS+)", filevault, plain_hfs, False),
             ("encrypted APFS", apfs, plain_apfs, False),
             ("encrypted APFS, file data through libfsapfs (before)", apfs, plain_apfs, True))
    for name, encrypted, plain, libfsapfs in cases:
        times: dict[str, list[float]] = {"ours": [], "plain": []}
        files = {}
        for round_no in range(repeat):  # interleaved: both sides see the same load
            for side, image, secret in (("ours", encrypted, PASSWORD), ("plain", plain, None)):
                original = KeyBags.volume_key
                if libfsapfs:  # no volume key: every read goes through libfsapfs
                    KeyBags.volume_key = lambda *args: None  # type: ignore[assignment]
                try:
                    seconds, files[side] = _scan(
                        image, folder / f"out-{side}-{name[:4]}-{libfsapfs}-{round_no}", secret)
                finally:
                    KeyBags.volume_key = original  # type: ignore[method-assign]
                times[side].append(seconds)
        assert files["ours"] == files["plain"], files  # noqa: S101 - the same file system
        ours, base = min(times["ours"]), min(times["plain"])
        rows.append([f"scan {name} (unlocked) vs the same plain, {files['plain']} files, "
                     f"{plain.stat().st_size / MIB:.1f} MiB", f"{ours:.2f} s", f"{base:.2f} s",
                     f"{ours / base:.2f}"])
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mb", type=int, default=128)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    cache = Path(tempfile.gettempdir()) / "triage-bench-unlock-mac"
    cache.mkdir(exist_ok=True)
    rows = decryption_rows(cache, args.size_mb, args.repeat)
    rows += apfs_rows(cache, args.size_mb, args.repeat)
    with tempfile.TemporaryDirectory(prefix="triage-unlock-mac-") as tmp:
        rows += scan_rows(Path(tmp), args.size_mb, args.repeat)
    print("| measure | ours | baseline | ratio (time, ours/baseline for scans; "
          "baseline/ours for decryption) |")
    print("|---|---|---|---|")
    for row in rows:
        print("| " + " | ".join(row) + " |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
