"""A browser profile whose oldest visit is long after the profile was made: its history was
cleared (or never kept) at some point, whichever browser it is."""

from __future__ import annotations

from typing import Any

from triage.artefacts.base import Origin
from triage.artefacts.record import Artefact

# A profile made and left unused for a few days is ordinary (Edge's is made at a new PC's
# first login); a week or more before the oldest visit kept is what a clearing leaves, or a
# profile unused that long: the record asks ("history cleared?"), it does not assert.
GAP_DAYS = 7.0
SETTING = "history begins after the profile was made"


def history_gap(first_visit: float | None, created: float | None, origin: Origin,
                base: dict[str, Any]) -> Artefact | None:
    """The browser-setting record for a gap of more than GAP_DAYS, else None."""
    if first_visit is None or created is None:
        return None
    gap_days = (first_visit - created) / 86400
    if gap_days <= GAP_DAYS:
        return None
    return Artefact("browser-setting", first_visit, origin.address, origin.profile,
                    {**base, "setting": SETTING, "value": round(gap_days, 1),
                     "meaning": f"the oldest visit kept is {gap_days:.0f} days after the "
                                "profile was created (history cleared?)"})
