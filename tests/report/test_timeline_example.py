"""The timeline table names what each breaching finding is about (its first record)."""

from __future__ import annotations

from triage.report.timeline import example


def test_a_removable_drive_is_named_with_its_serial_and_label() -> None:
    finding = {"detail": {"examples": [
        {"kind": "file-opened", "target_path": "E:\\Photos\\holiday.jpg", "drive_type":
         "removable", "volume_serial": "A1B2C3D4", "volume_label": "KINGSTON"}]}}
    assert example(finding) == ("e.g. E:\\Photos\\holiday.jpg (removable drive, volume serial "
                                "A1B2C3D4, label KINGSTON)")


def test_other_records_show_their_telling_field_and_nothing_is_invented() -> None:
    assert example({"detail": {"examples": [{"kind": "program-run", "name": "Eraser.exe"}]}}) == (
        "e.g. Eraser.exe")
    assert example({"detail": {"examples": [{"kind": "log-cleared"}]}}) == ""
    assert example({"detail": {}}) == ""
