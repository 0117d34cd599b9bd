"""The closed word lists of the rule format, each value with the description the schema shows."""

from __future__ import annotations

from triage.model import Severity, Verdict

# The one severity -> verdict mapping for rule findings; report/verdict.py applies it and the
# schema and rules/README.md show these words. Why this split: an order forbids *using* a tool
# or service, and its wording differs from order to order, so a tool that is merely present can
# only ask the officer to check the order (AMBER); evidence that it was used is what breaches
# one (RED); and facts every ordinary computer has (a browser, system encryption) must not move
# an officer's verdict at all, or RED stops meaning anything.
SEVERITIES: dict[str, str] = {
    Severity.INFO.value: "A fact listed for the examiner (a browser keeps history, the system "
                         "encrypts its disk); the verdict stays GREEN.",
    Severity.LOW.value: "Worth a look when reviewing (a deleted picture, an app some orders "
                        "name); listed, the verdict stays GREEN.",
    Severity.MEDIUM.value: "Something an order commonly forbids is present (a tool installed, a "
                           "container, a .torrent file); AMBER: check whether the order names "
                           "it.",
    Severity.HIGH.value: "Evidence that something an order commonly forbids was used (it ran, "
                         "it wrote its own data, history was set to be erased); RED.",
    Severity.CRITICAL.value: "Direct evidence of a breach (known material); RED.",
}
RULE_VERDICTS: dict[Severity, Verdict | None] = {
    Severity.INFO: None,  # listed only
    Severity.LOW: None,  # listed only
    Severity.MEDIUM: Verdict.AMBER,
    Severity.HIGH: Verdict.RED,
    Severity.CRITICAL: Verdict.RED,
}
# What an AMBER rule finding asks of the officer (shown with the verdict's reasons).
AMBER_ASK = "check whether the order names it"

# Presence told apart from use. The rule language sees files, so "used" means a file only a run
# writes: Prefetch entries (Windows/Prefetch/TOR.EXE-*.pf), shell histories, recent-file lists,
# settings and data an app writes on first start. Registry, UserAssist, BAM and Amcache need the
# artefact extractors (issue 19).
EVIDENCE: dict[str, str] = {
    "installed": "The program, its installer or its shipped files are present; nothing seen "
                 "shows it ran. At most AMBER (severity medium).",
    "used": "A file only running the tool writes: a Prefetch entry, a shell history or "
            "recent-files entry, settings or data the tool wrote after installing; the "
            "finding shows when that file was last written.",
}
# A rule that sees only an installed tool may not make the verdict RED.
EVIDENCE_MAX_SEVERITY = {"installed": Severity.MEDIUM}

CHECK_WORDING = "check the order's own wording"
# Conditions that are offences in themselves: their findings need no order term, so the
# officer is not sent to look for one.
NO_ORDER_TERM = frozenset({"no-indecent-images"})

# Order conditions a finding can evidence. Worded after the prohibitions commonly written
# into Sexual Harm Prevention Orders (Sentencing Act 2020 Part 11 Chapter 2; CPS guidance
# "Sexual Harm Prevention Orders and Sexual Risk Orders"); a lab adds its own here.
CONDITIONS: dict[str, str] = {
    "no-anonymisation": "Must not use software or services that hide internet activity "
                        "(Tor, VPNs, anonymising proxies).",
    "no-encryption": "Must not install or use encryption software or encrypted containers "
                     "without declaring them; encryption intrinsic to the device is not "
                     "forbidden (Parsons and Morgan [2017] EWCA Crim 2163).",
    "no-deletion-tools": "Must not install or use software that wipes files or erases usage "
                         "traces.",
    "no-history-deletion": "Must not delete, or stop a device keeping, its internet history "
                           "(R v Smith [2011] EWCA Crim 1772).",
    "no-p2p": "Must not use peer-to-peer file-sharing software.",
    "no-cloud-storage": "Must not use cloud storage without notifying the police.",
    "declare-all-devices": "Must declare every device and storage, including virtual "
                           "machines, portable systems and volumes that cannot be examined.",
    "declare-internet-use": "Must declare internet-capable devices and let them be inspected.",
    "no-contact-with-children": "Must not contact children under 18; an installed messaging "
                                "app is not contact.",
    "no-indecent-images": "Must not make, keep or hide indecent images of children.",
}

# The wording an order typically uses for each condition, shown with every rule finding next to
# "check the order's own wording" (orders differ; the officer reads the real one). A rule may
# give its own `order_wording`. Sources: R v Smith [2011] EWCA Crim 1772 (internet history);
# Parsons and Morgan [2017] EWCA Crim 2163 (encryption intrinsic to a device, cloud storage
# notification); CPS guidance "Sexual Harm Prevention Orders and Sexual Risk Orders".
ORDER_WORDING: dict[str, str] = {
    "no-anonymisation": "must not use any software or service that hides or anonymises "
                        "internet activity (for example Tor or a VPN)",
    "no-encryption": "must not use or install encryption or wiping tools (other than "
                     "encryption intrinsic to the device: Parsons and Morgan [2017] EWCA Crim "
                     "2163)",
    "no-deletion-tools": "must not use or install encryption or wiping tools",
    "no-history-deletion": "must not use a device that cannot retain and display its internet "
                           "history, nor delete that history (R v Smith [2011] EWCA Crim 1772)",
    "no-p2p": "must not use peer-to-peer file-sharing software",
    "no-cloud-storage": "must not use cloud or remote storage unless its use is notified to the "
                        "police within 3 days and access given on request",
    "declare-all-devices": "must notify the police of every device able to store digital "
                           "images or access the internet, and make it available for "
                           "inspection",
    "declare-internet-use": "must make any internet-capable device available for inspection "
                            "on request, with its history (R v Smith [2011] EWCA Crim 1772)",
    "no-contact-with-children": "must not have unsupervised contact or communication of any "
                                "kind with a child under 18",
    "no-indecent-images": "no order term needed: making or keeping indecent images of children "
                          "is an offence (Protection of Children Act 1978 s.1; Criminal Justice "
                          "Act 1988 s.160)",
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
    "order_wording": "The typical order wording the finding relates to, shown with "
                     "\"check the order's own wording\"; defaults to the condition's.",
    "evidence": "For tool rules: `installed` (present) or `used` (a file only a run writes); "
                "an `installed` rule is at most medium.",
    "author": "Who wrote or last reviewed the rule.",
    "version": "Bumped on every change; recorded in the report's provenance.",
    "references": "Where the paths and facts come from (vendor documentation, research).",
    "match": "Boolean tree (all / any / not) over conditions on a file or a volume.",
    "count": "Aggregate: report folders or volumes with at least `min` matching files.",
    "tests": "Examples: `match` must raise the rule, `no_match` must not.",
}
REQUIRED_FIELDS = ("id", "title", "description", "severity", "condition", "author", "version",
                   "references", "match")

if set(ORDER_WORDING) != set(CONDITIONS) or set(RULE_VERDICTS) != set(Severity):
    raise ValueError("every condition needs a typical order wording and every severity a verdict")
