"""A loaded rule pack, matched against each file record as the walk produces it."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from triage.model import Address, Content, FileRecord, Finding, PartitionRef, iso_utc
from triage.ruleset import limits
from triage.ruleset.artefact_conditions import KEYWORD_MATCHED
from triage.ruleset.facts import Clock, FileFacts
from triage.ruleset.rule import Rule


@dataclass(frozen=True, slots=True)
class RuleContext:
    """What the scan tells rules about time: `--since` and the scan's start."""

    since: dt.datetime | None = None
    now: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.UTC))

    def clock(self) -> Clock:
        return Clock(_posix(self.now), None if self.since is None else _posix(self.since))


def _posix(when: dt.datetime) -> float:
    return (when if when.tzinfo else when.replace(tzinfo=dt.UTC)).timestamp()


@dataclass(frozen=True, slots=True)
class RuleFile:
    """Where rules came from, for the report's provenance."""

    path: str  # as shown to the user
    name: str  # relative to the rules directory
    sha256: str


@dataclass(slots=True)
class _Group:
    count: int = 0
    examples: list[str] = field(default_factory=list)


# Folders whose rule hits are remembered; the walk lists a folder's files together, so a
# small cache answers nearly every lookup (cleared when full to bound memory).
_FOLDER_CACHE_SIZE = 4096


def _partition_label(part: PartitionRef | None) -> str:
    return "" if part is None else part.label()


def rule_detail(rule: Rule, record: FileRecord | None = None) -> dict[str, Any]:
    """What every rule finding carries: version, the order wording to check, installed vs used.

    For `used` evidence the file's last write is when the tool last wrote it (a Prefetch entry's
    modified time is the program's last run), so the finding says when.
    """
    detail: dict[str, Any] = {"version": rule.version, "order_wording": rule.order_wording}
    if rule.evidence is not None:
        detail["evidence"] = rule.evidence
        if rule.evidence == "used" and record is not None and record.mtime is not None:
            detail["last_written"] = iso_utc(record.mtime)
    return detail


def device_of(address: str) -> str:
    """The evidence source (disk, image, folder) a record's chained address starts with."""
    return address.split(" · ", 1)[0]


def _records_detail(matched: list[dict[str, Any]]) -> dict[str, Any]:
    """Count, first and last time, and a few examples of the records behind a finding."""
    times = sorted(t for t in (r.get("time") for r in matched) if t is not None)
    return {"count": len(matched), "first": iso_utc(times[0]) if times else None,
            "last": iso_utc(times[-1]) if times else None,
            "examples": [{"kind": r["kind"], "time": iso_utc(r.get("time")),
                          **r.get("fields", {})} for r in matched[:limits.AGGREGATE_EXAMPLES]]}


class RuleSet:
    """The compiled pack: dispatches each record to the few rules that could match it."""

    def __init__(self, rules: list[Rule], files: list[RuleFile]) -> None:
        self.rules = tuple(rules)
        self.files = {f.path: f for f in files}
        self._file_rules = [r for r in rules if not r.is_volume and not r.is_artefact]
        self._volume_rules = [r for r in rules if r.is_volume]
        self._artefact_rules = [r for r in rules if r.is_artefact]
        # Artefact rules by the record kinds they can match; unanchored ones (a `not`) see all.
        self._artefact_by_kind: dict[str, list[int]] = {}
        self._artefact_always: list[int] = []
        for index, rule in enumerate(self._artefact_rules):
            kinds = rule.match.anchor
            if kinds is None or any(fact != "kind" for fact, _ in kinds):
                self._artefact_always.append(index)
                continue
            for _, kind in kinds:
                self._artefact_by_kind.setdefault(kind, []).append(index)
        self._tests = [r.match.test for r in self._file_rules]
        by: dict[str, dict[str, set[int]]] = {k: {} for k in ("comp", "ext", "pext", "sub",
                                                                  "mime", "flag")}
        always: list[int] = []
        for index, rule in enumerate(self._file_rules):
            if rule.match.anchor is None:
                always.append(index)
                continue
            for kind, key in rule.match.anchor:
                by[kind].setdefault(key, set()).add(index)
        self._by_comp = {k: frozenset(v) for k, v in by["comp"].items()}
        self._by_ext = {k: frozenset(v) for k, v in by["ext"].items()}
        self._by_pext = {k: frozenset(v) for k, v in by["pext"].items()}
        self._by_mime = {k: frozenset(v) for k, v in by["mime"].items()}
        self._by_sub = tuple((k, frozenset(v)) for k, v in by["sub"].items())
        flags = {k: frozenset(v) for k, v in by["flag"].items()}
        self._flag_deleted = flags.get("deleted")
        self._flag_mismatch = flags.get("mismatch")
        self._flag_large = flags.get("large")
        self._flag_hashset = flags.get("hashset")
        self._flag_perceptual = flags.get("perceptual")
        self._folder_cache: dict[str, frozenset[int]] = {}
        self._mime_cache: dict[str, frozenset[int]] = {}
        self._always = tuple(always)
        self._always_set = frozenset(always)
        self.prefix_bytes = max((r.match.needs_bytes for r in self._file_rules), default=0)
        self._groups: dict[tuple[int, tuple[str, str, str]], _Group] = {}
        self._last_context: RuleContext | None = None
        self._clock = RuleContext().clock()

    def __len__(self) -> int:
        return len(self.rules)

    def _folder_hits(self, folder: str) -> frozenset[int]:
        """Rules anchored on a component of `folder`, cached: the walk goes folder by folder."""
        found = self._folder_cache.get(folder)
        if found is None:
            found = frozenset()
            for comp in folder.split("/"):
                hit = self._by_comp.get(comp)
                if hit is not None:
                    found = found | hit
            if len(self._folder_cache) >= _FOLDER_CACHE_SIZE:
                self._folder_cache.clear()
            self._folder_cache[folder] = found
        return found

    def _mime_hits(self, mime: str) -> frozenset[int]:
        found = self._mime_cache.get(mime)
        if found is None:
            found = self._by_mime.get(mime.partition("/")[0], frozenset())
            self._mime_cache[mime] = found  # libmagic knows a few thousand types at most
        return found

    def _candidates(self, record: FileRecord, path: str,
                    ext: str) -> tuple[int, ...] | list[int]:
        """Indexes of the file rules that could match: anchored rules hit, plus unanchored ones."""
        folder, _, base = path.rpartition("/")
        found = self._folder_cache.get(folder)
        if found is None:
            found = self._folder_hits(folder)
        hit = self._by_comp.get(base)
        if hit is not None:
            found = found | hit
        hit = self._by_ext.get(ext)
        if hit is not None:
            found = found | hit
        if self._by_pext:
            hit = self._by_pext.get(base.rpartition(".")[2] if "." in base else "")
            if hit is not None:
                found = found | hit
        for text, hit in self._by_sub:
            if text in path:
                found = found | hit
        mime = record.mime
        if mime:
            hit = self._mime_cache.get(mime)
            found = found | (self._mime_hits(mime) if hit is None else hit)
        if self._flag_deleted and record.deleted:
            found = found | self._flag_deleted
        if self._flag_mismatch and record.ext_mismatch is True:
            found = found | self._flag_mismatch
        if self._flag_large and record.size >= limits.LARGE_FILE:
            found = found | self._flag_large
        if record.facts:
            if self._flag_hashset and record.facts.get("hashset_hits"):
                found = found | self._flag_hashset
            if self._flag_perceptual and record.facts.get("perceptual_hits"):
                found = found | self._flag_perceptual
        if not found:
            return self._always
        return sorted(found | self._always_set)

    def match_file(self, record: FileRecord, content: Content | None,
                   options: RuleContext) -> list[Finding]:
        """Findings of every file rule for one record; count rules only tally until finish()."""
        if options is not self._last_context:
            self._last_context, self._clock = options, options.clock()
        path = record.address.full_path().lower()
        stem, dot, ext = record.name.rpartition(".")  # as FileRecord.extension, without a call
        ext = ext.lower() if dot and stem else ""
        candidates = self._candidates(record, path, ext)
        if not candidates:
            return []
        facts = FileFacts(record, content, self._clock, path, ext)
        findings: list[Finding] = []
        for index in candidates:
            facts.notes = None
            if not self._tests[index](facts):
                continue
            rule = self._file_rules[index]
            if rule.group_by is not None:
                self._tally(index, rule, record)
                continue
            detail = rule_detail(rule, record)
            if facts.notes:
                detail.update(facts.notes)
            findings.append(Finding(kind="rule", severity=rule.severity, record=record,
                                    title=rule.title, rule=rule.id, condition=rule.condition,
                                    detail=detail))
        return findings

    def _tally(self, index: int, rule: Rule, record: FileRecord) -> None:
        address = record.address
        folder = address.full_path().rpartition("/")[0] or "/"
        key = (address.source, _partition_label(address.partition),
               folder if rule.group_by == "folder" else "")
        group = self._groups.get((index, key))
        if group is None:
            group = self._groups[(index, key)] = _Group()
        group.count += 1
        if len(group.examples) < limits.AGGREGATE_EXAMPLES:
            group.examples.append(address.full_path())

    def match_volume(self, volume: dict[str, Any]) -> list[Finding]:
        """Findings of every volume rule for one entry of the report's coverage.volumes."""
        findings = []
        for rule in self._volume_rules:
            if rule.match.test(volume):
                address = Address(str(volume.get("source", "")), PartitionRef(
                    int(volume.get("index") or 0), int(volume.get("offset") or 0),
                    str(volume.get("fs") or "unknown")))
                findings.append(Finding(
                    kind="rule", severity=rule.severity, record=None, title=rule.title,
                    rule=rule.id, condition=rule.condition,
                    detail={**rule_detail(rule), "address": str(address),
                            "volume": dict(volume)}))
        return findings

    def match_artefacts(self, records: Iterable[dict[str, Any]], context: RuleContext
                        ) -> list[Finding]:
        """One finding per artefact rule and source file, counting the records it matched.

        A visited onion address is seldom visited once: a finding per record would bury the
        report, so each names how many records matched, the first and last time, and examples.
        A rule with `keywords` gives one finding per keyword list and source file, naming the
        lines of the list whose terms matched (never the terms). A `same_device` rule gives one
        finding per device on which each of its conditions was met by some record.
        """
        if not self._artefact_rules:
            return []
        since = context.clock().since
        groups: dict[tuple[int, str, str], list[dict[str, Any]]] = {}
        lines: dict[tuple[int, str, str], dict[str, Any]] = {}
        devices: dict[tuple[int, str], list[list[dict[str, Any]]]] = {}
        for record in records:
            facts = {**record, "since": since}
            source = str(record.get("source", ""))
            for index in self._artefact_candidates(record.get("kind")):
                rule = self._artefact_rules[index]
                if rule.match.parts:
                    self._note_parts(index, rule, facts, record, devices)
                    continue
                facts.pop(KEYWORD_MATCHED, None)
                if not rule.match.test(facts):
                    continue
                hits = facts.get(KEYWORD_MATCHED)
                if not hits:
                    groups.setdefault((index, source, ""), []).append(record)
                    continue
                for name in dict.fromkeys(h["list"] for h in hits):
                    key = (index, source, name)
                    groups.setdefault(key, []).append(record)
                    seen = lines.setdefault(key, {"version": None, "lines": set()})
                    for hit in hits:
                        if hit["list"] == name:
                            seen["version"] = hit.get("version")
                            seen["lines"].add(int(hit["line"]))
        findings = []
        for key, matched in sorted(groups.items()):
            index, source, name = key
            rule = self._artefact_rules[index]
            detail = _records_detail(matched)
            title = rule.title
            if name:
                numbers = sorted(lines[key]["lines"])
                detail.update(keyword_list=name, keyword_list_version=lines[key]["version"],
                              keyword_lines=numbers[:limits.KEYWORD_LINES_SHOWN],
                              keyword_lines_total=len(numbers))
                shown = ", ".join(map(str, numbers[:limits.KEYWORD_LINES_SHOWN]))
                more = "" if len(numbers) <= limits.KEYWORD_LINES_SHOWN else ", ..."
                title = (f"{title}: keyword list '{name}' line{'s' if len(numbers) > 1 else ''} "
                         f"{shown}{more}")
            findings.append(Finding(
                kind="rule", severity=rule.severity, record=None,
                title=f"{title} ({len(matched)} record{'s' if len(matched) > 1 else ''})",
                rule=rule.id, condition=rule.condition,
                detail={**rule_detail(rule), "address": source, **detail}))
        findings.extend(self._device_findings(devices))
        return findings

    def _artefact_candidates(self, kind: Any) -> list[int]:
        """Indexes of the artefact rules that could match a record of `kind`, in order."""
        found = self._artefact_by_kind.get(kind, [])
        if not self._artefact_always:
            return found
        return sorted({*found, *self._artefact_always})

    @staticmethod
    def _note_parts(index: int, rule: Rule, facts: dict[str, Any], record: dict[str, Any],
                    devices: dict[tuple[int, str], list[list[dict[str, Any]]]]) -> None:
        """File the record under each `same_device` condition it meets, by its device."""
        for number, part in enumerate(rule.match.parts):
            if part.test(facts):
                key = (index, device_of(str(record.get("source", ""))))
                found = devices.setdefault(key, [[] for _ in rule.match.parts])
                found[number].append(record)

    def _device_findings(self, devices: dict[tuple[int, str], list[list[dict[str, Any]]]]
                         ) -> list[Finding]:
        findings = []
        for (index, device), parts in sorted(devices.items()):
            if not all(parts):
                continue  # installed but never run (or the reverse): not this rule
            rule = self._artefact_rules[index]
            matched = [r for part in parts for r in part]
            findings.append(Finding(
                kind="rule", severity=rule.severity, record=None,
                title=f"{rule.title} ({' and '.join(str(len(p)) for p in parts)} records)",
                rule=rule.id, condition=rule.condition,
                detail={**rule_detail(rule), "address": device, **_records_detail(matched),
                        "parts": [{**_records_detail(part), "sources": sorted(
                            {str(r.get("source", "")) for r in part})} for part in parts]}))
        return findings

    def tallies(self) -> list[list[Any]]:
        """The count rules' tallies so far as JSON-able rows (a scan's journal keeps them)."""
        return [[index, list(key), group.count, group.examples]
                for (index, key), group in self._groups.items()]

    def restore_tallies(self, rows: list[list[Any]]) -> None:
        """Continue from tallies saved by `tallies` (a resumed scan)."""
        self._groups = {(index, tuple(key)): _Group(count, list(examples))
                        for index, key, count, examples in rows}

    def finish(self) -> list[Finding]:
        """Findings of count rules over everything matched so far; resets the tallies."""
        findings = []
        for (index, (source, part, folder)), group in sorted(self._groups.items()):
            rule = self._file_rules[index]
            if group.count < rule.count_min:
                continue
            where = " · ".join(p for p in (source, part, folder) if p)
            findings.append(Finding(
                kind="rule", severity=rule.severity, record=None,
                title=f"{rule.title} ({group.count} files)", rule=rule.id,
                condition=rule.condition,
                detail={**rule_detail(rule), "group_by": rule.group_by, "address": where,
                        "count": group.count, "min": rule.count_min,
                        "examples": list(group.examples)}))
        self._groups.clear()
        return findings

    def provenance(self) -> list[dict[str, str]]:
        """Per rule: id, version, file (relative to the rules directory) and its sha256."""
        out = []
        for rule in self.rules:
            source = self.files.get(rule.file)
            out.append({"id": rule.id, "version": rule.version,
                        "file": source.name if source else rule.file,
                        "sha256": source.sha256 if source else ""})
        return out
