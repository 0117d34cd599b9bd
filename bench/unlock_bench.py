"""Encrypted volumes: decryption throughput per format against `cryptography`'s raw AES over the
same bytes, and the scan of an unlocked volume against the scan of the same plain file system.

    python bench/unlock_bench.py [--size-mb M] [--files N] [--repeat R] [--keep DIR]

Prints one table of ratios; see bench/README.md ("Encrypted volumes") for what each row means.
"""

from __future__ import annotations

import argparse
import random
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # tests.layers, triage

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes  # noqa: E402

from tests.layers.bitlocker_image import (  # noqa: E402
    RECOVERY_PASSWORD as BDE_RECOVERY,
)
from tests.layers.bitlocker_image import make_bitlocker  # noqa: E402
from tests.layers.encrypted_images import PASSPHRASE  # noqa: E402
from tests.layers.streams import FileStream  # noqa: E402
from triage.layers import registry  # noqa: E402
from triage.layers.base import Stream  # noqa: E402
from triage.layers.secrets import PASSPHRASE as KIND_PASSPHRASE  # noqa: E402
from triage.layers.secrets import RECOVERY_PASSWORD, KeyRing, Secret  # noqa: E402
from triage.layers.xts import XtsDecryptor  # noqa: E402
from triage.pipeline import ScanOptions, run_scan  # noqa: E402

MIB = 1024 * 1024
SECTOR = 512
READ = 4 * MIB  # the scan reads files in pieces about this large


def _run(*args: str) -> None:
    subprocess.run(args, check=True, capture_output=True)  # noqa: S603


def _tree(folder: Path, files: int, size: int) -> None:
    """`files` files of random bytes filling about `size` bytes (they do not compress)."""
    rng = random.Random(17)  # noqa: S311 - benchmark content
    each = max(4096, size // files)
    for n in range(files):
        path = folder / f"dir{n % 40:02d}" / f"file{n:05d}.bin"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(rng.randbytes(rng.randrange(each // 2, each * 3 // 2)))


def build(folder: Path, size_mb: int, files: int) -> dict[str, Path]:
    """The plain ext4 and NTFS images and their LUKS1, LUKS2 and BitLocker versions."""
    folder.mkdir(parents=True, exist_ok=True)
    done = folder / "built"
    names = {"ext4": folder / "plain-ext4.img", "ntfs": folder / "plain-ntfs.img",
             "luks2": folder / "luks2.img", "luks1": folder / "luks1.img",
             "bitlocker": folder / "bitlocker.img"}
    if done.exists():
        return names
    size = size_mb * MIB
    content = int(size * 0.7)
    tree = folder / "tree"
    _tree(tree, files, content)
    with names["ext4"].open("wb") as handle:
        handle.truncate(size)
    _run("mkfs.ext4", "-q", "-F", "-b", "4096", "-d", str(tree), str(names["ext4"]))
    with names["ntfs"].open("wb") as handle:
        handle.truncate(size)
    _run("mkntfs", "-q", "-F", "-Q", "-s", "512", str(names["ntfs"]))
    mount = folder / "mnt"
    mount.mkdir(exist_ok=True)
    _run("ntfs-3g", str(names["ntfs"]), str(mount))
    try:
        shutil.copytree(tree, mount, dirs_exist_ok=True)
    finally:
        _run("umount", str(mount))
    key = folder / "key"
    key.write_text(PASSPHRASE)
    for version in (2, 1):
        image = names[f"luks{version}"]
        with image.open("wb") as out, names["ext4"].open("rb") as src:
            shutil.copyfileobj(src, out)
            out.truncate(size + 4 * MIB)
        _run("cryptsetup", "reencrypt", "--encrypt", "--type", "luks2", "--batch-mode",
             "--reduce-device-size", "4M", "--key-file", str(key), "--pbkdf", "pbkdf2",
             "--pbkdf-force-iterations", "1000", str(image))
        if version == 1:
            _run("cryptsetup", "convert", "--type", "luks1", "--batch-mode", str(image))
    made = make_bitlocker(folder, names["ntfs"], "bitlocker", ("recovery password",),
                          size=size + 4 * MIB)
    made.plain.unlink()
    shutil.rmtree(tree)
    done.touch()
    return names


def _best(repeat: int, fn: Callable[[], object]) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def _read_all(stream: Stream, length: int) -> None:
    for offset in range(0, length, READ):
        stream.read(offset, min(READ, length - offset))


def _xts_per_sector(key: bytes, data: bytes, first: int) -> None:
    """`cryptography`'s AES-XTS the plain way: one Cipher per 512-byte sector."""
    for n in range(len(data) // SECTOR):
        dec = Cipher(algorithms.AES(key), modes.XTS((first + n).to_bytes(16, "little"))
                     ).decryptor()
        dec.update(data[n * SECTOR : (n + 1) * SECTOR])


def _cbc_per_sector(key: bytes, data: bytes, offset: int) -> None:
    """BitLocker's AES-CBC with `cryptography`: IV = AES-ECB(sector offset), CBC per sector."""
    ecb = Cipher(algorithms.AES(key), modes.ECB()).encryptor()  # noqa: S305 - BitLocker IV
    for n in range(len(data) // SECTOR):
        iv = ecb.update((offset + n * SECTOR).to_bytes(16, "little"))
        dec = Cipher(algorithms.AES(key), modes.CBC(iv)).decryptor()
        dec.update(data[n * SECTOR : (n + 1) * SECTOR])


def _ecb(key: bytes, data: bytes) -> None:
    """The floor: raw AES over the same bytes in one call (no per-sector work at all), with
    the data key's size (an XTS key is two keys)."""
    data_key = key[: len(key) // 2] if len(key) == 64 else key
    dec = Cipher(algorithms.AES(data_key), modes.ECB()).decryptor()  # noqa: S305 - a floor
    dec.update(data)


def _xts_one_unit(key: bytes, data: bytes) -> None:
    """`cryptography`'s AES-XTS over the same bytes in one call, as one data unit: the speed
    of OpenSSL's own XTS with no per-sector restart (not dm-crypt's layout, a ceiling)."""
    dec = Cipher(algorithms.AES(key), modes.XTS(bytes(16))).decryptor()
    dec.update(data)


def raw_xts_rows(names: dict[str, Path], length: int, repeat: int) -> list[list[str]]:
    """LUKS decryption against raw AES-XTS over the same bytes (issue 17's >= 0.8x goal)."""
    rows = []
    passphrase = Secret(KIND_PASSPHRASE, PASSPHRASE, "bench")
    key = bytes(range(64))
    for name in ("luks2", "luks1"):
        stream = _opened(names[name], passphrase)
        raw = FileStream(names[name])
        offset = registry.LAYERS[name].facts(raw)["data_offset"]  # type: ignore[attr-defined]
        cipher = raw.read(offset, length)
        times: dict[str, list[float]] = {"ours": [], "raw": []}
        for _ in range(repeat):  # interleaved: both sides see the same load
            times["ours"].append(_best(1, lambda s=stream: _read_all(s, length)))
            times["raw"].append(_best(1, lambda c=cipher: _read_all_xts(key, c)))
        ours, base = min(times["ours"]), min(times["raw"])
        rows.append([f"{name} (ours) vs raw AES-XTS, {READ // MIB} MiB calls", _rate(length, ours),
                     _rate(length, base), f"{base / ours:.2f}", "", ""])
    # The decryptor alone on the same bytes in memory (the rows above also read the file and
    # go through the chunk cache): dm-crypt's per-sector tweaks vs OpenSSL's one data unit.
    xts = XtsDecryptor(key)
    times = {"ours": [], "raw": []}
    for _ in range(repeat):
        times["ours"].append(_best(1, lambda: _decrypt_all(xts, cipher)))
        times["raw"].append(_best(1, lambda: _read_all_xts(key, cipher)))
    ours, base = min(times["ours"]), min(times["raw"])
    rows.append([f"XtsDecryptor vs raw AES-XTS, {READ // MIB} MiB calls in memory",
                 _rate(length, ours), _rate(length, base), f"{base / ours:.2f}", "", ""])
    return rows


def _decrypt_all(xts: XtsDecryptor, data: bytes) -> None:
    view = memoryview(data)
    for offset in range(0, len(data), READ):
        xts.decrypt(view[offset : offset + READ], offset // SECTOR)


def _read_all_xts(key: bytes, data: bytes) -> None:
    view = memoryview(data)
    for offset in range(0, len(data), READ):
        _xts_one_unit(key, view[offset : offset + READ])


def _opened(path: Path, secret: Secret) -> Stream:
    stream = FileStream(path)
    layer = registry.identify(stream)
    assert layer is not None  # noqa: S101 - the bench built it
    [opened] = layer.open(stream, keyring=KeyRing([secret]))
    return opened.stream


def decryption_rows(names: dict[str, Path], length: int, repeat: int) -> list[list[str]]:
    rows = []
    passphrase = Secret(KIND_PASSPHRASE, PASSPHRASE, "bench")
    for name in ("luks2", "luks1"):
        stream = _opened(names[name], passphrase)
        raw = FileStream(names[name])
        offset = registry.LAYERS[name].facts(raw)["data_offset"]  # type: ignore[attr-defined]
        key = bytes(range(64))  # AES-256-XTS like the volume; the cost does not depend on it
        cipher = raw.read(offset, length)
        ours = _best(repeat, lambda s=stream: _read_all(s, length))
        base = _best(repeat, lambda k=key, c=cipher: _xts_per_sector(k, c, 0))
        floor = _best(repeat, lambda k=key, c=cipher: _ecb(k, c))
        rows.append([f"{name} (ours, numpy XTS)",
                     _rate(length, ours), _rate(length, base), f"{base / ours:.2f}",
                     _rate(length, floor), f"{floor / ours:.2f}"])
    stream = _opened(names["bitlocker"], Secret(RECOVERY_PASSWORD, BDE_RECOVERY, "bench"))
    ours = _best(repeat, lambda: _read_all(stream, length))
    raw = FileStream(names["bitlocker"]).read(8192, length)
    key = bytes(16)  # the baseline's cost does not depend on the key
    base = _best(repeat, lambda: _cbc_per_sector(key, raw, 8192))
    floor = _best(repeat, lambda: _ecb(key, raw))
    rows.append(["bitlocker aes-128-cbc (libbde)", _rate(length, ours), _rate(length, base),
                 f"{base / ours:.2f}", _rate(length, floor), f"{floor / ours:.2f}"])
    return rows


def _rate(length: int, seconds: float) -> str:
    return f"{length / MIB / seconds:,.0f} MiB/s"


def scan_rows(names: dict[str, Path], out: Path, repeat: int) -> list[list[str]]:
    rows = []
    pairs = [("luks2", "ext4", Secret(KIND_PASSPHRASE, PASSPHRASE, "bench")),
             ("luks1", "ext4", Secret(KIND_PASSPHRASE, PASSPHRASE, "bench")),
             ("bitlocker", "ntfs", Secret(RECOVERY_PASSWORD, BDE_RECOVERY, "bench"))]
    for encrypted, plain, secret in pairs:
        times: dict[str, list[float]] = {encrypted: [], plain: []}
        files: dict[str, int] = {}
        for round_no in range(repeat):
            for name, keyring in ((encrypted, KeyRing([secret])), (plain, None)):
                folder = out / f"{name}-{round_no}"
                start = time.perf_counter()
                result = run_scan([str(names[name])], folder, ScanOptions(keyring=keyring))
                times[name].append(time.perf_counter() - start)
                files[name] = result.report["coverage"]["volumes"][0].get("files", 0)
                shutil.rmtree(folder)
        assert files[encrypted] == files[plain], files  # noqa: S101 - the same file system
        ours, base = min(times[encrypted]), min(times[plain])
        rows.append([f"scan {encrypted} (unlocked) vs plain {plain}", f"{ours:.2f} s",
                     f"{base:.2f} s", f"{ours / base:.2f}", f"{files[plain]} files", ""])
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mb", type=int, default=256)
    parser.add_argument("--files", type=int, default=2000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--keep", type=Path, default=None,
                        help="build (and reuse) the images here")
    args = parser.parse_args()
    folder = args.keep or Path(tempfile.gettempdir()) / (
        f"triage-bench-unlock-{args.size_mb}-{args.files}")
    names = build(folder, args.size_mb, args.files)
    length = args.size_mb * MIB // 2
    header = ["measure", "ours", "baseline", "baseline/ours (time ratio)", "AES-ECB floor",
              "floor/ours"]
    rows = decryption_rows(names, length, args.repeat)
    rows += raw_xts_rows(names, length, args.repeat)
    with tempfile.TemporaryDirectory(prefix="triage-unlock-scan-") as tmp:
        rows += scan_rows(names, Path(tmp), args.repeat)
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    for row in rows:
        print("| " + " | ".join(row) + " |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
