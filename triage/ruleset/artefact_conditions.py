"""The condition on an artefact record (a visit, a USB device, a program run, a cleared log)."""

from __future__ import annotations

import fnmatch
import re
import unicodedata
from collections.abc import Callable
from typing import Any

from triage.artefacts.record import KINDS
from triage.ruleset import shape
from triage.ruleset.problems import Mark, ProblemSink
from triage.ruleset.registry import Leaf, leaf

# Record fields a rule may test (the extractors' field names), and `since`.
FIELDS = ("url", "host", "title", "terms", "name", "path", "command", "vendor", "product", "serial",
          "setting", "event", "browser", "evidence", "target_path", "publisher",
          "drive_type", "volume_serial", "volume_label", "machine_id", "app")


def fold(text: str) -> str:
    """Lower case without accents: 'Téléchargement' and 'telechargement' match alike."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def _globs(items: list[tuple[str, Mark]]) -> re.Pattern[str]:
    return re.compile("|".join(f"(?:{fnmatch.translate(fold(text))})" for text, _ in items))


@leaf("artefact", "A record of the operating system's own evidence: `kind` (browser-visit, "
      "usb-device, program-run, ...), then glob(s) on its fields (url, title, terms, name, "
      "path, command, serial, ...), case- and accent-insensitive; `since: true` keeps records "
      "at or after --since. A rule using it is evaluated over the scan's artefacts.",
      artefact=True)
def _artefact(value: Any, mark: Mark, sink: ProblemSink) -> Leaf | None:
    spec = shape.as_map(value, mark, sink, "artefact")
    if spec is None or not shape.check_keys(spec, sink, "artefact", ("kind", "since", *FIELDS),
                                            ("kind",)):
        return None
    kinds = shape.text_list(spec["kind"], spec.value_mark("kind"), sink, "artefact kind")
    unknown = [text for text, _ in kinds if text not in KINDS]
    if not kinds or unknown:
        if unknown:
            sink.error(spec.value_mark("kind"), f"unknown artefact kind {unknown[0]!r}; one of "
                       f"{', '.join(KINDS)}")
        return None
    wanted = frozenset(text for text, _ in kinds)
    checks: list[Callable[[dict[str, Any]], bool]] = [lambda a: a["kind"] in wanted]
    for name in FIELDS:
        if name in spec:
            items = shape.text_list(spec[name], spec.value_mark(name), sink, f"artefact {name}")
            if not items:
                return None
            pattern = _globs(items)
            checks.append(lambda a, n=name, p=pattern: p.match(
                fold(str(a["fields"].get(n, "")))) is not None)
    if "since" in spec:
        flag = shape.boolean(spec["since"], spec.value_mark("since"), sink, "artefact since")
        if flag is None:
            return None
        if flag:
            checks.append(lambda a: a.get("since") is None or (
                a.get("time") is not None and a["time"] >= a["since"]))
    return Leaf(lambda a: all(check(a) for check in checks), 1, artefact=True)
