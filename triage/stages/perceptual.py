"""Perceptual hashing of pictures (in worker processes) and matching against reference sets."""

from __future__ import annotations

import multiprocessing
import sys
import threading
from concurrent.futures import CancelledError, Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from multiprocessing.context import BaseContext
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
# How long a picture's hashes may take to come back once its file is waiting for them: far
# more than decoding the largest picture allowed (MAX_PICTURE_BYTES, MAX_PICTURE_PIXELS) behind
# a full queue takes, so only a decoder that hangs on a hostile file reaches it.
PICTURE_DEADLINE_S = 120.0


def _hash_in_worker(data: bytes, name: str) -> Any:
    return hash_picture(data, name=name)


def _ready() -> None:
    """Nothing: a task whose only effect is that a picture process exists to run it."""


def _start_processes(pool: ProcessPoolExecutor, count: int) -> None:
    """Have `count` picture processes running before the first picture arrives.

    Run beside the walk, which lists names on one core while the other is idle: started by
    the first picture instead, the forkserver's imports (~1.5 s) held both worker threads.
    """
    try:
        for future in [pool.submit(_ready) for _ in range(count)]:
            future.result()
    except Exception:  # noqa: BLE001, S110 - a pool that cannot start says so when used
        pass


def worker_context() -> BaseContext:
    """How the picture processes start: forked from a clean forkserver (never from this
    process, which runs reader threads) that has already imported the picture code and the
    command's main module. Every child imports the main module again to unpickle by name, so
    under `spawn` each paid ~1 s of imports (10% of a 0.5 GB scan's CPU, measured with perf);
    forked from the server, the imports are done once. The list only counts if the server is
    not running yet (it is shared, e.g. with the quick pass): then children import as before.
    """
    context = multiprocessing.get_context("forkserver")
    spec = getattr(sys.modules["__main__"], "__spec__", None)
    main = getattr(spec, "name", None)
    preload = ["triage.perceptual.hasher"]
    if main and not main.endswith("__main__"):  # those are never imported again by children
        preload.insert(0, main)
    context.set_forkserver_preload(preload)
    return context


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
        threading.Thread(target=_start_processes, args=(self._pool, workers), daemon=True,
                         name="picture-processes").start()

    def _new_pool(self) -> ProcessPoolExecutor:
        return ProcessPoolExecutor(max_workers=self._workers, mp_context=worker_context())

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

    @classmethod
    def reads_whole(cls, record: FileRecord) -> bool:
        """Whether `submit` will read all of this file (a picture within the size limit)."""
        return record.size <= MAX_PICTURE_BYTES and cls.wants(record)

    def examine(self, record: FileRecord, content: Content) -> tuple[list[Finding], str | None]:
        """Hash one picture and match it; returns findings and, if it failed, why."""
        return self.settle(self.submit(record, content))

    def submit(self, record: FileRecord, content: Content) -> PictureJob:
        """Hand a picture to the hashing processes and return at once; `settle` the job for its
        findings, so the caller's thread reads and hashes other files meanwhile."""
        if record.size > MAX_PICTURE_BYTES:
            record.facts["skipped_perceptual"] = "larger than the perceptual size limit"
            return PictureJob(self, record, b"", None, reason="not perceptually hashed: larger "
                              f"than {MAX_PICTURE_BYTES} bytes")
        job = PictureJob(self, record, content.read(0, record.size), None)
        self._send(job)
        return job

    def settle(self, job: PictureJob) -> tuple[list[Finding], str | None]:
        """Wait for a submitted picture's hashes and match them: findings and, if hashing
        failed, why."""
        if job.future is None:
            return [], job.reason
        # A picture that kills its decoder (e.g. memory exhausted) takes every picture in flight
        # with it, and one whose decoder hangs holds up the pictures queued behind it (its
        # pool's processes are then stopped): either way each is sent once more to a fresh
        # pool, and the one that fails again is reported as not perceptually hashed. The scan
        # goes on.
        try:
            for attempt in (1, 2):
                try:
                    result = self._result(job)
                    break
                except BrokenProcessPool:
                    failure = "the decoder process died on this picture"
                    if attempt == 2:
                        self._restart(job.pool)
                except CancelledError:  # still queued when a hung picture's pool was stopped
                    failure = "its picture processes were stopped twice while it waited"
                except TimeoutError:
                    failure = (f"its decoder gave no answer within {PICTURE_DEADLINE_S:.0f} s "
                               "and was stopped")
                if attempt == 1:
                    self._send(job)
            else:
                return [], f"not perceptually hashed: {failure}"
        finally:
            job.data = b""
        return self._matches(job.record, result)

    def _result(self, job: PictureJob) -> Any:
        """The job's hashes; past PICTURE_DEADLINE_S its pool's processes are stopped and the
        pool replaced, and TimeoutError is raised."""
        assert job.future is not None  # noqa: S101 - settle() checked
        try:
            return job.future.result(timeout=PICTURE_DEADLINE_S)
        except TimeoutError:
            self._stop(job.pool)
            raise

    def _stop(self, pool: ProcessPoolExecutor | None) -> None:
        """Kill `pool`'s processes (a hung decoder never returns) and start a fresh pool."""
        # The executor has no public way to stop a running task before Python 3.14.
        processes = getattr(pool, "_processes", None) or {}
        for process in list(processes.values()):
            process.kill()
        self._restart(pool)

    def _send(self, job: PictureJob) -> None:
        for _ in range(2):  # a pool found broken is replaced, and the picture sent again
            pool = self._pool
            try:
                job.future, job.pool = pool.submit(_hash_in_worker, job.data, job.record.name), pool
                return
            except BrokenProcessPool:
                self._restart(pool)
        raise BrokenProcessPool("the picture hashing processes could not be started")

    def _matches(self, record: FileRecord, result: Any) -> tuple[list[Finding], str | None]:
        if isinstance(result, str):
            return [], f"not perceptually hashed: {result}"
        record.facts["perceptual"] = result.to_dict()
        return [
            Finding(kind="perceptual", severity=MATCH_SEVERITY, record=record, title=m.title(),
                    hashset=m.set_name, hashset_version=m.set_version, category=m.category,
                    distance=m.pdq_distance, reference=m.reference, detail=m.to_dict())
            for m in self.matcher.match(result)
        ], None

    def _restart(self, broken: ProcessPoolExecutor | None) -> None:
        """A fresh pool in place of `broken` (unless another thread replaced it already)."""
        with self._lock:
            if self._pool is broken:
                broken.shutdown(wait=False, cancel_futures=True)
                self._pool = self._new_pool()

    def provenance(self) -> list[dict[str, Any]]:
        return [{**entry, "kind": "perceptual", **self._trust.get(str(entry.get("path")), {})}
                for entry in self.matcher.provenance()]

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)



@dataclass
class PictureJob:
    """One picture handed to the hashing processes. Its bytes are kept until it is settled, so
    a picture whose process was killed by another picture can be sent again."""

    stage: PerceptualStage
    record: FileRecord
    data: bytes
    future: Future[Any] | None  # None: not sent (`reason` says why)
    pool: ProcessPoolExecutor | None = None  # the pool it was sent to
    reason: str | None = None

    @property
    def size(self) -> int:
        """Bytes held until the job is settled."""
        return len(self.data)
