"""A stock Windows 11 system drive with one used profile, laid out as a folder.

The paths are Microsoft's documented defaults (and each app vendor's) for what a Windows 11
23H2/24H2 PC holds after a few weeks of ordinary use: a Microsoft account with OneDrive backing
up Desktop, Documents and Pictures; Edge and Firefox (set to delete cookies when it closes, which
keeps history); WSL with Ubuntu from the Store; Store apps with their caches; Signal Desktop and
WhatsApp Desktop with their encrypted databases and attachments; and user folders that happen
to be named like file-sharing clients. Content is what those files start with (SQLite, regf,
MAM-compressed Prefetch, VHDX, JPEG, PNG); encrypted stores are random bytes, as on disk.

Sources for the locations:
- https://learn.microsoft.com/en-us/windows/win32/shell/knownfolderid (profile folders)
- https://learn.microsoft.com/en-us/windows/wsl/disk-space (LocalState\\ext4.vhdx)
- https://learn.microsoft.com/en-us/sharepoint/per-machine-installation and
  https://support.microsoft.com/en-us/office/back-up-your-folders-with-onedrive-d61a7930-a6fb-4b95-b28a-6552e77c3057
- https://learn.microsoft.com/en-us/deployedge/microsoft-edge-data-locations
- https://learn.microsoft.com/en-us/windows/uwp/get-started/file-access-permissions
  (Packages\\<family>\\LocalState, LocalCache, AC, Settings)
- https://github.com/signalapp/Signal-Desktop
  (%APPDATA%\\Signal: sql\\db.sqlite, attachments.noindex)
- https://support.mozilla.org/en-US/kb/profiles-where-firefox-stores-user-data
"""

from __future__ import annotations

import datetime as dt
import gzip
import io
import os
import random
import sqlite3
import subprocess
import tempfile
import zipfile
from collections.abc import Callable
from pathlib import Path

from PIL import Image

from tests.artefacts.hives import make_hive
from tests.artefacts.jumplists import EXPLORER
from tests.artefacts.lnkwriter import shortcut
from tests.artefacts.windows_samples import PLASO, prefetch_of

USER = "/Users/alex"
LOCAL = f"{USER}/AppData/Local"
ROAMING = f"{USER}/AppData/Roaming"
EDGE = f"{LOCAL}/Microsoft/Edge/User Data"
FIREFOX = f"{ROAMING}/Mozilla/Firefox/Profiles/k3x9q2ab.default-release"
FIREFOX_CACHE = f"{LOCAL}/Mozilla/Firefox/Profiles/k3x9q2ab.default-release/cache2/entries"
SIGNAL = f"{ROAMING}/Signal"
WHATSAPP = f"{LOCAL}/Packages/5319275A.WhatsAppDesktop_cv1g1gvanyjgm"
UBUNTU = f"{LOCAL}/Packages/CanonicalGroupLimited.Ubuntu_79rhkp1fndgsc"
SPOTLIGHT = f"{LOCAL}/Packages/Microsoft.Windows.ContentDeliveryManager_cw5n1h2txyewy"

# Store apps a Windows 11 24H2 installation provisions for every new user.
STORE_APPS = [
    "Microsoft.WindowsStore_8wekyb3d8bbwe", "Microsoft.Windows.Photos_8wekyb3d8bbwe",
    "Microsoft.WindowsCalculator_8wekyb3d8bbwe", "Microsoft.WindowsNotepad_8wekyb3d8bbwe",
    "Microsoft.Paint_8wekyb3d8bbwe", "Microsoft.ScreenSketch_8wekyb3d8bbwe",
    "Microsoft.WindowsTerminal_8wekyb3d8bbwe", "Microsoft.ZuneMusic_8wekyb3d8bbwe",
    "Microsoft.BingWeather_8wekyb3d8bbwe", "Microsoft.BingNews_8wekyb3d8bbwe",
    "Microsoft.GamingApp_8wekyb3d8bbwe", "Microsoft.XboxGamingOverlay_8wekyb3d8bbwe",
    "Microsoft.YourPhone_8wekyb3d8bbwe", "Microsoft.Todos_8wekyb3d8bbwe",
    "Microsoft.OutlookForWindows_8wekyb3d8bbwe", "MSTeams_8wekyb3d8bbwe",
    "Clipchamp.Clipchamp_yxz26nhyzhsrt", "MicrosoftCorporationII.QuickAssist_8wekyb3d8bbwe",
    "Microsoft.MicrosoftEdge.Stable_8wekyb3d8bbwe", "MicrosoftWindows.Client.CBS_cw5n1h2txyewy",
    "Microsoft.Windows.Search_cw5n1h2txyewy",
    "Microsoft.Windows.ShellExperienceHost_cw5n1h2txyewy",
    "Microsoft.Windows.StartMenuExperienceHost_cw5n1h2txyewy",
    "Microsoft.AAD.BrokerPlugin_cw5n1h2txyewy",
    "Microsoft.Windows.CloudExperienceHost_cw5n1h2txyewy",
]

# Programs Windows and the stock apps run in the first weeks: what Windows\Prefetch holds.
PREFETCHED = [
    "MSEDGE.EXE", "MSEDGEWEBVIEW2.EXE", "ONEDRIVE.EXE", "ONEDRIVESTANDALONEUPDATER.EXE",
    "EXPLORER.EXE", "SVCHOST.EXE", "RUNTIMEBROKER.EXE", "SEARCHHOST.EXE", "SEARCHINDEXER.EXE",
    "STARTMENUEXPERIENCEHOST.EXE", "TEXTINPUTHOST.EXE", "WIDGETS.EXE", "WSL.EXE",
    "WSLSERVICE.EXE", "WSLHOST.EXE", "UBUNTU.EXE", "SIGNAL.EXE", "WHATSAPP.EXE", "FIREFOX.EXE",
    "MSMPENG.EXE", "MPCMDRUN.EXE", "TASKHOSTW.EXE", "CONHOST.EXE", "WINDOWSTERMINAL.EXE",
    "NOTEPAD.EXE", "PHOTOS.EXE", "MS-TEAMS.EXE", "BACKGROUNDTASKHOST.EXE", "CLEANMGR.EXE",
    "DEFRAG.EXE", "SETUPHOST.EXE", "TIWORKER.EXE", "TRUSTEDINSTALLER.EXE",
    "BITLOCKERWIZARDELEV.EXE",
]


def _rng(path: str) -> random.Random:
    return random.Random(path)


def _random(size: int) -> Callable[[str], bytes]:
    return lambda path: _rng(path).randbytes(size)


def _jpeg(path: str) -> bytes:
    out = io.BytesIO()
    shade = _rng(path).randrange(40, 220)
    Image.new("RGB", (48, 32), (shade, 120, 255 - shade)).save(out, "JPEG")
    return out.getvalue()


def _png(path: str) -> bytes:
    out = io.BytesIO()
    Image.new("RGBA", (32, 32), (20, _rng(path).randrange(256), 200, 255)).save(out, "PNG")
    return out.getvalue()


def _sqlite(tables: str) -> Callable[[str], bytes]:
    def build(path: str) -> bytes:
        db = sqlite3.connect(":memory:")
        db.executescript(tables)
        data = db.serialize()
        db.close()
        return data

    return build


def _text(text: str) -> Callable[[str], bytes]:
    return lambda path: text.encode("utf-8")


def _exe(path: str) -> bytes:
    return b"MZ\x90\x00\x03\x00\x00\x00" + _rng(path).randbytes(4088)


def _lnk(target: str) -> Callable[[str], bytes]:
    """A shortcut (MS-SHLLINK) to `target` on the system's fixed drive C:."""
    return lambda path: shortcut(target, serial=0x5A3C11F0, label="Windows",
                                 machine="desktop-7hq2k1m")


def _mp3(path: str) -> bytes:
    return b"ID3\x04\0\0\0\0\0\0" + _rng(path).randbytes(4000)


def _pdf(path: str) -> bytes:
    out = io.BytesIO()
    Image.new("L", (60, 80), 250).save(out, "PDF")  # a scanned page, as invoices often are
    return out.getvalue()


def _docx(path: str) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as doc:
        doc.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types xmlns="http://schemas.'
                     'openxmlformats.org/package/2006/content-types"/>')
        doc.writestr("word/document.xml", "<w:document><w:body>About the bins.</w:body>"
                     "</w:document>")
    return out.getvalue()


# Prefetch files Windows 10 and 11 wrote (MAM-compressed), published by plaso; the other names
# get plaso's Windows 8 file with its name and last run set (a Prefetch extractor reads them
# all, so random bytes would be "damaged" files no stock PC has).
PUBLISHED_PREFETCH = ("NOTEPAD.EXE-D8414F97.pf", "ONEDRIVE.EXE-7E152375.pf",
                      "AM_DELTA_PATCH_1.443.990.0.EX-7037CF86.pf")


def _prefetch(path: str) -> bytes:
    name = path.rsplit("/", 1)[-1].rsplit("-", 1)[0]
    last_run = dt.datetime(2024, 11, 1, tzinfo=dt.UTC) + dt.timedelta(
        minutes=_rng(path).randrange(30 * 24 * 60))
    return prefetch_of(name, last_run)


# The Ubuntu that `wsl --install` puts in ext4.vhdx: an ext4 file system filling a dynamic VHDX
# (no partition table), made here by mkfs.ext4 -d and qemu-img convert, small but real.
WSL_FILES = {
    "etc/os-release": 'PRETTY_NAME="Ubuntu 24.04.1 LTS"\nID=ubuntu\n',
    "etc/wsl.conf": "[boot]\nsystemd=true\n",
    "home/alex/.bashrc": "# ~/.bashrc: executed by bash(1) for non-login shells.\n",
    "home/alex/.bash_history": "sudo apt update\nsudo apt upgrade -y\nls /mnt/c/Users/alex\n"
                               "code .\npython3 -m venv .venv\n",
    "usr/bin/bash": "\x7fELF" + "\0" * 200,
}


# Registry hives with a few of the keys a stock Windows 11 holds, written by hivexregedit.
HIVES: dict[str, dict[str, dict[str, object]]] = {
    "NTUSER.DAT": {
        "\\Software\\Microsoft\\OneDrive\\Accounts\\Personal": {"UserEmail": "alex@outlook.com"},
        "\\Software\\Microsoft\\Windows\\CurrentVersion\\Explorer\\Shell Folders": {
            "Personal": "C:\\Users\\alex\\OneDrive\\Documents"},
        "\\Software\\Microsoft\\Edge": {"UsageStatsInSample": 0},
    },
    "SOFTWARE": {
        "\\Microsoft\\Windows NT\\CurrentVersion": {"ProductName": "Windows 10 Pro",
                                                    "DisplayVersion": "24H2",
                                                    "CurrentBuild": "26100"},
        "\\Microsoft\\Windows\\CurrentVersion\\Uninstall\\Mozilla Firefox 133.0 (x64 en-GB)": {
            "DisplayName": "Mozilla Firefox (x64 en-GB)", "Publisher": "Mozilla"},
        "\\Microsoft\\Windows\\CurrentVersion\\Uninstall\\Microsoft Edge": {
            "DisplayName": "Microsoft Edge", "Publisher": "Microsoft Corporation"},
    },
    "SYSTEM": {
        "\\Select": {"Current": 1},
        "\\ControlSet001\\Control\\TimeZoneInformation": {
            "TimeZoneKeyName": "GMT Standard Time"},
    },
}


def _hive(path: str) -> bytes:
    with tempfile.TemporaryDirectory() as tmp:
        return make_hive(Path(tmp, "hive"), HIVES[path.rsplit("/", 1)[-1]]).read_bytes()


def _vhdx(path: str) -> bytes:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp, "root")
        for name, text in WSL_FILES.items():
            (root / name).parent.mkdir(parents=True, exist_ok=True)
            (root / name).write_text(text, encoding="utf-8")
        raw = Path(tmp, "ext4.img")
        subprocess.run(["mkfs.ext4", "-q", "-F", "-L", "", "-E", "root_owner=0:0", "-d",
                        str(root), str(raw), "8M"], check=True, capture_output=True)
        vhdx = Path(tmp, "ext4.vhdx")
        subprocess.run(["qemu-img", "convert", "-q", "-f", "raw", "-O", "vhdx", str(raw),
                        str(vhdx)], check=True, capture_output=True)
        return vhdx.read_bytes()


HISTORY = _sqlite("CREATE TABLE urls(id INTEGER PRIMARY KEY, url LONGVARCHAR, title LONGVARCHAR,"
                  " visit_count INTEGER, last_visit_time INTEGER);"
                  "INSERT INTO urls VALUES(1, 'https://www.bbc.co.uk/news', 'BBC News', 3, 0);")
PLACES = _sqlite("CREATE TABLE moz_places(id INTEGER PRIMARY KEY, url LONGVARCHAR, title TEXT);"
                 "INSERT INTO moz_places VALUES(1, 'https://www.gov.uk/', 'GOV.UK');")
# Firefox's "Delete cookies and site data when Firefox is closed": clearing on shutdown is on,
# and Firefox writes that history, form data, downloads and sessions are kept.
PREFS = _text("""// Mozilla User Preferences
user_pref("app.normandy.first_run", false);
user_pref("browser.startup.homepage_override.mstone", "133.0");
user_pref("privacy.clearOnShutdown.cache", true);
user_pref("privacy.clearOnShutdown.cookies", true);
user_pref("privacy.clearOnShutdown.downloads", false);
user_pref("privacy.clearOnShutdown.formdata", false);
user_pref("privacy.clearOnShutdown.history", false);
user_pref("privacy.clearOnShutdown.offlineApps", true);
user_pref("privacy.clearOnShutdown.sessions", false);
user_pref("privacy.clearOnShutdown_v2.cookiesAndStorage", true);
user_pref("privacy.clearOnShutdown_v2.historyFormDataAndDownloads", false);
user_pref("privacy.sanitize.sanitizeOnShutdown", true);
""")


def layout() -> dict[str, Callable[[str], bytes]]:
    """Every file of the profile and system drive: path -> how its bytes are made."""
    files: dict[str, Callable[[str], bytes]] = {
        # The system.
        "/Windows/explorer.exe": _exe,
        "/Windows/System32/ntoskrnl.exe": _exe,
        "/Windows/System32/svchost.exe": _exe,
        "/Windows/System32/BitLockerWizard.exe": _exe,
        "/Windows/System32/BitLockerWizardElev.exe": _exe,
        "/Windows/System32/manage-bde.exe": _exe,
        "/Windows/System32/wsl.exe": _exe,
        "/Windows/System32/cleanmgr.exe": _exe,
        "/Windows/System32/drivers/etc/hosts": _text("# Copyright (c) 1993-2009 Microsoft\n"),
        "/Windows/System32/config/SOFTWARE": _hive,
        "/Windows/System32/config/SYSTEM": _hive,
        "/Windows/Web/Wallpaper/Windows/img0.jpg": _jpeg,
        "/Windows/Web/Wallpaper/Windows/img19.jpg": _jpeg,
        "/Windows/Web/Screen/img100.jpg": _jpeg,
        "/Windows/SystemApps/MicrosoftWindows.Client.CBS_cw5n1h2txyewy/Assets/logo.png": _png,
        "/Program Files/Windows Defender/MsMpEng.exe": _exe,
        "/Program Files/WSL/wsl.exe": _exe,
        "/Program Files/WSL/wslservice.exe": _exe,
        "/Program Files/WSL/wslg.exe": _exe,
        "/Program Files/WindowsApps/Microsoft.WindowsTerminal_1.21.3231.0_x64__8wekyb3d8bbwe/"
        "WindowsTerminal.exe": _exe,
        "/Program Files/WindowsApps/5319275A.WhatsAppDesktop_2.2450.6.0_x64__cv1g1gvanyjgm/"
        "WhatsApp.exe": _exe,
        "/Program Files/Mozilla Firefox/firefox.exe": _exe,
        "/Program Files (x86)/Microsoft/Edge/Application/msedge.exe": _exe,
        "/Program Files (x86)/Microsoft/EdgeWebView/Application/131.0.2903.86/msedgewebview2.exe":
            _exe,
        "/ProgramData/Microsoft/Windows/Start Menu/Programs/Microsoft Edge.lnk":
            lambda p: b"L\0\0\0" + _rng(p).randbytes(500),
        "/pagefile.sys": _random(2 << 20),
        "/swapfile.sys": _random(1 << 20),
        # The user's profile.
        f"{USER}/NTUSER.DAT": _hive,
        f"{LOCAL}/Microsoft/Windows/UsrClass.dat": lambda p: b"regf" + _rng(p).randbytes(8188),
        f"{LOCAL}/Microsoft/Windows/Explorer/thumbcache_256.db":
            lambda p: b"CMMM" + _rng(p).randbytes(4092),
        f"{LOCAL}/Microsoft/Windows/Explorer/iconcache_32.db":
            lambda p: b"CMMM" + _rng(p).randbytes(4092),
        f"{ROAMING}/Microsoft/Windows/Recent/letter.docx.lnk":
            _lnk("C:\\Users\\alex\\OneDrive\\Documents\\letter to the council.docx"),
        # Explorer's jump list of folders opened on fixed drives (plaso's published sample).
        f"{ROAMING}/Microsoft/Windows/Recent/AutomaticDestinations/{EXPLORER.name}":
            lambda p: EXPLORER.read_bytes(),
        f"{ROAMING}/Microsoft/Windows/Themes/TranscodedWallpaper": _jpeg,
        # PowerShell's history: ordinary administration, including the commands that set up WSL.
        f"{ROAMING}/Microsoft/Windows/PowerShell/PSReadLine/ConsoleHost_history.txt": _text(
            "wsl --install -d Ubuntu\nwinget upgrade --all\nipconfig /all\n"
            "cipher /c letter.docx\nGet-BitLockerVolume\nmanage-bde -status\n"
            "Remove-Item .\\Downloads\\old.zip\ncleanmgr /sagerun:1\n"),
        # OneDrive: signed in with the Microsoft account; Known Folder Move backs up Desktop,
        # Documents and Pictures.
        f"{LOCAL}/Microsoft/OneDrive/OneDrive.exe": _exe,
        f"{LOCAL}/Microsoft/OneDrive/24.226.1110.0004/FileSyncShell64.dll": _exe,
        f"{LOCAL}/Microsoft/OneDrive/settings/Personal/global.ini": _text("[global]\n"),
        f"{LOCAL}/Microsoft/OneDrive/settings/Personal/ClientPolicy.ini": _text("[policy]\n"),
        f"{LOCAL}/Microsoft/OneDrive/logs/Personal/SyncEngine-2024-12-01.odl": _random(4096),
        f"{USER}/OneDrive/Desktop/Microsoft Edge.lnk": _lnk(
            "C:\\Program Files (x86)\\Microsoft\\Edge\\Application\\msedge.exe"),
        f"{USER}/OneDrive/Documents/letter to the council.docx": _docx,
        f"{USER}/OneDrive/Pictures/Camera Roll/WIN_20241101_10_15_00_Pro.jpg": _jpeg,
        f"{USER}/OneDrive/Pictures/Screenshots/Screenshot 2024-11-03 101500.png": _png,
        # Folders named like file-sharing clients that are nothing of the kind.
        f"{USER}/OneDrive/Documents/Car/Transmission/gearbox invoice.pdf": _pdf,
        f"{USER}/OneDrive/Documents/Car/Transmission/settings.json": _text('{"car": "Golf"}\n'),
        f"{USER}/Music/Deluge/01 Rain.mp3": _mp3,
        f"{USER}/Music/Deluge/cover.jpg": _jpeg,
        f"{USER}/Downloads/Firefox Installer.exe": _exe,
        f"{USER}/Downloads/SignalSetup.exe": _exe,
        # Edge.
        f"{EDGE}/Local State": _text('{"browser": {"enabled_labs_experiments": []}}'),
        f"{EDGE}/Default/History": HISTORY,
        f"{EDGE}/Default/Preferences": _text('{"profile": {"name": "Profile 1"}}'),
        f"{EDGE}/Default/Network/Cookies": _sqlite("CREATE TABLE cookies(host_key TEXT);"),
        f"{EDGE}/Default/Cache/Cache_Data/index": lambda p: b"\xc3\xca\x03\xc1" + b"\0" * 4092,
        f"{EDGE}/Default/Cache/Cache_Data/data_0": _random(8192),
        f"{EDGE}/Default/Cache/Cache_Data/f_000012": _jpeg,
        f"{EDGE}/Default/Cache/Cache_Data/f_000013": _png,
        # Firefox, deleting cookies when it closes (history kept).
        f"{ROAMING}/Mozilla/Firefox/profiles.ini": _text("[Profile0]\nName=default-release\n"),
        f"{FIREFOX}/prefs.js": PREFS,
        f"{FIREFOX}/places.sqlite": PLACES,
        f"{FIREFOX}/cookies.sqlite": _sqlite("CREATE TABLE moz_cookies(host TEXT);"),
        f"{FIREFOX_CACHE}/3F2A1B0C9D8E7F6A5B4C3D2E1F0A9B8C7D6E5F4A": _jpeg,
        f"{FIREFOX_CACHE}/0D1C2B3A4958677685A4B3C2D1E0F9A8B7C6D5E4": _png,
        # WSL with Ubuntu from the Store.
        f"{LOCAL}/Microsoft/WindowsApps/wsl.exe": lambda p: b"",
        f"{LOCAL}/Microsoft/WindowsApps/ubuntu.exe": lambda p: b"",
        f"{UBUNTU}/LocalState/ext4.vhdx": _vhdx,
        f"{UBUNTU}/Settings/settings.dat": lambda p: b"regf" + _rng(p).randbytes(4092),
        # Signal Desktop: an SQLCipher database and encrypted attachments (no header at all).
        f"{LOCAL}/Programs/signal-desktop/Signal.exe": _exe,
        f"{SIGNAL}/config.json": _text('{"encryptedKey": "763130a1b2c3"}\n'),
        f"{SIGNAL}/sql/db.sqlite": _random(3 << 20),
        f"{SIGNAL}/attachments.noindex/4f/4f2a9c0d1e3b5a7c9e1f3a5b7c9d1e3f5a7b9c1d3e5f7a9b1c3d5e7f9a1b3c5d":
            _random(2 << 20),
        f"{SIGNAL}/attachments.noindex/a0/a01b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f9":
            _random(1 << 20),
        f"{SIGNAL}/Local Storage/leveldb/000003.log": _random(4096),
        f"{SIGNAL}/logs/main.log": _text('{"level":30,"msg":"app ready"}\n'),
        # WhatsApp Desktop (the Store app): encrypted databases and media transfers.
        f"{WHATSAPP}/LocalState/nativeSettings.db": _random(1 << 20),
        f"{WHATSAPP}/LocalState/sessions/8A1B2C3D4E5F/session.db": _random(2 << 20),
        f"{WHATSAPP}/LocalState/shared/transfers/3EB0C1D2E3F4A5B6C7D8/0": _random(2 << 20),
        f"{WHATSAPP}/LocalState/profilePictures/447700900123.jpg": _jpeg,
        # Windows Spotlight pictures: JPEGs stored without an extension.
        **{f"{SPOTLIGHT}/LocalState/Assets/{_rng(str(i)).randbytes(32).hex()}": _jpeg
           for i in range(24)},
    }
    for app in STORE_APPS:
        files[f"{LOCAL}/Packages/{app}/Settings/settings.dat"] = (
            lambda p: b"regf" + _rng(p).randbytes(4092))
        files[f"{LOCAL}/Packages/{app}/LocalState/cache.bin"] = _random(2048)
    published = {name.split("-", 1)[0] for name in PUBLISHED_PREFETCH}
    for name in PREFETCHED:
        if name not in published:
            suffix = f"{_rng(name).getrandbits(32):08X}"
            files[f"/Windows/Prefetch/{name}-{suffix}.pf"] = _prefetch
    for name in PUBLISHED_PREFETCH:
        files[f"/Windows/Prefetch/{name}"] = lambda p: (PLASO / p.rsplit("/", 1)[-1]).read_bytes()
    # A Windows 10 PC's own Amcache (Firefox, 7-Zip, Notepad++, PuTTY run) and SAM (two
    # built-in accounts and one user), published by plaso: what the run rules must not call
    # a breach.
    for path, name in (("/Windows/AppCompat/Programs/Amcache.hve", "win10-Amcache.hve.gz"),
                       ("/Windows/System32/config/SAM", "SAM.gz")):
        files[path] = lambda p, n=name: gzip.decompress((PLASO / n).read_bytes())
    return files


TOOLS = ("mkfs.ext4", "qemu-img", "hivexregedit")  # e2fsprogs, qemu-utils, libwin-hivex-perl


def build(root: Path) -> Path:
    """Write the drive under `root` (real files, nothing sparse) and return `root`."""
    for path, make in layout().items():
        target = root / path.lstrip("/")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(make(path))
        os.utime(target, (1733050000, 1733050000))  # 2024-12-01, some weeks of use
    return root
