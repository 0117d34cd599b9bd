"""The condition on a volume of the evidence (a rule using it runs once per volume)."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from triage.ruleset import shape
from triage.ruleset.problems import Mark, ProblemSink
from triage.ruleset.registry import Leaf, leaf

_VOLUME_STATUS = ("examined", "not_examined")
# Until every layer reports an `encryption` entry (the ledger's volume coverage), a locked volume
# is known only by the reason it was not examined.
_ENCRYPTED_REASON = re.compile(r"crypt|bitlocker|luks|filevault|veracrypt", re.IGNORECASE)


def _is_encrypted(volume: dict[str, Any]) -> bool:
    """The volume is (or sits inside) an encryption layer, whether it was unlocked or not."""
    if volume.get("encryption"):
        return True
    return (volume.get("status") == "not_examined"
            and _ENCRYPTED_REASON.search(str(volume.get("reason") or "")) is not None)


@leaf("volume", "A volume of the evidence: `status` (examined / not_examined), `reason` regex, "
      "`fs` type(s), `encrypted` (true / false: the volume sits in an encryption layer, locked "
      "or unlocked). A rule using it is evaluated once per volume, not per file.", volume=True)
def _volume(value: Any, mark: Mark, sink: ProblemSink) -> Leaf | None:
    spec = shape.as_map(value, mark, sink, "volume")
    if spec is None or not shape.check_keys(spec, sink, "volume", ("status", "reason", "fs",
                                                                  "encrypted")):
        return None
    checks: list[Callable[[dict[str, Any]], bool]] = []
    if "status" in spec:
        status = spec["status"]
        if status not in _VOLUME_STATUS:
            sink.error(spec.value_mark("status"), f"volume status must be one of "
                       f"{', '.join(_VOLUME_STATUS)}, not {shape.type_name(status)}")
            return None
        checks.append(lambda v: v.get("status") == status)
    if "reason" in spec:
        where = spec.value_mark("reason")
        if not isinstance(spec["reason"], str):
            sink.error(where, "volume reason must be a regular expression")
            return None
        reason = shape.regex(spec["reason"], where, sink, "volume reason")
        if reason is None:
            return None
        checks.append(lambda v: reason.search(str(v.get("reason") or "")) is not None)
    if "fs" in spec:
        items = shape.text_list(spec["fs"], spec.value_mark("fs"), sink, "volume fs")
        if not items:
            return None
        kinds = frozenset(t.lower() for t, _ in items)
        checks.append(lambda v: str(v.get("fs") or "").lower() in kinds)
    if "encrypted" in spec:
        wanted = shape.boolean(spec["encrypted"], spec.value_mark("encrypted"), sink,
                               "volume encrypted")
        if wanted is None:
            return None
        checks.append(lambda v: _is_encrypted(v) is wanted)
    if not checks:
        sink.error(mark, "volume needs at least one of status, reason, fs or encrypted")
        return None
    return Leaf(lambda v: all(check(v) for check in checks), 1, volume=True)
