"""An NTFS volume laid out like a Windows 11 PC, carrying real artefact files: hives made by
hivex (SYSTEM, SOFTWARE, SAM, NTUSER.DAT, Amcache.hve), a Chromium history made by Chromium,
plaso's published System event log and Prefetch files (one edited to name VeraCrypt)."""

from __future__ import annotations

import codecs
import datetime as dt
import json
import os
import shutil
import sqlite3
import struct
import tempfile
from pathlib import Path

from tests.artefacts.browsers import chromium_profile
from tests.artefacts.evtxwriter import event, write_evtx
from tests.artefacts.hives import make_hive
from tests.artefacts.jumplists import EXPLORER, removable_jump_list
from tests.artefacts.lnkwriter import DRIVE_REMOVABLE, shortcut
from tests.artefacts.windows_samples import PLASO, prefetch_of
from tests.fixtures.tools import make_sparse, ntfs_mounted, run

DATA = Path(__file__).resolve().parents[1] / "data"
USB_FIRST = dt.datetime(2026, 11, 2, 18, 30, tzinfo=dt.UTC)
ERASER_RUN = dt.datetime(2026, 11, 4, 21, 0, tzinfo=dt.UTC)
VERACRYPT_RUN = dt.datetime(2026, 11, 5, 20, 0, tzinfo=dt.UTC)
ALEX_LOGIN = dt.datetime(2026, 11, 20, 19, 5, tzinfo=dt.UTC)
CHROME = "Users/alex/AppData/Local/Google/Chrome/User Data/Default"
RECENT = "Users/alex/AppData/Roaming/Microsoft/Windows/Recent"
STICK_SERIAL = 0xA1B2C3D4
STICK_OPENED = dt.datetime(2026, 11, 10, 20, 15, tzinfo=dt.UTC)
JUMP_USED = dt.datetime(2026, 11, 12, 19, 0, tzinfo=dt.UTC)
LETTER_OPENED = dt.datetime(2026, 9, 1, 9, 0, tzinfo=dt.UTC)
OPENVPN = r"c:\program files\openvpn\bin\openvpn-gui.exe"
PHONE = r"\ControlSet001\Enum\USB\VID_04E8&PID_6860\R5CT1234ABC"
PHONE_FIRST = dt.datetime(2026, 11, 12, 8, 0, tzinfo=dt.UTC)
LOG_CLEARED = dt.datetime(2026, 11, 14, 22, 5, 7, tzinfo=dt.UTC)
TYPED_URL = "https://www.bbc.co.uk/news"
EXPLORER_SEARCH = "holiday photos"
POWERSHELL = "Get-Date\nGet-ChildItem E:\\Photos\n"
DOWNLOAD_URL = "https://launchpad.net/veracrypt/trunk/1.26.7/+download/VeraCrypt_Setup.exe"
DOWNLOADED = dt.datetime(2026, 11, 5, 17, 30, tzinfo=dt.UTC)
PROFILE_MADE = dt.datetime(2025, 6, 1, tzinfo=dt.UTC)  # long before the oldest visit kept
DOWNLOAD_PATH = "C:\\Users\\alex\\Downloads\\VeraCrypt_Setup.exe"


def filetime(when: dt.datetime) -> bytes:
    return struct.pack("<Q", int((when - dt.datetime(1601, 1, 1, tzinfo=dt.UTC))
                                 .total_seconds() * 10_000_000))


def _hives(folder: Path) -> dict[str, Path]:
    device = r"\ControlSet001\Enum\USBSTOR\Disk&Ven_SanDisk&Prod_Cruzer_Blade&Rev_1.00"
    stick = (r"\??\USBSTOR#Disk&Ven_SanDisk&Prod_Cruzer_Blade&Rev_1.00#4C530001230321112345&0#"
             r"{53f56307-b6bf-11d0-94f2-00a0c91efb8b}").encode("utf-16-le")
    system = make_hive(folder / "SYSTEM", {
        r"\Select": {"Current": 1},
        r"\MountedDevices": {r"\DosDevices\E:": (3, stick)},
        device + r"\4C530001230321112345&0": {"FriendlyName": "SanDisk Cruzer Blade"},
        device + r"\4C530001230321112345&0\Properties\{83da6326-97a6-4088-9453-a1923f573b29}"
                 r"\0064": {"": (0xFFFF0010, filetime(USB_FIRST))},
        # A phone over MTP: a portable device (WPD class) that USBSTOR never lists.
        PHONE: {"ClassGUID": "{eec5ad98-8080-425f-922a-dabf3de3f69a}", "Service": "WUDFRd",
                "DeviceDesc": "@oem12.inf,%mtp.devicedesc%;Galaxy S23"},
        PHONE + r"\Properties\{83da6326-97a6-4088-9453-a1923f573b29}\0064": {
            "": (0xFFFF0010, filetime(PHONE_FIRST))},
        r"\ControlSet001\Control\TimeZoneInformation": {
            "TimeZoneKeyName": "GMT Standard Time", "Bias": 0, "ActiveTimeBias": 0xFFFFFFC4}})
    software = make_hive(folder / "SOFTWARE", {
        r"\Microsoft\Windows\CurrentVersion\Uninstall\Tor Browser": {
            "DisplayName": "Tor Browser", "DisplayVersion": "14.0", "InstallDate": "20261101"}})
    entry = bytearray(72)
    struct.pack_into("<I", entry, 4, 3)
    entry[60:68] = filetime(ERASER_RUN)
    user = make_hive(folder / "NTUSER.DAT", {
        r"\Software\Microsoft\Windows\CurrentVersion\Explorer\UserAssist"
        r"\{CEBFF5CD-ACE2-4F4F-9178-9926F41749EA}\Count": {
            codecs.encode(r"C:\Program Files\Eraser\Eraser.exe", "rot13"): (3, bytes(entry))},
        r"\Software\Microsoft\Internet Explorer\TypedURLs": {"url1": TYPED_URL},
        r"\Software\Microsoft\Windows\CurrentVersion\Explorer\WordWheelQuery": {
            "0": (3, EXPLORER_SEARCH.encode("utf-16-le") + b"\0\0"),
            "MRUListEx": (3, struct.pack("<2i", 0, -1))},
        r"\Software\Microsoft\Windows\CurrentVersion\Explorer\RecentDocs": {
            "0": (3, "E:\\".encode("utf-16-le") + bytes(4)),
            "1": (3, "cameras.txt".encode("utf-16-le") + bytes(4)),
            "MRUListEx": (3, struct.pack("<3i", 1, 0, -1))}})
    return {"Windows/System32/config/SYSTEM": system,
            "Windows/System32/config/SOFTWARE": software, "Users/alex/NTUSER.DAT": user,
            "Windows/System32/config/SAM": _sam(folder),
            "Windows/AppCompat/Programs/Amcache.hve": make_hive(folder / "Amcache.hve", {
                r"\Root\InventoryApplicationFile\openvpn-gui.exe|5f2e3c9d1a0b4c7e": {
                    "LowerCaseLongPath": OPENVPN, "Name": "openvpn-gui.exe",
                    "FileId": "0000" + "3f" * 20, "Publisher": "openvpn inc."}})}


def _sam(folder: Path) -> Path:
    """alex, RID 1001, last logged in at ALEX_LOGIN, 57 logins (the F and V layout)."""
    f = bytearray(80)
    f[8:16] = filetime(ALEX_LOGIN)
    struct.pack_into("<IxxxxH", f, 48, 1001, 0x0010)
    struct.pack_into("<HH", f, 64, 0, 57)
    name = "alex".encode("utf-16-le")
    v = bytearray(0xCC)
    struct.pack_into("<II", v, 0x0C, 0, len(name))
    users = r"\SAM\Domains\Account\Users"
    return make_hive(folder / "SAM", {users + r"\000003E9": {"F": (3, bytes(f)),
                                                             "V": (3, bytes(v) + name)},
                                     users + r"\Names\alex": {"": (0x3E9, b"")}})


def _shortcuts(folder: Path) -> tuple[dict[str, Path], dict[str, dt.datetime]]:
    """Recent shortcuts (one to a picture on a USB stick, one to a letter on C:) and Explorer's
    jump list with an entry on the stick; with each shortcut's own time (when it was opened)."""
    made = folder / "shortcuts"
    made.mkdir()
    stick = made / "holiday.jpg.lnk"
    stick.write_bytes(shortcut("E:\\Photos\\holiday.jpg", drive_type=DRIVE_REMOVABLE,
                               serial=STICK_SERIAL, label="KINGSTON", size=48213,
                               created=STICK_OPENED - dt.timedelta(days=30),
                               modified=STICK_OPENED - dt.timedelta(days=30),
                               accessed=STICK_OPENED))
    letter = made / "letter.docx.lnk"
    letter.write_bytes(shortcut("C:\\Users\\alex\\Documents\\letter.docx", size=20480,
                                accessed=LETTER_OPENED))
    jump = removable_jump_list(made / EXPLORER.name, serial=STICK_SERIAL, when=JUMP_USED)
    files = {f"{RECENT}/holiday.jpg.lnk": stick, f"{RECENT}/letter.docx.lnk": letter,
             f"{RECENT}/AutomaticDestinations/{EXPLORER.name}": jump}
    return files, {f"{RECENT}/holiday.jpg.lnk": STICK_OPENED,
                   f"{RECENT}/letter.docx.lnk": LETTER_OPENED}


def _written(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def _made_before(preferences: Path, when: dt.datetime) -> Path:
    """The profile's creation time set back (a profile kept for years, history cleared)."""
    prefs = json.loads(preferences.read_text(encoding="utf-8"))
    prefs["profile"]["creation_time"] = str(int((when - dt.datetime(
        1601, 1, 1, tzinfo=dt.UTC)).total_seconds() * 1e6))
    preferences.write_text(json.dumps(prefs), encoding="utf-8")
    return preferences


def _add_download(history: Path) -> None:
    """A finished download, as Chromium records one (its table through SQL: a headless run
    that only loads pages cannot be made to save a file)."""
    webkit = int((DOWNLOADED - dt.datetime(1601, 1, 1, tzinfo=dt.UTC)).total_seconds() * 1e6)
    with sqlite3.connect(history) as db:
        db.execute(
            "INSERT INTO downloads (id, guid, current_path, target_path, start_time, "
            "received_bytes, total_bytes, state, danger_type, interrupt_reason, hash, end_time, "
            "opened, last_access_time, transient, referrer, site_url, embedder_download_data, "
            "tab_url, tab_referrer_url, http_method, by_ext_id, by_ext_name, by_web_app_id, "
            "etag, last_modified, mime_type, original_mime_type) VALUES (1, "
            "'0e3c9f3a-2b1d-4c5e-9f00-1a2b3c4d5e6f', ?, ?, ?, 41287432, 41287432, 1, 0, 0, "
            "x'', ?, 1, ?, 0, '', '', '', '', '', 'GET', '', '', '', '', '', "
            "'application/octet-stream', 'application/octet-stream')",
            (DOWNLOAD_PATH, DOWNLOAD_PATH, webkit, webkit + 9_000_000, webkit))
        db.execute("INSERT INTO downloads_url_chains (id, chain_index, url) VALUES (1, 0, ?)",
                   (DOWNLOAD_URL,))


def build_windows_disk(image: Path) -> Path:
    """A 64 MiB NTFS image with the artefact files in their Windows places."""
    make_sparse(image, 64 * 1024 * 1024)
    run(["mkfs.ntfs", "-F", "-Q", "-q", "-L", "WINDOWS", str(image)])
    with tempfile.TemporaryDirectory() as work:
        folder = Path(work)
        files = _hives(folder)
        history = chromium_profile(folder / "chrome")
        _add_download(history)
        files[f"{CHROME}/Preferences"] = _made_before(history.parent / "Preferences",
                                                      PROFILE_MADE)
        files["Users/alex/AppData/Roaming/Microsoft/Windows/PowerShell/PSReadLine/"
              "ConsoleHost_history.txt"] = _written(folder / "history.txt", POWERSHELL)
        for part in history.parent.glob("History*"):
            files[f"{CHROME}/{part.name}"] = part
        files["Windows/System32/winevt/Logs/System.evtx"] = DATA / "evtx" / "system.evtx"
        files["Windows/System32/winevt/Logs/Security.evtx"] = write_evtx(
            folder / "Security.evtx", [event(
                "Microsoft-Windows-Eventlog", 1102, LOG_CLEARED, "Security",
                ("LogFileCleared", {"SubjectUserSid": "S-1-5-21-1-2-3-1001",
                                    "SubjectUserName": "alex", "SubjectDomainName": "ALEX-PC",
                                    "SubjectLogonId": "0x3e7"}))])
        links, opened = _shortcuts(folder)
        files.update(links)
        files["Windows/Prefetch/NOTEPAD.EXE-D8414F97.pf"] = PLASO / "NOTEPAD.EXE-D8414F97.pf"
        veracrypt = folder / "VERACRYPT.EXE-3AE259FC.pf"
        veracrypt.write_bytes(prefetch_of("VeraCrypt.exe", VERACRYPT_RUN))
        files[f"Windows/Prefetch/{veracrypt.name}"] = veracrypt
        with ntfs_mounted(image) as root:
            for relative, source in files.items():
                target = root / relative
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(source, target)
            for relative, when in opened.items():
                os.utime(root / relative, (when.timestamp(), when.timestamp()))
            (root / "Users/alex/Pictures").mkdir(parents=True)
            (root / "Users/alex/Pictures/notes.txt").write_text("nothing to see")
    return image
