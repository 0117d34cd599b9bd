"""The `triage` command as a user runs it: exit codes, one-line errors, JSON output, help."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import click
import pytest

from triage.cli import cli
from triage.errors import ExitCode


def run(*args: str, cwd=None) -> subprocess.CompletedProcess[str]:  # noqa: ANN001
    return subprocess.run([sys.executable, "-m", "triage.cli", *args], capture_output=True,
                          text=True, cwd=cwd, timeout=120, check=False)


def test_missing_evidence_exits_3_with_one_line(tmp_path):
    done = run("scan", str(tmp_path / "nothing.img"), "--out", str(tmp_path / "out"), "--json")
    assert done.returncode == ExitCode.EVIDENCE
    report = json.loads(done.stdout)
    reason = report["coverage"]["not_examined"][0]["reason"]
    assert reason.endswith("no such file, folder or device.")
    assert "Traceback" not in done.stderr


def test_scan_json_prints_the_report(demo_disk, tmp_path):
    done = run("scan", str(demo_disk.image), "--out", str(tmp_path / "out"), "--json")
    assert done.returncode == ExitCode.FINDINGS, done.stderr  # AMBER: no hash sets given
    report = json.loads(done.stdout)
    assert report["verdict"]["level"] == "amber"
    assert report["coverage"]["files_seen"] == len(demo_disk.files)
    assert report["coverage"]["other_entries"]["volume label"] == 2


def test_plain_output_when_not_a_terminal(demo_disk, tmp_path):
    done = run("scan", str(demo_disk.image), "--out", str(tmp_path / "out"), "--case", "C-1")
    assert done.returncode == ExitCode.FINDINGS, done.stderr
    assert "AMBER" in done.stdout and "No hash sets were loaded" in done.stdout
    assert "\x1b[" not in done.stdout  # no terminal control codes in a pipe or a log
    assert str(tmp_path / "out") in done.stdout.replace("\n", "")


def test_demo_ends_red_with_the_report_path(tmp_path):
    done = run("demo", "--out", str(tmp_path / "demo"))
    assert done.returncode == ExitCode.FINDINGS, done.stderr
    assert "RED" in done.stdout
    assert (tmp_path / "demo" / "report" / "report.json").is_file()


def test_reusing_an_output_folder_is_a_usage_error(demo_disk, tmp_path):
    assert run("scan", str(demo_disk.image), "--out", str(tmp_path / "o")).returncode == 10
    done = run("scan", str(demo_disk.image), "--out", str(tmp_path / "o"))
    assert done.returncode == ExitCode.USAGE
    assert done.stderr.strip().count("\n") == 0 and "already holds a report" in done.stderr


def test_unknown_option_is_a_usage_error():
    assert run("scan", "--no-such-option").returncode == ExitCode.USAGE


def _commands(group: click.Group, prefix: tuple[str, ...] = ()):
    for name, command in sorted(group.commands.items()):
        yield (*prefix, name), command
        if isinstance(command, click.Group):
            yield from _commands(command, (*prefix, name))


@pytest.mark.parametrize("path", [p for p, _ in _commands(cli)], ids=" ".join)
def test_every_command_has_help(path):
    command = dict(_commands(cli))[path]
    assert command.help and command.help.strip(), f"{' '.join(path)} has no help text"
    done = run(*path, "--help")
    assert done.returncode == 0 and "Usage:" in done.stdout


def test_the_stick_data_partition_supplies_defaults(tmp_path):
    from triage.demo.run import prepare_demo

    sources, _, options = prepare_demo(tmp_path / "demo")
    data = tmp_path / "data"
    (data / "keys").mkdir(parents=True)
    options.hashsets.rename(data / "hashsets")
    options.trusted_keys.rename(data / "keys" / "trusted")
    done = subprocess.run([sys.executable, "-m", "triage.cli", "scan", sources[0], "--json"],
                          capture_output=True, text=True, timeout=120, check=False,
                          env={**os.environ, "TRIAGE_DATA": str(data)})
    assert done.returncode == ExitCode.FINDINGS, done.stderr
    report = json.loads(done.stdout)
    assert report["verdict"]["level"] == "red"
    assert [s["trusted"] for s in report["provenance"]["hashsets"]] == [True]
    assert len(list((data / "reports").glob("scan-*/report.json"))) == 1


def test_demo_report_is_signed_and_verifies(tmp_path):
    assert run("demo", "--out", str(tmp_path / "d")).returncode == ExitCode.FINDINGS
    report = tmp_path / "d" / "report"
    for name in ("report.json", "report.html", "report.dfxml", "report.case.jsonld",
                 "files.jsonl.gz", "manifest.json", "manifest.sig"):
        assert (report / name).is_file(), name
    ok = run("verify", str(report), "--trusted", str(tmp_path / "d" / "trusted-keys"))
    assert ok.returncode == 0, ok.stdout + ok.stderr
    untrusted = run("verify", str(report), "--trusted", str(tmp_path))
    assert untrusted.returncode == ExitCode.INVALID_INPUT


def test_scan_signs_with_the_given_key(demo_disk, tmp_path):
    assert run("keys", "init", "stick", "--dir", str(tmp_path / "k")).returncode == 0
    done = run("scan", str(demo_disk.image), "--out", str(tmp_path / "o"),
               "--key", str(tmp_path / "k" / "stick.key"))
    assert done.returncode == ExitCode.FINDINGS
    (tmp_path / "trusted").mkdir()
    (tmp_path / "k" / "stick.pub").rename(tmp_path / "trusted" / "stick.pub")
    verified = run("verify", str(tmp_path / "o"), "--trusted", str(tmp_path / "trusted"))
    assert verified.returncode == 0, verified.stdout


BOOT = {"mode": "uefi", "secure_boot": True, "setup_mode": False,
        "sbat_level": "sbat,1,2024010900\nshim,4\ngrub,3\ngrub.debian,4\n",
        "lockdown": "integrity", "efivars": "read-only"}


def test_boot_facts_from_the_stick_reach_the_report(demo_disk, tmp_path):
    facts = tmp_path / "boot.json"
    facts.write_text(json.dumps(BOOT))
    done = run("scan", str(demo_disk.image), "--out", str(tmp_path / "out"), "--json",
               "--boot-facts", str(facts))
    assert done.returncode == ExitCode.FINDINGS, done.stderr
    assert json.loads(done.stdout)["provenance"]["boot"] == BOOT
    plain = run("scan", str(demo_disk.image), "--out", str(tmp_path / "plain"), "--json")
    assert "boot" not in json.loads(plain.stdout)["provenance"]


@pytest.mark.parametrize(("content", "message"), [
    (None, "cannot be read"),
    ("{not json", "cannot be read"),
    (json.dumps({**BOOT, "secure_boot": "yes"}), "is not a boot-facts file"),
    (json.dumps({"mode": "uefi"}), "is not a boot-facts file"),
])
def test_bad_boot_facts_file_is_a_one_line_usage_error(demo_disk, tmp_path, content, message):
    facts = tmp_path / "boot.json"
    if content is not None:
        facts.write_text(content)
    done = run("scan", str(demo_disk.image), "--out", str(tmp_path / "out"),
               "--boot-facts", str(facts))
    assert done.returncode == ExitCode.USAGE
    assert done.stderr.strip().count("\n") == 0 and message in done.stderr
    assert not (tmp_path / "out").exists()
