"""A scan killed with SIGKILL is finished by `triage scan --resume OUT`, nothing lost or doubled."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import jsonschema
import pytest
from click.testing import CliRunner

from tests.pipeline.household import LAYOUT, build_household
from tests.report.test_full_disk import fill
from triage.cli import cli
from triage.errors import OutputError, UsageError
from triage.files import sha256_file
from triage.pipeline import ScanOptions, resume_scan, run_scan
from triage.plan.journal import CHECKPOINT, JOURNAL_DIR, REQUEST
from triage.report.listing import read_listing
from triage.report.verify import verify_report
from triage.report.writer import report_schema

ROOT = Path(__file__).resolve().parents[2]
# The child scans slowly (a pause per file, a checkpoint every 0.1 s) so it can be killed in
# the middle; `stall` instead hangs it while it lists names, before any checkpoint exists.
CHILD = """
import sys, time
from pathlib import Path
from triage.pipeline import ProgressSink, ScanOptions, run_scan

image, out, sets, trusted, mode = sys.argv[1:6]
key = None
if len(sys.argv) > 6:  # the officer's key: the scan begins signed
    from triage.keys import load_private
    key = load_private(Path(sys.argv[6]))

class Slow(ProgressSink):
    def file_done(self, record):
        time.sleep(0.01)
    def planning(self, files):
        if mode == "stall":
            time.sleep(3600)

run_scan([image], Path(out), ScanOptions(hashsets=Path(sets), trusted_keys=Path(trusted),
         checkpoint_s=0.1, signing_key=key), Slow())
"""


@pytest.fixture(scope="module")
def household(tmp_path_factory) -> tuple[Path, ScanOptions]:
    return build_household(tmp_path_factory.mktemp("household"))


def _kill_when(image: Path, options: ScanOptions, out: Path, mode: str,
               ready: callable, key: Path | None = None) -> None:  # type: ignore[valid-type]
    child = subprocess.Popen(  # noqa: S603 - our own interpreter and script
        [sys.executable, "-c", CHILD, str(image), str(out), str(options.hashsets),
         str(options.trusted_keys), mode, *([str(key)] if key else [])],
        cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)})
    try:
        deadline = time.monotonic() + 60
        while not ready(out):
            assert child.poll() is None, "the scan ended before it could be killed"
            assert time.monotonic() < deadline, "the scan never reached the point to kill it"
            time.sleep(0.02)
        child.send_signal(signal.SIGKILL)
    finally:
        child.wait()


def _done_so_far(out: Path) -> int:
    try:
        state = json.loads((out / JOURNAL_DIR / CHECKPOINT).read_bytes())["state"]
    except (OSError, ValueError, KeyError):
        return 0
    return state["done_entries"]


def test_a_killed_scan_resumes_to_a_complete_report(household, tmp_path):
    image, options = household
    before = sha256_file(image)
    out = tmp_path / "out"
    _kill_when(image, options, out, "slow", lambda o: _done_so_far(o) >= 100)
    assert not (out / "report.json").exists()
    done_before = _done_so_far(out)
    assert 100 <= done_before < len(LAYOUT)

    result = CliRunner().invoke(cli, ["scan", "--resume", str(out), "--json"])
    assert result.exit_code == 10, result.output
    report = json.loads(result.stdout)
    assert sha256_file(image) == before
    resumed = report["provenance"]["resumed"]
    assert len(resumed) == 1 and resumed[0]["files_done_before"] == done_before
    assert resumed[0]["checkpoint_utc"] is not None
    coverage = report["coverage"]
    assert coverage["complete"] is True and coverage["files_seen"] == len(LAYOUT)
    rows = read_listing(out / "files.jsonl.gz")
    assert sorted(r["path"] for r in rows) == sorted(LAYOUT)  # each file once, none lost
    assert all(r["sha256"] for r in rows)
    # The known picture was read before the kill; its finding survives, and only once.
    exact = [f for f in report["findings"] if f["kind"] == "exact"]
    assert [f["path"] for f in exact] == ["/Users/alice/Pictures/holiday/known.jpg"]
    assert report["verdict"]["level"] == "red"
    assert not (out / JOURNAL_DIR).exists() and not (out / ".plan").exists()
    # The same findings as a scan that was never interrupted.
    straight = run_scan([str(image)], tmp_path / "straight", options).report
    assert report["findings"] == straight["findings"]


def test_a_scan_killed_while_listing_names_starts_again(household, tmp_path):
    image, options = household
    out = tmp_path / "out"
    _kill_when(image, options, out, "stall", lambda o: (o / JOURNAL_DIR / REQUEST).exists())
    assert not (out / JOURNAL_DIR / CHECKPOINT).exists()
    report = resume_scan(out).report
    assert report["provenance"]["resumed"][0]["files_done_before"] == 0
    assert report["provenance"]["resumed"][0]["checkpoint_utc"] is None
    assert report["coverage"]["files_seen"] == len(LAYOUT)
    assert len(read_listing(out / "files.jsonl.gz")) == len(LAYOUT)


def test_resume_refuses_other_evidence_and_finished_scans(household, tmp_path):
    image, options = household
    copy = tmp_path / "copy.img"
    copy.write_bytes(image.read_bytes())
    out = tmp_path / "out"
    _kill_when(copy, options, out, "slow", lambda o: _done_so_far(o) >= 1)
    with open(copy, "r+b") as handle:  # our own copy, standing in for a swapped disk
        handle.write(b"\0" * 512)
    with pytest.raises(UsageError, match="not the evidence the scan began on"):
        resume_scan(out)
    with pytest.raises(UsageError, match="--resume"):
        run_scan([str(image)], out, options)
    with pytest.raises(UsageError, match="no interrupted scan"):
        resume_scan(tmp_path / "elsewhere")
    finished = tmp_path / "finished"
    run_scan([str(image)], finished, options)
    with pytest.raises(UsageError, match="nothing to resume"):
        resume_scan(finished)
    assert "did not finish" not in " ".join(verify_report(finished, None).problems)
    (finished / JOURNAL_DIR).mkdir()  # a journal left behind: the scan is not finished
    (finished / JOURNAL_DIR / "hidden").write_text("x")
    problems = verify_report(finished, None).problems
    assert any("did not finish" in p for p in problems)
    assert not any("hidden" in p for p in problems)  # named once: the journal is the problem


def test_resume_takes_no_sources(tmp_path):
    done = subprocess.run(  # noqa: S603 - our own interpreter and module
        [sys.executable, "-m", "triage.cli", "scan", "--resume", str(tmp_path), "disk.img"],
        capture_output=True, text=True, cwd=ROOT, check=False)
    assert done.returncode == 2 and "give no SOURCE" in done.stderr


@pytest.mark.parametrize("room", [120_000, 200_000], ids=["while-reading", "while-sealing"])
def test_a_full_output_disk_stops_cleanly_and_resume_finishes(household, small_disk, room):
    """Out of room while reading (the listing) or while sealing (DFXML), then freed: resumed."""
    image, options = household
    filler = fill(small_disk, leave=room)
    out = small_disk / "out"
    with pytest.raises(OutputError, match=r"output disk is full .*--resume"):
        run_scan([str(image)], out, options)
    listing = [p for p in (out / "files.jsonl.gz", out / ".files.jsonl.gz.part") if p.exists()]
    listed = [r["path"] for r in read_listing(listing[0])]  # what was written stays readable
    assert len(set(listed)) == len(listed) and set(listed) <= set(LAYOUT)
    filler.unlink()
    result = resume_scan(out)
    jsonschema.validate(result.report, report_schema())
    assert result.report["coverage"]["complete"] is True
    assert sorted(r["path"] for r in read_listing(out / "files.jsonl.gz")) == sorted(LAYOUT)
    assert result.report["verdict"]["level"] == "red"
    assert not (out / JOURNAL_DIR).exists()


def test_a_signed_scan_resumes_signed_and_says_it_was_resumed(household, tmp_path,
                                                              monkeypatch):
    """Issue 15 item 5: resume finished unsigned and hid that it had been resumed."""
    from triage import keys

    image, options = household
    officer = keys.generate(tmp_path / "keys", "officer")
    key_file = tmp_path / "keys" / "officer.key"
    trusted = tmp_path / "trusted"
    trusted.mkdir()
    (trusted / "officer.pub").write_bytes(keys.public_pem(officer.public))
    out = tmp_path / "out"
    _kill_when(image, options, out, "slow", lambda o: _done_so_far(o) >= 20, key=key_file)
    request = (out / JOURNAL_DIR / REQUEST).read_text()
    assert officer.fingerprint in request and "PRIVATE" not in request  # never the key itself

    refused = CliRunner().invoke(cli, ["scan", "--resume", str(out)])  # no key, no TTY
    assert isinstance(refused.exception, UsageError)
    assert f"began signed by key {officer.fingerprint}" in str(refused.exception)
    assert "--key" in str(refused.exception) and "--unsigned" in str(refused.exception)
    other = keys.generate(tmp_path / "keys", "someone-else")
    wrong = CliRunner().invoke(cli, ["scan", "--resume", str(out), "--key",
                                     str(tmp_path / "keys" / "someone-else.key")])
    assert isinstance(wrong.exception, UsageError) and other.fingerprint in str(wrong.exception)

    # At a terminal, with no --key and no stick key, the officer is asked for the key file.
    monkeypatch.setattr("triage.cli._interactive", lambda: True)
    done = CliRunner().invoke(cli, ["scan", "--resume", str(out)], input=f"{key_file}\n")
    assert done.exit_code == 10, done.output
    assert f"began signed by key {officer.fingerprint}; key file" in done.output
    assert "Resumed " in done.output and "files already done" in done.output  # the screen
    checked = verify_report(out, trusted)
    assert checked.ok and checked.signer is not None
    assert checked.signer.key == officer.fingerprint
    report = json.loads((out / "report.json").read_bytes())
    (resumed,) = report["provenance"]["resumed"]
    assert resumed["signed"] is True and resumed["host"]
    html = (out / "report.html").read_text()
    assert "Resumed" in html and resumed["resumed_utc"] in html


def test_a_signed_scan_finishes_unsigned_only_when_told(household, tmp_path):
    from triage import keys

    image, options = household
    keys.generate(tmp_path / "keys", "officer")
    out = tmp_path / "out"
    _kill_when(image, options, out, "slow", lambda o: _done_so_far(o) >= 1,
               key=tmp_path / "keys" / "officer.key")
    with pytest.raises(UsageError, match="--unsigned"):
        resume_scan(out)
    report = resume_scan(out, allow_unsigned=True).report
    assert report["provenance"]["resumed"][0]["signed"] is False
    assert not (out / "manifest.sig").exists()
