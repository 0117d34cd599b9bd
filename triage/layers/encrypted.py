"""What every encryption layer shares: try the clear key and each secret, then say why not."""

from __future__ import annotations

import threading
from abc import abstractmethod
from collections import OrderedDict
from collections.abc import Callable
from typing import Any, TypeVar

from triage.layers.base import Layer, LayerError, Opened, Stream
from triage.layers.secrets import KeyRing, Secret, looks_like_mac_recovery_key

# After a failed read, the rest is read in pieces this large to keep what lies before the
# damage (the sector size of every format here divides it).
_SALVAGE_PIECE = 4096
# libyal reads the evidence through StreamFile sector by sector; it reads this much ahead.
READ_AHEAD = 1024 * 1024
# Decrypted data is kept in chunks this large, this many read once and this many read again
# (2 x 16 MiB): The Sleuth Kit reads a file system in 4 KiB blocks, and one decryption call per
# block costs more than the AES.
CHUNK = 256 * 1024
CHUNKS_KEPT = 64
CHUNKS_REMEMBERED = 1024  # indices of chunks recently out of `fresh` (a second read keeps them)
LOCKED = "locked"
UNLOCKED = "unlocked"
CLEAR_KEY = "clear key"
T = TypeVar("T")


class Locked(LayerError):
    """An encrypted volume left locked: one sentence why, and the facts to ask for its key."""

    def __init__(self, reason: str, encryption: dict[str, Any]) -> None:
        super().__init__(reason, kind="encrypted")
        self.reason = reason
        self.encryption = encryption  # the coverage entry's `encryption` (never a secret)


class Unlocked:
    """What an attempt that worked hands back: the plain stream and the protector used."""

    def __init__(self, stream: Stream, protector: str, protector_id: str | None = None,
                 details: dict[str, Any] | None = None) -> None:
        self.stream = stream
        self.protector = protector
        self.protector_id = protector_id
        self.details = details or {}  # more coverage facts (e.g. which engine decrypts)


class StreamFile:
    """A read-only file object over a Stream, for the libyal libraries' open_file_object.

    The libraries read one sector per call; reading ahead turns those into few large reads
    of the evidence.
    """

    def __init__(self, stream: Stream) -> None:
        self._stream = stream
        self._pos = 0
        self._ahead = b""
        self._ahead_at = 0

    def read(self, size: int = -1) -> bytes:
        if size is None or size < 0:
            size = self._stream.size - self._pos
        size = max(0, min(size, self._stream.size - self._pos))
        start = self._pos - self._ahead_at
        if not (0 <= start and start + size <= len(self._ahead)):
            self._ahead = self._stream.read(self._pos, max(size, READ_AHEAD))
            self._ahead_at, start = self._pos, 0
        data = self._ahead[start : start + size]
        self._pos += len(data)
        return data

    def seek(self, offset: int, whence: int = 0) -> int:
        base = {0: 0, 1: self._pos, 2: self._stream.size}[whence]
        self._pos = base + offset
        return self._pos

    def tell(self) -> int:
        return self._pos

    def get_size(self) -> int:
        return self._stream.size

    def close(self) -> None:
        """The stream belongs to the layer below; nothing to close."""


class LibyalStream:
    """The plain bytes of a libyal volume object (pybde, pyluksde, pyfvde), one reader at a time.

    The libyal objects keep one read position; the lock makes concurrent readers safe.
    """

    def __init__(self, volume: Any, size: int, keep: Any = None) -> None:
        self._volume = volume
        self._keep = keep  # objects the volume reads through, kept alive with it
        self._lock = threading.Lock()
        self.size = size

    def read(self, offset: int, length: int) -> bytes:
        length = min(length, self.size - offset)
        if length <= 0:
            return b""
        with self._lock:
            try:
                return self._volume.read_buffer_at_offset(length, offset)
            except OSError:
                return self._read_until_error(offset, length)

    def _read_until_error(self, offset: int, length: int) -> bytes:
        """What can be read before the first unreadable sector (a truncated image): a short
        read, as the Stream promises, rather than an error for the whole request."""
        out = bytearray()
        while len(out) < length:
            piece = min(_SALVAGE_PIECE - (offset + len(out)) % _SALVAGE_PIECE, length - len(out))
            try:
                out += self._volume.read_buffer_at_offset(piece, offset + len(out))
            except OSError:
                break
        return bytes(out)


class ChunkCache:
    """A Stream that reads another in aligned chunks and keeps the latest ones.

    Two segments ("2Q"): a chunk read for the first time waits in `fresh` (first in, first
    out: the many reads of one file's chunk in a row do not keep it); a chunk read again after
    it left `fresh` goes to `reused` (least recently used out), which a sequential pass over
    file data cannot flush, so the file system's own tables (NTFS's MFT, ext4's inode tables)
    stay decrypted. Threads wanting a chunk another thread is reading wait for it rather than
    decrypting it a second time.
    """

    def __init__(self, stream: Stream) -> None:
        self._stream = stream
        self._fresh: OrderedDict[int, bytes] = OrderedDict()
        self._reused: OrderedDict[int, bytes] = OrderedDict()
        self._gone: OrderedDict[int, None] = OrderedDict()  # recently out of `fresh`
        self._loading: dict[int, threading.Event] = {}
        self._lock = threading.Lock()
        self.size = stream.size
        self.loads = 0  # chunks read from the stream below (tests and benchmarks count them)

    def _cached(self, index: int) -> bytes | None:
        """The chunk if kept (the caller holds the lock)."""
        data = self._reused.get(index)
        if data is not None:
            self._reused.move_to_end(index)
            return data
        return self._fresh.get(index)

    def _keep(self, index: int, data: bytes) -> None:
        """Keep a chunk just read (the caller holds the lock)."""
        if self._gone.pop(index, 0) is None:  # read before, and again: it is in use
            self._reused[index] = data
            if len(self._reused) > CHUNKS_KEPT:
                self._reused.popitem(last=False)
            return
        self._fresh[index] = data
        if len(self._fresh) > CHUNKS_KEPT:
            gone, _ = self._fresh.popitem(last=False)
            self._gone[gone] = None
            if len(self._gone) > CHUNKS_REMEMBERED:
                self._gone.popitem(last=False)

    def _chunk(self, index: int) -> bytes:
        with self._lock:
            data = self._cached(index)
            if data is not None:
                return data
            waiting = self._loading.get(index)
            if waiting is None:
                self._loading[index] = threading.Event()
        if waiting is not None:  # another thread is reading it: wait, then take it
            waiting.wait()
            with self._lock:
                data = self._cached(index)
            return data if data is not None else self._stream.read(index * CHUNK, CHUNK)
        try:
            data = self._stream.read(index * CHUNK, CHUNK)
            with self._lock:
                self.loads += 1
                self._keep(index, data)
        finally:
            with self._lock:
                self._loading.pop(index).set()
        return data

    def read(self, offset: int, length: int) -> bytes:
        length = min(length, self.size - offset)
        if length <= 0:
            return b""
        first = self._chunk(offset // CHUNK)
        start = offset % CHUNK
        if start + length <= len(first):  # within one chunk (most reads): one copy
            return first[start : start + length]
        pieces, got, data = [], 0, first
        while got < length:
            at = offset + got
            if got:
                data = self._chunk(at // CHUNK)
            piece = memoryview(data)[at % CHUNK : at % CHUNK + length - got]
            if not piece:
                break  # a short chunk: the data ends early (truncated)
            pieces.append(piece)
            got += len(piece)
        return b"".join(pieces)


def libyal_cause(exc: OSError) -> str:
    """libyal errors chain every function's message: the binding's first, then the innermost
    cause (the most specific) and its callers outwards. The cause is the one worth showing."""
    parts = [p.strip() for p in str(exc).split(". ") if p.strip()]
    if not parts:
        return "unknown error"
    return parts[min(1, len(parts) - 1)].split(": ", 1)[-1].rstrip(".")


def label(kind: str, unlocked: Unlocked) -> str:
    """The address link of an unlocked volume, e.g. `bitlocker (unlocked: clear key)`."""
    by = unlocked.protector
    if unlocked.protector_id:
        # LUKS names a key slot ("key slot 1"); BitLocker and FileVault an identifier.
        shown = unlocked.protector_id
        by += f", {shown}" if shown.startswith("key slot") else f", ID {shown}"
    return f"{kind} (unlocked: {by})"


class EncryptionLayer(Layer):
    """An encrypted volume format: facts from its header, then unlock attempts in order.

    Order: the clear key (no secret), every secret given that fits the format, then the
    officer's prompt until a secret works or the officer skips.
    """

    #: The kinds of Secret this format can use (see secrets.py).
    secret_kinds: frozenset[str] = frozenset()

    @abstractmethod
    def facts(self, stream: Stream) -> dict[str, Any]:
        """What to tell the officer to ask for the right key (never a secret); raises
        LayerError when the header cannot be read."""

    @abstractmethod
    def attempt(self, stream: Stream, secret: Secret | None) -> Unlocked | None:
        """The plain volume with `secret` (None: without one), or None when it does not fit."""

    def fits(self, secret: Secret, facts: dict[str, Any]) -> bool:
        """Whether `secret` can be tried on the volume at all (attempts can cost seconds)."""
        return secret.kind in self.secret_kinds

    def limits(self, facts: dict[str, Any]) -> list[str]:
        """Known limits of the library on this volume (what the report must say it misses)."""
        return []

    def refusal(self, stream: Stream) -> str | None:
        """Why no secret is tried on this volume at all (a key derivation cost past any real
        volume's, read before a library that cannot be interrupted gets a secret), or None."""
        return None

    def open(self, stream: Stream, **context: Any) -> list[Opened]:
        keyring: KeyRing = context.get("keyring") or KeyRing()
        try:
            facts = self.facts(stream)
        except LayerError as exc:
            # Still an encrypted volume (a truncated or damaged one): say so with its kind.
            raise Locked(f"{self.name} volume not opened: {exc}",
                         {"kind": self.name, "state": LOCKED, "facts": {"error": str(exc)}}
                         ) from None
        encryption: dict[str, Any] = {"kind": self.name, "state": LOCKED, "facts": facts}
        refused = self.refusal(stream)
        if refused is not None:
            raise Locked(f"{self.name} volume left locked: {refused}", encryption)
        try:
            unlocked, tried = self._attempts(stream, keyring, encryption,
                                             str(context.get("address") or ""))
        except LayerError as exc:
            raise Locked(f"{self.name} volume not opened: {exc}", encryption) from None
        if unlocked is None:
            raise Locked(f"{self.name} volume left locked: {not_opened_by(tried)}", encryption)
        encryption.update(state=UNLOCKED, protector=unlocked.protector,
                          protector_id=unlocked.protector_id, **unlocked.details)
        limits = self.limits(facts)
        if limits:
            encryption["limits"] = limits
        return [Opened(label(self.name, unlocked), ChunkCache(unlocked.stream),
                       {"encryption": encryption})]

    def _attempts(self, stream: Stream, keyring: KeyRing, encryption: dict[str, Any],
                  address: str) -> tuple[Unlocked | None, int]:
        """The clear key, the secrets given, then the prompt; and how many secrets were tried."""
        return try_secrets(lambda secret: self.attempt(stream, secret),
                           lambda secret: self.fits(secret, encryption["facts"]), keyring,
                           {**encryption, "address": address})


def try_secrets(attempt: Callable[[Secret | None], T | None], fits: Callable[[Secret], bool],
                keyring: KeyRing, request: dict[str, Any]) -> tuple[T | None, int]:
    """Without a secret first (a clear key), then each secret given that fits, then the prompt
    (shown `request`: kind, facts, address) until one opens or the officer skips; the result
    and how many secrets were tried."""
    tried = 0
    unlocked = attempt(None)
    for secret in list(keyring.secrets):
        if unlocked is not None:
            break
        if fits(secret):
            tried += 1
            unlocked = attempt(secret)
    while unlocked is None:
        secret = keyring.ask({**request, "tried": tried})
        if secret is None:
            break
        tried += 1
        if fits(secret):
            unlocked = attempt(secret)
    return unlocked, tried


def unlock_mac(target: Any, secret: Secret) -> str | None:
    """Unlock a libfvde logical volume or a libfsapfs volume with `secret`; the protector it
    was taken as ("recovery key" when shaped like one, else "password"), or None.

    A Mac takes a user's login password or the recovery key in the same box: the secret is
    tried both ways, in the order its shape suggests. libyal's OSError (a damaged key bag) is
    the caller's to report.
    """
    ways = [("password", target.set_password), ("recovery key", target.set_recovery_password)]
    if looks_like_mac_recovery_key(secret.value):
        ways.reverse()
    for protector, give in ways:
        give(secret.value)
        if target.unlock():
            return protector
    return None


def not_opened_by(tried: int) -> str:
    """Why a volume stayed locked, from how many secrets were tried on it."""
    return ("the secret given does not open it" if tried == 1 else
            f"none of the {tried} secrets given opens it" if tried else
            "no secret was given for it")
