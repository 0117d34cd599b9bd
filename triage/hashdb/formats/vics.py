"""Project VIC VICS JSON 1.x / 2.0 (OData envelope), streamed with ijson; CAID is a variant."""

from __future__ import annotations

import codecs
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

import ijson

from triage.errors import InvalidInputError
from triage.hashdb.algorithms import WIDTHS, parse_hex
from triage.hashdb.collect import EntryCollector
from triage.hashdb.formats.registry import ImportOptions, register
from triage.hashdb.policy import NOT_NOTABLE_VICS_CATEGORIES
from triage.hashdb.setinfo import SetKind

_ENVELOPE_KEYS = ('"odata.metadata"', '"@odata.context"')
_MEDIA_KEYS = frozenset({"mediaid", "md5", "sha1", "category", "mediafiles"})
_ALTERNATIVE_NAMES = {
    "md5": "md5",
    "sha1": "sha1",
    "sha-1": "sha1",
    "sha256": "sha256",
    "sha-256": "sha256",
}
TOP = "value.item"


def _open_without_bom(path: Path) -> BinaryIO:
    handle = path.open("rb")
    if handle.read(3) != codecs.BOM_UTF8:
        handle.seek(0)
    return handle


def media_records(handle: BinaryIO) -> Iterator[tuple[str, dict[str, Any]]]:
    """(label, record) for every Media record, at the top of `value[]` or nested in cases.

    Cases are built without their media arrays, and each media record on its own, so a case
    export holding millions of media never sits in memory whole.
    """
    item: ijson.ObjectBuilder | None = None
    media: ijson.ObjectBuilder | None = None
    media_prefix: str | None = None
    top_keys: set[str] = set()
    index = nested = -1
    for prefix, event, value in ijson.parse(handle, use_float=True):
        if media is not None:
            if prefix == media_prefix and event == "end_map":
                nested += 1
                yield f"value[{index}].{media_prefix.split('.')[2]}[{nested}]", media.value
                media = None
            else:
                media.event(event, value)
            continue
        if media_prefix is not None and prefix == media_prefix and event == "start_map":
            media = ijson.ObjectBuilder()
            media.event(event, value)
            continue
        if item is not None:
            item.event(event, value)
            if prefix == TOP and event == "map_key" and str(value).lower() == "media":
                media_prefix, nested = f"{TOP}.{value}.item", -1
            elif prefix == TOP and event == "end_map":
                record, item, media_prefix = item.value, None, None
                if _MEDIA_KEYS & {str(k).lower() for k in record}:
                    yield f"value[{index}]", record
            continue
        if prefix == TOP and event == "start_map":
            index += 1
            item = ijson.ObjectBuilder()
            item.event(event, value)
        elif prefix == "" and event == "map_key":
            top_keys.add(value)
    if "value" not in top_keys:
        raise ValueError("no `value` array (not an OData VICS export)")


def _field(record: dict[str, Any], name: str) -> Any:
    for key, value in record.items():
        if str(key).lower() == name:
            return value
    return None


def _digests(record: dict[str, Any]) -> Iterator[tuple[str, str, Any]]:
    """(algorithm, field label, value) for every hash a media record carries."""
    for algorithm in WIDTHS:
        value = _field(record, algorithm)
        if value not in (None, ""):
            yield algorithm, algorithm.upper(), value
    for number, media_file in enumerate(_field(record, "mediafiles") or []):
        if isinstance(media_file, dict):
            for algorithm in WIDTHS:
                value = _field(media_file, algorithm)
                if value not in (None, ""):
                    yield algorithm, f"MediaFiles[{number}].{algorithm.upper()}", value
    for number, alternative in enumerate(_field(record, "alternativehashes") or []):
        if not isinstance(alternative, dict):
            continue
        name = str(_field(alternative, "hashname") or "").lower()
        if name in _ALTERNATIVE_NAMES:  # PhotoDNA and other perceptual hashes come later
            yield (
                _ALTERNATIVE_NAMES[name],
                f"AlternativeHashes[{number}]",
                _field(alternative, "hashvalue"),
            )


def category_text(value: Any) -> str | None:
    """A VICS category as text: 1, 1.0 and "1" are all "1"."""
    if value is None or value == "":
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


@dataclass(frozen=True)
class Vics:
    """VICS 1.x and 2.0 exports; categories kept as the export numbers them."""

    name: str = "vics"
    description: str = "Project VIC VICS JSON 1.x / 2.0"
    priority: int | None = 31
    kind: SetKind | None = None

    def sniff(self, head: bytes, path: Path) -> bool:
        text = head.decode("utf-8", errors="replace").lstrip("\ufeff \r\n\t")
        return text.startswith("{") and any(key in text for key in _ENVELOPE_KEYS)

    def category(self, raw: str | None, options: ImportOptions) -> tuple[str | None, bool]:
        """(category to record, keep?) for a record's numeric category."""
        return raw, raw not in NOT_NOTABLE_VICS_CATEGORIES

    def run(self, path: Path, sink: EntryCollector, options: ImportOptions) -> None:
        where = str(path)
        notable = sink.info.kind is SetKind.NOTABLE
        records = 0
        with _open_without_bom(path) as handle:
            try:
                for label, record in media_records(handle):
                    records += 1
                    self._record(label, record, where, sink, options, notable)
            except (ijson.JSONError, ValueError) as exc:
                reason = str(exc).strip().splitlines()[0] if str(exc).strip() else "no detail"
                raise InvalidInputError(
                    f"{where}: the VICS JSON is cut short or malformed after {records} media "
                    f"records ({reason}); export it again — nothing was imported."
                ) from exc

    def _record(
        self,
        label: str,
        record: dict[str, Any],
        where: str,
        sink: EntryCollector,
        options: ImportOptions,
        notable: bool,
    ) -> None:
        category, keep = self.category(category_text(_field(record, "category")), options)
        if notable and not keep:
            sink.stats.skipped += 1
            return
        media_id = _field(record, "mediaid")
        reference = f"MediaID {media_id}" if media_id not in (None, "") else None
        parsed = []
        for algorithm, field_label, value in _digests(record):
            found = parse_hex(str(value), algorithm)
            if found is None:
                sink.stats.reject(
                    where,
                    label,
                    f"{field_label} {str(value)[:80]!r} is not a "
                    f"{2 * WIDTHS[algorithm]}-digit hex {algorithm.upper()}",
                )
                return
            parsed.append(found)
        if not parsed:
            sink.stats.reject(where, label, "the media record carries no MD5, SHA1 or SHA256")
            return
        for algorithm, digest in parsed:
            sink.add(algorithm, digest, category=category, reference=reference)


@dataclass(frozen=True)
class Caid(Vics):
    """UK CAID exports: VICS 2.0 whose numeric categories map to legal categories A/B/C."""

    name: str = "caid"
    description: str = "UK CAID export (VICS 2.0, UK categories via --category-map)"
    priority: int | None = 30

    def sniff(self, head: bytes, path: Path) -> bool:
        return super().sniff(head, path) and "caid" in head.decode("utf-8", "replace").lower()

    def category(self, raw: str | None, options: ImportOptions) -> tuple[str | None, bool]:
        mapping = options.category_map or {}
        if raw in mapping:
            return mapping[raw], True
        return raw, False  # not indecent under the set's mapping (e.g. 0 or 4): not notable


VICS = register(Vics())
CAID = register(Caid())
