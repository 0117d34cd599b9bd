"""The stick's lock file writer, the boot test's report check, and build_usb.sh's refusals."""

from __future__ import annotations

import hashlib
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def test_lock_pins_every_distribution_by_version_and_sha256(lockfile, tmp_path):
    wheel = tmp_path / "Py_YAML-6.0.4-cp311-cp311-manylinux2014_x86_64.whl"
    wheel.write_bytes(b"wheel bytes")
    sdist = tmp_path / "pdqhash-0.2.8.tar.gz"
    sdist.write_bytes(b"sdist bytes")
    (tmp_path / "triage-0.1.0-py3-none-any.whl").write_bytes(b"the project itself")
    assert lockfile.lock_lines(tmp_path) == [
        f"pdqhash==0.2.8 --hash=sha256:{hashlib.sha256(b'sdist bytes').hexdigest()}",
        f"py-yaml==6.0.4 --hash=sha256:{hashlib.sha256(b'wheel bytes').hexdigest()}",
    ]


LOCK = """# Debian packages of the stick
linux-image-amd64=6.1.192-2
zlib1g=1:1.2.13.dfsg-1
zstd=1.5.4+dfsg2-5
"""
BUILT = """# Debian packages of the stick
linux-image-amd64=6.1.192-3
shim-signed=1.51~1+deb12u1+16.1-2~deb12u1
zlib1g=1:1.2.13.dfsg-1
"""


def test_debian_changes_name_each_update_addition_and_removal(lockfile):
    changes = lockfile.debian_changes(lockfile.debian_versions(LOCK),
                                      lockfile.debian_versions(BUILT))
    assert changes == ["linux-image-amd64: 6.1.192-2 -> 6.1.192-3",
                       "shim-signed: new, 1.51~1+deb12u1+16.1-2~deb12u1",
                       "zstd: gone (locked 1.5.4+dfsg2-5)"]
    assert lockfile.debian_changes(lockfile.debian_versions(LOCK),
                                   lockfile.debian_versions(LOCK)) == []


def test_compare_prints_changes_and_nothing_for_a_match(tmp_path):
    (tmp_path / "lock").write_text(LOCK)
    (tmp_path / "built").write_text(BUILT)
    compare = [sys.executable, str(REPO / "usb" / "lockfile.py"), "compare", str(tmp_path / "lock")]
    differ = subprocess.run([*compare, str(tmp_path / "built")], capture_output=True, text=True,
                            check=True)
    assert differ.stdout.splitlines()[0] == "linux-image-amd64: 6.1.192-2 -> 6.1.192-3"
    same = subprocess.run([*compare, str(tmp_path / "lock")], capture_output=True, text=True,
                          check=True)
    assert same.stdout == ""


def test_committed_debian_lock_pins_the_signed_boot_chain(lockfile):
    versions = lockfile.debian_versions((REPO / "usb" / "debian.lock").read_text())
    for package in ("shim-signed", "shim-helpers-amd64-signed", "grub-efi-amd64-signed",
                    "linux-image-amd64"):
        assert versions.get(package), f"usb/debian.lock does not pin {package}"


def test_committed_lock_pins_every_line_with_a_hash():
    lines = [line for line in (REPO / "usb" / "requirements.lock").read_text().splitlines()
             if line and not line.startswith("#")]
    assert lines and all(" --hash=sha256:" in line and "==" in line for line in lines)


def _report(kind="block device", read_only=True, on=("/dev/sda", "/dev/nvme0n1"), level="red"):
    evidence = [{"source": s, "kind": kind, "size": 1, "read_only": read_only}
                for s in ("/dev/sda", "/dev/nvme0n1")]
    findings = [{"source": s, "kind": "exact", "sha256": "ab" * 32} for s in on]
    return {"provenance": {"evidence": evidence}, "findings": findings,
            "verdict": {"level": level}}


def test_report_check_passes_a_good_report():
    import tests.usb.check_report as check

    assert check.problems(_report(), "ab" * 32) == []


@pytest.mark.parametrize(("report", "expected"), [
    (_report(read_only=False), "/dev/sda is not recorded read-only"),
    (_report(read_only=None), "/dev/nvme0n1 is not recorded read-only"),
    (_report(on=("/dev/sda",)), "the known picture was not found on /dev/nvme0n1"),
    (_report(level="amber"), "verdict is 'amber'"),
    (_report(kind="raw image"), "scanned as 'raw image'"),
])
def test_report_check_catches_each_failure(report, expected):
    import tests.usb.check_report as check

    assert any(expected in problem for problem in check.problems(report, "ab" * 32))


def _build(*args: str, user: bool = False) -> subprocess.CompletedProcess[str]:
    command = [str(REPO / "build_usb.sh"), *args]
    if user:
        command = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", *command]
    return subprocess.run(command, capture_output=True, text=True, timeout=60, check=False)


def test_build_refuses_without_root():
    result = _build(user=True)
    assert result.returncode == 1
    assert "must run as root" in result.stderr


@pytest.mark.parametrize(("args", "message"), [
    (["--data-size", "10"], "--data-size must be a whole number of MiB, at least 64."),
    (["--compression", "30"], "--compression must be 1 to 22."),
    (["--key", "/nonexistent/stick.key"], "--key /nonexistent/stick.key does not exist"),
    (["--data", "/etc/hostname"], "--data /etc/hostname is not a folder."),
    (["--frobnicate"], "unknown option --frobnicate"),
])
def test_build_refuses_bad_options_in_one_line(args, message):
    result = _build(*args)
    assert result.returncode != 0
    assert message in result.stderr.strip().splitlines()[-1]


def test_build_help_lists_every_option():
    result = _build("--help")
    assert result.returncode == 0
    for option in ("--out", "--data-size", "--compression", "--data", "--key", "--update-lock",
                   "--locked"):
        assert option in result.stdout


SECURE = {"mode": "uefi", "secure_boot": True, "setup_mode": False,
          "sbat_level": "sbat,1,2024010900\n", "lockdown": "integrity", "efivars": "read-only"}


def test_report_check_passes_the_boot_facts_of_each_mode():
    import tests.usb.check_report as check

    bios = {**SECURE, "mode": "bios", "secure_boot": False, "sbat_level": None, "lockdown": "none",
            "efivars": None}
    uefi = {**SECURE, "secure_boot": False, "sbat_level": None, "lockdown": "none"}
    for mode, boot in (("secure", SECURE), ("uefi", uefi), ("bios", bios)):
        report = _report()
        report["provenance"]["boot"] = boot
        assert check.problems(report, "ab" * 32, mode) == []


@pytest.mark.parametrize(("boot", "mode", "expected"), [
    (None, "secure", "records no boot facts"),
    ({**SECURE, "secure_boot": False}, "secure", "provenance.boot.secure_boot is False"),
    ({**SECURE, "lockdown": "none"}, "secure", "provenance.boot.lockdown is 'none'"),
    ({**SECURE, "sbat_level": None}, "secure", "provenance.boot.sbat_level is None"),
    (SECURE, "uefi", "provenance.boot.secure_boot is True"),
    (SECURE, "bios", "provenance.boot.mode is 'uefi'"),
    ({**SECURE, "efivars": "writable"}, "secure", "provenance.boot.efivars is 'writable'"),
])
def test_report_check_catches_wrong_boot_facts(boot, mode, expected):
    import tests.usb.check_report as check

    report = _report()
    if boot is not None:
        report["provenance"]["boot"] = boot
    assert any(expected in problem for problem in check.problems(report, "ab" * 32, mode))
