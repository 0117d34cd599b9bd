"""`triage scan --subject REF`: a reference (not a name) recorded in provenance.subject."""

from __future__ import annotations

import json
import subprocess
import sys


def test_subject_reference_is_recorded_in_provenance(tmp_path):
    folder = tmp_path / "evidence"
    folder.mkdir()
    (folder / "a.txt").write_text("hello")
    done = subprocess.run(  # noqa: S603 - our own interpreter and module
        [sys.executable, "-m", "triage.cli", "scan", str(folder), "--out", str(tmp_path / "out"),
         "--subject", "RSO-2026-0042", "--json"],
        capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 10, done.stderr
    report = json.loads(done.stdout)
    assert report["provenance"]["subject"] == "RSO-2026-0042"
    without = subprocess.run(  # noqa: S603 - our own interpreter and module
        [sys.executable, "-m", "triage.cli", "scan", str(folder), "--out",
         str(tmp_path / "out2"), "--json"], capture_output=True, text=True, timeout=120,
        check=False)
    assert json.loads(without.stdout)["provenance"]["subject"] is None


def test_unsigned_is_only_for_resume(tmp_path):
    done = subprocess.run(  # noqa: S603 - our own interpreter and module
        [sys.executable, "-m", "triage.cli", "scan", str(tmp_path), "--out",
         str(tmp_path / "out"), "--unsigned"], capture_output=True, text=True, timeout=120,
        check=False)
    assert done.returncode == 2 and "--unsigned only applies to --resume" in done.stderr
