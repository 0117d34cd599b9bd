"""7z archives through py7zr, whose push-style extraction runs in a helper thread."""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterator
from typing import Any

import py7zr
from py7zr.io import Py7zIO, WriterFactory

from triage.containers.buffers import Collector, ContentFile, SpillRequired
from triage.containers.formats import Context, Found, issue
from triage.containers.limits import LimitReached
from triage.errors import OutputError
from triage.ledger.records import Problem
from triage.model import Content

_OPEN_ERRORS = (py7zr.exceptions.ArchiveError, OSError, EOFError, ValueError, KeyError,
                IndexError, TypeError, NotImplementedError, RuntimeError, MemoryError)
_DONE = object()


class _Stop(Exception):
    """Raised inside py7zr's extraction when the reader was abandoned."""


class _Writer(Py7zIO):
    """Receives one member's bytes from py7zr; hands the finished member to the reader."""

    def __init__(self, name: str, sink: _Sink) -> None:
        self._name = name
        self._sink = sink
        self._collector: Collector | None = Collector(sink.ctx.budget, None, "this member")
        self._failure: Exception | None = None
        sink.created.add(name)

    def write(self, s: bytes | bytearray) -> int:
        if self._sink.stopped.is_set():
            raise _Stop
        if self._collector is not None and self._failure is None:
            try:
                self._collector.write(bytes(s))
            except (LimitReached, SpillRequired, OutputError, OSError) as exc:
                self._collector.discard()
                self._failure = exc
                if isinstance(exc, OutputError) or (
                        isinstance(exc, LimitReached) and exc.whole_container):
                    raise
        return len(s)

    def close(self) -> None:
        if self._collector is None:
            return
        collector, self._collector = self._collector, None
        if self._failure is not None:
            self._sink.hand_over(self._name, self._failure)
        else:
            self._sink.hand_over(self._name, collector.content())

    def read(self, size: int | None = None) -> bytes:
        return b""

    def seek(self, offset: int, whence: int = 0) -> int:
        return 0

    def flush(self) -> None:
        return None

    def size(self) -> int:
        return 0


class _Sink(WriterFactory):
    """Creates writers and passes finished members, one at a time, to the reading thread."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.created: set[str] = set()
        self.handed: queue.Queue[Any] = queue.Queue(maxsize=1)  # backpressure: one ahead
        self.stopped = threading.Event()

    def create(self, filename: str) -> Py7zIO:
        if self.stopped.is_set():
            raise _Stop
        return _Writer(filename, self)

    def hand_over(self, name: str, item: Any) -> None:
        while not self.stopped.is_set():
            try:
                self.handed.put((name, item), timeout=0.1)
                return
            except queue.Full:
                continue
        raise _Stop


def read_7z(content: Content, ctx: Context) -> Iterator[Found | Problem]:
    """Every file member of a 7z archive; encrypted ones are named but not examined."""
    try:
        archive = py7zr.SevenZipFile(ContentFile(content), mode="r")
    except py7zr.exceptions.PasswordRequired:
        yield issue(ctx, None, "encrypted 7z archive (names hidden too); not examined", "encrypted")
        return
    except _OPEN_ERRORS as exc:
        yield issue(ctx, None, f"not a readable 7z archive ({exc}); not examined", "corrupt")
        return
    with archive:
        infos = {i.filename: i for i in archive.list() if not i.is_directory}
        if archive.needs_password():
            for name in infos:
                yield issue(ctx, name, "encrypted; not examined (name listed)", "encrypted")
            return
        yield from _extract(archive, infos, ctx)


def _extract(archive: py7zr.SevenZipFile, infos: dict[str, Any],
             ctx: Context) -> Iterator[Found | Problem]:
    sink = _Sink(ctx)
    failure: list[BaseException] = []

    def run() -> None:
        try:
            archive.extractall(factory=sink)
        except _Stop:
            pass
        except BaseException as exc:  # noqa: BLE001 - handed to the reading thread
            failure.append(exc)
        finally:
            try:
                sink.handed.put(("", _DONE), timeout=None if not sink.stopped.is_set() else 0.1)
            except queue.Full:
                pass

    worker = threading.Thread(target=run, name="triage-7z", daemon=True)
    worker.start()
    try:
        while True:
            name, item = sink.handed.get()
            if item is _DONE:
                break
            if isinstance(item, OutputError):
                raise item
            if isinstance(item, LimitReached):
                yield issue(ctx, name, str(item), item.reason)
            elif isinstance(item, SpillRequired):
                yield issue(ctx, name, str(item), "too large")
            elif isinstance(item, Exception):
                yield issue(ctx, name, f"damaged member ({item}); not examined", "corrupt")
            else:
                info = infos.get(name)
                when = info.creationtime.timestamp() if info and info.creationtime else None
                yield Found(name, when, item)
    finally:
        sink.stopped.set()
        while worker.is_alive():
            _drain(sink)
            worker.join(timeout=0.1)
        _drain(sink)
    if failure:
        exc = failure[0]
        if isinstance(exc, LimitReached | OutputError):
            raise exc
        yield issue(ctx, None, f"damaged 7z archive ({exc}); the rest was not examined", "corrupt")
    for name in infos:
        if name not in sink.created:
            yield issue(
                ctx, name, "not extracted from the damaged archive; not examined", "corrupt")


def _drain(sink: _Sink) -> None:
    while True:
        try:
            _, item = sink.handed.get_nowait()
        except queue.Empty:
            return
        close = getattr(item, "close", None)
        if close is not None:
            close()
