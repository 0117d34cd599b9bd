"""Finds rule files in a directory, checks every rule and builds the RuleSet a scan uses."""

from __future__ import annotations

import hashlib
from pathlib import Path

from triage.errors import InvalidInputError
from triage.ruleset import limits
from triage.ruleset.corpus import ORDINARY_VOLUMES, ordinary_records
from triage.ruleset.facts import FileFacts
from triage.ruleset.problems import NO_MARK, Problem, ProblemSink
from triage.ruleset.rule import Rule, parse_rule
from triage.ruleset.ruleset import RuleContext, RuleFile, RuleSet
from triage.ruleset.yamlnodes import load_documents, mark_of

RULE_SUFFIXES = (".yml", ".yaml")


def rule_files(directory: Path) -> list[Path]:
    """Every rule file under `directory`, in a stable order."""
    return sorted(p for p in directory.rglob("*") if p.suffix in RULE_SUFFIXES and p.is_file())


def _read_file(path: Path, sink: ProblemSink) -> tuple[list[Rule], str]:
    try:
        raw = path.read_bytes()
    except OSError as exc:
        sink.error(NO_MARK, f"cannot read the rule file: {exc.strerror or exc}")
        return [], ""
    digest = hashlib.sha256(raw).hexdigest()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        sink.error(NO_MARK, f"not UTF-8 text (byte {exc.start}); save the file as UTF-8")
        return [], digest
    rules = []
    for doc in load_documents(text, sink):
        if doc is None:
            continue
        rule = parse_rule(doc, mark_of(doc), sink)
        if rule is not None:
            rules.append(rule)
    return rules, digest


def _duplicates(rules: list[Rule]) -> list[Problem]:
    seen: dict[str, Rule] = {}
    problems = []
    for rule in rules:
        first = seen.setdefault(rule.id, rule)
        if first is not rule:
            problems.append(Problem(rule.file, rule.id_mark.line, rule.id_mark.col,
                                    f"duplicate rule id '{rule.id}' (first used at "
                                    f"{first.file}:{first.id_mark.line}); ids must be unique"))
    return problems


def _overbroad(rules: list[Rule]) -> list[Problem]:
    """Rules that would flag most ordinary files or every healthy volume."""
    clock = RuleContext().clock()
    corpus = ordinary_records(clock)
    problems = []
    for rule in rules:
        if rule.is_artefact:
            continue  # artefact records are evidence by kind; there is no ordinary corpus yet
        if rule.is_volume:
            hits = sum(1 for volume in ORDINARY_VOLUMES if rule.match.test(volume))
            total = len(ORDINARY_VOLUMES)
            broad = hits == total
        else:
            hits = sum(1 for record in corpus if rule.match.test(FileFacts(record, None, clock)))
            total = len(corpus)
            broad = hits > total * limits.OVERBROAD_FRACTION
        if broad:
            mark = rule.match_mark
            problems.append(Problem(rule.file, mark.line, mark.col,
                                    f"rule '{rule.id}' is over-broad: it matches {hits} of {total} "
                                    "ordinary files or volumes; narrow its match"))
    return problems


def read_rules(directory: Path) -> tuple[list[Rule], list[RuleFile], list[Problem]]:
    """Every valid rule, the files read and every problem, without raising."""
    directory = Path(directory)
    if not directory.is_dir():
        return [], [], [Problem(str(directory), 1, 1, "rules directory not found; pass the folder "
                                "holding the *.yml rule files")]
    paths = rule_files(directory)
    if not paths:
        return [], [], [Problem(str(directory), 1, 1, "no rule files (*.yml, *.yaml) in this "
                                "folder; pass the folder holding the rule pack")]
    rules: list[Rule] = []
    files: list[RuleFile] = []
    problems: list[Problem] = []
    for path in paths:
        sink = ProblemSink(path)
        found, digest = _read_file(path, sink)
        rules.extend(found)
        files.append(RuleFile(str(path), path.relative_to(directory).as_posix(), digest))
        problems.extend(sink.problems)
    problems.extend(_duplicates(rules))
    problems.extend(_overbroad(rules))
    return rules, files, problems


def check_rules(directory: Path) -> list[Problem]:
    """Every problem in every rule file under `directory` (errors and warnings); never raises."""
    return read_rules(directory)[2]


def load_rules(directory: Path) -> RuleSet:
    """The compiled rule pack; raises InvalidInputError naming the problems if any is an error."""
    rules, files, problems = read_rules(directory)
    errors = [p for p in problems if p.is_error]
    if errors:
        listed = "; ".join(str(p) for p in errors[:3])
        more = f" (and {len(errors) - 3} more)" if len(errors) > 3 else ""
        raise InvalidInputError(f"The rules in {directory} have {len(errors)} error(s): "
                                f"{listed}{more}; fix them (see 'triage rules check').")
    return RuleSet(rules, files)
