"""Shortcuts (LNK) and jump lists: plaso's published samples (Apache-2.0), shortcuts written
from [MS-SHLLINK] (checked with liblnk's lnkinfo where installed), and damaged files."""

from __future__ import annotations

import datetime as dt
import random
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.artefacts.jumplists import (
    EXPLORER,
    PLASO,
    cyclic_fat,
    removable_jump_list,
    renamed_stream,
)
from tests.artefacts.lnkwriter import (
    DRIVE_REMOVABLE,
    custom_destinations,
    network_shortcut,
    shortcut,
)
from triage.artefacts.appids import app_name
from triage.artefacts.base import ExtractError, Origin
from triage.artefacts.destlist import read_destlist
from triage.artefacts.jumplist import JumpLists
from triage.artefacts.lnk import ShortcutFiles
from triage.artefacts.record import Artefact
from triage.artefacts.registry import extractor_for
from triage.artefacts.shortcut import read_shortcut

RECENT = "/Users/alex/AppData/Roaming/Microsoft/Windows/Recent"
OPENED = dt.datetime(2026, 11, 10, 20, 15, tzinfo=dt.UTC)


def _iso(when: dt.datetime) -> str:
    return when.isoformat().replace("+00:00", "Z")


def _extract(extractor: ShortcutFiles | JumpLists, copy: Path, path: str,
             modified: float | None = None) -> tuple[list[Artefact], str | None]:
    """The records, and the problem sentence the extractor raised after them (or None)."""
    found: list[Artefact] = []
    try:
        for artefact in extractor.extract(copy, Origin("ev · " + path, path, "alex", modified)):
            found.append(artefact)
    except ExtractError as exc:
        return found, str(exc)
    return found, None


def test_published_shortcut_to_a_program_on_a_fixed_drive() -> None:
    found = read_shortcut((PLASO / "NeroInfoTool.lnk").read_bytes())
    assert found.damage is None
    assert found.fields["target_path"] == (
        "C:\\Program Files (x86)\\Nero\\Nero 9\\Nero InfoTool\\InfoTool.exe")
    assert (found.fields["drive_type"], found.fields["volume_serial"],
            found.fields["volume_label"]) == ("fixed", "70ECFA33", "OS")
    assert found.fields["machine_id"] == "win-3qmdjgkf3g9"
    assert found.fields["target_size"] == 4635160
    assert found.fields["target_accessed"] == "2010-01-29T21:30:11.332157Z"
    assert found.fields["arguments"] == "-ScParameter=30002"


def test_published_shortcut_without_link_info_uses_its_environment_path() -> None:
    found = read_shortcut((PLASO / "example.lnk").read_bytes())
    assert found.damage is None and "drive_type" not in found.fields
    assert found.fields["target_path"] == "%windir%\\system32\\migwiz\\migwiz.exe"
    assert found.fields["machine_id"] == "win-tj9qcsjkags"


def test_an_unpaired_surrogate_in_a_published_name_is_replaced_not_fatal() -> None:
    found = read_shortcut((PLASO / "unpaired_surrogate.lnk").read_bytes())
    assert found.damage is None
    # LnkParse3 alone runs the empty suffix into the next string; ours stops at its NUL.
    assert found.fields["target_path"] == "C:\\test\\unicode_U+0000d800_\ufffd.exe"


def test_a_recent_shortcut_to_a_removable_drive(tmp_path: Path) -> None:
    link = tmp_path / "holiday.jpg.lnk"
    link.write_bytes(shortcut("E:\\Photos\\holiday.jpg", drive_type=DRIVE_REMOVABLE,
                              serial=0xA1B2C3D4, label="KINGSTON", created=OPENED,
                              modified=OPENED, accessed=OPENED, size=123456))
    path = f"{RECENT}/holiday.jpg.lnk"
    assert isinstance(extractor_for(path), ShortcutFiles)
    modified = (OPENED + dt.timedelta(minutes=1)).timestamp()
    (record,), problem = _extract(ShortcutFiles(), link, path, modified)
    assert problem is None and record.kind == "file-opened" and record.profile == "alex"
    assert record.time == modified  # the shortcut's own time: when it was last opened
    assert record.fields | {"machine_id": None} == {
        "target_path": "E:\\Photos\\holiday.jpg", "drive_type": "removable",
        "volume_serial": "A1B2C3D4", "volume_label": "KINGSTON", "target_size": 123456,
        "target_created": _iso(OPENED), "target_modified": _iso(OPENED),
        "target_accessed": _iso(OPENED), "relative_path": ".\\holiday.jpg",
        "working_directory": "E:\\Photos", "machine_id": None, "evidence": "recent shortcut",
        "name": "holiday.jpg"}
    # Without its own time, the record takes the target's access time.
    (record,), _ = _extract(ShortcutFiles(), link, path, None)
    assert record.time == OPENED.timestamp()


@pytest.mark.skipif(shutil.which("lnkinfo") is None, reason="lnkinfo (liblnk-utils) missing")
def test_the_written_shortcut_reads_the_same_in_liblnk(tmp_path: Path) -> None:
    link = tmp_path / "x.lnk"
    link.write_bytes(shortcut("E:\\Фото\\日本\\holiday.jpg", drive_type=DRIVE_REMOVABLE,
                              serial=0xA1B2C3D4, label="Клюшка", machine="pc-alex"))
    shown = subprocess.run(["lnkinfo", str(link)], capture_output=True, text=True,
                           check=True).stdout
    for line in ("Drive type\t\t\t: Removable (2)", "Drive serial number\t\t: 0xa1b2c3d4",
                 "Volume label\t\t\t: Клюшка", "Local path\t\t\t: E:\\Фото\\日本\\holiday.jpg",
                 "Machine identifier\t\t: pc-alex"):
        assert line in shown, line
    found = read_shortcut(link.read_bytes()).fields
    assert (found["target_path"], found["volume_label"], found["machine_id"]) == (
        "E:\\Фото\\日本\\holiday.jpg", "Клюшка", "pc-alex")


def test_a_shortcut_to_a_network_share(tmp_path: Path) -> None:
    link = tmp_path / "n.lnk"
    link.write_bytes(network_shortcut("\\\\nas\\photos", "2026\\beach.jpg"))
    found = read_shortcut(link.read_bytes())
    assert found.damage is None
    assert (found.fields["target_path"], found.fields["drive_type"],
            found.fields["network_share"]) == (
        "\\\\nas\\photos\\2026\\beach.jpg", "network", "\\\\nas\\photos")
    if shutil.which("lnkinfo"):
        shown = subprocess.run(["lnkinfo", str(link)], capture_output=True, text=True,
                               check=True).stdout
        assert "\\\\nas\\photos" in shown and "2026\\beach.jpg" in shown, shown


def test_hostile_names_are_kept_as_text() -> None:
    name = "E:\\..\\..\\<script>\u202egpj.exe\\x\ud800y.jpg"
    found = read_shortcut(shortcut(name, label="\0bad\u202e"))
    assert found.damage is None
    assert found.fields["target_path"] == name.replace("\ud800", "\ufffd")


def test_office_and_desktop_shortcuts_are_read_and_other_lnk_files_are_not() -> None:
    assert isinstance(extractor_for(
        "/Users/alex/AppData/Roaming/Microsoft/Office/Recent/report.docx.LNK"), ShortcutFiles)
    assert isinstance(extractor_for("/Users/alex/Desktop/Tor Browser.lnk"), ShortcutFiles)
    assert isinstance(extractor_for("/Users/alex/OneDrive/Desktop/a.lnk"), ShortcutFiles)
    assert extractor_for("/ProgramData/Microsoft/Windows/Start Menu/Programs/App.lnk") is None
    assert extractor_for("/Windows/System32/x.lnk") is None


def test_a_shortcut_cut_short_anywhere_keeps_what_was_read(tmp_path: Path) -> None:
    whole = shortcut("E:\\Photos\\holiday.jpg", drive_type=DRIVE_REMOVABLE, accessed=OPENED,
                     size=5)
    link = tmp_path / "cut.lnk"
    for length in range(0x4C, len(whole)):
        link.write_bytes(whole[:length])
        found, problem = _extract(ShortcutFiles(), link, f"{RECENT}/cut.lnk")
        assert problem is not None and "cut short" in problem, length
        assert found[0].fields["target_size"] == 5 and found[0].time == OPENED.timestamp()
    link.write_bytes(whole[:0x40])
    assert _extract(ShortcutFiles(), link, f"{RECENT}/cut.lnk") == (
        [], "not a Windows shortcut (no shell link header); nothing was read from it")


def test_damaged_shortcuts_never_raise_anything_but_one_sentence(tmp_path: Path) -> None:
    samples = [(PLASO / n).read_bytes() for n in ("NeroInfoTool.lnk", "example.lnk")]
    samples.append(shortcut("E:\\a\\b.jpg", drive_type=DRIVE_REMOVABLE))
    rng = random.Random(19)
    link = tmp_path / "bad.lnk"
    for _ in range(400):
        data = bytearray(rng.choice(samples))
        for _ in range(rng.randint(1, 12)):
            data[rng.randrange(0x14, len(data))] = rng.randrange(256)
        link.write_bytes(bytes(data))
        found, problem = _extract(ShortcutFiles(), link, f"{RECENT}/bad.lnk")
        assert len(found) == 1
        assert problem is None or problem.startswith("the shortcut is ")


def test_published_windows_7_explorer_jump_list() -> None:
    path = f"{RECENT}/AutomaticDestinations/{EXPLORER.name}"
    assert isinstance(extractor_for(path), JumpLists)
    found, problem = _extract(JumpLists(), EXPLORER, path)
    assert problem is None and len(found) == 7
    downloads = next(a for a in found if a.fields["entry"] == 7)
    # plaso's own test of this file: entry 7, C:\Users\bperry\Downloads, 2015-08-29 15:32:44.
    assert downloads.fields["target_path"] == "C:\\Users\\bperry\\Downloads"
    assert dt.datetime.fromtimestamp(downloads.time, dt.UTC).isoformat(
        timespec="milliseconds") == "2015-08-29T15:32:44.034+00:00"
    assert downloads.fields["app"] == "Windows Explorer (pinned and recent)"
    assert downloads.fields["machine_id"] == "student-pc1"
    assert downloads.fields["pinned"] is False and downloads.fields["volume_serial"] == "885029E6"


def test_published_windows_10_jump_list_has_access_counts() -> None:
    name = "9d1f905ce5044aee.automaticDestinations-ms"
    found, problem = _extract(JumpLists(), PLASO / name, f"{RECENT}/AutomaticDestinations/{name}")
    assert problem is None
    kb = next(a for a in found if a.fields["entry"] == 2)
    assert kb.fields["target_path"] == "http://support.microsoft.com/kb/3124263"
    assert kb.fields["access_count"] == 1 and kb.fields["app"] == "AppID 9d1f905ce5044aee"
    assert dt.datetime.fromtimestamp(kb.time, dt.UTC).isoformat(
        timespec="milliseconds") == "2016-01-17T13:08:08.247+00:00"


def test_published_custom_destinations() -> None:
    folder = f"{RECENT}/CustomDestinations"
    found, problem = _extract(JumpLists(), PLASO / "5afe4de1b92fc382.customDestinations-ms",
                              f"{folder}/5afe4de1b92fc382.customDestinations-ms")
    assert problem is None and len(found) == 9
    assert {a.fields["evidence"] for a in found} == {"jump list (custom)"}
    assert found[0].fields["target_path"] == "C:\\Windows\\System32\\GettingStarted.exe"
    empty = PLASO / "c98dce577f884ef8.customDestinations-ms"  # a list with no categories
    assert _extract(JumpLists(), empty, f"{folder}/{empty.name}") == ([], None)


def test_written_custom_destinations_with_a_removable_entry(tmp_path: Path) -> None:
    jump = tmp_path / "9b9cdc69c1c24e2b.customDestinations-ms"
    jump.write_bytes(custom_destinations([
        shortcut("C:\\Users\\alex\\notes.txt"),
        shortcut("F:\\stick\\list.txt", drive_type=DRIVE_REMOVABLE, serial=0xCAFE0001,
                 accessed=OPENED)]))
    found, problem = _extract(JumpLists(), jump, f"{RECENT}/CustomDestinations/{jump.name}")
    assert problem is None
    assert [(a.fields["target_path"], a.fields["drive_type"]) for a in found] == [
        ("C:\\Users\\alex\\notes.txt", "fixed"), ("F:\\stick\\list.txt", "removable")]
    assert found[1].fields["app"] == "Notepad (64-bit)" == app_name("9B9CDC69C1C24E2B")
    assert found[1].time == OPENED.timestamp()
    jump.write_bytes(jump.read_bytes()[:-150])
    found, problem = _extract(JumpLists(), jump, f"{RECENT}/CustomDestinations/{jump.name}")
    assert len(found) == 2 and problem is not None and "entry 2: cut short" in problem


def test_a_jump_list_entry_on_a_removable_drive_takes_its_destlist_time(tmp_path: Path) -> None:
    jump = removable_jump_list(tmp_path / EXPLORER.name, serial=0xA1B2C3D4, when=OPENED)
    found, problem = _extract(JumpLists(), jump, f"{RECENT}/AutomaticDestinations/{jump.name}")
    assert problem is None
    entry = next(a for a in found if a.fields["entry"] == 7)
    assert entry.time == OPENED.timestamp()
    assert (entry.fields["drive_type"], entry.fields["volume_serial"],
            entry.fields["target_path"]) == (
        "removable", "A1B2C3D4", "E:\\Users\\bperry\\Downloads")


def test_a_destlist_entry_without_its_shortcut_is_still_a_record(tmp_path: Path) -> None:
    jump = renamed_stream(tmp_path / EXPLORER.name)
    found, problem = _extract(JumpLists(), jump, f"{RECENT}/AutomaticDestinations/{jump.name}")
    assert problem is None and len(found) == 7
    alone = next(a for a in found if a.fields["entry"] == 7)
    assert alone.fields["target_path"] == "C:\\Users\\bperry\\Downloads"
    assert alone.fields["name"] == "Downloads" and alone.fields["machine_id"] == "student-pc1"
    assert "drive_type" not in alone.fields  # the DestList does not say which drive


def test_destlist_cut_short_keeps_the_entries_before(tmp_path: Path) -> None:
    import olefile

    with olefile.OleFileIO(str(EXPLORER)) as ole:
        stream = ole.openstream("DestList").read()
    entries, stopped = read_destlist(stream)
    assert len(entries) == 7 and stopped is None
    entries, stopped = read_destlist(stream[:400])
    assert len(entries) == 2 and stopped == "its DestList stream ends inside entry 3 of 7"
    assert read_destlist(b"") == ([], None)
    assert read_destlist(b"\x09" + bytes(40))[1] == (
        "its DestList stream has an unknown format version 9")


def test_not_an_ole_file_is_one_sentence(tmp_path: Path) -> None:
    bad = tmp_path / "1b4dd67f29cb1962.automaticDestinations-ms"
    bad.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(700))
    found, problem = _extract(JumpLists(), bad, f"{RECENT}/AutomaticDestinations/{bad.name}")
    assert found == [] and problem is not None
    assert problem.startswith("not a readable OLE compound file")


def test_a_cyclic_sector_chain_does_not_hang(tmp_path: Path) -> None:
    jump = cyclic_fat(tmp_path / EXPLORER.name)
    # In a child process, so that a hang fails this test instead of stopping the suite.
    code = ("import sys; from pathlib import Path; from tests.artefacts.test_shortcuts import "
            "_extract, RECENT; from triage.artefacts.jumplist import JumpLists; "
            f"found, problem = _extract(JumpLists(), Path({str(jump)!r}), "
            f"RECENT + '/AutomaticDestinations/{jump.name}'); print(len(found), problem)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=60, cwd=Path(__file__).resolve().parents[2], check=True)
    count, _, problem = done.stdout.strip().partition(" ")
    assert problem != "None" and int(count) < 7, done.stdout
