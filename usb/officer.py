"""The officer's console on the stick: ask, list the disks, scan them all, show the verdict."""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import yaml
from bootfacts import boot_facts, describe

from triage.evidence.blockdev import kernel_read_only, read_attr
from triage.evidence.discovery import attached_disks

DATA_MOUNT = Path(os.environ.get("TRIAGE_DATA", "/media/triage-data"))
TRIAGE = "/opt/triage/bin/triage"
# The boot facts (UEFI/BIOS, Secure Boot, SbatLevel) read at start, handed to every scan so the
# report records them (provenance.boot); /run is the live system's memory, not a disk.
BOOT_FACTS = Path("/run/triage/boot.json")
# Kernel command-line flags set by the boot menu (the VM boot test sets both): take every default
# without asking, and power off once the report is written.
AUTO_FLAG = "triage.auto"
POWEROFF_FLAG = "triage.poweroff"
# Default when config.yaml names no budget: long enough for a typical laptop disk's pictures,
# short enough for a home visit (the figure officers were given in the issue discussion).
# Twenty minutes: about what a home visit leaves for the scan (issue 10); the priority order
# puts the likeliest files first, so a budget that runs out leaves the least likely unread.
DEFAULT_BUDGET_MIN = 20.0

BANNERS = {  # the verdict screen: colour and what the officer should do next
    "red": ("\x1b[1;97;41m", "RED: known material or a court-order breach was found."),
    "amber": ("\x1b[1;30;43m", "AMBER: the scan could not rule everything out; tell the lab."),
    "green": ("\x1b[1;97;42m", "GREEN: nothing known was found."),
}


class ConfigError(ValueError):
    """config.yaml on the data partition is unreadable or holds a wrong value."""


@dataclass(frozen=True)
class OfficerConfig:
    """The console's settings from config.yaml (defaults when a key is absent)."""

    officer: str = ""
    case: str = ""
    subject: str = ""  # a reference to the person the visit concerns, never a name
    time_budget_minutes: float = DEFAULT_BUDGET_MIN
    ask_officer: bool = True
    ask_case: bool = True
    ask_subject: bool = True
    stop_on_first_red: bool = False  # end the scan at the first RED finding


def load_config(path: Path) -> OfficerConfig:
    """Read config.yaml; a missing file gives the defaults, a wrong value a one-line error."""
    if not path.is_file():
        return OfficerConfig()
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path} cannot be read ({exc}); replace it.") from exc
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{path}:{mark.line + 1}:{mark.column + 1}" if mark else str(path)
        problem = getattr(exc, "problem", None) or "syntax error"
        raise ConfigError(f"{where}: is not valid YAML ({problem}); fix or replace it.") from exc
    if not isinstance(data, dict):
        raise ConfigError(f"{path} must hold key: value settings; see the template in the README.")
    known = OfficerConfig.__dataclass_fields__
    unknown = sorted(set(data) - set(known))
    if unknown:
        raise ConfigError(f"{path}: unknown setting {unknown[0]!r}; allowed: {', '.join(known)}.")
    values: dict[str, object] = {}
    for key, value in data.items():
        if key in ("officer", "case", "subject"):
            if value is None:
                value = ""
            if not isinstance(value, str | int):
                raise ConfigError(f"{path}: {key} must be text.")
            values[key] = str(value)
        elif key in ("ask_officer", "ask_case", "ask_subject", "stop_on_first_red"):
            if not isinstance(value, bool):
                raise ConfigError(f"{path}: {key} must be true or false.")
            values[key] = value
        else:
            if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
                raise ConfigError(f"{path}: time_budget_minutes must be a number above 0.")
            values[key] = float(value)
    return OfficerConfig(**values)  # type: ignore[arg-type]


def kernel_flags(cmdline: str) -> set[str]:
    """The words of the kernel command line (flags such as triage.auto)."""
    return set(cmdline.split())


@dataclass(frozen=True)
class Disk:
    """An evidence disk as the officer sees it."""

    device: Path
    size: int
    model: str
    serial: str

    def describe(self) -> str:
        return (f"{self.device}  {human_size(self.size)}  {self.model or '?'}  "
                f"serial {self.serial or '?'}")


def human_size(size: int) -> str:
    """Size in the decimal units printed on disk labels."""
    value = float(size)
    for unit in ("B", "kB", "MB", "GB", "TB"):
        if value < 1000 or unit == "TB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1000
    raise AssertionError("unreachable")


def evidence_disks(sys_block: Path = Path("/sys/block"),
                   mountinfo: Path = Path("/proc/self/mountinfo")) -> list[Disk]:
    """Every attached disk but the stick, with model and serial from /sys."""
    disks = []
    for found in attached_disks(sys_block, mountinfo):
        # A loop device on the stick is the live system's own squashfs, never evidence.
        if found.is_boot_device or found.device.name.startswith("loop"):
            continue
        entry = sys_block / found.device.name
        disks.append(Disk(found.device, found.size, read_attr(entry, "model") or "",
                          read_attr(entry, "serial", "wwid") or ""))
    return disks


def read_only(device: Path) -> bool | None:
    """The kernel's read-only flag (`blockdev --getro`), or None when it cannot be read."""
    try:
        fd = os.open(device, os.O_RDONLY)
    except OSError:
        return None
    try:
        return kernel_read_only(fd)
    finally:
        os.close(fd)


def ensure_read_only(disks: list[Disk], getro: Callable[[Path], bool | None] = read_only,
                     setro: Callable[[Path], None] | None = None) -> list[Disk]:
    """Disks still writable after one more `blockdev --setro`: the scan must not start."""
    setro = setro or (lambda device: subprocess.run(  # noqa: S603
        ["/usr/sbin/blockdev", "--setro", str(device)], check=False))
    writable = []
    for disk in disks:
        if getro(disk.device) is not True:
            setro(disk.device)
            if getro(disk.device) is not True:
                writable.append(disk)
    return writable


def report_folder(reports: Path, case: str, now: dt.datetime) -> Path:
    """A new folder under reports/ named by time and case, safe on exFAT."""
    safe_case = re.sub(r"[^A-Za-z0-9._-]+", "_", case).strip("._")[:40]
    stamp = now.strftime("%Y%m%dT%H%M%SZ")
    return reports / (f"{stamp}-{safe_case}" if safe_case else stamp)


def scan_command(config: OfficerConfig, officer: str, case: str, out: Path,
                 disks: list[Disk], boot: Path | None = None, subject: str = "") -> list[str]:
    """The `triage scan` call on exactly the disks shown, signed with the stick's key."""
    command = [TRIAGE, "scan", *(str(d.device) for d in disks), "--out", str(out),
               "--time-budget", f"{config.time_budget_minutes:g}"]
    if boot is not None:
        command += ["--boot-facts", str(boot)]
    if config.stop_on_first_red:
        command.append("--stop-on-first-red")
    if officer:
        command += ["--officer", officer]
    if case:
        command += ["--case", case]
    if subject:
        command += ["--subject", subject]
    return command


def interrupted_scans(reports: Path) -> list[Path]:
    """Report folders whose scan was cut off (a journal, no report), oldest first."""
    try:
        folders = sorted(p for p in reports.iterdir() if p.is_dir())
    except OSError:
        return []
    return [p for p in folders if (p / ".journal").is_dir() and not (p / "report.json").exists()]


def resume_command(out: Path) -> list[str]:
    """`triage scan --resume` of a cut-off scan: its own disks, options and folder."""
    return [TRIAGE, "scan", "--resume", str(out)]


def verdict_of(out: Path) -> str | None:
    """The verdict level (red/amber/green) recorded in the report, or None without a report."""
    try:
        report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    level = report.get("verdict", {}).get("level") if isinstance(report, dict) else None
    return level if level in BANNERS else None


def banner(level: str | None, width: int = 78) -> str:
    """The full-width verdict lines shown after the scan."""
    colour, text = BANNERS.get(level or "", BANNERS["amber"])
    if level is None:
        text = "AMBER: the scan wrote no report; tell the lab."
    blank = f"{colour}{' ' * width}\x1b[0m"
    return "\n".join([blank, f"{colour}{text.center(width)}\x1b[0m", blank])


def ask(prompt: str, default: str, auto: bool) -> str:
    """One line of input with a default (taken as is in automatic mode)."""
    if auto:
        return default
    shown = f" [{default}]" if default else ""
    while True:
        answer = input(f"{prompt}{shown}: ").strip() or default
        if answer:
            return answer
        print("Please type an answer.")


def power_off() -> None:
    subprocess.run(["sync"], check=False)  # noqa: S607
    subprocess.run(["systemctl", "stop", "triage-data.service"], check=False)  # noqa: S607
    subprocess.run(["systemctl", "poweroff"], check=False)  # noqa: S607


def record_boot(path: Path = BOOT_FACTS, facts: dict | None = None) -> Path | None:
    """Read the boot facts once and keep them for the scans (None: they could not be kept)."""
    facts = boot_facts() if facts is None else facts
    print(f"TRIAGE-BOOT {json.dumps(facts, sort_keys=True)}", flush=True)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(facts, sort_keys=True), encoding="utf-8")
    except OSError as exc:
        print(f"The boot facts could not be kept ({exc}); the report will not record them.")
        return None
    return path


def session(config: OfficerConfig, flags: set[str], boot: Path | None = None) -> int:
    """One scan from the questions to the verdict screen; returns the scan's exit code."""
    auto = AUTO_FLAG in flags
    print("\x1b[2J\x1b[H\x1b[1mTRIAGE\x1b[0m  read-only forensic triage\n")
    if boot is not None:
        print(describe(json.loads(boot.read_text(encoding="utf-8"))) + "\n")
    pending = [] if auto else interrupted_scans(DATA_MOUNT / "reports")
    if pending:
        # A scan cut off by a power cut or a full stick is finished rather than lost.
        answer = input(f"The scan in reports/{pending[-1].name} was cut off before it "
                       "finished. Finish it now? [Y/n] ").strip().lower()
        if answer in ("", "y", "yes"):
            return _run_scan(resume_command(pending[-1]), pending[-1], evidence_disks(),
                             "Finishing the interrupted scan...", auto)
    officer = ask("Officer name", config.officer, auto or not config.ask_officer)
    case = ask("Case reference", config.case, auto or not config.ask_case)
    # The person's reference (the force's, never a name) lets supervisors follow their visits.
    subject = ask("Person's reference (not their name)", config.subject,
                  auto or not config.ask_subject)
    out = report_folder(DATA_MOUNT / "reports", case, dt.datetime.now(dt.UTC))
    disks = evidence_disks()
    return _run_scan(scan_command(config, officer, case, out, disks, boot, subject), out, disks,
                     f"Scanning with a time budget of {config.time_budget_minutes:g} minutes...",
                     auto)


# Said before every attended scan: the scan itself asks, on this console, for each locked volume.
ENCRYPTION_NOTE = ("If a disk is encrypted (BitLocker, FileVault, LUKS), the scan shows what it "
                   "knows\nabout it and asks for its recovery key or password (typing is hidden). "
                   "Ask the\nperson for it; press Enter or type skip to leave that disk locked.")


def _run_scan(command: list[str], out: Path, disks: list[Disk], headline: str,
              auto: bool = False) -> int:
    """Check the disks are there and read-only, run the scan, show the verdict screen.

    Attended, the scan shares this console, so it can ask for a locked volume's secret;
    in automatic mode it gets no input and leaves such volumes locked.
    """
    if not disks:
        print("No disks found to scan. Power off, attach the evidence and start again.")
        return 2
    print("\nDisks to scan (read-only):")
    for disk in disks:
        print(f"  {disk.describe()}")
    writable = ensure_read_only(disks)
    if writable:
        names = ", ".join(str(d.device) for d in writable)
        print(f"\nRefusing to scan: {names} could not be made read-only; "
              "power off and tell the lab.")
        return 2
    print(f"\n{headline}\n")
    if not auto:
        print(f"{ENCRYPTION_NOTE}\n")
    code = subprocess.run(command, check=False,  # noqa: S603
                          stdin=subprocess.DEVNULL if auto else None).returncode
    subprocess.run(["sync"], check=False)  # noqa: S607
    print("\n" + banner(verdict_of(out)))
    if out.exists():
        print(f"\nThe signed report is on the stick's TRIAGE_DATA partition in "
              f"reports/{out.name} (here: {out}).")
    print(f"TRIAGE-RESULT verdict={verdict_of(out)} exit={code} report={out}", flush=True)
    return code


def main() -> int:
    """Run the console until the officer powers off."""
    flags = kernel_flags(Path("/proc/cmdline").read_text())
    boot = record_boot()
    if not os.path.ismount(DATA_MOUNT):
        print("The stick's TRIAGE_DATA partition is not mounted, so no report could be kept.\n"
              "Power off and give the stick to the lab.")
        return 1 if AUTO_FLAG in flags else _offer_power_off(flags)
    try:
        config = load_config(DATA_MOUNT / "config.yaml")
    except ConfigError as exc:
        print(f"{exc}\nUsing the default settings.")
        config = OfficerConfig()
    while True:
        session(config, flags, boot)
        if AUTO_FLAG in flags:
            if POWEROFF_FLAG in flags:
                power_off()
            return 0
        if _offer_power_off(flags) == 0:
            return 0


def _offer_power_off(flags: set[str]) -> int:
    answer = input("\nPower off now? [Y/n] (n: scan again) ").strip().lower()
    if answer in ("", "y", "yes"):
        power_off()
        return 0
    return 1


if __name__ == "__main__":
    sys.exit(main())
