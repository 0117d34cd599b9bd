"""Prefetch, Amcache, SAM, RecentDocs and MountedDevices from real files: plaso's published
samples, and hives written by hivexregedit."""

from __future__ import annotations

import datetime as dt
import struct
import time
from pathlib import Path

import pytest

from tests.artefacts.evtxwriter import event, write_evtx
from tests.artefacts.hives import HIVEXREGEDIT, make_hive
from tests.artefacts.windows_samples import PLASO, filetime, prefetch_of, unpacked
from triage.artefacts.amcache import AmcacheHive
from triage.artefacts.base import ExtractError, Origin
from triage.artefacts.collect import ArtefactCollector, Collected
from triage.artefacts.evtx import EventLogs
from triage.artefacts.extract import extract_all
from triage.artefacts.prefetch import PrefetchFiles
from triage.artefacts.registry import companion_of, extractor_for
from triage.artefacts.sam import SamHive
from triage.artefacts.winreg import RegistryHives

needs_hivex = pytest.mark.skipif(HIVEXREGEDIT is None, reason="hivexregedit is not installed "
                                 "(apt-get install libwin-hivex-perl)")
AMCACHE = "/Windows/AppCompat/Programs/Amcache.hve"


def _z(when: str) -> str:
    return when.replace("+00:00", "Z")


# (file, executable, run count, run times kept, latest run, volume serial): the values plaso's
# own tests assert for these files (tests/parsers/winprefetch.py), and libscca's for the rest.
PREFETCH = [
    ("CMD.EXE-087B4001.pf", "CMD.EXE", 2, 1, "2013-03-10T10:11:49.281250Z", "24CB074B"),
    ("PING.EXE-B29F6629.pf", "PING.EXE", 14, 1, "2012-04-06T19:00:55.932955Z", "AC036525"),
    ("TASKHOST.EXE-3AE259FC.pf", "TASKHOST.EXE", 4, 4, "2013-10-04T15:40:09.037833Z",
     "686C4249"),
    ("ONEDRIVE.EXE-7E152375.pf", "ONEDRIVE.EXE", 2, 2, "2015-05-14T22:11:05.485277Z",
     "3E0D2D25"),
    ("NOTEPAD.EXE-D8414F97.pf", "NOTEPAD.EXE", 2, 2, "2019-06-05T19:55:04.877778Z",
     "2CA3D1AE"),
    ("AM_DELTA_PATCH_1.443.990.0.EX-7037CF86.pf", "AM_DELTA_PATCH_1.443.990.0.EX", 1, 1,
     "2026-02-04T13:43:44.668632Z", "BC1F1BFC"),
]


@pytest.mark.parametrize(("name", "executable", "count", "kept", "latest", "serial"), PREFETCH)
def test_prefetch_from_xp_to_windows_11(name: str, executable: str, count: int, kept: int,
                                        latest: str, serial: str) -> None:
    path = f"/Windows/Prefetch/{name}"
    assert extractor_for(path).name == "windows-prefetch"
    (found,) = PrefetchFiles().extract(PLASO / name, Origin("disk · " + path, path, None))
    fields = found.fields
    assert (found.kind, fields["name"], fields["count"], fields["evidence"]) == (
        "program-run", executable, count, "Prefetch")
    assert len(fields["last_runs"]) == kept and fields["last_runs"][0] == latest
    assert fields["last_runs"] == sorted(fields["last_runs"], reverse=True)
    assert found.time == dt.datetime.fromisoformat(latest.replace("Z", "+00:00")).timestamp()
    assert [v["serial"] for v in fields["volumes"]] == [serial]
    assert fields["prefetch_hash"] == name.rsplit("-", 1)[1].removesuffix(".pf")
    if executable.endswith(".EXE"):
        assert fields["path"].upper().endswith("\\" + executable)


def test_prefetch_keeps_the_full_path_of_the_program() -> None:
    (found,) = PrefetchFiles().extract(PLASO / "ONEDRIVE.EXE-7E152375.pf",
                                       Origin("a", "/Windows/Prefetch/x.pf", None))
    assert found.fields["path"] == ("\\VOLUME{01d08edc0cbccaad-3e0d2d25}\\USERS\\TEST\\APPDATA"
                                    "\\LOCAL\\MICROSOFT\\ONEDRIVE\\ONEDRIVE.EXE")
    assert found.fields["volumes"][0]["path"] == "\\VOLUME{01d08edc0cbccaad-3e0d2d25}"
    assert found.fields["files_loaded"] == 134 and found.fields["files_on_other_volumes"] == []


@pytest.mark.parametrize("damage", ["truncated", "compressed-noise", "zeros", "huge"])
def test_a_bad_prefetch_file_is_one_sentence(tmp_path: Path, damage: str) -> None:
    bad = tmp_path / "X.EXE-00000000.pf"
    if damage == "truncated":  # cut inside the MAM-compressed stream
        bad.write_bytes((PLASO / "NOTEPAD.EXE-D8414F97.pf").read_bytes()[:3000])
    elif damage == "compressed-noise":
        bad.write_bytes(b"MAM\x04" + (9000).to_bytes(4, "little") + bytes(range(256)) * 12)
    elif damage == "huge":
        with bad.open("wb") as out:
            out.truncate(17 * 1024 * 1024)
    else:  # what an unflushed file looks like after a crash
        bad.write_bytes(bytes(7669))
    started = time.monotonic()
    with pytest.raises(ExtractError) as caught:
        list(PrefetchFiles().extract(bad, Origin("a", "/Windows/Prefetch/X.pf", None)))
    assert time.monotonic() - started < 5
    message = str(caught.value)
    assert "Prefetch file" in message and "\n" not in message and len(message) < 200


def test_an_empty_prefetch_file_is_nothing_to_read(tmp_path: Path) -> None:
    empty = tmp_path / "X.EXE-00000000.pf"
    empty.write_bytes(b"")
    assert list(PrefetchFiles().extract(empty, Origin("a", "/Windows/Prefetch/X.pf", None))) == []


def test_a_bad_prefetch_file_is_one_problem_and_the_others_are_kept(tmp_path: Path) -> None:
    good = tmp_path / "NOTEPAD.EXE-D8414F97.pf"
    good.write_bytes((PLASO / good.name).read_bytes())
    bad = tmp_path / "EVIL.EXE-00000000.pf"
    bad.write_bytes(good.read_bytes()[:1000])
    collector = ArtefactCollector(tmp_path / "copies")
    for copy in (bad, good):
        path = f"/Windows/Prefetch/{copy.name}"
        collector.primaries.append(Collected("windows-prefetch", copy,
                                             Origin(f"disk · ntfs · {path}", path, None)))
    problems: list[tuple[str, str]] = []
    extracted = extract_all(collector, lambda address, message: problems.append(
        (address, message)))
    assert [a.fields["name"] for a in extracted.records] == ["NOTEPAD.EXE"]
    assert len(problems) == 1 and problems[0][0].endswith("EVIL.EXE-00000000.pf")
    assert problems[0][1].startswith("windows-prefetch: ") and "Prefetch file (" in problems[0][1]


def test_a_prefetch_file_edited_to_name_a_tool_reads_as_that_tool(tmp_path: Path) -> None:
    when = dt.datetime(2026, 11, 5, 20, 0, tzinfo=dt.UTC)
    copy = tmp_path / "VERACRYPT.EXE-3AE259FC.pf"
    copy.write_bytes(prefetch_of("VeraCrypt.exe", when))
    (found,) = PrefetchFiles().extract(copy, Origin("a", "/Windows/Prefetch/x.pf", None))
    assert (found.fields["name"], found.time) == ("VERACRYPT.EXE", when.timestamp())


def test_published_windows_10_amcache(tmp_path: Path) -> None:
    hive = unpacked("win10-Amcache.hve.gz", tmp_path)
    assert extractor_for(AMCACHE).name == "windows-amcache"
    assert companion_of(AMCACHE + ".LOG1")[1] == AMCACHE
    found = list(AmcacheHive().extract(hive, Origin("a", AMCACHE, None)))
    ran = [a for a in found if a.kind == "program-run"]
    installed = [a for a in found if a.kind == "program-installed"]
    assert (len(ran), len(installed)) == (30, 75)
    seven = next(a for a in ran if a.fields["name"] == "7z.exe")
    assert seven.fields["sha1"] == "6c7ea8bbd435163ae3945cbef30ef6b9872a4591"
    assert seven.fields["path"] == "c:\\program files\\7-zip\\7z.exe"
    assert seven.fields["size"] == 468992 and seven.fields["evidence"] == "Amcache"
    assert all(a.time is not None for a in found)
    assert all(len(a.fields["sha1"]) == 40 for a in ran)


@needs_hivex
def test_amcache_written_by_hivex(tmp_path: Path) -> None:
    sha1 = "a" * 40
    hive = make_hive(tmp_path / "Amcache.hve", {
        r"\Root\InventoryApplicationFile\openvpn-gui.exe|5f2e3c9d1a0b4c7e": {
            "LowerCaseLongPath": r"c:\program files\openvpn\bin\openvpn-gui.exe",
            "Name": "openvpn-gui.exe", "FileId": "0000" + sha1, "Publisher": "openvpn inc.",
            "Version": "11.46.0.0", "Size": (0xB, struct.pack("<Q", 1_234_567))},
        r"\Root\InventoryApplication\0000f1e2d3c4b5a6": {
            "Name": "OpenVPN 2.6.12-I001 amd64", "Version": "2.6.12", "Publisher": "OpenVPN, Inc.",
            "InstallDate": "11/03/2026 08:15:00", "Source": "AddRemoveProgram"}})
    found = list(AmcacheHive().extract(hive, Origin("a", AMCACHE, None)))
    ran = next(a for a in found if a.kind == "program-run")
    assert (ran.fields["name"], ran.fields["sha1"], ran.fields["size"]) == (
        "openvpn-gui.exe", sha1, 1_234_567)
    assert ran.time is not None  # the key's written time (hivex keeps its minimal hive's)
    installed = next(a for a in found if a.kind == "program-installed")
    assert installed.time == dt.datetime(2026, 11, 3, 8, 15, tzinfo=dt.UTC).timestamp()


def test_a_damaged_amcache_is_one_sentence(tmp_path: Path) -> None:
    bad = tmp_path / "Amcache.hve"
    bad.write_bytes(b"regf" + b"\x01" * 5000)
    with pytest.raises(ExtractError, match="hive"):
        list(AmcacheHive().extract(bad, Origin("a", AMCACHE, None)))


def test_published_sam_accounts(tmp_path: Path) -> None:
    hive = unpacked("SAM.gz", tmp_path)
    path = "/Windows/System32/config/SAM"
    assert extractor_for(path).name == "windows-sam"
    assert companion_of(path + ".LOG2") == (extractor_for(path), path)  # its transaction log
    found = list(SamHive().extract(hive, Origin("a", path, None)))
    accounts = {a.fields["name"]: a for a in found}
    assert sorted((a.fields["rid"], name) for name, a in accounts.items()) == [
        (500, "Administrator"), (501, "Guest"), (1001, "gold_administrator")]
    admin = accounts["Administrator"].fields  # as plaso's tests/parsers/winreg_plugins/sam_users
    assert admin["comment"] == "Built-in account for administering the computer/domain"
    assert admin["last_login"] == "2014-03-18T10:20:47.341425Z"
    assert admin["password_set"] == "2014-03-18T10:20:51.075795Z"  # noqa: S105 - a time
    assert admin["login_count"] == 3 and admin["disabled"] is True
    user = accounts["gold_administrator"]
    assert user.fields["login_count"] == 4 and user.fields["disabled"] is False
    assert user.fields["last_login"] == "2016-10-11T19:52:35.969985Z"
    assert user.fields["created"] == "2015-11-23T02:59:18.338742Z"
    assert user.time == dt.datetime(2015, 11, 23, 2, 59, 18, 338742, tzinfo=dt.UTC).timestamp()


def _mru(*numbers: int) -> tuple[int, bytes]:
    return (3, b"".join(struct.pack("<I", n) for n in numbers) + b"\xff\xff\xff\xff")


def _doc(name: str) -> tuple[int, bytes]:
    # The name, then a shell item naming the shortcut (its bytes are not read).
    return (3, name.encode("utf-16-le") + b"\0\0" + b"\x14\x00\x32\x00" + bytes(16))


@needs_hivex
def test_recent_docs_in_most_recent_first_order(tmp_path: Path) -> None:
    recent = r"\Software\Microsoft\Windows\CurrentVersion\Explorer\RecentDocs"
    user = make_hive(tmp_path / "NTUSER.DAT", {
        recent: {"0": _doc("holiday.jpg"), "1": _doc("notes.txt"), "2": _doc("E:\\"),
                 "MRUListEx": _mru(1, 2, 0)},
        recent + r"\.jpg": {"0": _doc("holiday.jpg"), "MRUListEx": _mru(0)},
        recent + r"\.txt": {"0": _doc("older.txt"), "1": _doc("notes.txt"),
                            "MRUListEx": _mru(0, 1)}})
    found = [a for a in RegistryHives().extract(user, Origin("u", "/Users/alex/NTUSER.DAT",
                                                             "alex")) if a.kind == "file-opened"]
    assert [(a.fields["name"], a.fields["mru_position"]) for a in found] == [
        ("notes.txt", 0), ("E:\\", 1), ("holiday.jpg", 2)]
    assert all(a.profile == "alex" and a.fields["evidence"] == "RecentDocs" for a in found)
    # The main key's time is its first entry's; holiday.jpg heads .jpg, so it has that key's;
    # the folder E:\ heads no key, so its time is unknown.
    assert found[0].time is not None and found[2].time is not None and found[1].time is None
    assert found[2].fields["extension"] == "jpg"


@needs_hivex
def test_mounted_devices_give_usb_sticks_their_drive_letters(tmp_path: Path) -> None:
    usbstor = r"\ControlSet001\Enum\USBSTOR"
    stick = r"Disk&Ven_SanDisk&Prod_Cruzer_Blade&Rev_1.00"
    gone = r"Disk&Ven_Kingston&Prod_DataTraveler_3.0&Rev_PMAP"
    guid = "{53f56307-b6bf-11d0-94f2-00a0c91efb8b}"

    def pnp(device: str, instance: str) -> tuple[int, bytes]:
        return (3, f"\\??\\USBSTOR#{device}#{instance}#{guid}".encode("utf-16-le"))

    system = make_hive(tmp_path / "SYSTEM", {
        r"\Select": {"Current": 1},
        f"{usbstor}\\{stick}\\4C530001230321112345&0": {"FriendlyName": "SanDisk Cruzer"},
        r"\MountedDevices": {
            r"\DosDevices\C:": (3, b"DMIO:ID:" + bytes(range(16))),
            r"\DosDevices\E:": pnp(stick, "4C530001230321112345&0"),
            r"\??\Volume{7d3b1a2c-0f4e-11ef-9a1b-806e6f6e6963}": pnp(
                stick, "4C530001230321112345&0"),
            r"\DosDevices\F:": pnp(gone, "E0D55EA574EEF2C0B97A0076&0")}})
    found = [a for a in RegistryHives().extract(system, Origin(
        "s", "/Windows/System32/config/SYSTEM", None)) if a.kind == "usb-device"]
    by_serial = {a.fields["serial"]: a.fields for a in found}
    sandisk = by_serial["4C530001230321112345"]
    assert sandisk["drive_letters"] == ["E:"] and sandisk["evidence"] == "USBSTOR"
    assert sandisk["volume_guids"] == ["{7d3b1a2c-0f4e-11ef-9a1b-806e6f6e6963}"]
    # USBSTOR no longer lists the Kingston stick (its key deleted); MountedDevices still does.
    kingston = by_serial["E0D55EA574EEF2C0B97A0076"]
    assert (kingston["vendor"], kingston["drive_letters"], kingston["evidence"]) == (
        "Kingston", ["F:"], "MountedDevices")
    assert len(found) == 2


@needs_hivex
def test_uasp_drives_and_phones_that_usbstor_never_lists(tmp_path: Path) -> None:
    usb = r"\ControlSet001\Enum\USB"
    first = dt.datetime(2026, 11, 12, 8, 0, tzinfo=dt.UTC)
    props = r"Properties\{83da6326-97a6-4088-9453-a1923f573b29}\0064"
    system = make_hive(tmp_path / "SYSTEM", {
        r"\Select": {"Current": 1},
        usb + r"\VID_04E8&PID_61FB\S6XNNS0T812345": {
            "Service": "UASPStor", "FriendlyName": "Samsung PSSD T7", "Mfg": "Samsung"},
        usb + r"\VID_04E8&PID_6860\R5CT1234ABC": {
            "ClassGUID": "{EEC5AD98-8080-425F-922A-DABF3DE3F69A}", "Service": "WUDFRd",
            "DeviceDesc": "@oem12.inf,%mtp.devicedesc%;Galaxy S23"},
        usb + r"\VID_04E8&PID_6860\R5CT1234ABC" + "\\" + props: {
            "": (0xFFFF0010, filetime(first))},
        usb + r"\VID_04A9&PID_32D4\6&2c9d1f0&0&2": {
            "ClassGUID": "{eec5ad98-8080-425f-922a-dabf3de3f69a}", "FriendlyName": "Canon EOS"},
        usb + r"\VID_046D&PID_C31C\6&1a2b3c4&0&1": {"Service": "HidUsb"},  # a keyboard
        usb + r"\VID_0781&PID_5567\4C530001230321112345": {"Service": "USBSTOR"},  # a stick
    })
    found = [a for a in RegistryHives().extract(system, Origin(
        "s", "/Windows/System32/config/SYSTEM", None)) if a.kind == "usb-device"]
    by_name = {a.fields["friendly_name"]: a for a in found}
    assert set(by_name) == {"Samsung PSSD T7", "Galaxy S23", "Canon EOS"}
    ssd, phone, camera = (by_name[n] for n in ("Samsung PSSD T7", "Galaxy S23", "Canon EOS"))
    assert (ssd.fields["type"], ssd.fields["serial"], ssd.fields["vendor"]) == (
        "UASP storage", "S6XNNS0T812345", "VID_04E8")
    assert phone.fields["type"] == "portable device (MTP/PTP)"
    assert phone.time == first.timestamp() == phone.fields["first_connected"]
    assert camera.fields["serial"] == ""  # Windows made up its instance name
    assert all(a.fields["evidence"] == "Enum\\USB" for a in found)


def test_cleared_logs_from_event_logs_two_parsers_agree_on(tmp_path: Path) -> None:
    import evtx  # the Rust parser: an independent reading of what the writer made
    from Evtx.Evtx import Evtx

    when = dt.datetime(2026, 11, 14, 22, 5, 7, tzinfo=dt.UTC)
    security = write_evtx(tmp_path / "Security.evtx", [event(
        "Microsoft-Windows-Eventlog", 1102, when, "Security",
        ("LogFileCleared", {"SubjectUserSid": "S-1-5-21-1-2-3-1001", "SubjectUserName": "alex",
                            "SubjectDomainName": "ALEX-PC", "SubjectLogonId": "0x3e7"}))])
    system = write_evtx(tmp_path / "System.evtx", [
        event("Microsoft-Windows-Eventlog", 104, when + dt.timedelta(seconds=3), "System",
              ("LogFileCleared", {"SubjectUserName": "alex", "SubjectDomainName": "ALEX-PC",
                                  "Channel": "Application", "BackupPath": ""})),
        event("EventLog", 6005, when - dt.timedelta(hours=1), "System", event_data={})])
    for path in (security, system):
        with Evtx(str(path)) as log:
            header = log.get_file_header()
            assert header.verify() and all(chunk.verify() for chunk in header.chunks())
            ours = [record.xml() for record in log.records()]
        theirs = [r["data"] for r in evtx.PyEvtxParser(str(path)).records()]
        assert len(ours) == len(theirs) and all("<SubjectUserName>alex" in x for x in theirs
                                                if "LogFileCleared" in x)
    found = [a for path in (security, system) for a in EventLogs().extract(
        path, Origin("d", f"/Windows/System32/winevt/Logs/{path.name}", None))]
    cleared = [(a.fields["log"], a.fields["user"], a.time) for a in found
               if a.kind == "log-cleared"]
    assert cleared == [("Security", "alex", when.timestamp()),
                       ("Application", "alex", when.timestamp() + 3)]
    assert [a.fields["event"] for a in found if a.kind == "system-event"] == [
        "the event log service started (boot)"]


@needs_hivex
def test_sam_written_by_hivex(tmp_path: Path) -> None:
    last = dt.datetime(2026, 11, 20, 19, 5, tzinfo=dt.UTC)
    f = bytearray(80)
    f[8:16] = filetime(last)
    struct.pack_into("<I", f, 48, 1001)
    struct.pack_into("<HH", f, 64, 1, 57)
    name, full = "alex".encode("utf-16-le"), "Alex Smith".encode("utf-16-le")
    v = bytearray(0xCC)
    struct.pack_into("<II", v, 0x0C, 0, len(name))
    struct.pack_into("<II", v, 0x18, len(name), len(full))
    v += name + full
    users = r"\SAM\Domains\Account\Users"
    hive = make_hive(tmp_path / "SAM", {
        users + r"\000003E9": {"F": (3, bytes(f)), "V": (3, bytes(v))},
        users + r"\Names\alex": {"": (0x3E9, b"")}})
    (account,) = SamHive().extract(hive, Origin("a", "/Windows/System32/config/SAM", None))
    assert account.fields | {"created": None} == {
        "rid": 1001, "name": "alex", "full_name": "Alex Smith",
        "last_login": "2026-11-20T19:05:00Z", "password_set": None, "last_failed_login": None,
        "disabled": False, "failed_logins": 1, "login_count": 57, "created": None,
        "evidence": "SAM"}
    assert account.fields["created"] is not None and account.time is not None


@pytest.mark.parametrize(("name", "extractor", "path", "kept"), [
    # Amcache's key lists lie near its end: a cut that loses them loses every entry.
    ("win10-Amcache.hve.gz", AmcacheHive(), AMCACHE, 95),
    ("SAM.gz", SamHive(), "/Windows/System32/config/SAM", 80)])
def test_a_cut_short_hive_keeps_what_is_there_and_says_so(
        tmp_path: Path, name: str, extractor: object, path: str, kept: int) -> None:
    whole = unpacked(name, tmp_path)
    complete = list(extractor.extract(whole, Origin("a", path, None)))
    cut = tmp_path / "cut"
    data = whole.read_bytes()
    bins = struct.unpack_from("<I", data, 0x28)[0]  # bytes of hive bins after the 4 KiB header
    cut.write_bytes(data[: 4096 + bins * kept // 100])
    found = []
    with pytest.raises(ExtractError, match=r"cut short \([\d,]+ of its [\d,]+ bytes\)"):
        found.extend(extractor.extract(cut, Origin("a", path, None)))
    assert 0 < len(found) <= len(complete)  # the records before the cut are kept


def test_recent_docs_values_without_a_name_are_skipped() -> None:
    from triage.artefacts.recentdocs import entry_name, mru_order

    assert entry_name("notes.txt".encode("utf-16-le") + b"\0\0\x14\0") == "notes.txt"
    assert entry_name(b"\0\0rest") is None and entry_name(b"") is None
    assert entry_name("no end".encode("utf-16-le")) is None
    assert entry_name(("x" * 100_000).encode("utf-16-le")) is None  # bounded, no name
    assert mru_order(struct.pack("<4I", 2, 0, 1, 0xFFFF_FFFF) + b"\x01") == [2, 0, 1]
    assert len(mru_order(struct.pack("<I", 7) * 100_000)) == 4096


class _Bytes:
    def __init__(self, data: bytes) -> None:
        self.data, self.size = data, len(data)

    def read(self, offset: int, length: int) -> bytes:
        return self.data[offset:offset + length]


def test_a_prefetch_folder_is_collected_once_per_file_across_a_resume(tmp_path: Path) -> None:
    from triage.model import Address, FileRecord

    data = (PLASO / "NOTEPAD.EXE-D8414F97.pf").read_bytes()
    records = [FileRecord(Address("disk.img", None, f"/Windows/Prefetch/P{n}.EXE-0000000{n}.pf"),
                          f"P{n}.EXE-0000000{n}.pf", len(data)) for n in range(5)]
    collector = ArtefactCollector(tmp_path / "copies")
    for record in records[:3]:
        assert collector.collect(record, _Bytes(data)) is None
    collector.collect(records[0], _Bytes(data))  # read again: copied over, noted once
    assert len(collector.primaries) == 3
    resumed = ArtefactCollector.load(tmp_path / "copies")
    for record in records:  # the resumed scan reads some files again
        resumed.collect(record, _Bytes(data))
    assert len(resumed.primaries) == 5
    assert {c.extractor for c in resumed.primaries} == {"windows-prefetch"}


def test_prefetch_lists_the_files_a_program_loaded_from_other_volumes(tmp_path: Path) -> None:
    copy = unpacked("WUAUCLT.EXE-830BCC14.pf.gz", tmp_path)
    (found,) = PrefetchFiles().extract(copy, Origin("a", "/Windows/Prefetch/x.pf", None))
    fields = found.fields  # as plaso's tests/parsers/winprefetch.py asserts for this file
    assert (fields["name"], fields["count"], fields["last_runs"]) == (
        "WUAUCLT.EXE", 25, ["2012-03-15T21:17:39.807996Z"])
    assert [v["path"] for v in fields["volumes"]] == [
        "\\DEVICE\\HARDDISKVOLUME1"] + [f"\\DEVICE\\HARDDISKVOLUMESHADOWCOPY{n}"
                                        for n in (2, 4, 7, 8)]
    assert fields["path"] == "\\DEVICE\\HARDDISKVOLUME1\\WINDOWS\\SYSTEM32\\WUAUCLT.EXE"
    assert fields["files_loaded"] == 103
    other = fields["files_on_other_volumes"]
    assert len(other) == 4 and all("\\HARDDISKVOLUMESHADOWCOPY" in name for name in other)


def test_a_hive_that_takes_too_long_keeps_what_was_read(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from triage.artefacts import hive

    monkeypatch.setattr(hive, "HIVE_LIMIT_S", 0.0)
    found = []
    with pytest.raises(ExtractError, match=r"stopped after 0 s \(a huge Amcache hive\)"):
        found.extend(AmcacheHive().extract(unpacked("win10-Amcache.hve.gz", tmp_path),
                                           Origin("a", AMCACHE, None)))
    assert len(found) == 1
