"""Each false alarm issue 22 measured on ordinary computers, run through the shipped pack.

Every test here failed with the pack before issue 22 (RED or AMBER where an ordinary computer
must stay GREEN); the positive tests pin what the split into installed / used rules promises.
"""

from __future__ import annotations

import datetime as dt
import random
from pathlib import Path

import pytest

from tests.ruleset.conftest import record
from triage.ledger import GapKind, Ledger, ScanContext
from triage.model import Finding, Severity, Verdict
from triage.report.verdict import decide, level_of
from triage.ruleset import RuleContext, load_rules
from triage.ruleset.examples import BytesContent
from triage.ruleset.vocabulary import ORDER_WORDING

PACK = Path(__file__).resolve().parents[2] / "rules"
CTX = RuleContext(now=dt.datetime(2026, 12, 5, tzinfo=dt.UTC))
RULES = load_rules(PACK)


def _findings(path: str, content: bytes | None = None, **fields: object) -> list[Finding]:
    size = fields.pop("size", len(content) if content is not None else 4096)
    found = RULES.match_file(record(path, size=size, **fields),
                             None if content is None else BytesContent(content), CTX)
    return found + RULES.finish()


def _alarms(findings: list[Finding]) -> list[tuple[str | None, str]]:
    """(rule, level) of every finding that would move the verdict to AMBER or RED."""
    return [(f.rule, str(level_of(f))) for f in findings if level_of(f) is not None]


@pytest.mark.parametrize("path", [
    "/usr/share/transmission/web/index.html",
    "/usr/share/transmission/public_html/javascript/transmission.js",
    "/usr/share/doc/transmission-common/changelog.Debian.gz",
    "/usr/bin/transmission-gtk",
    "/Users/alex/Documents/Car/Transmission/gearbox-invoice.pdf",
    "/Users/alex/Music/Deluge/01 Rain.mp3",
    "/home/jo/Music/deluge/settings.json",
])
def test_transmission_of_gnome_and_folders_named_like_clients_are_not_p2p(path: str) -> None:
    assert _alarms(_findings(path)) == []


def test_wsl_disk_is_a_fact_not_a_vm_finding() -> None:
    path = ("/Users/alex/AppData/Local/Packages/CanonicalGroupLimited.Ubuntu_79rhkp1fndgsc/"
            "LocalState/ext4.vhdx")
    found = _findings(path, b"vhdxfile" + b"\0" * 4088, size=1 << 30,
                      mime="application/octet-stream")
    assert _alarms(found) == []
    assert [(f.rule, f.severity) for f in found] == [("wsl-disk-image", Severity.INFO)]


def test_an_encrypted_system_volume_is_coverage_not_a_breach() -> None:
    ledger = Ledger()
    volume = ledger.volume(source="laptop.img", index=3, offset=1048576, size=1 << 30,
                           description="Basic data partition", fs="unknown",
                           encryption={"kind": "bitlocker", "state": "locked"})
    ledger.volume_not_examined(volume, GapKind.ENCRYPTED, "encrypted (BitLocker), locked")
    (finding,) = RULES.match_volume(volume.to_report())
    assert finding.rule == "encrypted-volume" and level_of(finding) is None
    assert "intrinsic to the device" in finding.detail["order_wording"]
    ledger.finding(finding)
    result = ledger.result(ScanContext(), started_utc="", finished_utc="", duration_s=0,
                           host="", tool_version="", listing_name="")
    verdict = decide(result)
    # AMBER because the volume was not examined (the gap), not because a rule called it a breach.
    assert verdict["level"] == "amber"
    assert not any("rule" in reason or "Found" in reason for reason in verdict["reasons"])
    unlocked = {**volume.to_report(), "status": "examined", "fs": "ntfs", "reason": None,
                "encryption": {"kind": "bitlocker", "state": "unlocked"}}
    assert [level_of(f) for f in RULES.match_volume(unlocked)] == [None]


@pytest.mark.parametrize("path", [
    "/Users/alex/AppData/Roaming/Signal/sql/db.sqlite",
    "/home/jo/.config/Signal/sql/db.sqlite",
    "/Users/alex/AppData/Local/Packages/5319275A.WhatsAppDesktop_cv1g1gvanyjgm/LocalState/"
    "shared/transfers/db.sqlite",
])
def test_encrypted_application_databases_are_not_containers(path: str) -> None:
    sqlcipher = random.Random(path).randbytes(64 * 1024)  # encrypted from the first page
    assert _findings(path, sqlcipher, size=12 << 20) == []


def test_a_headerless_random_file_in_documents_still_asks_for_a_look() -> None:
    found = _findings("/Users/alex/Documents/taxes-2019", random.Random(1).randbytes(65536),
                      size=200 << 20)
    assert _alarms(found) == [("encrypted-container", "amber")]


@pytest.mark.parametrize("path", [
    "/usr/lib/modules/6.1.0-29-amd64/kernel/drivers/net/wireguard/wireguard.ko",
    "/lib/modules/6.1.0-29-amd64/kernel/drivers/net/wireguard/wireguard.ko",
    "/usr/src/linux-headers-6.1.0-29-common/drivers/net/wireguard/Makefile",
    "/usr/share/doc/wireguard-tools/README.md",
    "/usr/lib/NetworkManager/VPN/nm-openvpn-service.name",
])
def test_the_kernels_wireguard_module_is_not_a_vpn(path: str) -> None:
    assert _findings(path) == []


DELETE_COOKIES_ON_CLOSE = b"""// Mozilla User Preferences
user_pref("privacy.clearOnShutdown.cache", true);
user_pref("privacy.clearOnShutdown.cookies", true);
user_pref("privacy.clearOnShutdown.downloads", false);
user_pref("privacy.clearOnShutdown.formdata", false);
user_pref("privacy.clearOnShutdown.history", false);
user_pref("privacy.clearOnShutdown.offlineApps", true);
user_pref("privacy.clearOnShutdown.sessions", false);
user_pref("privacy.sanitize.sanitizeOnShutdown", true);
"""


def test_firefox_deleting_cookies_on_close_while_keeping_history_is_not_a_finding() -> None:
    path = "/Users/alex/AppData/Roaming/Mozilla/Firefox/Profiles/ab12.default-release/prefs.js"
    assert _findings(path, DELETE_COOKIES_ON_CLOSE) == []
    clears_history = DELETE_COOKIES_ON_CLOSE.replace(b'history", false', b'history", true')
    assert _alarms(_findings(path, clears_history)) == [("firefox-history-disabled", "red")]


def test_a_deleted_picture_is_listed_and_leaves_green() -> None:
    found = _findings("/Users/alex/Pictures/IMG_0042.jpg", deleted=True, mime="image/jpeg")
    assert [f.rule for f in found] == ["deleted-images"]
    assert _alarms(found) == []


@pytest.mark.parametrize("path", [
    "/Users/alex/AppData/Roaming/Telegram Desktop/tdata/key_datas",
    "/Users/alex/AppData/Roaming/discord/Local Storage/leveldb/000003.log",
    "/data/data/com.snapchat.android/databases/main.db",
    "/data/data/kik.android/databases/kikDatabase.db",
    "/data/data/com.mywickr.wickr/databases/wickr.db",
    "/home/jo/.config/Session/config.json",
])
def test_a_messaging_app_is_not_contact_with_a_child(path: str) -> None:
    (finding,) = _findings(path)
    assert finding.severity is Severity.LOW and level_of(finding) is None
    assert "not evidence of contact" in finding.title
    assert "an installed app is not contact" in finding.detail["order_wording"]


FRAME = ("/usr/lib/firefox-esr/browser/omni.ja!chrome/browser/content/browser/aboutRobots/"
         "worldcup-large.webm!frame@{n}.000s")


def test_video_frames_this_tool_extracts_are_not_misnamed_images() -> None:
    for n in range(57):
        found = RULES.match_file(record(FRAME.format(n=n), mime="image/png", ext_mismatch=True),
                                 None, CTX)
        assert found == [], n
    assert RULES.finish() == []


def test_a_picture_renamed_by_a_user_is_still_found() -> None:
    found = _findings("/Users/alex/Documents/tax/receipts.dll", mime="image/jpeg",
                      ext_mismatch=True)
    assert _alarms(found) == [("image-misleading-extension", "amber")]


# --- presence told apart from use -----------------------------------------------------------

def test_a_tool_only_installed_is_amber_and_its_run_is_red_with_when() -> None:
    (installed,) = _findings("/Users/alex/Desktop/Tor Browser/Browser/firefox.exe")
    assert (installed.rule, level_of(installed)) == ("tor-browser", Verdict.AMBER)
    assert installed.detail["evidence"] == "installed" and "last_written" not in installed.detail
    run = dt.datetime(2026, 11, 20, 21, 14, tzinfo=dt.UTC).timestamp()
    (used,) = _findings("/Windows/Prefetch/TOR.EXE-8A1B2C3D.pf", mtime=run)
    assert (used.rule, level_of(used)) == ("tor-daemon-used", Verdict.RED)
    assert used.detail["evidence"] == "used"
    assert used.detail["last_written"] == "2026-11-20T21:14:00Z"
    assert used.detail["order_wording"] == ORDER_WORDING["no-anonymisation"]


@pytest.mark.parametrize(("path", "rule"), [
    ("/home/jo/.config/transmission/settings.json", "other-bittorrent-clients-used"),
    ("/Users/alex/AppData/Local/qBittorrent/BT_backup/0a1b.fastresume", "qbittorrent-used"),
    ("/Windows/Prefetch/SDELETE64.EXE-3F2A1B0C.pf", "wiping-tool-used"),
    ("/Users/alex/AppData/Roaming/VeraCrypt/Configuration.xml", "veracrypt-used"),
    ("/etc/wireguard/wg0.conf", "vpn-used"),
])
def test_files_only_a_run_writes_are_red(path: str, rule: str) -> None:
    assert _alarms(_findings(path)) == [(rule, "red")]
