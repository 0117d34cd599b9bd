"""unlock_bench.py's BitLocker rows: our engine and libbde against `cryptography`'s raw AES, and
the scan of an unlocked volume (ours, libbde) against the scan of the same plain NTFS.

Ratios are medians over rounds of two measures taken back to back (the load of a shared machine
moves between rounds); the times and rates shown are each side's best.
"""

from __future__ import annotations

import shutil
import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from tests.layers.bitlocker_image import AES_CBC_128, AES_XTS_128, NOT_ENCRYPTED, make_bitlocker
from tests.layers.bitlocker_image import RECOVERY_PASSWORD as BDE_RECOVERY
from tests.layers.streams import FileStream
from triage.layers import fast
from triage.layers.base import Stream
from triage.layers.bde import BitLocker
from triage.layers.bde_sectors import SectorDecryptor
from triage.layers.encrypted import ChunkCache
from triage.layers.secrets import RECOVERY_PASSWORD, KeyRing, Secret
from triage.pipeline import ScanOptions, run_scan

MIB = 1024 * 1024
READ = 4 * MIB  # the scan reads in pieces about this large
# name: (method, protectors); the CBC volume needs a recovery password (its stretch is part of
# the scan's time), the XTS one is Windows 10/11's device encryption with its clear key; the
# "none" one is a decrypted volume: read through the same layer with no AES (what the stream
# path itself costs; scan row only).
VOLUMES = {"bitlocker-cbc": (AES_CBC_128, ("recovery password",)),
           "bitlocker-xts": (AES_XTS_128, ("clear key",)),
           "bitlocker-none": (NOT_ENCRYPTED, ("clear key",))}
SECRET = Secret(RECOVERY_PASSWORD, BDE_RECOVERY, "bench")


def build_bde(folder: Path, ntfs: Path, size: int) -> dict[str, Path]:
    """The BitLocker versions of the plain NTFS image `ntfs` (made once, kept in `folder`)."""
    out = {}
    for name, (method, protectors) in VOLUMES.items():
        out[name] = folder / f"{name}.img"
        if not out[name].exists():
            made = make_bitlocker(folder, ntfs, name, protectors, size=size + 4 * MIB,
                                  method=method)
            made.plain.unlink()
    return out


def _read_all(stream: Stream, length: int) -> None:
    for offset in range(0, length, READ):
        stream.read(offset, min(READ, length - offset))


def _raw(mode: Any, key: bytes, data: bytes) -> None:
    """`cryptography`'s AES over the same bytes the usual way: `update` per READ piece (each
    returns new bytes, as a stream read must), no per-sector work."""
    for at in range(0, len(data), READ):
        dec = Cipher(algorithms.AES(key), mode).decryptor()
        dec.update(data[at : at + READ])


def _floor(mode: Any, key: bytes, data: bytes, out: bytearray) -> None:
    """The AES alone: `update_into` one reused buffer (no allocation, no page faults)."""
    view = memoryview(data)
    for at in range(0, len(data), READ):
        dec = Cipher(algorithms.AES(key), mode).decryptor()
        dec.update_into(view[at : at + READ], out)


def _engines(path: Path) -> dict[str, Stream]:
    layer, raw = BitLocker(), FileStream(path)
    secret = SECRET if "cbc" in path.name else None
    ours, libbde = layer.attempt(raw, secret), layer._libbde_attempt(raw, secret)
    assert ours is not None and libbde is not None  # noqa: S101 - the bench built them
    return {"ours": ChunkCache(ours.stream), "libbde": ChunkCache(libbde.stream)}


def _timed(fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def decryption_rows(volumes: dict[str, Path], length: int, repeat: int) -> list[list[str]]:
    """One row per engine and method: best MiB/s of each side, and the median over rounds of
    engine/raw, each round timing both sides back to back (the shared machine's load moves)."""
    rows = []
    for name, path in volumes.items():
        if "none" in name:
            continue
        xts = "xts" in name
        data = FileStream(path).read(8192, length)
        mode = modes.XTS(bytes(16)) if xts else modes.CBC(bytes(16))
        key = bytes(range(32)) if xts else bytes(16)  # AES-128 either way (XTS: two keys)
        out = bytearray(READ + 16)
        for engine, stream in _engines(path).items():
            ours, raw, floor, ratios, floor_ratios = [], [], [], [], []
            for _ in range(repeat):
                ours.append(_timed(lambda s=stream: _read_all(s, length)))
                raw.append(_timed(lambda m=mode, k=key, d=data: _raw(m, k, d)))
                floor.append(_timed(lambda m=mode, k=key, d=data, o=out: _floor(m, k, d, o)))
                ratios.append(raw[-1] / ours[-1])
                floor_ratios.append(floor[-1] / ours[-1])
            rows.append([f"{name} aes-128-{'xts' if xts else 'cbc'} decrypt ({engine}, "
                         "reads the image through the chunk cache)",
                         _rate(length, min(ours)), _rate(length, min(raw)),
                         f"{statistics.median(ratios):.2f}", _rate(length, min(floor)),
                         f"{statistics.median(floor_ratios):.2f}", ">= 0.8"])
        rows.append(_in_memory_row(name, xts, key, data, mode, out, repeat))
    return rows


def engine_name(xts: bool = True) -> str:
    """What decrypts sectors on this machine (the benches' rows name it)."""
    if fast.cpu_aes is not None:
        return "AES-NI" + (" + AVX-512" if xts and fast.cpu_aes.HAS_WIDE else "")
    return "cryptography + " + ("C tweaks" if fast.sectors is not None else "numpy")


def _in_memory_row(name: str, xts: bool, key: bytes, data: bytes, mode: Any, out: bytearray,
                   repeat: int) -> list[str]:
    """Our sector decryptor alone on bytes in memory (what the AES sides do), READ per call."""
    method = AES_XTS_128 if xts else AES_CBC_128
    decryptor = SectorDecryptor(method, key, 512)
    view = memoryview(data)

    def ours() -> None:
        for at in range(0, len(data), READ):
            decryptor.decrypt(view[at : at + READ], at)

    times: dict[str, list[float]] = {"ours": [], "raw": [], "floor": []}
    for _ in range(repeat):
        times["ours"].append(_timed(ours))
        times["raw"].append(_timed(lambda: _raw(mode, key, data)))
        times["floor"].append(_timed(lambda: _floor(mode, key, data, out)))
    engine = engine_name(xts)
    best = {side: min(values) for side, values in times.items()}
    ratio = {side: statistics.median(b / o for b, o in zip(times[side], times["ours"],
                                                              strict=True))
             for side in ("raw", "floor")}
    return [f"{name} aes-128-{'xts' if xts else 'cbc'} decrypt (ours, {engine}, in memory)",
            _rate(len(data), best["ours"]), _rate(len(data), best["raw"]),
            f"{ratio['raw']:.2f}", _rate(len(data), best["floor"]), f"{ratio['floor']:.2f}",
            ">= 0.8"]


def _rate(length: int, seconds: float) -> str:
    return f"{length / MIB / seconds:,.0f} MiB/s"


def _scan(path: Path, out: Path, keyring: KeyRing | None) -> tuple[float, int]:
    start = time.perf_counter()
    result = run_scan([str(path)], out, ScanOptions(keyring=keyring))
    took = time.perf_counter() - start
    shutil.rmtree(out)
    return took, result.report["coverage"]["volumes"][0].get("files", 0)


def scan_rows(volumes: dict[str, Path], ntfs: Path, out: Path, repeat: int
              ) -> list[list[str]]:
    """Scan time of each unlocked volume (our engine; CBC also libbde) / plain NTFS scan: the
    best times, and the median over rounds of the two scans' ratio (run in the same round)."""
    runs: dict[str, list[float]] = {}
    files: dict[str, int] = {}
    cases = [("plain ntfs", ntfs, None, False)]
    cases += [(f"{name} (ours)", path, KeyRing([SECRET]), False)
              for name, path in volumes.items()]
    cases.append(("bitlocker-cbc (libbde)", volumes["bitlocker-cbc"], KeyRing([SECRET]), True))
    for round_no in range(repeat):  # interleaved: each side sees the same load
        for label, path, keyring, libbde in cases:
            original = BitLocker.attempt
            if libbde:  # the engine libbde alone gave before (the row to compare with)
                BitLocker.attempt = BitLocker._libbde_attempt  # type: ignore[method-assign]
            try:
                took, count = _scan(path, out / f"{round_no}-{len(runs.get(label, []))}",
                                    keyring)
            finally:
                BitLocker.attempt = original  # type: ignore[method-assign]
            runs.setdefault(label, []).append(took)
            files[label] = count
    rows = []
    for label, _path, _keyring, _libbde in cases[1:]:
        assert files[label] == files["plain ntfs"], files  # noqa: S101 - same file system
        ratio = statistics.median(a / b for a, b in zip(runs[label], runs["plain ntfs"],
                                                        strict=True))
        rows.append([f"scan {label} vs plain ntfs", f"{min(runs[label]):.2f} s",
                     f"{min(runs['plain ntfs']):.2f} s", f"{ratio:.2f}",
                     "", "", f"<= 1.3 ({files[label]} files)"])
    return rows
