"""The journal keeps the options a resumed scan needs, the stick's boot facts included."""

from __future__ import annotations

import json

from triage.pipeline import ScanOptions
from triage.plan.journal import options_from_json, options_to_json


def test_boot_facts_survive_the_journal_round_trip():
    boot = {"mode": "uefi", "secure_boot": True, "setup_mode": False,
            "sbat_level": "sbat,1,2024010900\n", "lockdown": "integrity", "efivars": "read-only"}
    saved = json.loads(json.dumps(options_to_json(ScanOptions(boot=boot, case="C-1"))))
    restored = ScanOptions(**options_from_json(saved))
    assert restored.boot == boot and restored.case == "C-1"


def test_a_journal_written_before_boot_facts_existed_still_resumes():
    saved = options_to_json(ScanOptions())
    del saved["boot"]
    assert ScanOptions(**options_from_json(saved)).boot is None
