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


RULE = """\
id: good
title: A rule
description: A rule written by a test.
severity: high
condition: no-p2p
author: test
version: 1
references: [test]
match: {extension: torrent}
tests:
  match: [{path: /a/film.torrent}]
  no_match: [{path: /a/film.txt}]
"""


@pytest.mark.parametrize(("command", "text", "words"), [
    ("check", "id: [unclosed\n", "r.yml:2:1: YAML syntax error"),
    ("test", RULE.replace("/a/film.txt", "/b/x.torrent"), "negative example /b/x.torrent matched"),
    ("list", RULE + "colour: red\n", "1 errors; run 'triage rules check"),
])
def test_rules_commands_exit_4_on_errors_through_the_real_entry_point(tmp_path, command, text,
                                                                      words):
    (tmp_path / "r.yml").write_text(text, encoding="utf-8")
    done = run("rules", command, str(tmp_path))
    assert done.returncode == ExitCode.INVALID_INPUT, done.stdout + done.stderr
    assert words in done.stdout + done.stderr
    (tmp_path / "r.yml").write_text(RULE, encoding="utf-8")
    assert run("rules", command, str(tmp_path)).returncode == ExitCode.OK


def test_every_ctx_exit_code_reaches_the_process(monkeypatch):
    """Audit: a command ending through ctx.exit(code) under standalone_mode=False keeps its code."""
    from triage import cli as cli_module

    @cli.command("exit-probe")
    @click.pass_context
    def probe(ctx: click.Context) -> None:
        """Test only."""
        ctx.exit(ExitCode.INVALID_INPUT)

    try:
        monkeypatch.setattr(sys, "argv", ["triage", "exit-probe"])
        with pytest.raises(SystemExit) as exited:
            cli_module.main()
        assert exited.value.code == ExitCode.INVALID_INPUT
    finally:
        cli.commands.pop("exit-probe")


@pytest.fixture
def evidence_folder(tmp_path):
    folder = tmp_path / "evidence"
    folder.mkdir()
    (folder / "a.txt").write_text("hello", encoding="utf-8")
    return folder


@pytest.mark.parametrize(("out", "words"), [
    ("missing/deep/out", "parent {tmp}/missing/deep does not exist (is the drive mounted?); "
                         "create it or choose another --out."),
    ("a-file/out", "{tmp}/a-file is a file, not a folder; choose another --out."),
])
def test_an_unusable_output_folder_is_one_sentence(tmp_path, evidence_folder, out, words):
    (tmp_path / "a-file").write_text("x", encoding="utf-8")
    done = run("scan", str(evidence_folder), "--out", str(tmp_path / out))
    assert done.returncode == ExitCode.USAGE, done.stderr
    assert done.stderr.strip().endswith(words.format(tmp=tmp_path)), done.stderr
    assert done.stderr.count("\n") == 1 and "internal error" not in done.stderr
    assert not (tmp_path / "missing").exists()


def test_a_read_only_output_folder_is_one_sentence(tmp_path, evidence_folder):
    mount = tmp_path / "ro"
    mount.mkdir()
    # Root ignores file modes, so a read-only file system is the honest way to make one.
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "ro,size=1m", "tmpfs", str(mount)],
                      capture_output=True, check=False).returncode != 0:
        pytest.skip("cannot mount a read-only tmpfs here")
    try:
        done = run("scan", str(evidence_folder), "--out", str(mount / "out"))
    finally:
        subprocess.run(["umount", str(mount)], check=True)
    assert done.returncode == ExitCode.USAGE, done.stderr
    assert done.stderr.strip() == (f"triage: cannot write the output folder {mount}/out "
                                   "(read-only file system); choose a writable folder with --out.")


def test_a_missing_hashsets_folder_is_refused_not_amber(tmp_path, evidence_folder):
    done = run("scan", str(evidence_folder), "--out", str(tmp_path / "out"),
               "--hashsets", str(tmp_path / "no-such-sets"))
    assert done.returncode == ExitCode.USAGE
    assert f"'--hashsets': Directory '{tmp_path}/no-such-sets' does not exist." in done.stderr
    assert not (tmp_path / "out").exists()


def test_verify_of_a_missing_folder_is_not_called_tampered(tmp_path):
    done = run("verify", str(tmp_path / "nope"))
    assert done.returncode == ExitCode.INVALID_INPUT
    assert done.stderr == f"triage: {tmp_path}/nope does not exist; give a report folder.\n"


STALLED_SCAN = """
import sys, time
from pathlib import Path
from triage.pipeline import ProgressSink, run_scan

class Stall(ProgressSink):
    def planning(self, files):
        time.sleep(3600)

run_scan([sys.argv[1]], Path(sys.argv[2]), None, Stall())
"""


def test_verify_and_review_of_an_unfinished_scan_say_so(tmp_path, evidence_folder):
    import signal
    import time

    from triage.plan.journal import JOURNAL_DIR, REQUEST

    out = tmp_path / "reports" / "killed"
    out.parent.mkdir()
    child = subprocess.Popen([sys.executable, "-c", STALLED_SCAN, str(evidence_folder), str(out)],
                             env={**os.environ})
    try:
        deadline = time.monotonic() + 60
        while not (out / JOURNAL_DIR / REQUEST).exists():
            assert child.poll() is None and time.monotonic() < deadline
            time.sleep(0.05)
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait()
    done = run("verify", str(out))
    assert done.returncode == ExitCode.INVALID_INPUT
    assert done.stderr == (f"triage: the scan in {out} never finished, so nothing was sealed; "
                           f"finish it with `triage scan --resume {out}`, then verify it.\n")
    review = run("review", str(tmp_path / "reports"))
    assert review.returncode == ExitCode.INVALID_INPUT
    assert "SCAN NOT FINISHED" in review.stdout and "tampered" not in review.stdout.lower()


def test_review_of_an_empty_folder_is_one_sentence(tmp_path):
    done = run("review", str(tmp_path))
    assert done.returncode == ExitCode.INVALID_INPUT
    assert done.stderr == (f"triage: {tmp_path} holds no report folders (none has a report.json "
                           "or manifest.json); give the folder the reports were copied to.\n")


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


def test_store_is_listed_but_imported_only_when_used():
    """`triage store` is in the help, yet a scan's start never pays for SQLAlchemy."""
    check = ("import sys, triage.cli; "
             "print(sorted(m for m in ('sqlalchemy', 'alembic') if m in sys.modules))")
    loaded = subprocess.run([sys.executable, "-c", check], capture_output=True, text=True,
                            timeout=120, check=True)
    assert loaded.stdout.strip() == "[]"
    assert "store" in run("--help").stdout
    done = run("store", "--help")
    assert done.returncode == 0 and "reports store" in done.stdout


def test_store_without_its_extra_says_how_to_install_it():
    """On the stick the store's packages are absent: the command names the install line."""
    script = ("import sys; sys.modules['triage.store.cli'] = None; "  # import raises ImportError
              "sys.argv = ['triage', 'store', 'list']; from triage.cli import main; main()")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          timeout=120, check=False)
    assert done.returncode == ExitCode.USAGE
    assert "pip install 'triage[store]'" in done.stderr and "Traceback" not in done.stderr
