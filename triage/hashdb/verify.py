"""Full verification of one bundle: every file against the manifest, signature, expiry."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

from triage import keys
from triage.errors import TriageError
from triage.hashdb.bundle import Bundle


@dataclass
class Verification:
    """The outcome of `verify`: the bundle (when it opened) and every problem found."""

    bundle: Bundle | None
    signer: str | None = None
    trusted: bool = False
    problems: list[str] = field(default_factory=list)
    altered: bool = False  # a file does not match the manifest: scans leave the set out

    @property
    def ok(self) -> bool:
        return not self.problems


def verify(
    path: Path, trusted_keys: Path | None = None, now: dt.datetime | None = None
) -> Verification:
    """Check a bundle; without `trusted_keys` a valid signature by any key is accepted."""
    now = now or dt.datetime.now(dt.UTC)
    try:
        bundle = Bundle.open(path)
    except TriageError as exc:
        return Verification(None, problems=[str(exc)])
    result = Verification(bundle)
    altered = bundle.check_files()
    result.altered = bool(altered)
    result.problems.extend(altered)
    trusted = keys.load_trusted(trusted_keys) if trusted_keys is not None else None
    signature = bundle.check_signature(trusted)
    result.signer = signature.signer
    result.trusted = signature.trusted
    if signature.problem:
        result.problems.append(signature.problem)
    if bundle.expired(now):
        result.problems.append(f"hash set {bundle.name!r} expired on {bundle.expires}")
    return result
