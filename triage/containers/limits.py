"""Bomb limits for looking inside containers, and the budget one top-level container spends."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from triage.stages.digests import READ_DEADLINE_BASE_S, READ_MIN_RATE

# Every expansion of one file found on the evidence (its members, their members, ...) shares
# one budget, so a limit holds across the whole nesting, not per level.

# Total bytes produced from one top-level container, all nesting levels together. ClamAV's
# default MaxScanSize is 400 MB; a phone backup or a photo archive is often a few GB, and
# triage must not skip those, so the cap sits at 4 GiB (a quarter of an hour of hashing at the
# ~5 MB/s worst-case read speed of a USB 2 disk would be far less; this is a bomb guard, not a
# time budget, which the scan keeps separately).
MAX_EXPANDED_BYTES = 4 * 1024**3

# Expanded/compressed ratio of one member (or of a compressed stream), checked once the member
# has produced more than RATIO_GRACE_BYTES. Deflate cannot exceed 1032:1 (zlib technical
# details); real files reach ~100:1 only for very repetitive text or zeroed disk images, while
# bombs (42.zip, Fifield's "A better zip bomb") sit at 1000:1 and more.
MAX_RATIO = 200
# Small runs of zeros compress at 1000:1 and are harmless: the ratio counts only past 8 MiB.
RATIO_GRACE_BYTES = 8 * 1024**2

# Members of one top-level container, all levels together. ClamAV uses 10,000; a phone backup
# holds tens of thousands of photos, which must all be looked at.
MAX_MEMBERS = 100_000

# Archives inside archives. 42.zip nests 5 levels and ClamAV stops at 17; real evidence rarely
# goes past 3 (a zip of zips inside a tar.gz), so 8 examines anything real and stops bombs.
MAX_DEPTH = 8

# A member up to this size is held in memory; a larger one is spilled to a temporary file under
# the output folder. 16 MiB keeps every photo in memory, and bounds memory at depth x 16 MiB per
# worker thread in the worst case (a nest of large members).
MEMORY_MEMBER_BYTES = 16 * 1024**2

# Images extracted from one PDF; a catalogue of thousands of thumbnails is possible, but past
# this the rest is reported as not examined rather than stall the scan.
MAX_PDF_IMAGES = 2_000
# Pixels of one PDF image decoded to PNG (Pillow's own decompression-bomb limit is 89 Mpx).
MAX_PDF_IMAGE_PIXELS = 89_478_485

# Video: a frame is taken at every scene change and at least every VIDEO_INTERVAL_S seconds,
# at most VIDEO_MAX_FRAMES per video (a 10-minute clip at 20 s intervals gives 30, plus cuts).
VIDEO_INTERVAL_S = 20.0
VIDEO_MAX_FRAMES = 60
# Mean absolute difference (0-255) between 32x32 grey thumbnails of consecutive decoded frames
# that counts as a scene change. PySceneDetect's content detector cuts at 27 on an HSV delta; on
# grey alone unrelated pictures differ by 24-29 (tests/containers), so the cut is at 20. A
# false cut only costs one more frame, within VIDEO_MAX_FRAMES.
VIDEO_SCENE_DIFF = 20.0
# Videos longer than this are decoded at key frames only: encoders put a key frame at every
# scene cut and at least every few seconds, and decoding every frame of a two-hour film would
# take longer than the whole triage (bench/containers_bench.py measures frames per second).
VIDEO_FULL_DECODE_S = 600.0
# One member must arrive (read and decompressed) within the per-file watchdog's allowance for
# its size so far (triage/stages/digests.py says where the numbers come from): a damaged
# archive on a failing disk, or a decompressor crawling through hostile data, gives up that
# member, not the scan. Decompression itself runs at 50-500 MB/s, far above the rate floor.
MEMBER_DEADLINE_S = READ_DEADLINE_BASE_S
MEMBER_MIN_RATE = READ_MIN_RATE

# Frames decoded per video at most, a bound on the work one (possibly hostile) file can cause.
VIDEO_MAX_DECODED = 30_000


@dataclass(frozen=True)
class ContainerLimits:
    """The limits one scan applies; defaults are the constants above, each an option."""

    max_expanded_bytes: int = MAX_EXPANDED_BYTES
    max_ratio: float = MAX_RATIO
    ratio_grace_bytes: int = RATIO_GRACE_BYTES
    max_members: int = MAX_MEMBERS
    max_depth: int = MAX_DEPTH
    memory_member_bytes: int = MEMORY_MEMBER_BYTES
    # Where members larger than memory_member_bytes are spilled (inside the scan's output
    # folder); None: such members are reported as not examined.
    spill_dir: Path | None = field(default=None, metadata={"transient": True})
    max_pdf_images: int = MAX_PDF_IMAGES
    max_pdf_image_pixels: int = MAX_PDF_IMAGE_PIXELS
    video_interval_s: float = VIDEO_INTERVAL_S
    video_max_frames: int = VIDEO_MAX_FRAMES
    video_scene_diff: float = VIDEO_SCENE_DIFF
    video_full_decode_s: float = VIDEO_FULL_DECODE_S
    video_max_decoded: int = VIDEO_MAX_DECODED
    member_deadline_s: float = MEMBER_DEADLINE_S
    member_min_rate: float = MEMBER_MIN_RATE


class LimitReached(Exception):
    """A bomb limit stopped the expansion; the message is the sentence the report shows."""

    def __init__(self, message: str, *, whole_container: bool, reason: str = "bomb") -> None:
        super().__init__(message)
        self.reason = reason  # the coverage key: "bomb", or "timeout" for the watchdog
        # True: nothing more of the top-level container may be expanded (bytes, members);
        # False: only the member or archive at hand is given up (ratio, depth).
        self.whole_container = whole_container


@dataclass
class Budget:
    """What is left for one top-level container, shared by every nesting level."""

    limits: ContainerLimits
    bytes_used: int = 0
    members_used: int = 0
    exhausted: str | None = None  # the reason, once a whole-container limit is reached
    clock: Callable[[], float] = field(default=time.monotonic, repr=False)

    def take_bytes(self, count: int) -> None:
        self.bytes_used += count
        if self.bytes_used > self.limits.max_expanded_bytes:
            self.exhausted = (f"expansion stopped at {self.limits.max_expanded_bytes} bytes "
                              "(the limit on expanded bytes per archive); the rest was not "
                              "examined, possibly an archive bomb")
            raise LimitReached(self.exhausted, whole_container=True)

    def take_member(self) -> None:
        self.members_used += 1
        if self.members_used > self.limits.max_members:
            self.exhausted = (f"expansion stopped after {self.limits.max_members} members "
                              "(the limit on members per archive); the rest was not examined")
            raise LimitReached(self.exhausted, whole_container=True)

    def check_ratio(self, produced: int, compressed: int | None, what: str) -> None:
        if compressed is None or produced <= self.limits.ratio_grace_bytes:
            return
        if produced > self.limits.max_ratio * max(compressed, 1):
            raise LimitReached(
                f"{what} expands more than {self.limits.max_ratio:g} times its compressed "
                "size (the ratio limit); not examined further, possibly an archive bomb",
                whole_container=False)

    def check_time(self, started: float, produced: int, what: str) -> None:
        """Give up `what` once it has taken longer than the watchdog allows for its bytes."""
        elapsed = self.clock() - started
        allowed = self.limits.member_deadline_s + produced / self.limits.member_min_rate
        if elapsed > allowed:
            raise LimitReached(
                f"gave up on {what} after {elapsed:.1f} s at byte {produced} (slower than the "
                f"{allowed:.1f} s allowed; a failing disk or damaged data); not examined",
                whole_container=False, reason="timeout")
