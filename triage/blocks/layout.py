"""Block filter format 2's lookup structures: a register-blocked Bloom filter and a bucketed
key table, their sizes, how the lab builds them and what a lookup computes.

Every lookup probes ONE 64-bit word of the Bloom filter (one cache line): the word is chosen by
the key's top bits, and the three bits inside it by its low 12 bits through a table of 4,096
fixed three-bit masks (32 KiB: it stays in the L1 cache; a pattern-blocked Bloom filter, as in
Lang et al., "Performance-Optimal Filtering", VLDB 2019), so the whole test is a handful of
numpy operations over a chunk's keys. The few keys that pass (every known block and ~0.3% of
the others at 1,000,000 references) are looked up exactly in the key
table: the sorted keys cut into 2**k buckets by their top k bits (`starts`), each row holding
the next 32 bits (`tails`), so a lookup scans one bucket of ~10 rows. A row found there is then
confirmed on 64 bits of SHA-256 (`confirms`) by the quick pass.
"""

from __future__ import annotations

import hashlib
from functools import lru_cache

import numpy as np

FORMAT = "triage-blockfilter/2"
PROBES = 3  # bits tested per key, all in one 64-bit word
MASK_BITS = 12  # low key bits that choose one of 2**12 masks of PROBES different bits
MASKS_NAME = "sha256-masks-v1"  # how the masks are made (`masks`), recorded in the manifest
TAIL_BITS = 32  # key bits kept per row below the bucket's
# Sizes (see `word_bits`, `bucket_bits`): ~20 filter bits per key (a false candidate rate of
# ~0.3%) rounded to a power of two, at most 2**24 words (128 MiB, so that a lookup's memory
# stays under 500 MB at any size: a larger set gets a higher, stated, candidate rate); ~10
# rows a bucket.
BITS_PER_KEY = 20
MIN_WORD_BITS, MAX_WORD_BITS = 10, 24
# The stated false candidate rate is measured at the lab over this many fixed keys.
RATE_KEYS = 1 << 20
ROWS_PER_BUCKET = 10
# The fullest bucket is recorded (~30 rows at 10 a bucket); a manifest claiming more than this
# is refused (a bucket that full means the keys are not spread: rebuild).
MAX_BUCKET_ROWS = 4096
# The Bloom filter is built this many keys at a time (bounds the build's temporaries).
BUILD_SLICE = 1 << 22


def word_bits(count: int) -> int:
    """log2 of the Bloom filter's 64-bit words for `count` keys (nearest power of two)."""
    wanted = max(1.0, count * BITS_PER_KEY / 64)
    return int(min(MAX_WORD_BITS, max(MIN_WORD_BITS, round(np.log2(wanted)))))


def bucket_bits(count: int) -> int:
    """Top key bits that choose a bucket of the key table (~ROWS_PER_BUCKET rows each)."""
    return max(1, (count // ROWS_PER_BUCKET).bit_length())


@lru_cache(maxsize=1)
def masks() -> np.ndarray:
    """The 2**MASK_BITS word masks, PROBES different bits each, from SHA-256 of fixed labels
    (not a random generator whose stream could change between numpy versions)."""
    out = np.zeros(1 << MASK_BITS, dtype=np.uint64)
    for index in range(len(out)):
        positions: list[int] = []
        for byte in hashlib.sha256(f"triage bloom mask {index}".encode()).digest():
            if byte % 64 not in positions:
                positions.append(byte % 64)
            if len(positions) == PROBES:
                break
        out[index] = sum(1 << p for p in positions)
    return out


def bloom_add(words: np.ndarray, keys: np.ndarray) -> None:
    """Set each key's mask bits in the word of its top log2(len(words)) bits."""
    shift = np.uint64(64 - (len(words).bit_length() - 1))
    table = masks()
    low = np.uint64((1 << MASK_BITS) - 1)
    for start in range(0, len(keys), BUILD_SLICE):
        part = np.asarray(keys[start:start + BUILD_SLICE], dtype=np.uint64)
        # ufunc.at ORs every key of a shared word in (fancy assignment would keep one).
        np.bitwise_or.at(words, (part >> shift).astype(np.intp),
                         table[(part & low).astype(np.intp)])


def rate_keys() -> np.ndarray:
    """RATE_KEYS fixed pseudo-random keys (SHA-256 in counter mode) for the stated rate."""
    stream = b"".join(hashlib.sha256(f"triage bloom rate {i}".encode()).digest()
                      for i in range(RATE_KEYS // 4))
    return np.frombuffer(stream, dtype="<u8")


def false_candidate_rate(words: np.ndarray) -> float:
    """Share of unknown keys that pass the Bloom filter: measured over RATE_KEYS fixed random
    keys (the masks repeat, so no closed form is exact; the benchmark checks it with others)."""
    keys = rate_keys()
    table = masks()
    shift = np.uint64(64 - (len(words).bit_length() - 1))
    got = np.take(words, (keys >> shift).astype(np.intp))
    wanted = np.take(table, (keys & np.uint64((1 << MASK_BITS) - 1)).astype(np.intp))
    return float(np.count_nonzero((got & wanted) == wanted)) / len(keys)


def bucket_count_add(counts: np.ndarray, keys_sorted: np.ndarray) -> None:
    """Add sorted keys to the row count of each bucket (2**k counts: the keys' top k bits)."""
    if not len(keys_sorted):
        return
    shift = np.uint64(64 - (len(counts).bit_length() - 1))
    buckets = (np.asarray(keys_sorted, dtype=np.uint64) >> shift).astype(np.intp)
    first = np.flatnonzero(np.r_[True, buckets[1:] != buckets[:-1]])
    counts[buckets[first]] += np.diff(np.r_[first, len(buckets)]).astype(counts.dtype)


def bucket_starts(counts: np.ndarray) -> np.ndarray:
    """First row of each bucket, and the row count at the end (2**k + 1 entries)."""
    if int(counts.sum(dtype=np.uint64)) >= 1 << 32:
        raise ValueError("a block filter holds fewer than 2**32 blocks.")
    starts = np.zeros(len(counts) + 1, dtype="<u4")
    np.cumsum(counts, out=starts[1:])
    return starts


def tails(keys: np.ndarray, kbits: int) -> np.ndarray:
    """The TAIL_BITS key bits right below the top `kbits` (what a bucket's rows hold)."""
    return ((np.asarray(keys, dtype=np.uint64) << np.uint64(kbits))
            >> np.uint64(64 - TAIL_BITS)).astype("<u4")


def stated_false_hits(candidate_rate: float, count: int, kbits: int) -> dict[str, float]:
    """Per unknown block: the chance it passes the Bloom filter, that it then matches a row on
    the key's top kbits + TAIL_BITS bits, and that it is then confirmed on 64 bits of SHA-256
    (a false hit: none expected on any disk)."""
    rows_per_bucket = count / (1 << kbits)
    key_match = candidate_rate * min(1.0, rows_per_bucket / 2.0**TAIL_BITS)
    return {"candidate": candidate_rate, "key_match": key_match,
            "confirmed": key_match * 2.0**-64}
