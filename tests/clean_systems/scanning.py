"""Scan a clean system's tree with the real scan and the shipped pack; sort out the rule alarms."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from triage import keys
from triage.hashdb.importing import import_files
from triage.hashdb.setinfo import SetInfo
from triage.model import Severity, Verdict
from triage.pipeline import ScanOptions, run_scan
from triage.ruleset import PACKAGED_RULES
from triage.ruleset.vocabulary import RULE_VERDICTS


def trusted_lab(work: Path) -> ScanOptions:
    """Options with a signed, trusted hash set (of a file no clean system holds) and the pack.

    With trusted hash sets loaded, nothing but rules and coverage can keep a scan off GREEN.
    """
    listed = work / "known.sha256"
    listed.write_text(f"{hashlib.sha256(b'not on any clean system').hexdigest()}  x.jpg\n")
    lab = keys.generate(work / "lab", "lab")
    trusted = work / "trusted"
    trusted.mkdir()
    (trusted / "lab.pub").write_bytes(keys.public_pem(lab.public))
    import_files([listed], SetInfo(name="known", version="1", source="test",
                                   default_severity=Severity.HIGH), work / "sets", signer=lab)
    return ScanOptions(hashsets=work / "sets", trusted_keys=trusted, rules=PACKAGED_RULES)


@dataclass(frozen=True, slots=True)
class RuleHit:
    rule: str
    severity: str
    level: str  # "red" | "amber" | "listed"
    where: str


def rule_hits(report: dict[str, Any]) -> list[RuleHit]:
    """Every rule finding of a report with the verdict level its severity asks for."""
    hits = []
    for finding in report["findings"]:
        if finding["kind"] != "rule":
            continue
        level = RULE_VERDICTS[Severity(finding["severity"])]
        hits.append(RuleHit(finding["rule"], finding["severity"],
                            "listed" if level is None else str(level),
                            str(finding.get("path") or finding.get("address"))))
    return hits


def alarms(report: dict[str, Any]) -> list[RuleHit]:
    """Rule findings that make the verdict AMBER or RED: on a clean system, false alarms."""
    return [h for h in rule_hits(report) if h.level in (Verdict.AMBER, Verdict.RED)]


def scan(root: Path, out: Path, options: ScanOptions) -> dict[str, Any]:
    """The report of the real scan of the folder `root`."""
    return run_scan([str(root)], out, options).report
