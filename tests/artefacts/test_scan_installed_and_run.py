"""Installed AND used through the real scan: hives written by hivexregedit in two folders laid
out like Windows PCs; the same_device rule fires on the PC with Eraser installed (SOFTWARE) and
run (NTUSER.DAT), and stays silent on the PC where it is only installed."""

from __future__ import annotations

import codecs
import datetime as dt
import struct
from pathlib import Path

import pytest

from tests.artefacts.hives import HIVEXREGEDIT, make_hive
from triage.options import ScanOptions
from triage.pipeline import run_scan
from triage.ruleset import PACKAGED_RULES

pytestmark = pytest.mark.skipif(HIVEXREGEDIT is None, reason="hivexregedit is not installed "
                                "(apt-get install libwin-hivex-perl)")
RAN = dt.datetime(2026, 11, 4, 21, 0, tzinfo=dt.UTC)
ASSIST = (r"\Software\Microsoft\Windows\CurrentVersion\Explorer\UserAssist"
          r"\{CEBFF5CD-ACE2-4F4F-9178-9926F41749EA}\Count")


def _pc(root: Path, *, ran: bool) -> Path:
    config = root / "Windows/System32/config"
    config.mkdir(parents=True)
    make_hive(config / "SOFTWARE", {
        r"\Microsoft\Windows\CurrentVersion\Uninstall\Eraser": {
            "DisplayName": "Eraser 6.2.0.2993", "DisplayVersion": "6.2.0.2993",
            "Publisher": "The Eraser Project", "InstallDate": "20261020"}})
    user = root / "Users/alex"
    user.mkdir(parents=True)
    entry = bytearray(72)
    struct.pack_into("<I", entry, 4, 3)
    seconds = (RAN - dt.datetime(1601, 1, 1, tzinfo=dt.UTC)).total_seconds()
    struct.pack_into("<Q", entry, 60, int(seconds * 10_000_000))
    program = r"C:\Program Files\Eraser\Eraser.exe" if ran else r"C:\Windows\notepad.exe"
    make_hive(user / "NTUSER.DAT", {ASSIST: {codecs.encode(program, "rot13"): (3, bytes(entry))}})
    return root


def _findings(tmp_path: Path, name: str, *, ran: bool) -> list[dict]:
    tree = _pc(tmp_path / name, ran=ran)
    result = run_scan([str(tree)], tmp_path / f"out-{name}", ScanOptions(rules=PACKAGED_RULES))
    return [f for f in result.report["findings"]
            if f.get("rule") == "wiping-tool-installed-and-run"]


def test_installed_and_run_fires_with_both_records(tmp_path: Path) -> None:
    (finding,) = _findings(tmp_path, "pc", ran=True)
    assert finding["title"] == ("A wiping tool was installed and ran on this device "
                                "(1 and 1 records)")
    assert finding["address"] == str(tmp_path / "pc")  # the device: this evidence source
    installed, run = finding["detail"]["parts"]
    assert installed["examples"][0]["name"] == "Eraser 6.2.0.2993"
    assert installed["sources"][0].split(" · ")[2] == "/Windows/System32/config/SOFTWARE"
    assert run["examples"][0]["name"] == "Eraser.exe" and run["last"] == "2026-11-04T21:00:00Z"
    assert run["sources"][0].split(" · ")[2] == "/Users/alex/NTUSER.DAT"
    assert finding["severity"] == "high" and finding["detail"]["evidence"] == "used"


def test_installed_but_never_run_is_silent(tmp_path: Path) -> None:
    assert _findings(tmp_path, "clean", ran=False) == []
