"""What each file is compared against: hash sets, perceptual sets and rules, loaded once."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from triage.errors import InvalidInputError
from triage.ledger.records import Problem
from triage.model import Content, FileRecord, Finding
from triage.stages.digests import fill_digests

if TYPE_CHECKING:
    from triage.artefacts import ArtefactCollector
    from triage.containers import ContainerLimits
    from triage.hashdb.library import HashSetLibrary
    from triage.keywords.library import KeywordLibrary
    from triage.options import ScanOptions
    from triage.ruleset import RuleContext, RuleSet
    from triage.stages.perceptual import PerceptualStage, PictureJob


@dataclass
class Matched:
    """One file's matches: the exact ones at once, the perceptual ones when its picture's
    hashes come back from the picture processes (`settle`)."""

    record: FileRecord
    findings: list[Finding]
    problems: list[Problem]
    picture: PictureJob | None = None
    # The picture's bytes, for the digests a perceptual finding's file must carry: by the time
    # an archive member is listed its content is gone (see fill_digests).
    content: Content | None = None

    @property
    def picture_bytes(self) -> int:
        """Bytes of the picture held until it is settled."""
        return self.picture.size if self.picture is not None else 0

    def settle(self) -> None:
        """Wait for the picture's hashes (if one was sent) and add its finding or problem."""
        if self.picture is None:
            return
        job, self.picture = self.picture, None
        content, self.content = self.content, None
        found, problem = job.stage.settle(job)
        if not self.findings:  # a known file is not repeated as a "similar image" lead
            self.findings.extend(found)
            if found and content is not None:
                fill_digests(self.record, content)
        if problem:
            self.problems.append(Problem(str(self.record.address), "perceptual", problem))


NO_HASHSETS = "No hash sets were loaded, so known files could not be recognised."


@dataclass
class Matchers:
    """The loaded hash sets and rules; the stages call these methods for every file."""

    hashsets: HashSetLibrary | None = None
    perceptual: PerceptualStage | None = None
    containers: ContainerLimits | None = None  # None: archives are not looked into
    rules: RuleSet | None = None
    rule_context: RuleContext | None = None
    trust_problems: list[str] = field(default_factory=list)  # unsigned, expired, altered sets
    untrusted_sets: frozenset[str] = frozenset()  # names of the sets in use nobody vouches for
    load_problems: list[str] = field(default_factory=list)  # sets skipped at load (warnings)
    gaps: list[str] = field(default_factory=list)  # comparisons that could not be made
    # Copies of artefact files (histories, hives, logs) taken as they are read; None: off.
    artefacts: ArtefactCollector | None = None
    keywords: KeywordLibrary | None = None  # the lab's signed keyword lists beside the sets

    @property
    def algorithms(self) -> frozenset[str]:
        """Digest algorithms the loaded sets need (SHA-256 is always computed)."""
        return self.hashsets.algorithms if self.hashsets is not None else frozenset()

    def wants_picture(self, record: FileRecord) -> bool:
        """Whether the perceptual stage will read all of this (typed) file."""
        return self.perceptual is not None and self.perceptual.reads_whole(record)

    def match_content(self, record: FileRecord, content: Content) -> Matched:
        """Exact matching now, and the picture (if any) handed to the perceptual stage
        (thread-safe: run in the workers). `settle()` the result before using it."""
        matched = Matched(record, self._match_exact(record), [])
        if self.perceptual is not None and self.perceptual.wants(record):
            matched.picture = self.perceptual.submit(record, content)
            matched.content = content
        return matched

    def _match_exact(self, record: FileRecord) -> list[Finding]:
        if self.hashsets is None or record.sha256 is None:
            return []
        matches = []
        hits = []
        for match in self.hashsets.lookup(record.md5, record.sha1, record.sha256):
            hits.append({"set": match.set_name, "category": match.category,
                         "known_good": match.known_good})
            if match.known_good:
                record.facts["known_good"] = True
                continue
            matches.append(match)
        if hits:
            record.facts["hashset_hits"] = hits
        if not matches:
            return []
        # One finding per file, however many sets hold it: the most severe (trusted first)
        # set leads, and every set, category and reference is listed.
        matches.sort(key=lambda m: (m.set_name in self.untrusted_sets, -m.severity.rank,
                                    m.set_name))
        top = matches[0]
        named = ", ".join(f"'{m.set_name}'" + (f" (category {m.category})" if m.category else "")
                          for m in matches)
        if len(matches) == 1:
            category = f", category {top.category}" if top.category else ""
            title = f"Known file from hash set '{top.set_name}'{category}"
        else:
            title = f"Known file from hash sets {named}"
        listed = None if len(matches) == 1 else [
            {"hashset": m.set_name, "hashset_version": m.set_version, "category": m.category,
             "reference": m.reference, "severity": m.severity.value} for m in matches]
        return [Finding(
            kind="exact", severity=max((m.severity for m in matches), key=lambda s: s.rank),
            record=record, title=title, hashset=top.set_name,
            hashset_version=top.set_version, category=top.category, reference=top.reference,
            detail={"algorithm": top.algorithm}, matches=listed)]

    def match_rules(self, record: FileRecord, content: Content | None) -> list[Finding]:
        if self.rules is None or self.rule_context is None:
            return []
        return self.rules.match_file(record, content, self.rule_context)

    def match_artefacts(self, records: list[dict[str, Any]]) -> list[Finding]:
        """Findings of the artefact rules over every record the extractors gave (each record
        a keyword list matches first gets its `keyword_hits`)."""
        if self.rules is None or self.rule_context is None:
            return []
        matched = self.keywords.annotate(records) if self.keywords is not None else 0
        findings = self.rules.match_artefacts(records, self.rule_context)
        if matched and not any((f.detail or {}).get("keyword_list") for f in findings):
            # Records hold a lab list's terms and no rule said so: never a silent GREEN.
            self.gaps.append(f"{matched} artefact record(s) hold terms of a lab keyword list, "
                             "but no rule in use reports keyword lists; scan with the shipped "
                             "rules or add a rule with `keywords: true` (rules/README.md).")
        return findings

    def match_volume(self, volume: dict[str, Any]) -> list[Finding]:
        return self.rules.match_volume(volume) if self.rules is not None else []

    def finish(self) -> list[Finding]:
        return self.rules.finish() if self.rules is not None else []

    def tallies(self) -> list[Any]:
        """The count rules' running tallies, for the scan's journal."""
        return self.rules.tallies() if self.rules is not None else []

    def restore_tallies(self, tallies: list[Any]) -> None:
        if self.rules is not None:
            self.rules.restore_tallies(tallies)

    def hashset_identity(self) -> list[dict[str, Any]]:
        """Which sets (names, versions, digests) this scan compares against."""
        return self.provenance()["hashsets"]

    def close(self) -> None:
        if self.perceptual is not None:
            self.perceptual.close()

    def provenance(self) -> dict[str, list[dict[str, Any]]]:
        perceptual = self.perceptual.provenance() if self.perceptual is not None else []
        keywords = self.keywords.provenance if self.keywords is not None else []
        return {
            "hashsets": [*(self.hashsets.provenance() if self.hashsets else []), *perceptual,
                         *keywords],
            "rules": self.rules.provenance() if self.rules is not None else [],
        }


def load_matchers(options: ScanOptions) -> Matchers:
    """Load hash sets and rules named in the options; invalid rules raise before any scan."""
    matchers = Matchers()
    if options.rules is not None:
        from triage.ruleset import RuleContext, load_rules

        matchers.rules = load_rules(options.rules)
        matchers.rule_context = RuleContext(since=options.since, now=dt.datetime.now(dt.UTC))
    if options.hashsets is not None:
        from triage.hashdb.library import HashSetLibrary

        library = HashSetLibrary.load(options.hashsets, options.trusted_keys)
        matchers.hashsets = library
        matchers.trust_problems.extend(library.trust_problems)
        matchers.untrusted_sets = library.untrusted_sets
        if options.require_trusted_hashsets and library.trust_problems:
            raise InvalidInputError(
                f"{library.trust_problems[0]}; re-sign or remove it, or scan without "
                "--require-trusted-hashsets.")
        from triage.stages.perceptual import PerceptualStage

        matchers.perceptual, problems = PerceptualStage.load(options.hashsets, options.workers,
                                                             options.trusted_keys)
        matchers.load_problems.extend(problems)
        from triage.keywords.library import KeywordLibrary

        # A list that is not used leaves searches unchecked: a gap, so never GREEN silently.
        matchers.keywords = KeywordLibrary.load(options.hashsets, options.trusted_keys)
        matchers.gaps.extend(matchers.keywords.refused)
    if matchers.hashsets is None or matchers.hashsets.is_empty:
        # Nothing was compared, so "nothing found" would mislead: the verdict cannot be GREEN.
        matchers.gaps.append(NO_HASHSETS)
    return matchers
