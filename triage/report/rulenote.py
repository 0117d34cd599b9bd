"""One line per rule finding for officers: installed or used, and the order wording to check."""

from __future__ import annotations

from typing import Any

from triage.ruleset.vocabulary import CHECK_WORDING, NO_ORDER_TERM

_SEEN = {"installed": "installed (nothing seen shows it ran)",
         "used": "used"}


def rule_note_parts(finding: dict[str, Any]) -> tuple[str | None, str | None]:
    """('Seen: used, last written ….', 'Relates to: "…" — check the order's own wording.'):
    what this finding saw, and the order wording its condition relates to (shared by every
    finding of the condition, so a screen can print it once)."""
    if finding.get("kind") != "rule":
        return None, None
    detail = finding.get("detail")
    detail = detail if isinstance(detail, dict) else {}
    seen_text = None
    evidence = detail.get("evidence")
    if isinstance(evidence, str):
        seen = _SEEN.get(evidence, evidence)
        # A file rule knows when its file was last written; an artefact rule, its last record.
        written, last = detail.get("last_written"), detail.get("last")
        when = (f", last written {written}" if written else
                f", last on {last}" if evidence == "used" and last else "")
        seen_text = f"Seen: {seen}{when}."
    wording_text = None
    wording = detail.get("order_wording")
    if isinstance(wording, str) and wording:
        if finding.get("condition") in NO_ORDER_TERM:  # an offence whatever the order says
            wording_text = f"{wording[:1].upper()}{wording[1:]}."
        else:
            wording_text = f"Relates to: \u201c{wording}\u201d \u2014 {CHECK_WORDING}."
    return seen_text, wording_text


def rule_note(finding: dict[str, Any]) -> str | None:
    """'Seen: used, last written …. Relates to: "…" — check the order's own wording.'"""
    return " ".join(part for part in rule_note_parts(finding) if part) or None
