"""The layered walk: a stream through every registered layer down to its volumes' file systems.

A source (or a partition TSK cannot open) is offered to the registered layers first (virtual
disk formats, LVM, encryption); each stream a layer opens is walked the same way, and what is
left is handed to The Sleuth Kit's volume and file system code. Every layer passed is kept, for
the address chain and for the coverage entry's `layers`.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import triage.layers.builtin  # noqa: F401 - registers the built-in layers, in probe order
import triage.walk.apfs  # noqa: F401 - registers the APFS walker
from triage.layers import LayerError, Stream
from triage.layers.encrypted import Locked
from triage.layers.entropy import HIGH_ENTROPY
from triage.layers.registry import identify
from triage.layers.streams import Slice
from triage.ledger.records import GapKind
from triage.walk.fsreg import identify_fs
from triage.walk.reached import Reached, Sink
from triage.walk.tskimage import AnyTskImage, TskImage
from triage.walk.volumes import Volume, find_volumes

# Layers inside layers (a VMDK holding a VHD holding LVM with an encrypted volume...) are
# followed this deep; deeper is a crafted loop, not a real disk.
MAX_LAYERS = 8
# Context every layer below sees too (the officer's secrets reach a BitLocker volume inside a
# VMDK's GPT); the rest (`sibling`, `name`) belongs to the stream it was given for.
_INHERITED = ("keyring",)


def _inherit(context: dict[str, Any]) -> dict[str, Any]:
    return {key: context[key] for key in _INHERITED if key in context}


def reach(stream: Stream, name: str, sink: Sink, *, img: AnyTskImage | None = None,
          context: dict[str, Any] | None = None) -> Iterator[Reached]:
    """Every volume inside `stream` (named `name`), through every layer, outermost first.

    `img` is TSK's view of `stream` when the caller has a faster one (libtsk's own raw reader);
    `context` goes to the layers (`sibling`, `name`; see triage.layers.base.Layer).
    """
    yield from _descend(stream, name, (), sink, 0, img, dict(context or {}), None, {})


def _descend(stream: Stream, chain: str, layers: tuple[str, ...], sink: Sink, depth: int,
             img: AnyTskImage | None, context: dict[str, Any],
             snapshot_of: tuple[str, int, int] | None,
             facts: dict[str, Any]) -> Iterator[Reached]:
    layer = _identify(stream, sink, chain)
    if layer is not None:
        yield from _through(layer, stream, chain, layers, sink, depth, context, snapshot_of,
                            Volume(0, 0, stream.size, f"{layer.name} (whole stream)"), facts)
        return
    if img is None:
        img = TskImage(stream)
    layout = find_volumes(img)
    for message in layout.warnings:
        sink.problem(chain, "volume", message)
    for offset, size in layout.unpartitioned:
        sink.gap(GapKind.UNPARTITIONED, chain, "space outside any partition is not carved",
                 size=size, offset=offset)
    for volume in layout.volumes:
        part_layers = layers if layout.scheme == "none" else (
            *layers, f"{layout.scheme} p{volume.index}")
        # A FAT volume may be a BitLocker To Go stick's discovery volume (only a reader
        # program; the data is encrypted behind it), so FAT is offered to the layers too.
        if (volume.fs is None or volume.fs_type.startswith("fat")) and (
                volume.offset < stream.size):
            inner = Slice(stream, volume.offset, volume.size)
            link = chain if layout.scheme == "none" else f"{chain} · p{volume.index}@" \
                                                         f"{volume.offset}"
            found = _identify(inner, sink, chain)
            if found is not None:
                yield from _through(found, inner, link, part_layers, sink, depth,
                                    _inherit(context), snapshot_of, volume, facts)
                continue
            walker = identify_fs(inner) if volume.fs is None else None
            if walker is not None:
                yield from _filesystem(walker, inner, link, part_layers, sink, volume,
                                       _inherit(context))
                continue
            if volume.fs is None and HIGH_ENTROPY.probe(b"", inner):
                yield from _through(HIGH_ENTROPY, inner, link, part_layers, sink, depth, {},
                                    snapshot_of, volume, facts)
                continue
        reached = Reached(chain, part_layers, img, volume, layout.scheme, dict(facts),
                          snapshot_of=snapshot_of)
        snapshots = (_snapshots(stream, reached, sink)
                     if reached.examined and snapshot_of is None else [])
        reached.has_snapshots = bool(snapshots) and snapshot_of is None
        yield reached
        if snapshot_of is None:
            for opened in snapshots:
                yield from _descend(opened.stream, f"{chain} · {_link(reached)}{opened.label}",
                                    (*part_layers, opened.label), sink, depth + 1, None, {},
                                    reached.key, opened.facts)


def _link(reached: Reached) -> str:
    """The partition link a snapshot's chain passes (none for a bare file system)."""
    if reached.scheme == "none":
        return ""
    return f"p{reached.volume.index}@{reached.volume.offset} · "


def _identify(stream: Stream, sink: Sink, chain: str) -> Any:
    try:
        return identify(stream)
    except OSError as exc:
        sink.problem(chain, "volume", f"could not be read to recognise its format: {exc}")
        return None


def _through(layer: Any, stream: Stream, chain: str, layers: tuple[str, ...], sink: Sink,
             depth: int, context: dict[str, Any], snapshot_of: tuple[str, int, int] | None,
             volume: Volume, facts: dict[str, Any]) -> Iterator[Reached]:
    """Open `layer` on `stream` and walk every stream it offers; a failure is a named gap."""
    if depth >= MAX_LAYERS:
        reason = f"{layer.name} inside {MAX_LAYERS} other layers; not opened (a safety limit)"
        yield _not_opened(chain, layers, volume, layer.name, reason, sink, "limit")
        return
    try:
        opened_all = layer.open(stream, address=chain, **context)
    except Locked as exc:  # an encrypted volume: its kind and key facts go to the report
        yield _not_opened(chain, layers, volume, layer.name, str(exc), sink, exc.kind,
                          {**facts, "encryption": exc.encryption})
        return
    except LayerError as exc:
        yield _not_opened(chain, layers, volume, layer.name, str(exc), sink, exc.kind)
        return
    except _OPEN_ERRORS as exc:
        yield _not_opened(chain, layers, volume, layer.name, _why(layer.name, exc), sink,
                          "unsupported")
        return
    for opened in opened_all:
        for problem in opened.facts.get("encryption", {}).get("problems", ()):
            sink.problem(chain, "volume", problem)  # e.g. a damaged BitLocker metadata copy
        yield from _descend(opened.stream, f"{chain} · {opened.label}", (*layers, opened.label),
                            sink, depth + 1, None, _inherit(context), snapshot_of,
                            {**facts, **opened.facts})


def _filesystem(walker: Any, stream: Stream, chain: str, layers: tuple[str, ...], sink: Sink,
                volume: Volume, context: dict[str, Any]) -> Iterator[Reached]:
    """A file system TSK lacks (APFS), walked by its own registered walker."""
    try:
        reached = list(walker.reach(stream, chain, layers, volume, sink, context))
    except _OPEN_ERRORS as exc:
        yield _not_opened(chain, layers, volume, walker.name, _why(walker.name, exc), sink,
                          "unsupported")
        return
    yield from reached


# What opening a layer or a file system may raise besides LayerError: the volume stays a gap.
_OPEN_ERRORS = (ImportError, OSError, ValueError, MemoryError)


def _why(name: str, exc: BaseException) -> str:
    """The reason a layer or file system could not be opened, in the report's words."""
    if isinstance(exc, ImportError):
        return f"{name}: the library that reads it ({exc.name}) is not installed; not examined"
    return f"{name} could not be opened ({exc})"


def _not_opened(chain: str, layers: tuple[str, ...], volume: Volume, name: str, reason: str,
                sink: Sink, kind: str, facts: dict[str, Any] | None = None) -> Reached:
    """A volume entry saying what could not be opened and why (never "unknown file system")."""
    failed = Volume(volume.index, volume.offset, volume.size, volume.description,
                    fs_type=name, reason=reason, gap=GapKind(kind))
    sink.problem(chain, "volume", reason)
    return Reached(chain, layers, None, failed, facts=dict(facts or {}))


def _snapshots(stream: Stream, live: Reached, sink: Sink) -> list[Any]:
    """Views beside an examined volume (Volume Shadow Copies), each walked against it."""
    inner = Slice(stream, live.volume.offset, live.volume.size)
    try:
        layer = identify(inner, beside=True)
    except OSError:
        return []
    if layer is None:
        return []
    try:
        return list(layer.open(inner, address=live.source))
    except (LayerError, OSError, ValueError) as exc:
        where = f"{live.source} · p{live.volume.index}@{live.volume.offset}"
        sink.problem(where, "volume", f"{layer.name}: snapshots not examined ({exc})")
        sink.gap(GapKind.UNSUPPORTED, where, f"{layer.name} snapshots: {exc}",
                 size=live.volume.size, offset=live.volume.offset, what="partition")
        return []
