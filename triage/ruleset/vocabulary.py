"""The closed word lists of the rule format, each value with the description the schema shows."""

from __future__ import annotations

from triage.model import Severity

SEVERITIES: dict[str, str] = {
    Severity.INFO.value: "Context for the examiner; never changes the verdict.",
    Severity.LOW.value: "Worth a look; on its own leaves the verdict GREEN.",
    Severity.MEDIUM.value: "Evidence that may breach an order; makes the verdict AMBER.",
    Severity.HIGH.value: "Strong evidence of a breach; makes the verdict AMBER or RED.",
    Severity.CRITICAL.value: "Direct evidence of a breach; makes the verdict RED.",
}

# Order conditions a finding can evidence. Worded after the prohibitions commonly written
# into Sexual Harm Prevention Orders (Sentencing Act 2020 Part 11 Chapter 2; CPS guidance
# "Sexual Harm Prevention Orders and Sexual Risk Orders"); a lab adds its own here.
CONDITIONS: dict[str, str] = {
    "no-anonymisation": "Must not use software or services that hide internet activity "
                        "(Tor, VPNs, anonymising proxies).",
    "no-encryption": "Must not use encryption software or encrypted containers without "
                     "declaring them.",
    "no-deletion-tools": "Must not use software that wipes files or erases usage traces.",
    "no-history-deletion": "Must not delete, or stop a device keeping, its internet history.",
    "no-p2p": "Must not use peer-to-peer file-sharing software.",
    "no-cloud-storage": "Must not use cloud storage without declaring it.",
    "declare-all-devices": "Must declare every device and storage, including virtual "
                           "machines, portable systems and volumes that cannot be examined.",
    "declare-internet-use": "Must declare internet-capable devices and let them be inspected.",
    "no-contact-with-children": "Must not contact children, including through messaging apps.",
    "no-indecent-images": "Must not make, keep or hide indecent images of children.",
}

GROUP_BY: dict[str, str] = {
    "folder": "Count matching files per folder (one finding per folder over the minimum).",
    "volume": "Count matching files per volume (one finding per volume over the minimum).",
}

RULE_FIELDS: dict[str, str] = {
    "id": "Stable identifier, lower-case letters, digits, '.', '_' and '-'; never reused.",
    "title": "One line an officer reads in the report.",
    "description": "What the rule finds and why it matters to an order.",
    "severity": "How much a finding weighs in the verdict.",
    "condition": "The order condition a finding evidences.",
    "author": "Who wrote or last reviewed the rule.",
    "version": "Bumped on every change; recorded in the report's provenance.",
    "references": "Where the paths and facts come from (vendor documentation, research).",
    "match": "Boolean tree (all / any / not) over conditions on a file or a volume.",
    "count": "Aggregate: report folders or volumes with at least `min` matching files.",
    "tests": "Examples: `match` must raise the rule, `no_match` must not.",
}
REQUIRED_FIELDS = ("id", "title", "description", "severity", "condition", "author", "version",
                   "references", "match")
