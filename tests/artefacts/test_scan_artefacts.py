"""Artefacts through the real scan of an NTFS volume laid out like a Windows PC."""

from __future__ import annotations

import datetime as dt
import gzip
import json
from pathlib import Path

import pytest

from tests.artefacts.browsers import CHROMIUM
from tests.artefacts.hives import HIVEXREGEDIT
from tests.artefacts.windows_disk import (
    ALEX_LOGIN,
    DOWNLOAD_URL,
    DOWNLOADED,
    ERASER_RUN,
    EXPLORER_SEARCH,
    JUMP_USED,
    LETTER_OPENED,
    LOG_CLEARED,
    OPENVPN,
    PHONE_FIRST,
    STICK_OPENED,
    TYPED_URL,
    USB_FIRST,
    VERACRYPT_RUN,
    build_windows_disk,
)
from tests.fixtures.tools import can_mount_fuse, missing_tools
from triage.artefacts import KINDS
from triage.files import sha256_file
from triage.options import ScanOptions
from triage.pipeline import run_scan
from triage.plan.journal import JOURNAL_DIR
from triage.report.verify import verify_report
from triage.ruleset import PACKAGED_RULES

pytestmark = pytest.mark.skipif(
    not can_mount_fuse() or missing_tools("ntfs") or CHROMIUM is None or HIVEXREGEDIT is None,
    reason="needs root with FUSE, ntfs-3g, chromium and hivexregedit")


@pytest.fixture(scope="module")
def scanned(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str, dict]:
    work = tmp_path_factory.mktemp("windows")
    image = build_windows_disk(work / "windows.img")
    before = sha256_file(image)
    out = work / "out"
    result = run_scan([str(image)], out, ScanOptions(
        rules=PACKAGED_RULES, since=dt.datetime(2026, 10, 1, tzinfo=dt.UTC)))
    return out, before, result.report


def _z(when: dt.datetime) -> str:
    return when.isoformat().replace("+00:00", "Z")


def _records(out: Path) -> list[dict]:
    with gzip.open(out / "artefacts.jsonl.gz", "rt", encoding="utf-8") as handle:
        return [json.loads(line) for line in handle]


def test_artefacts_are_listed_with_their_source(scanned) -> None:  # noqa: ANN001
    out, _, report = scanned
    records = _records(out)
    usb = [r for r in records if r["kind"] == "usb-device"]
    assert [r["fields"]["serial"] for r in usb] == ["4C530001230321112345", "R5CT1234ABC"]
    assert usb[1]["time"] == PHONE_FIRST.isoformat().replace("+00:00", "Z")
    assert usb[0]["time"] == USB_FIRST.isoformat().replace("+00:00", "Z")
    assert "/Windows/System32/config/SYSTEM" in usb[0]["source"]
    assert usb[0]["fields"]["drive_letters"] == ["E:"]  # from MountedDevices
    ran = {(r["fields"]["name"], r["fields"]["evidence"]): r for r in records
           if r["kind"] == "program-run"}
    assert sorted(ran) == [("Eraser.exe", "UserAssist"), ("NOTEPAD.EXE", "Prefetch"),
                           ("VERACRYPT.EXE", "Prefetch"), ("openvpn-gui.exe", "Amcache")]
    by_kind = {}
    for r in records:
        by_kind.setdefault(r["kind"], []).append(r)
    (download,) = by_kind["browser-download"]
    assert (download["fields"]["url"], download["time"]) == (DOWNLOAD_URL, _z(DOWNLOADED))
    assert [r["fields"]["url"] for r in by_kind["typed-url"]] == [TYPED_URL]
    assert [r["fields"]["terms"] for r in by_kind["explorer-search"]] == [EXPLORER_SEARCH]
    assert [r["fields"]["command"] for r in by_kind["shell-command"]] == [
        "Get-Date", "Get-ChildItem E:\\Photos"]
    # Every kind of record the extractors make comes out of this one real scan.
    assert set(KINDS) == set(by_kind)
    (gap,) = by_kind["browser-setting"]
    assert gap["fields"]["setting"] == "history begins after the profile was made"
    eraser = ran["Eraser.exe", "UserAssist"]
    assert (eraser["time"], eraser["profile"]) == (_z(ERASER_RUN), "alex")
    veracrypt = ran["VERACRYPT.EXE", "Prefetch"]
    assert veracrypt["time"] == _z(VERACRYPT_RUN) and veracrypt["fields"]["count"] == 4
    assert "ntfs · /Windows/Prefetch/VERACRYPT.EXE-3AE259FC.pf" in veracrypt["source"]
    notepad = ran["NOTEPAD.EXE", "Prefetch"]["fields"]
    assert notepad["last_runs"] == ["2019-06-05T19:55:04.877778Z", "2019-06-05T19:23:00.815705Z"]
    openvpn = ran["openvpn-gui.exe", "Amcache"]
    assert openvpn["fields"]["path"] == OPENVPN and openvpn["fields"]["sha1"] == "3f" * 20
    assert "ntfs · /Windows/AppCompat/Programs/Amcache.hve" in openvpn["source"]
    (account,) = [r for r in records if r["kind"] == "user-account"]
    assert (account["fields"]["name"], account["fields"]["rid"], account["fields"]["login_count"],
            account["fields"]["last_login"]) == ("alex", 1001, 57, _z(ALEX_LOGIN))
    assert "ntfs · /Windows/System32/config/SAM" in account["source"]
    opened = [r["fields"]["name"] for r in records if r["kind"] == "file-opened"
              and r["fields"].get("evidence") == "RecentDocs"]  # (shortcuts: their own test)
    assert opened == ["cameras.txt", "E:\\"]
    assert {r["fields"]["name"] for r in records if r["kind"] == "program-installed"} == {
        "Tor Browser"}
    titles = {r["fields"]["title"] for r in records if r["kind"] == "browser-visit"}
    assert "Holiday photos" in titles
    assert len([r for r in records if r["kind"] == "clock-changed"]) == 23
    summary = report["artefacts"]
    assert summary["records"] == len(records)
    assert summary["by_kind"]["usb-device"] == 2  # the stick, and the phone (MTP)
    zone = next(r for r in records if r["kind"] == "time-zone")
    assert (zone["fields"]["name"], zone["fields"]["utc_offset"],
            zone["fields"]["active_utc_offset"]) == ("GMT Standard Time", "+00:00", "+01:00")
    phone = next(r for r in records if r["kind"] == "usb-device"
                 and r["fields"]["evidence"] == "Enum\\USB")
    assert phone["fields"]["friendly_name"] == "Galaxy S23"
    assert {f["extractor"] for f in summary["files"]} == {
        "windows-registry", "chromium-history", "windows-event-logs", "windows-prefetch",
        "windows-amcache", "windows-sam", "windows-shortcuts", "windows-jump-lists",
        "shell-history"}
    assert not [w for w in report["warnings"] if "artefacts" in str(w)]
    assert report["outputs"]["artefacts"] == "artefacts.jsonl.gz"


def test_copies_are_gone_the_report_verifies_and_the_evidence_is_unchanged(
        scanned, tmp_path: Path) -> None:  # noqa: ANN001
    out, before, _ = scanned
    assert not (out / JOURNAL_DIR).exists(), "the private copies left with the journal"
    manifest = json.loads((out / "manifest.json").read_text())
    assert "artefacts.jsonl.gz" in {f["path"] for f in manifest["files"]}
    assert verify_report(out, None).status in ("unsigned", "verified")
    assert sha256_file(out.parent / "windows.img") == before


def test_artefact_rules_fire_with_when_and_where(scanned) -> None:  # noqa: ANN001
    _, _, report = scanned
    by_rule = {f["rule"]: f for f in report["findings"] if f["kind"] == "rule"}
    wiper = by_rule["wiping-tool-run"]
    assert wiper["severity"] == "high" and "/Users/alex/NTUSER.DAT" in wiper["address"]
    assert wiper["detail"]["first"] == ERASER_RUN.isoformat().replace("+00:00", "Z")
    assert wiper["detail"]["examples"][0]["name"] == "Eraser.exe"
    encryption = by_rule["encryption-tool-run"]
    assert "/Windows/Prefetch/VERACRYPT.EXE-3AE259FC.pf" in encryption["address"]
    assert encryption["detail"]["first"] == _z(VERACRYPT_RUN)
    # Amcache alone lists the VPN client: a lead (it may never have run), not a run.
    vpn = by_rule["anonymity-tool-inventoried"]
    assert "/Windows/AppCompat/Programs/Amcache.hve" in vpn["address"]
    assert vpn["detail"]["examples"][0]["name"] == "openvpn-gui.exe"
    assert vpn["severity"] == "medium" and "vpn-run" not in by_rule
    usb = by_rule["usb-storage-since"]
    assert usb["detail"]["count"] == 2 and usb["severity"] == "medium"  # stick and phone
    assert by_rule["clock-changed"]["detail"]["count"] == 23
    assert by_rule["history-not-kept"]["severity"] == "medium"
    cleared = by_rule["event-log-cleared"]
    assert cleared["severity"] == "high" and "/winevt/Logs/Security.evtx" in cleared["address"]
    assert cleared["detail"]["first"] == _z(LOG_CLEARED)
    assert cleared["detail"]["examples"][0]["user"] == "alex"
    assert "onion-address-visited" not in by_rule and "tor-run" not in by_rule
    assert report["verdict"]["level"] == "red"


@pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed")
def test_timeline_renders_in_a_real_browser(scanned, tmp_path: Path) -> None:  # noqa: ANN001
    from PIL import Image

    from tests.report.test_html import _chromium

    out, _, report = scanned
    days = report["artefacts"]["timeline"]["per_day"]
    assert days[ERASER_RUN.date().isoformat()] >= 1
    page = (out / "report.html").read_text(encoding="utf-8")
    assert "Timeline of the system" in page and "<svg" in page and "<script" not in page
    dom = _chromium("--dump-dom", (out / "report.html").as_uri())
    assert "A wiping or trace-erasing tool ran" in dom
    png = tmp_path / "timeline.png"
    _chromium("--window-size=1000,4000", "--hide-scrollbars", f"--screenshot={png}",
              (out / "report.html").as_uri())
    with Image.open(png) as shot:
        colours = shot.convert("RGB").getcolors(maxcolors=1 << 22) or []
    # The breaching day's bar and mark are drawn in the chart's red; other days in grey-blue.
    red = sum(n for n, rgb in colours if rgb == (0xC6, 0x28, 0x28))
    grey = sum(n for n, rgb in colours if rgb == (0x60, 0x7D, 0x8B))
    assert red > 30 and grey > 30, (red, grey)


def _z(when: dt.datetime) -> str:
    return when.isoformat().replace("+00:00", "Z")


def test_files_opened_from_shortcuts_and_a_jump_list(scanned) -> None:  # noqa: ANN001
    out, _, report = scanned
    # (Other extractors also give file-opened records: only shortcuts' and jump lists' here.)
    opened = {(r["fields"]["target_path"], r["time"]): r for r in _records(out)
              if r["kind"] == "file-opened" and any(
                  word in str(r["fields"].get("evidence")) for word in ("shortcut", "jump list"))}
    stick = opened["E:\\Photos\\holiday.jpg", _z(STICK_OPENED)]  # the shortcut's own time
    assert stick["fields"] | {"target_created": None} == stick["fields"] | {
        "drive_type": "removable", "volume_serial": "A1B2C3D4", "volume_label": "KINGSTON",
        "target_size": 48213, "evidence": "recent shortcut", "target_created": None}
    assert stick["profile"] == "alex" and "/Recent/holiday.jpg.lnk · " in stick["source"]
    letter = opened["C:\\Users\\alex\\Documents\\letter.docx", _z(LETTER_OPENED)]
    assert letter["fields"]["drive_type"] == "fixed"
    jumped = opened["E:\\Users\\bperry\\Downloads", _z(JUMP_USED)]  # its DestList time
    assert jumped["fields"]["app"] == "Windows Explorer (pinned and recent)"
    assert jumped["fields"]["volume_serial"] == "A1B2C3D4"
    assert len(opened) == 2 + 7
    assert {f["extractor"] for f in report["artefacts"]["files"]} >= {
        "windows-shortcuts", "windows-jump-lists"}


def test_removable_drive_rules_fire_per_source_file(scanned) -> None:  # noqa: ANN001
    out, _, report = scanned
    hits = [f for f in report["findings"] if f["kind"] == "rule"]
    since = sorted(f["address"].rpartition("/")[2].partition(" ")[0] for f in hits
                   if f["rule"] == "file-opened-from-removable-since")
    assert since == ["1b4dd67f29cb1962.automaticDestinations-ms", "holiday.jpg.lnk"]
    assert all(f["severity"] == "medium" for f in hits
               if f["rule"] == "file-opened-from-removable-since")
    listed = [f for f in hits if f["rule"] == "file-opened-from-removable"]
    assert len(listed) == 2 and {f["severity"] for f in listed} == {"low"}
    example = next(f for f in hits if f["rule"] == "file-opened-from-removable-since"
                   and ".lnk · " in f["address"])["detail"]
    assert example["count"] == 1 and example["first"] == _z(STICK_OPENED)
    page = (out / "report.html").read_text(encoding="utf-8")
    assert "(removable drive, volume serial A1B2C3D4, label KINGSTON)" in page
