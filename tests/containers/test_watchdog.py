"""The per-member watchdog: a member that arrives too slowly is given up, the rest examined."""

from __future__ import annotations

import time
import zipfile

import numpy as np

from triage.containers import ContainerLimits
from triage.containers.limits import MEMBER_DEADLINE_S, MEMBER_MIN_RATE
from triage.stages.digests import READ_DEADLINE_BASE_S, READ_MIN_RATE

from .builders import record, tar_gz_bytes, zip_bytes
from .helpers import run

CHUNK = 1024 * 1024


class SlowBytes:
    """Archive bytes off a slow disk: every read sleeps in proportion to its length."""

    def __init__(self, data: bytes, rate: float) -> None:
        self._data = data
        self._rate = rate  # bytes per second
        self.size = len(data)

    def read(self, offset: int, length: int) -> bytes:
        data = self._data[offset : offset + length]
        time.sleep(len(data) / self._rate)
        return data


# At 16 MiB/s a member of 6 MiB or more takes longer than 0.25 s; a few bytes take no time.
RATE = 16 * CHUNK
SLOW = ContainerLimits(member_deadline_s=0.25, member_min_rate=10**12)


def test_a_slow_zip_member_is_given_up_and_the_next_member_examined():
    data = zip_bytes({"big.bin": b"\x17" * (12 * CHUNK), "small.txt": b"small"},
                     method=zipfile.ZIP_STORED)
    rec, fast = record("slow.zip", data)
    members, problems = run(rec, SlowBytes(data, RATE), SLOW)  # type: ignore[arg-type]
    assert [(path, body) for path, body, _ in members] == [("small.txt", b"small")]
    [problem] = problems
    assert problem.reason == "timeout" and problem.not_examined
    assert "slow.zip!big.bin · " in problem.address
    assert problem.message.startswith("gave up on this member after 0.")
    # The same archive read at full speed gives both members: the watchdog caused the gap.
    members, problems = run(rec, fast, SLOW)
    assert sorted(path for path, _, _ in members) == ["big.bin", "small.txt"] and not problems


def test_a_slow_member_of_a_compressed_tar_stops_the_stream_with_a_timeout():
    noise = np.random.default_rng(9).bytes(6 * CHUNK)  # incompressible: no ratio limit
    data = tar_gz_bytes({"first.txt": b"first", "big.bin": noise, "after.txt": b"after"})
    rec, _ = record("slow.tar.gz", data)
    members, problems = run(rec, SlowBytes(data, RATE), SLOW)  # type: ignore[arg-type]
    assert [path for path, _, _ in members] == ["first.txt"]
    [problem] = problems
    assert problem.reason == "timeout" and "slow.tar.gz!big.bin · " in problem.address
    assert "the rest of the archive was not examined" in problem.message


def test_member_deadlines_are_the_per_file_watchdog_s():
    assert (MEMBER_DEADLINE_S, MEMBER_MIN_RATE) == (READ_DEADLINE_BASE_S, READ_MIN_RATE)
    assert ContainerLimits().member_deadline_s == READ_DEADLINE_BASE_S
