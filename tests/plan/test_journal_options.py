"""The journal keeps the options a resumed scan needs, the stick's boot facts included."""

from __future__ import annotations

import json

from triage.ledger.serial import load, to_json
from triage.options import ScanOptions


def test_boot_facts_survive_the_journal_round_trip():
    boot = {"mode": "uefi", "secure_boot": True, "setup_mode": False,
            "sbat_level": "sbat,1,2024010900\n", "lockdown": "integrity", "efivars": "read-only"}
    saved = json.loads(json.dumps(to_json(ScanOptions(boot=boot, case="C-1"))))
    restored = load(ScanOptions, saved)
    assert restored.boot == boot and restored.case == "C-1"


def test_a_journal_written_before_boot_facts_existed_still_resumes():
    saved = to_json(ScanOptions())
    del saved["boot"]
    assert load(ScanOptions, saved).boot is None
