"""Perceptual hashing of pictures (in worker processes) and matching against reference sets."""

from __future__ import annotations

import multiprocessing
import threading
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from typing import Any

from triage import keys
from triage.errors import TriageError
from triage.hashdb import signing
from triage.hashdb.manifest import MANIFEST
from triage.model import Content, FileRecord, Finding, Severity
from triage.perceptual import PerceptualMatcher, hash_picture
from triage.perceptual.thresholds import FEATURELESS_QUALITY

# Perceptual reference sets sit in this folder of the hash-set folder, apart from the exact
# bundles (each kind has its own manifest format).
PERCEPTUAL_DIR = "perceptual"
# Pictures larger than this are not decoded for perceptual hashing (their exact digests are
# still matched); a 12-megapixel JPEG is 3-8 MB, so this only skips absurd files.
MAX_PICTURE_BYTES = 64 * 1024 * 1024
# Perceptual matches are leads: severity HIGH, and the verdict never makes them RED.
MATCH_SEVERITY = Severity.HIGH


def _hash_in_worker(data: bytes, name: str) -> Any:
    return hash_picture(data, name=name)


class PerceptualStage:
    """Decodes and hashes pictures in a pool of processes (decoding is CPU-bound and its
    warning handling is not thread-safe), then matches them in the calling thread."""

    def __init__(self, matcher: PerceptualMatcher, workers: int,
                 trust: dict[str, dict[str, Any]] | None = None) -> None:
        self.matcher = matcher
        self._trust = trust or {}  # set path -> signer, trusted, problems
        self._workers = workers
        self._lock = threading.Lock()
        self._pool = self._new_pool()

    def _new_pool(self) -> ProcessPoolExecutor:
        # spawn: never fork a process that is running reader threads.
        return ProcessPoolExecutor(max_workers=self._workers,
                                   mp_context=multiprocessing.get_context("spawn"))

    @classmethod
    def load(cls, hashsets: Path, workers: int, trusted_keys: Path | None = None
             ) -> tuple[PerceptualStage | None, list[str]]:
        """The stage for the sets under hashsets/perceptual, or None when there are none.

        Each set's signature is checked against the trusted lab keys as bundles are; a set that
        is not trusted still gives leads, and the problems say why it is not trusted.
        """
        matcher = PerceptualMatcher.load(hashsets / PERCEPTUAL_DIR)
        problems = list(matcher.problems)
        for ref_set in matcher.sets:
            blank = ref_set.featureless()
            if blank:  # issue 20: say so, because such a reference is found only by its digest
                problems.append(
                    f"perceptual set {ref_set.name} {ref_set.version}: {blank} reference "
                    f"picture(s) are featureless (blank, flat colour or near-black: PDQ quality "
                    f"under {FEATURELESS_QUALITY}) and never match perceptually; only their "
                    "exact digests can find them"
                )
        if matcher.is_empty:
            return None, problems
        try:
            trusted = keys.load_trusted(trusted_keys)
        except TriageError as exc:
            trusted, problems = {}, [*problems, f"trusted keys could not be loaded: {exc}"]
        trust = {}
        for ref_set in matcher.sets:
            check = signing.check(ref_set.path, (ref_set.path / MANIFEST).read_bytes(), trusted,
                                  ref_set.name)
            trust[str(ref_set.path)] = {"signer": check.signer, "trusted": check.trusted,
                                        "problems": [check.problem] if check.problem else []}
            if check.problem:
                problems.append(check.problem)
        return cls(matcher, workers, trust), problems

    @staticmethod
    def wants(record: FileRecord) -> bool:
        return bool(record.mime and record.mime.startswith("image/")
                    and not record.facts.get("known_good"))

    def examine(self, record: FileRecord, content: Content) -> tuple[list[Finding], str | None]:
        """Hash one picture and match it; returns findings and, if it failed, why."""
        if record.size > MAX_PICTURE_BYTES:
            record.facts["skipped_perceptual"] = "larger than the perceptual size limit"
            return [], f"not perceptually hashed: larger than {MAX_PICTURE_BYTES} bytes"
        data = content.read(0, record.size)
        try:
            result = self._pool.submit(_hash_in_worker, data, record.name).result()
        except BrokenProcessPool:
            # A picture killed its decoder (e.g. memory exhausted): the scan goes on with a
            # fresh pool, and this file is reported as not perceptually hashed.
            self._restart()
            return [], "not perceptually hashed: the decoder process died on this picture"
        if isinstance(result, str):
            return [], f"not perceptually hashed: {result}"
        record.facts["perceptual"] = result.to_dict()
        return [
            Finding(kind="perceptual", severity=MATCH_SEVERITY, record=record, title=m.title(),
                    hashset=m.set_name, hashset_version=m.set_version, category=m.category,
                    distance=m.pdq_distance, reference=m.reference, detail=m.to_dict())
            for m in self.matcher.match(result)
        ], None

    def _restart(self) -> None:
        with self._lock:
            if getattr(self._pool, "_broken", False):
                self._pool.shutdown(wait=False, cancel_futures=True)
                self._pool = self._new_pool()

    def provenance(self) -> list[dict[str, Any]]:
        return [{**entry, "kind": "perceptual", **self._trust.get(str(entry.get("path")), {})}
                for entry in self.matcher.provenance()]

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)
