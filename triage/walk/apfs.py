"""APFS, which The Sleuth Kit build here lacks: containers and volumes walked with libfsapfs.

Each volume of a container becomes one link of the chain (`… · apfs 1 (Macintosh HD)`), walked
like a bare file system (`p0@0 apfs`) into the same FileRecords fswalk gives. An encrypted
(FileVault) volume is unlocked with a user's password or the personal recovery key, given or
asked for like any encrypted volume's (`apfs 1 (Macintosh HD, unlocked: password)`), or stays a
named gap; libfsapfs offers no snapshots, so none are examined.
"""

from __future__ import annotations

import stat
import threading
import uuid
from collections.abc import Callable, Iterator
from typing import Any

from triage.layers.base import Stream
from triage.layers.disks import short_error
from triage.layers.encrypted import (
    LOCKED,
    UNLOCKED,
    libyal_cause,
    not_opened_by,
    try_secrets,
    unlock_mac,
)
from triage.layers.fast import aes_engine
from triage.layers.kdf_limits import MAX_PBKDF2_ITERATIONS, mac_pbkdf2_problem
from triage.layers.secrets import PASSPHRASE, RECOVERY_PASSWORD, KeyRing, Secret
from triage.layers.streams import StreamFile
from triage.ledger.records import GapKind
from triage.model import Address, FileRecord, PartitionRef
from triage.walk.apfs_direct import DirectReader, Layout
from triage.walk.apfs_keybag import key_bags
from triage.walk.fsreg import FsWalker, register
from triage.walk.fswalk import MAX_DEPTH, WalkStats, WarnFn
from triage.walk.reached import Reached, Sink
from triage.walk.volumes import Volume

_NXSB = b"NXSB"  # container superblock magic, 32 bytes in
KIND = "apfs"  # the encryption entry's kind (the prompt's words and the report's)
_SECRET_KINDS = frozenset({PASSPHRASE, RECOVERY_PASSWORD})
_NS = 1_000_000_000


class ApfsContent:
    """One APFS file's bytes, read through libfsapfs under the container's lock or, on an
    unlocked volume whose key we hold, decrypted straight from the container (apfs_direct)."""

    token = None

    def __init__(self, entry: Any, size: int, lock: threading.RLock,
                 direct: DirectReader | None = None) -> None:
        self._entry = entry
        self._lock = lock
        self.size = size
        self._direct = direct  # None: libfsapfs reads this file
        self._layout: Layout | None = None  # where its bytes lie, found on the first read

    def first_block(self) -> int | None:
        return None  # reads are not ordered by disk position inside an APFS container

    def read(self, offset: int, length: int) -> bytes:
        length = min(length, self.size - offset)
        if offset < 0 or length <= 0:
            return b""
        if self._direct is not None and self._layout is None:  # the first read: find, check
            self._layout = self._direct.layout(self._entry, self.size, self._lock)
            if self._layout is None:
                self._direct = None
        if self._direct is not None and self._layout is not None:
            return self._direct.read(self._layout, offset, length)
        with self._lock:
            return bytes(self._entry.read_buffer_at_offset(length, offset))


class ApfsReached(Reached):
    """One APFS volume: walked with libfsapfs instead of The Sleuth Kit."""

    def __init__(self, source: str, layers: tuple[str, ...], volume: Volume, apfs: Any,
                 lock: threading.RLock, facts: dict[str, Any], keep: Any = None,
                 direct: DirectReader | None = None) -> None:
        super().__init__(source, layers, None, volume, "none", facts)
        self._apfs = apfs
        self._lock = lock
        self._keep = keep  # the container and its file object outlive every volume walk
        self._direct = direct  # an unlocked volume's file data, decrypted by our own XTS

    @property
    def examined(self) -> bool:
        return self._apfs is not None

    @property
    def lock(self) -> Any:
        return self._lock

    def walk(self, warn: WarnFn, stats: WalkStats) -> Iterator[tuple[FileRecord, Any]]:
        return walk_apfs(self._apfs, self._lock, self.source, self.partition(), warn, stats,
                         self._direct)

    def opener(self) -> Callable[[Any, Any], Any]:
        apfs, lock, direct = self._apfs, self._lock, self._direct

        def reopen(record: FileRecord, token: Any) -> ApfsContent:
            with lock:
                entry = apfs.get_file_entry_by_identifier(record.address.meta_addr)
            return ApfsContent(entry, record.size, lock, direct)

        return reopen

    def used_bytes(self) -> int | None:
        return None

    def geometry(self) -> tuple[int, int] | None:
        return None


class ApfsWalker(FsWalker):
    """An APFS container (a GPT partition of type APFS, or a bare container image)."""

    name = "apfs"

    def probe(self, head: bytes, stream: Stream) -> bool:
        return head[32:36] == _NXSB

    def reach(self, stream: Stream, chain: str, layers: tuple[str, ...], volume: Any,
              sink: Sink, context: dict[str, Any] | None = None) -> Iterator[Reached]:
        import pyfsapfs

        container = pyfsapfs.container()
        file = StreamFile(stream)
        try:
            container.open_file_object(file)
            count = container.number_of_volumes
        except OSError as exc:
            raise OSError(f"the APFS container is damaged ({short_error(exc)})") from exc
        keyring = (context or {}).get("keyring") or KeyRing()
        lock = threading.RLock()  # libfsapfs is not safe to share between threads
        sink.problem(chain, "volume", "APFS snapshots are not examined (the APFS library here "
                  "offers none); the volumes' current contents are")
        for number in range(1, count + 1):
            yield _reached(container, file, number, chain, layers, volume, sink, lock, keyring,
                           stream)


def _reached(container: Any, file: StreamFile, number: int, chain: str,
             layers: tuple[str, ...], volume: Any, sink: Sink, lock: threading.RLock,
             keyring: KeyRing, stream: Stream) -> ApfsReached:
    """Volume `number` of the container: opened (unlocked with the officer's secrets when
    encrypted), or a named gap saying why not."""
    try:
        apfs = container.get_volume(number - 1)
    except OSError as exc:  # e.g. its key bag lies past the end of a cut-off image
        here = Volume(0, 0, volume.size, f"APFS volume {number}", fs_type="apfs",
                      reason=f"APFS volume {number} could not be read ({libyal_cause(exc)})",
                      gap=GapKind.UNREADABLE)
        sink.problem(f"{chain} · apfs {number}", "volume", here.reason)
        return ApfsReached(f"{chain} · apfs {number}", (*layers, f"apfs {number}"), here, None,
                           lock, {})
    name = _volume_name(apfs)
    shown = f" '{name}'" if name else ""
    here = Volume(0, 0, volume.size, f"APFS volume {number}{shown}", fs_type="apfs")
    facts: dict[str, Any] = {"apfs_volume": name}
    link = f"apfs {number}" + (f" ({name})" if name else "")
    if apfs.is_locked():  # (libfsapfs crashes walking a locked volume: never walk one)
        encryption = {"kind": KIND, "state": LOCKED,
                      "facts": {"volume": name, "uuid": _identifier(apfs)}}
        facts["encryption"] = encryption
        bags = key_bags(stream.read, _uuid_bytes(apfs))  # read once: costs now, key later
        refused = mac_pbkdf2_problem(bags.pbkdf2_costs(), "its key bag")
        opened_by: list[Secret] = []
        try:
            if refused is not None:
                raise _Refused(refused)
            protector, tried = try_secrets(
                lambda secret: _attempt(apfs, secret, opened_by),
                lambda secret: secret.kind in _SECRET_KINDS, keyring,
                {**encryption, "address": f"{chain} · {link}"})
            why = not_opened_by(tried)
        except _Refused as exc:
            protector, why = None, str(exc)
        except OSError as exc:
            protector, why = None, f"its key bag could not be read ({libyal_cause(exc)})"
        if protector is None or apfs.is_locked():
            here.reason = f"APFS volume{shown or f' {number}'} (FileVault) left locked: {why}"
            here.gap = GapKind.ENCRYPTED
            sink.problem(f"{chain} · {link}", "volume", here.reason)
            return ApfsReached(f"{chain} · {link}", (*layers, link), here, None, lock, facts)
        encryption.update(state=UNLOCKED, protector=protector)
        link = f"apfs {number} (" + (f"{name}, " if name else "") + f"unlocked: {protector})"
        # The same secret gives us the volume key: file data is then decrypted by our XTS.
        key = bags.volume_key(opened_by[-1].value, MAX_PBKDF2_ITERATIONS) if opened_by else None
        encryption["engine"] = (f"libfsapfs; file data: {aes_engine()}" if key is not None
                                else "libfsapfs")
        return ApfsReached(f"{chain} · {link}", (*layers, link), here, apfs, lock, facts,
                           (container, file), DirectReader(stream, key) if key else None)
    return ApfsReached(f"{chain} · {link}", (*layers, link), here, apfs, lock, facts,
                       (container, file))


def _attempt(apfs: Any, secret: Secret | None, opened_by: list[Secret]) -> str | None:
    """The protector that unlocked `apfs` with `secret` (kept in `opened_by`), or None (an
    encrypted APFS volume keeps no clear key); OSError when its key bag cannot be read."""
    protector = None if secret is None else unlock_mac(apfs, secret)
    if protector is not None and secret is not None:
        opened_by.append(secret)
    return protector


class _Refused(Exception):
    """No secret is tried on the volume (the reason is the message)."""


def _uuid_bytes(apfs: Any) -> bytes:
    try:
        return uuid.UUID(str(apfs.identifier)).bytes
    except (OSError, ValueError):
        return b""


def _identifier(apfs: Any) -> str:
    try:
        return str(apfs.identifier).upper()
    except OSError:
        return ""


def _volume_name(apfs: Any) -> str:
    try:
        return str(apfs.name or "")
    except OSError:
        return ""


def _ns(value: int | None) -> float | None:
    return value / _NS if value else None


def walk_apfs(apfs: Any, lock: threading.RLock, source: str, part: PartitionRef, warn: WarnFn,
              stats: WalkStats, direct: DirectReader | None = None
              ) -> Iterator[tuple[FileRecord, Any]]:
    """A record (and content) for every regular file of an APFS volume, loop-safe."""
    with lock:
        root = apfs.get_root_directory()
    stack: list[tuple[Any, str, int]] = [(root, "", 0)]
    visited = {root.identifier}
    while stack:
        directory, dir_path, depth = stack.pop()
        try:
            with lock:
                children = list(directory.sub_file_entries)
        except OSError as exc:
            warn(str(Address(source, part, dir_path or "/", directory.identifier)),
                 f"directory not readable: {short_error(exc)}")
            continue
        for entry in children:
            with lock:
                try:
                    name, mode, ident = entry.name or "", entry.file_mode, entry.identifier
                    times = (entry.get_modification_time_as_integer(),
                             entry.get_access_time_as_integer(),
                             entry.get_inode_change_time_as_integer(),
                             entry.get_creation_time_as_integer())
                    size = entry.size
                except OSError as exc:
                    warn(str(Address(source, part, dir_path or "/", directory.identifier)),
                         f"an entry could not be read: {short_error(exc)}")
                    continue
            name = name.replace("/", "\\x2f")  # a separator inside a name must not invent folders
            path = f"{dir_path}/{name}"
            stats.entries += 1
            if stat.S_ISDIR(mode):
                stats.directories += 1
                if ident in visited:
                    continue
                if depth + 1 > MAX_DEPTH:
                    warn(str(Address(source, part, path, ident)),
                         f"deeper than {MAX_DEPTH} folders; not walked further")
                    continue
                visited.add(ident)
                stack.append((entry, path, depth + 1))
                continue
            if not stat.S_ISREG(mode):
                stats.other["symbolic link" if stat.S_ISLNK(mode) else "other entry"] += 1
                continue
            record = FileRecord(Address(source, part, path, ident), name, size, False,
                                *(_ns(t) for t in times))
            yield record, ApfsContent(entry, size, lock, direct)


register(ApfsWalker())
