"""Each extractor on real files: a Chromium profile, registry hives written by hivex, an event
log published by plaso, shell histories and a setupapi log as the systems write them."""

from __future__ import annotations

import codecs
import datetime as dt
import json
import shutil
import struct
from pathlib import Path

import pytest

from tests.artefacts.browsers import (
    CHROMIUM,
    FIREFOX,
    SEARCH_URL,
    TYPED_TERMS,
    chromium_profile,
    firefox_profile,
)
from tests.artefacts.hives import HIVEXREGEDIT, make_hive
from triage.artefacts.base import ExtractError, Origin
from triage.artefacts.chromium import ChromiumHistory
from triage.artefacts.evtx import EventLogs
from triage.artefacts.firefox import FirefoxHistory
from triage.artefacts.setupapi import SetupApiLog
from triage.artefacts.shell import ShellHistory, program_of
from triage.artefacts.winreg import RegistryHives, filetime

DATA = Path(__file__).resolve().parents[1] / "data"
needs_hivex = pytest.mark.skipif(HIVEXREGEDIT is None, reason="hivexregedit is not installed "
                                 "(apt-get install libwin-hivex-perl)")


def _filetime(when: dt.datetime) -> bytes:
    return struct.pack("<Q", int((when - dt.datetime(1601, 1, 1, tzinfo=dt.UTC))
                                 .total_seconds() * 10_000_000))


@pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed")
def test_chromium_profile_visits_and_searches(tmp_path: Path) -> None:
    history = chromium_profile(tmp_path / "profile")
    copy = tmp_path / "copy"
    copy.mkdir()
    for part in history.parent.glob("History*"):
        shutil.copy(part, copy / part.name)
    path = "/Users/alex/AppData/Local/Google/Chrome/User Data/Default/History"
    assert ChromiumHistory().wants(path)
    assert ChromiumHistory().primary_of(path + "-journal") == path
    found = list(ChromiumHistory().extract(copy / "History", Origin("a", path, "alex")))
    visits = [a for a in found if a.kind == "browser-visit"]
    assert {a.fields["title"] for a in visits} >= {"Holiday photos", "A local forum page"}
    assert all(a.fields["browser"] == "Chrome" and a.profile == "alex" for a in found)
    searches = {a.fields["terms"] for a in found if a.kind == "browser-search"}
    assert searches == {"how to wipe a laptop", TYPED_TERMS}
    search_visit = next(a for a in visits if a.fields["url"] == SEARCH_URL)
    assert dt.datetime.fromtimestamp(search_visit.time, dt.UTC) == dt.datetime(
        2026, 11, 20, 12, tzinfo=dt.UTC)


@pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed")
def test_a_chromium_profile_whose_history_begins_long_after_it_was_made(tmp_path: Path) -> None:
    """Chromium keeps no 'clear history' setting; what a clearing leaves is a profile made
    (Preferences' profile.creation_time) long before its oldest visit."""
    history = chromium_profile(tmp_path / "profile")
    copy = tmp_path / "copy"
    copy.mkdir()
    for part in [*history.parent.glob("History*"), history.parent / "Preferences"]:
        shutil.copy(part, copy / part.name)
    path = "/Users/alex/AppData/Local/Google/Chrome/User Data/Default/History"
    assert ChromiumHistory().primary_of(path.replace("History", "Preferences")) is not None
    origin = Origin("a", path, "alex")

    def settings() -> list:
        return [a for a in ChromiumHistory().extract(copy / "History", origin)
                if a.kind == "browser-setting"]

    assert settings() == []  # made today; the oldest visit is the search SQL put earlier
    first = dt.datetime(2026, 11, 20, 12, tzinfo=dt.UTC)
    made = first - dt.timedelta(days=40)
    prefs = json.loads((copy / "Preferences").read_text())
    prefs["profile"]["creation_time"] = str(int((made.timestamp() + 11_644_473_600) * 1e6))
    (copy / "Preferences").write_text(json.dumps(prefs))
    (gap,) = settings()
    assert (gap.fields["setting"], gap.fields["value"], gap.time) == (
        "history begins after the profile was made", 40.0, first.timestamp())
    (copy / "Preferences").write_text('{"profile": {"creation_time": "soon"')  # damaged
    assert settings() == []


def test_a_damaged_database_is_one_sentence(tmp_path: Path) -> None:
    bad = tmp_path / "History"
    bad.write_bytes(b"SQLite format 3\0" + b"\xff" * 4000)
    with pytest.raises(ExtractError, match="damaged or locked database"):
        list(ChromiumHistory().extract(bad, Origin("a", "/x/History", None)))


@needs_hivex
def test_system_hive_usb_devices_and_programs_run(tmp_path: Path) -> None:
    first = dt.datetime(2026, 11, 2, 18, 30, tzinfo=dt.UTC)
    run = dt.datetime(2026, 11, 3, 9, 15, tzinfo=dt.UTC)
    device = r"\ControlSet001\Enum\USBSTOR\Disk&Ven_SanDisk&Prod_Cruzer_Blade&Rev_1.00"
    hive = make_hive(tmp_path / "SYSTEM", {
        r"\Select": {"Current": 1},
        device + r"\4C530001230321112345&0": {"FriendlyName": "SanDisk Cruzer Blade USB Device"},
        device + r"\4C530001230321112345&0\Properties\{83da6326-97a6-4088-9453-a1923f573b29}"
                 r"\0064": {"": (0xFFFF0010, _filetime(first))},
        r"\ControlSet001\Services\bam\State\UserSettings\S-1-5-21-1-2-3-1001": {
            r"\Device\HarddiskVolume3\Program Files\VeraCrypt\VeraCrypt.exe":
                (3, _filetime(run) + bytes(16))},
        # Paris: Bias is UTC - local = -60 minutes, a REG_DWORD as Windows stores it.
        r"\ControlSet001\Control\TimeZoneInformation": {
            "TimeZoneKeyName": "Romance Standard Time", "Bias": 0xFFFFFFC4,
            "ActiveTimeBias": 0xFFFFFF88, "DynamicDaylightTimeDisabled": 0},
    })
    found = list(RegistryHives().extract(hive, Origin(
        "disk · /Windows/System32/config/SYSTEM", "/Windows/System32/config/SYSTEM", None)))
    zone = [a for a in found if a.kind == "time-zone"]
    assert len(zone) == 1 and zone[0].time is None
    assert {k: zone[0].fields[k] for k in ("name", "utc_offset", "active_utc_offset",
                                           "daylight_saving")} == {
        "name": "Romance Standard Time", "utc_offset": "+01:00", "active_utc_offset": "+02:00",
        "daylight_saving": True}
    assert isinstance(zone[0].fields["changed"], float)
    usb = [a for a in found if a.kind == "usb-device"]
    assert len(usb) == 1 and usb[0].fields["serial"] == "4C530001230321112345"
    assert usb[0].fields["vendor"] == "SanDisk" and usb[0].fields["product"] == "Cruzer_Blade"
    assert usb[0].time == first.timestamp() == usb[0].fields["first_connected"]
    ran = [a for a in found if a.kind == "program-run"]
    assert [(a.fields["name"], a.time, a.fields["evidence"]) for a in ran] == [
        ("VeraCrypt.exe", run.timestamp(), "BAM")]


@needs_hivex
def test_software_and_user_hives(tmp_path: Path) -> None:
    software = make_hive(tmp_path / "SOFTWARE", {
        r"\Microsoft\Windows\CurrentVersion\Uninstall\Tor Browser": {
            "DisplayName": "Tor Browser", "DisplayVersion": "14.0", "Publisher": "Tor Project",
            "InstallDate": "20261101"}})
    found = list(RegistryHives().extract(software, Origin(
        "s", "/Windows/System32/config/SOFTWARE", None)))
    assert [(a.kind, a.fields["name"], a.time) for a in found] == [
        ("program-installed", "Tor Browser",
         dt.datetime(2026, 11, 1, tzinfo=dt.UTC).timestamp())]
    last = dt.datetime(2026, 11, 4, 21, 0, tzinfo=dt.UTC)
    entry = bytearray(72)
    struct.pack_into("<I", entry, 4, 7)
    entry[60:68] = _filetime(last)
    assist = (r"\Software\Microsoft\Windows\CurrentVersion\Explorer\UserAssist"
              r"\{CEBFF5CD-ACE2-4F4F-9178-9926F41749EA}\Count")
    user = make_hive(tmp_path / "NTUSER.DAT", {
        assist: {codecs.encode(r"C:\Tools\Eraser\Eraser.exe", "rot13"): (3, bytes(entry))},
        r"\Software\Microsoft\Internet Explorer\TypedURLs": {"url1": "http://example.onion/"},
        r"\Software\Microsoft\Windows\CurrentVersion\Explorer\WordWheelQuery": {
            "0": (3, "hidden photos".encode("utf-16-le") + b"\0\0")},
    })
    found = list(RegistryHives().extract(user, Origin("u", "/Users/alex/NTUSER.DAT", "alex")))
    ran = next(a for a in found if a.kind == "program-run")
    assert (ran.fields["name"], ran.fields["count"], ran.time) == ("Eraser.exe", 7,
                                                                   last.timestamp())
    assert [a.fields["url"] for a in found if a.kind == "typed-url"] == ["http://example.onion/"]
    assert [a.fields["terms"] for a in found if a.kind == "explorer-search"] == ["hidden photos"]


@needs_hivex
def test_only_the_newest_typed_address_and_search_take_the_keys_time(tmp_path: Path) -> None:
    """The key's last change dates its newest entry only; an older entry dated so would look
    recent (a false 'since the last visit'). Windows 8+ dates each address in TypedURLsTime."""
    older = dt.datetime(2026, 9, 30, 12, 0, tzinfo=dt.UTC)
    user = make_hive(tmp_path / "NTUSER.DAT", {
        r"\Software\Microsoft\Internet Explorer\TypedURLs": {
            "url1": "https://example.org/new", "url2": "https://example.org/old",
            "url3": "https://example.org/undated"},
        r"\Software\Microsoft\Internet Explorer\TypedURLsTime": {
            "url2": (3, _filetime(older))},
        r"\Software\Microsoft\Windows\CurrentVersion\Explorer\WordWheelQuery": {
            "0": (3, "first search".encode("utf-16-le") + b"\0\0"),
            "1": (3, "newest search".encode("utf-16-le") + b"\0\0"),
            "MRUListEx": (3, struct.pack("<3i", 1, 0, -1))},
    })
    found = list(RegistryHives().extract(user, Origin("u", "/Users/alex/NTUSER.DAT", "alex")))
    typed = {a.fields["position"]: a.time for a in found if a.kind == "typed-url"}
    assert typed["url2"] == older.timestamp() and typed["url3"] is None
    assert typed["url1"] is not None  # the key's last change: when url1 was typed
    searches = {a.fields["terms"]: a.time for a in found if a.kind == "explorer-search"}
    assert searches["first search"] is None and searches["newest search"] is not None


def test_a_damaged_hive_is_one_sentence(tmp_path: Path) -> None:
    bad = tmp_path / "SYSTEM"
    bad.write_bytes(b"regf" + b"\0" * 100)
    with pytest.raises(ExtractError, match="hive"):
        list(RegistryHives().extract(bad, Origin("a", "/Windows/System32/config/SYSTEM", None)))


def test_filetime_edges() -> None:
    assert filetime(0) is None and filetime(-5) is None
    assert filetime(116444736000000000) == 0.0


@pytest.fixture(scope="module")
def system_log_records() -> list:
    log = DATA / "evtx" / "system.evtx"
    return list(EventLogs().extract(log, Origin(
        "l", "/Windows/System32/winevt/Logs/System.evtx", None)))


def test_event_log_clock_changes_and_boots(system_log_records: list) -> None:
    kinds = {}
    for artefact in system_log_records:
        kinds.setdefault(artefact.kind, []).append(artefact)
    # plaso's published System.evtx: 23 time changes (Kernel-General 1), 5 boots (6005).
    assert len(kinds["clock-changed"]) == 23
    assert all(a.fields["provider"] == "Microsoft-Windows-Kernel-General"
               for a in kinds["clock-changed"])
    events = [a.fields["event"] for a in kinds["system-event"]]
    assert events.count("the event log service started (boot)") == 5
    assert events.count("a service was installed") == 12
    assert all(a.time is not None for a in system_log_records)


def test_a_truncated_event_log_keeps_what_it_read(tmp_path: Path) -> None:
    data = (DATA / "evtx" / "system.evtx").read_bytes()
    cut = tmp_path / "System.evtx"
    cut.write_bytes(data[: len(data) // 3])
    found = []
    try:
        for artefact in EventLogs().extract(cut, Origin("l", "/x/System.evtx", None)):
            found.append(artefact)
    except ExtractError as exc:
        assert "records read so far are kept" in str(exc)
    assert found, "the readable first third still gives records"


def test_shell_histories(tmp_path: Path) -> None:
    bash = tmp_path / ".bash_history"
    bash.write_text("ls -la\n#1793000000\nsudo veracrypt -t --mount vol.hc\ntorsocks curl x\n")
    found = list(ShellHistory().extract(bash, Origin("b", "/home/alex/.bash_history", "alex")))
    ran = [(a.fields["name"], a.time) for a in found if a.kind == "program-run"]
    assert ran == [("ls", None), ("veracrypt", 1793000000.0), ("torsocks", None)]
    zsh = tmp_path / ".zsh_history"
    zsh.write_text(": 1793000100:0;bleachbit --clean system.cache\n")
    found = list(ShellHistory().extract(zsh, Origin("z", "/home/alex/.zsh_history", "alex")))
    assert [(a.kind, a.time) for a in found] == [("shell-command", 1793000100.0),
                                                 ("program-run", 1793000100.0)]
    assert program_of("FOO=1 /usr/bin/shred -u a") == "shred"


def test_shell_built_ins_and_cmdlets_are_commands_not_programs_run(tmp_path: Path) -> None:
    bash = tmp_path / ".bash_history"
    bash.write_text("cd /media/alex/STICK\nexport X=1\ncommand wg-quick up wg0\nls\n")
    found = list(ShellHistory().extract(bash, Origin("b", "/home/alex/.bash_history", "alex")))
    assert len([a for a in found if a.kind == "shell-command"]) == 4
    assert [a.fields["name"] for a in found if a.kind == "program-run"] == ["wg-quick", "ls"]
    ps = tmp_path / "ConsoleHost_history.txt"
    ps.write_text("Get-ChildItem E:\\Photos\ncd C:\\Tools\n.\\sdelete64.exe -p 3 C:\\x\n")
    path = ("/Users/alex/AppData/Roaming/Microsoft/Windows/PowerShell/PSReadLine/"
            "ConsoleHost_history.txt")
    found = list(ShellHistory().extract(ps, Origin("p", path, "alex")))
    assert [a.fields["name"] for a in found if a.kind == "program-run"] == ["sdelete64.exe"]


def test_setupapi_first_install_of_a_usb_stick(tmp_path: Path) -> None:
    log = tmp_path / "setupapi.dev.log"
    log.write_text(
        "[Device Install Log]\n     OS Version = 10.0.22631\n"
        ">>>  [Device Install (Hardware initiated) - USBSTOR\\Disk&Ven_Kingston&Prod_DataTraveler"
        "_3.0&Rev_PMAP\\E0D55EA574EEF2C0B97A0076&0]\n"
        ">>>  Section start 2026/11/02 18:31:07.512\n     dvi: oh\n<<<  Section end\n")
    (found,) = SetupApiLog().extract(log, Origin("s", "/Windows/INF/setupapi.dev.log", None))
    assert found.kind == "usb-device" and found.fields["serial"] == "E0D55EA574EEF2C0B97A0076"
    assert found.fields["time_zone"] == "the computer's local time"
    assert found.time == dt.datetime(2026, 11, 2, 18, 31, 7, tzinfo=dt.UTC).timestamp()


@pytest.mark.skipif(FIREFOX is None, reason="firefox-esr is not installed")
def test_firefox_profile_visits_and_the_settings_that_clear_history(tmp_path: Path) -> None:
    places = firefox_profile(tmp_path / "profile")
    path = "/home/alex/.mozilla/firefox/abcd.default-esr/places.sqlite"
    copy = tmp_path / "copy"
    copy.mkdir()
    for part in places.parent.glob("places.sqlite*"):
        shutil.copy(part, copy / part.name)
    # "Delete cookies and site data when Firefox is closed" alone keeps history: no setting.
    (copy / "prefs.js").write_text('user_pref("privacy.sanitize.sanitizeOnShutdown", true);\n')
    found = list(FirefoxHistory().extract(copy / "places.sqlite", Origin("f", path, "alex")))
    titles = {a.fields["title"] for a in found if a.kind == "browser-visit"}
    assert {"Holiday photos", "A local forum page"} <= titles
    assert not [a for a in found if a.kind == "browser-setting"]
    (copy / "prefs.js").write_text('user_pref("privacy.sanitize.sanitizeOnShutdown", true);\n'
                                   'user_pref("privacy.clearOnShutdown.history", true);\n')
    found = list(FirefoxHistory().extract(copy / "places.sqlite", Origin("f", path, "alex")))
    (setting,) = [a for a in found if a.kind == "browser-setting"]
    assert setting.fields["meaning"] == "history is deleted when the browser closes"
    assert FirefoxHistory().primary_of(path.replace("places.sqlite", "prefs.js")) == path
    # times.json says when the profile was made: a week or more before the oldest visit kept
    # is what clearing leaves; a few days is an unused new profile.
    (copy / "prefs.js").unlink()
    oldest = min(a.time for a in found if a.kind == "browser-visit" and a.time)

    def gaps(days_before: float) -> list:
        made_ms = (oldest - days_before * 86400) * 1000
        (copy / "times.json").write_text(json.dumps({"created": made_ms}))
        return [a for a in FirefoxHistory().extract(copy / "places.sqlite",
                                                    Origin("f", path, "alex"))
                if a.kind == "browser-setting"]

    assert gaps(3) == []
    (gap,) = gaps(40)
    assert (gap.fields["value"], gap.time) == (40.0, oldest)
    assert FirefoxHistory().primary_of(path.replace("places.sqlite", "times.json")) == path


def test_url_facts_reads_hosts_and_search_words() -> None:
    from triage.artefacts.searches import url_facts

    assert url_facts("https://www.google.com/search?q=how+to+wipe") == ("www.google.com",
                                                                        "how to wipe")
    assert url_facts("http://user@abc.onion:8080/x?q=1") == ("abc.onion", None)
    assert url_facts("https://duckduckgo.com/?q=tor&ia=web") == ("duckduckgo.com", "tor")
    assert url_facts("file:///tmp/page.html") == ("", None)
    assert url_facts("example.onion") == ("example.onion", None)
