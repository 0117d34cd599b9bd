"""Serialisation derived from the dataclasses: options, records and findings round-trip."""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
import json
from pathlib import Path

from tests.ledger import typed_only
from triage.containers import ContainerLimits
from triage.keys import generate
from triage.ledger.serial import load, to_json
from triage.model import Address, FileRecord, Finding, PartitionRef, Severity
from triage.options import ScanOptions


def _round_trip(cls, value):  # noqa: ANN001, ANN202
    return load(cls, json.loads(json.dumps(to_json(value))))


def test_scan_options_round_trip_without_the_key_and_the_spill_folder(tmp_path: Path) -> None:
    key = generate(tmp_path / "keys", "officer")
    options = ScanOptions(
        hashsets=tmp_path / "sets", case="24/1", subject="RSO-1", time_budget_min=12.5,
        since=dt.datetime(2026, 1, 2, tzinfo=dt.UTC), signing_key=key,
        containers=ContainerLimits(max_depth=3, spill_dir=tmp_path / "spill"),
        excluded=[{"source": "/dev/sdz", "reason": "the stick"}])
    saved = to_json(options)
    assert "signing_key" not in saved and "spill_dir" not in saved["containers"]
    assert "PRIVATE" not in json.dumps(saved)
    again = _round_trip(ScanOptions, options)
    assert again == dataclasses.replace(
        options, signing_key=None,
        containers=dataclasses.replace(options.containers, spill_dir=None))


def test_a_finding_with_its_record_and_address_round_trips() -> None:
    record = FileRecord(Address("d.img", PartitionRef(2, 4096, "ntfs"), "/a b.jpg", 7, "ads",
                                "x.zip!y.jpg"), "y.jpg", 5, deleted=True, mtime=1.5,
                        sha256="00" * 32, facts={"hashset_hits": [{"set": "s"}]})
    finding = Finding("exact", Severity.CRITICAL, record, "Known file", hashset="s",
                      matches=[{"hashset": "s", "severity": "critical"}], detail={"k": [1, 2]})
    assert _round_trip(Finding, finding) == finding


def test_transient_fields_may_name_types_known_only_to_the_type_checker() -> None:
    assert _round_trip(typed_only.Holder, typed_only.Holder(3)) == typed_only.Holder(3)


def test_enum_members_that_are_also_ints_or_strs_are_saved_as_their_values() -> None:
    class Level(enum.IntEnum):
        HIGH = 3

    class Colour(enum.StrEnum):
        RED = "red"

    assert to_json([Level.HIGH, Colour.RED, 3, "red", 1.5, True, None]) == [
        3, "red", 3, "red", 1.5, True, None]
    assert type(to_json(Level.HIGH)) is int and type(to_json(Colour.RED)) is str
