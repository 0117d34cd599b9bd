"""Judgement calls about hash sets, in one place: severities, category maps, limits."""

from __future__ import annotations

from triage.model import Severity

# A notable hit with no category mapping is HIGH: the lab put the picture in the set on purpose
# (issue 3, "Severity for notable hits ... default HIGH").
DEFAULT_SEVERITY = Severity.HIGH

# Categories that make a hit CRITICAL whatever the set says otherwise: UK legal category A and
# its numeric forms (VICS / CAID category 1) are the most serious class (issue 3 brief,
# Sentencing Council indecent-images guideline). A set's own `severities` can add to these.
CRITICAL_CATEGORIES = frozenset({"A", "1"})

# Default CAID numeric category -> UK legal category. CAID exports use the VICS 2.0 UK model
# whose numeric categories 1-3 stand for legal categories A-C; the lab can override it per set
# (--category-map) and the mapping used is recorded in the bundle's manifest.
DEFAULT_CAID_CATEGORY_MAP: dict[str, str] = {"1": "A", "2": "B", "3": "C"}

# VICS category 0 marks media that is uncategorised or not pertinent (Project VIC's public
# ignorable sets use it); it is not evidence of an offence, so notable imports leave it out
# (counted as "skipped by category"). Imported with --known-good it is kept.
NOT_NOTABLE_VICS_CATEGORIES = frozenset({"0"})

# Known-good sets never raise a finding; their matches are informational.
KNOWN_GOOD_SEVERITY = Severity.INFO

# Malformed rows kept verbatim in an import summary; the rest are only counted, so that a
# wrongly chosen format on a multi-GB file cannot exhaust memory with messages.
MAX_REPORTED_PROBLEMS = 1000


def severity_for(category: str | None, severities: dict[str, str], default: Severity) -> Severity:
    """The severity of a notable hit in `category` under a set's own severity table."""
    if category is not None:
        if category in severities:
            return Severity(severities[category])
        if category.upper() in CRITICAL_CATEGORIES:
            return Severity.CRITICAL
    return default
