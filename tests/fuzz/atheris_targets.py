"""Coverage-guided fuzzing (atheris) of what lab staff feed the tool: hash-set files and rules.

    python -m tests.fuzz.atheris_targets hashsets -max_total_time=120 -rss_limit_mb=2048
    python -m tests.fuzz.atheris_targets rules -max_total_time=120 -rss_limit_mb=2048
    (add --skip-known to explore past the bugs listed in test_atheris_regressions.AWAITING_FIX;
    add -artifact_prefix=/tmp/ so crash inputs are not written into the working directory)

Seeds are the shipped samples (hashsets/samples/, rules/). The only acceptable way to reject an
input is a TriageError (a one-line message for the user); any other exception is a finding.
tests/fuzz/test_atheris_targets.py runs both targets over their seeds without atheris.
"""

from __future__ import annotations

import datetime as dt
import sys
import tempfile
from collections.abc import Callable
from functools import cache
from pathlib import Path

from triage.errors import TriageError
from triage.hashdb.formats import registry
from triage.hashdb.importing import collect
from triage.hashdb.setinfo import SetInfo
from triage.ruleset.loader import read_rules

ROOT = Path(__file__).resolve().parents[2]
HASHSET_SEEDS = ROOT / "hashsets" / "samples"
RULE_SEEDS = ROOT / "rules"
# Every format, named explicitly (as with --format), plus "auto" detection.
FORMATS = ["auto", *sorted(registry.IMPORTERS)]


@cache
def _work() -> Path:
    """One scratch folder per process for the files the targets read."""
    return Path(tempfile.mkdtemp(prefix="triage-atheris-"))


def hashset_target(data: bytes) -> None:
    """Import `data` as a hash-set file in every format: only TriageError may come out."""
    # The first byte picks the format, so the fuzzer can learn each one's structure.
    fmt = FORMATS[data[0] % len(FORMATS)] if data else "auto"
    path = _work() / "input.hashset"
    path.write_bytes(data[1:])
    info = SetInfo(name="fuzz", expires=dt.date(2099, 1, 1))
    try:
        collect([path], info, fmt=fmt)
    except TriageError:
        pass


def rules_target(data: bytes) -> None:
    """Check `data` as a rule file: problems are reported, never raised."""
    folder = _work() / "rules"
    folder.mkdir(exist_ok=True)
    (folder / "fuzz.yml").write_bytes(data)
    try:
        read_rules(folder)
    except TriageError:
        pass


def seeds(target: str) -> list[bytes]:
    """The seed corpus of `target`: shipped samples (prefixed with each format byte)."""
    if target == "rules":
        return [p.read_bytes() for p in sorted(RULE_SEEDS.glob("*.yml"))]
    samples = [p.read_bytes() for p in sorted(HASHSET_SEEDS.iterdir()) if p.is_file()]
    return [bytes([n]) + s for n in range(len(FORMATS)) for s in samples]


TARGETS = {"hashsets": hashset_target, "rules": rules_target}


def _skipping_known(run: Callable[[bytes], None]) -> Callable[[bytes], None]:
    """`run`, tolerating the two reported bugs (test_atheris_regressions.AWAITING_FIX) so the
    fuzzer keeps exploring past them: --skip-known, until the lead's fixes land."""
    import yaml

    def tolerant(data: bytes) -> None:
        try:
            run(data)
        except (UnicodeDecodeError, yaml.reader.ReaderError):
            pass

    return tolerant


def main() -> None:
    import atheris  # only the long run needs it

    args = [a for a in sys.argv[1:] if a != "--skip-known"]
    target = args[0]
    run = TARGETS[target]
    if "--skip-known" in sys.argv:
        run = _skipping_known(run)
    corpus = _work() / f"corpus-{target}"
    corpus.mkdir(exist_ok=True)
    for n, seed in enumerate(seeds(target)):
        (corpus / f"seed-{n}").write_bytes(seed)
    with atheris.instrument_imports():
        pass
    atheris.instrument_all()
    atheris.Setup([sys.argv[0], *args[1:], str(corpus)], run)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
