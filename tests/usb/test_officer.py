"""The officer's console on the stick: config, disk list, read-only gate, scan call, verdict."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

USB = Path(__file__).resolve().parents[2] / "usb"


def test_template_config_loads_with_its_documented_defaults(officer):
    config = officer.load_config(USB / "config.yaml")
    assert config == officer.OfficerConfig(officer="", case="", subject="",
                                           time_budget_minutes=20.0, ask_officer=True,
                                           ask_case=True, ask_subject=True,
                                           stop_on_first_red=False)


def test_missing_config_gives_defaults(officer, tmp_path):
    assert officer.load_config(tmp_path / "config.yaml") == officer.OfficerConfig()


def test_config_values_are_read(officer, tmp_path):
    path = tmp_path / "config.yaml"
    path.write_text("officer: PC 1234 Smith\ncase: 42\nsubject: P-1001\n"
                    "time_budget_minutes: 12.5\nask_case: false\nstop_on_first_red: true\n"
                    "ask_subject: false\n")
    config = officer.load_config(path)
    assert (config.officer, config.case, config.subject, config.time_budget_minutes,
            config.ask_case, config.ask_subject, config.stop_on_first_red) == (
        "PC 1234 Smith", "42", "P-1001", 12.5, False, False, True)


@pytest.mark.parametrize(("text", "message"), [
    ("time_budget_minutes: 0\n", "time_budget_minutes must be a number above 0"),
    ("time_budget_minutes: true\n", "time_budget_minutes must be a number above 0"),
    ("ask_case: maybe\n", "ask_case must be true or false"),
    ("officer: [a, b]\n", "officer must be text"),
    ("budget: 3\n", "unknown setting 'budget'"),
    ("- a list\n", "must hold key: value settings"),
    ("officer: 'unclosed\n", "is not valid YAML"),
])
def test_bad_config_is_one_clear_error(officer, tmp_path, text, message):
    path = tmp_path / "config.yaml"
    path.write_text(text)
    with pytest.raises(officer.ConfigError, match=message) as info:
        officer.load_config(path)
    assert "\n" not in str(info.value).strip()


def _fake_disk(sys_block: Path, name: str, sectors: int, model: str = "", serial: str = "",
               nested: bool = True) -> None:
    entry = sys_block / name
    (entry / "device").mkdir(parents=True)
    (entry / "size").write_text(f"{sectors}\n")
    target = entry / "device" if nested else entry
    if model:
        (target / "model").write_text(f"{model}   \n")
    if serial:
        (target / "serial").write_text(f"{serial}\n")


def test_evidence_disks_lists_model_and_serial(officer, tmp_path):
    sys_block = tmp_path / "block"
    _fake_disk(sys_block, "sda", 1953125, "WDC WD5000", "WD-123")
    _fake_disk(sys_block, "nvme0n1", 1000, "Samsung 980", "S64ANS0", nested=False)
    _fake_disk(sys_block, "loop0", 4000)  # an unbacked loop device is never evidence
    _fake_disk(sys_block, "loop1", 4000)  # the live system's squashfs loop is never evidence
    (sys_block / "loop1" / "loop").mkdir()
    (sys_block / "loop1" / "loop" / "backing_file").write_text("/run/live/medium/live/fs\n")
    mountinfo = tmp_path / "mountinfo"
    mountinfo.write_text("")
    disks = officer.evidence_disks(sys_block, mountinfo)
    assert [d.device.name for d in disks] == ["nvme0n1", "sda"]
    assert (disks[0].model, disks[0].serial) == ("Samsung 980", "S64ANS0")
    sda = disks[1]
    assert (sda.model, sda.serial, sda.size) == ("WDC WD5000", "WD-123", 1_000_000_000)
    assert sda.describe() == "/dev/sda  1.0 GB  WDC WD5000  serial WD-123"


def test_evidence_disks_leaves_out_the_boot_stick(officer, tmp_path, monkeypatch):
    sys_block = tmp_path / "block"
    _fake_disk(sys_block, "sda", 4000, "EVIDENCE")
    _fake_disk(sys_block, "sdb", 4000, "STICK")
    candidate = officer.attached_disks.__globals__["DiskCandidate"]
    candidates = [candidate(Path("/dev/sda"), 2048000, False),
                  candidate(Path("/dev/sdb"), 2048000, True, "holds the running system")]
    monkeypatch.setattr(officer, "attached_disks", lambda *_: candidates)
    assert [d.device for d in officer.evidence_disks(sys_block)] == [Path("/dev/sda")]


def test_human_size_uses_label_units(officer):
    assert officer.human_size(512) == "512 B"
    assert officer.human_size(500_107_862_016) == "500.1 GB"
    assert officer.human_size(4_000_787_030_016) == "4.0 TB"


def _disk(officer, name: str):
    return officer.Disk(Path(f"/dev/{name}"), 1, "", "")


def test_read_only_gate_sets_a_writable_disk_read_only_then_passes(officer):
    flags = {Path("/dev/sda"): True, Path("/dev/sdb"): False}
    calls = []

    def setro(device: Path) -> None:
        calls.append(device)
        flags[device] = True

    still = officer.ensure_read_only([_disk(officer, "sda"), _disk(officer, "sdb")],
                                     getro=flags.get, setro=setro)
    assert still == [] and calls == [Path("/dev/sdb")]


def test_read_only_gate_refuses_a_disk_that_stays_writable_or_unknown(officer):
    flags = {Path("/dev/sda"): False, Path("/dev/sdb"): None}
    still = officer.ensure_read_only([_disk(officer, "sda"), _disk(officer, "sdb")],
                                     getro=flags.get, setro=lambda _device: None)
    assert [d.device.name for d in still] == ["sda", "sdb"]


def test_read_only_reads_the_kernel_flag_of_a_real_file(officer, tmp_path):
    plain = tmp_path / "not-a-device"
    plain.write_bytes(b"x")
    assert officer.read_only(plain) is None  # not a block device: unknown, so the gate refuses
    assert officer.read_only(tmp_path / "absent") is None


def test_report_folder_is_new_and_safe_on_exfat(officer, tmp_path):
    now = dt.datetime(2025, 5, 20, 14, 3, 9, tzinfo=dt.UTC)
    assert officer.report_folder(tmp_path, "OP/2025:17 *x*", now).name == \
        "20250520T140309Z-OP_2025_17_x"
    assert officer.report_folder(tmp_path, "", now).name == "20250520T140309Z"


def test_scan_command_passes_the_answers_and_budget(officer):
    config = officer.OfficerConfig(time_budget_minutes=12.5)
    command = officer.scan_command(config, "PC Smith", "OP-17", Path("/media/d/reports/x"),
                                   [_disk(officer, "sda"), _disk(officer, "nvme0n1")])
    assert command == [officer.TRIAGE, "scan", "/dev/sda", "/dev/nvme0n1", "--out",
                       "/media/d/reports/x", "--time-budget", "12.5",
                       "--officer", "PC Smith", "--case", "OP-17"]
    assert "--officer" not in officer.scan_command(config, "", "", Path("/r"), [])
    assert "--subject" not in command
    with_subject = officer.scan_command(config, "", "", Path("/r"), [], subject="P-1001")
    assert with_subject[-2:] == ["--subject", "P-1001"]
    assert "--stop-on-first-red" not in command
    stopping = officer.OfficerConfig(stop_on_first_red=True)
    assert "--stop-on-first-red" in officer.scan_command(stopping, "", "", Path("/r"), [])


@pytest.mark.parametrize("level", ["red", "amber", "green"])
def test_verdict_is_read_from_the_report(officer, tmp_path, level):
    (tmp_path / "report.json").write_text(json.dumps({"verdict": {"level": level}}))
    assert officer.verdict_of(tmp_path) == level
    assert officer.BANNERS[level][1] in officer.banner(level)


def test_no_or_broken_report_shows_amber(officer, tmp_path):
    assert officer.verdict_of(tmp_path) is None
    (tmp_path / "report.json").write_text("{broken")
    assert officer.verdict_of(tmp_path) is None
    assert "AMBER: the scan wrote no report" in officer.banner(None)


def test_ask_takes_the_default_in_automatic_mode_and_on_enter(officer, monkeypatch):
    assert officer.ask("Officer", "PC Smith", auto=True) == "PC Smith"
    answers = iter(["", "", "Jones"])
    monkeypatch.setattr("builtins.input", lambda _prompt: next(answers))
    assert officer.ask("Officer", "PC Smith", auto=False) == "PC Smith"
    assert officer.ask("Officer", "", auto=False) == "Jones"  # no default: asks until answered


def test_kernel_flags(officer):
    flags = officer.kernel_flags("boot=live quiet triage.auto triage.poweroff\n")
    assert officer.AUTO_FLAG in flags and officer.POWEROFF_FLAG in flags
    assert officer.AUTO_FLAG not in officer.kernel_flags("boot=live triage.shell")


def test_cut_off_scans_are_found_to_be_finished(officer, tmp_path):
    reports = tmp_path / "reports"
    for name, journal, report in (("20250101T090000Z-a", True, False),
                                  ("20250102T090000Z-b", True, True),  # sealed, then copied
                                  ("20250103T090000Z-c", False, True),
                                  ("20250104T090000Z-d", True, False)):
        folder = reports / name
        folder.mkdir(parents=True)
        if journal:
            (folder / ".journal").mkdir()
        if report:
            (folder / "report.json").write_text("{}")
    assert [p.name for p in officer.interrupted_scans(reports)] == [
        "20250101T090000Z-a", "20250104T090000Z-d"]
    assert officer.interrupted_scans(tmp_path / "missing") == []
    assert officer.resume_command(reports / "x") == [officer.TRIAGE, "scan", "--resume",
                                                     str(reports / "x")]


@pytest.mark.parametrize("auto", [False, True])
def test_attended_scan_may_ask_for_keys_automatic_one_never(officer, tmp_path, monkeypatch,
                                                            capsys, auto):
    """Attended, the console says the scan may ask for a recovery key and the scan shares the
    console's input; in automatic mode it is told nothing and gets no input to wait on."""
    import sys

    monkeypatch.setattr(officer, "ensure_read_only", lambda disks: [])
    probe = tmp_path / "stdin.txt"
    command = [sys.executable, "-c",
               f"import sys, pathlib; pathlib.Path({str(probe)!r}).write_text("
               "str(sys.stdin is None or sys.stdin.read() == ''))"]
    disk = officer.Disk(Path("/dev/sdz"), 1 << 30, "Disk", "S1")
    code = officer._run_scan(command, tmp_path / "out", [disk], "Scanning...", auto)
    assert code == 0
    printed = capsys.readouterr().out
    assert (officer.ENCRYPTION_NOTE in printed) is (not auto)
    assert "type skip to leave that disk locked" in officer.ENCRYPTION_NOTE.replace("\n", " ")
    if auto:
        assert probe.read_text() == "True"  # /dev/null: nothing to wait on
